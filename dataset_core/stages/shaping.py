"""Stages that reshape samples: SelectFields, ExcludeFields, and raw Mongo steps."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..errors import ViewError
from ..fields import DEFAULT_FIELDS
from .base import Pipeline, ViewStage, check_names, plain
from .untrusted import check_no_writes

if TYPE_CHECKING:
    from ..collection import SampleCollection
    from ..dataset import Dataset
    from ..fields import Field

#: fields every projection keeps: the defaults, and ``_rand`` for take/shuffle
_KEPT_FIELDS = tuple(f for f in DEFAULT_FIELDS if f != "id") + ("_rand",)


def _extra_defaults(dataset: Dataset) -> tuple[str, ...]:
    """The fields a generated dataset's samples always have beyond the defaults
    (a patch's ``sample_id`` and its stored ``_sample_id``)."""
    return getattr(dataset, "extra_default_fields", ())


class _FieldsStage(ViewStage):
    """What SelectFields and ExcludeFields share: a list of field names to check."""

    __slots__ = ("_names",)

    def __init__(self, field_names: Any):
        names = [] if field_names is None else field_names
        self._names = check_names(names, f"{type(self).__name__} field_names", allow_empty=True)

    def _args(self) -> dict[str, Any]:
        return {"field_names": list(self._names)}

    def validate(self, collection: SampleCollection) -> None:
        for name in self._names:
            collection._dataset._check_path(name)

    def partial_fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n.split(".", 1)[0] for n in self._names if "." in n))


class SelectFields(_FieldsStage):
    """Keep only the given fields (and the default ones) on each sample.

    Example:
        >>> dataset.select_fields(["ground_truth", "uniqueness"])
    """

    __slots__ = ()

    def __init__(self, field_names: str | Iterable[str] | None = None):
        super().__init__(field_names)

    def field_schema(self, schema: dict[str, Field], dataset: Dataset) -> dict[str, Field]:
        tops = {n.split(".", 1)[0] for n in self._names}
        tops |= set(DEFAULT_FIELDS) | set(_extra_defaults(dataset))
        return {k: f for k, f in schema.items() if k in tops}

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        kept = _KEPT_FIELDS + _extra_defaults(dataset)
        paths = {dataset._check_path(n) for n in self._names}
        paths = {p for p in paths if p.split(".", 1)[0] not in kept + ("_id",)}
        # a path inside another kept path would be a "path collision" in $project
        paths = {p for p in paths if not any(p.startswith(q + ".") for q in paths)}
        return [{"$project": dict.fromkeys([*kept, *sorted(paths)], 1)}]


class ExcludeFields(_FieldsStage):
    """Leave the given fields out of each sample; default fields cannot be excluded.

    Example:
        >>> dataset.exclude_fields("embedding")
    """

    __slots__ = ()

    def __init__(self, field_names: str | Iterable[str]):
        super().__init__(field_names)
        defaults = [n for n in self._names if n.split(".", 1)[0] in DEFAULT_FIELDS + ("_id",)]
        if defaults or not self._names:
            raise ViewError(
                f"ExcludeFields needs user fields to exclude; got {list(self._names)}, "
                f"and default fields {list(DEFAULT_FIELDS)} are always kept"
            )

    def validate(self, collection: SampleCollection) -> None:
        super().validate(collection)
        extra = _extra_defaults(collection._dataset)
        kept = [n for n in self._names if n.split(".", 1)[0] in extra]
        if kept:
            raise ViewError(
                f"ExcludeFields cannot exclude {kept}: {list(DEFAULT_FIELDS + extra)} are "
                "always kept here"
            )

    def field_schema(self, schema: dict[str, Field], dataset: Dataset) -> dict[str, Field]:
        return {k: f for k, f in schema.items() if k not in self._names}  # dotted: partly kept

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        return [{"$unset": sorted({dataset._check_path(n) for n in self._names})}]


class Mongo(ViewStage):
    """Raw aggregation steps, the escape hatch for what no stage does.

    Args:
        pipeline: a list of steps, each a dict with one ``$`` key.

    Example:
        >>> dataset.mongo([{"$match": {"metadata.width": {"$gte": 1024}}}])
    """

    __slots__ = ("_pipeline",)

    def __init__(self, pipeline: list[dict[str, Any]]):
        if isinstance(pipeline, dict):
            pipeline = [pipeline]
        if not isinstance(pipeline, (list, tuple)):
            raise ViewError(f"Mongo takes a list of aggregation steps; got {pipeline!r:.80}")
        for i, step in enumerate(pipeline):
            if not (isinstance(step, dict) and len(step) == 1 and str(next(iter(step)))[:1] == "$"):
                raise ViewError(
                    f"Mongo pipeline[{i}] must be a dict with one '$' key, like "
                    f"{{'$match': {{...}}}}; got {step!r:.80}"
                )
        self._pipeline = plain(list(pipeline), "Mongo pipeline")
        check_no_writes(self._pipeline, "The Mongo stage")

    def _args(self) -> dict[str, Any]:
        return {"pipeline": self._pipeline}

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        return copy.deepcopy(self._pipeline)
