"""Sample singletons: one in-memory :class:`Sample` per stored sample, while it lives.

As in FiftyOne, ``dataset[sample_id] is sample`` while a handle on that sample
is alive, iteration hands back the live object instead of a second copy, and a
bulk write (``set_values``, ``tag_samples``, ``delete_labels``...) refreshes the
live samples it touched, so no handle shows stale values.

The registry is built for iteration's hot path, where a weak-value dictionary
(a Python-level ``__setitem__`` per sample) would cost more than the sample
itself. Iteration only appends a weak reference to :attr:`LiveSamples.pending`
(no hashing of the ObjectId, which is a Python call); :meth:`LiveSamples.sweep`
later files the survivors under their id and drops the dead, in batches of at
most :data:`PENDING_MAX`, so memory stays bounded however long the loop.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .dataset import Dataset
    from .sample import Sample

#: weak references noted before they are filed by id: bounds the memory a long
#: loop over samples nobody keeps can hold, and small enough that the references
#: die young (a long pending list would be promoted and re-scanned by the GC)
PENDING_MAX = 1_000
#: the filed references are swept of dead ones when they double past this size
REFS_MIN = 10_000
#: an ``add_samples`` call of at most this many samples makes them the live ones
#: (``dataset[s.id] is s``). A bigger batch is bound but not registered: a caller
#: holding 50,000 added samples would otherwise have each of them refreshed by
#: every later whole-dataset bulk write, and a loop over the dataset would hand
#: them out and keep every label it decodes on them (measured: +60 % on the
#: iterate-and-read-a-label loop of bench_foundation, all of it garbage collection)
BIND_LIVE_MAX = 1_000
#: ids per ``$in`` query when reloading live samples (~1 MB of BSON)
RELOAD_CHUNK = 50_000


class LiveSamples:
    """The live samples of one dataset, by id (weakly: they die with their last handle)."""

    __slots__ = ("refs", "pending", "_refs_limit")

    def __init__(self) -> None:
        #: ObjectId -> weakref to the live Sample
        self.refs: dict[Any, weakref.ref[Sample]] = {}
        #: weakrefs noted by iteration, not yet filed by id
        self.pending: list[weakref.ref[Sample]] = []
        self._refs_limit = REFS_MIN

    def note(self, sample: Sample) -> None:
        """Remember ``sample`` (cheap: filed by id on the next :meth:`sweep`)."""
        pending = self.pending
        pending.append(weakref.ref(sample))
        if len(pending) >= PENDING_MAX:
            self.sweep()

    def sweep(self, clean: bool = False) -> None:
        """File the pending samples still alive under their id; drop dead references
        (all of them with ``clean``, else once the filed ones doubled in number).

        Lists are changed in place: a running iteration holds them.
        """
        refs = self.refs
        for r in self.pending:
            s = r()
            if s is None:
                continue
            oid = s._doc.get("_id")
            if oid is None or s._dataset is None:
                continue
            cur = refs.get(oid)
            if cur is None or cur() is None:
                refs[oid] = r
        self.pending.clear()
        if refs and (clean or len(refs) > self._refs_limit):
            for oid in [k for k, r in refs.items() if r() is None]:
                del refs[oid]
            self._refs_limit = max(REFS_MIN, 2 * len(refs))

    def get(self, oid: Any) -> Sample | None:
        """The live sample of id ``oid``, or None."""
        if self.pending:
            self.sweep()
        r = self.refs.get(oid)
        return r() if r is not None else None

    def alive(self, ids: Iterable[Any] | None = None) -> list[Sample]:
        """The live samples (of ``ids`` only, when given)."""
        if self.pending:
            self.sweep()
        refs = self.refs
        if not refs:
            return []
        if ids is None:
            found = [r() for r in list(refs.values())]
        else:
            found = [r() for r in map(refs.get, ids) if r is not None]
        return [s for s in found if s is not None]

    def forget(self, samples: Iterable[Sample]) -> None:
        """Drop ``samples`` from the registry (they left the dataset)."""
        for s in samples:
            oid = s._doc.get("_id")
            r = self.refs.get(oid)
            if r is not None and r() is s:
                del self.refs[oid]


def reload_samples(dataset: Dataset, ids: Iterable[Any] | None = None,
                   skip: Sample | None = None) -> None:  # fmt: skip
    """Re-read the live samples of ``dataset`` (those of ``ids``; all when None)
    after a bulk write; samples no longer stored leave the dataset.

    Unsaved edits of those samples are dropped, as by :meth:`Sample.reload`.
    """
    samples = [s for s in dataset._live.alive(ids) if s is not skip]
    if not samples:
        return
    coll = dataset._sample_coll()
    docs: dict[Any, dict[str, Any]] = {}
    oids = [s._doc["_id"] for s in samples]
    for i in range(0, len(oids), RELOAD_CHUNK):
        for d in coll.find({"_id": {"$in": oids[i : i + RELOAD_CHUNK]}}):
            docs[d["_id"]] = d
    gone = []
    for s, oid in zip(samples, oids, strict=True):
        doc = docs.get(oid)
        if doc is None:
            gone.append(s)
        else:
            s._doc, s._dirty, s._objects, s._orig, s._partial = doc, None, None, None, False
    detach_samples(dataset, gone)


def detach_samples(dataset: Dataset, samples: Iterable[Sample] | None = None) -> None:
    """Mark ``samples`` (all live ones when None) as no longer in ``dataset``."""
    live = dataset._live
    samples = live.alive() if samples is None else list(samples)
    live.forget(samples)
    for s in samples:
        if s._dataset is dataset:
            s._dataset = None
            s._doc.pop("_id", None)
