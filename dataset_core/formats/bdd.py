"""``BDDDataset``: ``data/`` and a Berkeley DeepDrive ``labels.json``, a list of::

    {"name": "<image in data/>",
     "attributes": {"<field>": "<label>", ...},
     "labels": [{"id": 0, "category": "cat", "score": 0.9,
                 "box2d": {"x1", "y1", "x2", "y2"},            # pixels
                 "attributes": {...}},
                {"category": "road", "attributes": {...},
                 "poly2d": [{"vertices": [[x, y], ...], "types": "LLLL",
                             "closed": true, "filled": true}]}]}

Image attributes are the Classification fields (field name -> label);
objects are Detections (``box2d``) and Polylines (``poly2d``), with their
own attributes. Coordinates are pixels, so exports read each image's size
(its metadata, else the file) and imports read the images' sizes.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import MediaError
from ..exporters import ExportReport, Layout, UniqueNames
from ..importers import Parsed
from ..labels import Detection, Label, Polyline
from ..segmentation import image_size
from .multitask import MultitaskExporter, attributes_of, build_samples, classification
from .paths import ImageIndex, read_json, report_missing, resolve, write_json_atomically

LABELS_FILE = "labels.json"


def _size(metadata: dict[str, Any], path: str) -> tuple[int, int]:
    if metadata.get("width") and metadata.get("height"):
        return int(metadata["width"]), int(metadata["height"])
    return image_size(path)


class BDDExporter(MultitaskExporter):
    """A BDD ``labels.json``; see the module docstring."""

    name = "bdd"
    labels_name = LABELS_FILE
    kinds = ("attributes", "detections", "polylines")

    def write(self, layout: Layout) -> ExportReport:
        assert layout.labels_path is not None
        names = UniqueNames(self.rel_dir, dedupe=True)
        frames = []
        for path, key, by_kind in self.samples(layout, names):
            frame: dict[str, Any] = {"name": key, "attributes": {}, "labels": []}
            for field, lab in by_kind.get("attributes", []):
                frame["attributes"][field] = lab.get("label")
            objects = by_kind.get("detections", []) + by_kind.get("polylines", [])
            width, height = _size(self.metadata, path) if objects else (0, 0)
            for i, (_, obj) in enumerate(objects):
                out: dict[str, Any] = {"id": i, "category": obj.get("label"),
                                       "manualShape": True, "manualAttributes": True,
                                       "attributes": attributes_of(obj)}  # fmt: skip
                if obj.get("confidence") is not None:
                    out["score"] = obj["confidence"]
                if "bounding_box" in obj:
                    x, y, w, h = obj["bounding_box"]
                    out["box2d"] = {"x1": x * width, "y1": y * height,
                                    "x2": (x + w) * width, "y2": (y + h) * height}  # fmt: skip
                else:
                    out["poly2d"] = [
                        {"vertices": [[px * width, py * height] for px, py in shape],
                         "types": "L" * len(shape), "closed": bool(obj.get("closed")),
                         "filled": bool(obj.get("filled"))}
                        for shape in obj.get("points") or []
                    ]  # fmt: skip
                frame["labels"].append(out)
            frames.append(frame)
        write_json_atomically(layout.labels_path, frames)
        return self.finish(layout, len(frames), names)


def _labels(frame: dict[str, Any], path: str) -> dict[str, list[Label]]:
    attributes = [classification(v) for v in (frame.get("attributes") or {}).values()
                  if v is not None]  # fmt: skip
    dets: list[Label] = []
    polys: list[Label] = []
    objects = frame.get("labels") or []
    width, height = image_size(path) if objects else (1, 1)
    for obj in objects:
        common = {"label": obj.get("category"), "confidence": obj.get("score"),
                  **(obj.get("attributes") or {})}  # fmt: skip
        if obj.get("box2d"):
            b = obj["box2d"]
            box = [b["x1"] / width, b["y1"] / height, (b["x2"] - b["x1"]) / width,
                   (b["y2"] - b["y1"]) / height]  # fmt: skip
            dets.append(Detection(bounding_box=[min(max(v, 0.0), 1.0) for v in box], **common))
        elif obj.get("poly2d"):
            shapes = obj["poly2d"]
            points = [[[x / width, y / height] for x, y in s.get("vertices") or []] for s in shapes]
            closed = any(s.get("closed") for s in shapes)
            filled = any(s.get("filled") for s in shapes)
            polys.append(Polyline(points=points, closed=closed, filled=filled, **common))
    return {"attributes": attributes, "detections": dets, "polylines": polys}


def parse_bdd(dataset_dir: str | None, data_path: str | None, labels_path: str | None,
              label_field: str | None, include_all_data: bool = False) -> Parsed:  # fmt: skip
    """The samples of a BDDDataset.

    Args:
        include_all_data: also add the images of ``data/`` the labels do not name.

    Raises:
        MediaError: no labels file, or not a list of frames.
    """
    labels_file = resolve(dataset_dir, labels_path, LABELS_FILE)
    frames = read_json(labels_file, "BDD labels file")
    if not isinstance(frames, list):
        raise MediaError(f"{labels_file!r} is not a BDD labels file: it needs a list of frames")
    assert labels_file is not None
    index = ImageIndex(resolve(dataset_dir, data_path, "data"))
    entries, missing, seen = [], [], set()
    for frame in frames:
        path = index.find(str(frame.get("name")))
        if path is None:
            missing.append(str(frame.get("name")))
            continue
        seen.add(os.path.abspath(path))
        entries.append((path, _labels(frame, path)))
    if include_all_data:
        entries.extend((p, {}) for p in index.paths if os.path.abspath(p) not in seen)
    report_missing(missing, labels_file, index.data_dir)
    return Parsed(build_samples(entries, label_field))


EXPORTERS = {BDDExporter.name: BDDExporter}
PARSERS = {BDDExporter.name: parse_bdd}
