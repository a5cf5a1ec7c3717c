"""Segmentation masks on disk: reading, writing, drawing objects into a mask, and
:func:`export_segmentations` (FiftyOne's ``fiftyone.utils.labels`` function).

Masks are written as PNG images of class ids (8-bit, or 16-bit past 255
classes). A Detections or Polylines label becomes a mask by drawing each
object with its class id (``mask_targets`` maps ids to labels; by default
the sorted labels, from 1; 0 is background).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ExportError, MediaError
from .labels import decode

if TYPE_CHECKING:
    from .collection import SampleCollection

#: label types a semantic mask can be made of
MASK_TYPES = ("Segmentation", "Detections", "Detection", "Polylines", "Polyline")
MASK_EXT = ".png"


def read_mask(path: str) -> np.ndarray:
    """The mask image at ``path`` as a 2-D array.

    Raises:
        MediaError: missing or not an image.
    """
    from PIL import Image

    try:
        with Image.open(path) as img:
            return np.asarray(img)
    except OSError as e:
        raise MediaError(f"Cannot read mask {path!r}: {e}") from None


def write_mask(mask: np.ndarray, path: str) -> None:
    """Write ``mask`` as a PNG of class ids at ``path`` (folders created)."""
    from PIL import Image

    mask = np.asarray(mask)
    if mask.dtype == bool:
        mask = mask.astype(np.uint8) * 255
    elif mask.dtype != np.uint8:
        mask = mask.astype(np.uint8 if mask.size == 0 or mask.max() < 256 else np.uint16)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    Image.fromarray(mask).save(path, format="PNG")


def default_targets(collection: SampleCollection, label_field: str,
                    document_type: str) -> dict[int, str]:  # fmt: skip
    """``{1: first label, 2: second...}``: the field's labels, sorted."""
    inner = {"Detections": ".detections", "Polylines": ".polylines"}.get(document_type, "")
    labels = [v for v in collection.distinct(f"{label_field}{inner}.label") if v is not None]
    return {i + 1: label for i, label in enumerate(sorted(labels))}


def _objects(label: dict[str, Any]) -> list[dict[str, Any]]:
    cls = label.get("_cls")
    if cls == "Detections":
        return list(label.get("detections") or [])
    if cls == "Polylines":
        return list(label.get("polylines") or [])
    return [label]


def render_mask(label: dict[str, Any], width: int, height: int,
                targets: dict[int, str]) -> np.ndarray:  # fmt: skip
    """A ``height x width`` mask of a Detections/Polylines label (stored form)."""
    from PIL import Image, ImageDraw

    from .formats.patch_images import pixel_box

    dtype = np.uint8 if max(targets, default=0) < 256 else np.uint16
    ids = {name: i for i, name in targets.items()}
    canvas = Image.new("I", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    for obj in _objects(label):
        value = ids.get(obj.get("label"))
        if value is None:
            continue
        if obj.get("points") is not None:  # a polyline
            for shape in obj.get("points") or []:
                xy = [(x * width, y * height) for x, y in shape]
                if len(xy) < 2:
                    continue
                if obj.get("filled"):
                    draw.polygon(xy, fill=value)
                else:
                    draw.line(xy + (xy[:1] if obj.get("closed") else []), fill=value)
        elif obj.get("bounding_box"):
            left, top, right, bottom = pixel_box(obj["bounding_box"], width, height)
            inst = decode(obj.get("mask"))
            if inst is None:
                draw.rectangle((left, top, right - 1, bottom - 1), fill=value)
                continue
            small = Image.fromarray(np.asarray(inst).astype(np.uint8) * 255)
            region = small.resize((right - left, bottom - top), Image.NEAREST)
            canvas.paste(value, (left, top), region.convert("L"))
    return np.asarray(canvas).astype(dtype)


def image_size(path: str) -> tuple[int, int]:
    """``(width, height)`` of the image at ``path``."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            return img.size
    except OSError as e:
        raise MediaError(f"Cannot read image {path!r}: {e}") from None


def export_segmentations(sample_collection: SampleCollection, label_field: str,
                         output_dir: str, rel_dir: str | None = None, update: bool = True,
                         overwrite: bool = False) -> None:  # fmt: skip
    """Write the in-database masks of a Segmentation field to PNGs in ``output_dir``.

    Each sample's mask goes to ``<output_dir>/<image name>.png`` (its path
    below ``rel_dir`` when given); with ``update`` the label then points at
    it (``mask_path``) and holds no mask in the database.

    Raises:
        ExportError: ``label_field`` is not a Segmentation field, or a mask file
            exists and ``overwrite`` is False.
    """
    from .exporters import UniqueNames

    dataset = sample_collection._dataset
    field = dataset._schema.get(label_field)
    if field is None or field.document_type != "Segmentation":
        found = [k for k, f in dataset._schema.items() if f.document_type == "Segmentation"]
        raise ExportError(f"export_segmentations needs a Segmentation field; {label_field!r} "
                          f"is {field}; Segmentation fields: {found}")  # fmt: skip
    root = os.path.abspath(os.path.expanduser(output_dir))
    names = UniqueNames(rel_dir, dedupe=True)
    paths: dict[Any, str] = {}
    project = {"$project": {"filepath": 1, "mask": f"${label_field}.mask"}}
    for doc in sample_collection._aggregate([project]):
        mask = decode(doc.get("mask"))
        if mask is None:
            continue
        rel = os.path.splitext(names.assign("", doc["filepath"]))[0] + MASK_EXT
        path = os.path.join(root, rel)
        if os.path.exists(path) and not overwrite:
            raise ExportError(f"Mask file {path!r} exists; pass overwrite=True to replace it")
        write_mask(mask, path)
        paths[doc["_id"]] = path
    if update and paths:
        dataset.set_values(f"{label_field}.mask_path", paths)
        dataset.set_values(f"{label_field}.mask", dict.fromkeys(paths))
