"""Patches views: one sample per label of a Detections/Polylines/Keypoints field.

``collection.to_patches("gt")`` copies each label of ``gt`` (as the collection
shows it) into a temporary, unlisted dataset: one document per label, whose
``_id`` is the label's id, with the sample's ``filepath``, ``tags``,
``metadata``, ``sample_id`` and the field holding that one label (the sample's
``created_at``/``last_modified_at`` stay on the sample, as in FiftyOne's patches). Stages,
values and aggregations then work on it as on any dataset. Edits of the
label field made through the patches (``sample.save()``, ``set_values``,
``tag_labels``, ``set_label_values``) are written back to the source labels,
by label id.

``collection.to_evaluation_patches(eval_key)`` does the same for a detection
evaluation (:mod:`dataset_core.evaluation`): one patch per true positive (a
ground truth object with the predictions matched to it), false positive and
false negative, holding Detections of both fields, ``type``, ``iou`` and
``crowd``; edits of the labels of either field are written back.

The temporary collection is dropped when the patches view is garbage collected;
one a killed process left behind is dropped by the next import (it is staged,
never committed; see :func:`dataset_core.dataset.staged_dataset`).
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo import IndexModel, UpdateOne
from pymongo.errors import OperationFailure, PyMongoError

from . import recovery
from .dataset import _BASE_SCHEMA, Dataset, _create_document
from .db import translate_errors
from .errors import ViewError
from .fields import Field
from .sample import Sample, utcnow
from .singletons import LiveSamples
from .stages import ViewStage
from .stages.to_patches import PATCH_LISTS, ToPatches, patches_field
from .view import DatasetView

if TYPE_CHECKING:
    from .collection import SampleCollection

#: label writes back to the source per bulk_write
SYNC_BATCH = 10_000
#: the source sample's own history, not the patch's: a patch is one of its labels,
#: and writing a label back stamps the source sample's ``last_modified_at``
_SAMPLE_ONLY = frozenset({"created_at", "last_modified_at"})
#: the indexes every patches view has, which drop_index refuses
_DEFAULT_INDEXES = frozenset({"id", "filepath", "sample_id"})
#: the secondary indexes of a patches collection: a sample with two labels gives two
#: patches of one filepath (not unique); patches are looked up by their sample
_FILL_INDEXES = ("filepath", "_sample_id")
#: MongoDB's duplicate-key error codes
_DUPLICATE_KEY = frozenset({11000, 11001})
#: stored field names -> the names users see
_PUBLIC_NAMES = {"_id": "id", "_sample_id": "sample_id"}


class _PatchesDataset(Dataset):
    """The temporary dataset behind a patches view; writes flow back to the source."""

    _source: Dataset
    _field: str
    _list_field: str
    #: kept by select_fields and refused by exclude_fields, as the default fields
    extra_default_fields = ("sample_id", "_sample_id")

    def _check_path(self, path: str) -> str:
        if path == "_sample_id":  # the stored ObjectId behind ``sample_id``, as FiftyOne
            return path
        return super()._check_path(path)

    @property
    def _label_fields(self) -> tuple[str, ...]:
        """The fields whose labels are written back to the source."""
        return (self._field,)

    @property
    def _runs_owner(self) -> Dataset:
        """Brain runs of the patches are the source dataset's (see runs.py)."""
        return self._source

    def _save_sample(self, sample: Sample, changed: set[str]) -> None:
        super()._save_sample(sample, changed)
        if changed & set(self._label_fields):
            self._sync_back([sample._doc["_id"]])

    def _set_values_by_id(self, field: str, pairs: Iterable[tuple[Any, Any]]) -> None:
        pairs = list(pairs)
        super()._set_values_by_id(field, pairs)
        if field.split(".", 1)[0] in self._label_fields:
            self._sync_back([oid for oid, _ in pairs])

    def _sync_back(self, patch_ids: list[ObjectId]) -> None:
        """Write the label of each patch over the source label with the same id."""
        name, items = self._field, f"{self._field}.{self._list_field}"
        coll, src = self._sample_coll(), self._source._sample_coll()
        now = utcnow()
        for i in range(0, len(patch_ids), SYNC_BATCH):
            chunk = patch_ids[i : i + SYNC_BATCH]
            ops = []
            for doc in coll.find({"_id": {"$in": chunk}}, {name: 1, "_sample_id": 1}):
                label = doc.get(name)
                if not isinstance(label, dict):
                    continue  # a patch's label cannot be removed through the patch
                ops.append(UpdateOne(
                    {"_id": doc["_sample_id"]},
                    {"$set": {f"{items}.$[p]": {**label, "_id": doc["_id"]},
                              "last_modified_at": now}},
                    array_filters=[{"p._id": doc["_id"]}]))  # fmt: skip
            if ops:
                src.bulk_write(ops, ordered=False)
        self._source._reload_samples()  # the source's live samples show the edits


class _EvalPatchesDataset(_PatchesDataset):
    """Behind an evaluation patches view: each patch holds Detections of both fields."""

    _fields: tuple[str, str]

    @property
    def _label_fields(self) -> tuple[str, ...]:
        return self._fields

    def _sync_back(self, patch_ids: list[ObjectId]) -> None:
        """Write each label of each patch over the source label with the same id."""
        coll, src = self._sample_coll(), self._source._sample_coll()
        now = utcnow()
        for i in range(0, len(patch_ids), SYNC_BATCH):
            ops = []
            chunk = patch_ids[i : i + SYNC_BATCH]
            for doc in coll.find({"_id": {"$in": chunk}}, [*self._fields, "_sample_id"]):
                for name in self._fields:
                    for label in (doc.get(name) or {}).get("detections") or []:
                        ops.append(UpdateOne(
                            {"_id": doc["_sample_id"]},
                            {"$set": {f"{name}.detections.$[p]": label, "last_modified_at": now}},
                            array_filters=[{"p._id": label["_id"]}]))  # fmt: skip
            if ops:
                src.bulk_write(ops, ordered=False)
        self._source._reload_samples()


class PatchesView(DatasetView):
    """A view with one sample per label of a label list field; see :func:`make_patches`.

    Attributes:
        source_collection: the dataset or view the patches were made from.
        patches_field: the label field.
    """

    def __init__(self, dataset: _PatchesDataset, stages: Iterable[ViewStage] = (),
                 source: SampleCollection | None = None):  # fmt: skip
        super().__init__(dataset, stages)
        self.source_collection = source if source is not None else dataset._source
        self.patches_field = dataset._field

    def _add_stage(self, stage: ViewStage) -> PatchesView:
        stage.validate(self)
        return PatchesView(self._root, (*self._stages, stage), self.source_collection)  # type: ignore[arg-type]

    def view(self) -> PatchesView:
        """This view (views are immutable)."""
        return self

    def _describe(self) -> str:
        return f"the patches of {self.patches_field!r} of {self.source_collection.describe()}"

    def to_dict(self) -> dict[str, Any]:
        """``{"dataset": source name, "stages": [...]}``: the source's stages, then
        ``ToPatches(field)``, then this view's own, so that
        ``DatasetView.from_dict(source_dataset, d)`` makes these patches again."""
        source = self.source_collection.view().to_dict()
        own = [s.to_dict() for s in self._stages]
        stage = ToPatches(self.patches_field).to_dict()
        return {"dataset": source["dataset"], "stages": [*source["stages"], stage, *own]}

    def save(self, fields: Any = None) -> None:
        """Write the patches as the view shows them, then their labels back to the source."""
        ids = self._shown_ids()
        super().save(fields)
        self._sync(ids)

    # -- indexes: of the patches themselves ---------------------------------------

    def get_index_information(self) -> dict[str, dict[str, Any]]:
        """Field name -> the index's information (``key``, ``unique``...), of the
        indexes of the patches (``id``, ``filepath``, ``sample_id`` at least)."""
        info = self._root._sample_coll().index_information()
        return {_index_field(spec["key"]): spec for spec in info.values()}

    def list_indexes(self) -> list[str]:
        """The names of the indexed fields of the patches."""
        return sorted(self.get_index_information())

    @translate_errors
    def drop_index(self, field: str) -> None:
        """Drop the index of ``field``; those the patches need cannot be dropped.

        Raises:
            ViewError: a default index, or a field without an index.
        """
        info = self._root._sample_coll().index_information()
        names = {_index_field(spec["key"]): name for name, spec in info.items()}
        if field in _DEFAULT_INDEXES or field not in names:
            raise ViewError(
                f"Cannot drop the index of {field!r}: the patches' default indexes "
                f"{sorted(_DEFAULT_INDEXES)} stay; droppable: "
                f"{sorted(set(names) - _DEFAULT_INDEXES)}"
            )
        self._root._sample_coll().drop_index(names[field])

    def _shown_ids(self) -> list[Any]:
        # taken before a write: the write may change what the view matches
        # (untagging through select_labels(tags=...) empties it)
        return self.values("_id")

    def _sync(self, ids: list[Any]) -> None:
        self._root._sync_back(ids)  # type: ignore[attr-defined]

    def set_values(self, field: str, values: Any, *args: Any, **kwargs: Any) -> None:
        """Set ``field`` on the patches; the labels set are written to the source too
        (``set_values("predictions.detections.attr", ...)`` on evaluation patches)."""
        ids = self._shown_ids()
        super().set_values(field, values, *args, **kwargs)
        if field.split(".", 1)[0] in self._root._label_fields:  # type: ignore[attr-defined]
            self._sync(ids)

    def tag_labels(self, tags: Any, label_fields: Any = None) -> None:
        """Add ``tags`` to the patches' labels, here and in the source."""
        ids = self._shown_ids()
        super().tag_labels(tags, label_fields)
        self._sync(ids)

    def untag_labels(self, tags: Any, label_fields: Any = None) -> None:
        """Remove ``tags`` from the patches' labels, here and in the source."""
        ids = self._shown_ids()
        super().untag_labels(tags, label_fields)
        self._sync(ids)

    def set_label_values(self, field_path: str, values: dict[Any, Any], *args: Any,
                         **kwargs: Any) -> None:  # fmt: skip
        """Set a label attribute by label id, here and in the source."""
        ids = self._shown_ids()
        super().set_label_values(field_path, values, *args, **kwargs)
        self._sync(ids)


def _index_field(key: Any) -> str:
    """The user-facing name of an index's field(s): ``_id`` -> ``id``."""
    names = [_PUBLIC_NAMES.get(k, k) for k, _ in key]
    return names[0] if len(names) == 1 else ",".join(names)


def _drop(collection_name: str) -> None:
    try:
        recovery.unstage(collection_name, drop=True)
    except PyMongoError:  # the database is gone or unreachable; nothing to clean then
        pass


#: patches collections whose views are gone, dropped by the thread of
#: :func:`_drop_queued`: their finalizer runs wherever the garbage collector does
#: (inside pymongo's connection pool, inside ``db.get_db()`` while it connects),
#: where a query of its own would re-enter what was interrupted
_to_drop: queue.SimpleQueue[str] = queue.SimpleQueue()  # put() is safe in a finalizer
_dropper: threading.Thread | None = None
_dropper_lock = threading.Lock()


def _drop_queued() -> None:
    while True:
        _drop(_to_drop.get())


def _start_dropper() -> None:
    global _dropper
    with _dropper_lock:
        if _dropper is None or not _dropper.is_alive():  # none yet, or a forked child
            _dropper = threading.Thread(target=_drop_queued, daemon=True, name="patches-drop")
            _dropper.start()


@translate_errors
def make_patches(collection: SampleCollection, field: str) -> PatchesView:
    """The patches view of ``field`` (a Detections, Polylines or Keypoints field).

    Example:
        >>> patches = dataset.to_patches("ground_truth")
        >>> patches.first().ground_truth  # one Detection
    """
    source = collection._dataset
    name, list_field = patches_field(source, field)
    label = Field("embedded", PATCH_LISTS[list_field])
    ds = _new_patches_dataset(_PatchesDataset, source, {name: label})
    ds._field, ds._list_field = name, list_field
    _fill(collection, ds._sample_coll(), _patch_steps(name, list_field))
    return PatchesView(ds, (), collection)


def _patch_steps(name: str, list_field: str) -> list[dict[str, Any]]:
    """The steps from a collection's samples to its patches' documents, in order."""
    items = f"${name}.{list_field}"
    return [
        {"$match": {f"{name}.{list_field}.0": {"$exists": True}}},
        {"$unwind": items},
        {"$project": {"_id": f"{items}._id", "_sample_id": "$_id",
                      "sample_id": {"$toString": "$_id"}, "filepath": 1, "tags": 1,
                      "metadata": 1, "_rand": 1, name: items}},
    ]  # fmt: skip


@translate_errors
def patch_docs(collection: SampleCollection, field: str, offset: int,
               limit: int) -> list[dict[str, Any]]:  # fmt: skip
    """Documents ``offset`` to ``offset + limit - 1`` of ``collection.to_patches(field)``
    (before any stage of its own), read from ``collection`` without making the
    patches: a first page while they are made. They come in the order the patches
    are made in (one pass of the same steps), which is the patches' stored order.

    Raises:
        FieldNotFoundError, ViewError: ``field`` has no patches.
    """
    name, list_field = patches_field(collection._dataset, field)
    steps = [*_patch_steps(name, list_field), {"$skip": offset}, {"$limit": limit}]
    return list(collection._aggregate(steps))  # type: ignore[attr-defined]


@translate_errors
def count_patches(collection: SampleCollection, field: str) -> int:
    """``len(collection.to_patches(field))`` without making the patches."""
    name, list_field = patches_field(collection._dataset, field)
    items = f"${name}.{list_field}"
    n = {"$sum": {"$cond": [{"$isArray": items}, {"$size": items}, 0]}}
    docs = list(collection._aggregate([{"$group": {"_id": None, "n": n}}]))  # type: ignore[attr-defined]
    return docs[0]["n"] if docs else 0


def _fill(collection: SampleCollection, coll: Any, steps: list[dict[str, Any]]) -> None:
    """Fill the new patches collection ``coll`` with the documents of ``steps``.

    ``$out`` into a fresh collection, its indexes built afterwards (both in one
    pass), takes a fifth of the time of a ``$merge`` into the indexed one
    (measured on 100,000 boxes, ``benchmarks/bench_coco.py``). ``$out`` refuses
    a label id that repeats (one label object added to two samples keeps its id
    in both); then ``$merge`` fills it as before, one patch per id.
    """
    coll.drop()
    try:
        collection._aggregate([*steps, {"$out": coll.name}])  # type: ignore[attr-defined]
    except OperationFailure as e:
        if e.code not in _DUPLICATE_KEY:
            raise
        coll.drop()
        collection._aggregate([*steps, {"$merge": {"into": coll.name}}])  # type: ignore[attr-defined]
    # one createIndexes: the server builds both in one scan of the collection
    coll.create_indexes([IndexModel(index) for index in _FILL_INDEXES])


def _new_patches_dataset(cls: type[_PatchesDataset], source: Dataset,
                         fields: dict[str, Field]) -> Any:  # fmt: skip
    """An empty temporary dataset of ``cls`` with the patch fields and ``fields``."""
    ds = object.__new__(cls)
    ds._doc = _create_document(f"{source.name}-patches-{ObjectId()}", save=False)
    ds._deleted, ds._staging = False, True  # never committed: unlisted, removed if left over
    ds._schema = {k: f for k, f in _BASE_SCHEMA.items() if k not in _SAMPLE_ONLY}
    ds._live = LiveSamples()
    ds._schema["sample_id"] = Field("string")
    ds._schema.update(fields)
    ds._source = source
    coll = ds._sample_coll()
    coll.drop_index("filepath_1")  # a sample with two labels gives two patches
    coll.create_index("filepath")
    coll.create_index("_sample_id")  # patches are looked up by their sample
    # left-over collections of a process that exits are dropped by the next import
    _start_dropper()
    weakref.finalize(ds, _to_drop.put, coll.name).atexit = False
    return ds


@translate_errors
def make_evaluation_patches(collection: SampleCollection, eval_key: str) -> PatchesView:
    """The evaluation patches of ``eval_key``: one patch per true positive (a ground
    truth object with the predictions matched to it), false positive and false
    negative, with ``type`` (``"tp"``/``"fp"``/``"fn"``), ``iou`` and ``crowd``.

    Example:
        >>> dataset.evaluate_detections("predictions", eval_key="eval")
        >>> dataset.to_evaluation_patches("eval").match(F("type") == "fn")
    """
    source = collection._dataset
    info = collection.get_evaluation_info(eval_key)  # type: ignore[attr-defined]
    gt, pred = info["gt_field"], info["pred_field"]
    ds = _new_patches_dataset(_EvalPatchesDataset, source, {
        gt: Field("embedded", "Detections"), pred: Field("embedded", "Detections"),
        "type": Field("string"),
        "iou": Field("float"), "crowd": Field("bool"),
    })  # fmt: skip
    ds._field, ds._list_field, ds._fields = gt, "detections", (gt, pred)
    docs = collection._aggregate([{"$project": {  # type: ignore[attr-defined]
        "filepath": 1, "tags": 1, "metadata": 1, "_rand": 1, gt: 1, pred: 1}}])  # fmt: skip
    patches = [p for doc in docs for p in _eval_patches(doc, gt, pred, eval_key)]
    if patches:
        ds._sample_coll().insert_many(patches)
    return PatchesView(ds, (), collection)


def _eval_patches(doc: dict[str, Any], gt: str, pred: str, key: str) -> list[dict[str, Any]]:
    """The evaluation patches of one stored sample."""
    gts = (doc.get(gt) or {}).get("detections") or []
    preds = (doc.get(pred) or {}).get("detections") or []
    base = {"_sample_id": doc["_id"], "sample_id": str(doc["_id"]), "filepath": doc["filepath"],
            "tags": doc.get("tags", []), "metadata": doc.get("metadata"),
            "_rand": doc.get("_rand")}  # fmt: skip
    by_gt: dict[str, list[dict[str, Any]]] = {}
    out = []
    for p in preds:
        if p.get(key) == "tp" and p.get(f"{key}_id"):
            by_gt.setdefault(p[f"{key}_id"], []).append(p)
        else:
            out.append(_patch(base, gt, [], pred, [p], "fp", None, False))
    for g in gts:
        matched = by_gt.get(str(g["_id"]), [])
        ious = [p.get(f"{key}_iou") for p in matched if p.get(f"{key}_iou") is not None]
        kind = "tp" if matched else "fn"
        crowd = bool(g.get("iscrowd"))
        out.append(_patch(base, gt, [g], pred, matched, kind, max(ious) if ious else None, crowd))
    return out


def _patch(base: dict[str, Any], gt: str, gts: list[Any], pred: str, preds: list[Any],
           kind: str, iou: float | None, crowd: bool) -> dict[str, Any]:  # fmt: skip
    return {**base, "_id": ObjectId(),
            gt: {"_cls": "Detections", "detections": gts},
            pred: {"_cls": "Detections", "detections": preds},
            "type": kind, "iou": iou, "crowd": crowd}  # fmt: skip
