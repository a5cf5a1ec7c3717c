"""Values: conversion between what users hold and what MongoDB stores.

Values are stored in their Mongo form: embedded documents (labels too) as
documents with ``_cls``, numpy scalars as Python numbers, numpy arrays as
binary (``{"_cls": "ndarray", ...}``), never as lists of floats. Dates stay
``datetime.date`` objects in a sample until written; the database client
stores them as datetimes at midnight UTC (see ``dataset_core.db``), and
samples read them back as dates where the schema says ``DateField``.
"""

from __future__ import annotations

import ast
import io
from datetime import date, datetime
from typing import Any

import numpy as np
from bson import Binary, ObjectId

from .documents import EmbeddedDocument
from .errors import SchemaError
from .fields import (
    _DOCUMENT_TYPES,
    ArrayField,
    BooleanField,
    DateField,
    DateTimeField,
    DictField,
    EmbeddedDocumentField,
    Field,
    FloatField,
    IntField,
    ListField,
    ObjectIdField,
    StringField,
    VectorField,
)

_SCALAR_FIELDS: dict[type, type[Field]] = {
    str: StringField,
    int: IntField,
    float: FloatField,
    bool: BooleanField,
    datetime: DateTimeField,
    date: DateField,
    ObjectId: ObjectIdField,
}
#: list elements looked at to infer a list's element type
_LIST_SAMPLE = 50


def field_of_mongo(value: Any) -> Field | None:
    """The schema type of a value already in Mongo form; None for None."""
    if value is None:
        return None
    t = type(value)
    if t is dict:
        cls = value.get("_cls")
        if cls == "ndarray":
            return VectorField() if _ndim(value) == 1 else ArrayField()
        if cls:
            return EmbeddedDocumentField(cls)
        return DictField()
    if t is list:
        sub = {field_of_mongo(v) for v in value[:_LIST_SAMPLE]} - {None}
        if sub == {IntField(), FloatField()}:
            sub = {FloatField()}
        return ListField(field=sub.pop() if len(sub) == 1 else None)
    fcls = _SCALAR_FIELDS.get(t)
    if fcls is None:
        for base, c in _SCALAR_FIELDS.items():
            if isinstance(value, base):
                return c()
        raise SchemaError(f"Cannot store a value of type {t.__name__}: {value!r:.80}")
    return fcls()


def _ndim(stored: dict[str, Any]) -> int:
    """The number of dimensions of a stored array, read from its .npy header."""
    data = bytes(stored.get("data", b"")[:256])
    start, end = data.find(b"{"), data.find(b"}")
    try:
        header = ast.literal_eval(data[start : end + 1].decode("latin1"))
        return len(header["shape"])
    except (ValueError, SyntaxError, KeyError, TypeError):
        return 0


def to_mongo(value: Any) -> Any:
    """Convert a user value to its stored form (documents, numpy, tuples, sets)."""
    t = type(value)
    # identity tests, not ``t in (str, ...)``: that would call the ``__eq__`` of a
    # document class's metaclass four times for every label
    if t is str or t is float or t is int or t is bool or value is None:
        return value
    if isinstance(value, EmbeddedDocument):
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
    if isinstance(value, (datetime, ObjectId, date)):
        return value
    raise SchemaError(
        f"Cannot store a value of type {t.__name__} ({value!r:.80}); use str, int, "
        "float, bool, date, datetime, list, dict, a numpy array or a Label"
    )


def from_mongo(value: Any) -> Any:
    """Convert a stored value back to what users see (documents, numpy arrays)."""
    t = type(value)
    if t is dict and "_cls" in value:
        name = value["_cls"]
        if name == "ndarray":
            return np.load(io.BytesIO(value["data"]), allow_pickle=False)
        cls = _DOCUMENT_TYPES.get(name)
        return cls.from_dict(value) if cls is not None else value
    if t is list and value and type(value[0]) is dict and "_cls" in value[0]:
        return [from_mongo(v) for v in value]
    return value


def as_date(value: Any) -> Any:
    """A stored datetime of a DateField as the ``date`` users stored."""
    return value.date() if type(value) is datetime else value


def coerce(field: Field, stored: Any) -> Any:
    """``stored`` converted to what ``field`` keeps (lists into a VectorField's array)."""
    if isinstance(field, VectorField) and type(stored) is list:
        return to_mongo(np.asarray(stored))
    if isinstance(field, DateField) and type(stored) is datetime:
        return stored.date()
    return stored


def check_value(field: Field, value: Any) -> None:
    """Raise FieldValueError unless the user value ``value`` fits ``field``."""
    field.validate(value)
