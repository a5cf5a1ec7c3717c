"""Running aggregations: one streamed pipeline, or several in one ``$facet``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pymongo.errors import OperationFailure

from ..errors import ViewError
from .base import Aggregation
from .histogram import HistogramValues
from .numeric import Bounds

if TYPE_CHECKING:
    from ..collection import SampleCollection

#: MongoDB's codes for a result document over 16 MB (BSONObjectTooLarge, and
#: the $facet buffer limit)
_TOO_LARGE = frozenset({10334, 4031700})


# -- running ------------------------------------------------------------------


def aggregate(collection: SampleCollection, aggs_or_pipeline: Any) -> Any:
    """Run typed aggregations or a raw pipeline on ``collection``; see its ``aggregate``.

    Raises:
        ViewError: neither an Aggregation, a list of them, nor a list of
            pipeline steps; or MongoDB rejected the pipeline.
    """
    arg = aggs_or_pipeline
    if isinstance(arg, Aggregation):
        return run_aggregations(collection, [arg])[0]
    if isinstance(arg, (list, tuple)):
        if all(isinstance(a, Aggregation) for a in arg):
            return run_aggregations(collection, list(arg))
        if not any(isinstance(a, Aggregation) for a in arg):
            return run_pipeline(collection, list(arg))
    raise ViewError(
        "aggregate() takes an Aggregation (e.g. Count()), a list of Aggregations, or a "
        f"raw pipeline (a list of {{'$operator': ...}} dicts); got {_short(arg)}"
    )


def run_pipeline(collection: SampleCollection, pipeline: list[Any]) -> list[dict[str, Any]]:
    """The documents output by ``pipeline`` run after ``collection``'s own stages.

    Raises:
        ViewError: a step that is not a dict with exactly one ``$`` key, or a
            pipeline MongoDB rejects.
    """
    for i, step in enumerate(pipeline):
        keys = list(step) if isinstance(step, dict) else None
        if keys is None or len(keys) != 1 or not str(keys[0]).startswith("$"):
            raise ViewError(
                f"Pipeline step {i} is not a stage: {_short(step)}; each step is a dict "
                "with exactly one '$' operator key, e.g. {'$match': {...}} or "
                "{'$group': {...}}"
            )
    return _run(collection, pipeline)


def run_aggregations(collection: SampleCollection, aggs: list[Aggregation]) -> list[Any]:
    """The values of ``aggs``, computed in one round trip (two with unranged histograms).

    One aggregation streams its own pipeline; several run as the branches of a
    single ``$facet``. Histograms without a range first get their bounds, all
    in one earlier round trip.
    """
    if not aggs:
        return []
    pending = [
        (i, a) for i, a in enumerate(aggs) if isinstance(a, HistogramValues) and a.range is None
    ]
    if pending:
        bounds = run_aggregations(
            collection, [Bounds(a.field, a.expr, safe=True) for _, a in pending]
        )
        aggs = list(aggs)
        for (i, a), b in zip(pending, bounds, strict=True):
            aggs[i] = a.with_bounds(b)
    if len(aggs) == 1:
        return [aggs[0].parse_result(_run(collection, aggs[0].to_pipeline(collection)))]
    facet = {f"a{i}": a.to_pipeline(collection) for i, a in enumerate(aggs)}
    (doc,) = _run(collection, [{"$facet": facet}])
    return [a.parse_result(doc[f"a{i}"]) for i, a in enumerate(aggs)]


def _run(collection: SampleCollection, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        return list(collection._aggregate(steps))
    except OperationFailure as e:
        reason = (e.details or {}).get("errmsg") or str(e)
        if e.code in _TOO_LARGE:
            raise ViewError(
                f"The aggregation's result is too large for one document ({reason}); run "
                "Values, CountValues or Distinct alone, where they stream"
            ) from None
        # a view whose own stages fail: name the stage (a user fixes a stage, not a step)
        named = _failing_stage(collection)
        raise ViewError(
            named
            or f"MongoDB rejected the aggregation ({reason}); check the pipeline steps "
            f"{_short(steps)}"
        ) from None


def _failing_stage(collection: SampleCollection) -> str | None:
    """The message naming the first stage of a view that fails on MongoDB, or None."""
    from ..view import DatasetView

    if not isinstance(collection, DatasetView) or not collection.stages:
        return None
    try:
        return collection._failure_message(whole=True)
    except OperationFailure:
        return None


def _short(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
