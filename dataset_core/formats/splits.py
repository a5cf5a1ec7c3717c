"""Split folders for the formats that have no split of their own (COCO, VOC).

FiftyOne's recipe for splits in these formats is one export per split, each in
its own folder, and ``tags=split`` when they are read back. ``split=`` does both
here:

- export: ``split="train"`` writes the export into ``<export_dir>/train/``
  (the format's own layout inside it); exporting another split into the same
  ``export_dir`` adds its folder beside the first.
- import: ``split="train"`` reads ``<dataset_dir>/train/``; a list of splits
  reads each and tags its samples with their split; None reads the folder
  itself when it holds the format's layout, else every sub-folder that does,
  tagged with its split. As for YOLOv5, one split named as a string is not
  tagged (its samples are all of that split).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ..errors import ExportError, MediaError
from ..importers import Parsed

#: splits listed first, in this order, when every split folder is read
SPLITS = ("train", "val", "validation", "test")


def check_split(split: Any, fmt: str) -> None:
    """Refuse a ``split`` that is not one folder name.

    Raises:
        ExportError: ``split`` is not a plain folder name.
    """
    if not isinstance(split, str) or not split or "/" in split or split.startswith("."):
        raise ExportError(f"split={split!r}: a {fmt} export writes one split, named by a "
                          "folder name such as 'train' or 'val'")  # fmt: skip


class SplitExportMixin:
    """``split=``: the export goes into ``<export_dir>/<split>/``.

    The exporter calls :meth:`_place_split` in its constructor, after its
    options are known; :meth:`adds_to` lets a second split join the first.
    """

    opts: dict[str, Any]
    labels_name: str
    data_name: str
    name: str

    def _place_split(self) -> None:
        split = self.opts.get("split")
        if split is None:
            return
        check_split(split, self.name)
        self.labels_name = f"{split}/{self.labels_name}"
        self.data_name = f"{split}/{self.data_name}"

    def adds_to(self, root: str) -> bool:
        """A directory without this split's folder (or with an empty one) takes it."""
        split = self.opts.get("split")
        if split is None:
            return False
        folder = os.path.join(root, split)
        return not os.path.exists(folder) or (os.path.isdir(folder) and not os.listdir(folder))

    def _check_split_root(self, root: str | None) -> None:
        if self.opts.get("split") is not None and root is None:
            raise ExportError(f"{self.name}: split= names a folder of export_dir; pass "
                              "export_dir (labels_path alone has no split folders)")  # fmt: skip


def split_names(dataset_dir: str | None, split: str | list[str] | None,
                has_layout: Callable[[str], bool]) -> list[str]:  # fmt: skip
    """The split folders of ``dataset_dir`` to read ([]: read it as one folder).

    Args:
        dataset_dir: the dataset's folder.
        split: one split, a list of them, or None (every sub-folder holding the
            format's layout, when ``dataset_dir`` itself holds none).
        has_layout: whether a folder holds the format's layout.

    Raises:
        MediaError: a split that is not such a sub-folder (the line lists those
            that are).
    """
    if dataset_dir is None:
        if split is not None:
            raise MediaError(f"split={split!r} names folders of dataset_dir; pass dataset_dir")
        return []
    if split is None and has_layout(dataset_dir):
        return []
    found = [d for d in _subfolders(dataset_dir) if has_layout(os.path.join(dataset_dir, d))]
    found.sort(key=lambda d: (SPLITS.index(d) if d in SPLITS else len(SPLITS), d))
    if split is None:
        return found
    wanted = [split] if isinstance(split, str) else list(split)
    missing = [s for s in wanted if s not in found]
    if missing or not wanted:
        raise MediaError(f"{dataset_dir!r} has no split {missing or split!r}; its splits: "
                         f"{found}")  # fmt: skip
    return wanted


def _subfolders(root: str) -> list[str]:
    try:
        return [d.name for d in os.scandir(root) if d.is_dir() and not d.name.startswith(".")]
    except OSError:
        return []


def read_splits(dataset_dir: str, names: list[str], tag: bool,
                parse: Callable[[str], Parsed]) -> Parsed:  # fmt: skip
    """The samples of each split folder, tagged with their split when ``tag``;
    the classes are the first split's, then those the others add."""
    samples, classes = [], []
    for name in names:
        parsed = parse(os.path.join(dataset_dir, name))
        for sample in parsed.samples:
            if tag:
                sample.tags = sorted(set(sample.tags) | {name})
            samples.append(sample)
        classes.extend(c for c in parsed.classes or [] if c not in classes)
    return Parsed(samples, classes or None)
