"""merge_samples and add_collection (dataset_core/merging.py), as FiftyOne's."""

from __future__ import annotations

import pytest

import dataset_core as dc


def _gt(name: str = "gt") -> dc.Dataset:
    ds = dc.Dataset(name)
    ds.add_samples([
        dc.Sample("/d/a.jpg", tags=["train"], gt=dc.Classification(label="cat")),
        dc.Sample("/d/b.jpg", tags=["val"], gt=dc.Classification(label="dog")),
    ])  # fmt: skip
    return ds


def test_merge_by_filepath_updates_matches_and_adds_new(database):
    ds = _gt()
    other = dc.Dataset("preds")
    other.add_samples([
        dc.Sample("/d/a.jpg", tags=["checked"], pred=dc.Classification(label="cat")),
        dc.Sample("/d/c.jpg", pred=dc.Classification(label="bird")),
    ])  # fmt: skip
    a = ds["/d/a.jpg"]
    ds.merge_samples(other)
    assert len(ds) == 3
    assert a.pred.label == "cat" and a.gt.label == "cat"  # the held sample sees the merge
    assert a.tags == ["train", "checked"]  # lists merged
    assert ds["/d/c.jpg"].pred.label == "bird"
    assert ds["/d/b.jpg"].get_field("pred") is None


@pytest.mark.parametrize(
    "kwargs, n, a_label, has_c",
    [
        ({"skip_existing": True}, 3, "cat", True),
        ({"insert_new": False}, 2, "lion", False),
        ({"overwrite": False}, 3, "cat", True),
        ({"fields": ["gt"]}, 3, "lion", True),
        ({"omit_fields": "gt"}, 3, "cat", True),
    ],
)
def test_merge_options(database, kwargs, n, a_label, has_c):
    ds = _gt()
    ds.merge_samples([dc.Sample("/d/a.jpg", gt=dc.Classification(label="lion"), score=1.0),
                      dc.Sample("/d/c.jpg", gt=dc.Classification(label="emu"))],
                     **kwargs)  # fmt: skip
    assert len(ds) == n
    assert ds["/d/a.jpg"].gt.label == a_label
    assert ("/d/c.jpg" in ds.values("filepath")) == has_c
    if kwargs.get("fields"):
        assert not ds.has_field("score")


def test_none_values_do_not_overwrite(database):
    ds = _gt()
    ds.merge_samples([dc.Sample("/d/a.jpg", gt=None)])
    assert ds["/d/a.jpg"].gt.label == "cat"


def test_merge_label_lists_by_id(database):
    ds = dc.Dataset("dets")
    box = dc.Detection(label="a", bounding_box=[0, 0, 0.5, 0.5])
    ds.add_sample(dc.Sample("/d/a.jpg", dets=dc.Detections(detections=[box])))
    src = ds.clone("src")
    s = src.first()
    s.dets.detections[0].label = "a2"
    s.dets.detections.append(dc.Detection(label="b", bounding_box=[0.5, 0.5, 0.1, 0.1]))
    s.save()
    ds.merge_samples(src)
    assert [d.label for d in ds.first().dets.detections] == ["a2", "b"]
    ds.merge_samples(src, merge_lists=False, overwrite=False)
    assert len(ds.first().dets.detections) == 2


def test_merge_by_other_key_and_by_id(database):
    ds = dc.Dataset("k")
    ds.add_samples([dc.Sample("/d/a.jpg", key="A"), dc.Sample("/d/b.jpg", key="B")])
    ds.merge_samples([dc.Sample("/elsewhere/a.jpg", key="A", score=0.1)], key_field="key")
    assert ds.match({"key": "A"}).first().score == 0.1 and len(ds) == 2
    view = ds.match({"key": "B"})
    ds2 = view.clone("k2")
    s = ds2.first()
    s["score"] = 0.7
    s.save()
    ds.merge_samples(ds2, key_field="id")
    assert ds.match({"key": "B"}).first().score == 0.7 and len(ds) == 2


def test_merge_type_conflict_writes_nothing(database):
    ds = _gt()
    with pytest.raises(dc.SchemaError, match="'gt'"):
        ds.merge_samples([dc.Sample("/d/a.jpg", gt="text"), dc.Sample("/d/z.jpg")])
    assert len(ds) == 2 and ds["/d/a.jpg"].gt.label == "cat"


def test_add_collection_keeps_ids_or_makes_new_ones(database):
    ds = _gt()
    other = _gt("other")
    ids = ds.add_collection(other.match_tags("train"))
    assert ids == other.match_tags("train").values("id")
    assert ds[ids[0]].gt.id == other[ids[0]].gt.id
    with pytest.raises(dc.DuplicateSampleError, match="new_ids=True"):
        ds.add_collection(other)
    new = ds.add_collection(other, new_ids=True)
    assert len(ds) == 5 and not set(new) & set(other.values("id"))
    assert ds[new[0]].gt.id != other.first().gt.id
    with pytest.raises(TypeError, match="add_samples"):
        ds.add_collection([dc.Sample("/x.jpg")])


def test_merge_by_key_function_and_no_new_fields(database):
    import os

    ds = _gt()
    incoming = [dc.Sample("/elsewhere/a.jpg", score=0.3)]
    with pytest.raises(ValueError, match="'score'.*expand_schema=False"):
        ds.merge_samples(incoming, expand_schema=False)
    ds.merge_samples(incoming, key_fcn=lambda s: os.path.basename(s.filepath))
    assert len(ds) == 2 and ds["/d/a.jpg"].score == 0.3


def test_merge_renamed_fields_merge_label_lists(database):
    ds = dc.Dataset("r")
    ds.add_sample(dc.Sample("/d/a.jpg", p1=dc.Detections(detections=[dc.Detection(label="x")])))
    ds.merge_samples([dc.Sample("/d/a.jpg", p2=dc.Detections(detections=[dc.Detection(label="y")]),
                                hello="bar")], fields={"p2": "p1", "hello": "hello2"})  # fmt: skip
    assert ds.values("p1.detections.label") == [["x", "y"]]
    assert ds.values("hello2") == ["bar"] and not ds.has_field("p2")


def test_merging_some_fields_still_gives_new_samples_their_tags(database):
    ds = dc.Dataset()
    ds.add_sample(dc.Sample("/d/a.jpg"))
    other = dc.Dataset()
    other.add_samples([dc.Sample("/d/a.jpg", note="x"), dc.Sample("/d/new.jpg", note="y")])
    ds.merge_samples(other, fields="note")
    assert ds.values("tags") == [[], []] and ds.values("note") == ["x", "y"]
