"""Aggregations that fold a field's values: bounds, extremes, moments, quantiles."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..errors import ViewError
from .counting import _Safe

if TYPE_CHECKING:
    from ..collection import SampleCollection


class _Reduce(_Safe):
    """An aggregation that folds every value into one document ``{"_id": None, ...}``."""

    def _accumulators(self, expr: str) -> dict[str, Any]:
        raise NotImplementedError

    def to_pipeline(self, collection: SampleCollection) -> list[dict[str, Any]]:
        _, steps, expr = self._values(collection)
        return steps + [{"$group": {"_id": None, **self._accumulators(expr)}}]


class Bounds(_Reduce):
    """The ``(min, max)`` of a field's non-None values; ``(None, None)`` when there are none.

    Dates come back as dates, label ids (``"gt.id"``) as strings.

    Args:
        field: the field or path (lists on the way are unwound).
        safe: leave out nan and inf values.

    Example:
        >>> lo, hi = dataset.bounds("uniqueness")
    """

    def _accumulators(self, expr: str) -> dict[str, Any]:
        return {"min": {"$min": expr}, "max": {"$max": expr}}

    def parse_result(self, docs: list[dict[str, Any]]) -> tuple[Any, Any]:
        if not docs:
            return None, None
        return self._convert(docs[0].get("min")), self._convert(docs[0].get("max"))


class Min(_Reduce):
    """The smallest non-None value of a field; None when there is none.

    Example:
        >>> dataset.min("uniqueness")
        0.0031
    """

    def _accumulators(self, expr: str) -> dict[str, Any]:
        return {"v": {"$min": expr}}

    def parse_result(self, docs: list[dict[str, Any]]) -> Any:
        return self._convert(docs[0].get("v")) if docs else None


class Max(Min):
    """The largest non-None value of a field; None when there is none.

    Example:
        >>> dataset.max("uniqueness")
        0.9987
    """

    def _accumulators(self, expr: str) -> dict[str, Any]:
        return {"v": {"$max": expr}}


class Mean(_Reduce):
    """The mean of a field's numeric values; 0 when there are none (as FiftyOne)."""

    def _accumulators(self, expr: str) -> dict[str, Any]:
        return {"v": {"$avg": expr}}

    def parse_result(self, docs: list[dict[str, Any]]) -> float:
        value = docs[0].get("v") if docs else None
        return 0 if value is None else value


class Sum(_Reduce):
    """The sum of a field's numeric values; 0 when there are none."""

    def _accumulators(self, expr: str) -> dict[str, Any]:
        return {"v": {"$sum": expr}}

    def parse_result(self, docs: list[dict[str, Any]]) -> float:
        return docs[0]["v"] if docs else 0


class Std(_Reduce):
    """The standard deviation of a field's numeric values; 0 when there are none.

    Args:
        field: the field or path.
        safe: leave out nan and inf values.
        sample: the sample standard deviation (divides by n - 1) instead of
            the population one (divides by n, like ``numpy.std``).
    """

    def __init__(self, field: Any, expr: Any = None, safe: bool = False,
                 sample: bool = False) -> None:  # fmt: skip
        super().__init__(field, expr, safe=safe)
        self._sample = bool(sample)

    def _kwargs(self) -> dict[str, Any]:
        return {**super()._kwargs(), "sample": self._sample}

    def _accumulators(self, expr: str) -> dict[str, Any]:
        return {"v": {"$stdDevSamp" if self._sample else "$stdDevPop": expr}}

    def parse_result(self, docs: list[dict[str, Any]]) -> float:
        value = docs[0].get("v") if docs else None
        return 0 if value is None else value


class Quantiles(_Safe):
    """The quantile(s) of a field's numeric values, by the inverted CDF (as FiftyOne).

    The ``q``-quantile is the smallest value ``v`` with at least a fraction
    ``q`` of the values ``<= v``: ``numpy.quantile(values, q,
    method="inverted_cdf")``. The server sorts the values and keeps only the
    ranks asked for, so nothing but those values comes back.

    Args:
        field: a numeric field or path (lists on the way are unwound).
        quantiles: one number in ``[0, 1]`` or a list of them.
        expr: an expression applied to each value first.
        safe: leave out nan and inf values.

    Returns (from :meth:`parse_result`):
        one value for one number, a list for a list; None where there are no values.

    Example:
        >>> q1, median, q3 = dataset.quantiles("uniqueness", [0.25, 0.5, 0.75])
    """

    def __init__(self, field: Any, quantiles: Any, expr: Any = None, safe: bool = False) -> None:
        super().__init__(field, expr, safe=safe)
        if hasattr(quantiles, "tolist"):  # a numpy array or number
            quantiles = quantiles.tolist()
        self._single = not isinstance(quantiles, (list, tuple))
        qs = [quantiles] if self._single else list(quantiles)
        for q in qs:
            if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 <= q <= 1:
                raise ViewError(
                    f"Quantiles takes numbers in [0, 1] (or a list of them); got {quantiles!r}"
                )
        self._quantiles = [float(q) for q in qs]

    def _kwargs(self) -> dict[str, Any]:
        q = self._quantiles[0] if self._single else list(self._quantiles)
        return {"field": self._field, "quantiles": q, **self._expr_kwargs(), "safe": self._safe}

    def to_pipeline(self, collection: SampleCollection) -> list[dict[str, Any]]:
        _, steps, expr = self._values(collection)
        ranks = [{"$max": [1, {"$ceil": {"$multiply": [q, "$n"]}}]} for q in self._quantiles]
        return steps + [
            {"$match": {expr[1:]: {"$type": "number"}}},
            {"$project": {"_id": 0, "v": expr}},
            {
                "$setWindowFields": {
                    "sortBy": {"v": 1},
                    "output": {
                        "rank": {"$documentNumber": {}},
                        "n": {"$count": {}, "window": {"documents": ["unbounded", "unbounded"]}},
                    },
                }
            },
            {"$match": {"$expr": {"$in": ["$rank", ranks]}}},
        ]

    def parse_result(self, docs: list[dict[str, Any]]) -> Any:
        if not docs:
            out: list[Any] = [None] * len(self._quantiles)
        else:
            n = docs[0]["n"]
            by_rank = {d["rank"]: d["v"] for d in docs}
            out = [by_rank[max(1, math.ceil(q * n))] for q in self._quantiles]
        return out[0] if self._single else out
