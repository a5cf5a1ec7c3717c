"""The trash: removing samples and moving their files, journalled so that no crash loses one.

:func:`trash_samples` works in three steps, each safe to interrupt:

1. **journal**: the trash folder ``~/.dataset_core/trash/<time>/`` gets
   ``samples.bson`` (the stored documents of the samples to delete) and then
   ``journal.json`` (dataset, sample ids, and each file's original path with
   its path relative to the files' common root), both flushed to disk,
   ``journal.json`` renamed into place last;
2. **moves**: each file goes to ``files/<relative path>`` (a rename on one
   disk; across disks a copy, flushed, renamed, then the original unlinked),
   so ``a/1.png`` and ``b/1.png`` never collide;
3. **deletes**: the samples are deleted, then ``status.json`` says ``done``.

Whatever a ``kill -9`` interrupts, every file is either in place or in the
trash under a journal entry. :func:`restore_trash` puts the files back and
re-inserts the deleted samples (same ids); :func:`resume_pending` (run by
every new dedup of the dataset) finishes an interrupted one. A file that a
sample which stays in the dataset still points at (the same file through a
symlink or a second path) is never moved.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import bson
from bson import ObjectId

from .config import config
from .errors import DatasetCoreError, DatasetNotFoundError
from .sample import utcnow

if TYPE_CHECKING:
    from .dataset import Dataset

JOURNAL = "journal.json"
SAMPLES = "samples.bson"
STATUS = "status.json"
FILES = "files"
#: tests set this to ``f(step, n)`` to stop a run at a chosen step
#: (``"journal"``, ``"move"`` before the n-th file, ``"delete"``, ``"done"``)
progress_hook: Callable[[str, int], None] | None = None


def _hook(step: str, n: int = 0) -> None:
    if progress_hook is not None:
        progress_hook(step, n)


def trash_root() -> Path:
    """Where trash folders live: ``$DATASET_CORE_HOME/trash``."""
    return Path(config.home) / "trash"


def _write_durable(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class TrashResult:
    """What :func:`trash_samples` did."""

    trash_dir: str | None
    deleted: int
    moved_files: list[str] = field(default_factory=list)
    kept_files: list[str] = field(default_factory=list)  # still used by remaining samples


def _file_key(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def trash_samples(dataset: Dataset, ids: list[Any], move_files: bool) -> TrashResult:
    """Delete samples from ``dataset``; with ``move_files``, move their files to a new trash
    folder first, through the journal (see the module doc).

    Returns:
        A :class:`TrashResult`.
    """
    oids = [i if isinstance(i, ObjectId) else ObjectId(i) for i in ids]
    if not oids:
        return TrashResult(None, 0)
    if not move_files:
        return TrashResult(None, dataset.delete_samples(oids))
    docs = list(dataset._sample_coll().find({"_id": {"$in": oids}}))
    wanted = {d["_id"] for d in docs}
    keys = {p: _file_key(p) for p in (d["filepath"] for d in docs)}
    # a file a remaining sample still reads (a second path, a symlink) stays in place
    staying = {_file_key(p) for p in dataset.exclude(list(wanted)).values("filepath")}
    staying.discard(None)
    movable = [p for p, k in keys.items() if k is not None and k not in staying]
    kept = [p for p, k in keys.items() if k is not None and k in staying]
    trash, journal = _write_journal(dataset.name, docs, oids, movable)
    moved = _finish(dataset, trash, journal)
    return TrashResult(str(trash), len(oids), moved, kept)


def trash_files(paths: list[str]) -> tuple[str, list[str]]:
    """Move files that no dataset deletes into a new trash folder, journalled;
    returns ``(folder, moved files)``."""
    movable = [p for p in dict.fromkeys(os.path.abspath(p) for p in paths) if os.path.lexists(p)]
    trash, journal = _write_journal(None, [], [], movable)
    return str(trash), _finish(None, trash, journal)


def _write_journal(name: str | None, docs: list[dict[str, Any]], oids: list[ObjectId],
                   movable: list[str]) -> tuple[Path, dict[str, Any]]:  # fmt: skip
    root = os.path.commonpath(movable) if movable else "/"
    if len(movable) == 1:
        root = os.path.dirname(root)
    stamp = utcnow().strftime("%Y%m%d-%H%M%S-%f")
    trash = trash_root() / stamp
    trash.mkdir(parents=True)
    with open(trash / SAMPLES, "wb") as f:
        f.write(b"".join(bson.encode(d) for d in docs))
        f.flush()
        os.fsync(f.fileno())
    journal = {
        "version": 1,
        "database": config.database_name,
        "dataset": name,
        "created_at": stamp,
        "root": root,
        "sample_ids": [str(i) for i in oids],
        "files": [[p, os.path.relpath(p, root)] for p in movable],
    }
    _write_durable(trash / JOURNAL, json.dumps(journal))
    _fsync_dir(trash)
    _hook("journal")
    return trash, journal


def _move(src: str, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(src, dest)
        return
    except OSError as e:
        if e.errno != 18:  # EXDEV: another disk; anything else is a real failure
            raise
    part = dest.with_name(dest.name + ".part")
    shutil.copy2(src, part)
    with open(part, "rb") as f:
        os.fsync(f.fileno())
    os.replace(part, dest)
    os.unlink(src)


def _finish(dataset: Dataset | None, trash: Path, journal: dict[str, Any]) -> list[str]:
    """Do what the journal says and is not done yet: the moves, then the deletes."""
    moved = []
    for n, (src, rel) in enumerate(journal["files"]):
        dest = trash / FILES / rel
        _hook("move", n)
        if os.path.lexists(src) and not dest.exists():
            _move(src, dest)
        elif os.path.lexists(src) and dest.exists():  # copied across disks, not yet unlinked
            os.unlink(src)
        if dest.exists():
            moved.append(src)
    _hook("delete")
    if dataset is not None:
        dataset.delete_samples([ObjectId(i) for i in journal["sample_ids"]])
    _write_durable(trash / STATUS, json.dumps({"state": "done"}))
    _hook("done")
    return moved


def _read(trash: Path) -> tuple[dict[str, Any] | None, str]:
    try:
        journal = json.loads((trash / JOURNAL).read_text())
    except (OSError, ValueError):
        return None, "empty"  # crashed before the journal: nothing was moved or deleted
    try:
        state = json.loads((trash / STATUS).read_text())["state"]
    except (OSError, ValueError, KeyError):
        state = "interrupted"
    return journal, state


def list_trash() -> list[dict[str, Any]]:
    """Every trash folder, oldest first: dir, dataset, state, files (in trash / journalled),
    samples. ``state`` is ``done``, ``interrupted`` (a crash: restore or re-run) or
    ``restored``."""
    out = []
    root = trash_root()
    if not root.is_dir():
        return out
    for trash in sorted(p for p in root.iterdir() if p.is_dir()):
        journal, state = _read(trash)
        if journal is None:
            continue
        in_trash = sum((trash / FILES / rel).exists() for _, rel in journal["files"])
        out.append({
            "dir": str(trash), "dataset": journal["dataset"], "database": journal["database"],
            "state": state, "files": len(journal["files"]), "in_trash": in_trash,
            "samples": len(journal["sample_ids"]),
        })  # fmt: skip
    return out


def _resolve(trash_dir: str | os.PathLike[str]) -> Path:
    trash = Path(trash_dir)
    if not trash.is_absolute() and not trash.exists():
        trash = trash_root() / trash
    if not (trash / JOURNAL).exists():
        if (trash / "manifest.json").exists():  # a trash folder of older versions
            return trash
        raise DatasetCoreError(
            f"{str(trash)!r} is not a trash folder (no {JOURNAL}); see `dsc trash list`"
        )
    return trash


def _load(journal: dict[str, Any]) -> Dataset | None:
    from .dataset import load_dataset

    if journal.get("database") != config.database_name:
        return None
    try:
        return load_dataset(journal["dataset"])
    except DatasetNotFoundError:
        return None


def restore_trash(trash_dir: str | os.PathLike[str], samples: bool = True) -> list[str]:
    """Move the files of a trash folder back where they were and (``samples``) re-insert the
    deleted samples with their ids; returns the restored file paths.

    Works on an interrupted run too. A file whose original path is taken again
    is left in the trash and reported.
    """
    trash = _resolve(trash_dir)
    if not (trash / JOURNAL).exists():
        return _restore_legacy(trash)
    journal, _ = _read(trash)
    assert journal is not None
    restored, blocked = [], []
    for src, rel in journal["files"]:
        dest = trash / FILES / rel
        part = dest.with_name(dest.name + ".part")
        if part.exists() and os.path.lexists(src):
            part.unlink()  # an unfinished copy; the original is in place
        if not dest.exists():
            continue
        if os.path.lexists(src):
            blocked.append(src)
            continue
        os.makedirs(os.path.dirname(src), exist_ok=True)
        shutil.move(dest, src)
        restored.append(src)
    if samples:
        dataset = _load(journal)
        if dataset is not None:
            with open(trash / SAMPLES, "rb") as f:
                docs = list(bson.decode_file_iter(f))
            dataset.insert_documents(docs)
    _write_durable(trash / STATUS, json.dumps({"state": "restored"}))
    if blocked:
        print(f"Left {len(blocked)} files in {trash}: their original paths exist again")
    return restored


def _restore_legacy(trash: Path) -> list[str]:
    manifest = json.loads((trash / "manifest.json").read_text())
    restored = []
    for name, original in manifest.items():
        if (trash / name).exists() and not os.path.exists(original):
            os.makedirs(os.path.dirname(original), exist_ok=True)
            shutil.move(trash / name, original)
            restored.append(original)
    return restored


def resume_pending(dataset: Dataset) -> list[str]:
    """Finish every interrupted trash run of ``dataset``; returns their folders."""
    done = []
    for entry in list_trash():
        if (entry["state"] == "interrupted" and entry["dataset"] == dataset.name
                and entry["database"] == config.database_name):  # fmt: skip
            trash = Path(entry["dir"])
            journal, _ = _read(trash)
            assert journal is not None
            _finish(dataset, trash, journal)
            done.append(str(trash))
    return done
