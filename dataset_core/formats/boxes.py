"""Shared by the detection formats (COCO, VOC, KITTI, YOLO): image sizes, the
objects of a label, their attributes, boxes clipped to the image and counted,
and the one-line error for a malformed annotation file."""

from __future__ import annotations

import os
import re
from typing import Any

from ..errors import ExportError, MediaError
from ..metadata import read_image_metadata

#: how far (in image fractions) a box may reach outside the image before its
#: clipping is reported: pixel round trips (``x * w / w``) step out by ~1e-16,
#: a real overhang is at least a fraction of a pixel (1e-6 of a 10k-px side is 0.01 px)
CLIP_TOLERANCE = 1e-6
#: stored keys of a Detection that are not its attributes
OWN_KEYS = frozenset({"_id", "id", "_cls", "label", "bounding_box", "confidence", "tags",
                      "mask", "mask_path", "index", "attributes"})  # fmt: skip
#: how many examples a report line names
SHOWN = 3


def image_size(doc: dict[str, Any], fmt: str) -> tuple[int, int]:
    """``(width, height)`` of a sample document: its metadata, else the image header.

    Raises:
        ExportError: neither is available (the image is missing or unreadable).
    """
    meta = doc.get("metadata") or {}
    if meta.get("width") and meta.get("height"):
        return int(meta["width"]), int(meta["height"])
    try:
        m = read_image_metadata(doc["filepath"])
    except OSError as e:
        raise ExportError(f"{fmt} needs the size of {doc['filepath']!r}, which cannot be read "
                          f"({e}); fix or exclude that sample") from None  # fmt: skip
    return int(m.width or 0), int(m.height or 0)


def read_size(image: str, labels_file: str) -> tuple[int, int]:
    """``(width, height)`` from an image's header, for a labels file's pixel boxes.

    Raises:
        MediaError: the image cannot be read.
    """
    try:
        m = read_image_metadata(image)
    except OSError as e:
        raise MediaError(f"{labels_file!r} has pixel boxes for {image!r}, whose size cannot "
                         f"be read ({e}); fix or remove that image") from None  # fmt: skip
    return int(m.width or 0), int(m.height or 0)


def objects_of(label: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """The object dicts of a stored Detections, Polylines, Detection or Polyline
    (None: no label)."""
    if not label:
        return None
    if label.get("_cls") == "Detections":
        return list(label.get("detections") or [])
    if label.get("_cls") == "Polylines":
        return list(label.get("polylines") or [])
    return [label]


def attributes_of(obj: dict[str, Any], extra_attrs: Any = True) -> dict[str, Any]:
    """The custom scalar attributes of a stored detection (``age``, ``mood``...).

    Args:
        obj: the detection's stored dict.
        extra_attrs: True (all), False (none), or a name or list of names.
    """
    if extra_attrs is False or extra_attrs is None:
        return {}
    wanted = None if extra_attrs is True else (
        {extra_attrs} if isinstance(extra_attrs, str) else set(extra_attrs)
    )  # fmt: skip
    return {k: v for k, v in obj.items()
            if k not in OWN_KEYS and not k.startswith("_") and (wanted is None or k in wanted)
            and isinstance(v, (str, int, float, bool))}  # fmt: skip


_INT = re.compile(r"[-+]?\d+")
_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[-+]?(inf|nan)", re.I)


def parse_value(text: str) -> Any:
    """A text attribute read back as the value it was written from.

    ``"True"``/``"False"`` are bools, integers ints, decimals floats; the rest
    stays text.
    """
    if text in ("True", "true"):
        return True
    if text in ("False", "false"):
        return False
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    return text


def number_text(value: float) -> str:
    """``value`` written exactly (shortest round-trip form; ``64`` for 64.0)."""
    f = float(value)
    return str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)


def malformed(path: str, entry: str, what: str) -> MediaError:
    """The one-line error for a bad entry of an annotation file."""
    return MediaError(f"Malformed annotation file {path!r}, {entry}: {what}")


class Clipper:
    """Clips relative boxes ``[x, y, w, h]`` to the image and counts the ones
    that reached outside it (beyond :data:`CLIP_TOLERANCE`).

    A box that lies entirely outside the image has no area left once clipped:
    :meth:`clip` returns None for it, and it is counted apart from the clipped
    ones (the reader drops it; a zero-size box *inside* the image is the
    file's own and is kept as it is).
    """

    def __init__(self) -> None:
        self.count = 0
        self.examples: list[str] = []
        self.dropped = 0
        self.dropped_examples: list[str] = []

    def clip(self, box: list[float], where: str) -> list[float] | None:
        """``box`` clipped to ``[0, 1]``, or None when nothing of it is inside the
        image; ``where`` names it in the report."""
        x, y, w, h = box
        if x >= 0 and y >= 0 and x + w <= 1 and y + h <= 1:  # the common case, cheaply
            return box
        x1, y1 = min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)
        x2, y2 = min(max(x + w, 0.0), 1.0), min(max(y + h, 0.0), 1.0)
        out = min(x, y) < -CLIP_TOLERANCE or max(x + w, y + h) > 1 + CLIP_TOLERANCE
        if not out:
            return [x1, y1, x2 - x1, y2 - y1]
        if (x2 - x1) * (y2 - y1) <= 0:
            self.dropped += 1
            if len(self.dropped_examples) < SHOWN:
                self.dropped_examples.append(where)
            return None
        self.count += 1
        if len(self.examples) < SHOWN:
            self.examples.append(where)
        return [x1, y1, x2 - x1, y2 - y1]

    def report(self, source: str) -> None:
        """Print one line if any box was clipped or dropped."""
        dropped = (f"{self.dropped} boxes entirely outside their image, which were dropped "
                   f"(e.g. {self.dropped_examples})")  # fmt: skip
        if self.count:
            line = (f"Clipped {self.count} boxes of {source} that reached outside their image "
                    f"(e.g. {self.examples})")  # fmt: skip
            print(line + (f"; and {dropped}" if self.dropped else ""))
        elif self.dropped:
            print(f"Found {dropped.replace(' boxes', f' boxes of {source}', 1)}")


def label_file_key(root: str, path: str) -> str:
    """The key of a labels file under ``root``: its relative path, ``/``-separated,
    without extension (``_images/cat`` for ``<root>/_images/cat.xml``)."""
    return os.path.splitext(os.path.relpath(path, root))[0].replace(os.sep, "/")


def list_label_files(root: str | None, ext: str) -> list[str]:
    """Every ``*<ext>`` file under ``root`` (recursive, sorted); [] when it is missing."""
    if root is None or not os.path.isdir(root):
        return []
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(os.path.join(folder, f) for f in files if f.lower().endswith(ext))
    return sorted(found)
