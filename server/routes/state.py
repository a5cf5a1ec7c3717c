"""The session state: read and change it over REST, follow it over a websocket.

Websocket protocol (JSON messages):

- server -> client: ``{"type": "state", "state": {..., "version": n}}`` on
  connect and after every change (whoever made it),
  ``{"type": "error", "message": ..., "id": ...}`` when a change of this
  client's was refused (the state is unchanged), and ``{"type": "ack", "id": ...}``
  after the state a change of this client's made;
- client -> server: ``{"type": "update", "changes": {key: value}}`` (any state
  keys, see ``server/state.py``), ``{"type": "select", "add": [ids],
  "remove": [ids]}``, ``{"type": "refresh"}``; each may carry an ``"id"`` (an
  int or a string) that the error or ack answering it repeats.

A client never queues changes while it is disconnected: a change made against
a server that is gone is dropped (and said so), not replayed on reconnect.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pymongo
from bson.errors import BSONError
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from dataset_core.config import config
from dataset_core.errors import DatasetCoreError
from dataset_core.stages import dropped_after

from .. import patches
from ..context import get_dataset, get_view
from ..errors import database_failure
from ..state import StateError, StateStore

router = APIRouter(tags=["state"])


class StateChange(BaseModel):
    """Changes to the state: any of its keys."""

    changes: dict[str, Any]


def validate_changes(store: StateStore, changes: dict[str, Any]) -> None:
    """Check that a dataset/view change names a dataset and stages that work: the
    checks of every browser request, and one run of the view on MongoDB (a view it
    refuses is refused here, with its message, and the state stays as it was).

    Raises:
        StateError, DatasetCoreError: with the reason, for the client to show.
    """
    if not isinstance(changes, dict):
        raise StateError(f"changes must be an object of state keys; got {changes!r:.80}")
    if "dataset" in changes or "view" in changes:
        name = changes.get("dataset", store.get("dataset"))
        if name is None:
            if changes.get("view"):
                raise StateError("A view needs a dataset; set 'dataset' too")
            return
        stages = changes.get("view", store.get("view") if "dataset" not in changes else [])
        made = (
            patches.pending(get_dataset(name), stages) if patches.ends_in_patches(stages) else None
        )
        if made is not None:  # the patches are being made from a source that works
            made[0].validate()
            return
        get_view(name, stages).validate()


def _store(request: Request | WebSocket) -> StateStore:
    return request.app.state.store


@router.get("/api/state")
def read_state(request: Request) -> dict[str, Any]:
    """The current state with its version."""
    return _store(request).snapshot()


@router.post("/api/state")
def change_state(body: StateChange, request: Request) -> dict[str, Any]:
    """Apply changes; returns the new state (every websocket client receives it too)."""
    store = _store(request)
    validate_changes(store, body.changes)
    return store.apply(body.changes)


def _validate_bounded(store: StateStore, changes: Any) -> None:
    """validate_changes under the server's query time limit (a socket outlives any
    one request, so each message gets its own)."""
    with pymongo.timeout(config.query_timeout_ms / 1000), dropped_after():
        try:
            validate_changes(store, changes)
        except (pymongo.errors.PyMongoError, BSONError, OverflowError) as e:
            raise StateError(database_failure(e)[1]) from None


async def _handle(store: StateStore, msg: dict[str, Any]) -> None:
    kind = msg.get("type")
    if kind == "update":
        changes = msg.get("changes")
        await run_in_threadpool(_validate_bounded, store, changes)  # reads MongoDB
        store.apply(changes)  # type: ignore[arg-type]
    elif kind == "select":
        store.select(add=msg.get("add") or [], remove=msg.get("remove") or [])
    elif kind == "refresh":
        store.bump_refresh()
    else:
        raise StateError(f"Unknown message type {kind!r}; use 'update', 'select' or 'refresh'")


@router.websocket("/ws/state")
async def state_socket(ws: WebSocket) -> None:
    """Send the state now and after every change; apply this client's changes in order."""
    store = _store(ws)
    await ws.accept()
    loop = asyncio.get_running_loop()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def deliver(snapshot: dict[str, Any]) -> None:  # called in whichever thread changed it
        try:
            loop.call_soon_threadsafe(outbox.put_nowait, {"type": "state", "state": snapshot})
        except RuntimeError:  # the server stopped under this socket: nobody to tell
            store.unsubscribe(token)

    token = 0  # bound before deliver() can run
    token = store.subscribe(deliver)
    store.client_connected()

    async def send_all() -> None:
        while True:
            await ws.send_text(json.dumps(await outbox.get()))

    sender = asyncio.create_task(send_all())
    try:
        await outbox.put({"type": "state", "state": store.snapshot()})
        while True:
            text = await ws.receive_text()
            reply: dict[str, Any] = {}
            try:
                msg = json.loads(text)
                if not isinstance(msg, dict):
                    raise StateError("A message is a JSON object with a 'type'")
                if isinstance(msg.get("id"), (int, str)):
                    reply = {"id": msg["id"]}
                await _handle(store, msg)
                if reply:  # after the state it caused: call_soon keeps the order
                    loop.call_soon(outbox.put_nowait, {"type": "ack", **reply})
            except (json.JSONDecodeError, DatasetCoreError, StateError) as e:
                await outbox.put({"type": "error", "message": str(e), **reply})
    except WebSocketDisconnect:
        pass
    finally:
        store.unsubscribe(token)
        store.client_disconnected()
        sender.cancel()
