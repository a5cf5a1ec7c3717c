"""Pages of a view at any offset in constant time: an ordered id index per view.

The grid asks for "100 samples from position 54,300" whenever the user drags
the scrollbar. ``$skip`` walks every earlier document (~0.7 ms per 1,000 here),
so once a page lies past ``SKIP_LIMIT`` the server starts listing the view's ids
in order in a background thread (``DatasetView.id_batches``: raw batches, no
decoding; ~4 s per 1,000,000 here, which is mongod's own cost per document) and
serves the pages that list covers as ``find({_id: {$in: ids[a:b]}})``, put back
in order (~2 ms). Until it covers a page, that page comes from ``$skip``: no
request waits for the list.

An index stays valid while nothing changes the view's samples. Its key holds
the dataset's sample count (adds and deletes) and the session's refresh
counter (``session.refresh()`` and every change the dashboard makes bump it);
edits from Python to a field the view sorts or filters by show after
``session.refresh()``, as in FiftyOne. Views whose stages reshape documents
(``SelectFields``, ``FilterLabels``, raw ``Mongo`` steps) always use ``$skip``.
"""

from __future__ import annotations

import json
import threading
from bisect import bisect_right
from collections import OrderedDict
from typing import Any

import numpy as np
from bson import ObjectId

from dataset_core.config import config
from dataset_core.view import DatasetView

#: below this offset ``$skip`` costs under ~1 ms: no index needed
SKIP_LIMIT = 2_000
#: views whose id lists are kept (each ~60 bytes per sample)
MAX_INDEXES = 8
#: stages that choose and order samples but leave each document as stored
_PLAIN_STAGES = frozenset({"Match", "MatchTags", "Exists", "Select", "Exclude", "SortBy",
                           "Limit", "Skip", "Take", "Shuffle", "GroupBy"})  # fmt: skip


class _Index:
    """A view's ids in order, filled a batch at a time by a background thread."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.starts: list[int] = []  # position of each part's first id
        self.size = 0  # ids listed so far
        self.done = False
        self.failed = False

    def add(self, part: np.ndarray) -> None:
        self.starts.append(self.size)
        self.parts.append(part)
        self.size += len(part)  # last: a reader that sees the size sees the part

    def covers(self, offset: int, limit: int) -> bool:
        return self.done or offset + limit <= self.size

    def ids(self, offset: int, limit: int) -> list[ObjectId]:
        end = min(offset + limit, self.size)
        if offset >= end:
            return []
        i = max(bisect_right(self.starts, offset) - 1, 0)
        chunks = []
        while offset < end:
            part, start = self.parts[i], self.starts[i]
            take = part[offset - start : end - start]
            chunks.append(take)
            offset += len(take)
            i += 1
        return [ObjectId(b) for b in np.concatenate(chunks).tolist()]


_indexes: OrderedDict[tuple[Any, ...], _Index] = OrderedDict()
_lock = threading.Lock()


def _key(view: DatasetView, refresh: int) -> tuple[Any, ...] | None:
    stages = [s.to_dict() for s in view.stages]
    if any(s["_cls"] not in _PLAIN_STAGES for s in stages):
        return None
    count = view.dataset.estimated_count()
    return (config.database_name, view.dataset_name, json.dumps(stages, sort_keys=True,
            default=str), count, refresh)  # fmt: skip


def _build(view: DatasetView, index: _Index) -> None:
    try:
        for part in view.id_batches():
            index.add(part)
    except Exception:  # noqa: BLE001 - pages go on with $skip; the view's error shows there
        index.failed = True
        with _lock:
            for k, v in list(_indexes.items()):
                if v is index:
                    del _indexes[k]
    finally:
        index.done = not index.failed


def _index_for(view: DatasetView, key: tuple[Any, ...]) -> _Index:
    """The view's index, started in the background on first use."""
    with _lock:
        index = _indexes.get(key)
        if index is not None:
            _indexes.move_to_end(key)
            return index
        index = _indexes[key] = _Index()
        while len(_indexes) > MAX_INDEXES:
            _indexes.popitem(last=False)
    threading.Thread(target=_build, args=(view, index), daemon=True, name="page-index").start()
    return index


def page_docs(
    view: DatasetView, offset: int, limit: int, projection: dict[str, int], refresh: int
) -> list[dict[str, Any]]:
    """Documents ``offset`` to ``offset + limit - 1`` of ``view``, in its order.

    Args:
        view: the view.
        offset: the first position.
        limit: how many at most.
        projection: fields to leave out (``{name: 0}``).
        refresh: the session's refresh counter (part of the index's key).
    """
    key = _key(view, refresh) if offset > SKIP_LIMIT else None
    index = _index_for(view, key) if key is not None else None
    if offset == 0 and not view.stages:
        _list_soon(view, refresh)
    if index is None or not index.covers(offset, limit):
        # near the start, or while the index is still being listed: $skip
        # (~0.7 ms per 1,000 samples skipped here) beats waiting for it
        steps: list[dict[str, Any]] = [{"$skip": offset}] if offset else []
        steps += [{"$limit": limit}, {"$project": projection}]
        return list(view.aggregate(steps))
    ids = index.ids(offset, limit)
    steps = [{"$match": {"_id": {"$in": ids}}}, {"$project": projection}]
    docs = {d["_id"]: d for d in view.dataset.aggregate(steps)}
    return [docs[i] for i in ids if i in docs]  # a sample deleted since is left out


#: seconds after the first page of a big dataset before its index is listed: the
#: first screen's own requests go first, and a scrollbar drag seconds later finds
#: the index (or most of it) ready instead of starting it
PRELIST_DELAY_S = 1.0


def _list_soon(view: DatasetView, refresh: int) -> None:
    """List the ids of the stage-less ``view`` in the background, soon, if the
    dataset is big enough for pages past SKIP_LIMIT (filtered views are listed
    on their first deep page: each filter would cost a scan otherwise)."""
    key = _key(view, refresh)  # (..., the dataset's count, refresh)
    if key is None or key[-2] <= SKIP_LIMIT:
        return
    with _lock:
        known = key in _indexes
    if not known:
        timer = threading.Timer(PRELIST_DELAY_S, _index_for, args=(view, key))
        timer.daemon = True
        timer.start()
