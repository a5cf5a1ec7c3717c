"""Running the server in a background thread of the user's process.

``Session`` (``server/session.py``) and ``dsc app launch`` both start a
:class:`ServerThread`: uvicorn on a socket this module binds itself, so a port
that is taken gives a clear :class:`PortInUseError` (naming our own server when
it is one) instead of a log line from a dying thread.
"""

from __future__ import annotations

import errno
import json
import socket
import threading
import time
import urllib.request
from typing import Any

from dataset_core.errors import DatasetCoreError

from .state import StateStore

#: seconds to wait for uvicorn to start serving
START_TIMEOUT = 15.0
#: seconds to wait for it to finish open requests on stop
STOP_TIMEOUT = 5.0
#: uvicorn's websocket protocol on the sans-I/O websockets API (the legacy one is deprecated)
WS_PROTOCOL = "websockets-sansio"


class PortInUseError(DatasetCoreError, OSError):
    """The port is taken (by another dashboard or another program)."""

    http_status = 409


def _who_serves(address: str, port: int) -> dict[str, Any] | None:
    """What /api/health says on that port, if it is one of our servers."""
    host = "127.0.0.1" if address in ("0.0.0.0", "") else address
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/api/health", timeout=1.0) as r:
            info = json.loads(r.read())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and info.get("app") == "dataset_core" else None


def bind(address: str, port: int) -> socket.socket:
    """A listening socket on ``address:port``.

    Raises:
        PortInUseError: the port is taken; the message says by what and what to do.
    """
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
    except OSError as e:
        sock.close()
        if e.errno != errno.EADDRINUSE:
            raise PortInUseError(f"Cannot listen on {address}:{port}: {e.strerror}") from None
        ours = _who_serves(address, port)
        if ours:
            raise PortInUseError(
                f"Port {port} already serves a dataset_core dashboard (process {ours['pid']}); "
                f"open http://{address}:{port}/ there, close it, or pass another port=..."
            ) from None
        raise PortInUseError(
            f"Port {port} on {address} is in use by another program; pass another port=... "
            "(or --port)"
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class ServerThread:
    """The dashboard server, serving ``store`` from a daemon thread.

    Example:
        >>> srv = ServerThread(StateStore(), "127.0.0.1", 5151).start()
        >>> srv.url
        'http://127.0.0.1:5151/'
    """

    def __init__(self, store: StateStore, address: str = "127.0.0.1", port: int = 5151,
                 token: bool | None = None) -> None:  # fmt: skip
        self.store = store
        self.address = address
        self.port = port
        self._want_token = token
        self.token: str | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The dashboard's address without its token."""
        address = "127.0.0.1" if self.address in ("0.0.0.0", "") else self.address
        host = f"[{address}]" if ":" in address else address
        return f"http://{host}:{self.port}/"

    @property
    def url(self) -> str:
        """The dashboard's address, with ``?token=`` when it needs one (open this one)."""
        return self.base_url + (f"?token={self.token}" if self.token else "")

    @property
    def running(self) -> bool:
        """Whether the server thread is serving."""
        return bool(self._thread and self._thread.is_alive() and self._server.started)

    def start(self) -> ServerThread:
        """Bind the port and serve; returns once requests are answered.

        Raises:
            PortInUseError: the port is taken.
            DatasetCoreError: uvicorn did not start in time.
        """
        import uvicorn

        from .app import create_app
        from .security import Security

        security = Security.for_server(self.address, None, self._want_token)  # may refuse
        sock = bind(self.address, self.port)
        self.port = security.port = sock.getsockname()[1]  # port=0 picks a free one
        self.token = security.token
        self.security = security
        config = uvicorn.Config(create_app(self.store, security), log_level="warning",
                                lifespan="off", ws=WS_PROTOCOL)  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="dataset_core-server",
            daemon=True,
        )  # fmt: skip
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise DatasetCoreError(f"The dashboard server did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving (open websockets are closed)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)
