"""Aggregations that count or enumerate values: Count, CountValues, Distinct.

Lists on the way to the value are unwound, as in FiftyOne: ``Count("tags")``
counts tags, ``CountValues("gt.detections.label")`` counts detections by label.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ViewError
from .base import Aggregation, check_leaf
from .paths import FieldPath

if TYPE_CHECKING:
    from ..collection import SampleCollection

#: the values ``safe=True`` leaves out
NON_FINITE = [float("nan"), float("inf"), float("-inf")]


class _Safe(Aggregation):
    """An aggregation with FiftyOne's ``safe`` flag: leave out nan and inf values."""

    def __init__(self, field: Any, expr: Any = None, safe: bool = False) -> None:
        super().__init__(field, expr)
        self._safe = bool(safe)

    def _kwargs(self) -> dict[str, Any]:
        return {"field": self._field, **self._expr_kwargs(), "safe": self._safe}

    def _values(
        self, collection: SampleCollection, leaf_wrap: bool = True
    ) -> tuple[FieldPath, list[dict[str, Any]], str]:
        fp = self._resolve(collection)
        steps, expr = fp.unwind_steps(leaf_wrap)
        if self._safe:
            steps = steps + [{"$match": {expr[1:]: {"$nin": NON_FINITE}}}]
        return fp, steps, expr


class Count(_Safe):
    """The number of samples, or of the non-None values of ``field``.

    Values inside lists count one by one: ``Count("tags")`` is the number of
    tags, ``Count("gt.detections")`` the number of detections.

    Args:
        field: the field or path (or expression) to count; all samples when None.
        expr: an expression applied to each value before counting.
        safe: leave out nan and inf values.

    Example:
        >>> dataset.aggregate(Count("ground_truth"))
        9000
    """

    def __init__(self, field: Any = None, expr: Any = None, safe: bool = False) -> None:
        if field is None:
            self._field, self._expr, self._safe = None, None, bool(safe)
        else:
            super().__init__(field, expr, safe=safe)

    def to_pipeline(self, collection: SampleCollection) -> list[dict[str, Any]]:
        if self._field is None:
            return [{"$count": "n"}]
        _, steps, expr = self._values(collection, leaf_wrap=True)
        return steps + [{"$match": {expr[1:]: {"$ne": None}}}, {"$count": "n"}]

    def parse_result(self, docs: list[dict[str, Any]]) -> int:
        return docs[0]["n"] if docs else 0


class CountValues(_Safe):
    """Value -> number of occurrences; None counts the values that are unset.

    List fields count their elements (``"tags"``, ``"gt.detections.label"``).

    Example:
        >>> dataset.count_values("ground_truth.label")
        {'cat': 512, 'dog': 488}
    """

    def to_pipeline(self, collection: SampleCollection) -> list[dict[str, Any]]:
        fp = self._resolve(collection)
        check_leaf(self, fp)
        if fp.is_whole_list and not self._safe:
            # group first, unwind after: unwinding then runs over the few
            # distinct lists (of tags, say) instead of over every sample
            steps: list[dict[str, Any]] = [{"$group": {"_id": "$" + fp.path, "n": {"$sum": 1}}}]
            steps += _unwind_groups({"n": {"$sum": "$n"}})
        else:
            _, steps, expr = self._values(collection)
            steps = steps + [{"$group": {"_id": expr, "n": {"$sum": 1}}}]
        return steps + [{"$sort": {"_id": 1}}]  # a stable order: None, numbers, strings...

    def parse_result(self, docs: list[dict[str, Any]]) -> dict[Any, int]:
        counts: dict[Any, int] = {}
        for d in docs:
            key = _key(self._convert(d.get("_id")), self)
            counts[key] = counts.get(key, 0) + d["n"]
        return counts


class Distinct(_Safe):
    """The sorted distinct non-None values of a field (list fields: of their elements).

    Example:
        >>> dataset.distinct("tags")
        ['test', 'train']
    """

    def to_pipeline(self, collection: SampleCollection) -> list[dict[str, Any]]:
        fp = self._resolve(collection)
        check_leaf(self, fp)
        if fp.is_whole_list and not self._safe:
            steps: list[dict[str, Any]] = [{"$group": {"_id": "$" + fp.path}}]
            steps += _unwind_groups({})
        else:
            _, steps, expr = self._values(collection)
            steps = steps + [{"$group": {"_id": expr}}]
        return steps + [{"$match": {"_id": {"$ne": None}}}, {"$sort": {"_id": 1}}]

    def parse_result(self, docs: list[dict[str, Any]]) -> list[Any]:
        return [_key(self._convert(d["_id"]), self) for d in docs]


def _unwind_groups(accumulators: dict[str, Any]) -> list[dict[str, Any]]:
    """Re-group rows keyed by lists into rows keyed by their elements.

    A null key (no list) contributes nothing, as an empty list does.
    """
    return [
        {"$unwind": "$_id"},
        {"$group": {"_id": "$_id", **accumulators}},
    ]


def _key(value: Any, agg: Aggregation) -> Any:
    if isinstance(value, (dict, list)):
        raise ViewError(
            f"{agg!r} found document or list values at {agg.field!r}; pass a path to "
            "a value inside them, e.g. 'ground_truth.label'"
        )
    return value
