"""Field paths of aggregations: where they cross lists, and how to unwind them.

A path such as ``"ground_truth.detections.label"`` crosses one list
(``detections``); ``"tags"`` ends in one. :func:`resolve` reads the schema once
and returns a :class:`FieldPath` that knows its list levels, so aggregations
unwind exactly those (nothing for ``"ground_truth.label"``, which needs no
unwinding at all) and convert what comes back (label ids to ``str``, a
``DateField``'s datetimes to ``date``).

FiftyOne's ``[]`` syntax marks a list level explicitly:
``"ground_truth.detections[].label"`` is the same path, with the ``detections``
level flattened when :class:`~.values.Values` returns it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from ..errors import ViewError
from ..expressions import ViewExpression, ViewField
from ..fields import (
    ArrayField,
    DateField,
    EmbeddedDocumentField,
    Field,
    ListField,
    ObjectIdField,
    VectorField,
)
from ..labels import decode as decode_label_value
from ..values import from_mongo

if TYPE_CHECKING:
    from ..collection import SampleCollection

#: leaf field classes whose values come back as stored (no conversion needed)
_PLAIN = ("int", "float", "string", "bool", "datetime")
#: a null that stays one element when a non-list value is wrapped into a list
_WRAP = {"$cond": [{"$isArray": "$v"}, "$v", ["$v"]]}


@dataclass(frozen=True)
class FieldPath:
    """A resolved path: its stored form and the lists it crosses.

    Attributes:
        field: the path as given, without ``[]``.
        path: the stored path (``id`` -> ``_id``).
        hops: for each list level, outermost first, the path to the list from
            the previous level's element (from the sample for the first);
            ``""`` for a list directly inside a list.
        flags: for each list level, whether ``[]`` marked it.
        rest: the path from the last list's element to the value (``""``: the
            elements themselves).
        leaf: the schema's field of the value, or None when undeclared.
        is_id: the path ends in ``id``: its ObjectIds come back as strings.
        expr: a :class:`~dataset_core.expressions.ViewExpression` applied to
            each value (after unwinding; a list at the end of the path, not
            marked ``[]``, is given to it whole), or None.
        root: instead of a path, a compiled expression of each sample.
    """

    field: str
    path: str
    hops: tuple[str, ...]
    flags: tuple[bool, ...]
    rest: str
    leaf: Field | None
    is_id: bool
    expr: Any = None
    root: Any = None

    @property
    def ftype(self) -> str | None:
        return self.leaf.ftype if self.leaf is not None else None

    @property
    def is_whole_list(self) -> bool:
        """Whether the path's one list holds the values themselves (``tags``)."""
        return len(self.hops) == 1 and not self.rest and self.leaf is not None and not self.computed

    @property
    def computed(self) -> bool:
        """Whether values come from an expression rather than straight from the path."""
        return self.expr is not None or self.root is not None

    @property
    def is_date(self) -> bool:
        return type(self.leaf) is DateField and not self.computed

    @property
    def needs_convert(self) -> bool:
        """Whether values need :meth:`convert` (ids, dates, documents, arrays)."""
        return self.is_id or self.ftype not in _PLAIN or self.computed

    def _shape(self) -> tuple[tuple[str, ...], str]:
        """The list levels to unwind and the path from the last one to the value:
        with ``expr``, a list that ends the path (unmarked) stays whole."""
        hops, rest = self.hops, self.rest
        if self.expr is not None and hops and not rest and not self.flags[-1]:
            return hops[:-1], hops[-1]
        return hops, rest

    def _apply(self, value: str) -> Any:
        return value if self.expr is None else self.expr.to_mongo(prefix=value + ".")

    def convert(self, value: Any) -> Any:
        """A stored value as users see it: label ids as str, dates as date, labels
        as objects."""
        t = type(value)
        if t is ObjectId:
            return str(value) if self.is_id else value
        if t is datetime:
            return value.date() if self.is_date else value
        if t is dict or t is list:
            return from_mongo(value)
        if t is bytes:  # a label's array attribute (logits), stored as .npy bytes
            return decode_label_value(value)
        return value

    def unwind_steps(self, leaf_wrap: bool = True) -> tuple[list[dict[str, Any]], str]:
        """Steps that output one row per value, and the expression naming it.

        No list on the way: no steps, ``"$path"``. Otherwise each list level is
        projected to ``v`` and unwound (missing and empty lists drop out). An
        undeclared leaf, or an expression of the sample, may hold lists too:
        with ``leaf_wrap`` it is unwound as well, a null kept as one None.
        """
        wrap = [{"$set": {"v": _WRAP}}, {"$unwind": "$v"}] if leaf_wrap else []
        if self.root is not None:
            return [{"$project": {"_id": 0, "v": self.root}}, *wrap], "$v"
        hops, rest = self._shape()
        steps: list[dict[str, Any]] = []
        for i, hop in enumerate(hops):
            src = "$" + hop if i == 0 else _join("$v", hop)
            steps += [{"$project": {"_id": 0, "v": src}}, {"$unwind": "$v"}]
        expr = _join("$v", rest) if hops else "$" + rest
        if self.leaf is None and self.path != "_rand" and self.expr is None and wrap:
            steps += [{"$project": {"_id": 0, "v": expr}}, *wrap]
            expr = "$v"
        if self.expr is not None:  # its array results count element by element
            steps += [{"$project": {"_id": 0, "v": self._apply(expr)}}, *wrap]
            expr = "$v"
        return steps, expr

    def nested_expr(self, missing_value: Any = None) -> Any:
        """An expression of one sample's value, keeping its lists as lists: a
        missing list is None, a missing value inside one is ``missing_value``."""
        if self.root is not None:
            return _if_null(self.root, missing_value)
        return self._nested("$", 0, missing_value, *self._shape())

    def _nested(self, base: str, level: int, missing: Any, hops: tuple[str, ...],
                rest: str) -> Any:  # fmt: skip
        if level == len(hops):
            leaf = _join(base, rest) if base != "$" else "$" + rest
            return _if_null(self._apply(leaf), missing)
        src = "$" + hops[0] if level == 0 else _join(base, hops[level])
        if level == len(hops) - 1 and not rest and missing is None and self.expr is None:
            return src  # the list itself: no need to map it
        var = f"x{level}"
        inner = self._nested("$$" + var, level + 1, missing, hops, rest)
        mapped = {"$map": {"input": src, "as": var, "in": inner}}
        return {"$cond": [{"$isArray": src}, mapped, None]}


def _if_null(value: Any, missing: Any) -> Any:
    return value if missing is None else {"$ifNull": [value, {"$literal": missing}]}


def _join(base: str, rel: str) -> str:
    return f"{base}.{rel}" if rel else base


def resolve(collection: SampleCollection, field: Any, expr: Any = None) -> FieldPath:
    """The :class:`FieldPath` of ``field`` in ``collection``'s schema, with
    ``expr`` applied to its values; ``field`` may be an expression of the sample.

    Raises:
        FieldNotFoundError: the path's first field is not in the schema.
        ViewError: ``[]`` on a field that is not a list.
    """
    if isinstance(field, ViewExpression):
        if expr is not None:
            raise ViewError("Pass expr= with a field name, not with an expression as the field")
        names: set[str] = set()
        if _fields_of(field, names) and len(names) == 1:
            # an expression of one path into lists, F("gt.detections.label").upper():
            # computed per value, as FiftyOne does, with that path as F()
            (name,) = names
            fp = resolve(collection, name)
            if fp.hops:
                return resolve(collection, name, _rebase(field, name))
        return FieldPath(repr(field), "", (), (), "", None, False, root=field.to_mongo())
    if not isinstance(field, str) or not field:
        raise ViewError(f"A field path is a non-empty string such as 'ground_truth.label'; "
                        f"got {field!r}")  # fmt: skip
    clean = field.replace("[]", "")
    dataset = collection._dataset
    stored_top = dataset._check_path(clean).split(".", 1)[0]
    parts = field.split(".")
    top = parts[0].replace("[]", "")
    schema = dataset._schema
    current: Field | None
    if stored_top == "_id":
        current = ObjectIdField()
    else:
        current = schema.get(top)
    stored = [stored_top]
    hops: list[str] = []
    flags: list[bool] = []
    since: list[str] = [stored_top]  # path segments since the last list level

    def cross_lists(marked: bool) -> None:
        nonlocal current, since
        crossed = False
        while isinstance(current, ListField):
            hops.append(".".join(since))
            flags.append(marked and not crossed)
            since, crossed = [], True
            current = current.field
        if marked and not crossed:
            if current is not None and not _may_hold_list(current):
                raise ViewError(f"{field!r}: '[]' follows {'.'.join(stored)!r}, which is "
                                f"not a list ({current})")  # fmt: skip
            hops.append(".".join(since))
            flags.append(True)
            since = []

    cross_lists(parts[0].endswith("[]"))
    for raw in parts[1:]:
        name = raw.replace("[]", "")
        doc = current if isinstance(current, EmbeddedDocumentField) else None
        nxt = doc.get_field(name) if doc is not None else None
        if name == "id" and isinstance(nxt, ObjectIdField):
            name = "_id"  # labels store their ids as _id
        stored.append(name)
        since.append(name)
        current = nxt
        cross_lists(raw.endswith("[]"))
    leaf_name = clean.rsplit(".", 1)[-1]
    return FieldPath(
        field=clean,
        path=".".join(stored),
        hops=tuple(hops),
        flags=tuple(flags),
        rest=".".join(since),
        leaf=current,
        is_id=leaf_name == "id" and expr is None,
        expr=expr,
    )


def _fields_of(node: Any, names: set[str]) -> bool:
    """Collect the field names ``node`` reads (outside filter/map bodies); False
    when it also holds raw ``"$path"`` strings, which cannot be rebased."""
    if isinstance(node, ViewField):
        if node.name:
            names.add(node.name)
        return True
    if isinstance(node, ViewExpression):
        return type(node) is not ViewExpression or _fields_of(node._form, names)
    if isinstance(node, list):
        return all(_fields_of(v, names) for v in node)
    if isinstance(node, dict):
        return all(_fields_of(v, names) for v in node.values())
    return not (isinstance(node, str) and node.startswith("$"))


def _rebase(node: Any, name: str) -> Any:
    """``node`` with ``F(name)`` replaced by ``F()`` (the value it is applied to)."""
    if isinstance(node, ViewField):
        return ViewField() if node.name == name else node
    if type(node) is ViewExpression:
        out = ViewExpression()
        out._form = _rebase(node._form, name)
        return out
    if isinstance(node, list):
        return [_rebase(v, name) for v in node]
    if isinstance(node, dict):
        return {k: _rebase(v, name) for k, v in node.items()}
    return node


def _may_hold_list(field: Field) -> bool:
    return isinstance(field, (ListField, ArrayField, VectorField)) or field.ftype in ("dict",)
