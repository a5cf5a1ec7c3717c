"""What makes an interrupted write come out as before or after, never half-way.

- **Notes of running writes.** ``add_samples`` and a ``set_values`` that creates
  a field first record a note in the dataset document (``pending.<op id>``:
  kind, pid, host, and what identifies their documents), declare the schema,
  write, then remove the note: each a single-document, hence atomic, update.
  When the dataset is next loaded (or written to), a note whose process is
  dead is undone: the half-added samples (same ``created_at``, ids in the op's
  range, ids assigned client-side) are deleted; a half-set new field is unset
  everywhere and dropped from the schema. The call, run again, then finishes
  the job without duplicates.
- **Staging.** A new dataset is written under no name: its samples go to a
  collection that no dataset document points at, noted in ``_staging`` with
  the writer's pid; the dataset becomes visible (and ``overwrite`` replaces the
  old one) only when its document is inserted at the end. A staging
  collection whose writer died is dropped by the next import.
- **Reconnects.** A batch insert that lost its connection is retried once on
  a fresh client (the embedded mongod restarted if it died); ids already
  stored are recognised, so nothing is inserted twice.
- **Transactions.** Where the database is a replica set, multi-document
  updates of bounded size run in a transaction (:func:`transaction`).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo.errors import BulkWriteError, ConnectionFailure

from .db import get_client, get_db, reset
from .sample import utcnow

if TYPE_CHECKING:
    from .dataset import Dataset
    from .fields import Field

STAGING_COLLECTION = "_staging"
#: tests set this to ``f(kind, n)`` to stop a write at a chosen point
progress_hook: Callable[[str, int], None] | None = None
_HOST = socket.gethostname()


def hook(kind: str, n: int) -> None:
    if progress_hook is not None:
        progress_hook(kind, n)


def _alive(note: dict[str, Any]) -> bool:
    if note.get("host") != _HOST:
        return True  # another machine's process: we cannot tell, so leave it alone
    from .db.service import _pid_alive

    return _pid_alive(int(note.get("pid", 0)))


def _datasets() -> Any:
    return get_db()["datasets"]


def begin(dataset: Dataset, kind: str, fields: dict[str, Field], **info: Any) -> str | None:
    """Record a running write on ``dataset`` (and declare ``fields`` in the same update)."""
    if dataset._staging:
        return None  # invisible until committed: nothing to undo
    recover(dataset._doc.id)
    op = str(ObjectId())
    note = {"kind": kind, "pid": os.getpid(), "host": _HOST, "at": utcnow(), **info}
    update = {f"pending.{op}": note}
    update.update({f"sample_fields.{k}": f.to_dict() for k, f in fields.items()})
    _datasets().update_one({"_id": dataset._doc.id}, {"$set": update})
    return op


def end(dataset: Dataset, op: str | None) -> None:
    """The write recorded by :func:`begin` is complete."""
    if op is not None:
        try:
            _datasets().update_one({"_id": dataset._doc.id}, {"$unset": {f"pending.{op}": ""}})
        except ConnectionFailure:
            reset()
            _datasets().update_one({"_id": dataset._doc.id}, {"$unset": {f"pending.{op}": ""}})


def recover(dataset_id: Any) -> bool:
    """Undo the writes of dead processes on a dataset; True if there were any."""
    raw = _datasets().find_one({"_id": dataset_id}, {"pending": 1, "sample_collection_name": 1})
    if not raw or not raw.get("pending"):
        return False
    coll = get_db()[raw["sample_collection_name"]]
    undone = False
    for op, note in raw["pending"].items():
        if _alive(note):
            continue
        if note["kind"] == "add":
            coll.delete_many({"created_at": note["created_at"],
                              "_id": {"$gte": note["first"], "$lte": note["last"]}})  # fmt: skip
            unset = {}
        else:  # set_values of a new field
            coll.update_many({note["field"]: {"$exists": True}}, {"$unset": {note["field"]: ""}})
            unset = {f"sample_fields.{note['field']}": ""}
        unset[f"pending.{op}"] = ""
        _datasets().update_one({"_id": dataset_id}, {"$unset": unset})
        undone = True
    return undone


def insert_batch(dataset: Dataset, coll: Any, batch: list[dict[str, Any]]) -> Any:
    """Insert ``batch`` (ids set); after a lost connection, once more on a fresh client,
    skipping ids already stored. Returns the collection to use next."""
    try:
        coll.insert_many(batch, ordered=True)
        return coll
    except ConnectionFailure:
        reset()  # the next client restarts the embedded mongod if it died
    coll = dataset._sample_coll()
    stored = {d["_id"] for d in coll.find({"_id": {"$in": [d["_id"] for d in batch]}}, {"_id": 1})}
    rest = [d for d in batch if d["_id"] not in stored]
    if rest:
        try:
            coll.insert_many(rest, ordered=True)
        except BulkWriteError as e:
            raise e
    return coll


#: above this many writes, a transaction risks MongoDB's 60 s transaction limit
TRANSACTION_MAX_OPS = 200_000
#: (client, answer) for the last client asked: keyed by the object itself, not id(),
#: since a new client can reuse a dropped one's id after db.reset()
_replica: list[Any] = [None, False]


def is_replica_set() -> bool:
    """Whether the database is a replica set (or sharded): transactions are possible."""
    client = get_client()
    if _replica[0] is not client:
        try:
            hello = client.admin.command("hello")
        except ConnectionFailure:
            return False
        _replica[:] = [client, bool(hello.get("setName")) or hello.get("msg") == "isdbgrid"]
    return bool(_replica[1])


@contextlib.contextmanager
def transaction(num_ops: int = 0) -> Iterator[Any]:
    """A session in a transaction on a replica set (for up to :data:`TRANSACTION_MAX_OPS`
    writes); None, plain writes, on a standalone server."""
    if num_ops > TRANSACTION_MAX_OPS or not is_replica_set():
        yield None
        return
    with get_client().start_session() as session, session.start_transaction():
        yield session


# -- staging of new datasets ---------------------------------------------------------


def stage(collection_name: str, name: str) -> None:
    """Note that ``collection_name`` is being filled for a dataset ``name`` by this process."""
    cleanup_staging()
    get_db()[STAGING_COLLECTION].insert_one({"_id": collection_name, "name": name,
                                             "pid": os.getpid(), "host": _HOST,
                                             "at": utcnow()})  # fmt: skip


def unstage(collection_name: str, drop: bool) -> None:
    if drop:
        get_db().drop_collection(collection_name)
    get_db()[STAGING_COLLECTION].delete_one({"_id": collection_name})


def cleanup_staging() -> list[str]:
    """Drop the staging collections of dead imports; returns the names they were for."""
    db = get_db()
    dropped = []
    for note in list(db[STAGING_COLLECTION].find()):
        if _alive(note):
            continue
        if db["datasets"].count_documents({"sample_collection_name": note["_id"]}) == 0:
            db.drop_collection(note["_id"])
            dropped.append(note["name"])
        db[STAGING_COLLECTION].delete_one({"_id": note["_id"]})
    return dropped
