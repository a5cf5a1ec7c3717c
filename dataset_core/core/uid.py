"""``fiftyone.core.uid`` under our name: there is nothing behind it, on purpose.

FiftyOne's module identifies the user and logs imports for its usage analytics.
dataset_core collects no usage data and sends nothing anywhere, so this module
exists only so that scripts which import it keep importing; every name read from
it raises :class:`~dataset_core.errors.UnsupportedError` saying so.
"""

from __future__ import annotations

from typing import Any

from ..errors import UnsupportedError

__all__: list[str] = []


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    raise UnsupportedError(
        f"dataset_core.core.uid.{name}: dataset_core collects no usage data (FiftyOne's "
        "uid module identifies users for its analytics); drop the call"
    )
