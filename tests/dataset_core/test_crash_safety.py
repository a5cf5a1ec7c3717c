"""kill -9 at chosen points of each operation, then the invariants, from a fresh process.

Each child process runs one operation against the test's mongod and SIGKILLs
itself at a step chosen by a progress hook or a count (never by sleeping). A
second, fresh process then reports what is stored; the invariants: the sample
count is that of before or after, every stored field is in the schema, every
user file is in place or in the trash with a journal entry, and running the
same command again finishes the job.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import dataset_core as dc
from dataset_core import db
from dataset_core.config import config

from ..conftest import write_image

PRELUDE = """
import json, os, signal, sys
from pathlib import Path
from dataset_core.config import config
config.database_uri = os.environ["T_URI"]
config.database_name = os.environ["T_DB"]
config.home = Path(os.environ["T_HOME"])
import dataset_core as dc
def die(*_, **__):
    os.kill(os.getpid(), signal.SIGKILL)
def die_at(step, n=0):
    def hook(s, i=0):
        if s == step and i == n:
            die()
    return hook
"""

#: what a fresh process sees: counts, schema, and any field stored but undeclared
CHECK = """
out = {}
for name in dc.list_datasets():
    ds = dc.load_dataset(name)
    coll = ds._sample_coll()
    stored = set()
    for doc in coll.aggregate([{"$project": {"kv": {"$objectToArray": "$$ROOT"}}},
                               {"$unwind": "$kv"}, {"$group": {"_id": "$kv.k"}}]):
        stored.add(doc["_id"])
    schema = set(ds.get_field_schema())
    undeclared = sorted(k for k in stored if not k.startswith("_") and k not in schema)
    out[name] = {"count": len(ds), "undeclared": undeclared, "schema": sorted(schema)}
print("RESULT" + json.dumps(out))
"""


@pytest.fixture
def child(database, tmp_path):
    """run(code) -> (returncode, output) of a child on this test's database."""
    env = dict(os.environ, T_URI=db.database_uri(), T_DB=config.database_name,
               T_HOME=str(tmp_path / "home"), DATASET_CORE_SHOW_PROGRESS="0")  # fmt: skip
    config_home = config.home
    config.home = tmp_path / "home"

    def run(code: str, timeout: float = 120) -> tuple[int, str]:
        proc = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(code)], env=env,
                              capture_output=True, text=True, timeout=timeout)  # fmt: skip
        return proc.returncode, proc.stdout + proc.stderr

    yield run
    config.home = config_home


def fresh_state(child) -> dict:
    code, out = child(CHECK)
    assert code == 0, out
    return json.loads(out.split("RESULT", 1)[1])


KILLED = -signal.SIGKILL


# -- dedup with file moving ------------------------------------------------------------


@pytest.fixture
def dup_folder(tmp_path) -> Path:
    """a/00001.png and b/00001.png identical (same name: the trash must keep both paths),
    three more copies of another image, and two unique images."""
    root = tmp_path / "imgs"
    for sub in ("a", "b"):
        write_image(root / sub / "00001.png", seed=1)
    for sub in ("a", "b", "c"):
        write_image(root / sub / "00002.png", seed=2)
    write_image(root / "a" / "u1.png", seed=3)
    write_image(root / "b" / "u2.png", seed=4)
    return root


DEDUP = """
import brain
from dataset_core import trash
trash.progress_hook = {hook}
ds = dc.load_dataset("dups")
brain.deduplicate(ds, kind="exact", keep="first", dry_run=False, delete_files=True)
print("finished")
"""


def _files(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(root.rglob("*.png"))}


def _check_files_safe(original: dict[str, bytes], home: Path) -> None:
    """Every file is in place or in a trash folder under a journal entry (same bytes)."""
    journalled = {}
    for journal in (home / "trash").glob("*/journal.json"):
        for src, rel in json.loads(journal.read_text())["files"]:
            journalled[src] = journal.parent / "files" / rel
    for path, data in original.items():
        if os.path.exists(path):
            assert Path(path).read_bytes() == data
        else:
            assert path in journalled, f"{path} is gone and no journal names it"
            assert journalled[path].read_bytes() == data


@pytest.mark.parametrize("step, n", [("journal", 0), ("move", 0), ("move", 2), ("delete", 0),
                                     ("done", 0)])  # fmt: skip
def test_dedup_killed_at_each_step(child, dup_folder, tmp_path, step, n):
    import brain

    ds = dc.Dataset.from_images_dir(str(dup_folder), name="dups")
    brain.find_exact_duplicates(ds)
    original = _files(dup_folder)
    before, after = len(ds), 4
    code, out = child(DEDUP.format(hook=f"die_at({step!r}, {n})"))
    assert code == KILLED, out
    assert fresh_state(child)["dups"]["count"] in (before, after)
    _check_files_safe(original, tmp_path / "home")
    code, out = child("from dataset_core import trash\nprint(trash.list_trash())")
    assert code == 0 and ("interrupted" in out) == (step != "done"), out

    # the same command again finishes the job
    code, out = child(DEDUP.format(hook="None"))
    assert code == 0 and "finished" in out, out
    assert fresh_state(child)["dups"]["count"] == after
    _check_files_safe(original, tmp_path / "home")
    left = _files(dup_folder)
    assert len(left) == after and str(dup_folder / "a" / "00001.png") in left

    # and `dsc trash restore` undoes it: every file and sample back
    for entry in json.loads(child("from dataset_core import trash\n"
                                  "print('RESULT' + json.dumps(trash.list_trash()))")[1]
                            .split("RESULT")[1]):  # fmt: skip
        code, out = child(f"from server.cli import main\n"
                          f"sys.exit(main(['trash', 'restore', {entry['dir']!r}]))")  # fmt: skip
        assert code == 0, out
    assert _files(dup_folder) == original
    assert fresh_state(child)["dups"]["count"] == before


def test_restore_an_interrupted_dedup_without_rerunning(child, dup_folder, tmp_path):
    import brain

    ds = dc.Dataset.from_images_dir(str(dup_folder), name="dups")
    brain.find_exact_duplicates(ds)
    original = _files(dup_folder)
    code, out = child(DEDUP.format(hook="die_at('move', 2)"))
    assert code == KILLED, out
    code, out = child("from server.cli import main\nsys.exit(main(['trash', 'list']))")
    assert code == 0 and "interrupted" in out and "2/3 files in trash" in out, out
    code, out = child("from server.cli import main\nsys.exit(main(['trash', 'restore']))")
    assert code == 0, out
    assert _files(dup_folder) == original
    assert fresh_state(child)["dups"]["count"] == len(original)


# -- imports, appends, set_values -------------------------------------------------------

SMALL_BATCHES = """
import dataset_core.adding as adding
from dataset_core import recovery
adding.INSERT_BATCH_SIZE = 50
recovery.progress_hook = {hook}
"""


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "many"
    for i in range(240):
        write_image(root / f"{i // 100}" / f"{i:05d}.png", size=(8, 8), seed=i)
    return root


@pytest.mark.parametrize("step, n", [("add", 0), ("add", 100), ("add", 200), ("commit", 0)])
def test_from_images_dir_killed_then_rerun(child, folder, step, n):
    code, out = child(SMALL_BATCHES.format(hook=f"die_at({step!r}, {n})")
                      + f"dc.Dataset.from_images_dir({str(folder)!r}, name='many')")  # fmt: skip
    assert code == KILLED, out
    assert fresh_state(child) == {}  # no half dataset under the name
    code, out = child(SMALL_BATCHES.format(hook="None")
                      + f"dc.Dataset.from_images_dir({str(folder)!r}, name='many')")  # fmt: skip
    assert code == 0, out  # no overwrite=True needed, no DatasetExistsError
    state = fresh_state(child)["many"]
    assert state["count"] == 240 and state["undeclared"] == []
    staging = db.get_db()["_staging"].count_documents({})
    leftovers = [c for c in db.get_db().list_collection_names() if c.startswith("samples.")]
    assert staging == 0 and len(leftovers) == 1  # the killed import's samples were dropped


APPEND = """
ds = dc.load_dataset("grow")
ds.add_samples([dc.Sample(f"/data/new{i}.jpg", score=float(i), label=dc.Classification(label="x"))
                for i in range(200)])
print("appended")
"""


@pytest.mark.parametrize("n", [50, 150])
def test_append_killed_is_undone_and_rerun_adds_no_duplicates(child, database, n):
    ds = dc.Dataset("grow")
    ds.add_samples([dc.Sample(f"/data/old{i}.jpg") for i in range(30)])
    code, out = child(SMALL_BATCHES.format(hook=f"die_at('add', {n})") + APPEND)
    assert code == KILLED, out
    state = fresh_state(child)["grow"]
    assert state["count"] == 30 and state["undeclared"] == []  # before
    code, out = child(SMALL_BATCHES.format(hook="None") + APPEND)
    assert code == 0 and "appended" in out, out  # no DuplicateSampleError
    state = fresh_state(child)["grow"]
    assert state["count"] == 230 and state["undeclared"] == []
    code, out = child("print('RESULT', dc.load_dataset('grow').count_values('label.label'))")
    assert code == 0 and "'x': 200" in out, out


SET_VALUES = """
ds = dc.load_dataset("setv")
ds.set_values("score", [float(i) for i in range(len(ds))])
print("set")
"""


def test_set_values_of_new_field_killed_leaves_before(child, database):
    ds = dc.Dataset("setv")
    ds.add_samples([dc.Sample(f"/data/{i}.jpg") for i in range(300)])
    code, out = child(SMALL_BATCHES.format(hook="die_at('set_values', 100)") + SET_VALUES)
    assert code == KILLED, out
    state = fresh_state(child)["setv"]
    assert "score" not in state["schema"] and state["undeclared"] == []
    assert ds._sample_coll().count_documents({"score": {"$exists": True}}) == 0
    code, out = child(SET_VALUES)
    assert code == 0, out
    code, out = child("print('RESULT', dc.load_dataset('setv').count('score'))")
    assert code == 0 and "RESULT 300" in out, out


# -- two processes, one schema ----------------------------------------------------------


def test_two_processes_add_fields_neither_loses_the_other(child, database):
    ds = dc.Dataset("shared")
    ds.add_samples([dc.Sample(f"/data/{i}.jpg") for i in range(3)])
    ds.info["owner"] = "a"  # process A holds the dataset open...
    code, out = child("ds = dc.load_dataset('shared'); ds.set_values('x', [1, 2, 3])")
    assert code == 0, out  # ...process B adds x...
    ds.save()  # ...and A saves its info
    sample = ds.first()
    sample["y"] = 5.0
    sample.save()
    assert ds.count_values("x") == {1: 1, 2: 1, 3: 1}  # A sees x without reloading
    assert set(fresh_state(child)["shared"]["schema"]) >= {"x", "y"}
    code, out = child("print('RESULT', dc.load_dataset('shared').info)")
    assert "'owner': 'a'" in out, out


# -- folders as they come off real disks -------------------------------------------------


@pytest.fixture
def odd_folder(tmp_path) -> Path:
    """5 images, a symlink loop, a second link to a walked folder and to a file, a FIFO,
    a socket, an empty image and a broken link."""
    import socket as socket_module

    root = tmp_path / "odd"
    for i in range(5):
        write_image(root / "sub" / f"{i}.png", seed=i)
    os.symlink(".", root / "loop")
    os.symlink("..", root / "sub" / "up")
    os.symlink(root / "sub", root / "again")
    os.symlink(root / "sub" / "0.png", root / "zz_link.png")
    os.mkfifo(root / "pipe.png")
    sock = socket_module.socket(socket_module.AF_UNIX)
    sock.bind(str(root / "sock.png"))
    sock.close()
    (root / "empty.png").write_bytes(b"")
    os.symlink(root / "nowhere.png", root / "broken.png")
    return root


def test_folder_walk_loops_links_and_special_files(database, odd_folder, capsys):
    ds = dc.Dataset.from_images_dir(str(odd_folder), name="odd")
    out = capsys.readouterr().out
    assert len(ds) == 5  # not 205: loops and second links add nothing
    for words in ("2 symlink loops", "2 links to files or folders already walked",
                  "2 special files", "1 empty", "1 broken symlinks"):  # fmt: skip
        assert words in out, out


def test_dedup_after_a_loop_moves_no_file_a_kept_sample_needs(database, child, tmp_path):
    """Even when one file is in the dataset under two paths, dedup keeps it in place."""
    import brain

    root = tmp_path / "two_paths"
    for i in range(3):
        write_image(root / "sub" / f"{i}.png", seed=i)
    ds = dc.Dataset("two")
    ds.add_samples([dc.Sample(str(p)) for p in sorted(root.rglob("*.png"))])
    os.symlink(root / "sub", root / "alias")
    ds.add_samples([dc.Sample(str(root / "alias" / f"{i}.png")) for i in range(3)])
    brain.find_exact_duplicates(ds)
    brain.deduplicate(ds, kind="exact", keep="first", dry_run=False, delete_files=True)
    assert len(ds) == 3
    assert all(os.path.exists(p) for p in ds.values("filepath"))


def test_unreadable_file_is_reported_at_import(database, tmp_path, capsys):
    root = tmp_path / "locked"
    for i in range(2):
        write_image(root / f"{i}.png", seed=i)
    locked = root / "1.png"
    locked.chmod(0)
    try:
        with open(locked, "rb"):
            readable = True
    except PermissionError:
        readable = False
    if readable:
        locked.chmod(0o644)
        pytest.skip("running as root: chmod 000 does not stop reads, so no unreadable file")
    ds = dc.Dataset.from_images_dir(str(root), name="locked")
    assert len(ds) == 1 and "1 unreadable (1.png)" in capsys.readouterr().out


def _png_header(width: int, height: int) -> bytes:
    """A valid PNG whose header claims ``width`` x ``height`` (a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)  # fmt: skip

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))  # fmt: skip


def test_decompression_bomb_is_reported_and_the_rest_goes_on(database, tmp_path):
    import brain

    root = tmp_path / "bomb"
    for i in range(3):
        write_image(root / f"{i}.png", seed=i)
    (root / "bomb.png").write_bytes(_png_header(20000, 20000))
    ds = dc.Dataset.from_images_dir(str(root), name="bomb")
    report = ds.compute_metadata()
    assert report.computed == 3
    reason = report.failures[str(root / "bomb.png")]
    assert "decompression bomb" in reason and "20000x20000" in reason
    brain.find_exact_duplicates(ds, pixels=True)
    assert ds.count("pixel_hash") == 3


def test_dsc_analyze_with_a_bomb_prints_no_traceback(database, tmp_path, capsys):
    from server.cli import main

    root = tmp_path / "bomb2"
    for i in range(6):
        write_image(root / f"{i}.png", size=(40, 40), seed=i)
    (root / "bomb.png").write_bytes(_png_header(20000, 20000))
    code = main(["analyze", str(root), "--name", "b2", "--visualization", "none"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Traceback" not in captured.out + captured.err
    assert "bomb.png" in captured.out


# -- the database dies under a running process -------------------------------------------

MONGOD_KILLED = """
import time
from dataset_core import db
config.database_uri = None
config.database_dir = Path(os.environ["T_HOME"]) / "own-db"
ds = dc.Dataset("m")
ds.add_samples([dc.Sample(f"/data/{i}.jpg") for i in range(100)])
try:
    os.kill(db.status()["pid"], signal.SIGKILL)  # mongod dies under this process
    start = time.monotonic()
    ds.add_sample(dc.Sample("/data/after.jpg"))  # reconnects (restarting it) and succeeds
    took = time.monotonic() - start
    ds.add_samples([dc.Sample(f"/data/more{i}.jpg") for i in range(10)])
    print("RESULT" + json.dumps({"count": len(ds), "distinct": len(set(ds.values("filepath"))),
                                 "took": took}))
finally:
    db.stop()
"""


def test_mongod_killed_under_a_client_next_call_succeeds(child):
    code, out = child(MONGOD_KILLED, timeout=180)
    assert code == 0, out
    result = json.loads(out.split("RESULT", 1)[1])
    assert result["count"] == result["distinct"] == 111  # nothing lost, nothing twice
    assert result["took"] < 30


def test_database_errors_are_one_line(database, monkeypatch, capsys):
    from server.cli import main

    monkeypatch.setattr(
        config, "database_uri", "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300"
    )
    monkeypatch.setattr("dataset_core.db.connection.SERVER_SELECTION_TIMEOUT_MS", 300)
    db.reset()
    try:
        assert main(["datasets", "list"]) == 1
    finally:
        monkeypatch.undo()
        db.reset()
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: Cannot reach MongoDB") and "\n" not in err
    assert len(err) < 400 and "Topology" not in err


ANALYZE = """
import brain.analyze
{patch}
from server.cli import main
sys.exit(main(["analyze", {root!r}, "--name", "an", "--visualization", "none"]))
"""


def test_dsc_analyze_killed_after_the_import_reruns_without_overwrite(child, tmp_path):
    root = tmp_path / "an"
    for i in range(8):
        write_image(root / f"{i}.png", size=(40, 40), seed=i)
    patch = "sys.modules['brain.analyze']._embed = die"
    code, out = child(ANALYZE.format(patch=patch, root=str(root)))
    assert code == KILLED, out
    assert fresh_state(child)["an"]["count"] == 8  # the import itself completed
    code, out = child(ANALYZE.format(patch="", root=str(root)), timeout=300)
    assert code == 0, out  # no DatasetExistsError, no --overwrite
    assert "Reusing dataset 'an'" in out and "Analysed 8 images" in out
    assert fresh_state(child)["an"]["count"] == 8
