"""What ``dsc analyze`` can read: a folder, a classification tree, a file list, an archive.

:func:`load_source` turns any of them into a dataset:

- a **folder** of images (searched recursively);
- a **classification tree** (``labels="dir-tree"``): ``<class>/<image>``, the
  class in ``ground_truth``;
- **splits**: top-level folders named like splits (``train``, ``test``,
  ``val``, ``valid``, ``validation``, ``train_set``, ...) tag their images
  with the folder's name, and a tree below them is ``<split>/<class>/<image>``
  (the blog's ``data/train_set/glacier/...``), so leaks can be found;
- a **file list**: a text file with one image path per line (relative paths
  are relative to the list's folder; blank lines and ``#`` comments ignored);
- a **tar or zip archive**: extracted safely (see :mod:`dataset_core.archives`)
  into ``extract_dir`` (default ``~/.dataset_core/media/<name>``, a fresh
  folder each time, never replacing files), then read as a folder; a single
  top folder wrapping everything (``pics.tgz`` holding ``pics/...``) is skipped.

Everything skipped (not images, empty files, missing paths, unsafe archive
members) is reported on one line each, and the import goes on.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import dataset_core as dc
from dataset_core.archives import extract_archive, is_archive
from dataset_core.config import config
from dataset_core.dataset import staged_dataset
from dataset_core.errors import MediaError
from dataset_core.media import IMAGE_EXTENSIONS, ScanReport, scan_images, sniff_image_type

from .errors import BrainError

#: folder names taken as splits (lower case, after dropping a ``_set``-like suffix)
SPLIT_NAMES = frozenset({"train", "training", "test", "testing", "val", "valid", "validation",
                         "dev", "holdout"})  # fmt: skip
_SPLIT_SUFFIX = re.compile(r"([_\-. ]?(set|split|data|images|\d+))+$", re.IGNORECASE)
LABEL_MODES = ("none", "dir-tree")


def split_name(folder: str) -> str | None:
    """``folder`` when it names a split (``train``, ``valid_set``, ``test2017``...), else None."""
    base = _SPLIT_SUFFIX.sub("", folder).lower()
    return folder if base in SPLIT_NAMES else None


def split_order(folder: str) -> tuple[int, str]:
    """Sort key putting training splits first, then validation, then test ones."""
    base = _SPLIT_SUFFIX.sub("", folder).lower()
    rank = 0 if base.startswith("train") else 2 if base.startswith(("test", "holdout")) else 1
    return rank, folder


@dataclass
class SourceReport:
    """How a source was read: its kind, the splits found, and what was skipped."""

    kind: str
    root: str
    splits: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one line each, for users


def _read_list(path: str) -> tuple[list[str], ScanReport, list[str]]:
    base = os.path.dirname(os.path.abspath(path))
    report, missing = ScanReport(), []
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = [ln.strip() for ln in f]
    for line in lines:
        if not line or line.startswith("#"):
            continue
        p = os.path.abspath(os.path.join(base, os.path.expanduser(line)))
        if not os.path.isfile(p):
            missing.append(line)
        elif os.path.splitext(p)[1].lower() not in IMAGE_EXTENSIONS and not sniff_image_type(p):
            report.not_images.append(p)
        elif os.path.getsize(p) == 0:
            report.empty.append(p)
        else:
            report.images.append(p)
    return report.images, report, missing


def _label_and_split(path: str, root: str, splits: set[str], labelled: bool
                     ) -> tuple[str | None, str | None]:  # fmt: skip
    parts = os.path.relpath(path, root).split(os.sep)[:-1]  # folders only
    split = parts[0] if parts and parts[0] in splits else None
    rest = parts[1:] if split else parts
    label = rest[0] if labelled and rest else None
    return label, split


def _unwrap(folder: str) -> str:
    """The folder an archive really starts at: archives usually wrap everything in one
    top folder (``pics.tgz`` -> ``pics/train/...``), which is no class and no split."""
    while True:
        entries = [e for e in os.scandir(folder) if not e.name.startswith(".")]
        if len(entries) != 1 or not entries[0].is_dir() or split_name(entries[0].name):
            return folder
        folder = entries[0].path


def _unique_dir(base: str) -> str:
    path, n = base, 1
    while os.path.exists(path) and os.listdir(path):
        n += 1
        path = f"{base}-{n}"
    return path


def load_source(
    source: str, name: str | None = None, labels: str = "none",
    label_field: str = "ground_truth", overwrite: bool = False, extract_dir: str | None = None,
) -> tuple[dc.Dataset, SourceReport]:  # fmt: skip
    """Read a folder, tree, file list or archive into a new dataset.

    Args:
        source: the path (see the module doc for what it may be).
        name: the dataset's name (default: the source's base name).
        labels: ``"dir-tree"`` to take each image's class from its folder, or ``"none"``.
        label_field: where labels go.
        overwrite: replace a dataset of that name (never any file).
        extract_dir: where an archive is extracted.

    Returns:
        ``(dataset, report)``; the report's notes say what was skipped.

    Raises:
        MediaError: the source is missing or holds no images.
        ValueError: an unknown ``labels`` mode.
    """
    if labels not in LABEL_MODES:
        raise BrainError(f"labels must be one of {LABEL_MODES}; got {labels!r}")
    src = os.path.abspath(os.path.expanduser(os.fspath(source)))
    if not os.path.exists(src):
        raise MediaError(f"{src!r} does not exist; pass a folder, a file list or an archive")
    stem = os.path.basename(src.rstrip(os.sep))
    for suffix in (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz2", ".txz", ".tar", ".zip",
                   ".txt", ".csv", ".lst"):  # fmt: skip
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    name = name or stem or "dataset"
    notes: list[str] = []
    missing: list[str] = []
    if is_archive(src):
        dest = extract_dir or _unique_dir(os.path.join(str(config.home), "media", name))
        extracted = extract_archive(src, dest)
        if extracted.describe():
            notes.append(extracted.describe())
        kind, root = "archive", _unwrap(extracted.dest)
        scan = scan_images(root)
    elif os.path.isdir(src):
        kind, root = "folder", src
        scan = scan_images(root)
    else:
        kind = "file list"
        images, scan, missing = _read_list(src)
        root = os.path.commonpath(images) if images else os.path.dirname(src)
        if len(images) == 1:
            root = os.path.dirname(root)
    if scan.describe():
        notes.append(scan.describe())
    if missing:
        eg = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
        notes.append(f"Skipped {len(missing)} listed paths that do not exist: {eg}")
    if not scan.images:
        raise MediaError(
            f"No images found in {src!r}" + (f" ({'; '.join(notes)})" if notes else "")
        )
    top = {os.path.relpath(p, root).split(os.sep)[0] for p in scan.images
           if os.sep in os.path.relpath(p, root)}  # fmt: skip
    splits = sorted((t for t in top if split_name(t)), key=split_order)
    samples = []
    for path in scan.images:
        label, split = _label_and_split(path, root, set(splits), labels == "dir-tree")
        fields = {label_field: dc.Classification(label=label) if label else None}
        samples.append(dc.Sample(path, tags=[split] if split else [], **fields))
    if not overwrite and kind != "archive" and dc.dataset_exists(name):
        earlier = dc.load_dataset(name)
        if sorted(earlier.values("filepath")) == sorted(scan.images):
            # the same source imported by an earlier run (one a crash cut short after the
            # import, say): the same command, run again, goes on with that dataset
            notes.append(f"Reusing dataset {name!r}: it holds exactly these {len(samples)} "
                         "images (pass overwrite=True to import them afresh)")  # fmt: skip
            return earlier, SourceReport(kind, root, splits, notes)
    with staged_dataset(name, overwrite=overwrite) as dataset:  # visible only when complete
        dataset.add_samples(samples)
        if labels == "dir-tree":
            classes = sorted({s[label_field].label for s in samples if s[label_field]})
            dataset.classes = {label_field: classes}
            dataset.default_classes = classes
    return dataset, SourceReport(kind, root, splits, notes)
