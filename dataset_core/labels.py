"""Labels: embedded documents stored with a ``_cls`` naming their class.

A label is a small value object whose canonical form is a Mongo document::

    Classification(label="cat", confidence=0.9).to_dict()
    # {"_cls": "Classification", "_id": ObjectId(...), "tags": [], "label": "cat",
    #  "confidence": 0.9}

Every label but :class:`ImageMetadata` has an ``id`` (stored as ``_id``) and a
``tags`` list. Declared attributes are type-checked when set
(``Classification(label=100)`` raises :class:`LabelValidationError`); any
other attribute (``det.area = 0.3``) is stored as given. Numpy arrays (masks,
heatmaps, embeddings) are stored as ``.npy`` bytes, as FiftyOne stores them.

The list types (:class:`Detections`, :class:`Classifications`,
:class:`Polylines`, :class:`Keypoints`) hold their labels in one attribute,
named by :attr:`Label._list_field`; label operations (``filter_labels``,
``tag_labels``...) work on the labels inside. ``label_from_dict`` turns a
stored document back into its class; unknown ``_cls`` values stay plain dicts
so nothing is lost.

Two mixins give the label types their heavier methods without weighing on this
module: :mod:`~dataset_core.label_masks` (``get_mask``, ``export_mask``,
``export_map``...) and :mod:`~dataset_core.label_conversion`
(``Polylines.to_detections``, ``Segmentation.to_polylines``...).
"""

from __future__ import annotations

import copy
import io
import numbers
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from bson import Binary, ObjectId

from .documents import DynamicEmbeddedDocument, EmbeddedDocument, from_extended, to_extended
from .errors import LabelValidationError
from .fields import (
    _DOCUMENT_TYPES,
    ArrayField,
    BooleanField,
    EmbeddedDocumentField,
    Field,
    FloatField,
    IntField,
    ListField,
    ObjectIdField,
    StringField,
)
from .label_conversion import (
    DetectionConversions,
    DetectionsConversions,
    PolylineConversions,
    PolylinesConversions,
    SegmentationConversions,
)
from .label_masks import MapMethods, MaskMethods

#: the first bytes of every ``.npy`` file: how a stored array is recognised
_NPY_MAGIC = b"\x93NUMPY"

#: number types accepted without further checks (bool is an int, but not a number here)
_PLAIN_NUMBERS = (float, int)

Check = Callable[[str, Any], Any]
"""``check(where, value)``: the value to store, or a LabelValidationError."""


def _fail(where: str, value: Any, expected: str) -> LabelValidationError:
    return LabelValidationError(
        f"{where} must be {expected}; got {value!r:.80} ({type(value).__name__})"
    )


def _string(where: str, value: Any) -> Any:
    if type(value) is str:
        return value
    if not isinstance(value, str):
        raise _fail(where, value, "a string")
    return value


def _number(where: str, value: Any) -> Any:
    if type(value) in _PLAIN_NUMBERS:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        raise _fail(where, value, "a number")
    return value.item() if isinstance(value, np.generic) else value


def _integer(where: str, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _fail(where, value, "an int")
    return int(value)


def _boolean(where: str, value: Any) -> Any:
    if not isinstance(value, (bool, np.bool_)):
        raise _fail(where, value, "True or False")
    return bool(value)


def _array(where: str, value: Any) -> Any:
    if not isinstance(value, np.ndarray):
        raise _fail(where, value, "a numpy array")
    return value


def _numbers(where: str, value: Any, n: int | None = None) -> list[Any]:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or (n is not None and len(value) != n):
        raise _fail(where, value, f"a list of {n} numbers" if n else "a list of numbers")
    return [_number(f"{where}[{i}]", v) for i, v in enumerate(value)]


def _box(where: str, value: Any) -> list[Any]:
    if (type(value) is list and len(value) == 4 and all(type(v) in _PLAIN_NUMBERS for v in value)
            and all(-1e-6 <= v <= 1 + 1e-6 for v in value)):  # fmt: skip
        return [v if type(v) is float else float(v) for v in value]  # the common case
    expected = "[x, y, w, h]: 4 numbers relative to the image (0-1)"
    try:
        box = _numbers(where, value, 4)
    except LabelValidationError:
        raise _fail(where, value, expected) from None
    # relative coordinates; a little slack for float noise from converters
    if any(v < -1e-6 or v > 1 + 1e-6 for v in box):
        raise _fail(where, value, expected)
    return [float(v) for v in box]  # stored as floats, as FloatFields


def _points(where: str, value: Any) -> list[Any]:
    """A list of ``[x, y]`` points."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        raise _fail(where, value, "a list of [x, y] points")
    return [_numbers(f"{where}[{i}]", p, 2) for i, p in enumerate(value)]


def _shapes(where: str, value: Any) -> list[Any]:
    """A list of shapes, each a list of ``[x, y]`` points (a Polyline's ``points``)."""
    if not isinstance(value, (list, tuple)):
        raise _fail(where, value, "a list of shapes, each a list of [x, y] points")
    return [_points(f"{where}[{i}]", s) for i, s in enumerate(value)]


def _keypoint_confidence(where: str, value: Any) -> list[Any]:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        raise _fail(where, value, "a list of numbers (one per point)")
    return [v if v is None else _number(f"{where}[{i}]", v) for i, v in enumerate(value)]


def _tags(where: str, value: Any) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(t, str) for t in value):
        raise _fail(where, value, "a list of strings")
    return list(value)


def _labels_of(element: str) -> Check:
    """The check of a list type's labels: Label objects (or their dicts) of ``element``."""

    def check(where: str, value: Any) -> list[Any]:
        cls = Label._registry[element]
        if not isinstance(value, (list, tuple)):
            raise _fail(where, value, f"a list of {element}")
        out = []
        for i, v in enumerate(value):
            if isinstance(v, dict):
                v = cls.from_dict(v)
            if not isinstance(v, cls):
                raise _fail(f"{where}[{i}]", v, f"a {element}")
            out.append(v)
        return out

    return check


#: values stored as they are
_SCALARS = frozenset({str, int, float, bool, type(None)})


def encode(value: Any) -> Any:
    """A label attribute in Mongo form: labels as dicts, arrays as ``.npy`` bytes."""
    # identity tests, not ``type in set``: a document class's metaclass hashes in Python
    t = type(value)
    if t is str or t is float or t is int or t is bool or value is None:
        return value
    if t is list:  # a copy: the stored list is never the label's own
        return [v if type(v) is float or type(v) is str or type(v) is int else encode(v)
                for v in value]  # fmt: skip
    if isinstance(value, EmbeddedDocument):
        return value.to_dict()
    if isinstance(value, np.ndarray):
        buf = io.BytesIO()
        np.save(buf, value, allow_pickle=False)
        return Binary(buf.getvalue())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):  # tuples, list subclasses
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


def decode(value: Any) -> Any:
    """Inverse of :func:`encode`: a stored value as a label attribute.

    ``.npy`` bytes become arrays and documents with a known ``_cls`` their class;
    lists and dicts are copied, so that editing a label in place never edits the
    stored document it was read from (a sample's save compares the two).
    """
    t = type(value)
    if t is list:
        return [v if type(v) in _SCALARS else decode(v) for v in value]
    if t is dict:
        cls = _DOCUMENT_TYPES.get(value.get("_cls"))  # type: ignore[arg-type]
        if cls is not None:
            return cls.from_dict(value)
        return {k: v if type(v) in _SCALARS else decode(v) for k, v in value.items()}
    if isinstance(value, bytes) and value[:6] == _NPY_MAGIC:
        return np.load(io.BytesIO(value), allow_pickle=False)
    return value


def _check_of(field: Field) -> Check:
    """The check of a label attribute declared as ``field``."""
    check = getattr(field, "label_check", None)
    if check is not None:
        return check
    sub = getattr(field, "field", None)
    if isinstance(field, ListField) and isinstance(sub, EmbeddedDocumentField):
        return _labels_of(sub.document_type_name)
    return _FIELD_CHECKS.get(type(field), _anything)


def _anything(where: str, value: Any) -> Any:
    return value


_FIELD_CHECKS: dict[type[Field], Check] = {
    StringField: _string,
    FloatField: _number,
    IntField: _integer,
    BooleanField: _boolean,
    ArrayField: _array,
}


def _checked(field: Field, check: Check) -> Field:
    """``field``, checked by ``check`` when set on a label (instead of its type's check)."""
    field.label_check = check  # type: ignore[attr-defined]
    return field


class Label(DynamicEmbeddedDocument):
    """Base of every label class: checked attributes, an id, tags, dict round trip.

    Subclasses declare their attributes as fields (``label = StringField()``),
    which are both what the schema reports and what is checked when set, and
    defaults in ``_defaults``; everything else a user passes is kept as a
    dynamic attribute. Attributes live in the instance's ``__dict__`` (the
    declared ones always, None when unset), so reading one is a plain
    attribute lookup; ``_id`` is stored there too, first, as in the document.
    """

    _defaults: ClassVar[dict[str, Any]] = {}
    _has_id: ClassVar[bool] = True
    #: list types: the attribute holding the labels (``"detections"``)
    _list_field: ClassVar[str | None] = None
    _registry: ClassVar[dict[str, type[Label]]] = {}
    #: derived from the declared fields by ``__init_subclass__``:
    #: name -> check, name -> "Class.name" (for error messages), name -> None
    _checks: ClassVar[dict[str, Check]] = {}
    _where: ClassVar[dict[str, str]] = {}
    _blank: ClassVar[dict[str, None]] = {}
    #: attributes left out of the stored document while None
    _skip_none: ClassVar[frozenset[str]] = frozenset({"_id"})
    _id: Any = None  # labels without ids (ImageMetadata)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)  # collects the fields; registers the class
        Label._registry[cls.__name__] = cls
        cls._checks = {name: _check_of(f) for name, f in cls._declared.items()}
        names = (["tags"] if cls._has_id else []) + list(cls._checks)
        cls._where = {name: f"{cls.__name__}.{name}" for name in names}
        cls._blank = dict.fromkeys(cls._checks)
        cls._skip_none = frozenset(cls._checks) | {"_id"}

    @classmethod
    def _declared_fields(cls) -> dict[str, Field]:
        """Name -> Field of the declared attributes, as the schema reports them."""
        out: dict[str, Field] = {}
        if cls._has_id:
            out["id"] = ObjectIdField()
            out["tags"] = ListField(field=StringField())
        out.update(cls._declared)
        return out

    def __init__(self, **kwargs: Any) -> None:
        cls = type(self)
        d = self.__dict__
        _id = kwargs.pop("_id", None) or kwargs.pop("id", None)
        if _id is not None:
            d["_id"] = ObjectId(_id) if isinstance(_id, str) else _id
        elif cls._has_id:
            d["_id"] = ObjectId()
        if cls._has_id:
            tags = kwargs.pop("tags", None)
            d["tags"] = [] if tags is None else _tag_list(cls, tags)
        d.update(cls._blank)
        if kwargs:
            checks, where = cls._checks, cls._where
            for name, value in kwargs.items():
                if value is not None:
                    check = checks.get(name)
                    if check is not None:
                        value = check(where[name], value)
                d[name] = value
        for name, default in cls._defaults.items():
            if d[name] is None:
                d[name] = default.copy() if type(default) is list else default

    # -- attributes -------------------------------------------------------------

    @property
    def id(self) -> str:
        """The label's id as a string."""
        return str(self._id)

    @id.setter
    def id(self, value: str | ObjectId) -> None:
        self.__dict__["_id"] = ObjectId(value)

    @property
    def _fields(self) -> tuple[str, ...]:
        return tuple(self._checks)

    def _set(self, name: str, value: Any) -> None:
        if name == "tags" and self._has_id:
            value = _tag_list(type(self), value)
        elif value is not None:
            check = self._checks.get(name)
            if check is not None:
                value = check(self._where[name], value)
        self.__dict__[name] = value

    def __getattr__(self, name: str) -> Any:
        # only reached for names that are not attributes of the label
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"{type(self).__name__} has no attribute {name!r}; fields: {list(self.field_names)}"
        )

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "id":
            object.__setattr__(self, name, value)
        elif name.startswith("_"):
            self.__dict__[name] = value
        else:
            self._set(name, value)

    def __delattr__(self, name: str) -> None:
        self.clear_field(name)

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def __setitem__(self, name: str, value: Any) -> None:
        self._set(name, value)

    def __contains__(self, name: str) -> bool:
        return self.has_field(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        """The names of the declared and dynamic attributes."""
        names = ("id", "tags") if self._has_id else ()
        declared = self._checks
        extra = tuple(k for k in self.__dict__ if k[0] != "_" and k not in declared
                      and k != "tags")  # fmt: skip
        return names + tuple(declared) + extra

    def has_field(self, name: str) -> bool:
        """Whether ``name`` is a declared or dynamic attribute of this label."""
        return name in self.field_names or name == "_id"

    def get_field(self, name: str) -> Any:
        """The value of attribute ``name`` (None when declared but unset)."""
        return getattr(self, name)

    def set_field(self, name: str, value: Any, create: bool = True) -> None:
        """Set attribute ``name`` (declared ones are type-checked)."""
        self._set(name, value)

    def clear_field(self, name: str) -> None:
        """Unset ``name``: a declared attribute becomes None, a dynamic one goes."""
        d = self.__dict__
        if name == "tags" and self._has_id:
            d[name] = []
        elif name in self._checks:
            d[name] = None
        elif name in d and name[0] != "_":
            del d[name]
        else:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def iter_fields(self) -> list[tuple[str, Any]]:
        """``(name, value)`` of every attribute, ``id`` first."""
        return [(n, getattr(self, n)) for n in self.field_names]

    # -- dict round trip ----------------------------------------------------------

    def to_dict(self, extended: bool = False) -> dict[str, Any]:
        """The Mongo document of this label (with ``extended``, as extended JSON).

        A dynamic attribute holding an ObjectId is stored as ``_name`` (as
        FiftyOne stores id fields): ``custom_id`` -> ``_custom_id``.
        """
        out: dict[str, Any] = {"_cls": type(self).__name__}
        skip_none = self._skip_none
        for name, value in self.__dict__.items():
            if value is None:
                if name not in skip_none:  # a dynamic attribute set to None is kept
                    out[name] = value
                continue
            t = type(value)
            if t is str or t is float or t is int or t is bool:
                out[name] = value
            elif t is ObjectId:
                out[name if name == "_id" or name[0] == "_" else "_" + name] = value
            elif t is list and not value:
                out[name] = []
            else:
                out[name] = encode(value)
        return to_extended(out) if extended else out

    @classmethod
    def from_dict(cls, d: dict[str, Any], extended: bool = False) -> Label:
        """Rebuild a label from its Mongo document (stored values are not re-checked);
        ``extended``: ``d`` is what ``to_dict(extended=True)`` gave.

        Lists and dicts are copied (see :func:`decode`): the label may be edited
        in place and saved without touching ``d``.
        """
        if extended:
            d = from_extended(d)
        new = object.__new__(cls)
        out = new.__dict__
        if cls._has_id:
            out["_id"] = None  # first, as in the document
            out["tags"] = None
        out.update(cls._blank)
        out.update(d)
        out.pop("_cls", None)
        items = cls._list_field
        for k, v in d.items():
            t = type(v)
            if t is str or t is float or t is int or t is bool or v is None:
                continue
            if t is ObjectId:
                if k != "_id" and k[0] == "_":  # an id attribute: "_custom_id" -> custom_id
                    del out[k]
                    out[k[1:]] = v
                continue
            if t is list and not v:
                out[k] = []
            elif k == items:
                out[k] = cls._checks[k](cls._where[k], v)
            else:
                out[k] = decode(v)
        if cls._has_id:
            _id = out["_id"]
            if _id is None:
                _id = out.get("id")
                out["_id"] = ObjectId() if _id is None else ObjectId(_id)
            elif type(_id) is str:
                out["_id"] = ObjectId(_id)
            if out["tags"] is None:
                out["tags"] = []
        if "id" in out:
            del out["id"]
        if items is not None and out[items] is None:
            out[items] = []
        return new

    def copy(self) -> Label:
        """A deep copy with a new id (as a copied label is a new label)."""
        new = copy.deepcopy(self)
        if self._has_id:
            new.__dict__["_id"] = ObjectId()
        return new

    def __deepcopy__(self, memo: dict[int, Any]) -> Label:
        new = object.__new__(type(self))
        new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return new

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Label) or type(other) is not type(self):
            return NotImplemented
        a, b = self.to_dict(), other.to_dict()
        a.pop("_id", None), b.pop("_id", None)
        return a == b

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        parts = [f"{n}={v!r}" for n, v in self.__dict__.items()
                 if n[0] != "_" and v is not None and not (n == "tags" and not v)]  # fmt: skip
        return f"{type(self).__name__}({', '.join(parts)})"


def _tag_list(cls: type[Label], value: Any) -> list[str]:
    """A label's tags as a new list of strings, or a LabelValidationError."""
    if type(value) is list and all(type(t) is str for t in value):
        return list(value)
    return _tags(f"{cls.__name__}.tags", value)


class Regression(Label):
    """A number predicted for a whole image: ``Regression(value=0.7)``."""

    value = FloatField()
    confidence = FloatField()


class Classification(Label):
    """A class label for a whole image.

    Example:
        >>> Classification(label="mountain", confidence=0.8)
        Classification(label='mountain', confidence=0.8)
    """

    label = StringField()
    confidence = FloatField()
    logits = ArrayField()


class Classifications(Label):
    """Several class labels of one image (multi-label classification)."""

    classifications = ListField(field=EmbeddedDocumentField("Classification"))
    logits = ArrayField()
    _defaults = {"classifications": []}
    _list_field = "classifications"


class Detection(MaskMethods, DetectionConversions, Label):
    """An object in an image: a label and a box ``[x, y, w, h]`` relative to 0-1.

    ``mask`` is an optional instance mask (a 2-D array over the box), or
    ``mask_path`` the path of one on disk.
    """

    label = StringField()
    bounding_box = _checked(ListField(field=FloatField()), _box)
    mask = ArrayField()
    mask_path = StringField()
    confidence = FloatField()
    index = IntField()


class Detections(DetectionsConversions, Label):
    """The objects of one image: ``Detections(detections=[Detection(...), ...])``."""

    detections = ListField(field=EmbeddedDocumentField("Detection"))
    _defaults = {"detections": []}
    _list_field = "detections"


class Polyline(PolylineConversions, Label):
    """Shapes drawn on an image: ``points`` is a list of shapes, each a list of
    ``[x, y]`` points relative to 0-1; ``closed`` joins the last point to the
    first, ``filled`` fills the shape."""

    label = StringField()
    points = _checked(ListField(), _shapes)
    confidence = FloatField()
    index = IntField()
    closed = BooleanField()
    filled = BooleanField()
    _defaults = {"points": [], "closed": False, "filled": False}


class Polylines(PolylinesConversions, Label):
    """The polylines of one image."""

    polylines = ListField(field=EmbeddedDocumentField("Polyline"))
    _defaults = {"polylines": []}
    _list_field = "polylines"


class Keypoint(Label):
    """Points of one object (a skeleton): ``points`` is a list of ``[x, y]`` relative
    to 0-1; ``confidence`` optionally one number per point."""

    label = StringField()
    points = _checked(ListField(), _points)
    confidence = _checked(ListField(field=FloatField()), _keypoint_confidence)
    index = IntField()
    _defaults = {"points": []}


class Keypoints(Label):
    """The keypoints of one image."""

    keypoints = ListField(field=EmbeddedDocumentField("Keypoint"))
    _defaults = {"keypoints": []}
    _list_field = "keypoints"


class Segmentation(MaskMethods, SegmentationConversions, Label):
    """A semantic segmentation of an image: ``mask`` (a 2-D array of class ids) or
    ``mask_path``, the path of a mask image on disk."""

    mask = ArrayField()
    mask_path = StringField()


def _range(where: str, value: Any) -> list[Any]:
    return _numbers(where, value, 2)


class Heatmap(MapMethods, Label):
    """A per-pixel intensity map of an image: ``map`` (a 2-D array) or ``map_path``;
    ``range`` is ``[min, max]`` of the values (default: those of the array)."""

    map = ArrayField()
    map_path = StringField()
    range = _checked(Field(), _range)


def _support(where: str, value: Any) -> list[int]:
    """``[first, last]`` frame numbers: ints from 1, ``first <= last``."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    expected = "[first, last]: two frame numbers from 1, first <= last"
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise _fail(where, value, expected)
    first, last = (_integer(f"{where}[{i}]", v) for i, v in enumerate(value))
    if not 1 <= first <= last:
        raise _fail(where, value, expected)
    return [first, last]


class TemporalDetection(Label):
    """A labelled stretch of frames: ``support`` is ``[first, last]`` (from 1, inclusive).

    A plain label here (there are no videos): it is stored, read, filtered and
    tagged like any other.

    Example:
        >>> TemporalDetection(label="jump", support=[10, 25], confidence=0.8)
        TemporalDetection(label='jump', support=[10, 25], confidence=0.8)
    """

    label = StringField()
    support = _checked(ListField(field=IntField()), _support)
    confidence = FloatField()


class ImageMetadata(Label):
    """What ``compute_metadata`` reads from an image's header."""

    _has_id = False
    size_bytes = IntField()
    mime_type = StringField()
    width = IntField()
    height = IntField()
    num_channels = IntField()


#: label classes by name: those whose labels have ids (label operations work on them)
LABEL_CLASSES = ("Regression", "Classification", "Classifications", "Detection",
                 "Detections", "Polyline", "Polylines", "Keypoint", "Keypoints",
                 "Segmentation", "Heatmap", "TemporalDetection", "GeoLocation",
                 "GeoLocations")  # fmt: skip


def list_field_of(document_type: str | None) -> str | None:
    """The attribute holding the labels of a list type (``"detections"``), else None."""
    cls = Label._registry.get(document_type or "")
    return cls._list_field if cls is not None else None


def label_from_dict(d: dict[str, Any]) -> Any:
    """A label or document object for a document with a ``_cls``; else ``d`` itself."""
    cls = _DOCUMENT_TYPES.get(d.get("_cls", ""))
    return cls.from_dict(d) if cls is not None else d
