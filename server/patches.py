"""Patches views made once, in the background, and reused: every request of the grid
names its view again, and making patches copies every label of the field (~1-2 s
per 100k labels on a 2-core machine).

A view from HTTP with a ``ToPatches`` stage (see ``dataset_core.stages.to_patches``)
gets its patches here, keyed by the database, the dataset, the stages up to and
including ``ToPatches`` and the dataset's sample count; ``Session.refresh()``
(which says the data changed) empties the cache. The patches' ids are their
labels' ids, so a view made again lists the same ids.

The first screen does not wait for them: while they are made, the count and the
first pages of the bare patches view (no stages after ``ToPatches``) are read from
the source samples (:func:`early_count`, :func:`early_page`), in the order the
patches are made in; everything else waits for the patches.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from dataset_core.config import config
from dataset_core.patches import PatchesView, count_patches, patch_docs
from dataset_core.stages import ToPatches, ViewStage, view_from_untrusted
from dataset_core.view import DatasetView

#: patches views kept (each holds a temporary collection of one document per label)
MAX_PATCHES = 4


class _Build:
    """One patches view, being made (or made) in a thread of its own."""

    def __init__(self, source: DatasetView, stage: ViewStage) -> None:
        self.source, self.stage = source, stage
        self.done = threading.Event()
        self.view: DatasetView | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.view = self.stage.load_view(self.source)
        except BaseException as e:  # noqa: BLE001 - given to every request that waits
            self.error = e
        finally:
            self.done.set()

    def result(self) -> DatasetView:
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.view  # type: ignore[return-value]


_cache: OrderedDict[tuple[Any, ...], _Build] = OrderedDict()
_lock = threading.Lock()


def _key(source: DatasetView, stage: ViewStage) -> tuple[Any, ...]:
    d = source.to_dict()
    stages = json.dumps([*d["stages"], stage.to_dict()], sort_keys=True, default=str)
    return (config.database_name, d["dataset"], stages, source.dataset.estimated_count())


def _put(key: tuple[Any, ...], build: _Build) -> None:
    _cache[key] = build
    _cache.move_to_end(key)
    while len(_cache) > MAX_PATCHES:
        _cache.popitem(last=False)  # its collection is dropped once no request uses it


def _build(source: DatasetView, stage: ViewStage) -> _Build:
    """The build of ``stage``'s patches of ``source``, started now if it is not cached."""
    stage.validate(source)  # a bad field fails here, in the request, and is not cached
    key = _key(source, stage)
    with _lock:
        build = _cache.get(key)
        if build is not None and build.error is None:
            _cache.move_to_end(key)
            return build
        build = _Build(source, stage)
        _put(key, build)
    threading.Thread(target=build.run, daemon=True, name="patches").start()
    return build


def load_view(source: DatasetView, stage: ViewStage) -> DatasetView:
    """``stage.load_view(source)``, made once per key (see the module doc).

    Raises:
        FieldNotFoundError, ViewError: the stage's field is not a label list field.
    """
    return _build(source, stage).result()


def pending(dataset: Any, stages: list[dict[str, Any]]) -> tuple[DatasetView, str] | None:
    """``(source view, field)`` when ``stages`` end in a ``ToPatches`` whose patches
    are still being made (starting them if need be), else None.

    Raises:
        ViewError, FieldNotFoundError: the stages are refused (as by ``get_view``).
    """
    if not ends_in_patches(stages) or any(ends_in_patches(stages[:i]) for i in range(len(stages))):
        return None  # not a bare patches view (or one with two ToPatches: refused later)
    source = view_from_untrusted(dataset, stages[:-1])  # checked as any view from HTTP
    stage = ViewStage.from_dict(stages[-1])
    build = _build(source, stage)
    return None if build.done.is_set() else (source, stages[-1]["kwargs"]["field"])


def ends_in_patches(stages: list[Any]) -> bool:
    """Whether the last of ``stages`` (stage dicts) is a ``ToPatches``."""
    return bool(stages) and isinstance(stages[-1], dict) and stages[-1].get("_cls") == "ToPatches"


def early_page(dataset: Any, stages: list[dict[str, Any]], offset: int,
               limit: int) -> list[dict[str, Any]] | None:  # fmt: skip
    """Documents of the patches view ``stages`` while its patches are being made
    (see :func:`dataset_core.patches.patch_docs`), or None: read the view itself."""
    made = pending(dataset, stages)
    return None if made is None else patch_docs(*made, offset, limit)


def early_count(dataset: Any, stages: list[dict[str, Any]]) -> int | None:
    """The number of patches of ``stages`` while they are being made, or None."""
    made = pending(dataset, stages)
    return None if made is None else count_patches(*made)


def remember(patches: PatchesView) -> None:
    """Keep ``patches`` (a patches view from Python, shown by ``session.view``) as
    the cache's answer for its source and field, without its own later stages, so
    the browser's first page does not make the same patches again."""
    source = patches.source_collection.view()
    build = _Build(source, ToPatches(patches.patches_field))
    build.view = PatchesView(patches.dataset, (), patches.source_collection)
    build.done.set()
    with _lock:
        _put(_key(source, build.stage), build)


def clear() -> None:
    """Forget every patches view (the data changed)."""
    with _lock:
        _cache.clear()
