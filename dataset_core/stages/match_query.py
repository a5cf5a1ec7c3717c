"""Turn ``$expr`` filters into query-language matches that can use indexes.

``match(F("uniqueness") > 0.8)`` compiles to ``{"$expr": {"$gt": ["$uniqueness",
0.8]}}``, which MongoDB 6.0 evaluates document by document: an index on
``uniqueness`` is not used. :func:`expr_to_query` rewrites the parts of such a
form that have an exact query-language equivalent (``{"uniqueness": {"$gt":
0.8}}``) and leaves the rest in ``$expr``.

The two languages differ where types mix (``$expr`` compares across BSON types,
the query language brackets by type) and on null/missing values (``$expr`` ranks
them below every number, so ``$lt`` is true for them). A comparison is therefore
rewritten only when the schema says the field holds scalars of the constant's
kind, and ``$lt``/``$lte`` also match null, missing and NaN, as ``$expr`` does.

:func:`field_refs` lists the top-level fields a compiled form reads, so stages
can check them against the schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bson import ObjectId

if TYPE_CHECKING:
    from ..dataset import Dataset

#: scalar kinds of the label attributes whose type is fixed by their class
_LABEL_ATTRS: dict[str, dict[str, str]] = {
    "Classification": {"label": "string", "confidence": "number"},
    "ImageMetadata": {
        "size_bytes": "number",
        "width": "number",
        "height": "number",
        "num_channels": "number",
        "mime_type": "string",
    },
}
_FTYPE_KINDS = {
    "int": "number",
    "float": "number",
    "string": "string",
    "bool": "bool",
    "datetime": "datetime",
    "objectid": "objectid",
}
_FLIP = {"$gt": "$lt", "$gte": "$lte", "$lt": "$gt", "$lte": "$gte", "$eq": "$eq", "$ne": "$ne"}


def field_refs(form: Any) -> set[str]:
    """The top-level field names that a compiled expression reads.

    ``$$variables`` and ``$literal`` values are not field references.

    Example:
        >>> sorted(field_refs({"$gt": ["$ground_truth.confidence", "$n"]}))
        ['ground_truth', 'n']
    """
    found: set[str] = set()
    _collect_refs(form, found)
    return found


def _collect_refs(form: Any, found: set[str]) -> None:
    if isinstance(form, str):
        if form.startswith("$") and not form.startswith("$$") and len(form) > 1:
            found.add(form[1:].split(".", 1)[0])
    elif isinstance(form, list):
        for item in form:
            _collect_refs(item, found)
    elif isinstance(form, dict):
        for key, value in form.items():
            if key != "$literal":
                _collect_refs(value, found)


def expr_to_query(form: Any, dataset: Dataset) -> dict[str, Any]:
    """The ``$match`` query for the ``$expr`` form ``form``, using indexes where exact.

    Args:
        form: a compiled aggregation expression (``ViewExpression.to_mongo()``).
        dataset: whose schema tells which fields hold scalars of which kind.

    Returns:
        A query dict: plain query parts for what could be rewritten, and
        ``{"$expr": ...}`` for the rest.

    Example:
        >>> expr_to_query({"$gt": ["$uniqueness", 0.5]}, dataset)
        {'uniqueness': {'$gt': 0.5}}
    """
    query = _rewrite(form, dataset)
    if query is not None:
        return query
    if isinstance(form, dict) and list(form) == ["$and"] and isinstance(form["$and"], list):
        parts = [(_rewrite(arg, dataset), arg) for arg in form["$and"]]
        done = [q for q, _ in parts if q is not None]
        rest = [arg for q, arg in parts if q is None]
        if done:
            if rest:
                done.append({"$expr": rest[0] if len(rest) == 1 else {"$and": rest}})
            return done[0] if len(done) == 1 else {"$and": done}
    return {"$expr": form}


def _rewrite(form: Any, dataset: Dataset) -> dict[str, Any] | None:
    """The exact query equivalent of ``form``, or None when there is none."""
    if not isinstance(form, dict) or len(form) != 1:
        return None
    ((op, args),) = form.items()
    if op in ("$and", "$or") and isinstance(args, list) and args:
        parts = [_rewrite(a, dataset) for a in args]
        if any(p is None for p in parts):
            return None
        return parts[0] if len(parts) == 1 else {op: parts}
    if op == "$not" and isinstance(args, list) and len(args) == 1:
        inner = _rewrite(args[0], dataset)
        return None if inner is None else {"$nor": [inner]}
    if op in _FLIP and isinstance(args, list) and len(args) == 2:
        return _comparison(op, args, dataset)
    if op == "$in" and isinstance(args, list) and len(args) == 2:
        path, values = _path(args[0]), args[1]
        if path is None or not isinstance(values, list) or not values:
            return None
        consts = [_constant(v) for v in values]
        kind = _kind(path, dataset)
        if kind is None or any(c is _NO or _const_kind(c) != kind for c in consts):
            return None
        return {path: {"$in": consts}}
    return None


def _comparison(op: str, args: list[Any], dataset: Dataset) -> dict[str, Any] | None:
    path, const = _path(args[0]), _constant(args[1])
    if path is None:  # constant on the left: 3 < F("x") is F("x") > 3
        path, const, op = _path(args[1]), _constant(args[0]), _FLIP[op]
    if path is None or const is _NO:
        return None
    if const is None:
        # F("x").exists() compiles to {"$gt": ["$x", None]}: true unless null/missing,
        # which is {"x": {"$ne": None}} for any field that is not a list
        top = dataset._schema.get(path.split(".", 1)[0])
        if op == "$gt" and "." not in path and top is not None and top.ftype != "list":
            return {path: {"$ne": None}}
        return None
    kind = _kind(path, dataset)
    if kind is None or _const_kind(const) != kind:
        return None
    if op == "$eq":
        return {path: const}
    if op in ("$lt", "$lte"):  # $expr ranks null, missing and NaN below every value
        nulls: list[dict[str, Any]] = [{path: None}]
        if kind == "number":
            nulls.append({path: float("nan")})
        return {"$or": [{path: {op: const}}, *nulls]}
    return {path: {op: const}}


class _Missing:
    pass


_NO: Any = _Missing()  # "not a constant"; None is a legitimate constant


def _path(arg: Any) -> str | None:
    if isinstance(arg, str) and arg.startswith("$") and not arg.startswith("$$") and len(arg) > 1:
        return arg[1:]
    return None


def _constant(arg: Any) -> Any:
    if isinstance(arg, dict):
        if list(arg) == ["$literal"]:
            return arg["$literal"]
        return _NO
    if isinstance(arg, str) and arg.startswith("$"):
        return _NO
    if isinstance(arg, (list, tuple)):
        return _NO
    return arg


def _const_kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, float) and value != value:
        return None  # NaN ranks differently in the two languages
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, ObjectId):
        return "objectid"
    return None


def _kind(path: str, dataset: Dataset) -> str | None:
    """The scalar kind the schema guarantees at ``path``, or None."""
    top, _, rest = path.partition(".")
    if top == "_id" and not rest:
        return "objectid"
    if top == "_rand" and not rest:
        return "number"
    field = dataset._schema.get(top)
    if field is None:
        return None
    if not rest:
        return _FTYPE_KINDS.get(field.ftype)
    if field.ftype == "embedded" and "." not in rest:
        return _LABEL_ATTRS.get(field.document_type or "", {}).get(rest)
    return None
