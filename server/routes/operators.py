"""Operators: list them, preview one (dry-run counts), run one, follow its job.

A destructive operator runs only with the ``preview_id`` of a preview that the
same client (its ``dataset_core_client`` cookie) made of the same operator,
dataset, view and parameters in the last :data:`PREVIEW_TTL_S` seconds; each
preview is good for one run. A lone POST cannot delete or move anything.
An operator that acts on the selection (``Operator.on_selection``) acts on the
session's selected samples of the view, and its preview is bound to them too.
A finished removal that moved samples into the trash is undone with
``POST /api/jobs/{id}/undo``: only trash folders this server's jobs wrote.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field

import brain
from dataset_core.errors import DatasetCoreError
from dataset_core.view import DatasetView

from ..context import get_view
from ..errors import JobNotFoundError, OperatorNotFoundError
from ..operators import OPERATORS, Job, Operator, preview
from .samples import ViewRef

router = APIRouter(tags=["operators"])

#: seconds a preview stays good for its run
PREVIEW_TTL_S = 600.0
CLIENT_COOKIE = "dataset_core_client"

_previews: dict[str, tuple[tuple[Any, ...], float]] = {}
_previews_lock = threading.Lock()


class OperatorRequest(ViewRef):
    """An operator's parameters, the view it acts on, and (to run a destructive
    one) the id its preview returned."""

    params: dict[str, Any] = Field(default_factory=dict)
    preview_id: str | None = None


def _what(request: Request, name: str, body: OperatorRequest, params: dict[str, Any]) -> tuple:
    client = request.cookies.get(CLIENT_COOKIE, "")
    selected = request.app.state.store.get("selected") if OPERATORS[name].on_selection else None
    return (client, name, body.dataset, json.dumps(body.view, sort_keys=True),
            json.dumps(params, sort_keys=True, default=str), json.dumps(selected))  # fmt: skip


def _target(op: Operator, body: OperatorRequest, request: Request) -> DatasetView:
    """The view ``op`` acts on: the request's, narrowed to the selection for ``on_selection``."""
    view = get_view(body.dataset, body.view)
    if not op.on_selection:
        return view
    store = request.app.state.store
    selected = store.get("selected") if store.get("dataset") == body.dataset else []
    if not selected:
        raise DatasetCoreError(f"{op.label}: nothing is selected; tick the samples first")
    return view.select(selected)


def _take_preview(request: Request, name: str, body: OperatorRequest, params: dict) -> None:
    now = time.monotonic()
    with _previews_lock:
        for key in [k for k, (_, t) in _previews.items() if t < now]:
            del _previews[key]
        hit = _previews.pop(body.preview_id or "", None)
    if (
        hit is None
        or not request.cookies.get(CLIENT_COOKIE)
        or hit[0] != _what(request, name, body, params)
    ):
        raise DatasetCoreError(
            f"Operator {name!r} deletes or moves data: preview it first, then confirm that "
            "preview (its preview_id) for the same view and parameters"
        )


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
def preview_operator(name: str, body: OperatorRequest, request: Request) -> JSONResponse:
    """What the operator would do (a destructive one: its dry run); changes nothing.

    Returns ``preview_id``, which a run of a destructive operator must quote.
    """
    op = _operator(name)
    params = op.parse(body.params)
    outcome = preview(op, _target(op, body, request), params)
    client = request.cookies.get(CLIENT_COOKIE)
    if not client:
        client = secrets.token_urlsafe(16)
        request.cookies[CLIENT_COOKIE] = client
    preview_id = secrets.token_urlsafe(16)
    with _previews_lock:
        _previews[preview_id] = (_what(request, name, body, params),
                                 time.monotonic() + PREVIEW_TTL_S)  # fmt: skip
    response = JSONResponse({"operator": name, "message": outcome.message,
                             "destructive": op.destructive, "preview_id": preview_id})  # fmt: skip
    response.set_cookie(CLIENT_COOKIE, client, httponly=True, samesite="strict")
    return response


@router.post("/api/operators/{name}/run")
def run_operator(name: str, body: OperatorRequest, request: Request) -> dict[str, Any]:
    """Start the operator in the background; poll ``/api/jobs/{id}`` for progress."""
    op = _operator(name)
    params = op.parse(body.params)
    if op.destructive:
        _take_preview(request, name, body, params)
    job = request.app.state.jobs.start(op, _target(op, body, request), params)
    return job.to_dict()


def _job(request: Request, job_id: str) -> Job:
    job = request.app.state.jobs.get(job_id)
    if job is None:
        raise JobNotFoundError(f"No job {job_id!r}; jobs are kept until the server stops")
    return job


@router.get("/api/jobs/{job_id}")
def read_job(job_id: str, request: Request) -> dict[str, Any]:
    """A job's status, progress and outcome."""
    return _job(request, job_id).to_dict()


@router.post("/api/jobs/{job_id}/undo")
def undo_job(job_id: str, request: Request) -> dict[str, Any]:
    """Put back what a finished removal moved into the trash (files and samples, same
    ids), through ``brain.restore_trash``; every client is told to refresh."""
    job = _job(request, job_id)
    restored = request.app.state.jobs.undo(job, brain.restore_trash)
    request.app.state.store.bump_refresh()
    return {**job.to_dict(), "restored_files": len(restored),
            "message": f"Undone: {job.removed} samples back in the dataset, "
                       f"{len(restored)} files back in place"}  # fmt: skip
