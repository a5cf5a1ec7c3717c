"""Patches views: one sample per label of a Detections/Polylines/Keypoints field.

``collection.to_patches("gt")`` copies each label of ``gt`` (as the collection
shows it) into a temporary, unlisted dataset: one document per label, whose
``_id`` is the label's id, with the sample's ``filepath``, ``tags``,
``metadata``, ``sample_id`` and the field holding that one label. Stages,
values and aggregations then work on it as on any dataset. Edits of the
label field made through the patches (``sample.save()``, ``set_values``,
``tag_labels``, ``set_label_values``) are written back to the source labels,
by label id.

The temporary collection is dropped when the patches view is garbage collected;
one a killed process left behind is dropped by the next import (it is staged,
never committed; see :func:`dataset_core.dataset.staged_dataset`).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.errors import PyMongoError

from . import recovery
from .dataset import _BASE_SCHEMA, Dataset, _create_document
from .db import translate_errors
from .errors import ViewError
from .fields import Field
from .sample import Sample, utcnow
from .singletons import LiveSamples
from .stages import ViewStage
from .stages.labels import label_list_path
from .view import DatasetView

if TYPE_CHECKING:
    from .collection import SampleCollection

#: label writes back to the source per bulk_write
SYNC_BATCH = 10_000


class _PatchesDataset(Dataset):
    """The temporary dataset behind a patches view; writes flow back to the source."""

    _source: Dataset
    _field: str
    _list_field: str

    @property
    def _runs_owner(self) -> Dataset:
        """Brain runs of the patches are the source dataset's (see runs.py)."""
        return self._source

    def _save_sample(self, sample: Sample, changed: set[str]) -> None:
        super()._save_sample(sample, changed)
        if self._field in changed:
            self._sync_back([sample._doc["_id"]])

    def _set_values_by_id(self, field: str, pairs: Iterable[tuple[Any, Any]]) -> None:
        pairs = list(pairs)
        super()._set_values_by_id(field, pairs)
        if field.split(".", 1)[0] == self._field:
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

    def save(self, fields: Any = None) -> None:
        """Write the patches as the view shows them, then their labels back to the source."""
        ids = self.values("_id")  # before: the save may change what the view matches
        super().save(fields)
        self._root._sync_back(ids)  # type: ignore[attr-defined]

    def _sync_all(self) -> None:
        self._root._sync_back(self.values("_id"))  # type: ignore[attr-defined]

    def tag_labels(self, tags: Any, label_fields: Any = None) -> None:
        """Add ``tags`` to the patches' labels, here and in the source."""
        super().tag_labels(tags, label_fields)
        self._sync_all()

    def untag_labels(self, tags: Any, label_fields: Any = None) -> None:
        """Remove ``tags`` from the patches' labels, here and in the source."""
        super().untag_labels(tags, label_fields)
        self._sync_all()

    def set_label_values(self, field_path: str, values: dict[Any, Any], *args: Any,
                         **kwargs: Any) -> None:  # fmt: skip
        """Set a label attribute by label id, here and in the source."""
        super().set_label_values(field_path, values, *args, **kwargs)
        self._sync_all()


def _drop(collection_name: str) -> None:
    try:
        recovery.unstage(collection_name, drop=True)
    except PyMongoError:  # the database is gone or unreachable; nothing to clean then
        pass


@translate_errors
def make_patches(collection: SampleCollection, field: str) -> PatchesView:
    """The patches view of ``field`` (a Detections, Polylines or Keypoints field).

    Example:
        >>> patches = dataset.to_patches("ground_truth")
        >>> patches.first().ground_truth  # one Detection
    """
    source = collection._dataset
    name, list_field = label_list_path(source, field)
    if list_field is None or list_field == "classifications":
        raise ViewError(
            f"to_patches works on Detections, Polylines or Keypoints fields; {field!r} is "
            f"{source._schema[field]}"
        )
    element_type = {"detections": "Detection", "polylines": "Polyline", "keypoints": "Keypoint"}
    ds = object.__new__(_PatchesDataset)
    ds._doc = _create_document(f"{source.name}-patches-{ObjectId()}", save=False)
    ds._deleted, ds._staging = False, True  # never committed: unlisted, removed if left over
    ds._schema = dict(_BASE_SCHEMA)
    ds._live = LiveSamples()
    ds._schema["sample_id"] = Field("string")
    ds._schema[name] = Field("embedded", element_type[list_field])
    ds._source, ds._field, ds._list_field = source, name, list_field
    coll = ds._sample_coll()
    coll.drop_index("filepath_1")  # a sample with two labels gives two patches
    items = f"${name}.{list_field}"
    collection._aggregate([  # type: ignore[attr-defined]
        {"$match": {f"{name}.{list_field}.0": {"$exists": True}}},
        {"$unwind": items},
        {"$project": {"_id": f"{items}._id", "_sample_id": "$_id",
                      "sample_id": {"$toString": "$_id"}, "filepath": 1, "tags": 1,
                      "metadata": 1, "created_at": 1, "last_modified_at": 1, "_rand": 1,
                      name: items}},
        {"$merge": {"into": coll.name}},
    ])  # fmt: skip
    # left-over collections of a process that exits are dropped by the next import
    weakref.finalize(ds, _drop, coll.name).atexit = False
    return PatchesView(ds, (), collection)
