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
from ..fields import (
    ArrayField,
    DateField,
    DateTimeField,
    EmbeddedDocumentField,
    Field,
    ListField,
    ObjectIdField,
    VectorField,
)
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
    """

    field: str
    path: str
    hops: tuple[str, ...]
    flags: tuple[bool, ...]
    rest: str
    leaf: Field | None
    is_id: bool

    @property
    def ftype(self) -> str | None:
        return self.leaf.ftype if self.leaf is not None else None

    @property
    def is_date(self) -> bool:
        return type(self.leaf) is DateField

    @property
    def is_datetime(self) -> bool:
        return isinstance(self.leaf, (DateField, DateTimeField))

    @property
    def needs_convert(self) -> bool:
        """Whether values need :meth:`convert` (ids, dates, documents, arrays)."""
        return self.is_id or self.ftype not in _PLAIN

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
        return value

    def unwind_steps(self, leaf_wrap: bool = True) -> tuple[list[dict[str, Any]], str]:
        """Steps that output one row per value, and the expression naming it.

        No list on the way: no steps, ``"$path"``. Otherwise each list level is
        projected to ``v`` and unwound (missing and empty lists drop out). An
        undeclared leaf may hold lists too: with ``leaf_wrap`` it is unwound
        as well, a null kept as one None.
        """
        if not self.hops:
            if self.leaf is None and leaf_wrap and self.path != "_rand":
                return [{"$project": {"_id": 0, "v": "$" + self.path}}, {"$set": {"v": _WRAP}},
                        {"$unwind": "$v"}], "$v"  # fmt: skip
            return [], "$" + self.path
        steps: list[dict[str, Any]] = []
        for i, hop in enumerate(self.hops):
            src = "$" + hop if i == 0 else _join("$v", hop)
            steps += [{"$project": {"_id": 0, "v": src}}, {"$unwind": "$v"}]
        expr = _join("$v", self.rest)
        if self.leaf is None and leaf_wrap:
            steps += [{"$project": {"_id": 0, "v": expr}}, {"$set": {"v": _WRAP}},
                      {"$unwind": "$v"}]  # fmt: skip
            expr = "$v"
        return steps, expr

    def nested_expr(self, missing_value: Any = None) -> Any:
        """An expression of one sample's value, keeping its lists as lists: a
        missing list is None, a missing value inside one is ``missing_value``."""
        return self._nested("$", 0, missing_value)

    def _nested(self, base: str, level: int, missing: Any) -> Any:
        if level == len(self.hops):
            leaf = _join(base, self.rest) if base != "$" else "$" + self.path
            return leaf if missing is None else {"$ifNull": [leaf, {"$literal": missing}]}
        src = "$" + self.hops[0] if level == 0 else _join(base, self.hops[level])
        if level == len(self.hops) - 1 and not self.rest and missing is None:
            return src  # the list itself: no need to map it
        var = f"x{level}"
        inner = self._nested("$$" + var, level + 1, missing)
        mapped = {"$map": {"input": src, "as": var, "in": inner}}
        return {"$cond": [{"$isArray": src}, mapped, None]}


def _join(base: str, rel: str) -> str:
    return f"{base}.{rel}" if rel else base


def resolve(collection: SampleCollection, field: str) -> FieldPath:
    """The :class:`FieldPath` of ``field`` in ``collection``'s schema.

    Raises:
        FieldNotFoundError: the path's first field is not in the schema.
        ViewError: ``[]`` on a field that is not a list.
    """
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
        is_id=leaf_name == "id",
    )


def _may_hold_list(field: Field) -> bool:
    return isinstance(field, (ListField, ArrayField, VectorField)) or field.ftype in ("dict",)
