"""``FiftyOneImageLabelsDataset``: one labels file per image, ETA's ImageLabels layout::

    data/<name>.<ext>
    labels/<name>.json    {"filename", "attrs": {"attrs": [...]},
                           "objects": {"objects": [...]},
                           "polylines": {"polylines": [...]},
                           "keypoints": {"keypoints": [...]}}
    manifest.json         {"type": ..., "index": [{"data": ..., "labels": ...}, ...]}

Attributes are ``{"type": "...CategoricalAttribute", "name", "value",
"confidence"}``; objects have a ``bounding_box`` of relative ``top_left`` and
``bottom_right`` corners, a ``confidence`` and their own ``attrs``. Which
fields become which kind: :mod:`.multitask`.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import MediaError
from ..exporters import ExportReport, Layout, UniqueNames
from ..importers import Parsed
from ..labels import Detection, Keypoint, Label, Polyline
from .multitask import MultitaskExporter, attributes_of, build_samples, classification
from .paths import read_json, write_json_atomically

MANIFEST = "manifest.json"
LABELS_DIR = "labels"
DATA_DIR = "data"
_ATTR_TYPES = {bool: "eta.core.data.BooleanAttribute", int: "eta.core.data.NumericAttribute",
               float: "eta.core.data.NumericAttribute",
               str: "eta.core.data.CategoricalAttribute"}  # fmt: skip


def _attr(name: str, value: Any, confidence: Any = None) -> dict[str, Any]:
    out = {"type": _ATTR_TYPES.get(type(value), _ATTR_TYPES[str]), "name": name, "value": value}
    if confidence is not None:
        out["confidence"] = confidence
    return out


def _attrs(label: dict[str, Any]) -> dict[str, Any]:
    return {"attrs": [_attr(k, v) for k, v in attributes_of(label).items()]}


class ImageLabelsExporter(MultitaskExporter):
    """One ``labels/<name>.json`` per image; see the module docstring."""

    name = "fiftyone-image-labels"
    kind = "dir"
    options = {"abs_paths": False, "pretty_print": False}

    def write(self, layout: Layout) -> ExportReport:
        assert layout.root is not None
        data_dir = os.path.join(layout.root, DATA_DIR) if self.mode != "none" else None
        layout = Layout(layout.root, data_dir, None)
        names = UniqueNames(self.rel_dir, dedupe=True)
        index, count = [], 0
        for path, key, by_kind in self.samples(layout, names):
            count += 1
            labels: dict[str, Any] = {"filename": os.path.basename(path)}
            attrs = [_attr(field, lab.get("label"), lab.get("confidence"))
                     for field, lab in by_kind.get("attributes", [])]  # fmt: skip
            if attrs:
                labels["attrs"] = {"attrs": attrs}
            objects = [self._object(d) for _, d in by_kind.get("detections", [])]
            if objects:
                labels["objects"] = {"objects": objects}
            polylines = [{"label": p.get("label"), "confidence": p.get("confidence"),
                          "points": p.get("points") or [], "closed": bool(p.get("closed")),
                          "filled": bool(p.get("filled")), "attrs": _attrs(p)}
                         for _, p in by_kind.get("polylines", [])]  # fmt: skip
            if polylines:
                labels["polylines"] = {"polylines": polylines}
            keypoints = [{"label": k.get("label"), "confidence": k.get("confidence"),
                          "points": k.get("points") or [], "attrs": _attrs(k)}
                         for _, k in by_kind.get("keypoints", [])]  # fmt: skip
            if keypoints:
                labels["keypoints"] = {"keypoints": keypoints}
            rel_labels = f"{LABELS_DIR}/{os.path.splitext(names.assign('', path))[0]}.json"
            target = os.path.join(layout.root, rel_labels)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            write_json_atomically(target, labels)
            data = f"{DATA_DIR}/{key}" if data_dir is not None else path
            index.append({"data": data, "labels": rel_labels})
        write_json_atomically(os.path.join(layout.root, MANIFEST),
                              {"type": "eta.core.datasets.LabeledImageDataset",
                               "description": "", "index": index})  # fmt: skip
        return self.finish(layout, count, names)

    @staticmethod
    def _object(d: dict[str, Any]) -> dict[str, Any]:
        x, y, w, h = d.get("bounding_box") or (0, 0, 0, 0)
        return {"type": "eta.core.objects.DetectedObject", "label": d.get("label"),
                "confidence": d.get("confidence"),
                "bounding_box": {"top_left": {"x": x, "y": y},
                                 "bottom_right": {"x": x + w, "y": y + h}},
                "attrs": _attrs(d)}  # fmt: skip


def _values(attrs: Any) -> dict[str, Any]:
    return {a["name"]: a.get("value") for a in (attrs or {}).get("attrs", []) if "name" in a}


def _labels(content: dict[str, Any]) -> dict[str, list[Label]]:
    out: dict[str, list[Label]] = {}
    out["attributes"] = [classification(a.get("value"), a.get("confidence"))
                         for a in (content.get("attrs") or {}).get("attrs", [])]  # fmt: skip
    dets = []
    for obj in (content.get("objects") or {}).get("objects", []):
        box = obj.get("bounding_box") or {}
        tl, br = box.get("top_left") or {}, box.get("bottom_right") or {}
        x, y = tl.get("x", 0.0), tl.get("y", 0.0)
        dets.append(Detection(label=obj.get("label"), confidence=obj.get("confidence"),
                              bounding_box=[x, y, br.get("x", x) - x, br.get("y", y) - y],
                              **_values(obj.get("attrs"))))  # fmt: skip
    out["detections"] = dets
    out["polylines"] = [Polyline(label=p.get("label"), confidence=p.get("confidence"),
                                 points=p.get("points") or [], closed=p.get("closed", False),
                                 filled=p.get("filled", False), **_values(p.get("attrs")))
                        for p in (content.get("polylines") or {}).get("polylines", [])]  # fmt: skip
    out["keypoints"] = [Keypoint(label=k.get("label"), confidence=k.get("confidence"),
                                 points=k.get("points") or [], **_values(k.get("attrs")))
                        for k in (content.get("keypoints") or {}).get("keypoints", [])]  # fmt: skip
    return out


def parse_image_labels(dataset_dir: str | None, data_path: str | None,
                       labels_path: str | None, label_field: str | None) -> Parsed:  # fmt: skip
    """The samples of a FiftyOneImageLabelsDataset (``dataset_dir`` holds ``manifest.json``)."""
    if dataset_dir is None:
        raise MediaError("FiftyOneImageLabelsDataset needs dataset_dir (the folder of "
                         f"{MANIFEST})")  # fmt: skip
    root = os.path.abspath(os.path.expanduser(os.fspath(dataset_dir)))
    manifest = read_json(os.path.join(root, MANIFEST), "Image labels manifest")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("index"), list):
        raise MediaError(f"{os.path.join(root, MANIFEST)!r} has no 'index' list")
    entries = []
    for item in manifest["index"]:
        path = os.path.normpath(os.path.join(root, item["data"]))
        rel = item.get("labels")
        labels = _labels(read_json(os.path.join(root, rel), "Labels file")) if rel else {}
        entries.append((path, labels))
    return Parsed(build_samples(entries, label_field))


EXPORTERS = {ImageLabelsExporter.name: ImageLabelsExporter}
PARSERS = {ImageLabelsExporter.name: parse_image_labels}
