"""FiftyOne's dataset and sample semantics: from_dict, copy, filename, equality,
names, persistence, positional lookups, and filepaths in several samples."""

from __future__ import annotations

import pytest

import dataset_core as dc


def test_sample_from_dict_round_trips_labels(database):
    s = dc.Sample("/d/a.jpg", tags=["t"], gt=dc.Classification(label="cat"), score=0.5)
    again = dc.Sample.from_dict(s.to_dict())
    assert again.filepath == s.filepath and again.tags == ["t"] and again.score == 0.5
    assert isinstance(again.gt, dc.Classification) and again.gt.label == "cat"
    assert again.id is None and not again.in_dataset
    with pytest.raises(dc.FieldValueError, match="filepath"):
        dc.Sample.from_dict({"tags": []})


def test_filename_is_the_basename():
    assert dc.Sample("/d/sub/cat.jpg").filename == "cat.jpg"


def test_copy_is_a_new_sample_with_new_label_ids(database):
    ds = dc.Dataset("c")
    ds.add_sample(dc.Sample("/d/a.jpg", gt=dc.Detections(detections=[dc.Detection(label="x")]),
                            score=1.0))  # fmt: skip
    s = ds.first()
    c = s.copy()
    assert not c.in_dataset and c.id is None
    assert c.gt.detections[0].label == "x"
    assert c.gt.detections[0].id != s.gt.detections[0].id
    assert not c.copy(fields=["score"]).has_field("gt")
    assert not c.copy(omit_fields="score").has_field("score")
    ds.add_sample(c)  # a copy can be added next to the original
    assert len(ds) == 2


def test_reload_drops_unsaved_edits(database):
    ds = dc.Dataset("r")
    ds.add_sample(dc.Sample("/d/a.jpg", score=1.0))
    s = ds.first()
    s.score = 2.0
    s.reload(hard=True)  # FiftyOne's signature
    assert s.score == 1.0


def test_positional_lookup_says_what_to_use(database):
    ds = dc.Dataset("p")
    ds.add_samples([dc.Sample("/d/a.jpg"), dc.Sample("/d/b.jpg")])
    with pytest.raises(ValueError, match="not looked up by position.*dataset\\[0:1\\]"):
        ds[0]
    with pytest.raises(dc.SampleIndexError):
        ds.view()[1]
    assert ds[1:2].first().filepath == "/d/b.jpg"


def test_view_name_is_read_only(database):
    ds = dc.Dataset("v")
    ds.add_sample(dc.Sample("/d/a.jpg"))
    ds.save_view("mine", ds.limit(1))
    view = ds.load_saved_view("mine")
    assert view.name == "mine" and view.is_saved
    assert ds.limit(1).name is None and view.limit(1).name is None
    with pytest.raises(AttributeError):
        view.name = "other"


def test_rename_dataset(database):
    ds = dc.Dataset("old")
    ds.add_sample(dc.Sample("/d/a.jpg"))
    view = ds.limit(1)
    ds.name = "new"
    assert dc.list_datasets() == ["new"]
    assert dc.load_dataset("new") is ds and len(ds) == 1
    assert ds == dc.load_dataset("new") and view == ds.limit(1) and view != ds.limit(2)
    dc.Dataset("taken")
    with pytest.raises(dc.DatasetExistsError, match="'taken'.*taken"):
        ds.name = "taken"
    assert ds.name == "new"


def test_persistent_setter_and_delete_non_persistent(database):
    keep = dc.Dataset("keep")
    temp = dc.Dataset("temp", persistent=False)
    assert keep.persistent and not temp.persistent
    keep.persistent = False
    keep.persistent = True
    assert dc.list_datasets(info=True)[0]["persistent"] is True
    assert dc.delete_non_persistent_datasets() == ["temp"]
    assert dc.list_datasets() == ["keep"] and temp.deleted


def test_a_filepath_may_be_in_several_samples(database):
    ds = dc.Dataset("dup")
    assert not ds.unique_filepaths
    ds.add_samples([dc.Sample("/d/a.jpg"), dc.Sample("/d/a.jpg")])
    ds.add_sample(dc.Sample("/d/a.jpg"))
    assert ds.count() == 3
    assert ds.clone("dup2").count() == 3


def test_unique_filepaths_keeps_one_sample_per_path(database):
    ds = dc.Dataset("uniq", unique_filepaths=True)
    ds.add_sample(dc.Sample("/d/a.jpg"))
    with pytest.raises(dc.DuplicateSampleError, match="a.jpg"):
        ds.add_sample(dc.Sample("/d/a.jpg"))
    assert dc.load_dataset("uniq").unique_filepaths


def test_reimporting_a_folder_does_not_duplicate(database, tmp_path):
    from tests.conftest import write_image

    for i in range(3):
        write_image(tmp_path / f"{i}.png", seed=i)
    ds = dc.Dataset.from_images_dir(str(tmp_path), name="imp")
    assert ds.unique_filepaths
    ds.merge_dir(str(tmp_path), dataset_type=dc.types.ImageDirectory)
    assert len(ds) == 3
