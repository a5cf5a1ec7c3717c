"""``fiftyone.core.sample`` under our name: forwards to :mod:`dataset_core.sample`."""

from __future__ import annotations

from .. import sample as _target
from ._alias import forwarder

__all__, __getattr__, __dir__ = forwarder(__name__, _target)
