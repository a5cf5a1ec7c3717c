"""File-system helpers with FiftyOne's names (``fiftyone.core.storage``), local files only.

FiftyOne routes these through cloud back ends; here every path is a local path, so
each is a thin, honest wrapper over :mod:`os`, :mod:`shutil` and :mod:`tempfile`.

Example:
    >>> with TempDir() as tmp:
    ...     copy_file("/data/cat.jpg", join(tmp, "images", "cat.jpg"))
"""

from __future__ import annotations

import os
import shutil
import tempfile
from types import TracebackType


def join(a: str, *paths: str) -> str:
    """The paths joined with the separator of ``a``'s file system."""
    return os.path.join(a, *paths)


def sep(path: str | None = None) -> str:
    """The path separator of ``path``'s file system (local: ``os.sep``)."""
    return os.sep


def isfile(path: str) -> bool:
    """Whether ``path`` is an existing file."""
    return os.path.isfile(path)


def isdir(path: str) -> bool:
    """Whether ``path`` is an existing directory."""
    return os.path.isdir(path)


def exists(path: str) -> bool:
    """Whether ``path`` exists (file or directory)."""
    return os.path.exists(path)


def ensure_dir(dirpath: str) -> None:
    """Create ``dirpath`` and its parents unless they exist."""
    os.makedirs(dirpath, exist_ok=True)


def ensure_basedir(path: str) -> None:
    """Create the directory that will hold ``path`` unless it exists."""
    base = os.path.dirname(path)
    if base:
        os.makedirs(base, exist_ok=True)


def make_temp_dir(basedir: str | None = None) -> str:
    """A new empty directory (inside ``basedir`` if given); the caller deletes it."""
    if basedir is not None:
        ensure_dir(basedir)
    return tempfile.mkdtemp(dir=basedir)


def copy_file(inpath: str, outpath: str) -> None:
    """Copy the file ``inpath`` to ``outpath``, creating its directory."""
    ensure_basedir(outpath)
    shutil.copy(inpath, outpath)


def move_file(inpath: str, outpath: str) -> None:
    """Move the file ``inpath`` to ``outpath``, creating its directory."""
    ensure_basedir(outpath)
    shutil.move(inpath, outpath)


def delete_file(path: str) -> None:
    """Delete the file ``path`` if it exists."""
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


class TempDir:
    """A temporary directory that exists inside a ``with`` block and is deleted after.

    Args:
        basedir: where to create it; the system's temporary directory if None.

    Example:
        >>> with TempDir() as tmp:
        ...     dataset.export(tmp, "manifest")
    """

    def __init__(self, basedir: str | None = None) -> None:
        self._basedir = basedir
        self._path: str | None = None

    def __enter__(self) -> str:
        self._path = make_temp_dir(self._basedir)
        return self._path

    def __exit__(self, exc_type: type[BaseException] | None = None,
                 exc: BaseException | None = None,
                 tb: TracebackType | None = None) -> None:  # fmt: skip
        if self._path is not None:
            shutil.rmtree(self._path, ignore_errors=True)
            self._path = None


class LocalFile:
    """A local path to read or write ``path`` through; for a local file, the path itself.

    In write mode (``"w"``) its directory is created on entry. FiftyOne downloads a
    remote file here and uploads it on exit; local files need neither.

    Args:
        path: the file.
        mode: ``"r"`` to read it, ``"w"`` to write it.

    Raises:
        ValueError: a mode other than ``"r"`` or ``"w"``.
    """

    def __init__(self, path: str, mode: str = "r") -> None:
        if mode not in ("r", "w"):
            raise ValueError(f"LocalFile mode is 'r' or 'w'; got {mode!r}")
        self.path = path
        self.mode = mode

    def __enter__(self) -> str:
        if self.mode == "w":
            ensure_basedir(self.path)
        return self.path

    def __exit__(self, *exc: object) -> None:
        return None
