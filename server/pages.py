"""Pages of a view at any offset in constant time: an ordered id index per view.

The grid asks for "100 samples from position 54,300" whenever the user drags
the scrollbar. ``$skip`` walks every earlier document (~40 ms at 100k here), so
once a page lies past ``SKIP_LIMIT`` the server lists the view's ids in order
once (one ``_id``-only pass, ~0.1 s per 100k) and serves later pages as
``find({_id: {$in: ids[a:b]}})``, put back in order (~2 ms).

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
from collections import OrderedDict
from typing import Any

from dataset_core.config import config
from dataset_core.view import DatasetView

#: below this offset ``$skip`` costs under ~1 ms: no index needed
SKIP_LIMIT = 2_000
#: views whose id lists are kept (each ~60 bytes per sample)
MAX_INDEXES = 8
#: stages that choose and order samples but leave each document as stored
_PLAIN_STAGES = frozenset({"Match", "MatchTags", "Exists", "Select", "Exclude", "SortBy",
                           "Limit", "Skip", "Take", "Shuffle", "GroupBy"})  # fmt: skip

_indexes: OrderedDict[tuple[Any, ...], list[Any]] = OrderedDict()
_building: dict[tuple[Any, ...], threading.Event] = {}
_lock = threading.Lock()


def _key(view: DatasetView, refresh: int) -> tuple[Any, ...] | None:
    stages = [s.to_dict() for s in view.stages]
    if any(s["_cls"] not in _PLAIN_STAGES for s in stages):
        return None
    count = view.dataset.estimated_count()
    return (config.database_name, view.dataset_name, json.dumps(stages, sort_keys=True,
            default=str), count, refresh)  # fmt: skip


def _ordered_ids(view: DatasetView, key: tuple[Any, ...]) -> list[Any]:
    with _lock:
        ids = _indexes.get(key)
        if ids is not None:
            _indexes.move_to_end(key)
            return ids
        event = _building.get(key)
        builder = event is None
        if builder:
            event = _building[key] = threading.Event()
    if not builder:
        event.wait()
        with _lock:
            found = _indexes.get(key)
        return found if found is not None else _ordered_ids(view, key)
    try:
        ids = [d["_id"] for d in view.aggregate([{"$project": {"_id": 1}}])]
        with _lock:
            _indexes[key] = ids
            while len(_indexes) > MAX_INDEXES:
                _indexes.popitem(last=False)
    finally:
        with _lock:
            _building.pop(key, None)
        event.set()
    return ids


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
    if key is None:
        steps: list[dict[str, Any]] = [{"$skip": offset}] if offset else []
        steps += [{"$limit": limit}, {"$project": projection}]
        return list(view.aggregate(steps))
    ids = _ordered_ids(view, key)[offset : offset + limit]
    steps = [{"$match": {"_id": {"$in": ids}}}, {"$project": projection}]
    docs = {d["_id"]: d for d in view.dataset.aggregate(steps)}
    return [docs[i] for i in ids if i in docs]  # a sample deleted since is left out
