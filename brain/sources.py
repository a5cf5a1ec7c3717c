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

**Annotations** (``annotations=``, ``dsc analyze DIR --annotations PATH``): boxes
read by :func:`read_annotations` from a COCO detection ``.json``, a YOLOv5
folder (with ``data.yaml`` or ``dataset.yaml``; every split it names) or that
YAML itself, or fastdup's annotations ``.csv`` (``filename,col_x,row_y,width,
height,label``), with the formats of :mod:`dataset_core.formats`. Each entry is
matched to an image of the source by its path (relative to the source, or
absolute); the boxes go into the Detections field ``objects_field``
(:data:`DEFAULT_OBJECTS_FIELD`, ``"detections"``: not ``label_field``, which
holds a dir-tree's image classes, so a dataset can have both). Split tags the
annotations carry (YOLOv5's splits, the CSV's ``split`` column) are added. A
malformed file raises one line before anything is imported.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import dataset_core as dc
from dataset_core.archives import extract_archive, is_archive
from dataset_core.collection import SampleCollection
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
#: where annotations' boxes go (``label_field`` keeps the image classes of a dir-tree)
DEFAULT_OBJECTS_FIELD = "detections"
#: the annotation formats read, by the name the notes use -> dataset_core format key
ANNOTATION_FORMATS = {"COCO": "coco-detection", "YOLOv5": "yolov5",
                      "fastdup CSV": "fastdup-annotations"}  # fmt: skip
_YOLO_YAMLS = ("data.yaml", "dataset.yaml")


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


@dataclass
class Annotations:
    """The boxes of an annotations file, by image, ready to join a source's images.

    Attributes:
        kind: the format read (a key of :data:`ANNOTATION_FORMATS`).
        path: the file (or YOLOv5 folder) read.
        field: the Detections field they go into.
        labels: normalised image path -> its Detections.
        tags: normalised image path -> tags the annotations give it (splits).
        classes: the class list the file declares, if any.
        notes: one line each about what was skipped while reading.
    """

    kind: str
    path: str
    field: str
    labels: dict[str, Any]
    tags: dict[str, list[str]]
    classes: list[str] | None
    notes: list[str]

    def match(self, paths: list[str]) -> dict[str, str]:
        """Image path -> the annotations' key for it: the same path, else (for entries
        naming files that do not exist here, e.g. absolute paths of another machine) the
        same file name, where that name is unique on both sides."""
        found = {p: _norm(p) for p in paths if _norm(p) in self.labels}
        taken = set(found.values())
        lost = [k for k in self.labels if k not in taken and not os.path.isfile(k)]
        names = Counter(os.path.basename(k) for k in lost)
        by_name = {os.path.basename(k): k for k in lost if names[os.path.basename(k)] == 1}
        left = [p for p in paths if p not in found]
        mine = Counter(os.path.basename(p) for p in left)
        for p in left:
            if mine[os.path.basename(p)] == 1 and os.path.basename(p) in by_name:
                found[p] = by_name[os.path.basename(p)]
        return found

    def describe_match(self, paths: list[str], matched: dict[str, str]) -> list[str]:
        """One line on what was imported (``matched``: :meth:`match` of ``paths``), and
        one each on what did not match."""
        objects = sum(len(getattr(self.labels[k], "detections", None) or ())
                      for k in matched.values())  # fmt: skip
        lines = [f"Imported {objects} objects of {len(matched)} images from the "
                 f"{self.kind} annotations {self.path} into {self.field!r}"]  # fmt: skip
        if by_name := sum(_norm(p) != k for p, k in matched.items()):
            lines.append(f"Matched {by_name} annotated images by file name alone (the paths "
                         "the annotations give do not exist here)")  # fmt: skip
        if outside := sorted(set(self.labels) - set(matched.values())):
            eg = ", ".join(os.path.basename(p) for p in outside[:3])
            eg += ", ..." if len(outside) > 3 else ""
            lines.append(f"Skipped {len(outside)} annotated images that are not among the "
                         f"source's images ({eg})")  # fmt: skip
        if bare := len(paths) - len(matched):
            lines.append(f"{bare} images have no annotations (no objects in {self.field!r})")
        return lines


def _norm(path: str) -> str:
    return os.path.normcase(os.path.normpath(os.path.abspath(path)))


def annotation_format(path: str) -> tuple[str, dict[str, Any]]:
    """The format of an annotations path and the arguments that read it.

    Returns:
        ``(kind, kwargs)``: a key of :data:`ANNOTATION_FORMATS` and the
        arguments of :func:`dataset_core.importers.parse_dir` besides the images.

    Raises:
        MediaError: the path is missing or in none of the formats.
    """
    if os.path.isdir(path):
        yamls = [n for n in _YOLO_YAMLS if os.path.isfile(os.path.join(path, n))]
        if yamls:
            return "YOLOv5", {"dataset_dir": path, "yaml_path": yamls[0], "split": None}
    elif os.path.isfile(path):
        ext = os.path.splitext(path)[1].lower()
        if ext == ".json":  # label_types as a string: the boxes go to the field itself
            return "COCO", {"labels_path": path, "label_types": "detections"}
        if ext == ".csv":
            return "fastdup CSV", {"labels_path": path}
        if ext in (".yaml", ".yml"):
            return "YOLOv5", {"dataset_dir": os.path.dirname(path), "yaml_path": path,
                              "split": None}  # fmt: skip
    else:
        raise MediaError(f"Annotations {path!r} do not exist; pass a COCO .json, a fastdup "
                         "annotations .csv or a YOLOv5 folder")  # fmt: skip
    raise MediaError(
        f"Cannot tell the format of the annotations {path!r}: expected a COCO detection "
        f".json, a fastdup annotations .csv (filename,col_x,row_y,width,height,label) or a "
        f"YOLOv5 folder with {' or '.join(_YOLO_YAMLS)}"
    )


def read_annotations(path: str, images_root: str,
                     field: str = DEFAULT_OBJECTS_FIELD) -> Annotations:  # fmt: skip
    """Read the boxes of ``path`` (see the module doc), file names relative to ``images_root``.

    Raises:
        MediaError: a missing, unknown or malformed file (one line saying where).
    """
    from dataset_core.importers import parse_dir

    src = os.path.abspath(os.path.expanduser(os.fspath(path)))
    kind, kwargs = annotation_format(src)
    if kind != "YOLOv5":
        kwargs.update(dataset_dir=images_root, data_path=images_root)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # the parsers' notes join the summary
        parsed = parse_dir(dataset_type=ANNOTATION_FORMATS[kind], label_field=field, **kwargs)
    labels, tags = {}, {}
    for sample in parsed.samples:
        key = _norm(sample.filepath)
        labels[key] = sample.get_field(field, None)
        tags[key] = list(sample.tags)
    notes = [line for line in printed.getvalue().splitlines() if line.strip()]
    return Annotations(kind, src, field, labels, tags, parsed.classes, notes)


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
    annotations: str | None = None, objects_field: str = DEFAULT_OBJECTS_FIELD,
) -> tuple[dc.Dataset, SourceReport]:  # fmt: skip
    """Read a folder, tree, file list or archive into a new dataset.

    Args:
        source: the path (see the module doc for what it may be).
        name: the dataset's name (default: the source's base name).
        labels: ``"dir-tree"`` to take each image's class from its folder, or ``"none"``.
        label_field: where labels go.
        overwrite: replace a dataset of that name (never any file).
        extract_dir: where an archive is extracted.
        annotations: boxes to import with the images (see the module doc).
        objects_field: the Detections field they go into.

    Returns:
        ``(dataset, report)``; the report's notes say what was skipped.

    Raises:
        MediaError: the source is missing or holds no images, or the
            annotations are missing or malformed (nothing is imported then).
        BrainError: an unknown ``labels`` mode, or ``objects_field`` is the
            dir-tree's ``label_field``.
    """
    if labels not in LABEL_MODES:
        raise BrainError(f"labels must be one of {LABEL_MODES}; got {labels!r}")
    if annotations is not None and labels == "dir-tree" and objects_field == label_field:
        raise BrainError(f"The dir-tree classes and the annotations' boxes cannot both go into "
                         f"{label_field!r}; pass another objects field")  # fmt: skip
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
    ann = read_annotations(annotations, root, objects_field) if annotations else None
    matched: dict[str, str] = {}
    if ann is not None:  # read before anything is imported: a malformed file stops here
        matched = ann.match(scan.images)
        notes += ann.notes + ann.describe_match(scan.images, matched)
        found = {t for tags in ann.tags.values() for t in tags if split_name(t)}
        splits = sorted(set(splits) | found, key=split_order)
    samples = []
    for path in scan.images:
        label, split = _label_and_split(path, root, set(splits), labels == "dir-tree")
        fields = {label_field: dc.Classification(label=label) if label else None}
        tags = [split] if split else []
        if ann is not None:
            key = matched.get(path)
            fields[objects_field] = ann.labels.get(key) if key else None
            tags = sorted(set(tags) | set(ann.tags.get(key, ()) if key else ()))
        samples.append(dc.Sample(path, tags=tags, **fields))
    if not overwrite and kind != "archive" and dc.dataset_exists(name):
        earlier = dc.load_dataset(name)
        if sorted(earlier.values("filepath")) == sorted(scan.images):
            # the same source imported by an earlier run (one a crash cut short after the
            # import, say): the same command, run again, goes on with that dataset
            notes.append(f"Reusing dataset {name!r}: it holds exactly these {len(samples)} "
                         "images (pass overwrite=True to import them afresh)")  # fmt: skip
            if ann is not None:
                attach_annotations(earlier, ann)
            return earlier, SourceReport(kind, root, splits, notes)
    with staged_dataset(name, overwrite=overwrite) as dataset:  # visible only when complete
        dataset.add_samples(samples)
        classes_by_field = {}
        if labels == "dir-tree":
            classes = sorted({s[label_field].label for s in samples if s[label_field]})
            classes_by_field[label_field] = classes
            dataset.default_classes = classes
        if ann is not None and ann.classes:
            classes_by_field[objects_field] = list(ann.classes)
        if classes_by_field:
            dataset.classes = classes_by_field
    return dataset, SourceReport(kind, root, splits, notes)


def attach_annotations(samples: SampleCollection, ann: Annotations) -> list[str]:
    """Set ``ann``'s boxes (and split tags) on the samples of ``samples`` they name, by
    filepath; a sample they do not name gets no objects (the field is None).

    Returns:
        The lines describing what was matched (see :meth:`Annotations.describe_match`).
    """
    ids, paths, old_tags = samples.values(["id", "filepath", "tags"])
    matched = ann.match(paths)
    keys = [matched.get(p, "") for p in paths]
    samples.set_values(ann.field, {i: ann.labels.get(k) for i, k in
                                   zip(ids, keys, strict=True)})  # fmt: skip
    tags = {i: sorted(set(t or ()) | set(ann.tags.get(k, ())))
            for i, k, t in zip(ids, keys, old_tags, strict=True)}  # fmt: skip
    changed = {i: t for i, t, old in zip(ids, tags.values(), old_tags, strict=True)
               if t != sorted(old or ())}  # fmt: skip
    if changed:
        samples.set_values("tags", changed)
    if ann.classes:
        dataset = samples.dataset
        dataset.classes = {**(dataset.classes or {}), ann.field: list(ann.classes)}
        dataset.save()
    return ann.describe_match(paths, matched)
