"""The base of the typed aggregations, and what they share about field paths."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import ViewError
from ..expressions import ViewExpression, ViewField
from .paths import FieldPath, resolve

if TYPE_CHECKING:
    from ..collection import SampleCollection

#: field types whose values are whole documents: counting or bounding them is meaningless
_DOCUMENT_FTYPES = frozenset({"embedded", "dict", "array"})


class Aggregation:
    """Base of the typed aggregations: one statistic of one field.

    Args:
        field: the field or dotted path to aggregate, e.g. ``"ground_truth.label"``;
            or, as FiftyOne's ``field_or_expr``, an expression of each sample
            such as ``F("filepath").ends_with(".png")`` (its array results unwound).
        expr: an expression applied to each value of ``field``, after the lists
            on the path are unwound (``F()`` is the value), e.g. ``F() - 0.1``.
    """

    _registry: ClassVar[dict[str, type[Aggregation]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):  # private bases are not aggregations
            Aggregation._registry[cls.__name__] = cls

    def __init__(self, field: Any, expr: Any = None) -> None:
        if isinstance(field, ViewField) and field.name:
            field = field.name  # F("a.b") is the path a.b
        if not (isinstance(field, str) and field) and not isinstance(field, ViewExpression):
            raise ViewError(
                f"{type(self).__name__} takes a field name such as 'uniqueness' or "
                f"'ground_truth.label', or an expression; got {field!r}"
            )
        if expr is not None and not isinstance(expr, ViewExpression):
            raise ViewError(f"expr is an expression such as F() * 2; got {expr!r}")
        self._field = field
        self._expr = expr

    @property
    def field(self) -> Any:
        """The field or path this aggregation reads (or the expression it computes)."""
        return self._field

    @property
    def expr(self) -> Any:
        """The expression applied to each value, or None."""
        return self._expr

    def to_pipeline(self, collection: SampleCollection) -> list[dict[str, Any]]:
        """The steps, after ``collection``'s own, whose output :meth:`parse_result` reads.

        Raises:
            FieldNotFoundError: the field is not in the dataset's schema.
        """
        raise NotImplementedError

    def parse_result(self, docs: list[dict[str, Any]]) -> Any:
        """The Python value of the documents output by :meth:`to_pipeline`."""
        raise NotImplementedError

    def _kwargs(self) -> dict[str, Any]:
        return {"field": self._field, **self._expr_kwargs()}

    def _expr_kwargs(self) -> dict[str, Any]:
        return {} if self._expr is None else {"expr": self._expr}

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"_cls": "Bounds", "kwargs": {"field": "uniqueness"}}``
        (expressions as their ``{"$expr": ...}`` form)."""
        kwargs = {k: v.to_dict() if isinstance(v, ViewExpression) else v
                  for k, v in self._kwargs().items()}  # fmt: skip
        return {"_cls": type(self).__name__, "kwargs": kwargs}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Aggregation:
        """Inverse of :meth:`to_dict`.

        Raises:
            ViewError: an unknown ``_cls``.
        """
        name = d.get("_cls") if isinstance(d, dict) else None
        sub = Aggregation._registry.get(name) if isinstance(name, str) else None
        if sub is None:
            known = sorted(Aggregation._registry)
            raise ViewError(f"Unknown aggregation {name!r}; use one of {known}")
        kwargs = {k: _expression(v) for k, v in d.get("kwargs", {}).items()}
        return sub(**kwargs)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.to_dict() == other.to_dict()  # expressions' == builds expressions

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self)))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._kwargs().items())
        return f"{type(self).__name__}({args})"

    # -- helpers for subclasses -------------------------------------------------

    def _resolve(self, collection: SampleCollection) -> FieldPath:
        """The resolved path, kept for :meth:`parse_result` to convert values."""
        self._fp = resolve(collection, self._field, self._expr)
        return self._fp

    def _convert(self, value: Any) -> Any:
        fp = getattr(self, "_fp", None)
        return fp.convert(value) if fp is not None and fp.needs_convert else value


def _expression(value: Any) -> Any:
    if isinstance(value, dict) and list(value) == ["$expr"]:
        return ViewExpression.from_dict(value)
    return value


def check_leaf(agg: Aggregation, fp: FieldPath) -> None:
    """Refuse whole documents where an aggregation needs values."""
    field = fp.leaf
    if field is not None and not fp.computed and field.ftype in _DOCUMENT_FTYPES:
        hint = f"'{fp.field}.label'" if field.document_type else f"a path inside {fp.field!r}"
        raise ViewError(
            f"{type(agg).__name__} needs values, but {fp.field!r} holds whole {field} "
            f"documents; pass a path to a value inside it, e.g. {hint}"
        )
