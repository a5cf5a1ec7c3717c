"""server: the dashboard's FastAPI app (REST + websocket) and its background runner.

Example:
    >>> from server import create_app, StateStore
    >>> app = create_app(StateStore())
"""

from __future__ import annotations

from .app import create_app
from .serve import PortInUseError, ServerThread
from .state import StateError, StateStore

__all__ = ["PortInUseError", "ServerThread", "StateError", "StateStore", "create_app"]
