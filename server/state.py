"""The session state: one versioned object that Python and every browser share.

The state says what the dashboard shows: the dataset, the view's stages, the
selected sample ids and the open sample. Python (``Session``) and browsers
(the websocket) never edit it in place: they send *changes*, which
:meth:`StateStore.apply` applies one at a time under a lock, bumping the
version; every subscriber then receives the whole new state with its version.
A side that sees a version newer than its own simply takes the state, so no
side can drift from another.

Subscribers are called from whatever thread applied the change; the
websocket route hands each snapshot over to its event loop (see
``server/routes/state.py``).
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Collection
from typing import Any

from dataset_core.errors import DatasetCoreError

from . import patches

#: the keys of the state, and their value when nothing is shown
EMPTY_STATE: dict[str, Any] = {
    "dataset": None,  # dataset name
    "view": [],  # stage dicts, as DatasetView.to_dict()["stages"]
    "view_name": None,  # the saved view the stages came from, if any
    "selected": [],  # sample id strings, in the order they were ticked
    "sample": None,  # the id of the sample open in the sample view
    "refresh": 0,  # bumped by Session.refresh(): clients re-read their data
}

Subscriber = Callable[[dict[str, Any]], None]


class StateError(DatasetCoreError, ValueError):
    """A change that names an unknown key or has a value of the wrong type."""

    http_status = 400


def _check(changes: dict[str, Any]) -> None:
    unknown = sorted(set(changes) - set(EMPTY_STATE))
    if unknown:
        raise StateError(f"Unknown state keys {unknown}; the state has {sorted(EMPTY_STATE)}")
    kinds = {"dataset": (str, type(None)), "view": list, "view_name": (str, type(None)),
             "selected": list, "sample": (str, type(None)), "refresh": int}  # fmt: skip
    for key, value in changes.items():
        if not isinstance(value, kinds[key]):
            raise StateError(f"State key {key!r} takes {kinds[key]}; got {value!r:.80}")
    if any(not isinstance(i, str) for i in changes.get("selected", [])):
        raise StateError("'selected' is a list of sample id strings")


class StateStore:
    """The versioned state, safe to change from any thread.

    Example:
        >>> store = StateStore()
        >>> store.apply({"dataset": "photos"})["version"]
        1
    """

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._state: dict[str, Any] = copy.deepcopy(EMPTY_STATE)
        self._version = 0
        self._subscribers: dict[int, Subscriber] = {}
        self._next_token = 0
        self._clients = 0  # connected browsers
        self._ever_connected = False

    # -- reading -----------------------------------------------------------------

    @property
    def version(self) -> int:
        """How many changes have been applied."""
        return self._version

    def snapshot(self) -> dict[str, Any]:
        """A copy of the state, with its ``version``."""
        with self._lock:
            return self._snapshot()

    def _snapshot(self) -> dict[str, Any]:
        return {**copy.deepcopy(self._state), "version": self._version}

    def get(self, key: str) -> Any:
        """One key of the state (a copy)."""
        with self._lock:
            return copy.deepcopy(self._state[key])

    # -- changing ------------------------------------------------------------------

    def apply(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply ``changes`` (a dict of state keys) as one new version; returns the state.

        Changing the dataset clears the view, the selection and the open sample
        unless the same change sets them.

        Raises:
            StateError: an unknown key or a value of the wrong type.
        """
        _check(changes)
        changes = dict(changes)  # filled in below: never the caller's dict
        with self._lock:
            if "dataset" in changes and changes["dataset"] != self._state["dataset"]:
                for key in ("view", "view_name", "selected", "sample"):
                    changes.setdefault(key, copy.deepcopy(EMPTY_STATE[key]))
            if "view" in changes:
                changes.setdefault("view_name", None)
            self._state.update(copy.deepcopy(changes))
            return self._publish()

    def select(
        self, add: list[str] | None = None, remove: list[str] | None = None
    ) -> dict[str, Any]:
        """Tick ``add`` and untick ``remove`` in one version (ticks of two tabs both count)."""
        add, remove = list(add or []), list(remove or [])
        _check({"selected": add + remove})
        with self._lock:
            gone = set(remove)
            current = [i for i in self._state["selected"] if i not in gone]
            have = set(current)
            current += [i for i in dict.fromkeys(add) if i not in have and i not in gone]
            self._state["selected"] = current
            return self._publish()

    def bump_refresh(self, gone: Collection[str] = ()) -> dict[str, Any]:
        """Tell every client to re-read its data (samples changed under the same view).

        Args:
            gone: ids of samples deleted meanwhile: unticked, and the sample view
                closed if it shows one, in the same version (no count of ticks
                that are no longer there).
        """
        gone = set(gone)
        patches.clear()  # made of the data as it was
        with self._lock:
            if gone:
                self._state["selected"] = [i for i in self._state["selected"] if i not in gone]
                if self._state["sample"] in gone:
                    self._state["sample"] = None
            self._state["refresh"] += 1
            return self._publish()

    def _publish(self) -> dict[str, Any]:
        self._version += 1
        snap = self._snapshot()
        subscribers = list(self._subscribers.values())
        self._lock.notify_all()
        for fn in subscribers:  # under the lock, so every subscriber sees versions in order
            fn(snap)
        return snap

    # -- listening -------------------------------------------------------------------

    def subscribe(self, fn: Subscriber) -> int:
        """Call ``fn(state)`` after every change; returns a token for :meth:`unsubscribe`."""
        with self._lock:
            self._next_token += 1
            self._subscribers[self._next_token] = fn
            return self._next_token

    def unsubscribe(self, token: int) -> None:
        """Stop calling the subscriber of ``token``."""
        with self._lock:
            self._subscribers.pop(token, None)

    def wait_for_change(self, version: int, timeout: float | None = None) -> dict[str, Any]:
        """Block until the version is past ``version`` (or ``timeout`` s); return the state."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while self._version <= version:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._lock.wait(left)
            return self._snapshot()

    # -- browsers ------------------------------------------------------------------

    def client_connected(self) -> None:
        """Count a browser in (the websocket route calls this)."""
        with self._lock:
            self._clients += 1
            self._ever_connected = True
            self._lock.notify_all()

    def client_disconnected(self) -> None:
        """Count a browser out."""
        with self._lock:
            self._clients = max(0, self._clients - 1)
            self._lock.notify_all()

    @property
    def num_clients(self) -> int:
        """Browsers connected now."""
        return self._clients

    def wait_until_closed(self, timeout: float | None = None) -> bool:
        """Block until a browser has connected and every browser has gone again.

        Returns:
            True when the last browser closed, False on timeout.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while not (self._ever_connected and self._clients == 0):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._lock.wait(left)
            return True
