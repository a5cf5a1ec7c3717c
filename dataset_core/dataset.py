"""Datasets: named, persistent collections of samples in MongoDB.

A dataset is a :class:`DatasetDocument` (name, schema, saved views, runs) plus
one Mongo collection of plain sample documents. Bulk paths (``add_samples``,
``set_values``, deletes) go straight to pymongo in large batches; a dataset
object is a singleton per name within a process, so every handle sees the same
schema.
"""

from __future__ import annotations

import contextlib
import operator
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

import mongoengine
from bson import ObjectId
from bson.raw_bson import RawBSONDocument
from pymongo import ASCENDING, UpdateOne
from pymongo.errors import DuplicateKeyError

from . import adding, recovery, runs
from .adding import AddSamplesMixin
from .class_targets import ClassTargetsMixin
from .collection import SampleCollection
from .config import config
from .dataset_json import DatasetJSONMixin
from .db import get_db, translate_errors
from .errors import (
    DatasetCoreError,
    DatasetExistsError,
    DatasetNotFoundError,
    FieldNotFoundError,
    FieldValueError,
    SchemaError,
)
from .fields import (
    DEFAULT_FIELDS,
    DateTimeField,
    EmbeddedDocumentField,
    Field,
    ListField,
    ObjectIdField,
    StringField,
    validate_field_name,
)
from .merging import MergeMixin
from .odm import DatasetDocument
from .sample import utcnow
from .sample_store import SampleStoreMixin
from .saved_views import SavedViewsMixin
from .schema_methods import DatasetSchemaMixin
from .singletons import LiveSamples, detach_samples
from .values import coerce, field_of_mongo, to_mongo

_BASE_SCHEMA: dict[str, Field] = {
    "id": ObjectIdField(),
    "filepath": StringField(),
    "tags": ListField(field=StringField()),
    "metadata": EmbeddedDocumentField("ImageMetadata"),
    "created_at": DateTimeField(),
    "last_modified_at": DateTimeField(),
}
for _name, _field in _BASE_SCHEMA.items():
    _field.name = _name


def _load_schema(stored: dict[str, Any]) -> dict[str, Field]:
    """The base fields, then the stored ones (each named)."""
    schema = dict(_BASE_SCHEMA)
    for k, v in stored.items():
        f = Field.from_dict(v)
        f.name = k
        schema[k] = f
    return schema


_BINARY = operator.attrgetter("binary")  # ObjectIds compared as bytes, in C
_instances: weakref.WeakValueDictionary[tuple[str, str], Dataset] = weakref.WeakValueDictionary()


def _default_name() -> str:
    base = utcnow().strftime("%Y.%m.%d.%H.%M.%S")
    name, n = base, 1
    while dataset_exists(name):
        n += 1
        name = f"{base}.{n}"
    return name


class Dataset(AddSamplesMixin, SampleStoreMixin, MergeMixin, SavedViewsMixin,
              DatasetSchemaMixin, ClassTargetsMixin, DatasetJSONMixin,
              SampleCollection):  # fmt: skip
    """A named collection of image samples stored in MongoDB.

    Args:
        name: the dataset's name; a timestamp when omitted.
        persistent: keep the dataset when the process ends (our default; FiftyOne's
            is False). Non-persistent datasets are removed by
            :func:`delete_non_persistent_datasets`.
        overwrite: delete an existing dataset of that name first.
        unique_filepaths: refuse a second sample with a filepath already in the
            dataset (FiftyOne allows it; importers create datasets with it on, so
            that running one twice never duplicates).

    Raises:
        DatasetExistsError: ``name`` is taken and ``overwrite`` is False.

    Example:
        >>> ds = Dataset("pets")
        >>> ds.add_samples([Sample("/data/cat.jpg"), Sample("/data/dog.jpg")])
    """

    @translate_errors
    def __init__(self, name: str | None = None, persistent: bool = True,
                 overwrite: bool = False, unique_filepaths: bool = False,
                 _doc: Any = None):  # fmt: skip
        if _doc is None:
            if name is None:
                name = _default_name()
            if not isinstance(name, str) or not name.strip():
                raise DatasetCoreError(f"A dataset name must be a non-empty string; got {name!r}")
            if dataset_exists(name):
                if not overwrite:
                    raise DatasetExistsError(
                        f"Dataset {name!r} already exists; load it with "
                        f"dc.load_dataset({name!r}) or pass overwrite=True"
                    )
                delete_dataset(name)
            _doc = _create_document(name, persistent=persistent,
                                    unique_filepaths=unique_filepaths)  # fmt: skip
        self._doc = _doc
        self._deleted = False
        #: (Database, Collection, raw Collection) while that Database and name are current
        self._colls: tuple[Any, Any, Any] | None = None
        self._staging = False
        self._live = LiveSamples()
        self._schema: dict[str, Field] = _load_schema(_doc.sample_fields)
        _instances[(config.database_name, _doc.name)] = self

    @classmethod
    @translate_errors
    def _load(cls, name: str) -> Dataset:
        get_db()
        doc = DatasetDocument.objects(name=name).first()
        if doc is None:
            raise DatasetNotFoundError(f"Dataset {name!r} not found; datasets: {list_datasets()}")
        if recovery.recover(doc.id):  # an interrupted append or set_values: undone
            doc = DatasetDocument.objects(name=name).first()
        cached = _instances.get((config.database_name, name))
        if cached is not None and cached._doc.id == doc.id:
            cached._doc = doc
            cached._schema = _load_schema(doc.sample_fields)
            return cached
        return cls(_doc=doc)

    # -- identity ---------------------------------------------------------------

    @property
    def _dataset(self) -> Dataset:
        return self

    def _pipeline(self) -> list[dict[str, Any]]:
        return []

    @property
    def name(self) -> str:
        """The dataset's name; assign to rename the dataset.

        Raises:
            DatasetExistsError: (on assignment) another dataset has that name.
        """
        return self._doc.name

    @name.setter
    @translate_errors
    def name(self, value: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise DatasetCoreError(f"A dataset name must be a non-empty string; got {value!r}")
        old = self._doc.name
        if value == old:
            return
        self._sample_coll()
        if dataset_exists(value):
            raise DatasetExistsError(
                f"Cannot rename dataset {old!r} to {value!r}: that name is taken; "
                "delete that dataset first or pick another name"
            )
        try:
            self._update_doc({"$set": {"name": value}})
        except DuplicateKeyError:
            raise DatasetExistsError(
                f"Cannot rename dataset {old!r} to {value!r}: another process took that name"
            ) from None
        self._doc.name = value
        _instances.pop((config.database_name, old), None)
        _instances[(config.database_name, value)] = self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dataset):
            return NotImplemented
        return self._doc.id == other._doc.id

    def __hash__(self) -> int:
        return hash(self._doc.id)

    @property
    def media_type(self) -> str:
        """Always ``"image"`` for now."""
        return self._doc.media_type

    @property
    def persistent(self) -> bool:
        """Whether the dataset outlives the process (True unless set otherwise);
        assign to change it. Non-persistent ones are removed by
        :func:`delete_non_persistent_datasets`."""
        return bool(self._doc.persistent)

    @persistent.setter
    @translate_errors
    def persistent(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise DatasetCoreError(f"persistent is True or False; got {value!r}")
        self._sample_coll()
        self._update_doc({"$set": {"persistent": value}})
        self._doc.persistent = value

    @property
    def unique_filepaths(self) -> bool:
        """Whether each filepath may appear in one sample only (set at creation)."""
        return bool(self._doc.unique_filepaths)

    @property
    def created_at(self) -> Any:
        """When the dataset was created (UTC)."""
        return self._doc.created_at

    @property
    def info(self) -> dict[str, Any]:
        """A free-form dict stored with the dataset; edit it or assign a new dict,
        then call :meth:`save`.

        Raises:
            DatasetCoreError: (on assignment) a value that is not a dict.
        """
        return self._doc.info

    @info.setter
    def info(self, value: dict[str, Any]) -> None:
        if not isinstance(value, dict):
            raise DatasetCoreError(
                f"A dataset's info is a dict; got {type(value).__name__} {value!r:.60}"
            )
        self._doc.info = dict(value)

    @property
    def deleted(self) -> bool:
        """Whether the dataset has been deleted."""
        return self._deleted

    def _sample_coll(self, raw: bool = False) -> Any:
        """The samples' collection (``raw``: reading documents as undecoded bytes)."""
        if self._deleted:
            raise DatasetNotFoundError(f"Dataset {self._doc.name!r} was deleted")
        database, name = get_db(), self._doc.sample_collection_name
        colls = getattr(self, "_colls", None)  # datasets made by __new__ have none yet
        if colls is None or colls[0] is not database or colls[1].name != name:
            coll = database[name]
            options = coll.codec_options.with_options(document_class=RawBSONDocument)
            colls = self._colls = (database, coll, coll.with_options(codec_options=options))
        return colls[2] if raw else colls[1]

    @translate_errors
    def save(self) -> None:
        """Store changes to dataset-level attributes (``info``, ``classes``,
        ``default_classes``, ``mask_targets``, ``default_mask_targets``).

        Only those entries are written (``$set``), never the whole document, so
        fields, runs and views another process added meanwhile are kept.

        Raises:
            FieldValueError: a class list or mask targets edited into a bad shape
                (nothing is written).
        """
        self._sample_coll()
        targets = self._class_targets_update()
        self._update_doc({"$set": {"info": dict(self._doc.info), **targets}})

    @translate_errors
    def reload(self) -> None:
        """Re-read the dataset's description (schema, runs) and its live samples
        from the database (as FiftyOne's ``reload``)."""
        Dataset._load(self.name)
        self._reload_samples()

    # -- schema -----------------------------------------------------------------

    def _check_value(self, name: str, stored: Any) -> Field | None:
        found = field_of_mongo(stored)
        known = self._schema.get(name)
        if found is not None and known is not None and not known.accepts(found):
            raise FieldValueError(
                f"Field {name!r} of dataset {self.name!r} holds {known}; cannot store "
                f"{found} value {stored!r:.60}. Use another field name, or delete the "
                "field first"
            )
        return found

    def _check_path(self, path: str) -> str:
        """Validate a (dotted) field path against the schema; return its stored form."""
        top = path.split(".", 1)[0]
        if top in ("id", "_id"):
            return "_id" + path[len(top) :]
        if top not in self._schema and top != "_rand" and not self._refresh_schema(top):
            raise FieldNotFoundError(
                f"Field {top!r} not found in dataset {self.name!r}; fields: {list(self._schema)}"
            )
        return path

    def _update_doc(self, update: dict[str, Any]) -> None:
        """Apply a raw Mongo update to the dataset document.

        Raw, not mongoengine's ``set__a__b`` keywords, which misread field names
        such as ``gt`` or ``size`` as query operators.
        """
        if self._staging:  # not registered yet: the document is written whole at commit
            return
        DatasetDocument._get_collection().update_one({"_id": self._doc.id}, update)

    def _refresh_schema(self, name: str | None = None) -> bool:
        """Re-read the schema from the database (another process may have added fields);
        True if ``name`` is declared there."""
        if self._staging or self._deleted:
            return False
        raw = DatasetDocument._get_collection().find_one({"_id": self._doc.id},
                                                         {"sample_fields": 1})  # fmt: skip
        if raw is None:
            return False
        stored = raw.get("sample_fields") or {}
        self._doc.sample_fields = dict(stored)
        self._schema = _load_schema(stored)
        return name is not None and name in self._schema

    def _merge_schema(self, fields: dict[str, Field]) -> None:
        new = {k: f for k, f in fields.items() if k not in self._schema}
        if not new:
            return
        for k, f in new.items():
            f.name = k
        self._update_doc({"$set": {f"sample_fields.{k}": f.to_dict() for k, f in new.items()}})
        self._schema.update(new)
        self._doc.sample_fields.update({k: f.to_dict() for k, f in new.items()})

    def _check_user_field(self, name: str) -> None:
        if name in DEFAULT_FIELDS:
            raise SchemaError(f"{name!r} is a default field; it cannot be deleted or renamed")
        if name not in self._schema and not self._refresh_schema(name):
            raise FieldNotFoundError(
                f"Field {name!r} not found in dataset {self.name!r}; fields: {list(self._schema)}"
            )

    @translate_errors
    def delete_sample_field(self, name: str) -> None:
        """Remove a field from every sample and from the schema."""
        self._check_user_field(name)
        self._sample_coll().update_many({}, {"$unset": {name: ""}})
        self._update_doc({"$unset": {f"sample_fields.{name}": ""}})
        self._schema.pop(name)
        self._doc.sample_fields.pop(name, None)
        self._reload_samples()

    def delete_sample_fields(self, names: Iterable[str]) -> None:
        """:meth:`delete_sample_field` for each name."""
        for name in names:
            self.delete_sample_field(name)

    @translate_errors
    def rename_sample_field(self, name: str, new_name: str) -> None:
        """Rename a field in every sample and in the schema."""
        self._check_user_field(name)
        validate_field_name(new_name)
        if new_name in self._schema:
            raise SchemaError(f"Cannot rename {name!r} to {new_name!r}: that field exists")
        self._sample_coll().update_many({}, {"$rename": {name: new_name}})
        field = self._schema.pop(name)
        self._update_doc(
            {
                "$unset": {f"sample_fields.{name}": ""},
                "$set": {f"sample_fields.{new_name}": field.to_dict()},
            }
        )
        self._doc.sample_fields.pop(name, None)
        self._doc.sample_fields[new_name] = field.to_dict()
        self._schema[new_name] = field
        self._reload_samples()

    @translate_errors
    def create_index(self, field: str, unique: bool = False) -> str:
        """Index a field (dotted paths too) for fast sorting and filtering."""
        path = self._check_path(field)
        return self._sample_coll().create_index([(path, ASCENDING)], unique=unique)

    @translate_errors
    def list_indexes(self) -> list[str]:
        """The names of the indexed fields."""
        info = self._sample_coll().index_information()
        return sorted(k for spec in info.values() for k, _ in spec["key"])

    # -- reading, saving and deleting samples: sample_store.py; adding: adding.py

    @translate_errors
    def delete_labels(self, labels: Any = None, ids: Any = None, tags: Any = None,
                      view: Any = None, fields: Any = None) -> None:  # fmt: skip
        """Delete labels: those ``view`` shows, those with ``ids`` and/or ``tags``, the
        ``labels`` dicts (``{"sample_id", "field", "label_id"}``), or with only
        ``fields``, every label of those fields. A single label becomes None.

        Example:
            >>> dataset.delete_labels(tags="duplicate", fields="ground_truth")
        """
        from .label_ops import delete_labels

        delete_labels(self, labels=labels, ids=ids, tags=tags, view=view, fields=fields)

    # -- bulk fields --------------------------------------------------------------

    def _set_values_by_id(self, field: str, pairs: Iterable[tuple[Any, Any]]) -> None:
        top = field.split(".", 1)[0]
        validate_field_name(top)
        now = utcnow()
        ops, found = [], None
        known = self._schema.get(field)
        for oid, value in pairs:
            stored = to_mongo(value)
            if top == field:
                f = self._check_value(field, stored)
                found = found or f
                if known is not None:
                    stored = coerce(known, stored)
            ops.append(UpdateOne({"_id": oid}, {"$set": {field: stored, "last_modified_at": now}}))
        op = None
        if top == field and found is not None:
            if field not in self._schema:  # a new field: a crash midway removes it again
                op = recovery.begin(self, "set_values", {field: found}, field=field)
            self._merge_schema({field: found})
        elif top not in self._schema and not self._refresh_schema(top):
            raise FieldNotFoundError(
                f"Field {top!r} not found in dataset {self.name!r}; set the whole field first"
            )
        coll = self._sample_coll()
        with recovery.transaction(len(ops)) as session:
            batch = adding.INSERT_BATCH_SIZE  # one knob for inserts and updates
            for i in range(0, len(ops), batch):
                recovery.hook("set_values", i)
                coll.bulk_write(ops[i : i + batch], ordered=False, session=session)
        if op is not None:
            recovery.end(self, op)

    # -- whole dataset ----------------------------------------------------------

    @translate_errors
    def count_sample_tags(self) -> dict[str, int]:
        """Tag -> number of samples carrying it."""
        docs = self._sample_coll().aggregate(
            [{"$unwind": "$tags"}, {"$group": {"_id": "$tags", "n": {"$sum": 1}}}]
        )
        return {d["_id"]: d["n"] for d in sorted(docs, key=lambda d: d["_id"])}

    def summary(self) -> str:
        """A readable description: name, media type, count, tags, field schema."""
        width = max(len(n) for n in self._schema) + 2
        lines = [
            f"Name:        {self.name}",
            f"Media type:  {self.media_type}",
            f"Num samples: {len(self)}",
            f"Persistent:  {self.persistent}",
            f"Tags:        {sorted(self.count_sample_tags())}",
            "Sample fields:",
        ]
        lines += [f"    {(n + ':').ljust(width)} {f}" for n, f in self._schema.items()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def compute_metadata(self, overwrite: bool = False, num_workers: int | None = None) -> Any:
        """Read width, height, size and type of every image; see :func:`compute_metadata`."""
        from .metadata import compute_metadata

        return compute_metadata(self, overwrite=overwrite, num_workers=num_workers)

    @translate_errors
    def delete(self) -> None:
        """Delete the dataset and its samples (never the image files)."""
        if self._deleted:
            return
        get_db().drop_collection(self._doc.sample_collection_name)
        # brain runs keep their arrays in GridFS, tagged with the dataset's id
        runs.delete_dataset_results(str(self._doc.id))
        DatasetDocument.objects(id=self._doc.id).delete()
        self._deleted = True
        detach_samples(self)
        _instances.pop((config.database_name, self._doc.name), None)

    # -- importers (defined in importers.py) -------------------------------------

    @classmethod
    def from_images_dir(cls, images_dir: str, recursive: bool = True, name: str | None = None,
                        **kwargs: Any) -> Dataset:  # fmt: skip
        """A dataset of every image under ``images_dir``; see importers."""
        from .importers import from_images_dir

        return from_images_dir(images_dir, recursive=recursive, name=name, **kwargs)

    @classmethod
    def from_images(cls, paths: Iterable[str], name: str | None = None, **kwargs: Any) -> Dataset:
        """A dataset of the given image paths."""
        from .importers import from_images

        return from_images(paths, name=name, **kwargs)

    @classmethod
    def from_image_classification_samples(
        cls, samples: Iterable[tuple[str, Any]], name: str | None = None,
        label_field: str = "ground_truth", classes: list[str] | None = None, **kwargs: Any,
    ) -> Dataset:  # fmt: skip
        """A dataset from ``(filepath, label)`` pairs; see importers."""
        from .importers import from_image_classification_samples

        return from_image_classification_samples(
            samples, name=name, label_field=label_field, classes=classes, **kwargs
        )

    @classmethod
    def from_dir(cls, dataset_dir: str | None = None, dataset_type: Any = None,
                 data_path: str | None = None, labels_path: str | None = None,
                 name: str | None = None, label_field: str | None = None,
                 tags: list[str] | None = None, **kwargs: Any) -> Dataset:  # fmt: skip
        """A dataset from a folder in one format; see :func:`dataset_core.importers.from_dir`."""
        from .importers import from_dir

        return from_dir(dataset_dir, dataset_type, data_path, labels_path, name=name,
                        label_field=label_field, tags=tags, **kwargs)  # fmt: skip

    def add_dir(self, dataset_dir: str | None = None, dataset_type: Any = None,
                data_path: str | None = None, labels_path: str | None = None,
                label_field: str | None = None, tags: list[str] | None = None,
                **kwargs: Any) -> list[str]:  # fmt: skip
        """Add the samples of a folder in one format (the arguments of :meth:`from_dir`).

        Returns:
            The new samples' ids.
        """
        from .importers import add_dir

        return add_dir(self, dataset_dir, dataset_type, data_path, labels_path, label_field,
                       tags, **kwargs)  # fmt: skip

    def merge_dir(self, dataset_dir: str | None = None, dataset_type: Any = None,
                  data_path: str | None = None, labels_path: str | None = None,
                  label_field: str | None = None, tags: list[str] | None = None,
                  **kwargs: Any) -> None:  # fmt: skip
        """Merge the samples of a folder into this dataset by filepath: samples
        already here get the imported fields, new ones are added; re-runnable."""
        from .importers import merge_dir

        merge_dir(self, dataset_dir, dataset_type, data_path, labels_path, label_field, tags,
                  **kwargs)  # fmt: skip


def _create_document(name: str, save: bool = True, persistent: bool = True,
                     unique_filepaths: bool = True) -> DatasetDocument:  # fmt: skip
    get_db()
    now = utcnow()
    doc = DatasetDocument(
        name=name,
        sample_collection_name=f"samples.{ObjectId()}",
        created_at=now,
        last_loaded_at=now,
        persistent=bool(persistent),
        unique_filepaths=bool(unique_filepaths),
    )
    if not save:
        recovery.stage(doc.sample_collection_name, name)
    coll = get_db()[doc.sample_collection_name]
    # unique or not, the index makes lookups by filepath (merges, dataset[path]) fast
    coll.create_index([("filepath", ASCENDING)], unique=bool(unique_filepaths))
    if save:
        doc.save()
    return doc


@contextlib.contextmanager
def staged_dataset(name: str | None = None, overwrite: bool = False,
                   unique_filepaths: bool = True) -> Iterator[Dataset]:  # fmt: skip
    """A new dataset that becomes visible under ``name`` only when the block completes.

    Importers fill it inside the block; if the block raises, or the process is
    killed, no dataset of that name appears (a killed import's samples are
    dropped by the next import), and with ``overwrite`` the old dataset stays
    until the new one is complete. Run again, the same import simply works.
    ``unique_filepaths`` is on by default: an importer never adds a file twice.

    Raises:
        DatasetExistsError: ``name`` is taken and ``overwrite`` is False.

    Example:
        >>> with staged_dataset("pets") as ds:
        ...     ds.add_samples(samples)
    """
    if name is None:
        name = _default_name()
    if not isinstance(name, str) or not name.strip():
        raise DatasetCoreError(f"A dataset name must be a non-empty string; got {name!r}")
    if dataset_exists(name) and not overwrite:
        raise DatasetExistsError(
            f"Dataset {name!r} already exists; load it with dc.load_dataset({name!r}) or "
            "pass overwrite=True"
        )
    ds = object.__new__(Dataset)
    ds._doc = _create_document(name, save=False, unique_filepaths=unique_filepaths)
    ds._deleted, ds._staging = False, True
    ds._live = LiveSamples()
    ds._schema = dict(_BASE_SCHEMA)
    coll_name = ds._doc.sample_collection_name
    try:
        yield ds
        recovery.hook("commit", 0)
        if overwrite and dataset_exists(name):
            delete_dataset(name)
        ds._staging = False
        ds._class_targets_update()
        try:
            ds._doc.save()  # the commit: one insert makes the whole dataset visible
        except mongoengine.NotUniqueError:
            ds._staging = True
            raise DatasetExistsError(
                f"Dataset {name!r} was created by another process meanwhile; nothing was added"
            ) from None
    except BaseException:
        ds._deleted = True
        with contextlib.suppress(Exception):
            recovery.unstage(coll_name, drop=True)
        raise
    recovery.unstage(coll_name, drop=False)
    _instances[(config.database_name, name)] = ds


@translate_errors
def list_datasets(info: bool = False) -> list[Any]:
    """The names of all datasets, sorted; with ``info``, a dict per dataset
    (FiftyOne's keys: ``name``, ``media_type``, ``persistent``, ``created_at``,
    ``num_samples``: the collection's own count, metadata, no scan, no dataset
    loaded)."""
    db = get_db()
    if not info:
        return sorted(d.name for d in DatasetDocument.objects.only("name"))
    out = []
    for d in DatasetDocument.objects.only(
        "name", "media_type", "persistent", "created_at", "sample_collection_name"
    ):  # fmt: skip
        count = db[d.sample_collection_name].estimated_document_count()
        out.append({"name": d.name, "media_type": d.media_type, "persistent": d.persistent,
                    "created_at": d.created_at, "num_samples": count})  # fmt: skip
    return sorted(out, key=lambda d: d["name"])


@translate_errors
def dataset_exists(name: str) -> bool:
    """Whether a dataset of that name exists."""
    get_db()
    return DatasetDocument.objects(name=name).count() > 0


def load_dataset(name: str) -> Dataset:
    """Load an existing dataset by name.

    Raises:
        DatasetNotFoundError: no such dataset (the message lists those there are).
    """
    return Dataset._load(name)


def delete_dataset(name: str) -> None:
    """Delete a dataset and its samples (never the image files).

    Raises:
        DatasetNotFoundError: no such dataset.
    """
    load_dataset(name).delete()


@translate_errors
def delete_non_persistent_datasets() -> list[str]:
    """Delete every dataset whose ``persistent`` is False; returns their names.

    FiftyOne runs this when its database service stops; ours keeps running for
    every process of the user, so call it yourself (datasets are persistent by
    default here).
    """
    get_db()
    names = sorted(d.name for d in DatasetDocument.objects(persistent=False).only("name"))
    for name in names:
        with contextlib.suppress(DatasetNotFoundError):  # deleted meanwhile elsewhere
            delete_dataset(name)
    return names
