"""Sample-id lists in pipelines: inline when that is safe and fast, else a collection.

A pipeline is one BSON command, capped at 16 MB, and an ObjectId in a BSON array
takes about 20 bytes, so an inline list breaks near 800,000 ids (FiftyOne fails
there). Big lists are written once into a collection ``tmp.ids.<sha1 of the
ids>`` of chunk documents ``{_id: k, start: k * LOOKUP_CHUNK, ids: [...]}``
with a multikey index on ``ids``; the same list reuses it, from any process.
Chunks rather than one document per id: writing 200,000 ids takes 0.15 s
instead of 1.2 s (journaled writes), and reading them back is as fast.

How each case compiles (measured on 200,000 samples, this 2-core machine):

- A selection that starts the view, past :data:`MAX_INLINE_IDS`: a
  ``$unionWith`` of the chunks, each one ``$lookup`` by ``_id`` (an ``$in`` on
  the samples' ``_id`` index): ~110,000 samples/s, as fast as an inline
  ``$in`` and without a big command on every call; ordered, ~50,000/s (a final
  sort by position).
- An exclusion, or a selection after other stages, tests each incoming sample:
  inline ``$in``/``$nin`` up to :data:`MAX_INLINE_FILTER_IDS`, since the
  alternative, one ``$lookup`` per sample on the chunks' index, runs at only
  ~30,000 samples/s.
- Order: inline ``$indexOfArray`` up to :data:`MAX_INLINE_ORDERED_IDS` (it is
  linear per sample); past it, each sample's position comes from its chunk.

Cleanup: inside :func:`dropped_after` (the dashboard server wraps each request
in it) a collection made for that block is dropped when the block ends and no
other block still uses it. Elsewhere each compile stamps ``used_at`` in the registry collection
``tmp.ids``; creating a new id collection drops those unused for
:data:`UNUSED_TTL`. A view recompiles (and recreates a dropped collection) on
every call, so only a cursor left open that long could lose its collection.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import Counter
from collections.abc import Sequence
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo.database import Database
from pymongo.errors import OperationFailure

from ..sample import utcnow

#: a selection that starts a view reads a collection past this many ids: as fast
#: as inline, and spares sending megabytes with every call
MAX_INLINE_IDS = 100_000
#: exclusions and later selections stay inline up to this (~5 MB of BSON: three
#: fit in one 16 MB pipeline), since their alternative is a lookup per sample
MAX_INLINE_FILTER_IDS = 250_000
#: an inline *ordered* selection ranks each sample with ``$indexOfArray`` (linear in
#: the list, so quadratic overall): 10,000 ids cost ~0.1 s; more use a collection
MAX_INLINE_ORDERED_IDS = 10_000
#: ids per chunk document: fewer lookups amortise their per-call cost; more make
#: each position search (``$indexOfArray``) longer
LOOKUP_CHUNK = 1000
#: id collections unused for this long are dropped when another is created
UNUSED_TTL = timedelta(days=1)
PREFIX = "tmp.ids."
REGISTRY = "tmp.ids"
#: a collection name that already exists (a concurrent writer won the rename)
_NAMESPACE_EXISTS = 48
#: scratch field names, private to one stage's steps
_HITS, _RANK = "_dc_ids", "_dc_rank"

_known: set[tuple[str, str]] = set()
#: the collections the current dropped_after() block used: (database, name, made here)
_scope: ContextVar[list[tuple[Database[Any], str, bool]] | None] = ContextVar(
    "dataset_core_idsets_scope", default=None
)
_users: Counter[tuple[str, str]] = Counter()
_scoped: set[tuple[str, str]] = set()  # made inside some block: theirs to drop
_scope_lock = threading.Lock()


class dropped_after:  # noqa: N801 - used as a context manager, like contextlib's
    """Drop the id collections made inside this block when it ends.

    A collection that another block still uses, or that was made outside any
    block (by Python code that may read it again), is kept. :meth:`drop` may
    be called early (a server drops before its response's last byte).
    """

    def __init__(self) -> None:
        self._used: list[tuple[Database[Any], str, bool]] = []
        self._token: Any = None

    def __enter__(self) -> dropped_after:
        self._token = _scope.set(self._used)
        return self

    def __exit__(self, *_exc: Any) -> None:
        if self._token is not None:
            _scope.reset(self._token)
            self._token = None
        self.drop()

    def drop(self) -> None:
        """Drop now what this block made and nobody else uses."""
        used, self._used[:] = list(self._used), []
        for db, name, _ in used:
            key = (db.name, name)
            with _scope_lock:
                _users[key] -= 1
                drop = _users[key] <= 0 and key in _scoped
                if _users[key] <= 0:
                    del _users[key]
                if drop:
                    _scoped.discard(key)
                    _known.discard(key)
            if drop:
                db.drop_collection(name)
                db[REGISTRY].delete_one({"_id": name})


def _track(db: Database[Any], name: str, made: bool) -> None:
    used = _scope.get()
    if used is None:
        return
    key = (db.name, name)
    with _scope_lock:
        if any(d.name == db.name and n == name for d, n, _ in used):
            return
        _users[key] += 1
        if made:
            _scoped.add(key)
    used.append((db, name, made))


def digest(ids: Sequence[ObjectId]) -> str:
    """A name for the id list: the SHA-1 of its ids' bytes, in order."""
    h = hashlib.sha1(usedforsecurity=False)
    h.update(b"".join(oid.binary for oid in ids))
    return h.hexdigest()


def ensure_collection(db: Database[Any], ids: Sequence[ObjectId], key: str) -> str:
    """Create (once) the id collection for ``ids``; return its name.

    Written under a scratch name and renamed, so a reader never sees a partial
    collection and two processes writing the same list do not collide.
    """
    name = PREFIX + key
    db[REGISTRY].update_one({"_id": name}, {"$set": {"used_at": utcnow()}}, upsert=True)
    if (db.name, name) in _known or db.list_collection_names(filter={"name": name}):
        _known.add((db.name, name))
        _track(db, name, made=False)
        return name
    _sweep(db)
    scratch = db[f"{name}.{uuid.uuid4().hex[:8]}"]
    starts = range(0, len(ids), LOOKUP_CHUNK)
    if starts:
        scratch.insert_many(
            {"_id": k, "start": s, "ids": list(ids[s : s + LOOKUP_CHUNK])}
            for k, s in enumerate(starts)
        )
    scratch.create_index("ids")
    try:
        scratch.rename(name)
    except OperationFailure as e:
        if e.code != _NAMESPACE_EXISTS:
            raise
        scratch.drop()
    _known.add((db.name, name))
    _track(db, name, made=True)
    return name


def _sweep(db: Database[Any]) -> None:
    registry = db[REGISTRY]
    stale = [d["_id"] for d in registry.find({"used_at": {"$lt": utcnow() - UNUSED_TTL}})]
    for name in stale:
        db.drop_collection(name)
        _known.discard((db.name, name))
    if stale:
        registry.delete_many({"_id": {"$in": stale}})


def rank_inline(ids: list[ObjectId]) -> list[dict[str, Any]]:
    """Steps ordering the incoming samples as in ``ids`` (each one is listed)."""
    return [
        {"$addFields": {_RANK: {"$indexOfArray": [ids, "$_id"]}}},
        {"$sort": {_RANK: 1}},
        {"$unset": _RANK},
    ]


def select_first(coll: str, samples: str, ordered: bool) -> list[dict[str, Any]]:
    """Steps that start a view from the id collection ``coll``, chunk by chunk.

    The first step matches nothing through the ``_id`` index, so the samples
    collection the pipeline runs on is not scanned; the ``$unionWith`` then
    fetches each chunk's samples with one ``$lookup``. Unordered lists are
    stored sorted and a lookup returns its chunk in ``_id`` order, so the
    samples come out in ``_id`` order.
    """
    sub: list[dict[str, Any]] = [
        {"$sort": {"_id": 1}},
        {"$lookup": {"from": samples, "localField": "ids", "foreignField": "_id", "as": "d"}},
        {"$unwind": "$d"},
    ]
    if ordered:
        rank = {"$add": ["$start", {"$indexOfArray": ["$ids", "$d._id"]}]}
        sub += [
            {"$addFields": {f"d.{_RANK}": rank}},
            {"$replaceRoot": {"newRoot": "$d"}},
            {"$sort": {_RANK: 1}},
            {"$unset": _RANK},
        ]
    else:
        sub += [{"$replaceRoot": {"newRoot": "$d"}}]
    return [{"$match": {"_id": {"$in": []}}}, {"$unionWith": {"coll": coll, "pipeline": sub}}]


def lookup(coll: str, keep: bool, rank: bool = False) -> list[dict[str, Any]]:
    """Steps keeping (or dropping) each incoming sample listed in ``coll``.

    Args:
        coll: the id collection.
        keep: keep the listed samples (a selection) or drop them (an exclusion).
        rank: also put the kept samples in the list's order.
    """
    steps: list[dict[str, Any]] = [
        {"$lookup": {"from": coll, "localField": "_id", "foreignField": "ids", "as": _HITS}},
        {"$match": {f"{_HITS}.0": {"$exists": keep}}},
    ]
    if rank:
        chunk = {"$first": f"${_HITS}"}
        position = {"$add": ["$$c.start", {"$indexOfArray": ["$$c.ids", "$_id"]}]}
        steps += [
            {"$addFields": {_HITS: {"$let": {"vars": {"c": chunk}, "in": position}}}},
            {"$sort": {_HITS: 1}},
        ]
    return steps + [{"$unset": _HITS}]
