"""The FastAPI application: REST + websocket routes, the dashboard's files, media.

Example:
    >>> from server import create_app
    >>> app = create_app()          # serve with: uvicorn.run(app, port=5151)
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from . import errors
from .context import deleted_ids
from .limits import Limits
from .operators import Job, JobRunner, Outcome
from .routes import ROUTERS
from .security import Guard, Security
from .state import StateStore

#: the product name /api/health reports, so a session can tell our server from others
APP_NAME = "dataset_core"


def static_dir() -> Path:
    """Where the dashboard's files are: ``app/`` beside the packages, or the installed copy."""
    here = Path(__file__).resolve().parent.parent / "app"
    if (here / "index.html").is_file():
        return here
    spec = importlib.util.find_spec("dataset_core_app")  # a data-only (namespace) package
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / "index.html").is_file():
            return Path(folder)
    raise RuntimeError("The dashboard's files (app/) are missing; reinstall dataset-core")


def create_app(store: StateStore | None = None, security: Security | None = None) -> FastAPI:
    """A new server application around ``store`` (a fresh state when None).

    Args:
        store: the session state to share with an in-process ``Session``.
        security: who it answers (see ``server/security.py``); None: loopback on
            any port, with a fresh token unless ``config.server_token`` is off.
            The token is ``app.state.security.token``.
    """
    store = store or StateStore()
    security = security or Security.for_server("127.0.0.1", None)
    app = FastAPI(
        title="dataset_core dashboard", docs_url="/api/docs", openapi_url="/api/openapi.json"
    )
    app.state.store = store
    app.state.security = security

    def job_done(job: Job, outcome: Outcome | None) -> None:
        if outcome is None:
            return
        if outcome.removed_ids:  # deleted samples cannot stay selected
            store.select([], outcome.removed_ids)
        if outcome.changed_samples:
            # everything keyed by the refresh counter (sidebar summaries, page indexes,
            # made patches) starts over, whether or not a view is shown next; deleted
            # samples leave the selection too
            store.bump_refresh(gone=deleted_ids(store.snapshot()))
        if outcome.show_stages is not None:
            store.apply({"dataset": job.dataset, "view": outcome.show_stages,
                         "view_name": outcome.show_view_name})  # fmt: skip

    app.state.jobs = JobRunner(job_done)
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        return {"app": APP_NAME, "pid": os.getpid(), "clients": store.num_clients}

    app.mount("/", StaticFiles(directory=static_dir(), html=True), name="app")
    app.add_middleware(Limits)
    app.add_middleware(Guard, security=security)  # outermost: refused requests cost nothing
    return app
