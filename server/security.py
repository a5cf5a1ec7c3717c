"""Who the dashboard answers: its own Host and Origin, and the holder of its token.

One ASGI middleware, in front of every route (REST, websocket, media):

- **Host**: the request's ``Host`` must be a name the server was bound to
  (``127.0.0.1``, ``localhost``, ``[::1]``, the bound address) on its port, or
  one of ``config.allowed_hosts`` (``DATASET_CORE_ALLOWED_HOSTS``: ``name`` for
  any port, ``name:port`` for one), so a DNS-rebound name (``evil.example``
  resolving to 127.0.0.1) is refused. A server bound to every interface also
  answers IP literals: rebinding needs a name.
- **Origin / Referer**: when present they must be the dashboard's own origin
  (the ``Host`` it was asked under). The app's static files (public code, no
  data) are exempt, so a notebook's inline frame or a link can open the page.
- **Token**: a per-server secret, like Jupyter's. A request carries it as
  ``?token=`` (the URL ``session.url`` gives; the response then sets an
  HttpOnly, SameSite=Strict cookie), as that cookie, or as
  ``Authorization: Bearer <token>``. It is always required off loopback and on
  by default on loopback (``DATASET_CORE_SERVER_TOKEN=0`` or ``token=False``
  turns it off there). ``/api/health`` and the app's static files need no token.

Anything refused is a 403 with one line that says why (a websocket handshake is
refused with 403 before it is accepted).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
import socket
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from dataset_core.config import config

from .errors import InsecureBindError

#: the names every server answers to, besides its bound address
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
#: addresses that listen on every interface
WILDCARD_ADDRESSES = ("0.0.0.0", "::", "")
#: routes under these prefixes hold data; everything else is the app's public files
DATA_PREFIXES = ("/api/", "/ws/", "/media/", "/thumb/", "/crop/")
#: answered without a token (a second launch asks whether a port is ours)
PUBLIC_DATA_PATHS = ("/api/health",)


def is_loopback(address: str) -> bool:
    """Whether ``address`` (an IP or ``localhost``) is loopback-only."""
    if address.strip("[]") == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(address: str) -> str:
    return f"[{address}]" if ":" in address and not address.startswith("[") else address


def split_host(value: str) -> tuple[str, int | None]:
    """``"name:port"`` as ``("name", port)``; IPv6 names keep their brackets."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value.partition("]")
        name += "]"
        port = rest[1:] if rest.startswith(":") else ""
    elif value.count(":") == 1:
        name, port = value.split(":")
    else:
        name, port = value, ""
    try:
        return name, int(port) if port else None
    except ValueError:
        return name, -1  # never a server's port


@dataclass
class Security:
    """The checks of one server: its address and port, its token, extra allowed hosts.

    Args:
        address: the address the server is bound to.
        port: its port (None: any port, for an app not bound yet).
        token: the secret a request must carry, or None for no token.
        allowed_hosts: extra ``Host`` values (``name`` or ``name:port``).
    """

    address: str = "127.0.0.1"
    port: int | None = None
    token: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    _names: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self._names = {*LOOPBACK_NAMES, _host_name(self.address.lower())}
        if self.wildcard:
            host = socket.gethostname().lower()
            self._names |= {host, socket.getfqdn().lower()}

    @classmethod
    def for_server(cls, address: str, port: int | None, token: bool | None = None) -> Security:
        """The checks for a server on ``address:port``, with a fresh token unless
        it is turned off (``token=False``, or ``config.server_token`` on loopback).

        Raises:
            InsecureBindError: a token turned off on an address beyond loopback.
        """
        want = config.server_token if token is None else token
        if not want and not is_loopback(address):
            raise InsecureBindError(
                f"A dashboard on {address} is reachable from the network and always needs "
                "its token; bind to 127.0.0.1 to run without one"
            )
        secret = secrets.token_urlsafe(24) if want else None
        return cls(address, port, secret, tuple(config.allowed_hosts))

    @property
    def wildcard(self) -> bool:
        """Whether the server listens on every interface."""
        return self.address in WILDCARD_ADDRESSES

    @property
    def cookie_name(self) -> str:
        """The token's cookie; one per port, since cookies ignore ports."""
        return f"dataset_core_token_{self.port}" if self.port else "dataset_core_token"

    # -- the checks ----------------------------------------------------------------

    def host_refusal(self, host: str) -> str | None:
        """Why ``Host: host`` is refused, or None."""
        if not host:
            return "A request needs a Host header"
        name, port = split_host(host)
        for entry in self.allowed_hosts:
            e_name, e_port = split_host(entry)
            if name == e_name and (e_port is None or e_port == port):
                return None
        known = name in self._names or (self.wildcard and _is_ip(name))
        port_ok = self.port is None or port == self.port or (port is None and self.port == 80)
        if known and port_ok:
            return None
        return (
            f"Host {host!r} is not this dashboard's address; open it at 127.0.0.1, or add "
            "the name to DATASET_CORE_ALLOWED_HOSTS (for a reverse proxy)"
        )

    def origin_refusal(self, host: str, origin: str | None, referer: str | None) -> str | None:
        """Why a request from ``origin`` (or ``referer``) to ``host`` is refused, or None."""
        for value in (origin, referer):
            if value is None:
                continue
            parts = urlsplit(value)
            netloc = (parts.netloc or "").lower()
            default = {"http": 80, "https": 443}.get(parts.scheme)
            if netloc and ":" not in netloc.rsplit("]", 1)[-1] and default:
                netloc = f"{netloc}:{default}"
            here = host.lower()
            if ":" not in here.rsplit("]", 1)[-1]:
                here = f"{here}:{default or 80}"
            if value == "null" or netloc != here:
                return (
                    f"Requests from {value[:80]!r} are refused: the dashboard answers only "
                    "pages of its own origin"
                )
            return None  # Origin, when present, decides; Referer is the fallback
        return None

    def token_ok(self, query: str, cookies: str | None, authorization: str | None) -> bool:
        """Whether the request carries this server's token."""
        if self.token is None:
            return True
        given = []
        given += parse_qs(query).get("token", [])
        if cookies:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(cookies)
            except Exception:  # noqa: BLE001 - a malformed cookie header carries no token
                jar = SimpleCookie()
            if self.cookie_name in jar:
                given.append(jar[self.cookie_name].value)
        if authorization and authorization.lower().startswith("bearer "):
            given.append(authorization[7:].strip())
        return any(hmac.compare_digest(g.encode(), self.token.encode()) for g in given)

    def cookie_header(self) -> bytes:
        """The Set-Cookie value that keeps the token in the browser."""
        return (f"{self.cookie_name}={self.token}; Path=/; HttpOnly; SameSite=Strict").encode()


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
        return True
    except ValueError:
        return False


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in scope.get("headers", []):
        key = k.decode("latin-1").lower()
        out[key] = out[key] + "; " + v.decode("latin-1") if key == "cookie" and key in out else (
            v.decode("latin-1")
        )  # fmt: skip
    return out


class Guard:
    """ASGI middleware applying :class:`Security` to every HTTP and websocket request."""

    def __init__(self, app: Any, security: Security) -> None:
        self.app = app
        self.security = security

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        sec, headers = self.security, _headers(scope)
        path = scope.get("path", "")
        host = headers.get("host", "")
        data = path.startswith(DATA_PREFIXES)
        why = sec.host_refusal(host)
        if why is None and data:
            why = sec.origin_refusal(host, headers.get("origin"), headers.get("referer"))
        query = scope.get("query_string", b"").decode("latin-1")
        if why is None and data and path not in PUBLIC_DATA_PATHS:
            if not sec.token_ok(query, headers.get("cookie"), headers.get("authorization")):
                why = (
                    "This dashboard needs its token: open the URL that launch_app printed "
                    "(session.url, ending in ?token=...)"
                )
        if why is not None:
            await _refuse(scope, send, why)
            return
        carried = sec.token is not None and "token=" in query and sec.token_ok(query, None, None)
        if not carried or scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                cookie = (b"set-cookie", sec.cookie_header())
                message = {**message, "headers": [*message.get("headers", []), cookie]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


async def _refuse(scope: dict[str, Any], send: Any, why: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": why[:120]})
        return
    body = json.dumps({"error": why}).encode()
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})
