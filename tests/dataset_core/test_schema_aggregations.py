"""Schema and ListSchema: the types the stored data holds, as FiftyOne reports them."""

from __future__ import annotations

from datetime import datetime

import pytest

import dataset_core as fo


@pytest.fixture
def notes(database):
    """Samples whose label holds a list of dynamic documents of varying content."""
    ds = fo.Dataset("notes")
    doc = fo.DynamicEmbeddedDocument
    ds.add_samples([
        fo.Sample("/d/1.png", gt=fo.Classification(label="cat", info=[
            doc(task="a", when=datetime(2020, 1, 1), ints=[1], nums=[1.5], mixed=[1, "x"],
                empty=[]),
            doc(task="b", nums=None),
        ])),
        fo.Sample("/d/2.png", gt=fo.Classification(label="dog", info=[
            doc(task="c", ints=[2], nums=[2], mixed=[2.5], empty=["y"]),
        ])),
    ])  # fmt: skip
    return ds


def test_one_list_field_per_attribute_whatever_its_lists_hold(notes):
    schema = notes.schema("gt.info[]")
    assert set(schema) == {"task", "when", "ints", "nums", "mixed", "empty"}
    assert type(schema["task"]) is fo.StringField
    assert type(schema["when"]) is fo.DateTimeField
    # [1.5] and [2] are lists of floats; [1, "x"] and [2.5] mix types; [] adds nothing
    assert schema["nums"] == fo.ListField(fo.FloatField())
    assert schema["ints"] == fo.ListField(fo.IntField())
    assert schema["mixed"] == fo.ListField()
    assert schema["empty"] == fo.ListField(fo.StringField())


def test_list_schema_reads_ints_and_floats_as_floats(notes):
    assert notes.list_schema("gt.info[].nums") == fo.FloatField()
    assert notes.list_schema("gt.info[].ints") == fo.IntField()
    mixed = notes.list_schema("gt.info[].mixed")
    assert isinstance(mixed, list)
    assert set(mixed) == {fo.IntField(), fo.StringField(), fo.FloatField()}


def test_dynamic_fields_declared_from_mixed_number_lists_hold_floats(notes):
    notes.add_dynamic_sample_fields()
    assert notes.get_field("gt.info.nums") == fo.ListField(fo.FloatField())
    assert notes.get_field("gt.info.mixed") == fo.ListField()
