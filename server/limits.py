"""Bounds on what one request may cost, and the headers every response carries.

- Request bodies over ``config.max_body_bytes`` (16 MB) are refused with 413,
  whether or not they say their length up front.
- Every MongoDB call made while answering an HTTP request runs under
  ``pymongo.timeout`` (``config.query_timeout_ms``, 30 s), so each query carries
  ``maxTimeMS``; a timeout is a 408 (see ``server/errors.py``).
- Temporary id collections made for a request are dropped when it is answered
  (``dataset_core.stages.dropped_after``).
- Responses say ``X-Content-Type-Options: nosniff``; the app's pages carry a
  strict ``Content-Security-Policy`` (``default-src 'self'``), and media and
  thumbnails ``Content-Security-Policy: sandbox``, so a file can never run as a
  page of the dashboard's origin.
"""

from __future__ import annotations

import json
from typing import Any

import pymongo

from dataset_core.config import config
from dataset_core.stages import dropped_after

#: the app's own pages: scripts, styles, images and connections from its origin only
APP_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'"
)
#: media and thumbnails: never a document that runs anything
MEDIA_CSP = "sandbox; default-src 'none'"
_MEDIA_PREFIXES = ("/media/", "/thumb/", "/crop/", "/api/media")


class BodyTooLarge(Exception):
    """A request body past the limit."""


class Limits:
    """ASGI middleware: body limit, query timeout, id-collection cleanup, headers."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = config.max_body_bytes
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _too_large(send, limit)
            return
        path = scope.get("path", "")
        csp = MEDIA_CSP if path.startswith(_MEDIA_PREFIXES) else (
            None if path.startswith(("/api/", "/ws/")) else APP_CSP
        )  # fmt: skip
        seen = 0
        started = False

        async def counted_receive() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        async def send_with_headers(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                extra = [(b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"same-origin")]  # fmt: skip
                if csp:
                    extra.append((b"content-security-policy", csp.encode()))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                scratch.drop()  # before the last byte: the client never sees them linger
            await send(message)

        scratch = dropped_after().__enter__()
        try:
            with pymongo.timeout(config.query_timeout_ms / 1000):
                await self.app(scope, counted_receive, send_with_headers)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)
        finally:
            # drops only what this request made (rare: id lists past the inline bound)
            scratch.__exit__(None, None, None)


async def _too_large(send: Any, limit: int) -> None:
    body = json.dumps({
        "error": f"The request body is over {limit >> 20} MB; send fewer ids per call "
                 "(DATASET_CORE_MAX_BODY_BYTES raises the limit)"
    }).encode()  # fmt: skip
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})
