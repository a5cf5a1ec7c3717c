"""``fiftyone.core.sample`` under our name: forwards to :mod:`dataset_core.sample` and
:mod:`dataset_core.sample_view` (``SampleView``)."""

from __future__ import annotations

from .. import sample as _target
from .. import sample_view as _views
from ._alias import forwarder

__all__, __getattr__, __dir__ = forwarder(__name__, _target, _views)
