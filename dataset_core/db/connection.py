"""The connection: one pymongo client per process, and the error boundary.

``get_db()`` connects lazily (starting the embedded mongod and logging in to it
when ``DATASET_CORE_DATABASE_URI`` is unset) and registers the same connection
with mongoengine for the dataset documents. ``translate_errors`` turns pymongo's
connection errors into one-line :class:`DatabaseError` messages; after such an
error the next call reconnects, restarting the embedded server if it died.
"""

from __future__ import annotations

import datetime
import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import mongoengine
import pymongo
import pymongo.errors
from bson.codec_options import TypeRegistry
from pymongo.database import Database

from ..config import config
from ..errors import DatabaseError
from . import service
from .credentials import mask_uri

#: how long a call waits for an unreachable server before it reports it
SERVER_SELECTION_TIMEOUT_MS = 5000
MONGOENGINE_ALIAS = "default"

_lock = threading.RLock()


def _encode_fallback(value: Any) -> Any:
    """Values BSON has no type for: a ``date`` (a DateField's value) is stored as
    the datetime at midnight UTC, as FiftyOne stores it. Called by pymongo only
    for values it cannot encode, so the common types pay nothing."""
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day)
    return value


_client: pymongo.MongoClient[dict[str, Any]] | None = None
_client_uri: str | None = None
_mongoengine_key: tuple[str, str] | None = None
#: the Database object of the current key: pymongo builds a new one per lookup (~30 us),
#: and callers compare its identity to keep their own Collection objects
_database: Database[dict[str, Any]] | None = None
_documents: list[type[mongoengine.Document]] = []


def register_document(cls: type[mongoengine.Document]) -> type[mongoengine.Document]:
    """Class decorator: reset ``cls``'s cached collection when the database changes."""
    _documents.append(cls)
    return cls


def database_uri() -> str:
    """The URI in use: ``DATASET_CORE_DATABASE_URI`` or the embedded server's.

    It may hold a password (the embedded server's always does): show users
    ``mask_uri(database_uri())``.
    """
    return config.database_uri or service.ensure_running()


def get_client() -> pymongo.MongoClient[dict[str, Any]]:
    """The process-wide client, connecting (and starting mongod) on first use."""
    global _client, _client_uri
    with _lock:
        if _client is None:
            uri = database_uri()
            _client = pymongo.MongoClient(
                uri,
                serverSelectionTimeoutMS=SERVER_SELECTION_TIMEOUT_MS,
                # acknowledged writes are journaled: a crash or kill -9 of mongod
                # loses nothing a call has returned from (costs ~0.3 ms per write)
                journal=True,
                tz_aware=False,
                uuidRepresentation="standard",
                type_registry=TypeRegistry(fallback_encoder=_encode_fallback),
            )
            _client_uri = uri
        return _client


def get_db() -> Database[dict[str, Any]]:
    """The database named by ``config.database_name``, mongoengine wired to it."""
    global _mongoengine_key, _database
    client = get_client()
    key = (str(_client_uri), config.database_name)
    if _mongoengine_key != key:
        with _lock:
            mongoengine.disconnect(alias=MONGOENGINE_ALIAS)
            mongoengine.connect(
                db=config.database_name,
                host=_client_uri,
                alias=MONGOENGINE_ALIAS,
                serverSelectionTimeoutMS=SERVER_SELECTION_TIMEOUT_MS,
                journal=True,
                uuidRepresentation="standard",
            )
            for doc in _documents:
                doc._collection = None  # type: ignore[attr-defined]
            _mongoengine_key = key
    database = _database
    if database is None or database.client is not client or database.name != key[1]:
        database = _database = client[config.database_name]
    return database


def reset() -> None:
    """Forget the client; the next call reconnects (used after errors and in tests)."""
    global _client, _client_uri, _mongoengine_key, _database
    with _lock:
        if _client is not None:
            _client.close()
        _client = _client_uri = _mongoengine_key = _database = None
        mongoengine.disconnect(alias=MONGOENGINE_ALIAS)


def _unreachable_message(err: Exception) -> str:
    where = mask_uri(config.database_uri or _client_uri or "the embedded MongoDB")
    if config.database_uri:
        todo = "check that server, or unset DATASET_CORE_DATABASE_URI to use the embedded one"
    else:
        todo = "retry (it restarts on next use) or run `dsc db start` to see why it stopped"
    first = str(err).split(" (configured")[0].split(", Timeout:")[0].split(",")[0][:160]
    return f"Cannot reach MongoDB at {where} ({first}); {todo}"


def database_error(err: Exception) -> DatabaseError:
    """The one-line error for a connection failure; the next call reconnects."""
    message = _unreachable_message(err)
    reset()
    return DatabaseError(message)


F = TypeVar("F", bound=Callable[..., Any])


def translate_errors(func: F) -> F:
    """Decorator: pymongo connection failures become one-line DatabaseErrors."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        outer = not getattr(_depth, "n", 0)
        _depth.n = getattr(_depth, "n", 0) + 1
        try:
            try:
                return func(*args, **kwargs)
            except pymongo.errors.ConnectionFailure as e:
                if _is_query_timeout(e):
                    raise  # a query past its time limit (pymongo.timeout): the server is fine
                if not (outer and _embedded_died()):
                    raise database_error(e) from None
            # our embedded mongod died under the call: restart it and run the call once
            # more (writes carry client-side ids or are $set/$unset, so nothing doubles)
            reset()
            try:
                return func(*args, **kwargs)
            except pymongo.errors.ConnectionFailure as e:
                if _is_query_timeout(e):
                    raise
                raise database_error(e) from None
        finally:
            _depth.n -= 1

    return wrapper  # type: ignore[return-value]


_depth = threading.local()


def _is_query_timeout(e: Exception) -> bool:
    """A query past its own time limit (``pymongo.timeout``), not a dead server."""
    return bool(getattr(e, "timeout", False)) and not isinstance(
        e, pymongo.errors.ServerSelectionTimeoutError
    )


def _embedded_died() -> bool:
    """Whether the database is the embedded mongod and its recorded process is gone."""
    if config.database_uri:
        return False
    state = service._read_state()
    return state is None or not service._pid_alive(int(state["pid"]))
