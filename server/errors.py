"""One exception handler: our errors become JSON ``{"error": message}`` with a status.

The message is the exception's own one-line text (what was wrong and what to
do); the status says whose fault it was.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from dataset_core.errors import (
    DatabaseError,
    DatasetCoreError,
    DatasetExistsError,
    DatasetNotFoundError,
    DuplicateSampleError,
    SampleNotFoundError,
    SavedViewNotFoundError,
)
from dataset_core.runs import BrainRunNotFoundError

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


def install(app: FastAPI) -> None:
    """Register the handler on ``app``."""

    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=status_of(exc))

    for cls in {c for c, _ in STATUS}:
        app.add_exception_handler(cls, handle)
