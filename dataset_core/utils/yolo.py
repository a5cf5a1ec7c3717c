"""YOLO labels files onto an existing collection: :func:`add_yolo_labels`
(FiftyOne's ``fiftyone.utils.yolo.add_yolo_labels``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..errors import MediaError
from ..formats.boxes import Clipper, label_file_key, list_label_files
from ..formats.yolo import read_yolo
from ..labels import Detections

if TYPE_CHECKING:
    from ..collection import SampleCollection

__all__ = ["add_yolo_labels"]


def add_yolo_labels(sample_collection: SampleCollection, label_field: str, labels_path: Any,
                    classes: list[str] | None = None,
                    include_missing: bool = False) -> None:  # fmt: skip
    """Add YOLO labels files (``<class> <xc> <yc> <w> <h> [<conf>]`` lines) as Detections.

    Args:
        sample_collection: the dataset or view the labels belong to.
        label_field: the field the Detections go to (created if needed).
        labels_path: a folder of ``.txt`` files named like the images (a
            file's path under the folder, or its name, without extension,
            matches an image's file name without extension); a list of files,
            one per sample in order; or a dict from image file name or
            absolute filepath to labels file.
        classes: the class names by index; default: the dataset's ``classes``.
        include_missing: give the samples that get no labels file (and have
            no ``label_field`` yet) empty Detections instead of None.

    Raises:
        MediaError: no classes, a missing folder, a list of the wrong length,
            or a malformed labels file (one line naming file and line).

    Example:
        >>> import dataset_core.utils.yolo as fouy
        >>> fouy.add_yolo_labels(dataset, "yolo", "/tmp/export/labels/val", ["cat", "dog"])
    """
    if classes is None:
        classes = sample_collection._dataset._field_classes(label_field)
    classes = list(classes)
    if not classes:
        raise MediaError("add_yolo_labels needs the class names by index; pass classes=")
    clipper = Clipper()
    filepaths, ids = sample_collection.values("filepath"), sample_collection.values("id")
    if isinstance(labels_path, (list, tuple)):
        if len(labels_path) != len(ids):
            raise MediaError(f"add_yolo_labels got {len(labels_path)} labels files for "
                             f"{len(ids)} samples; pass one per sample, in order")  # fmt: skip
        pairs = [(sid, p) for sid, p in zip(ids, labels_path, strict=True) if p]
    else:
        pairs = _match(labels_path, filepaths, ids)
    values = {sid: read_yolo(os.fspath(p), classes, clipper) for sid, p in pairs}
    clipper.report(str(labels_path) if isinstance(labels_path, (str, os.PathLike)) else "labels")
    if include_missing:
        existing = (sample_collection.values(label_field)
                    if sample_collection.has_field(label_field) else [None] * len(ids))  # fmt: skip
        have = dict(zip(ids, existing, strict=True))
        for sid in ids:
            if sid not in values and have.get(sid) is None:
                values[sid] = Detections(detections=[])
    if values:
        sample_collection.set_values(label_field, values)


def _match(labels_path: Any, filepaths: list[str], ids: list[str]) -> list[tuple[str, str]]:
    """``(sample id, labels file)`` for a folder or a dict of labels files."""
    if isinstance(labels_path, dict):
        by_key = {os.fspath(k): os.fspath(v) for k, v in labels_path.items()}
        absolute = bool(by_key) and os.path.isabs(next(iter(by_key)))
        keys = [p if absolute else os.path.basename(p) for p in filepaths]
        return [(sid, by_key[k]) for sid, k in zip(ids, keys, strict=True) if k in by_key]
    root = os.path.expanduser(os.fspath(labels_path))
    if not os.path.isdir(root):
        raise MediaError(f"YOLO labels folder {root!r} does not exist; pass the folder of "
                         ".txt files (e.g. <export>/labels/val)")  # fmt: skip
    by_key: dict[str, str] = {}
    for file in list_label_files(root, ".txt"):
        key = label_file_key(root, file)
        by_key.setdefault(key, file)
        by_key.setdefault(key.rsplit("/", 1)[-1], file)
    pairs, unmatched = [], set(by_key.values())
    for sid, path in zip(ids, filepaths, strict=True):
        file = by_key.get(os.path.splitext(os.path.basename(path))[0])
        if file is not None:
            pairs.append((sid, file))
            unmatched.discard(file)
    if unmatched:
        print(f"Skipped {len(unmatched)} labels files of {root} that match no image name "
              f"(e.g. {sorted(unmatched)[:3]})")  # fmt: skip
    return pairs
