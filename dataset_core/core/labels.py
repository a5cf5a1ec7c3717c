"""``fiftyone.core.labels`` under our name: forwards to :mod:`dataset_core.labels`."""

from __future__ import annotations

from .. import labels as _target
from ._alias import forwarder

__all__, __getattr__, __dir__ = forwarder(__name__, _target)
