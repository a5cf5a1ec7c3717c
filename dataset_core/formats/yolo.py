"""``YOLOv4Dataset`` and ``YOLOv5Dataset``: darknet text labels, one file per image.

Each line of a labels file is one object::

    <class index> <x center> <y center> <width> <height> [<confidence>]

with the box relative to the image and the confidence only with
``include_confidence=True``. An image whose label is None gets no file; one
with empty Detections an empty file.

YOLOv8 segmentation lines (``<class> <x1> <y1> <x2> <y2> <x3> <y3> ...``,
relative points of one polygon) are read too. ``label_type=`` says what a
dataset is read as: ``"detections"`` (a polygon as its extent),
``"polylines"`` (closed, filled Polylines; a box as its rectangle) or None,
the default: polylines when any line of the dataset is a polygon, else
detections (one field holds one type). A Polylines field is exported as
segmentation lines, one per shape (a polyline of two shapes gives two lines).

- ``YOLOv4Dataset``: ``obj.names`` (a class per line), ``images.txt`` (the
  exported images, relative to the export directory) and ``data/`` holding
  each image with its ``.txt`` beside it. A labels-only export writes its
  ``obj.names`` into the labels folder, where the importer finds it.
- ``YOLOv5Dataset`` (also YOLOv8's layout): ``dataset.yaml`` (``path``, one
  entry per split, ``names``), ``images/<split>/`` and ``labels/<split>/``.
  ``split=`` (default ``"val"``) says which split an export writes; exporting
  another split into the same directory adds it to ``dataset.yaml``. On import
  ``split`` is one split, or a list of them (or None: every split in the YAML),
  whose samples are then tagged with their split. ``data.yaml`` is read when
  there is no ``dataset.yaml``.
"""

from __future__ import annotations

import os
from typing import Any

import yaml

from ..errors import ExportError, MediaError
from ..exporters import ExportReport, Layout
from ..importers import Parsed
from ..labels import Detection, Detections, Polyline, Polylines
from ..media import scan_images
from ..sample import Sample
from .boxes import Clipper, malformed
from .paths import report_missing, resolve, write_text_atomically
from .per_image import PerImageExporter

OBJECTS_FILE = "obj.names"
IMAGES_FILE = "images.txt"
YAML_FILES = ("dataset.yaml", "data.yaml")
#: the splits a YAML is searched for when ``split=None``
SPLITS = ("train", "val", "test")


class _YOLOExporter(PerImageExporter):
    needs_size = False
    label_types = ("Detections", "Detection", "Polylines", "Polyline")

    def render(self, objects: list[dict[str, Any]], image: dict[str, Any]) -> str:
        index = {c: i for i, c in enumerate(self.classes)}
        lines = []
        for obj in objects:
            label = obj.get("label")
            if label not in index:
                raise ExportError(f"Label {label!r} of {image['filepath']!r} is not in classes "
                                  f"{self.classes}; pass classes= with every label")  # fmt: skip
            if obj.get("_cls") == "Polyline":  # one segmentation line per shape
                for shape in obj.get("points") or []:
                    if len(shape) >= 3:
                        coords = [repr(float(v)) for point in shape for v in point[:2]]
                        lines.append(" ".join([str(index[label]), *coords]))
                continue
            x, y, w, h = obj.get("bounding_box") or (0.0, 0.0, 0.0, 0.0)
            values = [x + w / 2, y + h / 2, w, h]
            if self.opts["include_confidence"] and obj.get("confidence") is not None:
                values.append(obj["confidence"])
            lines.append(" ".join([str(index[label])] + [repr(float(v)) for v in values]))
        return "".join(line + "\n" for line in lines)


class YOLOv4Exporter(_YOLOExporter):
    """``obj.names``, ``images.txt`` and ``data/`` with labels beside the images."""

    name = "yolov4"
    labels_name = "data"
    options = {"classes": None, "include_confidence": False, "objects_path": None,
               "images_path": None}  # fmt: skip

    def finish(self, layout: Layout, exported: list[str]) -> None:
        assert layout.labels_path is not None
        if layout.root is None:  # labels only: the class names go with the labels
            objects = os.path.join(layout.labels_path, OBJECTS_FILE)
        else:
            objects = _under(layout.root, self.opts["objects_path"], OBJECTS_FILE)
        write_text_atomically(objects, "".join(c + "\n" for c in self.classes))
        if layout.root is not None and layout.data_dir is not None:
            listing = _under(layout.root, self.opts["images_path"], IMAGES_FILE)
            rel = os.path.relpath(layout.data_dir, os.path.dirname(listing))
            lines = [os.path.join(rel, e).replace(os.sep, "/") for e in exported]
            write_text_atomically(listing, "".join(line + "\n" for line in lines))


class YOLOv5Exporter(_YOLOExporter):
    """``dataset.yaml``, ``images/<split>/`` and ``labels/<split>/``."""

    name = "yolov5"
    options = {"classes": None, "include_confidence": False, "split": "val",
               "yaml_path": None}  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        split = self.opts["split"]
        if not isinstance(split, str) or not split or "/" in split or split.startswith("."):
            raise ExportError(f"split={split!r}: a YOLOv5 export writes one split, named by a "
                              "folder name such as 'train' or 'val'")  # fmt: skip
        self.data_name = f"images/{split}"
        self.labels_name = f"labels/{split}"
        self._known: list[str] = []

    def _yaml(self, root: str) -> str:
        return _under(root, self.opts["yaml_path"], YAML_FILES[0])

    def adds_to(self, root: str) -> bool:
        """A directory holding a YOLOv5 export without this split takes it."""
        split = self.opts["split"]
        folders = [os.path.join(root, d, split) for d in ("images", "labels")]
        fresh = all(not os.path.exists(f) or not os.listdir(f) for f in folders)
        return os.path.isfile(self._yaml(root)) and fresh

    def write(self, layout: Layout) -> ExportReport:
        path = self._yaml(layout.root) if layout.root else None
        existing = _read_yaml(path) if path and os.path.isfile(path) else {}
        self._known = _names(existing.get("names"), path or "") or []
        return super().write(layout)

    def pick_classes(self, seen: list[str]) -> list[str]:
        """A split added to an export keeps its class indices; new labels go after them."""
        chosen = super().pick_classes(seen)
        return self._known + [c for c in chosen if c not in self._known]

    def finish(self, layout: Layout, exported: list[str]) -> None:
        if layout.root is None:
            return
        path = self._yaml(layout.root)
        content = _read_yaml(path) if os.path.isfile(path) else {}
        content["path"] = layout.root
        if layout.data_dir is not None:
            rel = os.path.relpath(layout.data_dir, layout.root).replace(os.sep, "/")
            content[self.opts["split"]] = f"./{rel}/"
        content["nc"] = len(self.classes)
        content["names"] = dict(enumerate(self.classes))
        write_text_atomically(path, yaml.safe_dump(content, sort_keys=False))


def _under(root: str, path: str | None, default: str) -> str:
    path = os.path.expanduser(path) if path is not None else default
    return path if os.path.isabs(path) else os.path.join(root, path)


def _read_yaml(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            content = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise MediaError(f"Cannot read YOLO dataset YAML {path!r}: {e}") from None
    if not isinstance(content, dict):
        raise MediaError(f"{path!r} is not a YOLO dataset YAML: it needs a mapping with "
                         "'names' and one entry per split")  # fmt: skip
    return content


def _names(names: Any, path: str) -> list[str] | None:
    """The class list of a YAML's ``names`` (a list, or a dict by index)."""
    if names is None:
        return None
    if isinstance(names, dict):
        try:
            by_index = {int(k): str(v) for k, v in names.items()}
        except (TypeError, ValueError):
            raise malformed(path, "'names'", "keys must be class indices") from None
        return [by_index.get(i, str(i)) for i in range(max(by_index, default=-1) + 1)]
    if isinstance(names, list):
        return [str(n) for n in names]
    raise malformed(path, "'names'", f"expected a list or a mapping, got {names!r}")


#: a row of a YOLO labels file: (label, box [x, y, w, h] or None, polygon points or
#: None, confidence)
Row = tuple[str, "list[float] | None", "list[list[float]] | None", "float | None"]
#: the label types a YOLO file is read as
LABEL_TYPES = ("detections", "polylines")


def read_rows(path: str, classes: list[str] | None, clipper: Clipper) -> list[Row]:
    """The objects of one YOLO labels file: boxes (YOLOv4/v5/v8 detection lines)
    and polygons (YOLOv8 segmentation lines, ``<class> x1 y1 x2 y2 ...``).

    A box or polygon reaching outside the image is clipped to it and counted;
    one entirely outside is dropped and counted (see :class:`Clipper`).

    Raises:
        MediaError: a line that is neither (5 or 6 numbers, or a class and 3 or
            more points), a value that is not a number, or a class index out of
            range.
    """
    rows: list[Row] = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            polygon = len(parts) >= 7
            if len(parts) < 5 or (polygon and len(parts) % 2 == 0):
                raise malformed(path, f"line {n}", "expected '<class> <x center> <y center> "
                                "<width> <height> [<confidence>]' or a polygon '<class> <x1> "
                                f"<y1> <x2> <y2> <x3> <y3> ...', got {line.strip()!r}")  # fmt: skip
            try:
                values = [float(p) for p in parts]
            except ValueError as e:
                raise malformed(path, f"line {n}", f"not a number ({e})") from None
            target = values[0]
            if not target.is_integer() or target < 0:
                raise malformed(path, f"line {n}", f"class {parts[0]!r} is not an index")
            target = int(target)
            if classes is not None and target >= len(classes):
                raise malformed(path, f"line {n}", f"class {target} but there are only "
                                                   f"{len(classes)} class names")  # fmt: skip
            label = classes[target] if classes is not None else str(target)
            where = f"{os.path.basename(path)} line {n}"
            if polygon:
                xs, ys = values[1::2], values[2::2]
                extent = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
                if clipper.clip(extent, where) is None:  # entirely outside: dropped
                    continue
                points = [[min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)]
                          for x, y in zip(xs, ys, strict=True)]  # fmt: skip
                rows.append((label, None, points, None))
                continue
            xc, yc, w, h = values[1:5]
            box = clipper.clip([xc - w / 2, yc - h / 2, w, h], where)
            if box is None:  # entirely outside the image: counted and dropped
                continue
            rows.append((label, box, None, values[5] if len(values) == 6 else None))
    return rows


def label_type_of(rows: list[list[Row]], label_type: str | None) -> str:
    """``label_type`` checked, or the one the rows call for (None): polylines when
    any row is a polygon, else detections.

    Raises:
        MediaError: an unknown label type.
    """
    if label_type is None:
        polygons = any(points is not None for file in rows for _, _, points, _ in file)
        return "polylines" if polygons else "detections"
    if label_type not in LABEL_TYPES:
        raise MediaError(f"label_type={label_type!r}: YOLO labels are read as {LABEL_TYPES}")
    return label_type


def to_label(rows: list[Row], label_type: str) -> Detections | Polylines:
    """The rows of one file as Detections (a polygon as its extent) or as Polylines
    (closed and filled; a box as its rectangle)."""
    if label_type == "detections":
        dets = []
        for label, box, points, conf in rows:
            if box is None:
                assert points is not None
                xs, ys = [p[0] for p in points], [p[1] for p in points]
                box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
            dets.append(Detection(label=label, bounding_box=box, confidence=conf))
        return Detections(detections=dets)
    lines = []
    for label, box, points, conf in rows:
        if points is None:
            assert box is not None
            x, y, w, h = box
            points = [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]
        lines.append(Polyline(label=label, points=[points], confidence=conf, closed=True,
                              filled=True))  # fmt: skip
    return Polylines(polylines=lines)


def read_yolo(path: str, classes: list[str] | None, clipper: Clipper,
              label_type: str = "detections") -> Detections | Polylines:  # fmt: skip
    """The labels of one YOLO labels file (see :func:`read_rows`).

    Args:
        path: the ``.txt`` file.
        classes: the names by class index (None: the index as text).
        clipper: clips and counts boxes that reach outside the image.
        label_type: ``"detections"`` (a polygon as its extent) or ``"polylines"``.

    Raises:
        MediaError: a malformed line (one line naming the file, the line and what
            is wrong).
    """
    return to_label(read_rows(path, classes, clipper), label_type)


def _read_lines(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def parse_yolov4(dataset_dir: str | None, data_path: str | None, labels_path: str | None,
                 label_field: str | None, images_path: str | None = None,
                 objects_path: str | None = None, classes: list[str] | None = None,
                 include_all_data: bool = False,
                 label_type: str | None = None) -> Parsed:  # fmt: skip
    """The samples of a YOLOv4Dataset; see the module docstring."""
    data_dir = resolve(dataset_dir, data_path, "data")
    labels_dir = resolve(dataset_dir, labels_path, ".") if labels_path is not None else None
    listing = resolve(dataset_dir, images_path, IMAGES_FILE)
    if listing is not None and os.path.isfile(listing):
        base = os.path.dirname(listing)
        images = [p if os.path.isabs(p) else os.path.normpath(os.path.join(base, p))
                  for p in _read_lines(listing)]  # fmt: skip
    elif data_dir is not None and os.path.isdir(data_dir):
        images = scan_images(data_dir, recursive=True).images
    else:
        raise MediaError(f"No {IMAGES_FILE} and no images folder {data_dir!r}; pass "
                         "dataset_dir or data_path")  # fmt: skip
    if classes is None:
        for candidate in (resolve(dataset_dir, objects_path, OBJECTS_FILE),
                          labels_dir and os.path.join(labels_dir, OBJECTS_FILE)):  # fmt: skip
            if candidate and os.path.isfile(candidate):
                classes = _read_lines(candidate)
                break
    clipper = Clipper()
    field = label_field or "ground_truth"
    found: list[tuple[str, list[str], list[Row] | None]] = []
    for image in images:
        txt = _v4_labels_file(image, data_dir, labels_dir)
        if txt is not None:
            found.append((image, [], read_rows(txt, classes, clipper)))
        elif include_all_data:
            found.append((image, [], None))
    clipper.report(labels_dir or data_dir or "YOLO labels")
    return Parsed(_samples(found, field, label_type), list(classes) if classes else None)


def _samples(found: list[tuple[str, list[str], list[Row] | None]], field: str,
             label_type: str | None) -> list[Sample]:  # fmt: skip
    """``(image, tags, rows or None)`` as samples, all of one label type (a field
    holds one type: a dataset with any polygon is read as Polylines)."""
    kind = label_type_of([rows for *_, rows in found if rows is not None], label_type)
    return [Sample(image, tags=tags, **({} if rows is None else {field: to_label(rows, kind)}))
            for image, tags, rows in found]  # fmt: skip


def _v4_labels_file(image: str, data_dir: str | None, labels_dir: str | None) -> str | None:
    """The labels file of ``image``: beside it, or in ``labels_dir`` by its path
    under ``data_dir`` (then by its name) without extension."""
    stem = os.path.splitext(image)[0]
    if labels_dir is None:
        candidates = [stem + ".txt"]
    else:
        candidates = []
        if data_dir is not None:
            rel = os.path.relpath(stem, data_dir)
            if not rel.startswith(".."):
                candidates.append(os.path.join(labels_dir, rel + ".txt"))
        candidates.append(os.path.join(labels_dir, os.path.basename(stem) + ".txt"))
    return next((c for c in candidates if os.path.isfile(c)), None)


def parse_yolov5(dataset_dir: str | None, data_path: str | None, labels_path: str | None,
                 label_field: str | None, yaml_path: str | None = None,
                 split: str | list[str] | None = "val",
                 include_all_data: bool = False,
                 label_type: str | None = None) -> Parsed:  # fmt: skip
    """The samples of a YOLOv5Dataset; see the module docstring."""
    if data_path is not None or labels_path is not None:
        raise MediaError("YOLOv5Dataset reads its folders from its YAML; pass yaml_path= "
                         "instead of data_path/labels_path")  # fmt: skip
    path = _find_yaml(dataset_dir, yaml_path)
    content = _read_yaml(path)
    classes = _names(content.get("names"), path)
    base = os.path.dirname(path)
    if content.get("path"):
        root = os.path.expanduser(str(content["path"]))
        root = root if os.path.isabs(root) else os.path.join(base, root)
        base = root if os.path.isdir(root) else base  # a moved dataset: relative to the YAML
    if isinstance(split, str):
        splits = [split]
    else:
        splits = list(split) if split else [s for s in SPLITS if s in content]
    missing_splits = [s for s in splits if s not in content]
    if missing_splits or not splits:
        have = [k for k in content if k not in ("path", "names", "nc", "download")]
        raise MediaError(f"{path!r} has no split {missing_splits or split!r}; its splits: "
                         f"{have}")  # fmt: skip
    clipper = Clipper()
    field = label_field or "ground_truth"
    found: list[tuple[str, list[str], list[Row] | None]] = []
    unlabeled = 0
    for name in splits:
        tags = [name] if not isinstance(split, str) else []
        for image in _split_images(content[name], base, path):
            txt = _v5_labels_file(image)
            if os.path.isfile(txt):
                found.append((image, tags, read_rows(txt, classes, clipper)))
            elif include_all_data:
                found.append((image, tags, None))
            else:
                unlabeled += 1
    clipper.report(path)
    if unlabeled:
        print(f"Skipped {unlabeled} images of {path} without a labels file; pass "
              "include_all_data=True to add them")  # fmt: skip
    return Parsed(_samples(found, field, label_type), classes)


def _find_yaml(dataset_dir: str | None, yaml_path: str | None) -> str:
    if yaml_path is not None:
        path = resolve(dataset_dir, yaml_path, YAML_FILES[0])
        candidates = [path] if path else []
    else:
        candidates = [p for p in (resolve(dataset_dir, None, n) for n in YAML_FILES) if p]
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    raise MediaError(f"No YOLO dataset YAML at {candidates}; pass dataset_dir or yaml_path")


def _split_images(entry: Any, base: str, yaml_file: str) -> list[str]:
    """The images of a split entry: a folder, a ``.txt`` listing, or a list of them."""
    entries = entry if isinstance(entry, list) else [entry]
    images: list[str] = []
    for item in entries:
        if not isinstance(item, str):
            raise malformed(yaml_file, "a split", f"expected a folder or .txt path, got {item!r}")
        full = os.path.normpath(os.path.join(base, os.path.expanduser(item)))
        if full.endswith(".txt"):
            if not os.path.isfile(full):
                raise MediaError(f"Image listing {full!r} of {yaml_file!r} does not exist")
            images.extend(p if os.path.isabs(p) else os.path.normpath(os.path.join(base, p))
                          for p in _read_lines(full))  # fmt: skip
        elif os.path.isdir(full):
            images.extend(scan_images(full, recursive=True).images)
        else:
            report_missing([item], yaml_file, base)
    return images


def _v5_labels_file(image: str) -> str:
    """YOLOv5's rule: the last ``/images/`` of the path becomes ``/labels/``."""
    head, sep, tail = image.rpartition(f"{os.sep}images{os.sep}")
    stem = os.path.splitext(tail if sep else image)[0]
    return f"{head}{os.sep}labels{os.sep}{stem}.txt" if sep else stem + ".txt"


EXPORTERS = {YOLOv4Exporter.name: YOLOv4Exporter, YOLOv5Exporter.name: YOLOv5Exporter}
PARSERS = {YOLOv4Exporter.name: parse_yolov4, YOLOv5Exporter.name: parse_yolov5}
