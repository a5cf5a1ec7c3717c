"""The field schema of a collection: reading it, and what the data says of it.

``get_field_schema``, ``get_field("gt.detections.label")``, ``has_field``
work on any collection; the dynamic attributes of embedded documents (a
``Detection(iscrowd=1)``'s ``iscrowd``) are found by asking MongoDB for the
keys and types present at a path (``$objectToArray`` + ``$type``), which is
also what the :class:`~dataset_core.aggregations.Schema` aggregation returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .fields import (
    ArrayField,
    BooleanField,
    DateTimeField,
    DictField,
    EmbeddedDocumentField,
    Field,
    FloatField,
    IntField,
    ListField,
    ObjectIdField,
    StringField,
    is_document_type,
)

if TYPE_CHECKING:
    from .collection import SampleCollection

#: list elements looked at per value to learn a list's element types
LIST_SAMPLE = 50

_BSON_FIELDS: dict[str, type[Field]] = {
    "string": StringField,
    "int": IntField,
    "long": IntField,
    "double": FloatField,
    "decimal": FloatField,
    "bool": BooleanField,
    "date": DateTimeField,
    "objectId": ObjectIdField,
    "binData": ArrayField,
}


# -- pure schema helpers ------------------------------------------------------------


def clean_path(path: str) -> str:
    """``"gt.detections[].label"`` -> ``"gt.detections.label"``."""
    return path.replace("[]", "")


def document_of(field: Field | None) -> EmbeddedDocumentField | None:
    """The embedded document field inside ``field`` (through lists), if any."""
    while isinstance(field, ListField):
        field = field.field
    return field if isinstance(field, EmbeddedDocumentField) else None


def update_path(schema: dict[str, Field], path: str) -> str:
    """The path of an update operator that reaches ``path`` in every element of the
    lists on the way: ``"gt.detections.label"`` -> ``"gt.detections.$[].label"``."""
    parts = clean_path(path).split(".")
    out = [parts[0]]
    for i, part in enumerate(parts[1:], 1):
        if isinstance(resolve_path(schema, ".".join(parts[:i])), ListField):
            out.append("$[]")
        out.append(part)
    return ".".join(out)


def resolve_path(schema: dict[str, Field], path: str) -> Field | None:
    """The field at a dotted path (through embedded documents and lists), or None."""
    parts = clean_path(path).split(".")
    field = schema.get(parts[0])
    for part in parts[1:]:
        doc = document_of(field)
        if doc is None:
            return None
        field = doc.get_field(part)
    return field


def flatten_schema(schema: dict[str, Field], prefix: str = "") -> dict[str, Field]:
    """Every field, with the fields of embedded documents as dotted paths too."""
    out: dict[str, Field] = {}
    for name, field in schema.items():
        out[prefix + name] = field
        doc = document_of(field)
        if doc is not None:
            out.update(flatten_schema(doc.get_field_schema(), prefix + name + "."))
    return out


def filter_schema(schema: dict[str, Field], ftype: Any = None,
                  embedded_doc_type: Any = None) -> dict[str, Field]:  # fmt: skip
    """The entries of ``schema`` of field class ``ftype`` and/or document class
    ``embedded_doc_type`` (each may be a class or a list of classes)."""
    if ftype is None and embedded_doc_type is None:
        return dict(schema)
    ftypes = tuple(ftype) if isinstance(ftype, (list, tuple, set)) else (ftype,)
    docs = (
        tuple(embedded_doc_type)
        if isinstance(embedded_doc_type, (list, tuple, set))
        else (embedded_doc_type,)
    )
    out = {}
    for name, f in schema.items():
        if ftype is not None and not isinstance(f, tuple(_field_cls(t) for t in ftypes)):
            continue
        if embedded_doc_type is not None:
            if not isinstance(f, EmbeddedDocumentField):
                continue
            cls = f.document_type
            if not any(cls == d or (is_document_type(d) and issubclass(cls, d)) for d in docs):
                continue
        out[name] = f
    return out


def _field_cls(spec: Any) -> type[Field]:
    from .fields import field_class

    cls = field_class(spec)
    if cls is None:
        raise ValueError(f"Unknown field type {spec!r}; use a field class such as fo.IntField")
    return cls


# -- what the data holds --------------------------------------------------------------


def _unwinds(path: str) -> list[dict[str, Any]]:
    # values at a path may sit in as many lists as the path has parts; unwinding a
    # value that is not a list passes it through, so one step per part is safe
    return [{"$unwind": "$v"}] * (clean_path(path).count(".") + 2)


def keys_pipeline(path: str) -> list[dict[str, Any]]:
    """Steps giving one row per (key, type, _cls, element types) of the documents at
    ``path`` (documents inside lists too)."""
    elems = {"$slice": ["$kv.v", LIST_SAMPLE]}
    is_list = {"$isArray": "$kv.v"}
    steps: list[dict[str, Any]] = [{"$project": {"_id": 0, "v": "$" + clean_path(path)}}]
    steps += _unwinds(path)
    steps += [
        {"$match": {"v": {"$type": "object"}}},
        {"$project": {"kv": {"$objectToArray": "$v"}}},
        {"$unwind": "$kv"},
        {"$group": {"_id": {
            "k": "$kv.k",
            "t": {"$type": "$kv.v"},
            "c": "$kv.v._cls",
            "e": {"$cond": [is_list, {"$setUnion": [
                {"$map": {"input": elems, "in": {"$type": "$$this"}}}]}, None]},
            "ec": {"$cond": [is_list, {"$setUnion": [
                {"$map": {"input": elems, "in": "$$this._cls"}}]}, None]},
        }}},
    ]  # fmt: skip
    return steps


def list_pipeline(path: str) -> list[dict[str, Any]]:
    """Steps giving one row per (type, _cls) of the elements of the lists at ``path``."""
    steps: list[dict[str, Any]] = [{"$project": {"_id": 0, "v": "$" + clean_path(path)}}]
    steps += _unwinds(path)
    steps.append({"$group": {"_id": {"t": {"$type": "$v"}, "c": "$v._cls"}}})
    return steps


def field_of_type(bson_type: str | None, cls: str | None = None,
                  elem_types: list[str] | None = None,
                  elem_cls: list[Any] | None = None) -> Field | None:  # fmt: skip
    """The Field for a BSON ``$type`` name (None for null/missing)."""
    if bson_type == "object":
        if cls == "ndarray":
            return ArrayField()
        return EmbeddedDocumentField(cls) if cls else DictField()
    if bson_type == "array":
        return list_of(_elem_fields(elem_types, elem_cls))
    fcls = _BSON_FIELDS.get(bson_type or "")
    return fcls() if fcls is not None else None


def _elem_fields(elem_types: list[str] | None, elem_cls: list[Any] | None) -> set[Field]:
    return {
        f
        for t, c in zip(elem_types or [], _pad(elem_cls, elem_types), strict=False)
        if (f := field_of_type(t, c)) is not None
    }


def merge_numbers(fields: Any) -> list[Field]:
    """The distinct ``fields``, with ints and floats together as one FloatField
    (a list of ``[1, 2.5]`` holds floats, as numpy and FiftyOne read it)."""
    out: list[Field] = []
    for f in fields:
        if f not in out:
            out.append(f)
    if len(out) == 2 and set(out) == {IntField(), FloatField()}:
        return [FloatField()]
    return out


def list_of(elems: Any) -> ListField:
    """The ListField of lists whose elements have the Fields ``elems`` (no element
    type when they mix types or there are none)."""
    merged = merge_numbers(elems)
    return ListField(field=merged[0] if len(merged) == 1 else None)


def _pad(cls_list: list[Any] | None, types: list[str] | None) -> list[Any]:
    # $setUnion dedups the _cls list separately from the types: pair each object
    # type with the one _cls when there is exactly one, else with none
    types = types or []
    names = [c for c in (cls_list or []) if c]
    return [names[0] if t == "object" and len(names) == 1 else None for t in types]


def parse_keys(docs: list[dict[str, Any]]) -> dict[str, list[Field]]:
    """``keys_pipeline`` output -> attribute name -> the distinct Fields found."""
    out: dict[str, list[Field]] = {}
    # the elements of every list under a key, so that the key gets one ListField
    # (``[1]`` in one document and ``[2.5]`` in another are lists of floats)
    elems: dict[str, set[Field]] = {}
    slots: dict[str, int] = {}  # where each key's ListField goes among its Fields
    for d in docs:
        g = d["_id"]
        key = g["k"]
        if key == "_cls":
            continue
        name = "id" if key == "_id" else key
        found = out.setdefault(name, [])
        if g.get("t") == "array":
            if name not in slots:
                slots[name] = len(found)
                found.append(ListField())  # set below, once all its elements are seen
            elems.setdefault(name, set()).update(_elem_fields(g.get("e"), g.get("ec")))
            continue
        f = field_of_type(g.get("t"), g.get("c"))
        if f is not None and f not in found:
            found.append(f)
    for name, i in slots.items():
        out[name][i] = list_of(elems[name])
    return out


def one_or_list(fields: list[Field]) -> Field | list[Field] | None:
    """FiftyOne's form: one Field, a list of them when the data mixes types, None if none."""
    if not fields:
        return None
    return fields[0] if len(fields) == 1 else list(fields)


def discover(collection: SampleCollection, path: str) -> dict[str, list[Field]]:
    """The attributes stored in the documents at ``path``, with their types."""
    return parse_keys(list(collection._aggregate(keys_pipeline(path))))


def dynamic_schema(collection: SampleCollection, fields: Any = None,
                   recursive: bool = True) -> dict[str, list[Field]]:  # fmt: skip
    """Path -> Fields found of the attributes of embedded documents that the schema
    does not declare (``"ground_truth.detections.iscrowd"``)."""
    schema = collection._dataset._schema
    if fields is None:
        roots = [n for n, f in schema.items() if document_of(f) is not None]
    else:
        roots = [fields] if isinstance(fields, str) else list(fields)
    out: dict[str, list[Field]] = {}
    for root in roots:
        _walk(collection, root, document_of(resolve_path(schema, root)), out, recursive)
    return out


def _walk(collection: SampleCollection, path: str, declared: EmbeddedDocumentField | None,
          out: dict[str, list[Field]], recursive: bool) -> None:  # fmt: skip
    for name, found in discover(collection, path).items():
        sub = f"{path}.{name}"
        known = declared.get_field(name) if declared is not None else None
        if known is None:
            out[sub] = found
        inner = known if known is not None else (found[0] if len(found) == 1 else None)
        if recursive and document_of(inner) is not None:
            _walk(collection, sub, document_of(inner), out, recursive)
