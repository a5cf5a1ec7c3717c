"""The embedded mongod's login: ``credentials.json`` in its data folder, and masking.

The file holds one user (``dataset_core``, role ``root`` on ``admin``) and a
random password; it is mode 0600 inside a 0700 data folder, so only the account
that owns the data can read it. It is written to a temporary file, fsynced and
renamed over the old one, so a crash leaves either the old file or the new one.
Nothing here prints a password: :func:`mask_uri` turns any URI shown to a user
into ``user:***@host``, and :class:`Credentials` hides it in its ``repr``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus

CREDENTIALS_FILE = "credentials.json"
USERNAME = "dataset_core"
AUTH_SOURCE = "admin"
#: 32 random bytes, URL-safe: far past guessing, and no character a URI must escape
PASSWORD_BYTES = 32
MASK = "***"
#: ``user:password@`` after the scheme; greedy to the last ``@`` before the path, so an
#: unescaped ``@`` in a password is masked too
_USERINFO = re.compile(r"(?P<scheme>mongodb(?:\+srv)?://)(?P<user>[^:@/]*):[^/]*@")


@dataclass(frozen=True)
class Credentials:
    """A MongoDB login; ``repr`` never shows the password."""

    username: str
    password: str = field(repr=False)
    auth_source: str = AUTH_SOURCE

    @classmethod
    def generate(cls) -> Credentials:
        """A new login for the embedded server, its password from :mod:`secrets`."""
        return cls(USERNAME, secrets.token_urlsafe(PASSWORD_BYTES))

    def uri(self, host: str, port: int) -> str:
        """The connection string for ``host:port`` with this login in it."""
        return (
            f"mongodb://{quote_plus(self.username)}:{quote_plus(self.password)}@{host}:{port}/"
            f"?authSource={quote_plus(self.auth_source)}"
        )


def path(db_dir: Path) -> Path:
    """Where the embedded server's credentials live."""
    return db_dir / CREDENTIALS_FILE


def load(db_dir: Path) -> Credentials | None:
    """The stored login, or None when there is no readable, well-formed file."""
    try:
        data = json.loads(path(db_dir).read_text())
        return Credentials(str(data["username"]), str(data["password"]), str(data["auth_source"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(db_dir: Path, creds: Credentials) -> None:
    """Write the login atomically and durably, readable by its owner only (0600)."""
    target = path(db_dir)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    body = json.dumps(
        {"username": creds.username, "password": creds.password, "auth_source": creds.auth_source}
    ).encode()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # O_CREAT's mode does not apply to a leftover file
        os.write(fd, body)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)
    dir_fd = os.open(db_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself survives a power cut
    finally:
        os.close(dir_fd)


def mask_uri(uri: str) -> str:
    """``uri`` with any password replaced by ``***``, for messages and printouts.

    Example:
        >>> mask_uri("mongodb://me:s3cret@127.0.0.1:27017/?authSource=admin")
        'mongodb://me:***@127.0.0.1:27017/?authSource=admin'
    """
    return _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", uri)
