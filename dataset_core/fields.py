"""Field types: the classes a dataset's schema is made of, as in FiftyOne.

A schema maps each sample field to a :class:`Field` instance: ``IntField()``,
``ListField(field=StringField())``, ``EmbeddedDocumentField(Classification)``...
Each field class has an ``ftype`` name (``"int"``, ``"list"``, ``"embedded"``)
that is also its stored form in the dataset document, so the schemas stored
before these classes existed (``{"ftype", "document_type", "subfield"}``) load
as they are.

Values themselves are converted to and from their Mongo form in
:mod:`dataset_core.values`.
"""

from __future__ import annotations

import copy
import re
from datetime import date, datetime
from typing import Any, ClassVar

from bson import ObjectId

from .errors import FieldValueError, SchemaError

#: ftype names, and the class names ``summary()`` shows for them
FTYPE_NAMES = {
    "string": "StringField",
    "int": "IntField",
    "float": "FloatField",
    "bool": "BooleanField",
    "date": "DateField",
    "datetime": "DateTimeField",
    "objectid": "ObjectIdField",
    "list": "ListField",
    "dict": "DictField",
    "embedded": "EmbeddedDocumentField",
    "array": "ArrayField",
    "vector": "VectorField",
}
#: fields every sample has; they cannot be deleted or renamed
DEFAULT_FIELDS = (
    "id",
    "filepath",
    "tags",
    "metadata",
    "created_at",
    "last_modified_at",
)
#: stored but hidden from users
PRIVATE_FIELDS = ("_id", "_rand")

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# -- embedded document classes, by the name stored in ``_cls`` ----------------------

_DOCUMENT_TYPES: dict[str, type] = {}
_PLACEHOLDERS: dict[str, type] = {}


def register_document_type(cls: type) -> None:
    """Make ``cls`` the class of stored documents whose ``_cls`` is its name."""
    _DOCUMENT_TYPES[cls.__name__] = cls


def document_type_named(name: str) -> type:
    """The embedded document class stored as ``name``.

    A name no class is registered for (a class defined in a script not run in
    this process) gets a placeholder subclass of ``DynamicEmbeddedDocument``,
    so the stored schema still loads.
    """
    cls = _DOCUMENT_TYPES.get(name)
    if cls is not None:
        return cls
    if name not in _PLACEHOLDERS:
        base = _DOCUMENT_TYPES["DynamicEmbeddedDocument"]
        _PLACEHOLDERS[name] = type(name, (base,), {"_register": False})
    return _PLACEHOLDERS[name]


def is_document_type(value: Any) -> bool:
    """Whether ``value`` is an embedded document class (a Label class too)."""
    base = _DOCUMENT_TYPES.get("EmbeddedDocument")
    return isinstance(value, type) and base is not None and issubclass(value, base)


# -- the field classes ----------------------------------------------------------------


class _FieldMeta(type):
    # ``Field("float")`` and ``Field("embedded", "Classification")``: the form this
    # project used before the typed classes; kept so existing code keeps working
    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is Field and args and isinstance(args[0], str):
            return _from_ftype(*args, **kwargs)
        return super().__call__(*args, **kwargs)


class Field(metaclass=_FieldMeta):
    """Base of the field types of a schema.

    Args:
        description: a free-text description of the field.
        info: a dict of anything about the field.
        read_only: whether edits to the field are refused.
    """

    ftype: ClassVar[str] = "field"
    #: compatibility with the pre-class schema: None except where meaningful
    document_type: Any = None
    subfield: str | None = None

    def __init__(self, description: str | None = None, info: dict[str, Any] | None = None,
                 read_only: bool = False) -> None:  # fmt: skip
        self.name: str | None = None
        self.description = description
        self.info = info
        self.read_only = bool(read_only)

    # -- what values the field holds -------------------------------------------

    def validate(self, value: Any) -> None:
        """Raise FieldValueError unless ``value`` (user form) fits this field; None fits."""

    def accepts(self, other: Field) -> bool:
        """Whether a value inferred as ``other`` may be stored in this field."""
        return type(other) is type(self) or type(self) is Field

    # -- stored form -------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The form stored in the dataset document."""
        d: dict[str, Any] = {"ftype": self.ftype, "document_type": None, "subfield": None}
        if self.description is not None:
            d["description"] = self.description
        if self.info:
            d["info"] = dict(self.info)
        if self.read_only:
            d["read_only"] = True
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Field:
        """Inverse of :meth:`to_dict` (also reads the schemas stored before field classes)."""
        return _from_ftype(
            d["ftype"], d.get("document_type"), d.get("subfield"), field=d.get("field"),
            fields=d.get("fields"), description=d.get("description"), info=d.get("info"),
            read_only=bool(d.get("read_only", False)),
        )  # fmt: skip

    def copy(self) -> Field:
        """A deep copy (schemas are edited copy-on-write)."""
        return copy.deepcopy(self)

    # -- comparison and display ----------------------------------------------------

    def _key(self) -> tuple[Any, ...]:
        return (type(self),)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Field):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self}>"


def _fail(field: Field, value: Any, expected: str) -> None:
    where = f"Field {field.name!r}" if field.name else str(field)
    raise FieldValueError(f"{where} holds {expected}; got {type(value).__name__} {value!r:.60}")


class IntField(Field):
    """A 64-bit integer."""

    ftype = "int"

    def validate(self, value: Any) -> None:
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            if not (isinstance(value, float) and value.is_integer()):
                _fail(self, value, "ints")


class FloatField(Field):
    """A float; ints are accepted, as in FiftyOne."""

    ftype = "float"

    def validate(self, value: Any) -> None:
        if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
            _fail(self, value, "floats")

    def accepts(self, other: Field) -> bool:
        return isinstance(other, (FloatField, IntField))


class StringField(Field):
    """A string."""

    ftype = "string"

    def validate(self, value: Any) -> None:
        if value is not None and not isinstance(value, str):
            _fail(self, value, "strings")


class BooleanField(Field):
    """A bool."""

    ftype = "bool"

    def validate(self, value: Any) -> None:
        if value is not None and not isinstance(value, bool):
            _fail(self, value, "bools")


class DateField(Field):
    """A date: stored as a datetime at midnight UTC, read back as ``datetime.date``."""

    ftype = "date"

    def validate(self, value: Any) -> None:
        if value is not None and not isinstance(value, date):
            _fail(self, value, "dates")

    def accepts(self, other: Field) -> bool:
        return isinstance(other, (DateField, DateTimeField))


class DateTimeField(Field):
    """A datetime, stored (and read back) as naive UTC, as in FiftyOne."""

    ftype = "datetime"

    def validate(self, value: Any) -> None:
        if value is not None and not isinstance(value, datetime):
            _fail(self, value, "datetimes")


class ObjectIdField(Field):
    """A MongoDB ObjectId."""

    ftype = "objectid"

    def validate(self, value: Any) -> None:
        if value is not None and not isinstance(value, (ObjectId, str)):
            _fail(self, value, "ObjectIds")


class ArrayField(Field):
    """A numpy array of any shape, stored as binary."""

    ftype = "array"

    def validate(self, value: Any) -> None:
        import numpy as np

        if value is not None and not isinstance(value, np.ndarray):
            _fail(self, value, "numpy arrays")

    def accepts(self, other: Field) -> bool:
        return isinstance(other, (ArrayField, VectorField))


class VectorField(Field):
    """A one-dimensional numpy array (an embedding); lists are converted to arrays."""

    ftype = "vector"

    def validate(self, value: Any) -> None:
        import numpy as np

        if value is not None and not isinstance(value, (np.ndarray, list, tuple)):
            _fail(self, value, "vectors (1-D numpy arrays or lists of numbers)")

    def accepts(self, other: Field) -> bool:
        return isinstance(other, (ArrayField, VectorField)) or (
            isinstance(other, ListField) and isinstance(other.field, (IntField, FloatField))
        )


class _ContainerField(Field):
    """A list or dict whose values may all be of one field type."""

    def __init__(self, field: Field | type[Field] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(field, type):
            field = field()
        if field is not None and not isinstance(field, Field):
            raise SchemaError(f"{type(self).__name__}(field=) takes a Field; got {field!r}")
        self.field: Field | None = field

    @property
    def subfield(self) -> str | None:  # type: ignore[override]
        """The element type's ftype name (the pre-class schema's form)."""
        return self.field.ftype if self.field is not None else None

    def accepts(self, other: Field) -> bool:
        if type(other) is not type(self) and not (
            isinstance(self, ListField) and isinstance(other, ListField)
        ):
            return False
        mine, theirs = self.field, getattr(other, "field", None)
        return mine is None or theirs is None or mine.accepts(theirs)

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        if self.field is not None:
            d["subfield"] = self.field.ftype
            d["field"] = self.field.to_dict()
        return d

    def _key(self) -> tuple[Any, ...]:
        return (ListField if isinstance(self, ListField) else type(self), self.field)

    def __str__(self) -> str:
        return (
            f"{type(self).__name__}({self.field})" if self.field is not None else super().__str__()
        )


class ListField(_ContainerField):
    """A list; ``ListField(field=StringField())`` declares its elements' type."""

    ftype = "list"

    def validate(self, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, (list, tuple)):
            _fail(self, value, "lists")
        if self.field is not None:
            for v in value:
                self.field.validate(v)


class DictField(_ContainerField):
    """A dict with string keys."""

    ftype = "dict"

    def validate(self, value: Any) -> None:
        if value is not None and not isinstance(value, dict):
            _fail(self, value, "dicts")


class EmbeddedDocumentField(Field):
    """An embedded document (a label, metadata, a ``DynamicEmbeddedDocument``).

    Args:
        document_type: the document class, e.g. ``Classification``.
        fields: fields declared beyond the class's own (dynamic attributes).
    """

    ftype = "embedded"

    def __init__(self, document_type: Any = None, fields: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if document_type is None:
            document_type = "DynamicEmbeddedDocument"
        if isinstance(document_type, str):
            self.document_type_name = document_type
        elif is_document_type(document_type):
            self.document_type_name = document_type.__name__
        else:
            raise SchemaError(
                f"EmbeddedDocumentField takes a document class (e.g. Classification); "
                f"got {document_type!r}"
            )
        self._extra: dict[str, Field] = {}
        for f in _named_fields(fields):
            self._extra[f.name] = f  # type: ignore[index]

    @property
    def document_type(self) -> type:  # type: ignore[override]
        """The document class (a placeholder class for one not defined in this process)."""
        return document_type_named(self.document_type_name)

    def _class_fields(self) -> dict[str, Field]:
        declared = getattr(self.document_type, "_declared_fields", None)
        out = {k: f.copy() for k, f in declared().items()} if declared else {}
        for k, f in out.items():
            f.name = k
        return out

    def _declared(self) -> dict[str, Field]:
        # built once: nested declarations edit these objects in place
        cache = self.__dict__.get("_cache")
        if cache is None:
            cache = self._class_fields()
            cache.update(self._extra)
            self._cache = cache
        return cache

    @property
    def fields(self) -> list[Field]:
        """The document's fields: its class's, then those declared on the dataset."""
        return list(self._declared().values())

    def get_field_schema(self, ftype: Any = None, embedded_doc_type: Any = None,
                         flat: bool = False) -> dict[str, Field]:  # fmt: skip
        """Name -> Field of the document's fields (``flat``: nested paths too)."""
        from .schema import filter_schema, flatten_schema

        schema = self._declared()
        if flat:
            schema = flatten_schema(schema)
        return filter_schema(schema, ftype, embedded_doc_type)

    def has_field(self, name: str) -> bool:
        """Whether the document declares ``name``."""
        return name in self._declared()

    def get_field(self, name: str) -> Field | None:
        """The declared field ``name``, or None."""
        return self._declared().get(name)

    def declare(self, field: Field) -> None:
        """Add (or replace) a declared field of this document (a dynamic attribute)."""
        self._declared()[field.name] = field  # type: ignore[index]

    def undeclare(self, name: str) -> None:
        """Remove a dynamic attribute declared with :meth:`declare`."""
        self._declared().pop(name, None)

    def accepts(self, other: Field) -> bool:
        return (
            isinstance(other, EmbeddedDocumentField)
            and other.document_type_name == self.document_type_name
        )

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["document_type"] = self.document_type_name
        defaults = {k: f.to_dict() for k, f in self._class_fields().items()}
        # only what the dataset added or changed: the class's own fields are implied
        extra = {
            k: fd for k, f in self._declared().items() if defaults.get(k) != (fd := f.to_dict())
        }
        if extra:
            d["fields"] = extra
        return d

    def _key(self) -> tuple[Any, ...]:
        return (type(self), self.document_type_name)

    def __str__(self) -> str:
        return f"EmbeddedDocumentField({self.document_type_name})"


class EmbeddedDocumentListField(ListField):
    """A list of embedded documents of one class: ``ListField(EmbeddedDocumentField(cls))``."""

    def __init__(self, document_type: Any = None, **kwargs: Any) -> None:
        field = kwargs.pop("field", None) or EmbeddedDocumentField(document_type)
        super().__init__(field=field, **kwargs)

    @property
    def document_type(self) -> type:  # type: ignore[override]
        """The class of the list's documents."""
        return self.field.document_type  # type: ignore[union-attr]


_CLASSES: dict[str, type[Field]] = {
    c.ftype: c
    for c in (StringField, IntField, FloatField, BooleanField, DateField, DateTimeField,
              ObjectIdField, ListField, DictField, EmbeddedDocumentField, ArrayField,
              VectorField)
}  # fmt: skip
_BY_CLASS_NAME: dict[str, type[Field]] = {c.__name__: c for c in _CLASSES.values()}
_BY_CLASS_NAME["EmbeddedDocumentListField"] = EmbeddedDocumentListField
_BY_PYTHON_TYPE: dict[type, type[Field]] = {
    str: StringField, int: IntField, float: FloatField, bool: BooleanField, date: DateField,
    datetime: DateTimeField, ObjectId: ObjectIdField, list: ListField, dict: DictField,
}  # fmt: skip


def _named_fields(fields: Any) -> list[Field]:
    if not fields:
        return []
    if isinstance(fields, dict):  # stored form: name -> field dict
        out = []
        for k, v in fields.items():
            f = v if isinstance(v, Field) else Field.from_dict(v)
            f.name = k
            out.append(f)
        return out
    out = list(fields)
    if any(not isinstance(f, Field) or not f.name for f in out):
        raise SchemaError("fields= takes Field instances with a name")
    return out


def _from_ftype(ftype: str, document_type: Any = None, subfield: Any = None,
                field: Any = None, fields: Any = None, **kwargs: Any) -> Field:  # fmt: skip
    cls = _CLASSES.get(ftype)
    if cls is None:
        raise SchemaError(f"Unknown stored field type {ftype!r}; known: {sorted(_CLASSES)}")
    if cls is EmbeddedDocumentField:
        return EmbeddedDocumentField(document_type, fields=fields, **kwargs)
    if issubclass(cls, _ContainerField):
        if isinstance(field, dict):
            elem: Field | None = Field.from_dict(field)
        elif isinstance(field, Field):
            elem = field
        elif isinstance(subfield, str):
            elem = _from_ftype(subfield)
        else:
            elem = subfield
        return cls(field=elem, **kwargs)
    return cls(**kwargs)


#: names already found valid (setting a field checks its name every time)
_VALID_NAMES: set[str] = set()
_VALID_NAMES_MAX = 10_000


def validate_field_name(name: str) -> None:
    """Raise SchemaError unless ``name`` is usable as a top-level field name."""
    if type(name) is str and name in _VALID_NAMES:
        return
    if not isinstance(name, str) or not _NAME_RE.match(name) or name in PRIVATE_FIELDS:
        raise SchemaError(
            f"Invalid field name {name!r}: use letters, digits and underscores, not "
            "starting with a digit (no '$' or '.'; '_id' and '_rand' are reserved)"
        )
    if len(_VALID_NAMES) < _VALID_NAMES_MAX and type(name) is str:
        _VALID_NAMES.add(name)


def field_class(spec: Any) -> type[Field] | None:
    """The Field class named by ``spec`` (a class, a class name, an ftype, a Python type)."""
    if isinstance(spec, type) and issubclass(spec, Field):
        return spec
    if isinstance(spec, type):
        import numpy as np

        return ArrayField if spec is np.ndarray else _BY_PYTHON_TYPE.get(spec)
    if isinstance(spec, str):
        return _BY_CLASS_NAME.get(spec) or _CLASSES.get(spec)
    return None


def parse_ftype(ftype: Any, document_type: Any = None, subfield: Any = None,
                fields: Any = None, **kwargs: Any) -> Field:  # fmt: skip
    """A Field from what users pass to ``add_sample_field``.

    Accepts a Field instance or class (``fo.FloatField``), a class name
    (``"FloatField"``), an ftype name (``"float"``), a Python type (``float``)
    or a document class (``Classification``: an embedded field).

    Raises:
        SchemaError: an unknown type, or an embedded field without a document type.
    """
    if isinstance(ftype, Field):
        field = ftype.copy()
        for k, v in kwargs.items():
            if v is not None and v is not False:
                setattr(field, k, v)
        return field
    if is_document_type(ftype):
        return EmbeddedDocumentField(ftype, fields=fields, **kwargs)
    cls = field_class(ftype)
    if cls is None or cls is Field:
        raise SchemaError(
            f"Unknown field type {ftype!r}; use one of {sorted(FTYPE_NAMES)}, a field "
            "class such as fo.IntField, or a Label class"
        )
    if cls is EmbeddedDocumentField:
        if document_type is None:
            raise SchemaError("An embedded field needs document_type (e.g. Classification)")
        return EmbeddedDocumentField(document_type, fields=fields, **kwargs)
    if cls is EmbeddedDocumentListField:
        return EmbeddedDocumentListField(document_type, **kwargs)
    if issubclass(cls, _ContainerField):
        elem = None
        if subfield is not None:
            elem = parse_ftype(subfield, document_type, fields=fields)
        elif document_type is not None:
            elem = EmbeddedDocumentField(document_type, fields=fields)
        return cls(field=elem, **kwargs)
    return cls(**kwargs)


def __getattr__(name: str) -> Any:
    # value conversion moved to dataset_core.values; these names stay importable here
    if name in ("to_mongo", "from_mongo", "field_of_mongo"):
        from . import values

        return getattr(values, name)
    raise AttributeError(f"module 'dataset_core.fields' has no attribute {name!r}")


__all__ = [
    "ArrayField",
    "BooleanField",
    "DateField",
    "DateTimeField",
    "DictField",
    "EmbeddedDocumentField",
    "EmbeddedDocumentListField",
    "Field",
    "FloatField",
    "IntField",
    "ListField",
    "ObjectIdField",
    "StringField",
    "VectorField",
    "parse_ftype",
    "validate_field_name",
]
