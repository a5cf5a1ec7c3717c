"""HistogramValues: counts of a field's values in equal-width bins, numbers or dates."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ViewError
from .base import Aggregation

if TYPE_CHECKING:
    from ..collection import SampleCollection

_EPOCH = datetime(1970, 1, 1)
#: the width of the range of a date field holding one instant (BSON dates are ms)
_CONSTANT_DATE_SPAN_MS = 1.0


class HistogramValues(Aggregation):
    """Counts of a numeric or date field's values in equal-width bins, like ``numpy.histogram``.

    Computed by the server: the bounds (when ``range`` is not given, from the
    finite values), then one ``$group`` on each value's bin index. As in numpy,
    the last bin includes its right edge, and an empty or constant field gets
    the range ``(0, 1)`` or ``(v - 0.5, v + 0.5)``; a date field holding one
    instant gets ``(v, v + 1 ms)``, its value in the first bin. Dates and
    datetimes are binned by their milliseconds; their edges come back as datetimes.

    Args:
        field: a numeric or date field or path (list paths are unwound).
        bins: the number of bins.
        range: ``(lower, upper)`` numbers or datetimes; the field's bounds when None.
        expr: an expression applied to each value first (FiftyOne's second
            positional argument; here a keyword, as ``bins`` comes second).

    Returns (from :meth:`parse_result`):
        ``(counts, edges, other)``: ``bins`` ints, ``bins + 1`` edges, and the
        number of values outside the bins (None, nan, inf, out of range), as FiftyOne.

    Example:
        >>> counts, edges, other = dataset.histogram_values("uniqueness", bins=50)
    """

    def __init__(self, field: Any, bins: int = 10, range: Any = None, expr: Any = None) -> None:
        super().__init__(field, expr)
        if bins is None:
            bins = 10
        if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
            raise ViewError(f"bins must be a positive int; got {bins!r}")
        self._dates = False
        if range is not None:
            lo, hi = _check_range(range)
            self._dates = isinstance(lo, datetime)
            range = (lo, hi)
        self._bins = bins
        self._range = range

    @property
    def range(self) -> tuple[Any, Any] | None:
        """The ``(lower, upper)`` range, or None until resolved from the bounds."""
        return self._range

    def _kwargs(self) -> dict[str, Any]:
        rng = list(self._range) if self._range is not None else None
        return {"field": self._field, "bins": self._bins, "range": rng, **self._expr_kwargs()}

    def with_bounds(self, bounds: tuple[Any, Any]) -> HistogramValues:
        """This histogram with its range set from the field's ``(min, max)``.

        Raises:
            ViewError: the bounds are neither numbers nor dates (a string field).
        """
        lo, hi = bounds
        for v in (lo, hi):
            if v is not None and not _is_number(v) and not isinstance(v, date):
                raise ViewError(
                    f"HistogramValues needs a numeric or date field; {self._field!r} holds "
                    f"{type(v).__name__} values such as {v!r}. Use count_values() for "
                    "categories"
                )
        if lo is None or hi is None:
            lo, hi = 0.0, 1.0
        return HistogramValues(self._field, self._bins, (lo, hi), self._expr)

    def _edges(self) -> list[float]:
        if self._range is None:
            raise ViewError(f"{self!r} has no range yet; resolve it with with_bounds()")
        lo, hi = (_ms(v) for v in self._range) if self._dates else self._range
        if lo == hi and self._dates:
            # one instant: the range starts at it (its value in the first bin, as
            # FiftyOne counts it), one millisecond wide, the unit dates are stored in
            hi = lo + _CONSTANT_DATE_SPAN_MS
        elif lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        return [float(e) for e in np.linspace(lo, hi, self._bins + 1)]

    def to_pipeline(self, collection: SampleCollection) -> list[dict[str, Any]]:
        edges = self._edges()
        lo, hi, last = edges[0], edges[-1], self._bins - 1
        steps, expr = self._resolve(collection).unwind_steps()
        if self._dates:
            as_ms = {"$cond": [{"$eq": [{"$type": expr}, "date"]}, {"$toLong": expr}, None]}
            steps = steps + [{"$project": {"_id": 0, "v": as_ms}}]
            expr = "$v"
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
        # nan fails both comparisons; None, strings and dates are not numbers
        inside = {"$and": [{"$isNumber": expr}, {"$gte": [expr, lo]}, {"$lte": [expr, hi]}]}
        return steps + [{"$group": {"_id": {"$cond": [inside, index, -1]}, "n": {"$sum": 1}}}]

    def parse_result(self, docs: list[dict[str, Any]]) -> tuple[list[int], list[Any], int]:
        counts, other = [0] * self._bins, 0
        for d in docs:
            i = int(d["_id"])
            if i < 0:
                other += d["n"]
            else:
                counts[i] += d["n"]
        edges: list[Any] = self._edges()
        if self._dates:
            edges = [_EPOCH + timedelta(milliseconds=e) for e in edges]
        return counts, edges, other


def _is_number(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, float))


def _ms(v: datetime) -> float:
    return (v - _EPOCH) / timedelta(milliseconds=1)


def _as_datetime(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.replace(tzinfo=None) - (v.utcoffset() or timedelta(0))
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    return v


def _check_range(range: Any) -> tuple[Any, Any]:
    try:
        lo, hi = range
    except (TypeError, ValueError):
        raise ViewError(f"range must be (lower, upper); got {range!r}") from None
    if isinstance(lo, date) and isinstance(hi, date):
        lo, hi = _as_datetime(lo), _as_datetime(hi)
        if lo > hi:
            raise ViewError(f"range must have lower <= upper; got {range!r}")
        return lo, hi
    try:
        lo, hi = float(lo), float(hi)
    except (TypeError, ValueError):
        raise ViewError(f"range must be (lower, upper) numbers or dates; got {range!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        raise ViewError(f"range must be finite with lower <= upper; got {range!r}")
    return lo, hi
