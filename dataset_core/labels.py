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
"""

from __future__ import annotations

import copy
import io
import numbers
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from bson import Binary, ObjectId

from .documents import DynamicEmbeddedDocument, EmbeddedDocument
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
    document_type_named,
)

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

    check.element = element  # type: ignore[attr-defined]  # read by _field_of_check
    return check


#: values stored as they are
_SCALARS = frozenset({str, int, float, bool, type(None)})


def encode(value: Any) -> Any:
    """A label attribute in Mongo form: labels as dicts, arrays as ``.npy`` bytes."""
    t = type(value)
    if t in _SCALARS:
        return value
    if t is list and all(type(v) in _SCALARS for v in value):
        return list(value)
    if isinstance(value, EmbeddedDocument):
        return value.to_dict()
    if isinstance(value, np.ndarray):
        buf = io.BytesIO()
        np.save(buf, value, allow_pickle=False)
        return Binary(buf.getvalue())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


def decode(value: Any) -> Any:
    """Inverse of :func:`encode` (label dicts stay dicts unless declared)."""
    if isinstance(value, bytes) and value[:6] == _NPY_MAGIC:
        return np.load(io.BytesIO(value), allow_pickle=False)
    if type(value) is dict and value.get("_cls") in _DOCUMENT_TYPES:
        return _DOCUMENT_TYPES[value["_cls"]].from_dict(value)
    if type(value) is list and value and type(value[0]) is dict:
        return [decode(v) for v in value]
    return value


class Label(DynamicEmbeddedDocument):
    """Base of every label class: checked attributes, an id, tags, dict round trip.

    Subclasses declare their attributes in ``_checks`` (name -> check) and
    defaults in ``_defaults``; everything else a user passes is kept as a
    dynamic attribute.
    """

    _checks: ClassVar[dict[str, Check]] = {}
    _defaults: ClassVar[dict[str, Any]] = {}
    _has_id: ClassVar[bool] = True
    #: list types: the attribute holding the labels (``"detections"``)
    _list_field: ClassVar[str | None] = None
    _registry: ClassVar[dict[str, type[Label]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)  # registers the class as a document type
        Label._registry[cls.__name__] = cls

    @classmethod
    def _declared_fields(cls) -> dict[str, Field]:
        """Name -> Field of the declared attributes, as the schema reports them."""
        out: dict[str, Field] = {}
        if cls._has_id:
            out["id"] = ObjectIdField()
            out["tags"] = ListField(field=StringField())
        for name, check in cls._checks.items():
            out[name] = _field_of_check(check)
        return out

    def __init__(self, **kwargs: Any) -> None:
        _id = kwargs.pop("_id", None) or kwargs.pop("id", None)
        if isinstance(_id, str):
            _id = ObjectId(_id)
        if self._has_id and _id is None:
            _id = ObjectId()
        object.__setattr__(self, "_id", _id)
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_extra", {})  # attributes a user added, e.g. ``area``
        if self._has_id:
            tags = kwargs.pop("tags", None)
            self._set("tags", [] if tags is None else tags)
        defaults = self._defaults
        for name in self._checks:
            value = kwargs.pop(name, None)
            if value is None and name in defaults:
                value = copy.copy(defaults[name])
            self._set(name, value)
        for name, value in kwargs.items():
            self._set(name, value)

    # -- attributes -------------------------------------------------------------

    @property
    def id(self) -> str:
        """The label's id as a string."""
        return str(self._id)

    @id.setter
    def id(self, value: str | ObjectId) -> None:
        object.__setattr__(self, "_id", ObjectId(value))

    @property
    def _fields(self) -> tuple[str, ...]:
        return tuple(self._checks)

    def _set(self, name: str, value: Any) -> None:
        if name == "tags" and self._has_id:
            if type(value) is not list or not all(type(t) is str for t in value):
                value = _tags(f"{type(self).__name__}.tags", value)
            self._values["tags"] = list(value)
        elif name in self._checks:
            if value is not None:
                value = self._checks[name](f"{type(self).__name__}.{name}", value)
            self._values[name] = value
        else:
            self._extra[name] = value

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for part in ("_values", "_extra"):
            if name in d.get(part, {}):
                return d[part][name]
        raise AttributeError(
            f"{type(self).__name__} has no attribute {name!r}; fields: {list(self.field_names)}"
        )

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or name == "id":
            object.__setattr__(self, name, value)
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
        return names + self._fields + tuple(self._extra)

    def has_field(self, name: str) -> bool:
        """Whether ``name`` is a declared or dynamic attribute of this label."""
        return name in self.field_names or name == "_id"

    def get_field(self, name: str) -> Any:
        """The value of attribute ``name`` (None when declared but unset)."""
        return getattr(self, name)

    def set_field(self, name: str, value: Any) -> None:
        """Set attribute ``name`` (declared ones are type-checked)."""
        self._set(name, value)

    def clear_field(self, name: str) -> None:
        """Unset ``name``: a declared attribute becomes None, a dynamic one goes."""
        if name in self._extra:
            del self._extra[name]
        elif name in self._values:
            self._values[name] = [] if name == "tags" else None
        else:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def iter_fields(self) -> list[tuple[str, Any]]:
        """``(name, value)`` of every attribute, ``id`` first."""
        return [(n, getattr(self, n)) for n in self.field_names]

    # -- dict round trip ----------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The Mongo document of this label."""
        d: dict[str, Any] = {"_cls": type(self).__name__}
        if self._id is not None:
            d["_id"] = self._id
        for name, value in self._values.items():
            if value is None:
                continue
            if type(value) in _SCALARS:
                d[name] = value
            elif name == "tags":  # checked to be a list of str when set
                d[name] = list(value)
            else:
                d[name] = encode(value)
        for name, value in self._extra.items():
            d[name] = encode(value)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Label:
        """Rebuild a label from its Mongo document (stored values are not re-checked)."""
        new = object.__new__(cls)
        _id = d.get("_id")
        object.__setattr__(new, "_id", ObjectId(_id) if isinstance(_id, str) else _id)
        values: dict[str, Any] = {"tags": []} if cls._has_id else {}
        values.update(dict.fromkeys(cls._checks))
        extra: dict[str, Any] = {}
        items = cls._list_field
        for k, v in d.items():
            if k == "_cls" or k == "_id" or k == "id":
                continue
            if k == items:
                element = cls._checks[k]
                values[k] = element(f"{cls.__name__}.{k}", v or [])
            elif k in values:
                values[k] = decode(v) if type(v) is not str else v
            else:
                extra[k] = decode(v) if type(v) is not str else v
        object.__setattr__(new, "_values", values)
        object.__setattr__(new, "_extra", extra)
        return new

    def copy(self) -> Label:
        """A deep copy with a new id (as a copied label is a new label)."""
        new = copy.deepcopy(self)
        if self._has_id:
            object.__setattr__(new, "_id", ObjectId())
        return new

    def __deepcopy__(self, memo: dict[int, Any]) -> Label:
        new = object.__new__(type(self))
        object.__setattr__(new, "_id", self._id)
        object.__setattr__(new, "_values", copy.deepcopy(self._values, memo))
        object.__setattr__(new, "_extra", copy.deepcopy(self._extra, memo))
        return new

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Label) or type(other) is not type(self):
            return NotImplemented
        a, b = self.to_dict(), other.to_dict()
        a.pop("_id", None), b.pop("_id", None)
        return a == b

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        parts = [f"{n}={v!r}" for n, v in self._values.items()
                 if v is not None and not (n == "tags" and not v)]  # fmt: skip
        parts += [f"{k}={v!r}" for k, v in self._extra.items()]
        return f"{type(self).__name__}({', '.join(parts)})"


class Regression(Label):
    """A number predicted for a whole image: ``Regression(value=0.7)``."""

    _checks = {"value": _number, "confidence": _number}


class Classification(Label):
    """A class label for a whole image.

    Example:
        >>> Classification(label="mountain", confidence=0.8)
        Classification(label='mountain', confidence=0.8)
    """

    _checks = {"label": _string, "confidence": _number, "logits": _array}


class Classifications(Label):
    """Several class labels of one image (multi-label classification)."""

    _checks = {"classifications": _labels_of("Classification"), "logits": _array}
    _defaults = {"classifications": []}
    _list_field = "classifications"


class Detection(Label):
    """An object in an image: a label and a box ``[x, y, w, h]`` relative to 0-1.

    ``mask`` is an optional instance mask (a 2-D array over the box), or
    ``mask_path`` the path of one on disk.
    """

    _checks = {"label": _string, "bounding_box": _box, "mask": _array, "mask_path": _string,
               "confidence": _number, "index": _integer}  # fmt: skip


class Detections(Label):
    """The objects of one image: ``Detections(detections=[Detection(...), ...])``."""

    _checks = {"detections": _labels_of("Detection")}
    _defaults = {"detections": []}
    _list_field = "detections"


class Polyline(Label):
    """Shapes drawn on an image: ``points`` is a list of shapes, each a list of
    ``[x, y]`` points relative to 0-1; ``closed`` joins the last point to the
    first, ``filled`` fills the shape."""

    _checks = {"label": _string, "points": _shapes, "confidence": _number, "index": _integer,
               "closed": _boolean, "filled": _boolean}  # fmt: skip
    _defaults = {"points": [], "closed": False, "filled": False}


class Polylines(Label):
    """The polylines of one image."""

    _checks = {"polylines": _labels_of("Polyline")}
    _defaults = {"polylines": []}
    _list_field = "polylines"


class Keypoint(Label):
    """Points of one object (a skeleton): ``points`` is a list of ``[x, y]`` relative
    to 0-1; ``confidence`` optionally one number per point."""

    _checks = {"label": _string, "points": _points, "confidence": _keypoint_confidence,
               "index": _integer}  # fmt: skip
    _defaults = {"points": []}


class Keypoints(Label):
    """The keypoints of one image."""

    _checks = {"keypoints": _labels_of("Keypoint")}
    _defaults = {"keypoints": []}
    _list_field = "keypoints"


class Segmentation(Label):
    """A semantic segmentation of an image: ``mask`` (a 2-D array of class ids) or
    ``mask_path``, the path of a mask image on disk."""

    _checks = {"mask": _array, "mask_path": _string}

    @property
    def has_mask(self) -> bool:
        """Whether the label has a mask, in memory or on disk."""
        return self.mask is not None or self.mask_path is not None

    def get_mask(self) -> np.ndarray | None:
        """The mask: ``mask``, else read from ``mask_path``, else None."""
        if self.mask is not None:
            return self.mask
        if self.mask_path is None:
            return None
        from PIL import Image

        with Image.open(self.mask_path) as img:
            return np.asarray(img)


class Heatmap(Label):
    """A per-pixel intensity map of an image: ``map`` (a 2-D array) or ``map_path``;
    ``range`` is ``[min, max]`` of the values (default: those of the array)."""

    _checks = {"map": _array, "map_path": _string, "range": lambda w, v: _numbers(w, v, 2)}


class ImageMetadata(Label):
    """What ``compute_metadata`` reads from an image's header."""

    _checks = {"size_bytes": _integer, "mime_type": _string, "width": _integer,
               "height": _integer, "num_channels": _integer}  # fmt: skip
    _has_id = False


#: label classes by name: those whose labels have ids (label operations work on them)
LABEL_CLASSES = ("Regression", "Classification", "Classifications", "Detection",
                 "Detections", "Polyline", "Polylines", "Keypoint", "Keypoints",
                 "Segmentation", "Heatmap")  # fmt: skip


def _field_of_check(check: Check) -> Field:
    element = getattr(check, "element", None)
    if element is not None:  # the labels of a list type
        return ListField(field=EmbeddedDocumentField(document_type_named(element)))
    factory = _CHECK_FIELDS.get(check)
    return factory() if factory is not None else Field()


_CHECK_FIELDS: dict[Any, Callable[[], Field]] = {
    _string: StringField,
    _number: FloatField,
    _integer: IntField,
    _boolean: BooleanField,
    _array: ArrayField,
    _box: lambda: ListField(field=FloatField()),
    _points: ListField,
    _shapes: ListField,
    _keypoint_confidence: lambda: ListField(field=FloatField()),
}


def list_field_of(document_type: str | None) -> str | None:
    """The attribute holding the labels of a list type (``"detections"``), else None."""
    cls = Label._registry.get(document_type or "")
    return cls._list_field if cls is not None else None


def label_from_dict(d: dict[str, Any]) -> Any:
    """A label or document object for a document with a ``_cls``; else ``d`` itself."""
    cls = _DOCUMENT_TYPES.get(d.get("_cls", ""))
    return cls.from_dict(d) if cls is not None else d
