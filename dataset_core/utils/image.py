"""``fiftyone.utils.image`` under our name: forwards to :mod:`dataset_core.image`."""

from __future__ import annotations

from .. import image as _target
from ..core._alias import forwarder

__all__, __getattr__, __dir__ = forwarder(__name__, _target)
