"""Detection evaluation: match predicted objects to ground truth, COCO-style.

``dataset.evaluate_detections("predictions", "ground_truth", eval_key="eval")``
matches, in each sample and for each class, the predictions (most confident
first) to the ground truth objects greedily by IoU, as the COCO evaluation
does: a prediction takes the unmatched ground truth object it overlaps most,
with IoU at least ``iou``; failing that, a crowd object (``iscrowd``), which
any number of predictions may match and whose IoU is the overlap's share of
the prediction. It writes what FiftyOne writes:

- on each prediction and ground truth object: ``{eval_key}`` (``"tp"``,
  ``"fp"`` or ``"fn"``), ``{eval_key}_id`` (the id of its match, ``""`` when
  none) and ``{eval_key}_iou`` (the IoU of its match, None when none);
- on each sample: ``{eval_key}_tp``, ``{eval_key}_fp``, ``{eval_key}_fn``.

The run is recorded under the dataset's ``evaluations`` (its fields and IoU),
which is what :meth:`to_evaluation_patches` reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .db import translate_errors
from .errors import DatasetCoreError, ViewError
from .labels import list_field_of
from .stages.base import check_names

if TYPE_CHECKING:
    from .collection import SampleCollection

#: a crowd object's attribute, as COCO names it
CROWD_ATTR = "iscrowd"


class EvaluationNotFoundError(DatasetCoreError, KeyError):
    """An eval key that the dataset has no evaluation for."""

    http_status = 404

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class DetectionResults:
    """What :func:`evaluate_detections` found, over the whole collection.

    Attributes:
        eval_key: where the results were written, or None.
        tp: matched predictions. fp: unmatched predictions. fn: unmatched
        ground truth objects.
    """

    eval_key: str | None
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        """``tp / (tp + fp)`` (0 when there are no predictions)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """``tp / (tp + fn)`` (0 when there is no ground truth)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0


def iou(box: Any, other: Any, crowd: bool = False) -> float:
    """The IoU of two ``[x, y, w, h]`` boxes; with ``crowd``, the intersection over
    the area of ``box`` only (COCO's rule for crowd regions)."""
    x0, y0 = max(box[0], other[0]), max(box[1], other[1])
    x1 = min(box[0] + box[2], other[0] + other[2])
    y1 = min(box[1] + box[3], other[1] + other[3])
    inter = max(x1 - x0, 0.0) * max(y1 - y0, 0.0)
    area = box[2] * box[3]
    union = area if crowd else area + other[2] * other[3] - inter
    return min(inter / union, 1.0) if union > 0 else 0.0  # rounding may pass 1


@dataclass
class _Obj:
    id: str
    label: Any
    box: Any
    confidence: float | None = None
    crowd: bool = False
    match: str = ""
    match_iou: float | None = None


def match_objects(preds: list[_Obj], gts: list[_Obj], iou_thresh: float,
                  classwise: bool = True) -> None:  # fmt: skip
    """Match ``preds`` to ``gts`` in place (their ``match``/``match_iou``)."""
    order = sorted(preds, key=lambda p: -(p.confidence if p.confidence is not None else -1.0))
    for p in order:
        if p.box is None:
            continue
        best, best_iou = None, iou_thresh
        # a free non-crowd object first; a crowd one only when none overlaps enough
        for crowd in (False, True):
            for g in gts:
                if g.crowd is not crowd or g.box is None or (g.match and not crowd):
                    continue
                if classwise and g.label != p.label:
                    continue
                v = iou(p.box, g.box, crowd=crowd)
                if v >= best_iou:
                    best, best_iou = g, v
            if best is not None:
                break
        if best is not None:
            p.match, p.match_iou = best.id, best_iou
            if not best.match:
                best.match, best.match_iou = p.id, best_iou


def _objects(dets: Any, with_crowd: bool) -> list[_Obj]:
    out = []
    for d in dets or []:
        crowd = bool(d.get_field(CROWD_ATTR)) if with_crowd and d.has_field(CROWD_ATTR) else False
        out.append(_Obj(d.id, d.label, d.bounding_box, d.confidence, crowd))
    return out


@translate_errors
def evaluate_detections(samples: SampleCollection, pred_field: str,
                        gt_field: str = "ground_truth", eval_key: str | None = None,
                        iou: float = 0.5, classwise: bool = True) -> DetectionResults:  # fmt: skip
    """Match the objects of ``pred_field`` to those of ``gt_field`` in every sample.

    Args:
        samples: the dataset or view to evaluate.
        pred_field: a Detections field of predictions.
        gt_field: a Detections field of ground truth.
        eval_key: where to write the results (see the module docs); None to
            only count them.
        iou: the IoU a match needs, in ``(0, 1]``.
        classwise: only match objects of the same label.

    Returns:
        a :class:`DetectionResults`.

    Raises:
        ViewError: a field that is not a Detections field, or a bad ``iou``.

    Example:
        >>> results = dataset.evaluate_detections("predictions", eval_key="eval")
        >>> results.tp, dataset.count_values("predictions.detections.eval")
    """
    dataset = samples._dataset
    for name in (pred_field, gt_field):
        field = dataset.get_field(name)
        doc_type = getattr(field, "document_type", None)
        if list_field_of(doc_type) != "detections":
            raise ViewError(f"evaluate_detections needs Detections fields; {name!r} is {field}")
    if isinstance(iou, bool) or not isinstance(iou, (int, float)) or not 0 < iou <= 1:
        raise ViewError(f"iou must be a number in (0, 1]; got {iou!r}")
    if eval_key is not None:
        check_names(eval_key, "eval_key", allow_empty=False)
    preds_all, gts_all = samples.values([f"{pred_field}.detections", f"{gt_field}.detections"])
    per_sample = []
    for preds, gts in zip(preds_all, gts_all, strict=True):
        p, g = _objects(preds, False), _objects(gts, True)
        match_objects(p, g, iou, classwise)
        per_sample.append((p, g))
    tp = sum(1 for p, _ in per_sample for o in p if o.match)
    fp = sum(1 for p, _ in per_sample for o in p if not o.match)
    fn = sum(1 for _, g in per_sample for o in g if not o.match)
    if eval_key is not None:
        _write(samples, per_sample, pred_field, gt_field, eval_key)
        info = {"pred_field": pred_field, "gt_field": gt_field, "iou": float(iou),
                "classwise": bool(classwise), "method": "coco"}  # fmt: skip
        dataset._update_doc({"$set": {f"evaluations.{eval_key}": info}})
        dataset._doc.evaluations[eval_key] = info
    return DetectionResults(eval_key, tp, fp, fn)


def _write(samples: SampleCollection, per_sample: list[tuple[list[_Obj], list[_Obj]]],
           pred_field: str, gt_field: str, eval_key: str) -> None:  # fmt: skip
    for field, side, hit in ((pred_field, 0, "tp"), (gt_field, 1, "tp")):
        miss = "fp" if side == 0 else "fn"
        objs = [pair[side] for pair in per_sample]
        path = f"{field}.detections"
        samples.set_values(f"{path}.{eval_key}", [[hit if o.match else miss for o in s]
                                                   for s in objs])  # fmt: skip
        samples.set_values(f"{path}.{eval_key}_id", [[o.match for o in s] for s in objs])
        samples.set_values(f"{path}.{eval_key}_iou", [[o.match_iou for o in s] for s in objs])
    samples.set_values(f"{eval_key}_tp", [sum(1 for o in p if o.match) for p, _ in per_sample])
    samples.set_values(f"{eval_key}_fp", [sum(1 for o in p if not o.match) for p, _ in per_sample])
    samples.set_values(f"{eval_key}_fn", [sum(1 for o in g if not o.match) for _, g in per_sample])


def get_evaluation_info(samples: SampleCollection, eval_key: str) -> dict[str, Any]:
    """The recorded fields and parameters of the evaluation ``eval_key``.

    Raises:
        EvaluationNotFoundError: no such evaluation.
    """
    evals = samples._dataset._doc.evaluations or {}
    if eval_key not in evals:
        raise EvaluationNotFoundError(
            f"No evaluation {eval_key!r} on dataset {samples._dataset.name!r}; "
            f"evaluations: {sorted(evals)}"
        )
    return dict(evals[eval_key])


class EvaluationMixin:
    """The evaluation methods of every dataset and view."""

    def evaluate_detections(self, pred_field: str, gt_field: str = "ground_truth",
                            eval_key: str | None = None, iou: float = 0.5,
                            classwise: bool = True) -> DetectionResults:  # fmt: skip
        """Match predicted objects to ground truth; see :mod:`dataset_core.evaluation`.

        Example:
            >>> dataset.evaluate_detections("predictions", eval_key="eval")
        """
        return evaluate_detections(self, pred_field, gt_field, eval_key, iou,  # type: ignore[arg-type]
                                   classwise)  # fmt: skip

    def to_evaluation_patches(self, eval_key: str) -> Any:
        """One sample per true positive, false positive and false negative of the
        evaluation ``eval_key``; see :func:`dataset_core.patches.make_evaluation_patches`.

        Example:
            >>> dataset.to_evaluation_patches("eval").count_values("type")
        """
        from .patches import make_evaluation_patches

        return make_evaluation_patches(self, eval_key)  # type: ignore[arg-type]

    def list_evaluations(self) -> list[str]:
        """The eval keys of the dataset's evaluations."""
        return sorted(self._dataset._doc.evaluations or {})  # type: ignore[attr-defined]

    def get_evaluation_info(self, eval_key: str) -> dict[str, Any]:
        """The fields and parameters of the evaluation ``eval_key``."""
        return get_evaluation_info(self, eval_key)  # type: ignore[arg-type]
