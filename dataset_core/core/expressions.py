"""``fiftyone.core.expressions`` under our name: forwards to :mod:`dataset_core.expressions`."""

from __future__ import annotations

from .. import expressions as _target
from ._alias import forwarder

__all__, __getattr__, __dir__ = forwarder(__name__, _target)
