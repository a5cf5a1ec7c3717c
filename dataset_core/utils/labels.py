"""Label utilities with FiftyOne's names (``fiftyone.utils.labels``).

:func:`perform_nms` removes the overlapping duplicates of a detector's output;
:func:`export_segmentations` lives in :mod:`dataset_core.segmentation`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import FieldValueError, ViewError
from ..labels import Detections
from ..segmentation import export_segmentations

if TYPE_CHECKING:
    from ..collection import SampleCollection

__all__ = ["export_segmentations", "perform_nms"]


def _box_iou(boxes: np.ndarray) -> np.ndarray:
    """Pairwise IoU of ``[x, y, w, h]`` boxes (relative coordinates), ``(n, n)``."""
    x0, y0 = boxes[:, 0], boxes[:, 1]
    x1, y1 = x0 + boxes[:, 2], y0 + boxes[:, 3]
    w = np.clip(np.minimum(x1[:, None], x1) - np.maximum(x0[:, None], x0), 0, None)
    h = np.clip(np.minimum(y1[:, None], y1) - np.maximum(y0[:, None], y0), 0, None)
    inter = w * h
    area = boxes[:, 2] * boxes[:, 3]
    union = area[:, None] + area - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _nms_keep(dets: list[Any], iou_thresh: float, classwise: bool) -> list[bool]:
    """Which of ``dets`` survive greedy NMS, most confident first (None: least)."""
    n = len(dets)
    boxes = np.array([d.bounding_box or [0, 0, 0, 0] for d in dets], dtype=float).reshape(n, 4)
    conf = np.array([-np.inf if d.confidence is None else d.confidence for d in dets])
    iou = _box_iou(boxes)
    if classwise:
        labels = [d.label for d in dets]
        iou = iou * np.array([[a == b for b in labels] for a in labels], dtype=float)
    keep = [True] * n
    for i in np.argsort(-conf, kind="stable"):
        if keep[i]:
            suppressed = iou[i] > iou_thresh
            suppressed[i] = False
            for j in np.flatnonzero(suppressed):
                if conf[j] <= conf[i]:
                    keep[j] = False
    return keep


def perform_nms(sample_collection: SampleCollection, in_field: str,
                out_field: str | None = None, iou_thresh: float = 0.5,
                confidence_thresh: float | None = None, classwise: bool = True,
                progress: bool = False) -> None:  # fmt: skip
    """Non-maximum suppression on the ``Detections`` of ``in_field``: of boxes that
    overlap by more than ``iou_thresh`` (IoU), only the most confident is kept.

    The kept detections keep their ids and order; a sample without detections
    gets None in ``out_field``.

    Args:
        sample_collection: a dataset or view; only its samples are written.
        in_field: a ``Detections`` field.
        out_field: where to write the result; ``in_field`` itself if None.
        iou_thresh: boxes overlapping more than this suppress each other.
        confidence_thresh: drop detections less confident than this first (those
            without a confidence too).
        classwise: only boxes of the same label suppress each other.
        progress: accepted for FiftyOne's signature; the work is one pass.

    Raises:
        ViewError: ``in_field`` is not a ``Detections`` field.
        FieldValueError: a threshold that is not a number in [0, 1].

    Example:
        >>> perform_nms(dataset, "predictions", out_field="nms", iou_thresh=0.6)
    """
    for name, value in (("iou_thresh", iou_thresh), ("confidence_thresh", confidence_thresh)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not 0 <= value <= 1):  # fmt: skip
            raise FieldValueError(f"perform_nms {name} is a number in [0, 1]; got {value!r}")
    field = sample_collection.get_field_schema().get(in_field)
    if getattr(field, "document_type", None) is not Detections:
        raise ViewError(f"perform_nms needs a Detections field; {in_field!r} is {field}")
    ids, values = sample_collection.values(["id", in_field])
    out: list[Any] = []
    for dets in values:
        if dets is None:
            out.append(None)
            continue
        kept = [d for d in dets.detections if confidence_thresh is None
                or (d.confidence is not None and d.confidence >= confidence_thresh)]  # fmt: skip
        if len(kept) > 1:
            mask = _nms_keep(kept, iou_thresh, classwise)
            kept = [d for d, k in zip(kept, mask, strict=True) if k]
        out.append(Detections(detections=kept))
    target = in_field if out_field is None else out_field
    sample_collection.set_values(target, dict(zip(ids, out, strict=True)), key_field="id")
