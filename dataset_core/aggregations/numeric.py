"""Aggregations of numbers (and other ordered values): bounds, moments, histograms."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ViewError
from .base import Aggregation

if TYPE_CHECKING:
    from ..collection import SampleCollection


class _Reduce(Aggregation):
    """An aggregation that folds every value into one document ``{"_id": None, ...}``."""

    def _accumulators(self, expr: str) -> dict[str, Any]:
        raise NotImplementedError

    def to_pipeline(self, collection: SampleCollection) -> list[dict[str, Any]]:
        steps, expr = self._value_steps(collection)
        return steps + [{"$group": {"_id": None, **self._accumulators(expr)}}]


class Bounds(_Reduce):
    """The ``(min, max)`` of a field's non-None values; ``(None, None)`` when there are none.

    Example:
        >>> lo, hi = dataset.bounds("uniqueness")
    """

    def _accumulators(self, expr: str) -> dict[str, Any]:
        return {"min": {"$min": expr}, "max": {"$max": expr}}

    def parse_result(self, docs: list[dict[str, Any]]) -> tuple[Any, Any]:
        if not docs:
            return None, None
        return docs[0].get("min"), docs[0].get("max")


class Mean(_Reduce):
    """The mean of a field's numeric values; None when there are none."""

    def _accumulators(self, expr: str) -> dict[str, Any]:
        return {"v": {"$avg": expr}}

    def parse_result(self, docs: list[dict[str, Any]]) -> float | None:
        return docs[0].get("v") if docs else None


class Sum(_Reduce):
    """The sum of a field's numeric values; 0 when there are none."""

    def _accumulators(self, expr: str) -> dict[str, Any]:
        return {"v": {"$sum": expr}}

    def parse_result(self, docs: list[dict[str, Any]]) -> float:
        return docs[0]["v"] if docs else 0


class Std(_Reduce):
    """The standard deviation of a field's numeric values; None when undefined.

    Args:
        field: the field or path.
        sample: the sample standard deviation (divides by n - 1) instead of
            the population one (divides by n, like ``numpy.std``).
    """

    def __init__(self, field: str, sample: bool = False) -> None:
        super().__init__(field)
        self._sample = bool(sample)

    def _kwargs(self) -> dict[str, Any]:
        return {"field": self._field, "sample": self._sample}

    def _accumulators(self, expr: str) -> dict[str, Any]:
        return {"v": {"$stdDevSamp" if self._sample else "$stdDevPop": expr}}

    def parse_result(self, docs: list[dict[str, Any]]) -> float | None:
        return docs[0].get("v") if docs else None


class HistogramValues(Aggregation):
    """Counts of a numeric field's values in equal-width bins, like ``numpy.histogram``.

    Computed by the server: the bounds (when ``range`` is not given), then one
    ``$group`` on each value's bin index. As in numpy, the last bin includes its
    right edge, values outside ``range`` are ignored, and an empty or constant
    field gets the range ``(0, 1)`` or ``(v - 0.5, v + 0.5)``.

    Args:
        field: a numeric field or path (list paths are unwound).
        bins: the number of bins.
        range: ``(lower, upper)``; the field's bounds when None.

    Returns (from :meth:`parse_result`):
        ``(counts, edges)``: ``bins`` ints and ``bins + 1`` floats.

    Example:
        >>> counts, edges = dataset.histogram_values("uniqueness", bins=50)
    """

    def __init__(
        self, field: str, bins: int = 10, range: tuple[float, float] | None = None
    ) -> None:
        super().__init__(field)
        if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
            raise ViewError(f"bins must be a positive int; got {bins!r}")
        if range is not None:
            range = _check_range(range)
        self._bins = bins
        self._range = range

    @property
    def range(self) -> tuple[float, float] | None:
        """The ``(lower, upper)`` range, or None until resolved from the bounds."""
        return self._range

    def _kwargs(self) -> dict[str, Any]:
        rng = list(self._range) if self._range is not None else None
        return {"field": self._field, "bins": self._bins, "range": rng}

    def with_bounds(self, bounds: tuple[Any, Any]) -> HistogramValues:
        """This histogram with its range set from the field's ``(min, max)``.

        Raises:
            ViewError: the bounds are not numbers (a string or datetime field).
        """
        lo, hi = bounds
        for v in (lo, hi):
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise ViewError(
                    f"HistogramValues needs a numeric field; {self._field!r} holds "
                    f"{type(v).__name__} values such as {v!r}. Use count_values() for "
                    "categories"
                )
        if lo is None or hi is None:
            lo, hi = 0.0, 1.0
        return HistogramValues(self._field, self._bins, (lo, hi))

    def _edges(self) -> list[float]:
        if self._range is None:
            raise ViewError(f"{self!r} has no range yet; resolve it with with_bounds()")
        lo, hi = self._range
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        return [float(e) for e in np.linspace(lo, hi, self._bins + 1)]

    def to_pipeline(self, collection: SampleCollection) -> list[dict[str, Any]]:
        edges = self._edges()
        lo, hi, last = edges[0], edges[-1], self._bins - 1
        steps, expr = self._value_steps(collection)
        where = expr[1:]
        # a first guess from arithmetic, then numpy's correction against the
        # exact edges, so values on an edge land in the same bin as in numpy
        guess = {"$floor": {"$multiply": [{"$subtract": [expr, lo]}, self._bins / (hi - lo)]}}
        b0 = {"$toInt": {"$min": [last, guess]}}
        below = {"$lt": [expr, {"$arrayElemAt": [edges, "$$b0"]}]}
        b1 = {"$cond": [below, {"$subtract": ["$$b0", 1]}, "$$b0"]}
        above = {
            "$and": [
                {"$ne": ["$$b1", last]},
                {"$gte": [expr, {"$arrayElemAt": [edges, {"$add": ["$$b1", 1]}]}]},
            ]
        }
        b2 = {"$cond": [above, {"$add": ["$$b1", 1]}, "$$b1"]}
        index = {"$let": {"vars": {"b0": b0}, "in": {"$let": {"vars": {"b1": b1}, "in": b2}}}}
        return steps + [
            {"$match": {where: {"$gte": lo, "$lte": hi}}},
            {"$group": {"_id": index, "n": {"$sum": 1}}},
        ]

    def parse_result(self, docs: list[dict[str, Any]]) -> tuple[list[int], list[float]]:
        counts = [0] * self._bins
        for d in docs:
            counts[int(d["_id"])] += d["n"]
        return counts, self._edges()


def _check_range(range: Any) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in range)
    except (TypeError, ValueError):
        raise ViewError(f"range must be (lower, upper) numbers; got {range!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        raise ViewError(f"range must be finite with lower <= upper; got {range!r}")
    return lo, hi
