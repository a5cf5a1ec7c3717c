"""One exception handler: our errors become JSON ``{"error": message}`` with a status.

The message is the exception's own one-line text (what was wrong and what to
do); the status is the class's ``http_status`` (every class under
``DatasetCoreError`` carries one: the data layer's, the brain's, the server's).
Anything else is a bug: a 500 whose traceback goes to the server's log.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
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


def status_of(exc: BaseException) -> int:
    """The HTTP status for ``exc``: its class's ``http_status``, 500 for a bug."""
    if isinstance(exc, DatasetCoreError):
        return int(getattr(exc, "http_status", 400))
    return 500


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=status_of(exc))

    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return JSONResponse(
            {"error": f"Internal error ({type(exc).__name__}: {exc}); see the server's log"},
            status_code=500,
        )

    app.add_exception_handler(DatasetCoreError, handle)
    app.add_exception_handler(Exception, bug)
