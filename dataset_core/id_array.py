"""A collection's sample ids in order, as one numpy array, read without decoding.

Listing 1,000,000 ids through the driver builds 1,000,000 dicts and ObjectIds
(~4.6 s here). Projected to ``{_id: 1}``, every document the server returns is
the same 22 bytes: its length, the ObjectId element's type and name, the 12 id
bytes and the terminator. Read as raw batches, each batch is then a 2-D byte
array whose columns 9 to 20 are the ids, so the whole list costs what the
server takes to send it. A batch that is not all such documents (ids that are
not ObjectIds) is decoded the slow way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from bson import ObjectId, decode_all

#: the bytes of ``{_id: ObjectId(...)}``: int32 length 22, type 0x07, "_id\0"
_DOC_SIZE = 22
_HEAD = np.frombuffer(b"\x16\x00\x00\x00\x07_id\x00", dtype=np.uint8)
#: ids a batch of the cursor carries (22 bytes each: ~2 MB per batch)
BATCH = 100_000


def _batch_ids(data: bytes) -> np.ndarray:
    if len(data) % _DOC_SIZE == 0:
        rows = np.frombuffer(data, dtype=np.uint8).reshape(-1, _DOC_SIZE)
        if (rows[:, :9] == _HEAD).all() and (rows[:, 21] == 0).all():
            return np.ascontiguousarray(rows[:, 9:21]).view("V12").ravel()
    # the slow way: any document that is not exactly {_id: ObjectId}
    out = []
    for doc in decode_all(data):
        value = doc.get("_id")
        if not isinstance(value, ObjectId):
            raise TypeError(f"a sample id is not an ObjectId: {value!r}")
        out.append(value.binary)
    return np.array(out, dtype="V12")


def id_batches(coll: Any, pipeline: list[dict[str, Any]]) -> Iterator[np.ndarray]:
    """The ``_id`` of every document ``pipeline`` yields from ``coll``, in order, a
    batch at a time, as arrays of 12-byte values (dtype ``V12``: numpy keeps the
    trailing zero bytes of those, not of ``S12``; ``ObjectId(a[i].tobytes())``)."""
    if pipeline:
        batches = coll.aggregate_raw_batches(
            [*pipeline, {"$project": {"_id": 1}}], allowDiskUse=True, batchSize=BATCH
        )
    else:
        batches = coll.find_raw_batches({}, {"_id": 1}, batch_size=BATCH)
    with batches:
        for data in batches:
            if data:
                yield _batch_ids(data)


def ordered_ids(coll: Any, pipeline: list[dict[str, Any]]) -> np.ndarray:
    """All of :func:`id_batches` as one array."""
    parts = list(id_batches(coll, pipeline))
    return np.concatenate(parts) if parts else np.empty(0, dtype="V12")
