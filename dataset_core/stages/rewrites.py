"""Stages that rewrite one field's value in the view: FilterField, LimitLabels, MapLabels.

The stored samples never change; each stage only changes what the view shows of
one field (and, with ``only_matches``, which samples it shows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ViewError
from ..expressions import ELEMENT_VAR, ViewExpression
from .base import Pipeline, ViewStage, check_count, check_flag, check_name, from_json_expr
from .labels import label_list_path, rebase
from .match_query import expr_to_query

if TYPE_CHECKING:
    from ..collection import SampleCollection
    from ..dataset import Dataset

#: the variable holding a label's position in MapLabels' key list
_INDEX_VAR = "dcmapidx"


class FilterField(ViewStage):
    """Show ``field`` only where ``filter`` is true of its value; elsewhere it is None.

    Inside ``filter``, ``F()`` is the field's value and ``F("label")`` one of its
    attributes (for an embedded document such as a ``Classification``);
    ``F("$name")`` is a field of the sample.

    Args:
        field: the field to filter (dotted for an embedded one).
        filter: a boolean expression over the field's value.
        only_matches: drop the samples whose value fails (or is None).

    Example:
        >>> dataset.filter_field("ground_truth", F("label") == "cat")
        >>> dataset.filter_field("uniqueness", F() > 0.5, only_matches=False)
    """

    __slots__ = ("_field", "_filter", "_only_matches")

    def __init__(self, field: str, filter: ViewExpression, only_matches: bool = True):
        self._field = check_name(field, "FilterField field")
        if not isinstance(filter, ViewExpression):
            raise ViewError(
                f"FilterField filter must be an F expression, e.g. F('label') == 'cat'; "
                f"got {filter!r:.80} ({type(filter).__name__})"
            )
        self._filter = filter
        self._only_matches = check_flag(only_matches, "FilterField only_matches")

    def _args(self) -> dict[str, Any]:
        return {"field": self._field, "filter": self._filter, "only_matches": self._only_matches}

    @classmethod
    def _decode(cls, kwargs: dict[str, Any]) -> dict[str, Any]:
        out = super()._decode({k: v for k, v in kwargs.items() if k != "filter"})
        return {**out, "filter": from_json_expr(kwargs["filter"])}

    def validate(self, collection: SampleCollection) -> None:
        collection._dataset._check_path(self._field)

    def hidden_label_fields(self, dataset: Dataset) -> tuple[str, ...]:
        return (self._field.split(".", 1)[0],)

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        path = dataset._check_path(self._field)
        value = f"${path}"
        keep = {"$and": [{"$gt": [value, None]}, rebase(self._filter.to_mongo(), f"{value}.")]}
        if self._only_matches:
            # a kept value is unchanged, so dropping the others is all there is to do
            return [{"$match": expr_to_query(keep, dataset)}]
        return [{"$addFields": {path: {"$cond": [keep, value, None]}}}]


def _list_label_path(dataset: Dataset, field: str, stage: str) -> tuple[str, str]:
    name, list_field = label_list_path(dataset, field)
    if list_field is None:
        raise ViewError(
            f"{stage} needs a label list field (Detections, Classifications, Polylines...); "
            f"{field!r} holds one label"
        )
    return name, list_field


class LimitLabels(ViewStage):
    """Show at most the first ``limit`` labels of a label list field.

    Args:
        field: a list label field (``Detections``, ``Classifications``...).
        limit: the most labels each sample shows; 0 shows none.

    Example:
        >>> dataset.sort_by("uniqueness").limit_labels("predictions", 5)
    """

    __slots__ = ("_field", "_limit")

    def __init__(self, field: str, limit: int):
        self._field = check_name(field, "LimitLabels field")
        self._limit = check_count(limit, "LimitLabels limit")

    def _args(self) -> dict[str, Any]:
        return {"field": self._field, "limit": self._limit}

    def validate(self, collection: SampleCollection) -> None:
        _list_label_path(collection._dataset, self._field, "LimitLabels")

    def hidden_label_fields(self, dataset: Dataset) -> tuple[str, ...]:
        return (self._field,)

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        name, list_field = _list_label_path(dataset, self._field, "LimitLabels")
        items = {"$ifNull": [f"${name}.{list_field}", []]}
        limited = {"$mergeObjects": [f"${name}", {list_field: {"$slice": [items, self._limit]}}]}
        # a sample without the field keeps it unset or None, as stored
        return [{"$addFields": {name: {"$cond": [{"$gt": [f"${name}", None]}, limited,
                                                 f"${name}"]}}}]  # fmt: skip


class MapLabels(ViewStage):
    """Show the ``label`` of each label of ``field`` renamed by ``map``; labels not
    in ``map`` are shown as they are.

    Args:
        field: a label field, single (``Classification``) or a list (``Detections``).
        map: old label -> new label, both str.

    Example:
        >>> dataset.map_labels("ground_truth", {"cat": "animal", "dog": "animal"})
    """

    __slots__ = ("_field", "_map")

    def __init__(self, field: str, map: dict[str, str]):
        self._field = check_name(field, "MapLabels field")
        if not isinstance(map, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in map.items()
        ):
            raise ViewError(f"MapLabels map must be a dict of str to str; got {map!r:.80}")
        self._map = dict(map)

    def _args(self) -> dict[str, Any]:
        return {"field": self._field, "map": self._map}

    def validate(self, collection: SampleCollection) -> None:
        label_list_path(collection._dataset, self._field)

    def _mapped(self, label: str) -> Any:
        """The expression: the label at path ``label``, renamed if ``map`` has it."""
        keys, values = list(self._map), list(self._map.values())
        index = {"$indexOfArray": [{"$literal": keys}, label]}
        found = {"$arrayElemAt": [{"$literal": values}, f"$${_INDEX_VAR}"]}
        renamed = {"$cond": [{"$gte": [f"$${_INDEX_VAR}", 0]}, found, label]}
        return {"$let": {"vars": {_INDEX_VAR: index}, "in": renamed}}

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        name, list_field = label_list_path(dataset, self._field)
        if not self._map:
            return []
        present = {"$gt": [f"${name}", None]}
        if list_field is None:
            new = {"$mergeObjects": [f"${name}", {"label": self._mapped(f"${name}.label")}]}
        else:
            this = f"$${ELEMENT_VAR}"
            one = {"$mergeObjects": [this, {"label": self._mapped(f"{this}.label")}]}
            items = {"$ifNull": [f"${name}.{list_field}", []]}
            mapped = {"$map": {"input": items, "as": ELEMENT_VAR, "in": one}}
            new = {"$mergeObjects": [f"${name}", {list_field: mapped}]}
        return [{"$addFields": {name: {"$cond": [present, new, f"${name}"]}}}]
