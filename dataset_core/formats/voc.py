"""``VOCDetectionDataset``: ``data/`` and ``labels/``, one Pascal VOC XML per image.

Each ``labels/<key>.xml`` is an ``<annotation>`` with ``filename``, ``path``
(the image's absolute path, unless ``include_paths=False``), ``size``
(width, height, depth) and an ``<object>`` per box: ``name``, ``pose``,
``truncated``, ``difficult``, ``bndbox`` (``xmin ymin xmax ymax`` in pixels),
``confidence`` when set, and each custom attribute as its own element
(``<age>51</age>``), read back as bool, int, float or text.

Differences from FiftyOne's writer, both for lossless round trips: pixel
coordinates are written exactly (``64`` or ``64.5``), not truncated to ints;
``pose`` ``Unspecified`` and ``truncated``/``difficult`` ``0`` are VOC's
defaults and are not turned into attributes on import.

Splits: ``split=`` as in :mod:`.splits` (``<export_dir>/<split>/`` holds
``data/`` and ``labels/``; reading several splits tags their samples).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from typing import Any

from ..errors import MediaError
from ..exporters import ExportReport, Layout
from ..importers import Parsed
from ..labels import Detection, Detections
from .boxes import Clipper, attributes_of, malformed, number_text, parse_value, read_size
from .paths import resolve
from .per_image import PerImageExporter, parse_per_image
from .splits import SplitExportMixin, read_splits, split_names

#: VOC's own object elements and the values that mean "not stated"
DEFAULTS = {"pose": "Unspecified", "truncated": 0, "difficult": 0}
_BOX = ("xmin", "ymin", "xmax", "ymax")


class VOCDetectionExporter(SplitExportMixin, PerImageExporter):
    """One VOC XML per labeled image; see the module docstring."""

    name = "voc-detection"
    ext = ".xml"
    options = {"include_paths": True, "extra_attrs": True, "split": None}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._place_split()

    def write(self, layout: Layout) -> ExportReport:
        self._check_split_root(layout.root)
        return super().write(layout)

    def render(self, objects: list[dict[str, Any]], image: dict[str, Any]) -> str:
        width, height = image["width"], image["height"]
        root = ET.Element("annotation")
        filename = os.path.basename(image["exported"] or image["filepath"])
        ET.SubElement(root, "folder").text = ""
        ET.SubElement(root, "filename").text = filename
        if self.opts["include_paths"]:
            ET.SubElement(root, "path").text = image["exported_path"] or image["filepath"]
        size = ET.SubElement(root, "size")
        depth = image["channels"] or 3
        for tag, value in (("width", width), ("height", height), ("depth", depth)):
            ET.SubElement(size, tag).text = str(value)
        ET.SubElement(root, "segmented").text = "0"
        for obj in objects:
            attrs = attributes_of(obj, self.opts["extra_attrs"])
            el = ET.SubElement(root, "object")
            ET.SubElement(el, "name").text = str(obj.get("label") or "")
            for tag, default in DEFAULTS.items():
                value = attrs.pop(tag, default)
                ET.SubElement(el, tag).text = str(int(value) if isinstance(value, bool) else value)
            if obj.get("confidence") is not None:
                ET.SubElement(el, "confidence").text = repr(float(obj["confidence"]))
            x, y, w, h = obj.get("bounding_box") or (0.0, 0.0, 0.0, 0.0)
            box = ET.SubElement(el, "bndbox")
            for tag, v in zip(_BOX, (x * width, y * height, (x + w) * width, (y + h) * height),
                              strict=True):  # fmt: skip
                ET.SubElement(box, tag).text = number_text(v)
            for k, v in attrs.items():
                ET.SubElement(el, k).text = str(v)
        ET.indent(root)
        return ET.tostring(root, encoding="unicode") + "\n"


def _text(el: ET.Element | None, tag: str) -> str | None:
    found = None if el is None else el.find(tag)
    return None if found is None or found.text is None else found.text.strip()


def read_voc(path: str, image: str | None, clipper: Clipper, data_dir: str | None,
             extra_attrs: bool = True) -> tuple[Detections, str | None]:  # fmt: skip
    """The Detections of one VOC XML file and the image it describes.

    Raises:
        MediaError: the file is not VOC XML, or an object lacks a number it needs.
    """
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        raise malformed(path, "the XML", str(e)) from None
    if root.tag != "annotation":
        raise malformed(path, f"<{root.tag}>", "the root element must be <annotation>")
    if image is None:
        image = _find_image(root, data_dir)
        if image is None:  # counted by the caller as an entry without an image
            return Detections(detections=[]), None
    size = root.find("size")
    width, height = (_number(path, "size", size, t) for t in ("width", "height"))
    if not width or not height:
        width, height = read_size(image, path)
    objects = root.findall("object")
    if objects and (not width or not height):
        raise malformed(path, "<size>", "no width/height, and the image has none either")
    dets = []
    for i, el in enumerate(objects, 1):
        where = f"object {i}"
        box = el.find("bndbox")
        if box is None:
            raise malformed(path, where, "no <bndbox>")
        x1, y1, x2, y2 = (_number(path, f"{where} <bndbox>", box, t, required=True)
                          for t in _BOX)  # fmt: skip
        if x2 < x1 or y2 < y1:
            raise malformed(path, where, f"xmax/ymax ({x2}, {y2}) are less than xmin/ymin "
                                         f"({x1}, {y1})")  # fmt: skip
        rel = [x1 / width, y1 / height, (x2 - x1) / width, (y2 - y1) / height]
        bounding_box = clipper.clip(rel, f"{os.path.basename(path)} {where}")
        if bounding_box is None:  # entirely outside the image: counted and dropped
            continue
        attrs: dict[str, Any] = {}
        confidence = None
        for child in el:
            if child.tag in ("name", "bndbox") or len(child):
                continue
            value = parse_value((child.text or "").strip())
            if child.tag == "confidence":
                confidence = float(value) if isinstance(value, (int, float)) else None
            elif extra_attrs and DEFAULTS.get(child.tag, object()) != value:
                attrs[child.tag] = value
        dets.append(Detection(label=_text(el, "name"), bounding_box=bounding_box,
                              confidence=confidence, **attrs))  # fmt: skip
    return Detections(detections=dets), image


def _find_image(root: ET.Element, data_dir: str | None) -> str | None:
    """The image an XML names, when its key names none: ``<path>``, then ``<filename>``."""
    path = _text(root, "path")
    if path and os.path.isfile(path):
        return path
    name = _text(root, "filename")
    if name and data_dir is not None and os.path.isfile(os.path.join(data_dir, name)):
        return os.path.join(data_dir, name)
    return None


def _number(path: str, where: str, el: ET.Element | None, tag: str,
            required: bool = False) -> float:  # fmt: skip
    text = _text(el, tag)
    if not text:
        if required:
            raise malformed(path, where, f"no <{tag}>")
        return 0.0
    try:
        return float(text)
    except ValueError:
        raise malformed(path, where, f"<{tag}> is {text!r}, not a number") from None


def parse_voc(dataset_dir: str | None, data_path: str | None, labels_path: str | None,
              label_field: str | None, include_all_data: bool = False,
              extra_attrs: bool = True,
              split: str | list[str] | None = None) -> Parsed:  # fmt: skip
    """The samples of a VOCDetectionDataset; see the module docstring.

    Raises:
        MediaError: a missing split, or a malformed XML file (one line naming
            the file, the object and what is wrong).
    """
    if data_path is None and labels_path is None:
        splits = split_names(dataset_dir, split,
                             lambda d: os.path.isdir(os.path.join(d, "labels")))  # fmt: skip
        if splits:
            assert dataset_dir is not None

            def one(folder: str) -> Parsed:
                return parse_voc(folder, None, None, label_field, include_all_data, extra_attrs)

            return read_splits(dataset_dir, splits, not isinstance(split, str), one)
    elif split is not None:
        raise MediaError(f"split={split!r} reads <dataset_dir>/<split>/; pass dataset_dir "
                         "without data_path and labels_path")  # fmt: skip
    labels_dir = resolve(dataset_dir, labels_path, "labels")
    data_dir = resolve(dataset_dir, data_path, "data")
    clipper = Clipper()
    parsed = parse_per_image(
        labels_dir, data_dir, ".xml",
        lambda f, image: read_voc(f, image, clipper, data_dir, extra_attrs),
        label_field, include_all_data, "VOC labels",
    )  # fmt: skip
    clipper.report(labels_dir or "VOC labels")
    return parsed


EXPORTERS = {VOCDetectionExporter.name: VOCDetectionExporter}
PARSERS = {VOCDetectionExporter.name: parse_voc}
