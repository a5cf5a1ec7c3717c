"""Saving through views: only the edited paths are written; labels a view hid stay."""

from __future__ import annotations

import pytest

import dataset_core as dc
from dataset_core import F
from dataset_core.fields import DEFAULT_FIELDS


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


# -- view.save(fields) and keep_fields: a view's contents written back ---------------


def test_view_save_writes_set_field_for_the_views_samples_only(database):
    ds = _dataset(database)
    before = ds.values("last_modified_at")
    ds.limit(2).set_field("ground_truth.detections.label", F("label").upper()).save()
    assert ds.values("ground_truth.detections.label") == [["CAT", "DOG", "COW"]] * 2 + [
        ["cat", "dog", "cow"]
    ]
    assert ds.values("ground_truth.detections.confidence") == [[0.9, 0.2, 0.7]] * 3
    after = ds.values("last_modified_at")
    assert after[0] > before[0] and after[2] == before[2]
    assert len(ds) == 3  # save never deletes samples


def test_view_save_keeps_what_the_filter_left(database):
    ds = _dataset(database)
    ds.filter_labels("ground_truth", F("confidence") > 0.5).save()
    assert ds.values("ground_truth.detections.label") == [["cat", "cow"]] * 3
    assert ds.values("pred.label") == ["cat"] * 3


def test_view_save_of_named_fields_writes_only_those(database):
    ds = _dataset(database)
    view = ds.filter_labels("ground_truth", F("confidence") > 0.5).set_field("uniqueness", 1.0)
    view.save("uniqueness")
    assert ds.values("uniqueness") == [1.0] * 3
    assert ds.values("ground_truth.detections.label") == [["cat", "dog", "cow"]] * 3
    view.save(["ground_truth.detections.label"])  # an attribute of a list: the list
    assert ds.values("ground_truth.detections.label") == [["cat", "cow"]] * 3


def test_view_save_after_select_fields(database):
    ds = _dataset(database)
    ds.select_fields("pred").save("pred")  # named: nothing else is touched
    assert "uniqueness" in ds.get_field_schema() and ds.values("uniqueness") == [0, 0.1, 0.2]
    ds.select_fields("pred").set_field("pred.label", "dog").save()
    # everything the view left out is deleted, as in FiftyOne
    assert "uniqueness" not in ds.get_field_schema()
    assert "ground_truth" not in ds.get_field_schema()
    assert ds.values("pred.label") == ["dog"] * 3
    assert "uniqueness" not in ds.first().to_dict()


def test_view_save_of_a_field_the_view_leaves_out_fails(database):
    ds = _dataset(database)
    with pytest.raises(dc.FieldNotFoundError, match="leaves 'pred' out"):
        ds.exclude_fields("pred").save("pred")
    with pytest.raises(dc.FieldNotFoundError, match="'nope' not found"):
        ds.view().save("nope")


def test_keep_fields_deletes_what_the_view_excludes(database):
    ds = _dataset(database)
    ds.exclude_fields("pred").keep_fields()
    assert "pred" not in ds.get_field_schema()
    with pytest.raises(KeyError):
        ds.first()["pred"]
    assert ds.values("uniqueness") == [0, 0.1, 0.2]
    ds.select_fields().keep_fields()
    assert set(ds.get_field_schema()) == set(DEFAULT_FIELDS)
    assert "uniqueness" not in ds.first().to_dict()


def test_view_save_never_writes_a_field_shown_only_in_part(database):
    ds = _dataset(database)
    with pytest.raises(dc.ViewError, match="only part of 'ground_truth'"):
        ds.exclude_fields("ground_truth.detections.confidence").save("ground_truth")
    view = ds.select_fields(["pred.label", "uniqueness"]).set_field("uniqueness", 0.5)
    view.save()  # ground_truth, left out, goes; pred, shown in part, stays
    assert ds.values("uniqueness") == [0.5] * 3
    pred = ds.first().pred  # left as stored: its id, class and confidence stay
    assert isinstance(pred, dc.Classification) and pred.confidence == 0.5 and pred.id
    assert "ground_truth" not in ds.get_field_schema()
    with pytest.raises(dc.ViewError, match="only part of 'pred'"):
        view.save("pred")
