"""Stages that order or count off samples: SortBy, Limit, Skip, Shuffle, Take, GroupBy."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ..errors import ViewError
from ..expressions import ViewExpression
from .base import (
    Pipeline,
    ViewStage,
    check_count,
    check_flag,
    check_name,
    check_seed,
    from_json_expr,
    is_name,
    nothing,
    plain,
)
from .match_query import field_refs

if TYPE_CHECKING:
    from ..collection import SampleCollection
    from ..dataset import Dataset

_SORT_KEY = "_dc_sort"
_SEED_SCALE = 1_000_000  # see _seeded_sort


class SortBy(ViewStage):
    """Sort by a field (an index on it makes sort + limit fast) or an expression.

    Ties keep no guaranteed order (a tie-breaker would stop MongoDB from
    reading an index in order).

    Args:
        field_or_expr: a field path, or an expression computed per sample.
        reverse: sort in descending order.

    Example:
        >>> dataset.sort_by("uniqueness", reverse=True)
        >>> dataset.sort_by(F("ground_truth.confidence") * F("uniqueness"))
    """

    __slots__ = ("_by", "_reverse")

    def __init__(self, field_or_expr: str | ViewExpression, reverse: bool = False):
        if isinstance(field_or_expr, dict):
            field_or_expr = ViewExpression(plain(field_or_expr, "SortBy expression"))
        if not (isinstance(field_or_expr, ViewExpression) or is_name(field_or_expr)):
            raise ViewError(
                f"SortBy takes a field name or an F expression; got {field_or_expr!r:.80}"
            )
        self._by = field_or_expr
        self._reverse = check_flag(reverse, "SortBy reverse")

    def _args(self) -> dict[str, Any]:
        return {"field_or_expr": self._by, "reverse": self._reverse}

    @classmethod
    def _decode(cls, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {**kwargs, "field_or_expr": from_json_expr(kwargs["field_or_expr"])}

    def validate(self, collection: SampleCollection) -> None:
        by = self._by
        for name in sorted([by] if isinstance(by, str) else field_refs(by.to_mongo())):
            collection._dataset._check_path(name)

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        order = -1 if self._reverse else 1
        if isinstance(self._by, str):
            return [{"$sort": {dataset._check_path(self._by): order}}]
        return [
            {"$addFields": {_SORT_KEY: self._by.to_mongo()}},
            {"$sort": {_SORT_KEY: order, "_id": 1}},
            {"$unset": _SORT_KEY},
        ]


class Limit(ViewStage):
    """Keep the first ``limit`` samples.

    Example:
        >>> dataset.sort_by("uniqueness").limit(10)
    """

    __slots__ = ("_limit",)

    def __init__(self, limit: int):
        self._limit = check_count(limit, "Limit limit")

    def _args(self) -> dict[str, Any]:
        return {"limit": self._limit}

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        return [{"$limit": self._limit}] if self._limit else [nothing()]


class Skip(ViewStage):
    """Leave out the first ``skip`` samples.

    Example:
        >>> dataset.skip(100).limit(100)  # the second page of 100
    """

    __slots__ = ("_skip",)

    def __init__(self, skip: int):
        self._skip = check_count(skip, "Skip skip")

    def _args(self) -> dict[str, Any]:
        return {"skip": self._skip}

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        return [{"$skip": self._skip}] if self._skip else []


class Shuffle(ViewStage):
    """Put the samples in a random order, the same one for the same seed.

    Args:
        seed: an int; when None a random one is drawn now, so the view keeps
            one order from call to call (and in its JSON form).

    Example:
        >>> dataset.shuffle(seed=51)
    """

    __slots__ = ("_seed",)

    def __init__(self, seed: int | None = None):
        self._seed = check_seed(seed, type(self).__name__)

    def _args(self) -> dict[str, Any]:
        return {"seed": self._seed}

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        return _seeded_sort(self._seed, None)


class Take(ViewStage):
    """A random sample of ``size`` samples, the same one for the same seed.

    Args:
        size: how many samples; more than the view has is an error (raised
            when the stage is added, after counting the view).
        seed: an int; when None a random one is drawn now, so the view keeps
            the same samples from call to call (``$sample`` would not).

    Example:
        >>> dataset.take(10, seed=51)
    """

    __slots__ = ("_size", "_seed")

    def __init__(self, size: int, seed: int | None = None):
        self._size = check_count(size, "Take size")
        self._seed = check_seed(seed, type(self).__name__)

    def _args(self) -> dict[str, Any]:
        return {"size": self._size, "seed": self._seed}

    def validate(self, collection: SampleCollection) -> None:
        n = len(collection)
        if self._size > n:
            raise ViewError(
                f"take({self._size}) from {collection._describe()} of {n} samples; take at "
                f"most {n}, or use shuffle() to put all of them in random order"
            )

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        return _seeded_sort(self._seed, self._size)


class GroupBy(ViewStage):
    """Order the samples so that those with equal ``field`` values are contiguous.

    Groups come in ascending order of the value (samples without it first);
    within a group, samples are ordered by ``order_by`` (if given), then id.
    Used to show duplicate groups: ``dataset.exists("dup_group").group_by("dup_group")``.

    Args:
        field: the field (path) whose value defines the groups.
        order_by: a field that orders the samples within a group.
    """

    __slots__ = ("_field", "_order_by")

    def __init__(self, field: str, order_by: str | None = None):
        self._field = check_name(field, "GroupBy field")
        self._order_by = None if order_by is None else check_name(order_by, "GroupBy order_by")

    def _args(self) -> dict[str, Any]:
        return {"field": self._field, "order_by": self._order_by}

    def validate(self, collection: SampleCollection) -> None:
        for name in (self._field, self._order_by):
            if name is not None:
                collection._dataset._check_path(name)

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        keys = [dataset._check_path(self._field)]
        if self._order_by is not None:
            keys.append(dataset._check_path(self._order_by))
        return [{"$sort": dict.fromkeys([*keys, "_id"], 1)}]


def _seeded_sort(seed: int, size: int | None) -> Pipeline:
    """Steps ordering samples by a seeded scramble of their ``_rand``, then keeping ``size``.

    The key is ``frac(_rand * a + b)`` with ``a`` in [1e6, 2e6) and ``b`` in
    [0, 1) drawn from the seed: for uniform ``_rand`` it is again uniform, and
    different seeds give unrelated orders. Plain arithmetic, since
    server-side JavaScript (``$function``) is slow or disabled.
    """
    if size == 0:
        return [nothing()]
    h = hashlib.sha256(str(seed).encode()).digest()
    a = _SEED_SCALE * (1 + int.from_bytes(h[:8], "big") / 2**64)
    b = int.from_bytes(h[8:16], "big") / 2**64
    key = {"$mod": [{"$add": [{"$multiply": ["$_rand", a]}, b]}, 1]}
    steps: Pipeline = [{"$addFields": {_SORT_KEY: key}}, {"$sort": {_SORT_KEY: 1, "_id": 1}}]
    if size is not None:
        steps.append({"$limit": size})
    return steps + [{"$unset": _SORT_KEY}]
