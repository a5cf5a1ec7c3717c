"""FiftyOne module paths we deliberately have nothing behind: they import, and
using them says why instead of failing with ImportError or pretending to work."""

from __future__ import annotations

import pytest

from dataset_core.errors import UnsupportedError

pytestmark = pytest.mark.unit


def test_uid_imports_and_refuses_with_the_reason():
    import dataset_core.core.uid as fou

    with pytest.raises(UnsupportedError, match="no usage data"):
        fou.log_import_if_allowed(test=True)
    with pytest.raises(NotImplementedError):  # what a caller catching the stdlib type sees
        fou.get_user_id()


def test_migration_runner_imports_and_refuses_with_the_reason():
    from dataset_core.migrations.runner import MigrationRunner

    with pytest.raises(UnsupportedError, match="no database migrations"):
        MigrationRunner("1.0", "2.0")
