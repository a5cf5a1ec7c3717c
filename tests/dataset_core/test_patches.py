"""to_patches: one sample per label, edits written back to the source labels."""

from __future__ import annotations

import gc
import time

import pytest
from bson import ObjectId

import dataset_core as dc
from dataset_core import F


@pytest.fixture
def ds(database, tmp_path):
    def det(label, conf):
        return dc.Detection(label=label, bounding_box=[0.1, 0.1, 0.5, 0.5], confidence=conf)

    dataset = dc.Dataset("patches")
    dataset.add_samples([
        dc.Sample(tmp_path / "a.jpg",
                  gt=dc.Detections(detections=[det("cat", 0.9), det("dog", 0.3)])),
        dc.Sample(tmp_path / "b.jpg", gt=dc.Detections(detections=[det("cat", 0.6)])),
        dc.Sample(tmp_path / "c.jpg", gt=dc.Detections(detections=[])),
        dc.Sample(tmp_path / "d.jpg"),
    ])  # fmt: skip
    return dataset


def test_one_patch_per_label_with_its_sample_id(ds):
    patches = ds.to_patches("gt")
    assert len(patches) == 3
    first = patches.first()
    assert isinstance(first.gt, dc.Detection)
    assert first.sample_id == ds.first().id
    assert sorted(patches.values("gt.label")) == ["cat", "cat", "dog"]
    assert patches.values("id") == [i for v in ds.values("gt.detections.id") for i in v or []]
    assert len(patches.match(F("gt.confidence") > 0.5)) == 2
    assert len(patches.filter_labels("gt", F("label") == "dog")) == 1
    assert not [n for n in dc.list_datasets() if "patches-" in n]


def test_patches_of_a_filtered_view_hold_only_its_labels(ds):
    patches = ds.filter_labels("gt", F("label") == "cat").to_patches("gt")
    assert patches.values("gt.label") == ["cat", "cat"]


def test_edits_through_patches_reach_the_source(ds):
    patches = ds.to_patches("gt")
    patch = patches.match(F("gt.label") == "dog").first()
    patch.gt.label = "wolf"
    patch.save()
    assert ds.values("gt.detections.label")[0] == ["cat", "wolf"]
    patches.set_values("gt.checked", [True, False, True])
    assert ds.values("gt.detections.checked") == [[True, False], [True], [], None]
    patches.match(F("gt.confidence") > 0.5).tag_labels("sure")
    assert ds.count_label_tags() == {"sure": 2}
    assert ds.values("gt.detections.tags")[0] == [["sure"], []]


def test_saving_a_patches_view_reaches_the_source(ds):
    patches = ds.to_patches("gt")
    # the saved labels no longer match the view's filter: they still reach the source
    patches.match(F("gt.label") == "cat").set_field("gt.label", F("label").upper()).save()
    assert ds.values("gt.detections.label") == [["CAT", "dog"], ["CAT"], [], None]
    assert ds.values("gt.detections.confidence")[0] == [0.9, 0.3]


def test_to_patches_needs_a_label_list_field(ds):
    ds.add_sample_field("cls", dc.Classification)
    with pytest.raises(dc.ViewError, match="to_patches works on Detections"):
        ds.to_patches("cls")
    with pytest.raises(dc.FieldNotFoundError):
        ds.to_patches("nope")


def test_patch_collection_is_dropped_with_the_view(ds, database):
    def samples():
        return {n for n in database.list_collection_names() if n.startswith("samples.")}

    before = samples()
    patches = ds.to_patches("gt")
    assert len(samples() - before) == 1
    del patches
    gc.collect()  # the finalizer queues the drop; a thread of its own runs it
    deadline = time.monotonic() + 10
    while (samples() != before or database["_staging"].count_documents({})) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.01)
    assert samples() == before
    assert database["_staging"].count_documents({}) == 0


def test_patches_show_the_patch_fields_and_keep_sample_id(ds):
    patches = ds.to_patches("gt")
    base = {"id", "filepath", "tags", "metadata", "sample_id"}
    assert set(patches.get_field_schema()) == base | {"gt"}
    assert set(patches.select_fields().get_field_schema()) == base
    first = patches.select_fields().first()
    assert first.sample_id == ds.first().id
    with pytest.raises(AttributeError):  # a field the view leaves out, as in FiftyOne
        _ = first.gt
    with pytest.raises(dc.ViewError, match="cannot exclude.*sample_id"):
        patches.exclude_fields("sample_id")
    oids = patches.values("_sample_id")
    assert [str(o) for o in oids] == patches.values("sample_id")
    assert all(type(o) is ObjectId for o in oids)


def test_patches_indexes(ds):
    patches = ds.to_patches("gt")
    assert patches.list_indexes() == ["filepath", "id", "sample_id"]
    assert patches.get_index_information()["filepath"].get("unique") is not True
    for name in ("id", "filepath", "sample_id"):
        with pytest.raises(dc.ViewError, match="default indexes"):
            patches.drop_index(name)
    patches._root.create_index("gt.label")
    patches.drop_index("gt.label")
    assert patches.list_indexes() == ["filepath", "id", "sample_id"]


def test_count_sample_tags_of_patches_counts_patches(ds):
    ds.match(F("filepath").ends_with("a.jpg")).tag_samples("first")
    patches = ds.to_patches("gt")
    assert patches.count_sample_tags() == {"first": 2}
    assert patches.match_tags("first").count_sample_tags() == {"first": 2}
    patches.tag_samples("patch")
    assert patches.count_sample_tags() == {"first": 2, "patch": 3}
    assert ds.count_sample_tags() == {"first": 1}  # a patch's tags are its own


def test_untagging_through_a_view_that_selects_the_tag_reaches_the_source(ds):
    patches = ds.to_patches("gt")
    patches.tag_labels("check")
    assert ds.count_label_tags("gt") == {"check": 3}
    patches.select_labels(tags="check").untag_labels("check")
    assert patches.count_label_tags() == {}
    assert ds.count_label_tags("gt") == {}


# -- the ToPatches stage ----------------------------------------------------------------------


@pytest.mark.parametrize("make, stages", [
    (lambda ds: ds.to_patches("gt"), [{"_cls": "ToPatches", "kwargs": {"field": "gt"}}]),
    (lambda ds: ds.to_patches("gt").sort_by("gt.confidence"),
     [{"_cls": "ToPatches", "kwargs": {"field": "gt"}},
      {"_cls": "SortBy", "kwargs": {"field_or_expr": "gt.confidence", "reverse": False}}]),
    (lambda ds: ds.match(F("filepath").ends_with("a.jpg")).to_patches("gt"),
     [{"_cls": "Match", "kwargs": {"filter": {"$expr": {"$regexMatch": {
         "input": "$filepath", "regex": "a\\.jpg$", "options": None}}}}},
      {"_cls": "ToPatches", "kwargs": {"field": "gt"}}]),
])  # fmt: skip
def test_patches_views_round_trip_as_stages(ds, make, stages):
    patches = make(ds)
    d = patches.to_dict()
    assert d["dataset"] == "patches"
    assert [s["_cls"] for s in d["stages"]] == [s["_cls"] for s in stages]
    again = dc.DatasetView.from_dict(ds, d)
    assert isinstance(again, type(patches)) and again.to_dict() == d
    assert again.values("id") == patches.values("id")
    assert again.values("gt.label") == patches.values("gt.label")


def test_to_patches_stage_is_a_value_object(ds):
    stage = dc.ToPatches("gt")
    assert repr(stage) == "ToPatches('gt')" and stage == dc.ToPatches("gt")
    assert dc.ViewStage.from_dict(stage.to_dict()) == stage
    assert stage.load_view(ds).values("id") == ds.to_patches("gt").values("id")
    with pytest.raises(dc.ViewError, match="not steps of a pipeline"):
        stage.to_pipeline(ds)


@pytest.mark.parametrize("field, error, says", [
    ("nope", dc.FieldNotFoundError, "Field 'nope' not found"),
    ("filepath", dc.ViewError, "not a label field"),
    ("", dc.ViewError, "must be a field name"),
    (3, dc.ViewError, "must be a field name"),
])  # fmt: skip
def test_to_patches_stage_refuses_what_has_no_patches(ds, field, error, says):
    with pytest.raises(error, match=says):
        dc.DatasetView.from_dict(ds, [{"_cls": "ToPatches", "kwargs": {"field": field}}])


def test_two_labels_with_one_id_make_one_patch(ds):
    # a label copied onto another sample keeps its id: the fast copy's duplicate-key
    # error falls back to merging them, as to_patches always did
    a, b = ds.values("gt")[:2]
    sample = ds[ds.values("id")[1]]
    sample.gt = dc.Detections(detections=[*b.detections, a.detections[0]])
    sample.save()
    patches = ds.to_patches("gt")
    assert len(patches) == 3 and len(set(patches.values("id"))) == 3


def test_a_label_object_shared_by_two_samples_gives_one_patch(database, tmp_path):
    """One Detection object added to two samples keeps one id in both: the
    patches (filled by ``$out``, which refuses a repeated id) still come out, one
    per id, as they did with ``$merge``."""
    shared = dc.Detection(label="cat", bounding_box=[0.1, 0.1, 0.5, 0.5])
    dataset = dc.Dataset("shared")
    dataset.add_samples([
        dc.Sample(tmp_path / "a.jpg", gt=dc.Detections(detections=[shared])),
        dc.Sample(tmp_path / "b.jpg", gt=dc.Detections(detections=[
            shared, dc.Detection(label="dog", bounding_box=[0.0, 0.0, 1.0, 1.0])])),
    ])  # fmt: skip
    patches = dataset.to_patches("gt")
    assert sorted(patches.values("gt.label")) == ["cat", "dog"]
    assert patches.list_indexes() == ["filepath", "id", "sample_id"]
    # dropped here, not by a collection in the next test's fixture: a patches
    # finalizer run by the GC inside db.get_db() reconnects mongoengine re-entrantly
    del patches
    gc.collect()
