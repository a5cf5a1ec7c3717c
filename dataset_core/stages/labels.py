"""Stages over the labels inside label fields: FilterLabels, SelectLabels,
ExcludeLabels, MatchLabels.

A label field holds one label (``Classification``, ``Detection``...) or a list
type whose labels sit in one attribute (``Detections.detections``). Filtering a
single label sets it to None; filtering a list keeps the labels that pass.
Conditions on a label are aggregation expressions whose field paths are
relative to the label (``F("confidence") > 0.9``); :func:`rebase` anchors them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from bson.errors import InvalidId

from ..errors import ViewError
from ..expressions import ELEMENT_VAR, ViewExpression
from ..labels import LABEL_CLASSES, Label, list_field_of
from ..schema import resolve_path
from .base import Pipeline, ViewStage, check_flag, check_name, check_names, from_json_expr, plain
from .match_query import expr_to_query

if TYPE_CHECKING:
    from ..collection import SampleCollection
    from ..dataset import Dataset

#: label condition builder: the label's path prefix (``"$gt."``) -> an expression
CondOf = Callable[[str], Any]


# -- label fields of a dataset ------------------------------------------------------


def label_fields(dataset: Dataset) -> list[str]:
    """The dataset's label fields (those whose labels have ids), in schema order.

    Labels inside embedded documents count too, by their dotted paths
    (``"dynamic.classification"``); labels inside labels or lists do not.
    """
    return _label_paths(dataset._schema, "")


def _label_paths(schema: dict[str, Any], prefix: str) -> list[str]:
    out = []
    for name, f in schema.items():
        if f.ftype != "embedded":
            continue
        if f.document_type in LABEL_CLASSES:
            out.append(prefix + name)
        elif getattr(f.document_type, "__name__", f.document_type) not in Label._registry:
            out += _label_paths(f.get_field_schema(), f"{prefix}{name}.")
    return out


def label_list_path(dataset: Dataset, field: str) -> tuple[str, str | None]:
    """``(field, list attribute or None)`` of a label field, or a ViewError naming them."""
    dataset._check_path(field)
    if "." in field:  # a label inside an embedded document
        f = resolve_path(dataset._schema, field) if field in label_fields(dataset) else None
    else:
        f = dataset._schema.get(field)
    if f is None or f.ftype != "embedded" or f.document_type not in LABEL_CLASSES:
        raise ViewError(
            f"{field!r} is {f}, not a label field; label fields: {label_fields(dataset)}"
        )
    return field, list_field_of(f.document_type)


def _fields_arg(fields: Any, what: str) -> tuple[str, ...] | None:
    return None if fields is None else check_names(fields, what, allow_empty=True)


def _ids_arg(ids: Any, what: str) -> tuple[str, ...] | None:
    """Label ids (str, ObjectId, or labels) as sorted unique strings; None stays None."""
    if ids is None:
        return None
    if isinstance(ids, (str, ObjectId)) or hasattr(ids, "_id"):
        ids = [ids]
    if not isinstance(ids, Iterable) or isinstance(ids, (bytes, dict)):
        raise ViewError(f"{what} takes label ids; got {ids!r:.80}")
    out = set()
    for v in ids:
        v = getattr(v, "_id", v)
        try:
            out.add(str(ObjectId(v)))
        except (InvalidId, TypeError):
            raise ViewError(f"{what}: {v!r:.60} is not a label id (24 hex characters)") from None
    return tuple(sorted(out))


def _labels_arg(labels: Any, what: str) -> tuple[dict[str, str], ...] | None:
    """``[{"sample_id", "field", "label_id"}, ...]`` checked, as plain strings."""
    if labels is None:
        return None
    if isinstance(labels, dict):
        labels = [labels]
    out = []
    for d in labels:
        if not isinstance(d, dict) or not {"sample_id", "field", "label_id"} <= set(d):
            raise ViewError(
                f"{what} takes dicts with 'sample_id', 'field' and 'label_id'; got {d!r:.120}"
            )
        out.append({"sample_id": str(d["sample_id"]), "field": check_name(d["field"], what),
                    "label_id": str(d["label_id"])})  # fmt: skip
    return tuple(out)


# -- conditions and steps --------------------------------------------------------


def rebase(form: Any, prefix: str) -> Any:
    """Make a compiled expression's field paths relative to ``prefix`` (a label)."""
    if isinstance(form, str):
        if form == "$$CURRENT":
            return prefix.rstrip(".")
        if form.startswith("$") and not form.startswith("$$"):
            return prefix + form[1:]
        return form
    if isinstance(form, list):
        return [rebase(v, prefix) for v in form]
    if isinstance(form, dict):
        return {k: v if k == "$literal" else rebase(v, prefix) for k, v in form.items()}
    return form


def label_cond(ids: Iterable[str] | None = None, tags: Iterable[str] | None = None,
               form: Any = None) -> CondOf:  # fmt: skip
    """The condition "this label has one of ``ids``, one of ``tags``, and passes ``form``"."""
    oids = None if ids is None else [ObjectId(i) for i in ids]
    tag_list = None if tags is None else list(tags)

    def cond(prefix: str) -> Any:
        parts: list[Any] = []
        if oids is not None:
            parts.append({"$in": [prefix + "_id", {"$literal": oids}]})
        if tag_list is not None:
            mine = {"$ifNull": [prefix + "tags", []]}
            both = {"$setIntersection": [mine, {"$literal": tag_list}]}
            parts.append({"$gt": [{"$size": both}, 0]})
        if form is not None:
            parts.append(rebase(form, prefix))
        return parts[0] if len(parts) == 1 else {"$and": parts or [True]}

    return cond


def negate(cond: CondOf) -> CondOf:
    """The opposite condition."""
    return lambda prefix: {"$not": [cond(prefix)]}


def filter_steps(name: str, list_field: str | None, cond: CondOf) -> Pipeline:
    """Steps that keep only the labels of ``name`` passing ``cond``."""
    present = {"$gt": [f"${name}", None]}
    if list_field is None:
        keep = {"$and": [present, cond(f"${name}.")]}
        return [{"$addFields": {name: {"$cond": [keep, f"${name}", None]}}}]
    items = {"$ifNull": [f"${name}.{list_field}", []]}
    kept = {"$filter": {"input": items, "as": ELEMENT_VAR, "cond": cond(f"$${ELEMENT_VAR}.")}}
    merged = {"$mergeObjects": [f"${name}", {list_field: kept}]}
    return [{"$addFields": {name: {"$cond": [present, merged, None]}}}]


def nonempty_query(name: str, list_field: str | None) -> dict[str, Any]:
    """A query for the samples whose label field has a label (after filtering)."""
    if list_field is None:
        return {name: {"$ne": None}}
    return {f"{name}.{list_field}.0": {"$exists": True}}


def any_label_expr(name: str, list_field: str | None, cond: CondOf) -> Any:
    """An expression: some label of ``name`` passes ``cond``."""
    if list_field is None:
        return {"$and": [{"$gt": [f"${name}", None]}, cond(f"${name}.")]}
    items = {"$ifNull": [f"${name}.{list_field}", []]}
    passing = {"$filter": {"input": items, "as": ELEMENT_VAR, "cond": cond(f"$${ELEMENT_VAR}.")}}
    return {"$gt": [{"$size": passing}, 0]}


def _any_of(queries: list[dict[str, Any]]) -> dict[str, Any]:
    return queries[0] if len(queries) == 1 else {"$or": queries}


def _filter_form(filter: Any, what: str) -> ViewExpression | None:
    if filter is None or isinstance(filter, ViewExpression):
        return filter
    if isinstance(filter, dict):
        return ViewExpression(plain(filter, what))
    raise ViewError(f"{what} must be an F expression or a dict; got {filter!r:.80}")


# -- the stages -------------------------------------------------------------------


class FilterLabels(ViewStage):
    """Keep only the labels of ``field`` for which ``filter`` is true.

    Inside ``filter``, ``F("label")`` is an attribute of the label (of each
    detection of a ``Detections`` field). A single label that fails becomes
    None; a list type keeps the labels that pass.

    Args:
        field: a label field (``Classification``, ``Detections``, ``Polylines``...).
        filter: a boolean expression over the label's attributes.
        only_matches: drop the samples left with no matching label.
        trajectories: video only; must be False.

    Example:
        >>> dataset.filter_labels("predictions", F("confidence") > 0.9)
    """

    __slots__ = ("_field", "_filter", "_only_matches")

    def __init__(self, field: str, filter: ViewExpression | dict[str, Any],
                 only_matches: bool = True, trajectories: bool = False):  # fmt: skip
        self._field = check_name(field, "FilterLabels field")
        form = _filter_form(filter, "FilterLabels filter")
        if form is None:
            raise ViewError("FilterLabels filter must be an F expression; got None")
        self._filter = form
        self._only_matches = check_flag(only_matches, "FilterLabels only_matches")
        if check_flag(trajectories, "FilterLabels trajectories"):
            raise ViewError("FilterLabels trajectories=True is for videos; these are images")

    def _args(self) -> dict[str, Any]:
        return {"field": self._field, "filter": self._filter, "only_matches": self._only_matches,
                "trajectories": False}  # fmt: skip

    @classmethod
    def _decode(cls, kwargs: dict[str, Any]) -> dict[str, Any]:
        out = super()._decode({k: v for k, v in kwargs.items() if k != "filter"})
        return {**out, "filter": from_json_expr(kwargs["filter"])}

    def validate(self, collection: SampleCollection) -> None:
        label_list_path(collection._dataset, self._field)

    def hidden_label_fields(self, dataset: Dataset) -> tuple[str, ...]:
        return (self._field,)

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        name, list_field = label_list_path(dataset, self._field)
        cond = label_cond(form=self._filter.to_mongo())
        if list_field is None and self._only_matches:
            # a kept label is unchanged: filtering the samples suffices, through indexes
            return [{"$match": expr_to_query(any_label_expr(name, None, cond), dataset)}]
        steps = filter_steps(name, list_field, cond)
        if self._only_matches:
            steps.append({"$match": nonempty_query(name, list_field)})
        return steps


class _LabelsStage(ViewStage):
    """What SelectLabels and ExcludeLabels share: which labels, in which fields."""

    __slots__ = ("_labels", "_ids", "_tags", "_fields", "_omit_empty")

    def __init__(self, labels: Any = None, ids: Any = None, tags: Any = None,
                 fields: Any = None, omit_empty: bool = True):  # fmt: skip
        stage = type(self).__name__
        self._labels = _labels_arg(labels, f"{stage} labels")
        self._ids = _ids_arg(ids, f"{stage} ids")
        self._tags = None if tags is None else check_names(tags, f"{stage} tags", True)
        self._fields = _fields_arg(fields, f"{stage} fields")
        self._omit_empty = check_flag(omit_empty, f"{stage} omit_empty")

    def _args(self) -> dict[str, Any]:
        return {"labels": None if self._labels is None else [dict(d) for d in self._labels],
                "ids": None if self._ids is None else list(self._ids),
                "tags": None if self._tags is None else list(self._tags),
                "fields": None if self._fields is None else list(self._fields),
                "omit_empty": self._omit_empty}  # fmt: skip

    def _field_names(self, dataset: Dataset) -> list[str]:
        if self._labels is not None:
            names = list(dict.fromkeys(d["field"] for d in self._labels))
            if self._fields is not None:
                names = [n for n in names if n in self._fields]
            return names
        return list(self._fields) if self._fields is not None else label_fields(dataset)

    def validate(self, collection: SampleCollection) -> None:
        for name in self._field_names(collection._dataset):
            label_list_path(collection._dataset, name)

    def _ids_by_field(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for d in self._labels or ():
            out.setdefault(d["field"], []).append(d["label_id"])
        return out

    def _omit_empty_step(self, fields: list[tuple[str, str | None]]) -> Pipeline:
        if not self._omit_empty:
            return []
        if not fields:
            return [{"$match": {"_id": {"$in": []}}}]
        return [{"$match": _any_of([nonempty_query(n, lf) for n, lf in fields])}]


class SelectLabels(_LabelsStage):
    """Keep only the given labels; other label fields are left out of the samples.

    Select by ``ids`` and/or ``tags`` (both must hold), optionally within
    ``fields``, or by ``labels``: dicts ``{"sample_id", "field", "label_id"}``
    (what the app's selection holds).

    Args:
        labels: a list of label dicts.
        ids: a label id or a list of them.
        tags: a label tag or a list of them.
        fields: the label fields to select from (default: all).
        omit_empty: drop the samples left without any selected label.

    Example:
        >>> dataset.select_labels(tags="mistake", fields="ground_truth")
    """

    __slots__ = ()

    def __init__(self, labels: Any = None, ids: Any = None, tags: Any = None,
                 fields: Any = None, omit_empty: bool = True):  # fmt: skip
        super().__init__(labels, ids, tags, fields, omit_empty)

    def hidden_label_fields(self, dataset: Dataset) -> tuple[str, ...]:
        names = self._field_names(dataset)
        filtered = self._labels is not None or self._ids is not None or self._tags is not None
        return tuple(n for n in label_fields(dataset) if n not in names or filtered)

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        names = self._field_names(dataset)
        fields = [label_list_path(dataset, n) for n in names]
        steps: Pipeline = []
        if self._labels is not None:
            sample_ids = sorted({ObjectId(d["sample_id"]) for d in self._labels})
            steps.append({"$match": {"_id": {"$in": sample_ids}}})
        others = [n for n in label_fields(dataset) if n not in names]
        if others:
            steps.append({"$unset": others})
        by_field = self._ids_by_field()
        for name, list_field in fields:
            if self._labels is not None:
                cond = label_cond(by_field[name], self._tags)
            elif self._ids is None and self._tags is None:
                continue  # every label of a selected field stays
            else:
                cond = label_cond(self._ids, self._tags)
            steps += filter_steps(name, list_field, cond)
        return steps + self._omit_empty_step(fields)


class ExcludeLabels(_LabelsStage):
    """Leave out the given labels (by ``ids``, ``tags`` or ``labels`` dicts, as in
    :class:`SelectLabels`), optionally only from ``fields``.

    Args:
        omit_empty: drop the samples left without any label in those fields.

    Example:
        >>> dataset.exclude_labels(tags="duplicate")
    """

    __slots__ = ()

    def __init__(self, labels: Any = None, ids: Any = None, tags: Any = None,
                 fields: Any = None, omit_empty: bool = True):  # fmt: skip
        super().__init__(labels, ids, tags, fields, omit_empty)

    def hidden_label_fields(self, dataset: Dataset) -> tuple[str, ...]:
        return tuple(self._field_names(dataset))

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        fields = [label_list_path(dataset, n) for n in self._field_names(dataset)]
        by_field = self._ids_by_field()
        steps: Pipeline = []
        for name, list_field in fields:
            if self._labels is not None:
                cond = label_cond(by_field[name], self._tags)
            elif self._ids is None and self._tags is None:
                cond = label_cond()  # every label goes
            else:
                cond = label_cond(self._ids, self._tags)
            steps += filter_steps(name, list_field, negate(cond))
        return steps + self._omit_empty_step(fields)


class MatchLabels(ViewStage):
    """Keep the samples that have a label matching every criterion given.

    Args:
        labels: label dicts ``{"sample_id", "field", "label_id"}``.
        ids: a label id or a list of them.
        tags: a label tag or a list of them (any of them).
        filter: a boolean expression over a label's attributes.
        fields: the label fields to look in (default: all).
        bool: False keeps the samples with *no* such label instead.

    Example:
        >>> dataset.match_labels(filter=F("confidence") > 0.9, fields="predictions")
    """

    __slots__ = ("_labels", "_ids", "_tags", "_filter", "_fields", "_bool")

    def __init__(self, labels: Any = None, ids: Any = None, tags: Any = None,
                 filter: Any = None, fields: Any = None, bool: Any = None):  # fmt: skip
        self._labels = _labels_arg(labels, "MatchLabels labels")
        self._ids = _ids_arg(ids, "MatchLabels ids")
        self._tags = None if tags is None else check_names(tags, "MatchLabels tags", True)
        self._filter = _filter_form(filter, "MatchLabels filter")
        self._fields = _fields_arg(fields, "MatchLabels fields")
        self._bool = True if bool is None else check_flag(bool, "MatchLabels bool")

    def _args(self) -> dict[str, Any]:
        return {"labels": None if self._labels is None else [dict(d) for d in self._labels],
                "ids": None if self._ids is None else list(self._ids),
                "tags": None if self._tags is None else list(self._tags),
                "filter": self._filter,
                "fields": None if self._fields is None else list(self._fields),
                "bool": self._bool}  # fmt: skip

    @classmethod
    def _decode(cls, kwargs: dict[str, Any]) -> dict[str, Any]:
        out = super()._decode({k: v for k, v in kwargs.items() if k != "filter"})
        return {**out, "filter": from_json_expr(kwargs.get("filter"))}

    def _criteria(self, dataset: Dataset) -> list[tuple[str, list[str] | None]]:
        """``(field, label ids or None)`` to look in."""
        if self._labels is not None:
            by_field: dict[str, list[str]] = {}
            for d in self._labels:
                by_field.setdefault(d["field"], []).append(d["label_id"])
            if self._ids is not None:
                wanted = set(self._ids)
                by_field = {f: [i for i in ids if i in wanted] for f, ids in by_field.items()}
            if self._fields is not None:
                by_field = {f: ids for f, ids in by_field.items() if f in self._fields}
            return list(by_field.items())
        names = list(self._fields) if self._fields is not None else label_fields(dataset)
        return [(n, None if self._ids is None else list(self._ids)) for n in names]

    def validate(self, collection: SampleCollection) -> None:
        for name, _ in self._criteria(collection._dataset):
            label_list_path(collection._dataset, name)

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        parts: list[dict[str, Any]] = []
        for name, ids in self._criteria(dataset):
            _, list_field = label_list_path(dataset, name)
            if self._filter is None:
                parts.append(self._query(name, list_field, ids))
            else:
                cond = label_cond(ids, self._tags, self._filter.to_mongo())
                parts.append({"$expr": any_label_expr(name, list_field, cond)})
        if not parts:
            return [] if not self._bool else [{"$match": {"_id": {"$in": []}}}]
        query = _any_of(parts)
        return [{"$match": query if self._bool else {"$nor": [query]}}]

    def _query(self, name: str, list_field: str | None, ids: list[str] | None) -> dict[str, Any]:
        """The index-friendly query form of ids/tags criteria."""
        crit: dict[str, Any] = {}
        if ids is not None:
            crit["_id"] = {"$in": [ObjectId(i) for i in ids]}
        if self._tags is not None:
            crit["tags"] = {"$in": list(self._tags)}
        if list_field is None:
            if not crit:
                return {name: {"$ne": None}}
            return {f"{name}.{k}": v for k, v in crit.items()}
        if not crit:
            return {f"{name}.{list_field}.0": {"$exists": True}}
        return {f"{name}.{list_field}": {"$elemMatch": crit}}
