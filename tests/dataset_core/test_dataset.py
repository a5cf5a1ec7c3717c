"""Datasets against the real embedded mongod: create, load, add, read, edit, delete."""

from __future__ import annotations

import numpy as np
import pytest

import dataset_core as dc
from dataset_core import db


def _samples(n: int, label: str = "cat") -> list[dc.Sample]:
    return [
        dc.Sample(f"/data/img{i}.jpg", ground_truth=dc.Classification(label=label))
        for i in range(n)
    ]


def test_create_list_load_delete(database):
    ds = dc.Dataset("pets")
    assert dc.dataset_exists("pets")
    assert dc.list_datasets() == ["pets"]
    assert dc.load_dataset("pets") is ds
    assert ds.persistent
    dc.delete_dataset("pets")
    assert dc.list_datasets() == []
    assert ds.deleted
    with pytest.raises(dc.DatasetNotFoundError, match="was deleted"):
        len(ds)


def test_name_taken_is_an_error_unless_overwrite(database):
    ds = dc.Dataset("pets")
    ds.add_samples(_samples(2))
    with pytest.raises(
        dc.DatasetExistsError, match=r"already exists; load it with dc.load_dataset\('pets'\)"
    ):
        dc.Dataset("pets")
    assert len(dc.load_dataset("pets")) == 2  # nothing lost
    fresh = dc.Dataset("pets", overwrite=True)
    assert len(fresh) == 0


def test_default_name_is_unique(database):
    a, b = dc.Dataset(), dc.Dataset()
    assert a.name != b.name and sorted(dc.list_datasets()) == sorted([a.name, b.name])


def test_unknown_dataset_lists_existing(database):
    dc.Dataset("real")
    with pytest.raises(dc.DatasetNotFoundError, match=r"'nope' not found; datasets: \['real'\]"):
        dc.load_dataset("nope")
    with pytest.raises(KeyError):
        dc.delete_dataset("nope")


def test_add_samples_returns_ids_and_binds_samples(database):
    ds = dc.Dataset("d")
    samples = _samples(3)
    ids = ds.add_samples(samples)
    assert len(ids) == 3 and len(set(ids)) == 3
    assert [s.id for s in samples] == ids
    assert all(s.in_dataset and s.dataset is ds for s in samples)
    assert len(ds) == 3
    assert ds[ids[1]].filepath == "/data/img1.jpg"
    assert ds["/data/img2.jpg"].id == ids[2]


def test_add_samples_is_all_or_nothing_on_duplicate_filepath(database):
    ds = dc.Dataset("d", unique_filepaths=True)
    ds.add_samples(_samples(3))
    batch = [dc.Sample("/data/new.jpg"), dc.Sample("/data/img1.jpg")]
    with pytest.raises(dc.DuplicateSampleError, match="Nothing was added.*img1.jpg"):
        ds.add_samples(batch)
    assert len(ds) == 3
    assert "/data/new.jpg" not in ds.values("filepath")
    assert batch[0].id is None  # rolled back samples stay unbound
    with pytest.raises(dc.DuplicateSampleError, match="given twice"):
        ds.add_samples([dc.Sample("/x/a.jpg"), dc.Sample("/x/a.jpg")])
    assert len(ds) == 3


def test_add_samples_type_conflict_writes_nothing(database):
    ds = dc.Dataset("d")
    ds.add_samples([dc.Sample("/a.jpg", score=0.5)])
    with pytest.raises(dc.SchemaError, match="'score'.*FloatField.*StringField"):
        ds.add_samples([dc.Sample("/b.jpg", score=0.1), dc.Sample("/c.jpg", score="high")])
    assert len(ds) == 1


def test_add_sample_copies_a_sample_from_another_dataset(database):
    a, b = dc.Dataset("a"), dc.Dataset("b")
    s = dc.Sample("/x.jpg", tags=["t"])
    a.add_sample(s)
    new_id = b.add_sample(s)
    assert new_id != s.id and s.dataset is a
    assert b[new_id].tags == ["t"]


def test_iteration_edit_and_save(database, tmp_path):
    ds = dc.Dataset("d")
    ds.add_samples(_samples(4))
    for sample in ds:
        sample["file_hash"] = dc.compute_filehash(__file__)
        sample.save()
    assert set(ds.values("file_hash")) == {dc.compute_filehash(__file__)}
    assert ds.get_field_schema()["file_hash"].ftype == "string"
    sample = ds.first()
    sample.add_tag("dup")
    sample.save()
    assert ds[sample.id].tags == ["dup"]
    sample.ground_truth.label = "dog"  # in-place edit of a label
    sample.save()
    assert ds[sample.id].ground_truth.label == "dog"
    assert ds.last().filepath == "/data/img3.jpg"
    assert [s.filepath for s in ds.head(2)] == ["/data/img0.jpg", "/data/img1.jpg"]


def test_delete_samples_by_id_sample_and_del(database):
    ds = dc.Dataset("d")
    ids = ds.add_samples(_samples(5))
    del ds[ids[0]]
    assert ds.delete_samples([ids[1], ds[ids[2]]]) == 2
    assert ds.values("id") == ids[3:]
    with pytest.raises(dc.SampleNotFoundError, match="No sample with id"):
        ds[ids[0]]
    with pytest.raises(dc.SampleNotFoundError, match="not a sample id"):
        ds.delete_samples(["garbage"])


def test_saving_a_deleted_sample_is_an_error(database):
    ds = dc.Dataset("d")
    ds.add_samples(_samples(2))
    s, other = ds.head(2)
    ds.delete_samples(ds.values("id")[:1])  # deleted here: the sample left the dataset
    s["x"] = 1
    with pytest.raises(dc.DatasetCoreError, match="not in a dataset"):
        s.save()
    ds._sample_coll().delete_many({})  # deleted behind its back (another process)
    other["x"] = 1
    with pytest.raises(dc.SampleNotFoundError, match="was deleted"):
        other.save()


def test_schema_tracks_types_and_rejects_conflicts(database):
    ds = dc.Dataset("d")
    ds.add_samples(_samples(2))
    s = ds.first()
    s["uniqueness"] = 0.7
    s.save()
    s["uniqueness"] = 1  # an int in a float field is fine
    s.save()
    with pytest.raises(dc.SchemaError, match="'uniqueness'.*FloatField.*cannot store StringField"):
        s["uniqueness"] = "high"
    with pytest.raises(dc.SchemaError, match="'ground_truth'.*Classification.*Detections"):
        s["ground_truth"] = dc.Detections(detections=[])
    schema = ds.get_field_schema()
    assert str(schema["ground_truth"]) == "EmbeddedDocumentField(Classification)"
    assert str(schema["uniqueness"]) == "FloatField"


@pytest.mark.parametrize("name", ["$bad", "a.b", "", "1abc", "_id", "has space"])
def test_bad_field_names(database, name):
    ds = dc.Dataset("d")
    ds.add_samples(_samples(1))
    s = ds.first()
    with pytest.raises(dc.SchemaError, match="Invalid field name"):
        s[name] = 1
    with pytest.raises(dc.SchemaError, match="Invalid field name"):
        ds.add_sample_field(name, float)


def test_add_delete_rename_fields(database):
    ds = dc.Dataset("d")
    ds.add_samples(_samples(2))
    ds.add_sample_field("score", float)
    ds.add_sample_field("pred", dc.Classification)
    assert ds.first()["score"] is None
    ds.set_values("score", [0.1, 0.2])
    ds.rename_sample_field("score", "confidence")
    assert ds.values("confidence") == [0.1, 0.2]
    assert "score" not in ds.get_field_schema()
    ds.delete_sample_field("confidence")
    assert "confidence" not in ds.get_field_schema()
    assert "confidence" not in ds.first().to_dict()
    with pytest.raises(dc.SchemaError, match="default field"):
        ds.delete_sample_field("filepath")
    with pytest.raises(
        dc.FieldNotFoundError, match=r"'nope' not found.*fields: \['id', 'filepath'"
    ):
        ds.delete_sample_field("nope")
    with pytest.raises(dc.SchemaError, match="Unknown field type"):
        ds.add_sample_field("z", "complex")


def test_set_values_bulk_list_and_dict(database):
    ds = dc.Dataset("d")
    ids = ds.add_samples(_samples(3))
    ds.set_values("score", [1.0, 2.0, 3.0])
    assert ds.values("score") == [1.0, 2.0, 3.0]
    ds.set_values("score", {ids[0]: 9.0})
    assert ds.values("score") == [9.0, 2.0, 3.0]
    ds.set_values("pred", [dc.Classification(label=str(i)) for i in range(3)])
    assert ds.values("pred.label") == ["0", "1", "2"]
    with pytest.raises(ValueError, match="got 2 values for 3 samples"):
        ds.set_values("score", [1.0, 2.0])
    with pytest.raises(dc.SchemaError, match="FloatField"):
        ds.set_values("score", ["a", "b", "c"])


def test_values_of_unknown_field_lists_fields(database):
    ds = dc.Dataset("d")
    ds.add_samples(_samples(1))
    with pytest.raises(dc.FieldNotFoundError, match=r"'lable' not found.*'ground_truth'"):
        ds.values("lable")


def test_numpy_values_round_trip_as_binary(database):
    ds = dc.Dataset("d")
    vec = np.arange(6, dtype=np.float32).reshape(2, 3)
    ds.add_sample(dc.Sample("/a.jpg", emb=vec, n=np.int64(3), f=np.float32(0.5)))
    s = ds.first()
    assert isinstance(s.emb, np.ndarray) and s.emb.dtype == np.float32
    np.testing.assert_array_equal(s.emb, vec)
    assert s.n == 3 and type(s.n) is int and s.f == 0.5
    raw = database[ds._doc.sample_collection_name].find_one()
    assert isinstance(raw["emb"]["data"], bytes)  # stored as binary, not a JSON list
    assert str(ds.get_field_schema()["emb"]) == "ArrayField"


def test_clone_copies_samples_and_schema(database):
    ds = dc.Dataset("d")
    ds.add_samples(_samples(3))
    ds.set_values("score", [1.0, 2.0, 3.0])
    copy = ds.clone("d2")
    assert len(copy) == 3 and copy.values("score") == [1.0, 2.0, 3.0]
    copy.first().tags.append("x")
    s = copy.first()
    s.add_tag("only-in-copy")
    s.save()
    assert ds.count_sample_tags() == {} and copy.count_sample_tags() == {"only-in-copy": 1}
    assert "score" in copy.get_field_schema()


def test_summary_and_repr(database):
    ds = dc.Dataset("cifar")
    ds.add_samples(_samples(2))
    s = ds.first()
    s.add_tag("dup")
    s.save()
    text = ds.summary()
    assert "Name:        cifar" in text
    assert "Media type:  image" in text
    assert "Num samples: 2" in text
    assert "Tags:        ['dup']" in text
    assert "ground_truth:" in text and "EmbeddedDocumentField(Classification)" in text
    r = repr(ds.first())
    for part in ("'id':", "'filepath': '/data/img0.jpg'", "'tags': ['dup']", "'metadata': None",
                 "Classification(label='cat')"):  # fmt: skip
        assert part in r


def test_create_index(database):
    ds = dc.Dataset("d")
    ds.add_samples(_samples(2))
    ds.set_values("score", [1.0, 2.0])
    ds.create_index("score")
    assert "score" in ds.list_indexes() and "filepath" in ds.list_indexes()


def test_dataset_survives_reconnect(database):
    from dataset_core import dataset as dataset_module

    ds = dc.Dataset("keep")
    ds.add_samples(_samples(2))
    ds.info["note"] = "hello"
    ds.save()
    db.reset()
    dataset_module._instances.clear()
    again = dc.load_dataset("keep")
    assert again is not ds and len(again) == 2 and again.info == {"note": "hello"}


@pytest.mark.parametrize("name", ["gt", "size", "exists", "ne", "in_"])
def test_field_names_like_query_operators(database, name):
    ds = dc.Dataset("d")
    ds.add_samples([dc.Sample("/a.jpg", **{name: dc.Classification(label="x")})])
    ds.rename_sample_field(name, "renamed")
    ds.add_sample_field(name, float)
    ds.delete_sample_field("renamed")
    assert name in ds.get_field_schema() and "renamed" not in ds.get_field_schema()


def test_a_deleted_dataset_is_a_value_error_too(database):
    ds = dc.Dataset("gone")
    ds.delete()
    with pytest.raises(ValueError, match="was deleted"):
        len(ds)
    with pytest.raises(ValueError, match="not found"):
        dc.load_dataset("gone")


def test_default_fields_cannot_be_declared_or_deleted(database):
    ds = dc.Dataset()
    with pytest.raises(ValueError, match="default field"):
        ds.add_sample_field("filepath", dc.StringField)
    with pytest.raises(ValueError, match="default field"):
        ds.delete_sample_field("filepath")


def test_info_is_assigned_and_saved(database):
    ds = dc.Dataset("withinfo")
    ds.info = {"source": "camera"}
    ds.save()
    ds.info = {"other": 1}  # not saved: a reload shows what was
    ds.reload()
    assert dc.load_dataset("withinfo").info == {"source": "camera"}
    with pytest.raises(dc.DatasetCoreError, match="info is a dict"):
        ds.info = ["not", "a", "dict"]
