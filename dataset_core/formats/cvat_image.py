"""``CVATImageDataset``: ``data/`` and a CVAT for images 1.1 ``labels.xml``::

    <annotations>
      <version>1.1</version>
      <meta><task><size>2</size><labels><label><name>cat</name>...</label></labels></task></meta>
      <image id="0" name="<image in data/>" width="640" height="480">
        <tag label="sunny" />
        <box label="cat" xtl="64" ytl="48" xbr="320" ybr="240">
          <attribute name="age">51</attribute>
        </box>
        <polygon label="road" points="x1,y1;x2,y2;..." />   (polyline when not filled)
        <points label="face" points="x1,y1;..." />
      </image>
    </annotations>

Coordinates are pixels (the ``<image>``'s width and height). Tags are the
Classification fields, boxes the Detections, polygons/polylines the
Polylines, points the Keypoints; a label's confidence travels as its
``confidence`` attribute. Attribute values are text; on import numbers and
booleans are read back as such.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from typing import Any

from ..errors import MediaError
from ..exporters import ExportReport, Layout, UniqueNames
from ..importers import Parsed
from ..labels import Classification, Detection, Keypoint, Label, Polyline
from ..segmentation import image_size
from .multitask import MultitaskExporter, attributes_of, build_samples, parse_value
from .paths import ImageIndex, report_missing, resolve, write_text_atomically

LABELS_FILE = "labels.xml"


def _fmt(v: float) -> str:
    return f"{v:.2f}"


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


class CVATImageExporter(MultitaskExporter):
    """A CVAT for images ``labels.xml``; see the module docstring."""

    name = "cvat-image"
    labels_name = LABELS_FILE

    def write(self, layout: Layout) -> ExportReport:
        assert layout.labels_path is not None
        names = UniqueNames(self.rel_dir, dedupe=True)
        root = ET.Element("annotations")
        ET.SubElement(root, "version").text = "1.1"
        task = ET.SubElement(ET.SubElement(root, "meta"), "task")
        size = ET.SubElement(task, "size")
        label_names: set[str] = set()
        count = 0
        for i, (path, key, by_kind) in enumerate(self.samples(layout, names)):
            count += 1
            md = self.metadata
            width, height = ((md["width"], md["height"]) if md.get("width") and md.get("height")
                             else image_size(path))  # fmt: skip
            image = ET.SubElement(root, "image", id=str(i), name=key, width=str(width),
                                  height=str(height))  # fmt: skip
            for _, lab in by_kind.get("attributes", []):
                self._element(image, "tag", lab, {}, label_names)
            for _, det in by_kind.get("detections", []):
                x, y, w, h = det.get("bounding_box") or (0, 0, 0, 0)
                coords = {"xtl": _fmt(x * width), "ytl": _fmt(y * height),
                          "xbr": _fmt((x + w) * width), "ybr": _fmt((y + h) * height)}  # fmt: skip
                self._element(image, "box", det, coords, label_names)
            for _, poly in by_kind.get("polylines", []):
                tag = "polygon" if poly.get("filled") or poly.get("closed") else "polyline"
                for shape in poly.get("points") or []:
                    self._element(image, tag, poly, {"points": _points(shape, width, height)},
                                  label_names)  # fmt: skip
            for _, kp in by_kind.get("keypoints", []):
                coords = {"points": _points(kp.get("points") or [], width, height)}
                self._element(image, "points", kp, coords, label_names)
        size.text = str(count)
        labels = ET.SubElement(task, "labels")
        for name in sorted(label_names):
            ET.SubElement(ET.SubElement(labels, "label"), "name").text = name
        ET.indent(root)
        text = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")
        write_text_atomically(layout.labels_path, text + "\n")
        return self.finish(layout, count, names)

    @staticmethod
    def _element(parent: ET.Element, tag: str, label: dict[str, Any], coords: dict[str, str],
                 label_names: set[str]) -> None:  # fmt: skip
        name = str(label.get("label"))
        label_names.add(name)
        el = ET.SubElement(parent, tag, label=name, **coords)
        attrs = attributes_of(label)
        if isinstance(label.get("confidence"), (int, float)):  # keypoints have one per point
            attrs["confidence"] = label["confidence"]
        for key, value in attrs.items():
            ET.SubElement(el, "attribute", name=key).text = _text(value)


def _points(points: list[Any], width: int, height: int) -> str:
    return ";".join(f"{_fmt(x * width)},{_fmt(y * height)}" for x, y in points)


def _read_points(text: str | None, width: float, height: float) -> list[list[float]]:
    out = []
    for pair in (text or "").split(";"):
        if pair.strip():
            x, y = pair.split(",")
            out.append([float(x) / width, float(y) / height])
    return out


def _attributes(el: ET.Element) -> dict[str, Any]:
    return {a.get("name"): parse_value(a.text) for a in el.findall("attribute") if a.get("name")}


def _labels(image: ET.Element) -> dict[str, list[Label]]:
    width = float(image.get("width") or 1)
    height = float(image.get("height") or 1)
    out: dict[str, list[Label]] = {"attributes": [], "detections": [], "polylines": [],
                                   "keypoints": []}  # fmt: skip
    for el in image:
        common = {"label": el.get("label"), **_attributes(el)}
        if el.tag == "tag":
            out["attributes"].append(Classification(**common))
        elif el.tag == "box":
            x1, y1 = float(el.get("xtl", 0)) / width, float(el.get("ytl", 0)) / height
            x2, y2 = float(el.get("xbr", 0)) / width, float(el.get("ybr", 0)) / height
            box = [min(max(v, 0.0), 1.0) for v in (x1, y1, x2 - x1, y2 - y1)]
            out["detections"].append(Detection(bounding_box=box, **common))
        elif el.tag in ("polygon", "polyline"):
            closed = el.tag == "polygon"
            points = [_read_points(el.get("points"), width, height)]
            out["polylines"].append(Polyline(points=points, closed=closed, filled=closed,
                                             **common))  # fmt: skip
        elif el.tag == "points":
            points = _read_points(el.get("points"), width, height)
            common.pop("confidence", None)  # a keypoint's confidence is one per point
            out["keypoints"].append(Keypoint(points=points, **common))
    return out


def parse_cvat_image(dataset_dir: str | None, data_path: str | None,
                     labels_path: str | None, label_field: str | None,
                     include_all_data: bool = False) -> Parsed:  # fmt: skip
    """The samples of a CVATImageDataset.

    Args:
        include_all_data: also add the images of ``data/`` the labels do not name.

    Raises:
        MediaError: no labels file, or not CVAT XML.
    """
    labels_file = resolve(dataset_dir, labels_path, LABELS_FILE)
    if labels_file is None or not os.path.isfile(labels_file):
        raise MediaError(f"CVAT labels file {labels_file!r} does not exist; pass dataset_dir "
                         "or labels_path")  # fmt: skip
    try:
        root = ET.parse(labels_file).getroot()
    except (OSError, ET.ParseError) as e:
        raise MediaError(f"Cannot read CVAT labels file {labels_file!r}: {e}") from None
    index = ImageIndex(resolve(dataset_dir, data_path, "data"))
    entries, missing, seen = [], [], set()
    for image in root.iter("image"):
        path = index.find(image.get("name") or "")
        if path is None:
            missing.append(str(image.get("name")))
            continue
        seen.add(os.path.abspath(path))
        entries.append((path, _labels(image)))
    if include_all_data:
        entries.extend((p, {}) for p in index.paths if os.path.abspath(p) not in seen)
    report_missing(missing, labels_file, index.data_dir)
    return Parsed(build_samples(entries, label_field))


EXPORTERS = {CVATImageExporter.name: CVATImageExporter}
PARSERS = {CVATImageExporter.name: parse_cvat_image}
