"""Aggregations that count, list or enumerate values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bson import ObjectId

from ..errors import ViewError
from ..values import from_mongo
from .base import Aggregation, check_leaf, may_be_list

if TYPE_CHECKING:
    from ..collection import SampleCollection


class Count(Aggregation):
    """The number of samples, or of samples whose ``field`` is not None.

    Args:
        field: count samples where this field (or path) is set; all when None.

    Example:
        >>> dataset.aggregate(Count("ground_truth"))
        9000
    """

    def __init__(self, field: str | None = None) -> None:
        if field is None:
            self._field = None  # type: ignore[assignment]
        else:
            super().__init__(field)

    def to_pipeline(self, collection: SampleCollection) -> list[dict[str, Any]]:
        if self._field is None:
            return [{"$count": "n"}]
        return [{"$match": {self._path(collection): {"$ne": None}}}, {"$count": "n"}]

    def parse_result(self, docs: list[dict[str, Any]]) -> int:
        return docs[0]["n"] if docs else 0


class CountValues(Aggregation):
    """Value -> number of occurrences; None counts samples where the value is unset.

    List fields count their elements (``"tags"``, ``"detections.detections.label"``).

    Example:
        >>> dataset.count_values("ground_truth.label")
        {'cat': 512, 'dog': 488}
    """

    def to_pipeline(self, collection: SampleCollection) -> list[dict[str, Any]]:
        path = self._path(collection)
        check_leaf(self, collection, path)
        # group first, unwind after: unwinding then runs over the few distinct
        # values (or tag lists) instead of over every sample
        steps: list[dict[str, Any]] = [{"$group": {"_id": "$" + path, "n": {"$sum": 1}}}]
        if may_be_list(collection, path):
            steps += _unwind_groups({"n": {"$sum": "$n"}})
        return steps + [{"$sort": {"_id": 1}}]  # a stable order: None, numbers, strings...

    def parse_result(self, docs: list[dict[str, Any]]) -> dict[Any, int]:
        counts: dict[Any, int] = {}
        for d in docs:
            key = _key(d.get("_id"), self)
            counts[key] = counts.get(key, 0) + d["n"]
        return counts


class Distinct(Aggregation):
    """The sorted distinct non-None values of a field (list fields: of their elements).

    Example:
        >>> dataset.distinct("tags")
        ['test', 'train']
    """

    def to_pipeline(self, collection: SampleCollection) -> list[dict[str, Any]]:
        path = self._path(collection)
        check_leaf(self, collection, path)
        steps: list[dict[str, Any]] = [{"$group": {"_id": "$" + path}}]
        if may_be_list(collection, path):
            steps += _unwind_groups({})
        return steps + [{"$match": {"_id": {"$ne": None}}}, {"$sort": {"_id": 1}}]

    def parse_result(self, docs: list[dict[str, Any]]) -> list[Any]:
        return [_key(d["_id"], self) for d in docs]


def _unwind_groups(accumulators: dict[str, Any]) -> list[dict[str, Any]]:
    """Re-group rows keyed by lists into rows keyed by their elements.

    A null key becomes ``[null]`` so unset values still count as None, while an
    empty list contributes nothing.
    """
    wrap = {"$cond": [{"$isArray": "$_id"}, "$_id", ["$_id"]]}
    return [
        {"$set": {"_id": wrap}},
        {"$unwind": "$_id"},
        {"$group": {"_id": "$_id", **accumulators}},
    ]


def _key(value: Any, agg: Aggregation) -> Any:
    if isinstance(value, ObjectId) and agg._field.split(".", 1)[0] == "id":
        return str(value)
    if isinstance(value, (dict, list)):
        raise ViewError(
            f"{agg!r} found document or list values at {agg.field!r}; pass a path to "
            "a value inside them, e.g. 'ground_truth.label'"
        )
    return value


class Values(Aggregation):
    """The value of a field for every sample, in order (as ``collection.values``).

    Top-level labels and arrays come back as objects, ``"id"`` as strings,
    values inside documents (dotted paths) as stored. Alone it streams; batched
    with others, its values share the ``$facet``'s one 16 MB result document.
    """

    def to_pipeline(self, collection: SampleCollection) -> list[dict[str, Any]]:
        if self._is_id():
            return [{"$project": {"_id": 1}}]
        return [{"$project": {"_id": 0, "v": "$" + self._path(collection)}}]

    def parse_result(self, docs: list[dict[str, Any]]) -> list[Any]:
        if self._field == "_id":
            return [d["_id"] for d in docs]
        if self._field == "id":
            return [str(d["_id"]) for d in docs]
        if "." in self._field:
            return [d.get("v") for d in docs]
        return [from_mongo(d.get("v")) for d in docs]
