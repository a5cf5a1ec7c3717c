"""Stages that keep some samples: Match, MatchTags, Exists, Select, Exclude.

FilterLabels lives in :mod:`.labels` with the other label stages."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from bson.errors import InvalidId

from ..errors import ViewError
from ..expressions import ViewExpression
from ..sample import Sample
from . import idsets
from .base import (
    Pipeline,
    ViewStage,
    check_flag,
    check_name,
    check_names,
    from_json_expr,
    plain,
)
from .labels import FilterLabels  # noqa: F401  (its old home)
from .match_query import expr_to_query, field_refs

if TYPE_CHECKING:
    from ..collection import SampleCollection
    from ..dataset import Dataset


class Match(ViewStage):
    """Keep the samples that match a MongoDB query or a boolean F expression.

    Comparisons of a field with a constant are compiled into the query language
    where that is exact, so an index on the field is used.

    Args:
        filter: a query dict (``{"ground_truth.label": "cat"}``) or an expression
            (``F("uniqueness") > 0.8``).

    Raises:
        ViewError: neither a dict nor an expression, or a value MongoDB cannot store.

    Example:
        >>> dataset.match(F("uniqueness") > 0.8).match({"ground_truth.label": "cat"})
    """

    __slots__ = ("_filter",)

    def __init__(self, filter: dict[str, Any] | ViewExpression):
        if isinstance(filter, ViewExpression):
            self._filter: dict[str, Any] | ViewExpression = filter
        elif isinstance(filter, dict):
            self._filter = plain(filter, "Match filter")
        else:
            raise ViewError(
                f"Match takes a query dict or an F expression; got {filter!r:.80} "
                f"({type(filter).__name__})"
            )

    def _args(self) -> dict[str, Any]:
        return {"filter": self._filter}

    @classmethod
    def _decode(cls, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {"filter": from_json_expr(kwargs["filter"])}

    def validate(self, collection: SampleCollection) -> None:
        f = self._filter
        names = field_refs(f.to_mongo()) if isinstance(f, ViewExpression) else _query_fields(f)
        for name in sorted(names):
            collection._dataset._check_path(name)

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        f = self._filter
        if isinstance(f, ViewExpression):
            return [{"$match": expr_to_query(f.to_mongo(), dataset)}]
        if list(f) == ["$expr"]:
            return [{"$match": expr_to_query(copy.deepcopy(f["$expr"]), dataset)}]
        return [{"$match": copy.deepcopy(f)}]


class MatchTags(ViewStage):
    """Keep the samples that have (or lack) any (or all) of the given tags.

    Args:
        tags: a tag or a list of tags.
        bool: ``False`` to keep the samples that do *not* match instead.
        all: require all the tags rather than any of them.

    Example:
        >>> dataset.match_tags("dup", bool=False)
    """

    __slots__ = ("_tags", "_bool", "_all")

    def __init__(self, tags: str | Iterable[str], bool: bool = True, all: bool = False):
        self._tags = check_names(tags, "MatchTags tags", allow_empty=False)
        self._bool = check_flag(bool, "MatchTags bool")
        self._all = check_flag(all, "MatchTags all")

    def _args(self) -> dict[str, Any]:
        return {"tags": list(self._tags), "bool": self._bool, "all": self._all}

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        tags = list(self._tags)
        test = {"$all": tags} if self._all else {"$in": tags}
        if not self._bool:
            test = {"$not": test} if self._all else {"$nin": tags}
        return [{"$match": {"tags": test}}]


class Exists(ViewStage):
    """Keep the samples whose ``field`` is set (not None), or with ``bool=False`` unset.

    Example:
        >>> dataset.exists("ground_truth")
    """

    __slots__ = ("_field", "_bool")

    def __init__(self, field: str, bool: bool = True):
        self._field = check_name(field, "Exists field")
        self._bool = check_flag(bool, "Exists bool")

    def _args(self) -> dict[str, Any]:
        return {"field": self._field, "bool": self._bool}

    def validate(self, collection: SampleCollection) -> None:
        collection._dataset._check_path(self._field)

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        path = dataset._check_path(self._field)
        return [{"$match": {path: {"$ne": None} if self._bool else None}}]


class _IdStage(ViewStage):
    """What Select and Exclude share: a normalised id list and its temporary collection."""

    __slots__ = ("_ids", "_ordered", "_digest")

    def __init__(self, sample_ids: Any, ordered: bool = False):
        self._ordered = check_flag(ordered, f"{type(self).__name__} ordered")
        # unordered lists are kept sorted: equal sets make equal stages and share
        # one temporary collection
        self._ids = _object_ids(sample_ids, type(self).__name__, sort=not self._ordered)
        self._digest: str | None = None

    def _key(self) -> Any:
        return (self._ids, self._ordered)

    def _id_collection(self, dataset: Dataset) -> str:
        if self._digest is None:
            self._digest = idsets.digest(self._ids)
        return idsets.ensure_collection(dataset._sample_coll().database, self._ids, self._digest)


class Select(_IdStage):
    """Keep the samples with the given ids.

    Any number of ids works: big lists are read from a temporary collection
    instead of being written into the pipeline (see :mod:`.idsets`). A big
    selection is fastest as a view's first stage.

    Args:
        sample_ids: ids (str or ObjectId) or samples; repeats are ignored.
        ordered: return the samples in the order of ``sample_ids``; otherwise
            in the order they come in (the dataset's id order when first).

    Raises:
        ViewError: something that is not a sample id.

    Example:
        >>> dataset.select(ids, ordered=True)
    """

    __slots__ = ()

    def __init__(self, sample_ids: Any, ordered: bool = False):
        super().__init__(sample_ids, ordered)

    def _args(self) -> dict[str, Any]:
        return {"sample_ids": [str(oid) for oid in self._ids], "ordered": self._ordered}

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        ids, ordered, n = list(self._ids), self._ordered, len(self._ids)
        small = n <= (idsets.MAX_INLINE_ORDERED_IDS if ordered else idsets.MAX_INLINE_IDS)
        if small:  # the _id index serves the $in, first or not
            steps = [{"$match": {"_id": {"$in": ids}}}]
            return steps + idsets.rank_inline(ids) if ordered else steps
        coll = self._id_collection(dataset)
        if first:
            return idsets.select_first(coll, dataset._sample_coll().name, ordered)
        if n > idsets.MAX_INLINE_FILTER_IDS:
            return idsets.lookup(coll, keep=True, rank=ordered)
        steps = [{"$match": {"_id": {"$in": ids}}}]  # few samples are left to rank
        return steps + idsets.lookup(coll, keep=True, rank=True) if ordered else steps


class Exclude(_IdStage):
    """Drop the samples with the given ids; any number of ids works (see :class:`Select`).

    Past :data:`idsets.MAX_INLINE_FILTER_IDS` ids, each sample costs a lookup.

    Example:
        >>> dataset.exclude(duplicate_ids)
    """

    __slots__ = ()

    def __init__(self, sample_ids: Any):
        super().__init__(sample_ids)

    def _args(self) -> dict[str, Any]:
        return {"sample_ids": [str(oid) for oid in self._ids]}

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        if len(self._ids) <= idsets.MAX_INLINE_FILTER_IDS:
            return [{"$match": {"_id": {"$nin": list(self._ids)}}}]
        return idsets.lookup(self._id_collection(dataset), keep=False)


def _query_fields(query: dict[str, Any]) -> set[str]:
    """Top-level field names a query dict reads (in ``$and``/``$or``/``$nor``/``$expr`` too)."""
    names: set[str] = set()
    for key, value in query.items():
        if key in ("$and", "$or", "$nor") and isinstance(value, list):
            for part in value:
                if isinstance(part, dict):
                    names |= _query_fields(part)
        elif key == "$expr":
            names |= field_refs(value)
        elif not key.startswith("$"):
            names.add(key.split(".", 1)[0])
    return names


def _object_ids(values: Any, stage: str, sort: bool) -> tuple[ObjectId, ...]:
    """Ids from ids, id strings or samples, without repeats (first occurrence kept)."""
    if isinstance(values, (str, ObjectId, Sample)):
        values = [values]
    if not isinstance(values, Iterable) or isinstance(values, (bytes, dict)):
        raise ViewError(f"{stage} takes sample ids or samples; got {values!r:.80}")
    out: dict[ObjectId, None] = {}
    for v in values:
        if type(v) is not ObjectId:  # the common case, 500,000 times, stays cheap
            oid = v._doc.get("_id") if isinstance(v, Sample) else v
            try:  # ObjectId(None) would make up a new id
                v = oid if isinstance(oid, ObjectId) else ObjectId(_text(oid))
            except (InvalidId, TypeError):
                raise ViewError(
                    f"{stage}: {v!r:.60} is not a sample id; pass ids (24 hex characters), "
                    "ObjectIds or samples that are in a dataset"
                ) from None
        out[v] = None
    ids = tuple(out)
    return tuple(sorted(ids, key=_binary)) if sort else ids


_binary = attrgetter("binary")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value
