"""``fiftyone.core.odm`` under our name: the embedded document classes
(:mod:`dataset_core.documents`) and the dataset document (:mod:`dataset_core.odm`)."""

from __future__ import annotations

from .. import documents as _documents
from .. import odm as _odm
from ._alias import forwarder

__all__, __getattr__, __dir__ = forwarder(__name__, _documents, _odm)
