"""Operations on the labels inside label fields, for datasets and views.

:class:`LabelsMixin` gives every collection the label-level view stages
(``select_labels``, ``exclude_labels``, ``match_labels``) and the label-level
writes (``tag_labels``, ``untag_labels``, ``set_label_values``) and reads
(``count_label_tags``, ``get_label_fields``). Writes through a view touch only
the labels the view shows: their ids are read from the view first, then each
sample is updated by ``_id`` with an array filter on the label ids, so label
ids need no index. On a whole dataset, one ``update_many`` per field does it.

:func:`delete_labels` is the dataset's ``delete_labels``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
from bson import ObjectId
from pymongo import UpdateOne

from .db import translate_errors
from .errors import ViewError
from .fields import to_mongo
from .labels import encode, label_from_dict
from .sample import utcnow
from .stages.base import check_names
from .stages.labels import (
    ExcludeLabels,
    MatchLabels,
    SelectLabels,
    label_fields,
    label_list_path,
)
from .stages.rewrites import LimitLabels, MapLabels

if TYPE_CHECKING:
    from .collection import SampleCollection
    from .dataset import Dataset
    from .view import DatasetView

#: updates per bulk_write round trip
BULK_BATCH = 10_000
#: the array-filter variable naming one label in update paths
_LABEL = "dclabel"


class LabelsMixin:
    """Label-level stages and operations of :class:`SampleCollection`."""

    if TYPE_CHECKING:  # provided by SampleCollection

        @property
        def _dataset(self) -> Dataset: ...

        def _add_stage(self, stage: Any) -> DatasetView: ...

        def _aggregate(self, extra: Any = None) -> Iterator[dict[str, Any]]: ...

    # -- stages -----------------------------------------------------------------

    def select_labels(self, labels: Any = None, ids: Any = None, tags: Any = None,
                      fields: Any = None, omit_empty: bool = True) -> DatasetView:  # fmt: skip
        """Only the given labels (by ids, tags or label dicts); see :class:`SelectLabels`."""
        return self._add_stage(SelectLabels(labels, ids, tags, fields, omit_empty))

    def exclude_labels(self, labels: Any = None, ids: Any = None, tags: Any = None,
                       fields: Any = None, omit_empty: bool = True) -> DatasetView:  # fmt: skip
        """All but the given labels; see :class:`ExcludeLabels`."""
        return self._add_stage(ExcludeLabels(labels, ids, tags, fields, omit_empty))

    def match_labels(self, labels: Any = None, ids: Any = None, tags: Any = None,
                     filter: Any = None, fields: Any = None,
                     bool: Any = None) -> DatasetView:  # fmt: skip
        """Samples with (``bool=False``: without) a matching label; see :class:`MatchLabels`."""
        return self._add_stage(MatchLabels(labels, ids, tags, filter, fields, bool))

    def limit_labels(self, field: str, limit: int) -> DatasetView:
        """At most the first ``limit`` labels of a list label field; see :class:`LimitLabels`."""
        return self._add_stage(LimitLabels(field, limit))

    def map_labels(self, field: str, map: dict[str, str]) -> DatasetView:
        """The labels of ``field`` renamed by ``map`` (old -> new); see :class:`MapLabels`."""
        return self._add_stage(MapLabels(field, map))

    def to_patches(self, field: str) -> Any:
        """One sample per label of ``field`` (Detections, Polylines, Keypoints); edits of
        the labels are written back. See :mod:`dataset_core.patches`.

        Example:
            >>> patches = dataset.to_patches("ground_truth")
        """
        from .patches import make_patches

        return make_patches(self, field)  # type: ignore[arg-type]

    # -- reads --------------------------------------------------------------------

    def get_label_fields(self) -> list[str]:
        """The label fields of the dataset (labels with ids: Classification, Detections...)."""
        return label_fields(self._dataset)

    _get_label_fields = get_label_fields  # FiftyOne's (private) name, used by its users

    @translate_errors
    def count_label_tags(self, label_fields: Any = None) -> dict[str, int]:
        """Label tag -> number of labels carrying it, over ``label_fields`` (default all).

        Example:
            >>> dataset.count_label_tags()
            {'mistake': 3}
        """
        parts = []
        for name, list_field in _targets(self, label_fields):
            if list_field is None:
                parts.append({"$ifNull": [f"${name}.tags", []]})
            else:
                tags_of = {"$ifNull": ["$$this.tags", []]}
                parts.append({"$reduce": {
                    "input": {"$ifNull": [f"${name}.{list_field}", []]}, "initialValue": [],
                    "in": {"$concatArrays": ["$$value", tags_of]}}})  # fmt: skip
        if not parts:
            return {}
        docs = self._aggregate(
            [
                {"$project": {"_id": 0, "t": {"$concatArrays": parts}}},
                {"$unwind": "$t"},
                {"$group": {"_id": "$t", "n": {"$sum": 1}}},
            ]
        )
        return {d["_id"]: d["n"] for d in docs}

    # -- writes -------------------------------------------------------------------

    @translate_errors
    def tag_labels(self, tags: Any, label_fields: Any = None) -> None:
        """Add ``tags`` to every label of ``label_fields`` (default all) in this collection.

        Example:
            >>> dataset.filter_labels("predictions", F("confidence") < 0.1).tag_labels("low")
        """
        tags = list(check_names(tags, "tag_labels tags", allow_empty=False))
        for name, list_field in _targets(self, label_fields):
            _edit_tags(self, name, list_field, tags, add=True)
        self._dataset._reload_samples()  # live samples show the new tags

    @translate_errors
    def untag_labels(self, tags: Any, label_fields: Any = None) -> None:
        """Remove ``tags`` from every label of ``label_fields`` (default all) in this collection."""
        tags = list(check_names(tags, "untag_labels tags", allow_empty=False))
        for name, list_field in _targets(self, label_fields):
            _edit_tags(self, name, list_field, tags, add=False)
        self._dataset._reload_samples()

    @translate_errors
    def set_label_values(self, field_path: str, values: dict[Any, Any], dynamic: bool = False,
                         skip_none: bool = False, validate: bool = True,
                         progress: bool = False) -> None:  # fmt: skip
        """Set attribute ``field_path`` (``"gt.detections.score"``) of labels by label id.

        Args:
            field_path: a label field and the attribute to set.
            values: label id -> value; labels not in this collection are skipped.
            skip_none: leave the labels whose value is None as they are.
            dynamic, validate, progress: accepted for FiftyOne's signature; label
                attributes are dynamic here, and values are stored as given.

        Example:
            >>> dataset.set_label_values("gt.detections.reviewed", {det_id: True})
        """
        dataset = self._dataset
        top, _, rest = field_path.partition(".")
        name, list_field = label_list_path(dataset, top)
        if list_field is not None and rest.startswith(list_field + "."):
            rest = rest[len(list_field) + 1 :]
        if not rest or rest in ("id", "_id"):
            raise ViewError(
                f"set_label_values takes a label attribute path like '{name}."
                f"{list_field + '.' if list_field else ''}attr'; got {field_path!r}"
            )
        by_id = {ObjectId(k): v for k, v in values.items() if not (skip_none and v is None)}
        ops = []
        now = utcnow()
        for sid, lids in _shown_label_ids(self, name, list_field):
            for lid in lids:
                if lid not in by_id:
                    continue
                value = _stored(by_id[lid])
                if list_field is None:
                    ops.append(UpdateOne({"_id": sid, f"{name}._id": lid},
                                         {"$set": {f"{name}.{rest}": value,
                                                   "last_modified_at": now}}))  # fmt: skip
                else:
                    ops.append(UpdateOne(
                        {"_id": sid},
                        {"$set": {f"{name}.{list_field}.$[{_LABEL}].{rest}": value,
                                  "last_modified_at": now}},
                        array_filters=[{f"{_LABEL}._id": lid}]))  # fmt: skip
        _bulk(dataset, ops)
        dataset._reload_samples()


def _targets(collection: Any, label_fields: Any) -> list[tuple[str, str | None]]:
    """``(field, list attribute)`` of the named label fields, or of all of them."""
    dataset = collection._dataset
    if label_fields is None:
        names = list(_label_fields_of(dataset))
    else:
        names = list(check_names(label_fields, "label_fields", allow_empty=True))
    return [label_list_path(dataset, n) for n in names]


_label_fields_of = label_fields


def _stored(value: Any) -> Any:
    """A label attribute value in stored form (arrays as .npy bytes, as in labels)."""
    return encode(value) if isinstance(value, np.ndarray) else to_mongo(value)


def _bulk(dataset: Dataset, ops: list[Any]) -> None:
    coll = dataset._sample_coll()
    for i in range(0, len(ops), BULK_BATCH):
        coll.bulk_write(ops[i : i + BULK_BATCH], ordered=False)


def _shown_label_ids(
    collection: Any, name: str, list_field: str | None
) -> Iterator[tuple[ObjectId, list[ObjectId]]]:
    """``(sample id, ids of the labels of name it shows)`` for each sample with labels."""
    path = f"${name}._id" if list_field is None else f"${name}.{list_field}._id"
    steps = [{"$project": {"_id": 1, "l": path}}]
    for d in collection._aggregate(steps):
        lids = d.get("l")
        if lids is None or lids == []:
            continue
        yield d["_id"], lids if isinstance(lids, list) else [lids]


def _edit_tags(collection: Any, name: str, list_field: str | None, tags: list[str],
               add: bool) -> None:  # fmt: skip
    """Add (or remove) ``tags`` on the labels of ``name`` that ``collection`` shows."""
    dataset = collection._dataset
    now = utcnow()
    if list_field is None:
        path = f"{name}.tags"
        op = {"$addToSet": {path: {"$each": tags}}} if add else {"$pull": {path: {"$in": tags}}}
        need = {"$not": {"$all": tags}} if add else {"$in": tags}
        op["$set"] = {"last_modified_at": now}
        if not collection._pipeline():
            dataset._sample_coll().update_many({name: {"$type": "object"}, path: need}, op)
            return
        ops = [UpdateOne({"_id": sid, f"{name}._id": lids[0], path: need}, op)
               for sid, lids in _shown_label_ids(collection, name, list_field)]  # fmt: skip
        _bulk(dataset, ops)
        return
    items = f"{name}.{list_field}"
    path = f"{items}.$[{_LABEL}].tags"
    op = {"$addToSet": {path: {"$each": tags}}} if add else {"$pull": {path: {"$in": tags}}}
    op["$set"] = {"last_modified_at": now}
    need = {"tags": {"$not": {"$all": tags}}} if add else {"tags": {"$in": tags}}
    elem_need = {f"{_LABEL}.tags": need["tags"]}
    if not collection._pipeline():
        dataset._sample_coll().update_many({items: {"$elemMatch": need}}, op,
                                           array_filters=[elem_need])  # fmt: skip
        return
    ops = [UpdateOne({"_id": sid}, op,
                      array_filters=[{**elem_need, f"{_LABEL}._id": {"$in": lids}}])
           for sid, lids in _shown_label_ids(collection, name, list_field)]  # fmt: skip
    _bulk(dataset, ops)


def _criteria(ids: Any, tags: Any) -> dict[str, Any]:
    crit: dict[str, Any] = {}
    if ids is not None:
        crit["_id"] = {"$in": [ObjectId(i) for i in ids]}
    if tags is not None:
        crit["tags"] = {"$in": list(check_names(tags, "delete_labels tags", allow_empty=True))}
    return crit


def delete_labels(dataset: Dataset, labels: Any = None, ids: Any = None, tags: Any = None,
                  view: SampleCollection | None = None, fields: Any = None) -> None:  # fmt: skip
    """Delete labels from ``dataset``: those of ``view``, with ``ids``/``tags``, the
    ``labels`` dicts, or every label of ``fields``. A single label becomes None;
    a list type loses the labels."""
    from .stages.labels import _ids_arg, _labels_arg

    if labels is None and ids is None and tags is None and view is None and fields is None:
        raise ViewError(
            "delete_labels needs labels=, ids=, tags=, view= or fields= to say which labels "
            f"to delete; label fields: {label_fields(dataset)}"
        )
    targets = _targets(dataset, fields)
    coll = dataset._sample_coll()
    now = utcnow()
    if view is not None:
        if view._dataset is not dataset:
            raise ViewError("delete_labels(view=...) takes a view of this dataset")
        by_field = {name: [lid for _, lids in _shown_label_ids(view, name, lf) for lid in lids]
                    for name, lf in targets}  # fmt: skip
        todo = [(name, lf, _criteria(by_field[name], tags)) for name, lf in targets]
    elif labels is not None:
        by_field: dict[str, list[str]] = {}
        for d in _labels_arg(labels, "delete_labels labels") or ():
            by_field.setdefault(d["field"], []).append(d["label_id"])
        wanted = {n for n, _ in targets}
        todo = [(*label_list_path(dataset, n), _criteria(lids, tags))
                for n, lids in by_field.items() if n in wanted]  # fmt: skip
    else:
        todo = [(n, lf, _criteria(_ids_arg(ids, "delete_labels ids"), tags))
                for n, lf in targets]  # fmt: skip
    for name, list_field, crit in todo:
        if list_field is None:
            query = {f"{name}.{k}": v for k, v in crit.items()} or {name: {"$ne": None}}
            coll.update_many(query, {"$set": {name: None, "last_modified_at": now}})
        else:
            items = f"{name}.{list_field}"
            query = {items: {"$elemMatch": crit}} if crit else {f"{items}.0": {"$exists": True}}
            pull = crit or {"_id": {"$exists": True}}
            coll.update_many(query, {"$pull": {items: pull}, "$set": {"last_modified_at": now}})
    dataset._reload_samples()  # live samples lose the deleted labels


def label_values(collection: Any, path: str) -> list[Any] | None:
    """``values(path)`` for a path into a label list (``"gt.detections.label"``) or a
    label id (``"gt.id"``); None for other paths.

    Per sample, a list with one value per label (None where a label lacks the
    attribute), labels as Label objects, ids as strings.
    """
    dataset = collection._dataset
    top, _, rest = path.partition(".")
    field = dataset._schema.get(top)
    if not rest or field is None or field.ftype != "embedded":
        return None
    try:
        name, list_field = label_list_path(dataset, top)
    except ViewError:
        return None
    if list_field is None:
        if rest not in ("id", "_id"):
            return None
        docs = collection._aggregate([{"$project": {"_id": 0, "v": f"${name}._id"}}])
        return [_id_text(d.get("v")) for d in docs]
    if rest == list_field:
        docs = collection._aggregate([{"$project": {"_id": 0, "v": f"${name}.{list_field}"}}])
        return [None if d.get("v") is None else [label_from_dict(x) for x in d["v"]]
                for d in docs]  # fmt: skip
    if not rest.startswith(list_field + "."):
        return None
    attr = rest[len(list_field) + 1 :]
    is_id = attr in ("id", "_id")
    items = f"${name}.{list_field}"
    each = {"$map": {"input": items, "as": "this", "in": f"$$this.{'_id' if is_id else attr}"}}
    value = {"$cond": [{"$isArray": items}, each, None]}
    docs = collection._aggregate([{"$project": {"_id": 0, "v": value}}])
    out = [d.get("v") for d in docs]
    return [_id_text(v) for v in out] if is_id else out


def _id_text(value: Any) -> Any:
    if isinstance(value, list):
        return [_id_text(v) for v in value]
    return str(value) if isinstance(value, ObjectId) else value
