"""Values: the value of a field for every sample, lists kept or unwound."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ViewError
from .base import Aggregation
from .paths import FieldPath

if TYPE_CHECKING:
    from ..collection import SampleCollection


class Values(Aggregation):
    """The value of a field for every sample, in order (as ``collection.values``).

    A path into lists keeps them per sample: ``Values("gt.detections.label")``
    gives one list of labels per sample (None where the sample has no
    detections, ``missing_value`` where a detection has no label).
    ``unwind=True`` flattens every list level into one list of values;
    ``unwind=-1`` flattens them within each sample; FiftyOne's ``[]``
    (``"gt.detections[].label"``) flattens the level it marks. Labels come back
    as objects, ids (``"id"``, ``"gt.detections.id"``) as strings, a
    ``DateField``'s values as dates. Alone it streams; batched with others, its
    values share the ``$facet``'s one 16 MB result document.

    Args:
        field: the field or path, or an expression of each sample.
        expr: an expression applied to each value (``F()``), e.g. ``F().strlen()``.
        missing_value: what stands for an unset value (None by default).
        unwind: flatten list levels: True for all, -1 for all within each sample.

    Example:
        >>> dataset.values("gt.detections.label")
        [['cat', 'dog'], [], None]
    """

    def __init__(self, field: Any, expr: Any = None, missing_value: Any = None,
                 unwind: bool | int = False, _allow_missing: bool = False) -> None:  # fmt: skip
        super().__init__(field, expr)
        if unwind not in (True, False, -1):
            raise ViewError(f"unwind is True, False or -1; got {unwind!r}")
        self._missing = missing_value
        self._unwind: bool | int = -1 if unwind is not True and unwind == -1 else bool(unwind)

    def _kwargs(self) -> dict[str, Any]:
        return {"field": self._field, **self._expr_kwargs(), "missing_value": self._missing,
                "unwind": self._unwind}  # fmt: skip

    def _flags(self, fp: FieldPath) -> tuple[bool, ...]:
        if self._unwind is True:
            return (True,) * len(fp.hops)
        if self._unwind == -1:
            return fp.flags[:1] + (True,) * (len(fp.hops) - 1)
        return fp.flags

    def to_pipeline(self, collection: SampleCollection) -> list[dict[str, Any]]:
        fp = self._resolve(collection)
        if fp.path == "_id" and not fp.computed:
            return [{"$project": {"_id": 1}}]
        flags = self._flags(fp)
        if flags and all(flags):  # one row per value: unwound by the server
            steps, expr = fp.unwind_steps(leaf_wrap=False)
            value: Any = expr
            if self._missing is not None:
                value = {"$ifNull": [expr, {"$literal": self._missing}]}
            return steps + [{"$project": {"_id": 0, "v": value}}]
        return [{"$project": {"_id": 0, "v": fp.nested_expr(self._missing)}}]

    def parse_result(self, docs: list[dict[str, Any]]) -> list[Any]:
        fp: FieldPath = self._fp
        if fp.path == "_id" and not fp.computed:
            return [str(d["_id"]) if fp.is_id else d["_id"] for d in docs]
        flags = self._flags(fp)
        if flags and all(flags):
            values = [d.get("v") for d in docs]
            return [fp.convert(v) for v in values] if fp.needs_convert else values
        depth = len(fp.hops)
        values = [d.get("v") for d in docs]
        if fp.needs_convert:
            values = [_convert(v, depth, fp) for v in values]
        if any(flags):
            values = _flatten(values, flags)
        return values


def _convert(value: Any, depth: int, fp: FieldPath) -> Any:
    if depth == 0 or type(value) is not list:
        return fp.convert(value)
    return [_convert(v, depth - 1, fp) for v in value]


def _flatten(values: list[Any], flags: tuple[bool, ...]) -> list[Any]:
    """Merge each list level marked in ``flags`` into the level above it
    (the first into the list of samples); a None list contributes nothing."""
    rest = flags[1:]
    items = [_shape(v, rest) for v in values]
    if not flags[0]:
        return items
    out: list[Any] = []
    for v in items:
        if type(v) is list:
            out.extend(v)
    return out


def _shape(value: Any, flags: tuple[bool, ...]) -> Any:
    if not flags or type(value) is not list:
        return value
    return _flatten(value, flags)
