"""Creating the embedded mongod's user where no one else can connect meanwhile.

The real server always runs with ``--auth``, and the localhost exception is off
(another account on the machine could otherwise connect over loopback first and
create the first user). So the user is made by a short start *without* auth that
listens on no TCP port at all, only on a Unix socket inside a fresh 0700 folder:
only this account can reach it. The same start serves a fresh data folder, a
folder from before authentication (its data is left as it is) and a folder whose
credentials file was lost (the password is reset).

The steps, each followed by :data:`bootstrap_hook` (tests kill the process there):

1. ``marked``: ``bootstrap.json`` in the data folder names the socket folder;
2. ``started``: mongod is up on the socket (it writes its pid file there);
3. ``user_set``: user ``dataset_core`` is created, or its password reset;
4. ``saved``: ``credentials.json`` (0600) holds the password;
5. mongod is shut down, the socket folder and the marker removed.

A kill -9 anywhere leaves the marker (or nothing yet); the next start, under the
service lock, calls :func:`clean_up` (which shuts down a bootstrap mongod the
dead process left running), and with no readable credentials runs the steps
again. Every step may be repeated, and mongod alone touches the data files.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote_plus

import pymongo
import pymongo.errors

from ..errors import DatabaseError
from . import credentials, process
from .credentials import Credentials

BOOTSTRAP_FILE = "bootstrap.json"
SOCKET_NAME = "mongod.sock"
PID_NAME = "mongod.pid"
OUTPUT_FILE = "mongod-bootstrap.stderr"
#: a cold start of mongod 6.0 on a slow disk; it is usually up in about a second
READY_TIMEOUT_S = 60.0
CLIENT_TIMEOUT_MS = 10_000
#: full rights on every database, like the unauthenticated server had
ROLES = [{"role": "root", "db": "admin"}]

#: called with each step's name as it completes (tests kill the process there)
bootstrap_hook: Callable[[str], None] | None = None


def _step(name: str) -> None:
    if bootstrap_hook is not None:
        bootstrap_hook(name)


def ensure_user(binary: str, db_dir: Path, log_path: Path) -> Credentials:
    """Give the data folder a user with a fresh password and store it; return it.

    Raises:
        DatabaseError: the socket-only mongod did not start, or refused the user.
    """
    clean_up(db_dir)
    # mkdtemp makes the folder 0700; under /tmp its path stays far below the ~107
    # bytes a socket path may have, which a deep data folder might not
    sock_dir = Path(tempfile.mkdtemp(prefix="dsc-mongod-"))
    _write_marker(db_dir, sock_dir)
    _step("marked")
    sock = sock_dir / SOCKET_NAME
    cmd = [
        binary,
        "--dbpath", str(db_dir),
        # a socket path and no address: mongod listens on no TCP port at all
        "--bind_ip", str(sock),
        "--unixSocketPrefix", str(sock_dir),
        "--pidfilepath", str(sock_dir / PID_NAME),
        "--logpath", str(log_path),
        "--logappend",
        "--setParameter", "diagnosticDataCollectionEnabled=false",
    ]  # fmt: skip
    output = db_dir / OUTPUT_FILE
    proc = process.launch(cmd, output)
    try:
        process.wait_ready(
            proc,
            lambda: _socket_open(sock),
            READY_TIMEOUT_S,
            lambda: process.why_failed(output, log_path),
        )
        _step("started")
        creds = Credentials.generate()
        _set_user(sock, creds)
        _step("user_set")
        credentials.save(db_dir, creds)
        _step("saved")
    finally:
        stopped = process.terminate(proc.pid, proc)
        if stopped:
            shutil.rmtree(sock_dir, ignore_errors=True)
            (db_dir / BOOTSTRAP_FILE).unlink(missing_ok=True)
    if not stopped:
        raise DatabaseError(
            f"The setup mongod (pid {proc.pid}) did not shut down; stop it and retry "
            f"(see {log_path})"
        )
    return creds


def _set_user(sock: Path, creds: Credentials) -> None:
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(
        f"mongodb://{quote_plus(str(sock))}",
        serverSelectionTimeoutMS=CLIENT_TIMEOUT_MS,
        directConnection=True,
    )
    try:
        admin = client.admin
        if admin.command("usersInfo", creds.username)["users"]:
            # a bootstrap died before saving the password, or the file was lost
            admin.command("updateUser", creds.username, pwd=creds.password, roles=ROLES)
        else:
            admin.command("createUser", creds.username, pwd=creds.password, roles=ROLES)
    except pymongo.errors.PyMongoError as e:
        first = str(e).split(", full error")[0][:200]
        raise DatabaseError(
            f"Could not set up the embedded MongoDB's user ({first}); "
            "see `dsc db status` for its log"
        ) from None
    finally:
        client.close()


def clean_up(db_dir: Path) -> None:
    """Shut down a setup mongod a killed process left running; remove its leftovers."""
    marker = db_dir / BOOTSTRAP_FILE
    try:
        sock_dir = Path(json.loads(marker.read_text())["socket_dir"])
    except FileNotFoundError:
        return
    except (OSError, ValueError, KeyError, TypeError):
        marker.unlink(missing_ok=True)  # written atomically, so never half; be lenient
        return
    pid = _read_pid(sock_dir / PID_NAME)
    if pid is not None and _is_setup_mongod(pid, sock_dir) and not process.terminate(pid):
        raise DatabaseError(
            f"A setup mongod (pid {pid}) left by a killed process does not stop; kill it and retry"
        )
    shutil.rmtree(sock_dir, ignore_errors=True)
    marker.unlink(missing_ok=True)


def _write_marker(db_dir: Path, sock_dir: Path) -> None:
    marker = db_dir / BOOTSTRAP_FILE
    tmp = marker.with_name(f".{marker.name}.tmp")
    tmp.write_text(json.dumps({"socket_dir": str(sock_dir), "pid": os.getpid()}))
    os.replace(tmp, marker)


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _is_setup_mongod(pid: int, sock_dir: Path) -> bool:
    """Whether ``pid`` is still the mongod serving ``sock_dir`` (not a reused pid)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        # no such process, or no /proc (macOS): the pid file is our only witness
        return not Path("/proc/self").exists() and process.pid_alive(pid)
    except OSError:
        return False
    return str(sock_dir).encode() in args and process.pid_alive(pid)


def _socket_open(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(str(path))
            return True
        except OSError:
            return False
