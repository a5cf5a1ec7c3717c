"""``fiftyone.migrations`` under our name: dataset_core has no database migrations.

Our datasets keep one storage layout, read by every release; there is nothing to
migrate, so :class:`~dataset_core.migrations.runner.MigrationRunner` refuses with
a message instead of pretending to run.
"""
