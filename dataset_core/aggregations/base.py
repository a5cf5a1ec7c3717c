"""The base of the typed aggregations, and what they share about field paths."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import ViewError
from .paths import FieldPath, resolve

if TYPE_CHECKING:
    from ..collection import SampleCollection

#: field types whose values are whole documents: counting or bounding them is meaningless
_DOCUMENT_FTYPES = frozenset({"embedded", "dict", "array"})


class Aggregation:
    """Base of the typed aggregations: one statistic of one field.

    Args:
        field: the field or dotted path to aggregate, e.g. ``"ground_truth.label"``.
    """

    _registry: ClassVar[dict[str, type[Aggregation]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):  # private bases are not aggregations
            Aggregation._registry[cls.__name__] = cls

    def __init__(self, field: str) -> None:
        if not isinstance(field, str) or not field:
            raise ViewError(
                f"{type(self).__name__} takes a field name such as 'uniqueness' or "
                f"'ground_truth.label'; got {field!r}"
            )
        self._field = field

    @property
    def field(self) -> str | None:
        """The field or path this aggregation reads."""
        return self._field

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
        return {"field": self._field}

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"_cls": "Bounds", "kwargs": {"field": "uniqueness"}}``."""
        return {"_cls": type(self).__name__, "kwargs": self._kwargs()}

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
        return sub(**d.get("kwargs", {}))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._kwargs() == other._kwargs()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self)))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._kwargs().items())
        return f"{type(self).__name__}({args})"

    # -- helpers for subclasses -------------------------------------------------

    def _resolve(self, collection: SampleCollection) -> FieldPath:
        """The resolved path, kept for :meth:`parse_result` to convert values."""
        self._fp = resolve(collection, self._field)
        return self._fp

    def _convert(self, value: Any) -> Any:
        fp = getattr(self, "_fp", None)
        return fp.convert(value) if fp is not None and fp.needs_convert else value


def check_leaf(agg: Aggregation, fp: FieldPath) -> None:
    """Refuse whole documents where an aggregation needs values."""
    field = fp.leaf
    if field is not None and field.ftype in _DOCUMENT_FTYPES:
        hint = f"'{fp.field}.label'" if field.document_type else f"a path inside {fp.field!r}"
        raise ViewError(
            f"{type(agg).__name__} needs values, but {fp.field!r} holds whole {field} "
            f"documents; pass a path to a value inside it, e.g. {hint}"
        )
