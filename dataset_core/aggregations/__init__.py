"""Typed aggregations: statistics over a collection, computed by MongoDB.

An :class:`Aggregation` is a small value object. Its constructor validates and
stores its arguments and never touches the database; :meth:`~Aggregation.to_pipeline`
compiles it, for one collection, to aggregation steps that run after the
collection's own stages; :meth:`~Aggregation.parse_result` turns the documents
those steps output into a Python value. Most aggregations output one document;
:class:`CountValues`, :class:`Distinct` and :class:`Values` output one per value,
so run alone they stream instead of packing everything into one 16 MB document.

Several aggregations run in one database round trip as the branches of one
``$facet`` (see :func:`run_aggregations`)::

    count, (lo, hi) = dataset.aggregate([Count(), Bounds("uniqueness")])

Paths into lists (``tags``, ``detections.detections.label``) are unwound at
every list level the schema declares, so ``CountValues("tags")`` counts tags,
not tag lists; :class:`Values` keeps lists per sample unless told to unwind
(see :mod:`.paths` for FiftyOne's ``[]`` syntax).
"""

from __future__ import annotations

from .base import Aggregation
from .counting import Count, CountValues, Distinct
from .histogram import HistogramValues
from .numeric import Bounds, Max, Mean, Min, Quantiles, Std, Sum
from .run import aggregate, run_aggregations, run_pipeline
from .schema import ListSchema, Schema
from .values import Values

__all__ = [
    "Aggregation",
    "Bounds",
    "Count",
    "CountValues",
    "Distinct",
    "HistogramValues",
    "ListSchema",
    "Max",
    "Mean",
    "Min",
    "Quantiles",
    "Schema",
    "Std",
    "Sum",
    "Values",
    "aggregate",
    "run_aggregations",
    "run_pipeline",
]
