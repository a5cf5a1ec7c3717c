"""``KITTIDetectionDataset``: ``data/`` and ``labels/``, one KITTI text file per image.

Each line of ``labels/<key>.txt`` is one object, 15 or 16 space-separated
values::

    <type> <truncated> <occluded> <alpha> <left> <top> <right> <bottom>
    <height> <width> <length> <x> <y> <z> <rotation_y> [<score>]

with the box in pixels and the score (``confidence``) only when set. The 3D
values come from the detection's attributes of those names (``dimensions``
and ``location`` are lists of 3) and otherwise are KITTI's "unknown" values;
on import only values other than those defaults become attributes, so an
export and import give back the detections as they were.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import ExportError
from ..importers import Parsed
from ..labels import Detection, Detections
from .boxes import Clipper, malformed, number_text, read_size
from .paths import resolve
from .per_image import PerImageExporter, parse_per_image

#: the 3D and occlusion values KITTI writes when they are not known
DEFAULTS: dict[str, Any] = {
    "truncated": 0.0, "occluded": 0, "alpha": -10.0, "dimensions": [-1.0, -1.0, -1.0],
    "location": [-1000.0, -1000.0, -1000.0], "rotation_y": -10.0,
}  # fmt: skip
#: values per line without / with the score
LINE_LENGTHS = (15, 16)


class KITTIDetectionExporter(PerImageExporter):
    """One KITTI text file per labeled image; see the module docstring."""

    name = "kitti-detection"
    options: dict[str, Any] = {}

    def render(self, objects: list[dict[str, Any]], image: dict[str, Any]) -> str:
        width, height = image["width"], image["height"]
        lines = []
        for obj in objects:
            label = str(obj.get("label") or "")
            if not label or any(c.isspace() for c in label):
                raise ExportError(f"KITTI object types are single words; label {label!r} of "
                                  f"{image['filepath']!r} is not. Rename it first "
                                  "(e.g. with map_labels)")  # fmt: skip
            x, y, w, h = obj.get("bounding_box") or (0.0, 0.0, 0.0, 0.0)
            box = (x * width, y * height, (x + w) * width, (y + h) * height)
            values: list[Any] = [obj.get(k, DEFAULTS[k]) for k in ("truncated", "occluded",
                                                                   "alpha")]  # fmt: skip
            values += list(box)
            values += list(obj.get("dimensions") or DEFAULTS["dimensions"])
            values += list(obj.get("location") or DEFAULTS["location"])
            values.append(obj.get("rotation_y", DEFAULTS["rotation_y"]))
            if obj.get("confidence") is not None:
                values.append(obj["confidence"])
            lines.append(" ".join([label] + [number_text(v) for v in values]))
        return "".join(line + "\n" for line in lines)


def read_kitti(path: str, image: str | None, clipper: Clipper) -> tuple[Detections, str | None]:
    """The Detections of one KITTI file (``image`` gives the size for relative boxes).

    Raises:
        MediaError: a line without 15 or 16 values, or a value that is not a number.
    """
    with open(path, encoding="utf-8") as f:
        rows = [(n, line.split()) for n, line in enumerate(f, 1) if line.strip()]
    if not rows:
        return Detections(detections=[]), image
    if image is None:
        return Detections(detections=[]), None
    width, height = read_size(image, path)
    dets = []
    for n, parts in rows:
        if len(parts) not in LINE_LENGTHS:
            raise malformed(path, f"line {n}", f"expected 15 or 16 values (type, truncated, "
                            f"occluded, alpha, 4 box, 3 dimensions, 3 location, rotation_y, "
                            f"[score]), got {len(parts)}")  # fmt: skip
        try:
            v = [float(p) for p in parts[1:]]
        except ValueError as e:
            raise malformed(path, f"line {n}", f"not a number ({e})") from None
        x1, y1, x2, y2 = v[3:7]
        if x2 < x1 or y2 < y1:
            raise malformed(path, f"line {n}", f"right/bottom ({x2}, {y2}) are less than "
                                               f"left/top ({x1}, {y1})")  # fmt: skip
        rel = [x1 / width, y1 / height, (x2 - x1) / width, (y2 - y1) / height]
        box = clipper.clip(rel, f"{os.path.basename(path)} line {n}")
        if box is None:  # entirely outside the image: counted and dropped
            continue
        found = {"truncated": v[0], "occluded": int(v[1]), "alpha": v[2],
                 "dimensions": v[7:10], "location": v[10:13], "rotation_y": v[13]}  # fmt: skip
        attrs = {k: val for k, val in found.items() if val != DEFAULTS[k]}
        dets.append(Detection(label=parts[0], bounding_box=box,
                              confidence=v[14] if len(v) == 15 else None, **attrs))  # fmt: skip
    return Detections(detections=dets), image


def parse_kitti(dataset_dir: str | None, data_path: str | None, labels_path: str | None,
                label_field: str | None, include_all_data: bool = False) -> Parsed:  # fmt: skip
    """The samples of a KITTIDetectionDataset; see the module docstring."""
    labels_dir = resolve(dataset_dir, labels_path, "labels")
    clipper = Clipper()
    parsed = parse_per_image(
        labels_dir, resolve(dataset_dir, data_path, "data"), ".txt",
        lambda f, image: read_kitti(f, image, clipper), label_field, include_all_data,
        "KITTI labels",
    )  # fmt: skip
    clipper.report(labels_dir or "KITTI labels")
    return parsed


EXPORTERS = {KITTIDetectionExporter.name: KITTIDetectionExporter}
PARSERS = {KITTIDetectionExporter.name: parse_kitti}
