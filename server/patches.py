"""Patches views made once and reused: every request of the grid names its view
again, and making patches copies every label of the field (~1 s per 100k).

A view from HTTP with a ``ToPatches`` stage (see ``dataset_core.stages.to_patches``)
gets its patches here, keyed by the database, the dataset, the stages up to and
including ``ToPatches`` and the dataset's sample count; ``Session.refresh()``
(which says the data changed) empties the cache. The patches' ids are their
labels' ids, so a view made again lists the same ids: a page read from a new one
never contradicts one read from the old.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from dataset_core.config import config
from dataset_core.patches import PatchesView
from dataset_core.stages import ToPatches, ViewStage
from dataset_core.view import DatasetView

#: patches views kept (each holds a temporary collection of one document per label)
MAX_PATCHES = 4

_cache: OrderedDict[tuple[Any, ...], DatasetView] = OrderedDict()
#: one build at a time: the grid asks for count, first page and sidebar at once, and
#: all three must wait for the one build instead of making three
_build_lock = threading.Lock()


def _key(source: DatasetView, stage: ViewStage) -> tuple[Any, ...]:
    d = source.to_dict()
    stages = json.dumps([*d["stages"], stage.to_dict()], sort_keys=True, default=str)
    return (config.database_name, d["dataset"], stages, source.dataset.estimated_count())


def _put(key: tuple[Any, ...], patches: DatasetView) -> None:
    _cache[key] = patches
    _cache.move_to_end(key)
    while len(_cache) > MAX_PATCHES:
        _cache.popitem(last=False)  # its collection is dropped once no request uses it


def load_view(source: DatasetView, stage: ViewStage) -> DatasetView:
    """``stage.load_view(source)``, made once per key (see the module doc).

    Raises:
        FieldNotFoundError, ViewError: the stage's field is not a label list field.
    """
    key = _key(source, stage)
    with _build_lock:
        hit = _cache.get(key)
        if hit is None:
            hit = stage.load_view(source)
        _put(key, hit)
    return hit


def remember(patches: PatchesView) -> None:
    """Keep ``patches`` (a patches view from Python, shown by ``session.view``) as
    the cache's answer for its source and field, without its own later stages, so
    the browser's first page does not make the same patches again."""
    source = patches.source_collection.view()
    bare = PatchesView(patches.dataset, (), patches.source_collection)
    with _build_lock:
        _put(_key(source, ToPatches(patches.patches_field)), bare)


def clear() -> None:
    """Forget every patches view (the data changed)."""
    with _build_lock:
        _cache.clear()
