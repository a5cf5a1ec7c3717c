"""SetField: a field (or an attribute inside embedded documents and lists) computed
by an expression, for each sample of the view.

The expression reads fields relative to the document that holds the field being
set, as in FiftyOne: for ``"gt.detections.label"`` it is each detection
(``F("label").upper()``), for ``"gt.num"`` the ``gt`` document, for a top-level
field the sample. ``F("$name")`` reads the sample's own field from anywhere.

List components of the path are mapped element by element: those the schema
declares as lists (``gt.detections`` of a ``Detections`` field, a top-level
``ListField`` of documents) and those marked with ``[]`` (``"dets[].label"``).
Each level is rebuilt with ``$mergeObjects`` so that the other attributes stay,
and a ``None`` (or missing) document on the way stays as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ViewError
from ..expressions import ELEMENT_VAR, ViewExpression
from ..fields import EmbeddedDocumentField, ListField
from ..schema import document_of, resolve_path
from .base import Pipeline, ViewStage, check_flag, check_name, from_json_expr, plain
from .labels import rebase

if TYPE_CHECKING:
    from ..collection import SampleCollection
    from ..dataset import Dataset

#: the element variable of the ``$map`` over each list level
_ELEMENT = f"$${ELEMENT_VAR}"
#: fields a view may not rewrite: every read by id would miss
_IDS = ("id", "_id")


class SetField(ViewStage):
    """Set ``field`` on each sample of the view to the value of ``expr``.

    Nothing is written until ``view.save()``; the view shows the new values to
    everything that reads it (iteration, ``values``, aggregations, the app).

    Args:
        field: a top-level field, or a dotted path into embedded documents and
            label lists (``"predictions.detections.confidence"``); ``[]`` after
            a component maps over a list the schema does not declare.
        expr: an F expression evaluated relative to the document holding the
            field (``F("$name")`` is the sample's field), or a literal value.
        _allow_missing: allow a top-level field the dataset does not declare
            (FiftyOne's private flag; such a field is not written by ``save()``).

    Raises:
        ViewError: an id field, an empty path component, or a value a view cannot hold.
        FieldNotFoundError: (when added to a view) a top-level field not in the schema.

    Example:
        >>> dataset.set_field("gt.detections.label", F("label").upper())
        >>> dataset.set_field("uniqueness", (F("uniqueness") > 0.5).if_else(F("uniqueness"), None))
    """

    __slots__ = ("_field", "_form", "_allow_missing")

    def __init__(self, field: str, expr: Any, _allow_missing: bool = False):
        self._field = check_name(field, "SetField field")
        names = [p[:-2] if p.endswith("[]") else p for p in field.split(".")]
        bad = [p for p in names if not p or "$" in p or "[" in p or "]" in p]
        if bad:
            raise ViewError(
                f"SetField field {field!r} has an invalid component {bad[0]!r}; write a "
                "dotted path like 'gt.detections.label' ('[]' may follow a list component)"
            )
        if names[0] in _IDS:
            raise ViewError(f"SetField cannot set {field!r}: sample ids are fixed")
        self._form = expr.to_mongo() if isinstance(expr, ViewExpression) else plain(
            expr, "SetField expr")  # fmt: skip
        self._allow_missing = check_flag(_allow_missing, "SetField _allow_missing")

    @property
    def field(self) -> str:
        """The field (path) set."""
        return self._field

    @property
    def expr(self) -> ViewExpression:
        """The expression, as compiled relative to its document."""
        return ViewExpression(self._form)

    def _args(self) -> dict[str, Any]:
        return {"field": self._field, "expr": ViewExpression(self._form),
                "_allow_missing": self._allow_missing}  # fmt: skip

    @classmethod
    def _decode(cls, kwargs: dict[str, Any]) -> dict[str, Any]:
        out = super()._decode({k: v for k, v in kwargs.items() if k != "expr"})
        if "expr" in kwargs:
            out["expr"] = from_json_expr(kwargs["expr"])
        return out

    def validate(self, collection: SampleCollection) -> None:
        dataset = collection._dataset
        top = self.top
        if not self._allow_missing:
            dataset._check_path(top)
        if "." not in self._field:
            return
        parent = self._field.rsplit(".", 1)[0].replace("[]", "")
        holder = resolve_path(dataset._schema, parent)
        if holder is not None and document_of(holder) is None:
            raise ViewError(
                f"SetField cannot set {self._field!r}: {parent!r} is {holder}, which holds "
                "no embedded documents"
            )

    @property
    def top(self) -> str:
        """The top-level field the stage rewrites."""
        return self._field.split(".", 1)[0].removesuffix("[]")

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        segments = _segments(dataset, self._field)
        (name, mapped), rest = segments[0], segments[1:]
        return [{"$set": {name: _new_value(None, name, mapped, rest, self._form)}}]


def _segments(dataset: Dataset, field: str) -> list[tuple[str, bool]]:
    """``(name, mapped)`` per component: whether the rest of the path applies to
    each element of the list found there."""
    parts = field.split(".")
    out, path = [], []
    for i, part in enumerate(parts):
        name = part.removesuffix("[]")
        path.append(name)
        declared = resolve_path(dataset._schema, ".".join(path))
        inner = i < len(parts) - 1
        is_list = isinstance(declared, ListField) and isinstance(
            document_of(declared), EmbeddedDocumentField)  # fmt: skip
        out.append((name, part.endswith("[]") or (inner and is_list)))
    return out


def _new_value(ref: str | None, name: str, mapped: bool,
               rest: list[tuple[str, bool]], form: Any) -> Any:  # fmt: skip
    """The new value of attribute ``name`` of the document at ``ref`` (None: the sample)."""
    child = f"${name}" if ref is None else f"{ref}.{name}"
    if not rest and not mapped:
        return form if ref is None else rebase(form, ref + ".")
    if mapped:
        body = rebase(form, _ELEMENT + ".") if not rest else _with(_ELEMENT, rest, form)
        each = {"$map": {"input": child, "as": ELEMENT_VAR, "in": body}}
        return {"$cond": [{"$isArray": child}, each, child]}
    return _with(child, rest, form)


def _with(ref: str, segments: list[tuple[str, bool]], form: Any) -> Any:
    """The document at ``ref`` with ``segments`` set inside it; a non-document stays."""
    (name, mapped), rest = segments[0], segments[1:]
    merged = {"$mergeObjects": [ref, {name: _new_value(ref, name, mapped, rest, form)}]}
    return {"$cond": [{"$eq": [{"$type": ref}, "object"]}, merged, ref]}
