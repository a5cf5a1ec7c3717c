"""Tests of dataset_core/utils/labels.py: perform_nms."""

from __future__ import annotations

import pytest

import dataset_core as dc
import dataset_core.utils.labels as foul


def _det(label, box, confidence):
    return dc.Detection(label=label, bounding_box=box, confidence=confidence)


@pytest.fixture
def ds(database):
    big, small, far = [0, 0, 0.4, 0.4], [0, 0, 0.38, 0.38], [0.6, 0.6, 0.3, 0.3]
    dets = [_det("cat", big, 0.7), _det("cat", small, 0.9), _det("dog", big, 0.5),
            _det("dog", small, None), _det("cat", far, 0.2)]  # fmt: skip
    dataset = dc.Dataset("nms")
    a = dc.Sample("/a.jpg", pred=dc.Detections(detections=dets))
    dataset.add_samples([a, dc.Sample("/b.jpg", pred=dc.Detections()), dc.Sample("/c.jpg")])
    return dataset


def _labels(ds, field):
    return [None if d is None else [(x.label, x.confidence) for x in d.detections]
            for d in ds.values(field)]  # fmt: skip


def test_overlapping_boxes_of_a_class_keep_the_most_confident(ds):
    before = ds.values("pred.detections.id")[0]
    foul.perform_nms(ds, "pred", out_field="nms", iou_thresh=0.5)
    assert _labels(ds, "nms") == [[("cat", 0.9), ("dog", 0.5), ("cat", 0.2)], [], None]
    kept = ds.values("nms.detections.id")[0]
    assert kept == [before[1], before[2], before[4]]  # the same labels, in their order
    assert len(ds.values("pred.detections")[0]) == 5  # the input is left as it was


def test_options(ds):
    foul.perform_nms(ds, "pred", out_field="any", classwise=False)
    assert _labels(ds, "any")[0] == [("cat", 0.9), ("cat", 0.2)]
    foul.perform_nms(ds, "pred", out_field="conf", confidence_thresh=0.6)
    assert _labels(ds, "conf")[0] == [("cat", 0.9)]
    foul.perform_nms(ds, "pred", out_field="loose", iou_thresh=0.95)  # nothing overlaps that much
    assert len(_labels(ds, "loose")[0]) == 5
    foul.perform_nms(ds.match({"filepath": "/b.jpg"}), "pred", out_field="only_b")
    assert ds.values("only_b") == [None, dc.Detections(), None]  # a view writes its samples only
    foul.perform_nms(ds, "pred")  # in place
    assert len(_labels(ds, "pred")[0]) == 3


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"in_field": "nope"}, dc.ViewError, "needs a Detections field; 'nope' is None"),
        ({"in_field": "pred", "iou_thresh": 2}, dc.FieldValueError, r"iou_thresh is a number in"),
        ({"in_field": "pred", "confidence_thresh": "x"}, dc.FieldValueError, "confidence_thresh"),
    ],
)
def test_bad_arguments(ds, kwargs, error, message):
    with pytest.raises(error, match=message):
        foul.perform_nms(ds, **kwargs)
