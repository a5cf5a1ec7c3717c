"""Object patches as images: what ``ImageDirectory`` and
``ImageClassificationDirectoryTree`` exports write for a Detections field.

Each object's box is cropped out of its image and saved as a new image,
``<image stem>-<object id><ext>``; the tree puts it in the folder of its
label. Crops are new files, so they are always written (never linked).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import MediaError

if TYPE_CHECKING:
    from ..collection import SampleCollection
    from ..exporters import UniqueNames

#: label types whose objects are exported as patches
PATCH_TYPES = ("Detections", "Detection")


def patch_field(collection: SampleCollection, label_field: str | None) -> bool:
    """Whether ``label_field`` is a field of objects to export as patches."""
    field = collection._dataset._schema.get(label_field) if label_field else None
    return field is not None and field.document_type in PATCH_TYPES


def _objects(label: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not label:
        return []
    if label.get("_cls") == "Detections":
        return [d for d in label.get("detections") or [] if d.get("bounding_box")]
    return [label] if label.get("bounding_box") else []


def pixel_box(box: list[float], width: int, height: int) -> tuple[int, int, int, int]:
    """A relative ``[x, y, w, h]`` as a pixel ``(left, top, right, bottom)``, at least 1 px."""
    x, y, w, h = box
    left = min(max(round(x * width), 0), width - 1)
    top = min(max(round(y * height), 0), height - 1)
    right = max(min(round((x + w) * width), width), left + 1)
    bottom = max(min(round((y + h) * height), height), top + 1)
    return left, top, right, bottom


Folder = Callable[[dict[str, Any], Any], str]


def write_patches(collection: SampleCollection, label_field: str, root: str,
                  names: UniqueNames, folder: Folder) -> int:  # fmt: skip
    """Crop every object of ``label_field`` into ``root``; return how many were written.

    Args:
        folder: ``folder(object, sample_id)`` -> the export-relative folder of
            the patch ("" for none).

    Raises:
        MediaError: an image that cannot be read (the others are written).
    """
    from PIL import Image

    project = {"$project": {"filepath": 1, "label": f"${label_field}"}}
    failed: list[str] = []
    count = 0
    for doc in collection._aggregate([project]):
        objects = _objects(doc.get("label"))
        if not objects:
            continue
        path = doc["filepath"]
        try:
            with Image.open(path) as img:
                img.load()
                stem, ext = os.path.splitext(os.path.basename(path))
                for obj in objects:
                    crop = img.crop(pixel_box(obj["bounding_box"], *img.size))
                    name = f"{stem}-{obj.get('_id')}{ext}"
                    sub = folder(obj, doc["_id"])
                    rel = names.assign(sub, os.path.join(os.path.dirname(path), name))
                    dst = os.path.join(root, rel)
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    crop.save(dst, format=img.format)
                    count += 1
        except OSError as e:
            failed.append(f"{path} ({e})")
    if failed:
        raise MediaError(
            f"{len(failed)} images could not be cropped into patches, e.g. {failed[:5]}; "
            "fix or delete those samples and export again with overwrite=True"
        )
    return count
