"""evaluate_detections (COCO-style matching) and evaluation patches."""

from __future__ import annotations

import pytest

import dataset_core as dc
from dataset_core import F
from dataset_core.evaluation import EvaluationNotFoundError, iou


@pytest.mark.unit
@pytest.mark.parametrize(
    "a, b, crowd, expected",
    [
        ([0, 0, 0.5, 0.5], [0, 0, 0.5, 0.5], False, 1.0),
        ([0, 0, 0.5, 0.5], [0.25, 0, 0.5, 0.5], False, 1 / 3),
        ([0, 0, 0.1, 0.1], [0.5, 0.5, 0.1, 0.1], False, 0.0),
        ([0.1, 0.1, 0.1, 0.1], [0, 0, 0.4, 0.4], False, 0.01 / 0.16),
        ([0.1, 0.1, 0.1, 0.1], [0, 0, 0.4, 0.4], True, 1.0),  # inside a crowd region
    ],
)
def test_iou(a, b, crowd, expected):
    assert iou(a, b, crowd=crowd) == pytest.approx(expected)


def _det(label, box, **kw):
    return dc.Detection(label=label, bounding_box=box, **kw)


@pytest.fixture
def ds(database):
    dataset = dc.Dataset("eval")
    dataset.add_samples([
        dc.Sample("/d/a.png", tags=["a"],
                  gt=dc.Detections(detections=[
                      _det("cat", [0.1, 0.1, 0.4, 0.4], iscrowd=True),
                      _det("dog", [0.6, 0.6, 0.1, 0.1]),
                      _det("owl", [0.8, 0.8, 0.1, 0.1])]),
                  pred=dc.Detections(detections=[
                      _det("cat", [0.1, 0.1, 0.1, 0.1], confidence=0.9),
                      _det("cat", [0.2, 0.2, 0.1, 0.1], confidence=0.8),
                      _det("dog", [0.6, 0.6, 0.1, 0.1], confidence=0.7),
                      _det("owl", [0.9, 0.9, 0.1, 0.1], confidence=0.6)])),
        dc.Sample("/d/b.png",
                  gt=dc.Detections(detections=[_det("dog", [0, 0, 0.5, 0.5])]),
                  # the more confident of two overlapping dogs takes the match
                  pred=dc.Detections(detections=[
                      _det("dog", [0, 0, 0.5, 0.45], confidence=0.4),
                      _det("dog", [0, 0, 0.5, 0.5], confidence=0.95),
                      _det("cat", [0, 0, 0.5, 0.5], confidence=0.99)])),
        dc.Sample("/d/c.png"),
    ])  # fmt: skip
    return dataset


def test_matches_and_counts_are_written_on_labels_and_samples(ds):
    results = ds.evaluate_detections("pred", "gt", eval_key="ev", iou=0.5)
    assert (results.tp, results.fp, results.fn) == (4, 3, 1)
    assert ds.values("pred.detections.ev") == [["tp", "tp", "tp", "fp"], ["fp", "tp", "fp"], None]
    assert ds.values("gt.detections.ev") == [["tp", "tp", "fn"], ["tp"], None]
    gt_ids = ds.values("gt.detections.id")
    pred_ids = ds.values("pred.detections.id")
    # both cats fall inside the crowd region, which keeps the first match's id
    assert ds.values("pred.detections.ev_id")[0] == [gt_ids[0][0], gt_ids[0][0], gt_ids[0][1], ""]
    assert ds.values("gt.detections.ev_id")[1] == [pred_ids[1][1]]
    assert ds.values("pred.detections.ev_iou")[1] == [None, 1.0, None]
    assert (ds.values("ev_tp"), ds.values("ev_fp"), ds.values("ev_fn")) == (
        [3, 1, 0], [1, 2, 0], [1, 0, 0]
    )  # fmt: skip
    assert ds.list_evaluations() == ["ev"]
    assert ds.get_evaluation_info("ev")["pred_field"] == "pred"


def test_a_stricter_iou_and_classless_matching(ds):
    strict = ds.evaluate_detections("pred", "gt", iou=0.95)
    assert (strict.tp, strict.fp, strict.fn) == (4, 3, 1)  # identical boxes and crowds
    anyclass = ds.evaluate_detections("pred", "gt", classwise=False)
    assert anyclass.tp == 4 and anyclass.fn == 1
    assert ds.list_evaluations() == []  # no eval_key: nothing written


def test_bad_evaluations(ds):
    with pytest.raises(dc.ViewError, match="Detections fields; 'filepath'"):
        ds.evaluate_detections("filepath", "gt")
    with pytest.raises(dc.ViewError, match=r"iou must be a number in \(0, 1\]"):
        ds.evaluate_detections("pred", "gt", iou=0)
    with pytest.raises(EvaluationNotFoundError, match="No evaluation 'nope'"):
        ds.to_evaluation_patches("nope")


def test_evaluation_patches_one_per_tp_fp_fn(ds):
    ds.evaluate_detections("pred", "gt", eval_key="ev")
    patches = ds.to_evaluation_patches("ev")
    assert set(patches.get_field_schema()) == {
        "id", "filepath", "tags", "metadata", "sample_id", "gt", "pred", "type", "iou", "crowd"
    }  # fmt: skip
    assert patches.count_values("type") == {"tp": 3, "fp": 3, "fn": 1}
    crowd = patches.match(F("crowd") == True).first()  # noqa: E712 - an expression
    assert crowd.type == "tp" and len(crowd.pred.detections) == 2
    assert crowd.sample_id == ds.first().id
    assert patches.count("gt.detections") == 4 and patches.count("pred.detections") == 7
    assert patches.count_sample_tags() == {"a": 4}


def test_edits_through_evaluation_patches_reach_both_fields(ds):
    ds.evaluate_detections("pred", "gt", eval_key="ev")
    patches = ds.to_evaluation_patches("ev")
    patches.tag_labels("seen")
    assert ds.count_label_tags("gt") == {"seen": 4} and ds.count_label_tags("pred") == {"seen": 7}
    patches.select_labels(tags="seen").untag_labels("seen")
    assert ds.count_label_tags() == {}
    tps = patches.match(F("type") == "tp")
    tps.set_values("pred.detections.checked", [[True] * n for n in tps.values(
        F("pred.detections").length())])  # fmt: skip
    assert ds.count_values("pred.detections.checked") == {True: 4, None: 3}
