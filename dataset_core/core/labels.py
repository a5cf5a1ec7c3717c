"""``fiftyone.core.labels`` under our name: forwards to :mod:`dataset_core.labels`."""

from __future__ import annotations

from typing import Any

from .. import labels as _target
from .. import segmentation as _segmentation
from ._alias import forwarder

__all__, __getattr__, __dir__ = forwarder(__name__, _target)


# FiftyOne's scripts (and tests) import these two private helpers from here by name
def _read_mask(path: str) -> Any:
    """A mask file as an array; see :func:`dataset_core.segmentation.read_mask`."""
    return _segmentation.read_mask(path)


def _write_mask(mask: Any, path: str) -> None:
    """Write a mask as a PNG; see :func:`dataset_core.segmentation.write_mask`."""
    _segmentation.write_mask(mask, path)
