"""The embedded mongod service, each case in fresh processes and its own folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

CONNECT = """
import json, dataset_core as dc
from dataset_core import db
db.get_db().command("ping")
print(json.dumps(db.status()))
"""


def _env(db_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATASET_CORE_DATABASE_URI", None)
    env.update(DATASET_CORE_DATABASE_DIR=str(db_dir), DATASET_CORE_SHOW_PROGRESS="0", **extra)
    env["PYTHONPATH"] = str(ROOT)
    return env


def _run(code: str, env: dict[str, str], timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def _stop(db_dir: Path) -> None:
    _run("from dataset_core import db; db.stop()", _env(db_dir))


def _mongods_on(db_dir: Path) -> list[int]:
    """Live (non-zombie) mongod processes serving ``db_dir``."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z" and args[0].endswith(b"mongod") and str(db_dir).encode() in args:
            pids.append(int(proc.name))
    return pids


@pytest.fixture
def db_dir(tmp_path: Path):
    d = tmp_path / "db"
    yield d
    _stop(d)


def test_two_processes_starting_at_once_share_one_server(db_dir):
    env = _env(db_dir)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONNECT],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(3)
    ]
    results = [p.communicate(timeout=90) for p in procs]
    assert all(p.returncode == 0 for p in procs), [r[1] for r in results]
    states = [json.loads(out.strip().splitlines()[-1]) for out, _ in results]
    assert len({(s["pid"], s["port"]) for s in states}) == 1
    assert _mongods_on(db_dir) == [states[0]["pid"]]


def test_second_process_connects_to_the_running_server(db_dir):
    first = json.loads(_run(CONNECT, _env(db_dir)).stdout.splitlines()[-1])
    second = json.loads(_run(CONNECT, _env(db_dir)).stdout.splitlines()[-1])
    assert first["pid"] == second["pid"] and first["running"]
    assert first["uri"].startswith("mongodb://127.0.0.1:")


def test_stale_lock_with_dead_pid_is_recovered(db_dir):
    db_dir.mkdir(parents=True)
    dead = subprocess.Popen(["true"])
    dead.wait()
    (db_dir / "service.json").write_text(json.dumps({"pid": dead.pid, "port": 1, "uri": "x"}))
    res = _run(CONNECT, _env(db_dir))
    assert res.returncode == 0, res.stderr
    state = json.loads(res.stdout.splitlines()[-1])
    assert state["running"] and state["pid"] != dead.pid


def test_data_survives_stop_and_restart(db_dir):
    env = _env(db_dir)
    res = _run("import dataset_core as dc; dc.Dataset('keep').add_sample(dc.Sample('/a.jpg'))", env)
    assert res.returncode == 0, res.stderr
    _stop(db_dir)
    assert _mongods_on(db_dir) == []
    res = _run("import dataset_core as dc; print(len(dc.load_dataset('keep')))", env)
    assert res.stdout.strip() == "1", res.stderr


def test_killed_server_is_restarted_by_the_call_that_meets_it(db_dir):
    code = """
    import os, signal, time, dataset_core as dc
    from dataset_core import db
    ds = dc.Dataset("d"); ds.add_sample(dc.Sample("/a.jpg"))
    pid = db.status()["pid"]
    os.kill(pid, signal.SIGKILL)
    while os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().split()[2] != "Z":
        time.sleep(0.05)
    try:
        len(ds)
    except dc.DatabaseError as e:
        print("ERROR:", e)
    print("AFTER:", len(ds))
    """
    res = _run(code, _env(db_dir))
    assert res.returncode == 0, res.stderr
    # issue 11: the call that met the dead server restarts it and succeeds (it used to
    # raise a one-line DatabaseError first; one-line errors: test_crash_safety)
    assert "ERROR:" not in res.stdout, res.stdout
    assert "AFTER: 1" in res.stdout  # the server was restarted; data intact


def test_mongod_that_fails_to_start_explains_why(db_dir, tmp_path):
    fake = tmp_path / "mongod"
    fake.write_text("#!/bin/sh\necho 'Unrecognized option: --frobnicate' >&2\nexit 2\n")
    fake.chmod(0o755)
    res = _run(CONNECT, _env(db_dir, DATASET_CORE_MONGOD=str(fake)))
    assert res.returncode != 0
    last = res.stderr.strip().splitlines()[-1]
    assert "DatabaseError: mongod" in last and "failed to start (exit 2)" in last
    assert "Unrecognized option: --frobnicate" in last and "dsc db install" in last


def test_mongod_setting_that_is_not_executable(db_dir, tmp_path):
    res = _run(CONNECT, _env(db_dir, DATASET_CORE_MONGOD=str(tmp_path / "nope")))
    assert "is not an executable file" in res.stderr


def test_unreachable_external_uri_is_one_clear_line(tmp_path):
    env = _env(tmp_path / "unused", DATASET_CORE_DATABASE_URI="mongodb://127.0.0.1:9/")
    code = """
    import dataset_core as dc
    try:
        dc.list_datasets()
    except dc.DatabaseError as e:
        print("ERROR:", e)
    """
    start = time.monotonic()
    res = _run(code, env)
    assert "ERROR: Cannot reach MongoDB at mongodb://127.0.0.1:9/" in res.stdout, res.stderr
    assert "DATASET_CORE_DATABASE_URI" in res.stdout
    assert time.monotonic() - start < 30
    assert not (tmp_path / "unused").exists()  # no embedded server was started


def test_status_reports_embedded_mode(db_dir):
    res = _run(
        "import json; from dataset_core import db; print(json.dumps(db.status()))", _env(db_dir)
    )
    state = json.loads(res.stdout)
    assert state["mode"] == "embedded" and state["running"] is False
    assert state["binary"].endswith("mongod")


def test_debian_mirror_from_apt_sources(tmp_path):
    from dataset_core.db.install import DEFAULT_DEBIAN_MIRROR, debian_mirror

    deb822 = tmp_path / "debian.sources"
    deb822.write_text(
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: x\n\n"
        "Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm\n"
    )
    assert debian_mirror([deb822]) == "http://mirror.example/debian"
    assert debian_mirror([tmp_path / "missing"]) == DEFAULT_DEBIAN_MIRROR
