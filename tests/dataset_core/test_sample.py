"""Samples outside and inside datasets."""

from __future__ import annotations

import pytest

import dataset_core as dc


def test_sample_fields_by_item_and_attribute():
    s = dc.Sample("rel/cat.jpg", tags=["train"], ground_truth=dc.Classification(label="cat"))
    assert s.filepath.endswith("/rel/cat.jpg") and s.filepath.startswith("/")
    assert s.id is None and not s.in_dataset
    assert s["ground_truth"].label == "cat" and s.ground_truth.label == "cat"
    s["score"] = 0.4
    s.score = 0.5  # an existing field may be set as an attribute
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


def test_a_missing_field_is_a_key_attribute_and_value_error():
    s = dc.Sample("/a.jpg", known=1)
    for read in (lambda: s["missing"], lambda: s.missing, lambda: s.get_field("missing")):
        with pytest.raises(dc.FieldNotFoundError) as info:
            read()
        assert isinstance(info.value, (KeyError, AttributeError, ValueError))
    assert s.get_field("missing", 7) == 7 and s.get_field("known") == 1


def test_setting_an_unknown_attribute_never_creates_a_field():
    s = dc.Sample("/a.jpg")
    with pytest.raises(ValueError, match=r"sample\['typo'\] = value"):
        s.typo = 1
    assert "typo" not in s.field_names
    with pytest.raises(ValueError, match="create=False"):
        s.set_field("new", 1, create=False)
    s.set_field("new", 2)
    s.new = 3
    assert s.field_names == ("id", "filepath", "tags", "metadata", "new") and s.new == 3


def test_clear_field_outside_a_dataset_removes_it():
    s = dc.Sample("/a.jpg", tags=["t"], extra=5)
    s.clear_field("extra")
    s.clear_field("tags")
    s.clear_field("metadata")
    assert "extra" not in s.field_names and s.tags == [] and s.metadata is None
    with pytest.raises(KeyError):
        s["extra"]
    with pytest.raises(ValueError, match="filepath cannot be cleared"):
        s.clear_field("filepath")


def test_bad_tags_wait_until_the_sample_is_added(database):
    s = dc.Sample("/a.jpg", tags=51)
    assert s.tags == 51  # held as given, as FiftyOne's unbound samples
    s.tags = None
    assert s.tags == []
    ds = dc.Dataset()
    ds.add_sample(s)
    with pytest.raises(ValueError, match="tags are a list of strings"):
        s.tags = "train"


def test_new_field_on_a_dataset_sample_is_declared_at_once(database):
    ds = dc.Dataset()
    a, b = dc.Sample("/a.jpg"), dc.Sample("/b.jpg")
    ds.add_samples([a, b])
    assert a.ingest_time is not None and dc.Sample("/c.jpg").ingest_time is None
    a["note"] = 51  # not saved: the schema has it all the same
    assert isinstance(ds.get_field_schema()["note"], dc.IntField)
    assert b.note is None and b.to_dict()["note"] is None
    ds.delete_sample_field("note")
    with pytest.raises(KeyError):
        a["note"]
    b.set_field("note", "text")
    assert isinstance(ds.get_field_schema()["note"], dc.StringField) and a.note is None


def test_in_memory_sample_equals_its_stored_copy(database):
    ds = dc.Dataset()
    s = dc.Sample("/a.jpg")
    ds.add_sample(s)
    stored = ds.clone().first()
    assert s.created_at == stored.created_at and s.last_modified_at == stored.last_modified_at
