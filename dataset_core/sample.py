"""Samples: one image and its fields, stored as one plain Mongo document.

A :class:`Sample` wraps its stored document without copying or converting it,
so iterating a dataset costs little more than pymongo's decoding. Labels and
arrays are converted on first access and written back by :meth:`Sample.save`.
"""

from __future__ import annotations

import copy
import os
import pprint
import weakref
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from .errors import DatasetCoreError, FieldNotFoundError, FieldValueError, SchemaError
from .fields import DateField, validate_field_name
from .labels import Label
from .singletons import reload_samples
from .values import from_mongo, to_mongo

if TYPE_CHECKING:
    from .dataset import Dataset

_MUTABLE = (list, dict)
#: stands for "this field was not in the document the view returned"
_ABSENT = object()
#: stands for "no default given" in :meth:`Sample.get_field`
_REQUIRED = object()
#: fields every sample has: they can be set, never removed
_DEFAULT_NAMES = frozenset({"filepath", "tags", "metadata"})


def utcnow() -> datetime:
    """Naive UTC now to the millisecond, as MongoDB stores datetimes: a sample in
    memory then shows the same ``created_at`` as its stored copy."""
    now = datetime.now(timezone.utc)
    return now.replace(tzinfo=None, microsecond=now.microsecond // 1000 * 1000)


def _abspath(filepath: Any) -> str:
    if not isinstance(filepath, (str, os.PathLike)):
        raise FieldValueError(
            f"A sample's filepath is a string or path; got {type(filepath).__name__} "
            f"{filepath!r:.60}"
        )
    return os.path.abspath(os.fspath(filepath))


def _tag_list(tags: Any) -> list[str]:
    """``tags`` as a new list of strings; a clear error for anything else."""
    if tags is None:
        return []
    if isinstance(tags, (str, bytes)) or not isinstance(tags, (list, tuple, set, frozenset)):
        raise FieldValueError(
            f"A sample's tags are a list of strings; got {type(tags).__name__} {tags!r:.60}"
        )
    bad = [t for t in tags if not isinstance(t, str)]
    if bad:
        raise FieldValueError(f"A sample's tags are strings; got {bad[0]!r:.60} in {tags!r:.80}")
    return list(tags)


def _tags_or_raw(tags: Any) -> tuple[Any, bool]:
    """``(tags as a list, True)``, or ``(tags as given, False)`` when they are invalid.

    A sample outside a dataset holds bad tags as given, as FiftyOne's do; adding
    it to a dataset raises the clear error of :func:`_tag_list`.
    """
    try:
        return _tag_list(tags), True
    except FieldValueError:
        return tags, False


#: fields a copied sample does not take: the dataset sets them when it is added
_NOT_COPIED = frozenset({"id", "created_at", "last_modified_at"})


def _new_label_ids(value: Any) -> Any:
    """``value`` (stored form) with a fresh ``_id`` in every label: a copy is a new label."""
    if type(value) is dict:
        if "_cls" in value and "_id" in value:
            value["_id"] = ObjectId()
        for v in value.values():
            if type(v) in (dict, list):
                _new_label_ids(v)
    elif type(value) is list:
        for v in value:
            if type(v) in (dict, list):
                _new_label_ids(v)
    return value


def _detach(value: Any) -> Any:
    if type(value) is list and all(type(v) in (str, int, float, bool) for v in value):
        return list(value)
    return copy.deepcopy(value)


class Sample:
    """An image and its fields.

    Args:
        filepath: path of the image; stored absolute.
        tags: a list of strings.
        **fields: any other fields: numbers, strings, lists, dicts, labels
            (``Classification``...), numpy arrays.

    Example:
        >>> s = Sample("/data/cat.jpg", tags=["train"], ground_truth=Classification(label="cat"))
        >>> s["ground_truth"].label
        'cat'
    """

    __slots__ = ("_doc", "_dataset", "_dirty", "_objects", "_partial", "_orig", "__weakref__")

    _doc: dict[str, Any]
    _dataset: Dataset | None
    _dirty: set[str] | None
    _objects: dict[str, Any] | None
    _partial: bool
    _orig: dict[str, Any] | None

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        tags: list[str] | None = None,
        **fields: Any,
    ):
        # the slots are set through their descriptors: __setattr__ is a Python call
        try:
            tag_list, dirty = _tag_list(tags), None
        except FieldValueError:  # held as given; "tags" dirty: add_samples raises for them
            tag_list, dirty = tags, {"tags"}
        _set_doc(self, {"filepath": _abspath(filepath), "tags": tag_list, "metadata": None})
        _set_dataset(self, None)
        _set_dirty(self, dirty)
        _set_objects(self, None)
        _set_partial(self, False)
        _set_orig(self, None)
        for name, value in fields.items():
            self[name] = value

    @classmethod
    def _from_doc(cls, doc: dict[str, Any], dataset: Dataset | None,
                  partial: bool = False) -> Sample:  # fmt: skip
        """Wrap a stored document (the hot path of iteration: no copying).

        ``partial``: the document is a view's projection (filtered labels,
        selected or excluded fields), not the stored one; :meth:`save` then
        writes only the paths that were edited, merging label lists by id.
        """
        s = _new(cls)
        _set_doc(s, doc)
        _set_dataset(s, dataset)
        _set_dirty(s, None)
        _set_objects(s, None)
        _set_partial(s, partial)
        _set_orig(s, None)
        return s

    def _remember(self, name: str) -> None:
        """Keep the view's value of ``name`` before its first edit (partial samples)."""
        if self._partial:
            if self._orig is None:
                self._orig = {}
            if name not in self._orig:
                self._orig[name] = copy.deepcopy(self._doc.get(name, _ABSENT))

    # -- identity -------------------------------------------------------------

    @property
    def id(self) -> str | None:
        """The sample's id as a string, or None before it is added to a dataset."""
        _id = self._doc.get("_id")
        return str(_id) if _id is not None else None

    @property
    def dataset(self) -> Dataset | None:
        """The dataset this sample belongs to, if any."""
        return self._dataset

    @property
    def in_dataset(self) -> bool:
        """Whether the sample is stored in a dataset."""
        return self._dataset is not None

    @property
    def filepath(self) -> str:
        """The absolute path of the image."""
        return self._doc["filepath"]

    @property
    def filename(self) -> str:
        """The basename of the image's path (``"cat.jpg"``)."""
        return os.path.basename(self._doc["filepath"])

    @property
    def tags(self) -> list[str]:
        """The sample's tags; edit in place, then :meth:`save`."""
        return self["tags"]

    @tags.setter
    def tags(self, value: list[str]) -> None:
        self["tags"] = value

    @property
    def ingest_time(self) -> datetime | None:
        """When the sample was added to its dataset (UTC), or None before
        (FiftyOne's older name of ``created_at``)."""
        return self._doc.get("created_at")

    @property
    def metadata(self) -> Any:
        """Image metadata (width, height, size_bytes, mime_type) or None."""
        return self["metadata"]

    @metadata.setter
    def metadata(self, value: Any) -> None:
        self["metadata"] = value

    # -- field access ---------------------------------------------------------

    @property
    def field_names(self) -> tuple[str, ...]:
        """The names of the fields this sample has (or its dataset's schema has)."""
        names = ["id"] + [k for k in self._doc if not k.startswith("_")]
        if self._dataset is not None:
            names += [n for n in self._dataset._schema if n not in names]
        return tuple(names)

    def has_field(self, name: str) -> bool:
        """Whether ``name`` is set on the sample or declared by its dataset."""
        return (
            name == "id"
            or name in self._doc
            or (self._dataset is not None and name in self._dataset._schema)
        )

    def get_field(self, name: str, default: Any = _REQUIRED) -> Any:
        """The value of ``name``; ``default`` when the sample has no such field.

        A field its dataset declares but this sample lacks is None.

        Raises:
            FieldNotFoundError: (also an AttributeError and KeyError) no such field
                and no ``default`` given.
        """
        if default is not _REQUIRED and not self.has_field(name):
            return default
        return self[name]

    def set_field(self, name: str, value: Any, create: bool = True,
                  validate: bool = True, dynamic: bool = False) -> None:  # fmt: skip
        """Set ``name`` to ``value``, as ``sample[name] = value``.

        Args:
            name: the field.
            value: its new value.
            create: allow a field the sample (and its dataset) does not have yet;
                on a sample in a dataset it is declared at once.
            validate: accepted for FiftyOne's signature; values are always checked.
            dynamic: accepted for FiftyOne's signature.

        Raises:
            FieldNotFoundError: (also a ValueError) a new field and ``create=False``.
            FieldValueError: a value of the wrong type for its declared field.
        """
        if not create and not self.has_field(name):
            raise FieldNotFoundError(
                f"Sample has no field {name!r} and create=False; fields: "
                f"{list(self.field_names)}. Pass create=True to add it"
            )
        self[name] = value

    def __getitem__(self, name: str) -> Any:
        if name == "id":
            return self.id
        objects = self._objects
        if objects is not None and name in objects:
            return objects[name]
        try:
            value = self._doc[name]
        except KeyError:
            if self._dataset is not None and name in self._dataset._schema:
                return None
            raise FieldNotFoundError(
                f"Sample has no field {name!r}; fields: {list(self.field_names)}"
            ) from None
        if type(value) is datetime and self._dataset is not None:
            if type(self._dataset._schema.get(name)) is DateField:
                return value.date()  # a DateField is stored as midnight UTC
        if isinstance(value, _MUTABLE):
            # handed out mutable: the caller may edit it in place before save(),
            # so keep a detached copy and compare it with the stored form then
            value = from_mongo(value)
            if value is self._doc[name]:
                value = _detach(value)
            if self._objects is None:
                self._objects = {}
            self._objects[name] = value
        return value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self[name]  # FieldNotFoundError is an AttributeError: hasattr() works

    def __setitem__(self, name: str, value: Any) -> None:
        if name in ("id", "_id"):
            raise SchemaError(f"Invalid field name {name!r}: a sample's id cannot be changed")
        validate_field_name(name)
        dataset = self._dataset
        if name == "filepath":
            value = _abspath(value)
        elif name == "tags":
            value = _tag_list(value) if dataset is not None else _tags_or_raw(value)[0]
        stored = to_mongo(value)
        if dataset is not None:
            found = dataset._check_value(name, stored)
            if found is not None and name not in dataset._schema:
                dataset._merge_schema({name: found})  # declared at once, as FiftyOne does
        self._remember(name)
        self._doc[name] = stored
        if isinstance(stored, _MUTABLE):
            if self._objects is None:
                self._objects = {}
            self._objects[name] = (
                value if isinstance(value, (Label, *_MUTABLE)) else from_mongo(stored)
            )
        elif self._objects is not None:
            self._objects.pop(name, None)
        if self._dirty is None:
            self._dirty = set()
        self._dirty.add(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in Sample.__slots__ or name in ("tags", "metadata"):
            object.__setattr__(self, name, value)
        elif self.has_field(name):
            self[name] = value
        else:  # a typo must not create a field: new fields are made explicitly
            raise FieldNotFoundError(
                f"Sample has no field {name!r}; create it with sample[{name!r}] = value "
                f"or sample.set_field({name!r}, value)"
            )

    def __delitem__(self, name: str) -> None:
        self.clear_field(name)

    def clear_field(self, name: str) -> None:
        """Clear ``name``: None on a sample in a dataset (the field stays declared);
        removed from a sample outside one. ``tags`` become ``[]``.

        Raises:
            FieldValueError: ``filepath`` (every sample has one).
            FieldNotFoundError: the sample has no such field.
        """
        if name == "filepath":
            raise FieldValueError("A sample's filepath cannot be cleared; set another path")
        if name == "tags":
            self["tags"] = []
        elif self._dataset is not None or name in _DEFAULT_NAMES:
            self[name] = None
        elif name in self._doc:
            del self._doc[name]
            if self._objects is not None:
                self._objects.pop(name, None)
            if self._dirty is not None:
                self._dirty.discard(name)
        else:
            raise FieldNotFoundError(
                f"Sample has no field {name!r}; fields: {list(self.field_names)}"
            )

    def add_tag(self, tag: str) -> None:
        """Add ``tag`` unless present; call :meth:`save` to store it."""
        tags = self.tags
        if tag not in tags:
            tags.append(tag)

    def remove_tag(self, tag: str) -> None:
        """Remove ``tag`` if present; call :meth:`save` to store it."""
        tags = self.tags
        if tag in tags:
            tags.remove(tag)

    # -- persistence ----------------------------------------------------------

    def _sync_objects(self) -> set[str]:
        """Re-serialise values handed out mutable; return the fields that changed."""
        changed: set[str] = set(self._dirty or ())
        for name, obj in (self._objects or {}).items():
            stored = to_mongo(obj)
            if stored != self._doc.get(name):
                self._remember(name)
                self._doc[name] = stored
                changed.add(name)
        return changed

    def save(self) -> None:
        """Write the fields changed since loading to the database.

        Raises:
            DatasetCoreError: the sample is not in a dataset.
            SampleNotFoundError: the sample was deleted from its dataset.
        """
        if self._dataset is None:
            raise DatasetCoreError(
                "This sample is not in a dataset; add it with dataset.add_sample(sample)"
            )
        changed = self._sync_objects()
        dataset = self._dataset
        if changed:
            dataset._save_sample(self, changed)
        self._dirty = None
        self._orig = None
        oid = self._doc["_id"]
        live = dataset._live.get(oid)
        if live is None and not self._partial:
            dataset._live.refs[oid] = weakref.ref(self)  # the singleton from now on
        elif live is not None and live is not self and changed:
            reload_samples(dataset, [oid], skip=self)  # the other handle sees the edit

    def reload(self, hard: bool = False) -> None:
        """Re-read the sample from the database, dropping unsaved changes.

        ``hard`` is accepted for FiftyOne's signature (every reload reads the
        database). A sample read through a view becomes the whole stored sample.

        Raises:
            SampleNotFoundError: the sample was deleted from its dataset meanwhile.
        """
        if self._dataset is None:
            return
        self._doc = self._dataset._get_doc(self._doc["_id"])
        self._dirty = self._objects = self._orig = None
        self._partial = False

    def to_mongo_dict(self) -> dict[str, Any]:
        """The stored document, with in-place edits applied."""
        self._sync_objects()
        return dict(self._doc)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict of every field, ``id`` as a string, labels as dicts."""
        d: dict[str, Any] = {"id": self.id}
        for k, v in self.to_mongo_dict().items():
            if not k.startswith("_"):
                d[k] = v
        if self._dataset is not None and not self._partial:
            for k in self._dataset._schema:  # declared but unset: None, as sample[k] is
                d.setdefault(k, None)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Sample:
        """A new sample (not in a dataset) from a dict such as :meth:`to_dict` returns.

        Labels may be given as label objects or as their dicts (``{"_cls":
        "Classification", ...}``); ``id``, ``created_at``, ``last_modified_at``
        and ``_``-prefixed keys are not copied (the dataset sets them).

        Raises:
            FieldValueError: ``d`` has no ``filepath``, or bad tags.

        Example:
            >>> s2 = Sample.from_dict(s.to_dict())
        """
        if not isinstance(d, dict) or "filepath" not in d:
            raise FieldValueError(f"Sample.from_dict takes a dict with a 'filepath'; got {d!r:.80}")
        fields = {
            k: from_mongo(v) for k, v in d.items()
            if k not in _NOT_COPIED and not k.startswith("_")
        }  # fmt: skip
        return cls(**fields)

    def copy(self, fields: Any = None, omit_fields: Any = None) -> Sample:
        """A new sample, not in any dataset, with the same fields and new label ids.

        Args:
            fields: only these fields (besides filepath and tags).
            omit_fields: all fields but these.
        """
        keep = None if fields is None else set([fields] if isinstance(fields, str) else fields)
        omit = set([omit_fields] if isinstance(omit_fields, str) else omit_fields or ())
        doc = {}
        for k, v in self.to_mongo_dict().items():
            if k.startswith("_") or k in _NOT_COPIED:
                continue
            if k not in ("filepath", "tags") and ((keep is not None and k not in keep)
                                                  or k in omit):  # fmt: skip
                continue
            doc[k] = _new_label_ids(copy.deepcopy(v))
        return Sample._from_doc(doc, None)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sample):
            return NotImplemented
        if self.id is not None or other.id is not None:
            return self.id == other.id and self._dataset is other._dataset
        return self.to_mongo_dict() == other.to_mongo_dict()

    def __hash__(self) -> int:
        return hash(self.id) if self.id else id(self)

    def __repr__(self) -> str:
        fields: dict[str, Any] = {"id": self.id}
        for name in self.field_names:
            if name != "id" and name not in ("created_at", "last_modified_at"):
                fields[name] = self[name]
        body = pprint.pformat(fields, sort_dicts=False, width=88)
        return f"<Sample: {body}>"


# setters of Sample's slots, for the hot paths (iteration, construction, add_samples)
_new = object.__new__
_set_doc, _set_dataset, _set_dirty, _set_objects, _set_partial, _set_orig = (
    getattr(Sample, name).__set__ for name in Sample.__slots__ if name != "__weakref__"
)
