"""Labels: embedded documents stored with a ``_cls`` naming their class.

A label is a small value object whose canonical form is a Mongo document::

    Classification(label="cat", confidence=0.9).to_dict()
    # {"_cls": "Classification", "_id": ObjectId(...), "label": "cat", "confidence": 0.9}

``label_from_dict`` turns such a document back into its class; unknown ``_cls``
values stay plain dicts so nothing is lost.
"""

from __future__ import annotations

from typing import Any, ClassVar

from bson import ObjectId

from .documents import DynamicEmbeddedDocument
from .errors import SchemaError
from .fields import (
    EmbeddedDocumentField,
    Field,
    FloatField,
    IntField,
    ListField,
    ObjectIdField,
    StringField,
)
from .values import from_mongo, to_mongo


class Label(DynamicEmbeddedDocument):
    """Base of every label class: declared fields, an id, dict round trip."""

    _fields: ClassVar[tuple[str, ...]] = ()
    _has_id: ClassVar[bool] = True
    _registry: ClassVar[dict[str, type[Label]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Label._registry[cls.__name__] = cls

    def __init__(self, **kwargs: Any) -> None:
        self._id = kwargs.pop("_id", None) or kwargs.pop("id", None)
        if self._has_id and self._id is None:
            self._id = ObjectId()
        elif isinstance(self._id, str):
            self._id = ObjectId(self._id)
        for name in self._fields:
            setattr(self, name, kwargs.pop(name, None))
        self._extra = kwargs  # attributes a user added, e.g. ``area``

    @classmethod
    def _declared_fields(cls) -> dict[str, Field]:
        declared = super()._declared_fields()
        return {"id": ObjectIdField(), **declared} if cls._has_id else declared

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or name in self._fields:
            object.__setattr__(self, name, value)
        else:  # ``detection.iscrowd = 1``: a dynamic attribute, stored with the label
            self._extra[name] = value

    def has_field(self, name: str) -> bool:
        return name in self._fields or name in self._extra or (name == "id" and self._has_id)

    def set_field(self, name: str, value: Any, create: bool = True) -> None:
        if name not in self._fields and name not in self._extra and not create:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")
        setattr(self, name, value)

    def clear_field(self, name: str) -> None:
        if name in self._fields:
            object.__setattr__(self, name, None)
        else:
            self._extra.pop(name, None)

    @property
    def field_names(self) -> tuple[str, ...]:
        return (*(("id",) if self._has_id else ()), *self._fields, *self._extra)

    def iter_fields(self) -> Any:
        return iter([(k, getattr(self, k)) for k in self.field_names])

    @property
    def id(self) -> str:
        """The label's id as a string."""
        return str(self._id)

    def __getattr__(self, name: str) -> Any:
        extra = self.__dict__.get("_extra", {})
        if name in extra:
            return extra[name]
        raise AttributeError(
            f"{type(self).__name__} has no attribute {name!r}; "
            f"fields: {list(self._fields) + list(extra)}"
        )

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def to_dict(self) -> dict[str, Any]:
        """The Mongo document of this label."""
        d: dict[str, Any] = {"_cls": type(self).__name__}
        if self._id is not None:
            d["_id"] = self._id
        for name in self._fields:
            value = getattr(self, name)
            if value is not None:
                d[name] = value.to_dict() if isinstance(value, Label) else value
        if self._extra:
            d.update({k: to_mongo(v) for k, v in self._extra.items()})
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Label:
        """Rebuild a label from its Mongo document."""
        fields = cls._fields
        kwargs = {k: (v if k in fields else from_mongo(v)) for k, v in d.items() if k != "_cls"}
        return cls(**kwargs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Label) or type(other) is not type(self):
            return NotImplemented
        a, b = self.to_dict(), other.to_dict()
        a.pop("_id", None), b.pop("_id", None)
        return a == b

    def __repr__(self) -> str:
        parts = [f"{n}={getattr(self, n)!r}" for n in self._fields if getattr(self, n) is not None]
        parts += [f"{k}={v!r}" for k, v in self._extra.items()]
        return f"{type(self).__name__}({', '.join(parts)})"


class Classification(Label):
    """A class label for a whole image.

    Example:
        >>> Classification(label="mountain", confidence=0.8)
        Classification(label='mountain', confidence=0.8)
    """

    _fields = ("label", "confidence")
    label = StringField()
    confidence = FloatField()

    def __init__(self, label: str | None = None, confidence: float | None = None, **kw: Any):
        super().__init__(label=label, confidence=confidence, **kw)


class Detection(Label):
    """An object in an image: a label and a box ``[x, y, w, h]`` relative to 0-1."""

    _fields = ("label", "bounding_box", "confidence")
    label = StringField()
    bounding_box = ListField(field=FloatField())
    confidence = FloatField()

    def __init__(
        self,
        label: str | None = None,
        bounding_box: list[float] | None = None,
        confidence: float | None = None,
        **kw: Any,
    ):
        if bounding_box is not None:
            box = [float(v) for v in bounding_box]
            if len(box) != 4 or any(v < -1e-6 or v > 1 + 1e-6 for v in box):
                raise SchemaError(
                    f"bounding_box must be [x, y, w, h] relative to the image (0-1); "
                    f"got {bounding_box!r}"
                )
            bounding_box = box
        super().__init__(label=label, bounding_box=bounding_box, confidence=confidence, **kw)


class Detections(Label):
    """The objects of one image: ``Detections(detections=[Detection(...), ...])``."""

    _fields = ("detections",)
    detections = ListField(field=EmbeddedDocumentField(Detection))

    def __init__(self, detections: list[Detection] | None = None, **kw: Any):
        items = [
            d if isinstance(d, Detection) else Detection.from_dict(d) for d in detections or []
        ]
        super().__init__(detections=items, **kw)

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["detections"] = [det.to_dict() for det in self.detections or []]
        return d


class ImageMetadata(Label):
    """What ``compute_metadata`` reads from an image's header."""

    _fields = ("size_bytes", "mime_type", "width", "height", "num_channels")
    size_bytes = IntField()
    mime_type = StringField()
    width = IntField()
    height = IntField()
    num_channels = IntField()
    _has_id = False


def label_from_dict(d: dict[str, Any]) -> Any:
    """A label object for a document with a known ``_cls``; else ``d`` itself."""
    from .fields import _DOCUMENT_TYPES

    cls = _DOCUMENT_TYPES.get(d.get("_cls", ""))
    return cls.from_dict(d) if cls else d
