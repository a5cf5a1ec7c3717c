"""The brain's exceptions: one family under dataset_core's root.

A :class:`BrainError` is a user's mistake or a state to fix (a threshold out of
range, duplicates not found yet, a model that cannot load), so the CLI prints
its one line and the server answers 400; it is also a ``ValueError``, as the
builtin that fits. Anything else raised inside the brain is a bug and keeps its
traceback.
"""

from __future__ import annotations

from dataset_core.errors import DatasetCoreError


class BrainError(DatasetCoreError, ValueError):
    """A bad argument to an analysis, or an analysis that cannot run as asked."""

    http_status = 400


class EmbeddingsError(BrainError):
    """Embeddings that do not fit the samples (a precomputed array of the wrong shape)."""


class ModelError(BrainError):
    """A model that cannot be loaded or used (unknown name, bad weights, offline)."""


class ReportError(BrainError):
    """A gallery that cannot be drawn: its analysis has not run, or a bad option."""
