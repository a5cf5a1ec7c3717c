"""``fiftyone.core.stages`` under our name: forwards to :mod:`dataset_core.stages`."""

from __future__ import annotations

from .. import stages as _target
from ._alias import forwarder

__all__, __getattr__, __dir__ = forwarder(__name__, _target)
