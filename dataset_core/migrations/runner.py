"""``fiftyone.migrations.runner`` under our name: a runner that refuses, with the reason."""

from __future__ import annotations

from typing import Any

from ..errors import UnsupportedError

__all__ = ["MigrationRunner"]


class MigrationRunner:
    """FiftyOne's migration runner; dataset_core has no migrations to run."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise UnsupportedError(
            "dataset_core has no database migrations: datasets keep one storage layout "
            "that every release reads, so there is nothing to upgrade or downgrade"
        )
