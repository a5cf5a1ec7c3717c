"""FiftyOne's ``fiftyone.core`` module paths, for scripts that import them.

``import dataset_core.core.fields as fof`` (like ``import fiftyone.core.fields
as fof``) gives a thin module that forwards every name to
:mod:`dataset_core.fields`, so ``fof.IntField is dataset_core.IntField``.
Nothing here is imported by ``import dataset_core``; each alias loads its
target only when it is imported itself.

=================  ==============================
``core.X``         forwards to
=================  ==============================
aggregations       :mod:`dataset_core.aggregations`
collections        :mod:`dataset_core.collection`
dataset            :mod:`dataset_core.dataset`
expressions        :mod:`dataset_core.expressions`
fields             :mod:`dataset_core.fields`
labels             :mod:`dataset_core.labels`
media              :mod:`dataset_core.media`
metadata           :mod:`dataset_core.metadata`
odm                :mod:`dataset_core.documents` and :mod:`dataset_core.odm`
sample             :mod:`dataset_core.sample` (and ``SampleView``)
stages             :mod:`dataset_core.stages`
storage            :mod:`dataset_core.storage`
view               :mod:`dataset_core.view`
=================  ==============================
"""

from __future__ import annotations

import importlib
from types import ModuleType

_ALIASES = frozenset({
    "aggregations", "collections", "dataset", "expressions", "fields", "labels", "media",
    "metadata", "odm", "sample", "stages", "storage", "view",
})  # fmt: skip


def __getattr__(name: str) -> ModuleType:
    """``dataset_core.core.labels`` as an attribute (FiftyOne's ``fo.core.labels``)."""
    if name in _ALIASES:
        return importlib.import_module(f"{__name__}.{name}")
    known = sorted(_ALIASES)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}; it has {known}")
