"""Tests of dataset_core/sample_view.py: what reading a view gives."""

from __future__ import annotations

import pytest

import dataset_core as dc
import dataset_core.core.sample as fos
from dataset_core import F


@pytest.fixture
def ds(database) -> dc.Dataset:
    dataset = dc.Dataset("sample_views")
    dataset.add_samples(
        [dc.Sample(f"/data/{i}.jpg", n=i, gt=dc.Classification(label=f"l{i}")) for i in range(3)]
    )
    return dataset


def test_a_view_gives_sample_views_and_a_dataset_gives_samples(ds):
    view = ds.view()  # no stages: still a view
    for got in (view.first(), view.last(), view.head(1)[0], next(iter(view)), view[ds.first().id]):
        assert isinstance(got, fos.SampleView) and isinstance(got, dc.Sample)
    for got in (ds.first(), ds.last(), ds.head(1)[0], next(iter(ds)), ds[ds.first().id]):
        assert type(got) is dc.Sample
    assert dc.SampleView is fos.SampleView
    matched = ds.match(F("n") > 0)
    assert all(isinstance(s, dc.SampleView) for s in matched)
    assert repr(matched.first()).startswith("<SampleView: {")


def test_a_sample_view_saves_to_its_dataset(ds):
    sample = ds.match(F("n") == 1).first()
    sample["n"] = 10
    sample.save()
    assert ds.values("n") == [0, 10, 2]


def test_excluded_fields_are_not_there(ds):
    sample = ds.exclude_fields("gt").first()
    assert sample.excluded_field_names == {"gt"}
    assert sample.selected_field_names is None
    assert "gt" not in sample.field_names and not sample.has_field("gt")
    with pytest.raises(AttributeError, match="'gt' is not in this view"):
        _ = sample.gt
    with pytest.raises(dc.FieldNotFoundError, match="'gt' is not in this view"):
        _ = sample["gt"]
    assert sample.n == 0


def test_selected_fields_are_the_only_ones(ds):
    sample = ds.select_fields("n").first()
    assert sample.selected_field_names == set(fos.get_default_sample_fields(True)) | {"n"}
    assert sample.excluded_field_names is None
    with pytest.raises(AttributeError, match="not in this view"):
        _ = sample.gt
    assert sample.n == 0 and sample.tags == []
    full = ds.view().first()  # neither: every field, unset ones read as None
    assert full.selected_field_names is None and full.excluded_field_names is None
    ds.add_sample_field("later", dc.IntField)
    assert full.later is None


def test_default_sample_fields():
    assert fos.get_default_sample_fields() == dc.fields.DEFAULT_FIELDS
    assert fos.get_default_sample_fields(use_db_fields=True)[0] == "_id"
    assert set(fos.get_default_sample_fields(include_private=True)) >= {"_id", "_rand", "id"}
