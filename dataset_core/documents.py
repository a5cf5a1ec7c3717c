"""Embedded documents: attribute bags stored inside samples with a ``_cls``.

``DynamicEmbeddedDocument(task="review", author="Bob")`` is a value like any
other: a sample field, a list element, an attribute of a label. Its stored form
is ``{"_cls": "DynamicEmbeddedDocument", "task": "review", "author": "Bob"}``;
subclasses declare typed fields as class attributes (``label = StringField()``)
and are stored under their own class name.

A document class compares equal to its name (``Classification == "Classification"``),
so code that reads a schema's ``document_type`` as the stored name keeps working
while ``schema["gt"].document_type is Classification`` holds, as in FiftyOne.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from bson import json_util

from .errors import FieldValueError
from .fields import Field, register_document_type


def to_extended(d: dict[str, Any]) -> dict[str, Any]:
    """A Mongo document as plain JSON values: MongoDB extended JSON (relaxed mode),
    ``{"$oid": ...}`` for ids, ``{"$binary": ...}`` for bytes."""
    return json.loads(json_util.dumps(d))


def from_extended(d: dict[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`to_extended`."""
    return json_util.loads(json.dumps(d))


class _DocumentMeta(type):
    def __eq__(cls, other: object) -> bool:
        if isinstance(other, str):
            return cls.__name__ == other
        return cls is other

    def __hash__(cls) -> int:
        return hash(cls.__name__)


class EmbeddedDocument(metaclass=_DocumentMeta):
    """Base of embedded documents with declared fields only.

    Example:
        >>> class Review(EmbeddedDocument):
        ...     author = StringField()
        >>> Review(author="Bob").author
        'Bob'
    """

    _dynamic: ClassVar[bool] = False
    _register: ClassVar[bool] = True
    _declared: ClassVar[dict[str, Field]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = dict(getattr(cls, "_declared", {}))
        for k, v in vars(cls).items():
            if isinstance(v, Field):
                v.name = k
                declared[k] = v
        cls._declared = declared
        if vars(cls).get("_register", True):
            register_document_type(cls)

    @classmethod
    def _declared_fields(cls) -> dict[str, Field]:
        """Name -> Field of the fields the class declares."""
        return dict(cls._declared)

    def __init__(self, **kwargs: Any) -> None:
        data: dict[str, Any] = {k: None for k in self._declared}
        for k, v in kwargs.items():
            if k not in data and not self._dynamic:
                raise AttributeError(
                    f"{type(self).__name__} has no field {k!r}; fields: {list(self._declared)}"
                )
            data[k] = v
        object.__setattr__(self, "_data", data)

    # -- attribute access ---------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        data = self.__dict__.get("_data")
        if data is not None and name in data:
            return data[name]
        raise AttributeError(
            f"{type(self).__name__} has no attribute {name!r}; fields: {list(data or ())}"
        )

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self.set_field(name, value)

    def __getitem__(self, name: str) -> Any:
        return self.get_field(name)

    def __setitem__(self, name: str, value: Any) -> None:
        self.set_field(name, value)

    def __contains__(self, name: str) -> bool:
        return self.has_field(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        """The names of the fields set or declared on this document."""
        return tuple(self._data)

    def has_field(self, name: str) -> bool:
        """Whether ``name`` is set or declared."""
        return name in self._data

    def get_field(self, name: str) -> Any:
        """The value of ``name``.

        Raises:
            AttributeError: no such field.
        """
        return getattr(self, name)

    def set_field(self, name: str, value: Any, create: bool = True) -> None:
        """Set ``name`` (a new attribute when the document is dynamic and ``create``)."""
        if name not in self._data and not (self._dynamic and create):
            raise AttributeError(
                f"{type(self).__name__} has no field {name!r}; fields: {list(self._data)}"
            )
        declared = self._declared.get(name)
        if declared is not None:
            declared.validate(value)
        self._data[name] = value

    def clear_field(self, name: str) -> None:
        """Unset ``name`` (a declared field becomes None; a dynamic one is removed)."""
        if name in self._declared:
            self._data[name] = None
        else:
            self._data.pop(name, None)

    def iter_fields(self) -> Any:
        """``(name, value)`` pairs."""
        return iter(self._data.items())

    # -- stored form -----------------------------------------------------------------

    def to_dict(self, extended: bool = False) -> dict[str, Any]:
        """The Mongo document: ``_cls`` and the fields that are set (with
        ``extended``, as extended JSON: see :func:`to_extended`)."""
        from .values import to_mongo

        d: dict[str, Any] = {"_cls": type(self).__name__}
        for k, v in self._data.items():
            if v is not None or k not in self._declared:
                d[k] = to_mongo(v)
        return to_extended(d) if extended else d

    @classmethod
    def from_dict(cls, d: dict[str, Any], extended: bool = False) -> EmbeddedDocument:
        """Rebuild a document from its Mongo form (nested documents too); ``extended``:
        ``d`` is what ``to_dict(extended=True)`` gave."""
        from .values import from_mongo

        if extended:
            d = from_extended(d)
        return cls(**{k: from_mongo(v) for k, v in d.items() if k != "_cls"})

    def to_json(self, pretty_print: bool = False) -> str:
        """The document as a MongoDB extended JSON string (indented if ``pretty_print``).

        Example:
            >>> Classification.from_json(label.to_json()) == label
            True
        """
        return json_util.dumps(self.to_dict(), indent=4 if pretty_print else None)

    @classmethod
    def from_json(cls, s: str) -> EmbeddedDocument:
        """Rebuild a document from :meth:`to_json`'s string."""
        try:
            d = json_util.loads(s)
        except ValueError as e:  # json.JSONDecodeError is a ValueError
            raise FieldValueError(f"{cls.__name__}.from_json takes a JSON string; {e}") from None
        if not isinstance(d, dict):
            raise FieldValueError(f"{cls.__name__}.from_json takes a JSON object; got {s!r:.80}")
        return cls.from_dict(d)

    def copy(self) -> EmbeddedDocument:
        """A deep copy."""
        return type(self).from_dict(self.to_dict())

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.to_dict() == other.to_dict()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        parts = [f"{k}={v!r}" for k, v in self._data.items() if v is not None]
        return f"{type(self).__name__}({', '.join(parts)})"


class DynamicEmbeddedDocument(EmbeddedDocument):
    """An embedded document that takes any attribute.

    Example:
        >>> doc = DynamicEmbeddedDocument(task="review", author="Bob")
        >>> doc.author
        'Bob'
    """

    _dynamic = True


register_document_type(EmbeddedDocument)
