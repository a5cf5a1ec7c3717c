"""``fiftyone.core.labels`` under our name: forwards to :mod:`dataset_core.labels`
(and :mod:`dataset_core.label_masks`, for FiftyOne's ``_read_mask``/``_write_mask``)."""

from __future__ import annotations

from .. import label_masks as _masks
from .. import labels as _target
from ._alias import forwarder

__all__, __getattr__, __dir__ = forwarder(__name__, _target, _masks)
