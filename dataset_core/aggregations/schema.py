"""Aggregations that report the types the data holds: Schema and ListSchema."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..schema import (
    clean_path,
    document_of,
    field_of_type,
    keys_pipeline,
    list_pipeline,
    merge_numbers,
    one_or_list,
    parse_keys,
    resolve_path,
)
from .base import Aggregation

if TYPE_CHECKING:
    from ..collection import SampleCollection


def _check(collection: SampleCollection, path: str) -> None:
    collection._dataset._check_path(clean_path(path))


class Schema(Aggregation):
    """Attribute -> Field of the embedded documents at a path, from the stored values.

    An attribute whose values mix types maps to a list of Fields.

    Args:
        field: the path of the documents, e.g. ``"ground_truth.detections"``.
        dynamic_only: only attributes the schema does not declare.

    Example:
        >>> dataset.schema("ground_truth.detections", dynamic_only=True)
        {'iscrowd': <IntField>}
    """

    def __init__(self, field: str, dynamic_only: bool = False) -> None:
        super().__init__(field)
        self._dynamic_only = bool(dynamic_only)
        self._declared: set[str] = set()

    def _kwargs(self) -> dict[str, Any]:
        return {"field": self._field, "dynamic_only": self._dynamic_only}

    def to_pipeline(self, collection: SampleCollection) -> list[dict[str, Any]]:
        _check(collection, self._field)
        doc = document_of(resolve_path(collection._dataset._schema, self._field))
        self._declared = set(doc.get_field_schema()) if doc is not None else set()
        return keys_pipeline(self._field)

    def parse_result(self, docs: list[dict[str, Any]]) -> dict[str, Any]:
        out = {}
        for name, fields in parse_keys(docs).items():
            if self._dynamic_only and name in self._declared:
                continue
            value = one_or_list(fields)
            if value is not None:
                out[name] = value
        return out


class ListSchema(Aggregation):
    """The Field of the elements of the lists at a path (a list of Fields when mixed).

    Ints and floats together are floats: ``[1]`` and ``[2.5]`` give a FloatField.

    Example:
        >>> dataset.list_schema("ground_truth.info[].notes")
        <StringField>
    """

    def to_pipeline(self, collection: SampleCollection) -> list[dict[str, Any]]:
        _check(collection, self._field)
        return list_pipeline(self._field)

    def parse_result(self, docs: list[dict[str, Any]]) -> Any:
        found = (field_of_type(d["_id"].get("t"), d["_id"].get("c")) for d in docs)
        return one_or_list(merge_numbers(f for f in found if f is not None))
