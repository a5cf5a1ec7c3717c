"""Saving through views: only the edited paths are written; labels a view hid stay."""

from __future__ import annotations

import dataset_core as dc
from dataset_core import F


def _dataset(database, n=3):
    ds = dc.Dataset("views")
    for i in range(n):
        ds.add_sample(dc.Sample(
            f"/data/{i}.jpg", uniqueness=i / 10,
            ground_truth=dc.Detections(detections=[
                dc.Detection(label="cat", confidence=0.9),
                dc.Detection(label="dog", confidence=0.2),
                dc.Detection(label="cow", confidence=0.7),
            ]),
            pred=dc.Classification(label="cat", confidence=0.5),
        ))  # fmt: skip
    return ds


def test_save_from_filtered_view_keeps_hidden_labels(database):
    ds = _dataset(database)
    view = ds.filter_labels("ground_truth", F("confidence") > 0.5)
    sample = view.first()
    assert [d.label for d in sample.ground_truth.detections] == ["cat", "cow"]
    sample.ground_truth.detections[0].label = "lion"
    sample.save()
    stored = ds[sample.id].ground_truth.detections
    assert [d.label for d in stored] == ["lion", "dog", "cow"]


def test_filtered_view_remove_and_add_labels(database):
    ds = _dataset(database)
    sample = ds.filter_labels("ground_truth", F("confidence") > 0.5).first()
    dets = sample.ground_truth.detections
    dets.pop(1)  # cow, shown by the view: removed
    dets.append(dc.Detection(label="bird", confidence=0.99))
    sample.save()
    assert [d.label for d in ds[sample.id].ground_truth.detections] == ["cat", "dog", "bird"]


def test_save_from_filtered_view_other_field_leaves_labels(database):
    ds = _dataset(database)
    sample = ds.filter_labels("ground_truth", F("confidence") > 0.5).first()
    sample["uniqueness"] = 0.77
    sample.save()
    got = ds[sample.id]
    assert got.uniqueness == 0.77 and len(got.ground_truth.detections) == 3


def test_save_from_select_fields_subpath(database):
    ds = _dataset(database)
    sample = ds.select_fields("pred.label").first()
    sample["pred"]["label"] = "dog"
    sample.save()
    pred = ds[sample.id].pred
    assert pred.label == "dog" and pred.confidence == 0.5
    assert isinstance(pred, dc.Classification)
    assert len(ds[sample.id].ground_truth.detections) == 3


def test_save_from_exclude_fields(database):
    ds = _dataset(database)
    sample = ds.exclude_fields("ground_truth").first()
    sample.tags.append("seen")
    sample.save()
    got = ds[sample.id]
    assert got.tags == ["seen"] and len(got.ground_truth.detections) == 3


def test_set_values_through_filtered_view_merges_by_id(database):
    ds = _dataset(database)
    view = ds.filter_labels("ground_truth", F("confidence") > 0.5)
    values = view.values("ground_truth")
    for dets in values:
        for d in dets.detections:
            d.label = d.label.upper()
    view.set_values("ground_truth", values)
    assert ds.values("ground_truth.detections.label") == [["CAT", "dog", "COW"]] * 3


def test_set_values_per_label_path_through_view(database):
    ds = _dataset(database)
    view = ds.filter_labels("ground_truth", F("confidence") > 0.5)
    view.set_values("ground_truth.detections.confidence", [[1.0, 0.8]] * 3)
    assert ds.values("ground_truth.detections.confidence") == [[1.0, 0.2, 0.8]] * 3
    assert ds.values("ground_truth.detections.label") == [["cat", "dog", "cow"]] * 3
