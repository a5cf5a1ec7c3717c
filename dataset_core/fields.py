"""Field types: what the schema records, and conversion of values to Mongo form.

The schema maps each sample field to a :class:`Field` (``ftype`` plus, for
embedded labels, the label class). Values are stored in their Mongo form:
labels as documents with ``_cls``, numpy scalars as Python numbers, numpy
arrays as binary (``{"_cls": "ndarray", ...}``), never as lists of floats.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from bson import Binary, ObjectId

from .errors import SchemaError
from .labels import Label, label_from_dict

#: ftype names, and the class names ``summary()`` shows for them
FTYPE_NAMES = {
    "string": "StringField",
    "int": "IntField",
    "float": "FloatField",
    "bool": "BooleanField",
    "datetime": "DateTimeField",
    "objectid": "ObjectIdField",
    "list": "ListField",
    "dict": "DictField",
    "embedded": "EmbeddedDocumentField",
    "array": "ArrayField",
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

_SCALAR_FTYPES: dict[type, str] = {
    str: "string",
    int: "int",
    float: "float",
    bool: "bool",
    datetime: "datetime",
    ObjectId: "objectid",
    list: "list",
    dict: "dict",
}


@dataclass(frozen=True)
class Field:
    """One entry of a dataset's schema."""

    ftype: str
    document_type: str | None = None  # the label class of an embedded field
    subfield: str | None = None  # the element ftype of a list field

    def to_dict(self) -> dict[str, Any]:
        """The form stored in the dataset document."""
        return {
            "ftype": self.ftype,
            "document_type": self.document_type,
            "subfield": self.subfield,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Field:
        """Inverse of :meth:`to_dict`."""
        return cls(d["ftype"], d.get("document_type"), d.get("subfield"))

    def accepts(self, other: Field) -> bool:
        """Whether a value of type ``other`` may be stored in this field."""
        if self.ftype == other.ftype:
            return self.ftype != "embedded" or self.document_type == other.document_type
        return self.ftype == "float" and other.ftype == "int"

    def __str__(self) -> str:
        name = FTYPE_NAMES.get(self.ftype, self.ftype)
        if self.document_type:
            return f"{name}({self.document_type})"
        if self.subfield:
            return f"{name}({FTYPE_NAMES.get(self.subfield, self.subfield)})"
        return name


def validate_field_name(name: str) -> None:
    """Raise SchemaError unless ``name`` is usable as a top-level field name."""
    if not isinstance(name, str) or not _NAME_RE.match(name) or name in PRIVATE_FIELDS:
        raise SchemaError(
            f"Invalid field name {name!r}: use letters, digits and underscores, not "
            "starting with a digit (no '$' or '.'; '_id' and '_rand' are reserved)"
        )


def field_of_mongo(value: Any) -> Field | None:
    """The schema type of a value already in Mongo form; None for None."""
    if value is None:
        return None
    t = type(value)
    if t is dict:
        cls = value.get("_cls")
        if cls == "ndarray":
            return Field("array")
        if cls:
            return Field("embedded", cls)
        return Field("dict")
    if t is list:
        sub = {field_of_mongo(v) for v in value[:50]} - {None}
        elem = sub.pop().ftype if len(sub) == 1 else None
        return Field("list", subfield=elem)
    ftype = _SCALAR_FTYPES.get(t)
    if ftype is None:
        for base, name in _SCALAR_FTYPES.items():
            if isinstance(value, base):
                return Field(name)
        raise SchemaError(f"Cannot store a value of type {t.__name__}: {value!r:.80}")
    return Field(ftype)


def to_mongo(value: Any) -> Any:
    """Convert a user value to its stored form (labels, numpy, tuples, sets)."""
    t = type(value)
    if t in (str, int, float, bool) or value is None:
        return value
    if isinstance(value, Label):
        return value.to_dict()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        buf = io.BytesIO()
        np.save(buf, value, allow_pickle=False)
        return {"_cls": "ndarray", "data": Binary(buf.getvalue())}
    if t in (list, tuple, set, frozenset):
        return [to_mongo(v) for v in value]
    if t is dict:
        return {str(k): to_mongo(v) for k, v in value.items()}
    if isinstance(value, (datetime, ObjectId)):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise SchemaError(
        f"Cannot store a value of type {t.__name__} ({value!r:.80}); use str, int, "
        "float, bool, datetime, list, dict, a numpy array or a Label"
    )


def from_mongo(value: Any) -> Any:
    """Convert a stored value back to what users see (labels, numpy arrays)."""
    if type(value) is dict and "_cls" in value:
        if value["_cls"] == "ndarray":
            return np.load(io.BytesIO(value["data"]), allow_pickle=False)
        return label_from_dict(value)
    return value


def parse_ftype(ftype: Any, document_type: Any = None) -> Field:
    """A Field from what users pass to ``add_sample_field``.

    Accepts ftype names (``"float"``), Python types (``float``), field class
    names (``"FloatField"``) or a Label class (``Classification``).
    """
    if isinstance(ftype, type) and issubclass(ftype, Label):
        return Field("embedded", ftype.__name__)
    if isinstance(document_type, type) and issubclass(document_type, Label):
        document_type = document_type.__name__
    if isinstance(ftype, type):
        name = _SCALAR_FTYPES.get(ftype) or ("array" if ftype is np.ndarray else None)
    else:
        reverse = {v: k for k, v in FTYPE_NAMES.items()}
        name = ftype if ftype in FTYPE_NAMES else reverse.get(ftype)
    if name is None:
        raise SchemaError(
            f"Unknown field type {ftype!r}; use one of {sorted(FTYPE_NAMES)} or a Label class"
        )
    if name == "embedded" and not document_type:
        raise SchemaError("An embedded field needs document_type (e.g. Classification)")
    return Field(name, document_type)
