"""Operators: brain and dedup actions the dashboard runs without code.

Each :class:`Operator` has typed parameters, a ``preview`` that says what it
would do (for destructive ones, the dedup dry run's counts) and a ``run`` that
calls the same ``brain`` function Python users call. Runs happen in a
:class:`Job` thread whose progress bars report to the job (see
``dataset_core.progress.report_progress``), so the dashboard can show them.
"""

from __future__ import annotations

from typing import Any

from dataset_core.view import DatasetView

from .base import Job, JobRunner, Operator, Outcome, Param
from .dedup import DEDUP_OPERATORS
from .health import HEALTH_OPERATORS
from .objects import OBJECT_OPERATORS

#: every operator the dashboard lists, by name, in the order it lists them
OPERATORS: dict[str, Operator] = {
    op.name: op for op in [*DEDUP_OPERATORS, *HEALTH_OPERATORS, *OBJECT_OPERATORS]
}


def preview(op: Operator, view: DatasetView, params: dict[str, Any]) -> Outcome:
    """What ``op`` would do on ``view``; destructive ones run their dry run."""
    return op.preview(view, params)


__all__ = ["OPERATORS", "Job", "JobRunner", "Operator", "Outcome", "Param", "preview"]
