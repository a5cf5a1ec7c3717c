"""One exception handler: our errors become JSON ``{"error": message}`` with a status.

The message is the exception's own one-line text (what was wrong and what to
do); the status says whose fault it was.
"""

from __future__ import annotations

import pymongo.errors
from bson.errors import BSONError
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from brain.runs import BrainRunNotFoundError
from dataset_core.errors import (
    DatabaseError,
    DatasetCoreError,
    DatasetExistsError,
    DatasetNotFoundError,
    DuplicateSampleError,
    SampleNotFoundError,
    SavedViewNotFoundError,
)

from .state import StateError
from .thumbnails import ThumbnailError


class MediaForbiddenError(DatasetCoreError, PermissionError):
    """A request for a file that no sample of the dataset references."""


class JobConflictError(DatasetCoreError, RuntimeError):
    """An operator started while another one runs on the same dataset."""


#: most specific first: the first class an exception is an instance of wins
STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (MediaForbiddenError, 403),
    (DatasetNotFoundError, 404),
    (SampleNotFoundError, 404),
    (SavedViewNotFoundError, 404),
    (BrainRunNotFoundError, 404),
    (ThumbnailError, 422),
    (DatasetExistsError, 409),
    (DuplicateSampleError, 409),
    (JobConflictError, 409),
    (DatabaseError, 503),
    (StateError, 400),
    (DatasetCoreError, 400),
    # the brain reports bad arguments (a threshold out of range, duplicates not
    # found yet) as plain ValueErrors whose messages say what to do
    (ValueError, 400),
)


def status_of(exc: BaseException) -> int:
    """The HTTP status for one of our exceptions (400 for any other)."""
    for cls, code in STATUS:
        if isinstance(exc, cls):
            return code
    return 400


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


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=status_of(exc))

    async def handle_database(_request: Request, exc: Exception) -> JSONResponse:
        status, message = database_failure(exc)
        return JSONResponse({"error": message}, status_code=status)

    for cls in {c for c, _ in STATUS}:
        app.add_exception_handler(cls, handle)
    for cls in (pymongo.errors.PyMongoError, BSONError, OverflowError):
        app.add_exception_handler(cls, handle_database)
