"""Operators: list them, preview one (dry-run counts), run one, follow its job."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field

from ..context import get_view
from ..errors import JobNotFoundError, OperatorNotFoundError
from ..operators import OPERATORS, Operator, preview
from .samples import ViewRef

router = APIRouter(tags=["operators"])


class OperatorRequest(ViewRef):
    """An operator's parameters, and the view it acts on."""

    params: dict[str, Any] = Field(default_factory=dict)


def _operator(name: str) -> Operator:
    op = OPERATORS.get(name)
    if op is None:
        raise OperatorNotFoundError(f"Unknown operator {name!r}; operators: {sorted(OPERATORS)}")
    return op


@router.get("/api/operators")
def list_operators() -> list[dict[str, Any]]:
    """Every operator with its parameters."""
    return [op.describe() for op in OPERATORS.values()]


@router.post("/api/operators/{name}/preview")
def preview_operator(name: str, body: OperatorRequest) -> dict[str, Any]:
    """What the operator would do (a destructive one: its dry run); changes nothing."""
    op = _operator(name)
    outcome = preview(op, get_view(body.dataset, body.view), op.parse(body.params))
    return {"operator": name, "message": outcome.message, "destructive": op.destructive}


@router.post("/api/operators/{name}/run")
def run_operator(name: str, body: OperatorRequest, request: Request) -> dict[str, Any]:
    """Start the operator in the background; poll ``/api/jobs/{id}`` for progress."""
    op = _operator(name)
    params = op.parse(body.params)
    job = request.app.state.jobs.start(op, get_view(body.dataset, body.view), params)
    return job.to_dict()


@router.get("/api/jobs/{job_id}")
def read_job(job_id: str, request: Request) -> dict[str, Any]:
    """A job's status, progress and outcome."""
    job = request.app.state.jobs.get(job_id)
    if job is None:
        raise JobNotFoundError(f"No job {job_id!r}; jobs are kept until the server stops")
    return job.to_dict()
