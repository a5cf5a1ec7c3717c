"""Database access: the connection, the embedded mongod and its installer."""

from __future__ import annotations

from .connection import database_uri, get_client, get_db, reset, translate_errors
from .credentials import mask_uri
from .service import ensure_running, find_mongod, status, stop

__all__ = [
    "database_uri",
    "ensure_running",
    "find_mongod",
    "get_client",
    "get_db",
    "mask_uri",
    "reset",
    "status",
    "stop",
    "translate_errors",
]
