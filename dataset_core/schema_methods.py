"""The schema methods of collections and datasets, as FiftyOne names them.

:class:`CollectionSchemaMixin` (datasets and views) reads the schema:
``get_field_schema``, ``get_field``, ``has_field``, ``get_dynamic_field_schema``,
``schema``/``list_schema``, and clears values (``clear_sample_field(s)``, of a view's
samples only). :class:`DatasetSchemaMixin` edits it:
``add_sample_field`` (nested paths too), ``add_dynamic_sample_fields``,
``clone_sample_field``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .db import translate_errors
from .errors import FieldNotFoundError, FieldValueError, SchemaError
from .fields import DEFAULT_FIELDS, Field, FloatField, IntField, parse_ftype, validate_field_name
from .sample import utcnow
from .schema import (
    clean_path,
    document_of,
    dynamic_schema,
    filter_schema,
    flatten_schema,
    one_or_list,
    resolve_path,
    update_path,
)

if TYPE_CHECKING:
    from .dataset import Dataset

#: sample ids per update_many when clearing a field of a view (~2 MB of BSON)
CLEAR_ID_CHUNK = 100_000


class CollectionSchemaMixin:
    """Reading the field schema of a dataset or view."""

    _dataset: Dataset

    def get_field_schema(self, ftype: Any = None, embedded_doc_type: Any = None,
                         include_private: bool = False, flat: bool = False,
                         mode: str | None = None) -> dict[str, Field]:  # fmt: skip
        """Field name -> :class:`Field` of the sample fields.

        Args:
            ftype: only fields of this class (or classes), e.g. ``fo.IntField``.
            embedded_doc_type: only embedded fields of this document class.
            include_private: include ``_rand`` (bookkeeping).
            flat: include the fields of embedded documents as dotted paths
                (``"ground_truth.detections.label"``).
            mode: ``"flat"`` is the same as ``flat=True``.

        Example:
            >>> dataset.get_field_schema(ftype=fo.FloatField)
            {'uniqueness': <FloatField>}
        """
        schema = self._view_field_schema()
        if include_private:
            schema["_rand"] = _named(FloatField(), "_rand")
        if flat or mode == "flat":
            schema = flatten_schema(schema)
        return filter_schema(schema, ftype, embedded_doc_type)

    def _view_field_schema(self) -> dict[str, Field]:
        """The dataset's top-level fields as this collection's samples carry them
        (``select_fields`` / ``exclude_fields`` leave some out)."""
        dataset = self._dataset
        schema = dict(dataset._schema)
        for stage in self._view_stages():  # type: ignore[attr-defined]
            schema = stage.field_schema(schema, dataset)
        return schema

    @translate_errors
    def clear_sample_field(self, field_name: str) -> None:
        """Set ``field_name`` (a dotted path too) to None on every sample of this
        collection; it stays declared. On a view, only the view's samples change.

        Raises:
            SchemaError: a default field.
            FieldNotFoundError: a field the schema does not declare.
        """
        dataset = self._dataset
        if field_name.split(".", 1)[0] in DEFAULT_FIELDS:
            raise SchemaError(f"{field_name!r} is a default field; it cannot be cleared")
        if self.get_field(field_name) is None:
            raise FieldNotFoundError(
                f"Field {field_name!r} not found in dataset {dataset.name!r}; "
                f"fields: {list(dataset._schema)}"
            )
        path = update_path(dataset._schema, field_name)
        update = {"$set": {path: None, "last_modified_at": utcnow()}}
        # "$[]" needs the list to exist: samples whose list is None have nothing to clear
        query = {path.split(".$[]", 1)[0]: {"$type": "array"}} if "$[]" in path else {}
        coll = dataset._sample_coll()
        if not self._pipeline():  # type: ignore[attr-defined]
            coll.update_many(query, update)
            dataset._reload_samples()  # live samples show the cleared field
            return
        ids = [d["_id"] for d in self._aggregate([{"$project": {"_id": 1}}])]  # type: ignore[attr-defined]
        for i in range(0, len(ids), CLEAR_ID_CHUNK):
            coll.update_many({**query, "_id": {"$in": ids[i : i + CLEAR_ID_CHUNK]}}, update)
        dataset._reload_samples(ids)

    def clear_sample_fields(self, field_names: Any) -> None:
        """:meth:`clear_sample_field` for each name."""
        for name in [field_names] if isinstance(field_names, str) else field_names:
            self.clear_sample_field(name)

    def get_field(self, path: str, ftype: Any = None, embedded_doc_type: Any = None,
                  include_private: bool = False, leaf: bool = False) -> Field | None:  # fmt: skip
        """The field at ``path`` (``"ground_truth.detections.label"``), or None.

        Raises:
            FieldValueError: the field is not of ``ftype`` / ``embedded_doc_type``.
        """
        if path in ("_id", "id"):
            path = "id"
        field = resolve_path(self._dataset._schema, path)
        if field is None and not self._dataset._refresh_schema(path.split(".", 1)[0]):
            return None
        field = field or resolve_path(self._dataset._schema, path)
        if field is not None and (ftype is not None or embedded_doc_type is not None):
            if not filter_schema({path: field}, ftype, embedded_doc_type):
                raise FieldValueError(
                    f"Field {path!r} is {field}, not of the requested type "
                    f"{ftype or embedded_doc_type}"
                )
        if leaf:
            while getattr(field, "field", None) is not None:
                field = field.field  # type: ignore[union-attr]
        return field

    def has_field(self, path: str) -> bool:
        """Whether the schema declares ``path`` (a dotted path into documents too)."""
        return self.get_field(path) is not None

    def has_sample_field(self, path: str) -> bool:
        """:meth:`has_field` (FiftyOne's name for sample fields)."""
        return self.has_field(path)

    def get_dynamic_field_schema(self, fields: Any = None,
                                 recursive: bool = True) -> dict[str, Any]:  # fmt: skip
        """Path -> Field (a list of them when values mix types) of the attributes
        stored in embedded documents that the schema does not declare."""
        found = dynamic_schema(self, fields=fields, recursive=recursive)  # type: ignore[arg-type]
        return {k: one_or_list([_named(f, k) for f in fs]) for k, fs in found.items()}

    def schema(self, field_or_expr: str, dynamic_only: bool = False) -> dict[str, Any]:
        """Attribute -> Field(s) of the documents at ``field_or_expr``; see Schema."""
        from .aggregations import Schema

        return self.aggregate(Schema(field_or_expr, dynamic_only=dynamic_only))  # type: ignore[attr-defined]

    def list_schema(self, field_or_expr: str) -> Any:
        """The Field (or Fields) of the elements of the lists at ``field_or_expr``."""
        from .aggregations import ListSchema

        return self.aggregate(ListSchema(field_or_expr))  # type: ignore[attr-defined]


def _named(field: Field, name: str) -> Field:
    field.name = name.rsplit(".", 1)[-1]
    return field


class DatasetSchemaMixin:
    """Editing a dataset's schema (Dataset provides the storage)."""

    _schema: dict[str, Field]
    name: str

    @translate_errors
    def add_sample_field(self, field_name: str, ftype: Any, embedded_doc_type: Any = None,
                         subfield: Any = None, fields: Any = None,
                         description: str | None = None, info: dict[str, Any] | None = None,
                         read_only: bool = False, **kwargs: Any) -> None:  # fmt: skip
        """Declare a field: ``fo.IntField``, ``fo.ListField`` with ``subfield=``,
        ``fo.EmbeddedDocumentField`` with ``embedded_doc_type=``, a Label class,
        ``"float"``... A dotted name declares an attribute of an embedded document.

        Declaring a field again with the same type does nothing.

        Raises:
            SchemaError: an invalid name, a default field (``filepath``...) or an
                unknown type.
            FieldValueError: the field exists with another type.

        Example:
            >>> dataset.add_sample_field("scores", fo.ListField, subfield=fo.FloatField)
        """
        embedded_doc_type = kwargs.pop("document_type", embedded_doc_type)
        if kwargs:
            raise SchemaError(f"add_sample_field got unknown arguments {sorted(kwargs)}")
        if field_name in DEFAULT_FIELDS:
            raise SchemaError(
                f"{field_name!r} is a default field that every dataset has; declare another name"
            )
        field = parse_ftype(ftype, embedded_doc_type, subfield=subfield, fields=fields,
                            description=description, info=info, read_only=read_only)  # fmt: skip
        self._declare(field_name, field)

    def _declare(self, path: str, field: Field) -> None:
        """Add ``field`` at ``path`` (top-level or inside an embedded document)."""
        top, _, rest = path.partition(".")
        validate_field_name(top)
        if not rest:
            field.name = top
            known = self._schema.get(top)
            if known is not None:
                self._check_redeclare(path, known, field)
                return
            self._merge_schema({top: field})  # type: ignore[attr-defined]
            return
        known = resolve_path(self._schema, path)
        if known is not None:
            self._check_redeclare(path, known, field)
            return
        parent_path, _, leaf = path.rpartition(".")
        validate_field_name(leaf)
        root = self._schema.get(top)
        if root is None:
            raise SchemaError(
                f"Invalid field name {path!r}: {top!r} is not a field; a dotted name "
                "declares an attribute inside an existing embedded document field"
            )
        root = root.copy()  # copy-on-write: base schemas are shared
        root.name = top
        parent = document_of(root if parent_path == top else resolve_path({top: root}, parent_path))
        if parent is None:
            raise SchemaError(
                f"Cannot declare {path!r}: {parent_path!r} does not hold embedded documents"
            )
        field.name = leaf
        parent.declare(field)
        self._replace_field(top, root)

    def _check_redeclare(self, path: str, known: Field, field: Field) -> None:
        if known != field and not known.accepts(field):
            raise FieldValueError(
                f"Field {path!r} already exists as {known}; cannot redeclare it as {field}"
            )

    def _replace_field(self, top: str, field: Field) -> None:
        self._update_doc({"$set": {f"sample_fields.{top}": field.to_dict()}})  # type: ignore[attr-defined]
        self._schema[top] = field
        self._doc.sample_fields[top] = field.to_dict()  # type: ignore[attr-defined]

    @translate_errors
    def add_dynamic_sample_fields(self, fields: Any = None, recursive: bool = True,
                                  add_mixed: bool = False) -> None:  # fmt: skip
        """Declare the attributes stored in embedded documents that the schema lacks
        (``"ground_truth.detections.iscrowd"``).

        Args:
            fields: only under these top-level fields (default: all).
            recursive: descend into embedded documents found inside them.
            add_mixed: declare attributes whose values mix types as a generic
                ``Field``; by default they are left undeclared.
        """
        found = dynamic_schema(self, fields=fields, recursive=recursive)  # type: ignore[arg-type]
        for path, fs in found.items():
            if set(fs) == {IntField(), FloatField()}:
                fs = [FloatField()]
            if len(fs) == 1:
                self._declare(path, fs[0])
            elif len(fs) > 1 and add_mixed:
                self._declare(path, Field())

    @translate_errors
    def clone_sample_field(self, field_name: str, new_field_name: str) -> None:
        """Copy a field's values (and its declaration) to ``new_field_name``.

        Raises:
            FieldNotFoundError: no such field.
            SchemaError: ``new_field_name`` exists.
        """
        field = self.get_field(field_name)  # type: ignore[attr-defined]
        if field is None:
            raise FieldNotFoundError(f"Field {field_name!r} not found in dataset {self.name!r}")
        if self.get_field(new_field_name) is not None:  # type: ignore[attr-defined]
            raise SchemaError(f"Cannot clone {field_name!r} to {new_field_name!r}: it exists")
        self._declare(new_field_name, field.copy())
        src = "_id" if field_name == "id" else clean_path(field_name)
        self._sample_coll().update_many(  # type: ignore[attr-defined]
            {}, [{"$set": {clean_path(new_field_name): "$" + src}}]
        )
        self._reload_samples()  # type: ignore[attr-defined]

    def clone_sample_fields(self, field_mapping: dict[str, str]) -> None:
        """:meth:`clone_sample_field` for each ``old -> new`` pair."""
        for old, new in field_mapping.items():
            self.clone_sample_field(old, new)
