"""One exception handler: our errors become JSON ``{"error": message}`` with a status.

The message is the exception's own one-line text (what was wrong and what to
do); the status is the class's ``http_status`` (every class under
``DatasetCoreError`` carries one: the data layer's, the brain's, the server's).
Raw MongoDB/BSON failures are answered by :func:`database_failure` (400 for a
refused view or value, 408 for a timeout, 503 for a dead server), a body that
does not fit its model by :func:`invalid_request` (422, in the same
``{"error": ...}`` form). Anything else is a bug: a 500 whose traceback goes to
the server's log, its message naming the exception, never a bare "Internal
Server Error".
"""

from __future__ import annotations

import logging

import pymongo.errors
from bson.errors import BSONError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from dataset_core.errors import DatasetCoreError

log = logging.getLogger("server")


class MediaForbiddenError(DatasetCoreError, PermissionError):
    """A request for a file that no sample of the dataset references."""

    http_status = 403


class JobConflictError(DatasetCoreError, RuntimeError):
    """An operator started while another one runs on the same dataset."""

    http_status = 409


class OperatorNotFoundError(DatasetCoreError, KeyError):
    """An operator name the server does not have."""

    http_status = 404

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class JobNotFoundError(DatasetCoreError, KeyError):
    """A job id the server does not know (jobs live until the server stops)."""

    http_status = 404

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class InsecureBindError(DatasetCoreError, ValueError):
    """A dashboard reachable from the network asked to run without its token."""

    http_status = 400


def status_of(exc: BaseException) -> int:
    """The HTTP status for ``exc``: its class's ``http_status``, 500 for a bug."""
    if isinstance(exc, DatasetCoreError):
        return int(getattr(exc, "http_status", 400))
    return 500


def database_failure(exc: Exception) -> tuple[int, str]:
    """The status and one-line message for an error from MongoDB or BSON encoding."""
    from dataset_core.config import config

    if getattr(exc, "timeout", False):
        return 408, (
            f"The query ran past the server's limit of {config.query_timeout_ms / 1000:g} s "
            "(DATASET_CORE_QUERY_TIMEOUT_MS); narrow the view or filter on an indexed field"
        )
    if isinstance(exc, pymongo.errors.OperationFailure):
        details = exc.details or {}
        text = str(details.get("errmsg") or exc).splitlines()[0][:300]
        return 400, f"MongoDB refused the view: {text}"
    if isinstance(exc, (BSONError, OverflowError)):
        return 400, f"The request holds a value MongoDB cannot store: {str(exc)[:200]}"
    return 503, f"The database failed: {str(exc).splitlines()[0][:200]}; retry in a moment"


def invalid_request(exc: Exception) -> str:
    """One line for a request body that does not fit its model (FastAPI's 422):
    where each problem is and what was expected, as ``body.view.0: Input should be...``."""
    problems = getattr(exc, "errors", lambda: [])()
    parts = [f"{'.'.join(str(x) for x in p.get('loc', ()))}: {p.get('msg', '')}" for p in problems]
    return ("Malformed request: " + "; ".join(parts[:5]))[:300] if parts else str(exc)[:300]


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=status_of(exc))

    async def handle_database(_request: Request, exc: Exception) -> JSONResponse:
        status, message = database_failure(exc)
        return JSONResponse({"error": message}, status_code=status)

    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return JSONResponse(
            {"error": f"Internal error ({type(exc).__name__}: {exc}); see the server's log"},
            status_code=500,
        )

    async def handle_invalid(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": invalid_request(exc)}, status_code=422)

    app.add_exception_handler(DatasetCoreError, handle)
    app.add_exception_handler(RequestValidationError, handle_invalid)
    # raw MongoDB/BSON failures the data layer did not translate: a refused
    # view, a timeout, a value BSON cannot hold, a dead server (not bugs)
    for cls in (pymongo.errors.PyMongoError, BSONError, OverflowError):
        app.add_exception_handler(cls, handle_database)
    app.add_exception_handler(Exception, bug)
