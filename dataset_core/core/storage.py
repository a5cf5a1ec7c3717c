"""``fiftyone.core.storage`` under our name: forwards to :mod:`dataset_core.storage`."""

from __future__ import annotations

from .. import storage as _target
from ._alias import forwarder

__all__, __getattr__, __dir__ = forwarder(__name__, _target)
