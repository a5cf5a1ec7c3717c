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

Paths into lists (``tags``, ``detections.detections.label``) are unwound one
level, so ``CountValues("tags")`` counts tags, not tag lists.
"""

from __future__ import annotations

from .base import Aggregation
from .counting import Count, CountValues, Distinct, Values
from .numeric import Bounds, HistogramValues, Mean, Std, Sum
from .run import aggregate, run_aggregations, run_pipeline
from .schema import ListSchema, Schema

__all__ = [
    "Aggregation",
    "Bounds",
    "Count",
    "CountValues",
    "Distinct",
    "HistogramValues",
    "ListSchema",
    "Mean",
    "Schema",
    "Std",
    "Sum",
    "Values",
    "aggregate",
    "run_aggregations",
    "run_pipeline",
]
