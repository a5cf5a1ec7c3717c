"""Shared by the labeled formats: sample keys in labels files, atomic writes,
and finding the image a key names."""

from __future__ import annotations

import json
import os
from typing import Any

from ..errors import MediaError
from ..media import scan_images


def sample_key(filepath: str, exported: str | None, rel_dir: str | None, abs_paths: bool) -> str:
    """The key of a sample in a labels file (FiftyOne's "uuid").

    The exported name without extension when media are exported; else the
    absolute path (``abs_paths``), the path relative to ``rel_dir`` without
    extension, or the file name without extension.
    """
    if exported is not None:
        return os.path.splitext(exported)[0]
    if abs_paths:
        return filepath
    if rel_dir is not None:
        rel = os.path.relpath(filepath, os.path.abspath(os.path.expanduser(rel_dir)))
        return os.path.splitext(rel.replace(os.sep, "/"))[0]
    return os.path.splitext(os.path.basename(filepath))[0]


def write_text_atomically(path: str, text: str) -> None:
    """Write ``path`` through a temporary file and a rename: never a half-written file."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


def write_json_atomically(path: str, value: Any) -> None:
    """:func:`write_text_atomically` of ``value`` as indented JSON."""
    write_text_atomically(path, json.dumps(value, indent=1) + "\n")


def resolve(dataset_dir: str | None, path: str | None, default: str) -> str | None:
    """``path`` absolute, or relative to ``dataset_dir`` (``default`` when None)."""
    path = default if path is None else os.path.expanduser(os.fspath(path))
    if os.path.isabs(path):
        return path
    if dataset_dir is None:
        return None
    return os.path.abspath(os.path.join(os.path.expanduser(os.fspath(dataset_dir)), path))


class ImageIndex:
    """The images under a folder, found by a labels file's keys.

    A key is an absolute path, or a path relative to the folder with or
    without its extension (``cat/001`` finds ``cat/001.jpg``).
    """

    def __init__(self, data_dir: str | None) -> None:
        self.data_dir = data_dir
        self._by_key: dict[str, str] = {}
        if data_dir is not None and os.path.isdir(data_dir):
            for path in scan_images(data_dir, recursive=True).images:
                rel = os.path.relpath(path, data_dir).replace(os.sep, "/")
                self._by_key.setdefault(rel, path)
                self._by_key.setdefault(os.path.splitext(rel)[0], path)

    @property
    def paths(self) -> list[str]:
        """Every image found, sorted."""
        return sorted(set(self._by_key.values()))

    def find(self, key: str) -> str | None:
        """The image ``key`` names, or None."""
        if os.path.isabs(key):
            return key
        found = self._by_key.get(key.replace("\\", "/"))
        if found is None and self.data_dir is not None:
            candidate = os.path.join(self.data_dir, key)
            found = candidate if os.path.isfile(candidate) else None
        return found


def read_json(path: str | None, what: str) -> Any:
    """The parsed JSON file ``path``.

    Raises:
        MediaError: missing or not JSON.
    """
    if path is None or not os.path.isfile(path):
        raise MediaError(f"{what} {path!r} does not exist; pass dataset_dir or labels_path")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise MediaError(f"Cannot read {what} {path!r}: {e}") from None


def report_missing(missing: list[str], labels_path: str, data_dir: str | None) -> None:
    """Print one line about keys of a labels file with no image."""
    if missing:
        print(f"Skipped {len(missing)} entries of {labels_path} with no image in {data_dir} "
              f"(e.g. {missing[:3]}); pass data_path=<the images folder>")  # fmt: skip
