"""The embedded mongod answers only its user: a login made on first start, kept 0600.

Each case runs a real mongod in its own folder (never the session's), driven by
fresh processes as a user's would be.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path
from urllib.parse import quote_plus

import pymongo
import pymongo.errors
import pytest

from dataset_core.db import bootstrap, credentials, service

from .test_service import _env, _mongods_on, _run

#: a fresh process's view: the datasets and their sizes, and the server it used
SHOW = """
import json, dataset_core as dc
from dataset_core import db
print("RESULT" + json.dumps({"datasets": {n: len(dc.load_dataset(n)) for n in dc.list_datasets()},
                             "status": db.status()}))
"""

#: makes the process SIGKILL itself when the bootstrap completes step STEP
KILL_AT = """
import os, signal
from dataset_core.db import bootstrap
def die(step):
    if step == {step!r}:
        os.kill(os.getpid(), signal.SIGKILL)
bootstrap.bootstrap_hook = die
import dataset_core as dc
dc.list_datasets()
print("not killed")
"""


def _show(db_dir: Path, **extra: str) -> dict:
    res = _run(SHOW, _env(db_dir, **extra))
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.split("RESULT", 1)[1])


def _client(port: int, **login: str) -> pymongo.MongoClient:
    return pymongo.MongoClient(
        host="127.0.0.1", port=port, serverSelectionTimeoutMS=10_000, **login
    )  # fmt: skip


def _assert_locked(port: int) -> None:
    """No login, or a wrong one: nothing can be listed or read."""
    anonymous = _client(port)
    with pytest.raises(pymongo.errors.OperationFailure, match="requires authentication"):
        anonymous.list_database_names()
    with pytest.raises(pymongo.errors.OperationFailure, match="requires authentication"):
        anonymous["dataset_core"]["datasets"].find_one()
    with pytest.raises(pymongo.errors.OperationFailure, match="requires authentication"):
        anonymous.admin.command("createUser", "intruder", pwd="x", roles=["root"])
    anonymous.close()
    wrong = _client(port, username="dataset_core", password="guess", authSource="admin")
    with pytest.raises(pymongo.errors.OperationFailure, match="Authentication failed"):
        wrong.list_database_names()
    wrong.close()


def _login(db_dir: Path) -> credentials.Credentials:
    creds = credentials.load(db_dir)
    assert creds is not None
    return creds


@pytest.fixture
def db_dir(tmp_path: Path):
    d = tmp_path / "db"
    yield d
    _run("from dataset_core import db; db.stop()", _env(d))
    shutil.rmtree(d, ignore_errors=True)  # 300 MB of preallocated journal each


def _old_mongod(db_dir: Path) -> tuple[subprocess.Popen[bytes], int]:
    """mongod as versions before authentication ran it: loopback, no login."""
    db_dir.mkdir(parents=True, exist_ok=True)
    port = service._free_port()
    proc = subprocess.Popen(
        [service.find_mongod(), "--dbpath", str(db_dir), "--port", str(port), "--bind_ip",
         "127.0.0.1", "--nounixsocket", "--logpath", str(db_dir / "mongod.log"), "--logappend"],
        env=service._mongod_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    client = _client(port)
    client.admin.command("ping")
    client.close()
    return proc, port


def _write_old_dataset(port: int, n: int = 3) -> None:
    code = f"import dataset_core as dc; dc.Dataset('old').add_samples([dc.Sample(f'/{{i}}.jpg') for i in range({n})])"  # noqa: E501
    res = _run(code, _env(Path("/nonexistent"), DATASET_CORE_DATABASE_URI=_uri(port)))
    assert res.returncode == 0, res.stderr


def _uri(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}/"


@pytest.fixture
def old_folder(db_dir: Path) -> Path:
    """A stopped data folder from before authentication, holding dataset 'old' (3)."""
    proc, port = _old_mongod(db_dir)
    try:
        _write_old_dataset(port)
    finally:
        proc.terminate()
        proc.wait(30)
    return db_dir


def test_fresh_folder_answers_only_the_login(db_dir):
    res = _run("import dataset_core as dc; dc.Dataset('d')", _env(db_dir))
    assert res.returncode == 0, res.stderr
    state = _show(db_dir)["status"]
    assert state["auth"] is True
    _assert_locked(state["port"])
    creds = _login(db_dir)
    assert len(creds.password) >= 40
    owner = _client(state["port"], username=creds.username, password=creds.password,
                    authSource="admin")  # fmt: skip
    assert owner["dataset_core"]["datasets"].count_documents({}) == 1
    # the localhost exception is off: no one on loopback may create a first user
    assert owner.admin.command("getParameter", 1, enableLocalhostAuthBypass=1)[
        "enableLocalhostAuthBypass"] is False  # fmt: skip
    owner.close()
    assert stat.S_IMODE((db_dir / "credentials.json").stat().st_mode) == 0o600
    assert stat.S_IMODE(db_dir.stat().st_mode) == 0o700
    for shown in (db_dir / "mongod.log", db_dir / "service.json"):
        assert creds.password not in shown.read_text()
    assert creds.password not in res.stdout + res.stderr
    assert not (db_dir / bootstrap.BOOTSTRAP_FILE).exists()


def _tcp_listening_inodes() -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                inodes.add(fields[9])
    return inodes


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:
            continue  # closed meanwhile
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    return inodes


def test_the_setup_start_listens_on_no_tcp_port(tmp_path, monkeypatch):
    db_dir = tmp_path / "db"
    db_dir.mkdir()
    seen: dict[str, object] = {}

    def inspect(step: str) -> None:
        if step != "started":
            return
        sock_dir = Path(json.loads((db_dir / bootstrap.BOOTSTRAP_FILE).read_text())["socket_dir"])
        pid = int((sock_dir / bootstrap.PID_NAME).read_text())
        seen["tcp"] = _socket_inodes(pid) & _tcp_listening_inodes()
        seen["mode"] = stat.S_IMODE(sock_dir.stat().st_mode)
        sock = quote_plus(str(sock_dir / bootstrap.SOCKET_NAME))
        with pymongo.MongoClient(f"mongodb://{sock}", serverSelectionTimeoutMS=5000) as c:
            seen["ping"] = c.admin.command("ping")["ok"]
        seen["sock_dir"] = sock_dir

    monkeypatch.setattr(bootstrap, "bootstrap_hook", inspect)
    try:
        creds = bootstrap.ensure_user(service.find_mongod(), db_dir, tmp_path / "mongod.log")
    finally:
        shutil.rmtree(db_dir, ignore_errors=True)
    assert seen["ping"] == 1.0  # it served its socket...
    assert seen["tcp"] == set()  # ...and no TCP port
    assert seen["mode"] == 0o700
    assert not Path(str(seen["sock_dir"])).exists()  # removed after the setup
    assert repr(creds).count(creds.password) == 0


def test_running_unauthenticated_server_is_upgraded_in_place(db_dir):
    proc, port = _old_mongod(db_dir)
    try:
        _write_old_dataset(port)
        # the record an earlier version left for the server it started
        (db_dir / "service.json").write_text(
            json.dumps({"pid": proc.pid, "port": port, "uri": _uri(port)})
        )
        shown = _show(db_dir)
        assert proc.wait(30) == 0  # shut down cleanly, then restarted with a login
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert shown["datasets"] == {"old": 3}
    assert shown["status"]["auth"] is True and shown["status"]["pid"] != proc.pid
    _assert_locked(shown["status"]["port"])


def test_stopped_unauthenticated_folder_is_upgraded_in_place(old_folder):
    shown = _show(old_folder)
    assert shown["datasets"] == {"old": 3}
    _assert_locked(shown["status"]["port"])
    assert stat.S_IMODE(old_folder.stat().st_mode) == 0o700


@pytest.mark.parametrize("step", ["marked", "started", "user_set", "saved"])
def test_kill_9_during_setup_then_a_normal_start_recovers(old_folder, step):
    res = _run(KILL_AT.format(step=step), _env(old_folder))
    assert res.returncode == -9, res.stdout + res.stderr
    assert "not killed" not in res.stdout
    shown = _show(old_folder)
    assert shown["datasets"] == {"old": 3}  # the data folder survived
    assert _mongods_on(old_folder) == [shown["status"]["pid"]]  # no setup mongod left
    assert not (old_folder / bootstrap.BOOTSTRAP_FILE).exists()
    _assert_locked(shown["status"]["port"])
    creds = _login(old_folder)
    with _client(shown["status"]["port"], username=creds.username, password=creds.password,
                 authSource="admin") as owner:  # fmt: skip
        assert owner["dataset_core"]["datasets"].count_documents({}) == 1


def test_kill_9_of_mongod_restarts_it_with_the_same_login(db_dir):
    first = _show(db_dir)["status"]
    creds = _login(db_dir)
    os.kill(first["pid"], 9)
    again = _show(db_dir)["status"]
    assert again["pid"] != first["pid"] and again["auth"] is True
    assert _login(db_dir) == creds
    _assert_locked(again["port"])


def test_lost_or_wrong_credentials_are_reset_keeping_the_data(db_dir):
    res = _run("import dataset_core as dc; dc.Dataset('keep')", _env(db_dir))
    assert res.returncode == 0, res.stderr
    old = _login(db_dir)
    (db_dir / "credentials.json").unlink()  # lost while the server runs
    shown = _show(db_dir)
    assert shown["datasets"] == {"keep": 0}
    assert _login(db_dir).password != old.password
    _run("from dataset_core import db; db.stop()", _env(db_dir))
    credentials.save(db_dir, credentials.Credentials("dataset_core", "edited-by-hand"))
    shown = _show(db_dir)
    assert shown["datasets"] == {"keep": 0}
    assert _login(db_dir).password != "edited-by-hand"
    _assert_locked(shown["status"]["port"])


def test_external_uri_password_is_masked_and_no_embedded_server(tmp_path):
    uri = "mongodb://me:hunter2@127.0.0.1:9/?authSource=admin"
    code = """
    import json, dataset_core as dc
    from dataset_core import db
    from server.cli import main
    main(["db", "status"])
    try:
        dc.list_datasets()
    except dc.DatabaseError as e:
        print("ERROR:", e)
    """
    res = _run(code, _env(tmp_path / "unused", DATASET_CORE_DATABASE_URI=uri))
    assert "ERROR: Cannot reach MongoDB at mongodb://me:***@127.0.0.1:9/" in res.stdout
    assert '"uri": "mongodb://me:***@127.0.0.1:9/?authSource=admin"' in res.stdout
    assert "hunter2" not in res.stdout + res.stderr
    assert not (tmp_path / "unused").exists()


@pytest.mark.parametrize(
    "uri, shown",
    [
        ("mongodb://me:s3cret@h:1/?authSource=admin", "mongodb://me:***@h:1/?authSource=admin"),
        ("mongodb+srv://me:p%40ss@cluster.example/db", "mongodb+srv://me:***@cluster.example/db"),
        ("mongodb://me:un@escaped@h:1/", "mongodb://me:***@h:1/"),
        ("mongodb://me@h:1/", "mongodb://me@h:1/"),
        ("mongodb://127.0.0.1:27017/", "mongodb://127.0.0.1:27017/"),
    ],
)
def test_mask_uri(uri, shown):
    assert credentials.mask_uri(uri) == shown
