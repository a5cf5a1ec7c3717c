"""Samples outside and inside datasets."""

from __future__ import annotations

import pytest

import dataset_core as dc


def test_sample_fields_by_item_and_attribute():
    s = dc.Sample("rel/cat.jpg", tags=["train"], ground_truth=dc.Classification(label="cat"))
    assert s.filepath.endswith("/rel/cat.jpg") and s.filepath.startswith("/")
    assert s.id is None and not s.in_dataset
    assert s["ground_truth"].label == "cat" and s.ground_truth.label == "cat"
    s.score = 0.5
    assert s["score"] == 0.5
    s["other"] = [1, 2]
    assert s.other == [1, 2]
    assert s.tags == ["train"]
    s.add_tag("x")
    s.add_tag("x")
    s.remove_tag("train")
    assert s.tags == ["x"]
    d = s.to_dict()
    assert d["ground_truth"]["_cls"] == "Classification" and d["score"] == 0.5 and d["id"] is None


def test_missing_field_lists_fields():
    s = dc.Sample("/a.jpg", label_a=1)
    with pytest.raises(dc.FieldNotFoundError, match=r"no field 'nope'; fields: \['id', 'filepath'"):
        s["nope"]
    with pytest.raises(AttributeError, match="no field 'nope'"):
        _ = s.nope


def test_save_outside_dataset_says_what_to_do():
    with pytest.raises(dc.DatasetCoreError, match=r"dataset.add_sample\(sample\)"):
        dc.Sample("/a.jpg").save()


def test_unstorable_value_is_a_clear_error():
    with pytest.raises(dc.SchemaError, match="Cannot store a value of type object"):
        dc.Sample("/a.jpg", x=object())


def test_equality_and_copy(database):
    ds = dc.Dataset("d")
    s = dc.Sample("/a.jpg", n=1)
    ds.add_sample(s)
    assert ds.first() == s
    c = s.copy()
    assert c.id is None and c.n == 1 and not c.in_dataset


def test_reload_drops_unsaved_changes(database):
    ds = dc.Dataset("d")
    ds.add_sample(dc.Sample("/a.jpg", n=1))
    s = ds.first()
    s.n = 5
    s.reload()
    assert s.n == 1


def test_dataset_fields_unset_on_a_sample_read_as_none(database):
    ds = dc.Dataset("d")
    ds.add_samples([dc.Sample("/a.jpg", score=1.0), dc.Sample("/b.jpg")])
    assert ds["/b.jpg"].score is None
