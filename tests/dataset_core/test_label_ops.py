"""Label-level stages and operations against the real mongod: select/exclude/match
labels, label tags, delete_labels, set_label_values, values of label paths."""

from __future__ import annotations

import pytest

import dataset_core as dc
from dataset_core import F


def _det(label, conf=0.5, tags=None):
    return dc.Detection(label=label, bounding_box=[0.1, 0.1, 0.2, 0.2], confidence=conf,
                        tags=tags or [])  # fmt: skip


@pytest.fixture
def ds(database, tmp_path):
    dataset = dc.Dataset("label-ops")
    dataset.add_samples([
        dc.Sample(tmp_path / "a.jpg",
                  gt=dc.Detections(detections=[_det("cat", 0.9), _det("dog", 0.2)]),
                  cls=dc.Classification(label="cat")),
        dc.Sample(tmp_path / "b.jpg", gt=dc.Detections(detections=[_det("dog", 0.8)]),
                  cls=dc.Classification(label="dog")),
        dc.Sample(tmp_path / "c.jpg", gt=dc.Detections(detections=[])),
    ])  # fmt: skip
    return dataset


def test_label_ids_are_strings_and_values_follow_labels(ds):
    ids = ds.values("gt.detections.id")
    assert [len(v) for v in ids] == [2, 1, 0]
    assert all(isinstance(i, str) for v in ids for i in v)
    assert ds.values("cls.id")[2] is None and isinstance(ds.values("cls.id")[0], str)
    first = ds.first()
    assert ids[0] == [d.id for d in first.gt.detections]
    labels = ds.values("gt.detections")
    assert isinstance(labels[0][0], dc.Detection) and labels[2] == []


def test_values_of_a_missing_label_attribute_are_none_per_label(ds):
    assert ds.values("gt.detections.custom") == [[None, None], [None], []]


def test_get_label_fields(ds):
    assert ds.get_label_fields() == ["gt", "cls"]


def test_select_labels_by_ids_keeps_only_those(ds):
    dog_ids = [i for v, labs in zip(ds.values("gt.detections.id"),
               ds.values("gt.detections.label"), strict=True)
               for i, lab in zip(v, labs, strict=True) if lab == "dog"]  # fmt: skip
    view = ds.select_labels(ids=dog_ids)
    assert len(view) == 2
    assert view.values("gt.detections.label") == [["dog"], ["dog"]]
    assert view.values("cls") == [None, None]  # other label fields are left out
    assert len(ds.select_labels(ids=dog_ids, omit_empty=False)) == 3


def test_select_labels_by_label_dicts(ds):
    s = ds.first()
    det = s.gt.detections[1]
    view = ds.select_labels([{"sample_id": s.id, "field": "gt", "label_id": det.id}])
    assert len(view) == 1 and view.values("gt.detections.id") == [[det.id]]


def test_exclude_labels_and_match_labels(ds):
    cat = ds.first().gt.detections[0]
    view = ds.exclude_labels(ids=[cat.id], fields="gt")
    assert view.values("gt.detections.label") == [["dog"], ["dog"]]
    assert len(ds.match_labels(filter=F("confidence") > 0.85, fields="gt")) == 1
    assert len(ds.match_labels(ids=cat.id)) == 1
    assert len(ds.match_labels(ids=cat.id, bool=False)) == 2
    assert len(ds.match_labels(filter=F("label") == "dog")) == 2  # gt or cls


def test_tag_untag_and_count_label_tags(ds):
    assert ds.count_label_tags() == {}
    ds.tag_labels("checked")
    assert ds.count_label_tags() == {"checked": 5}
    assert ds.count_label_tags(label_fields="gt") == {"checked": 3}
    ds.untag_labels("checked", label_fields="cls")
    assert ds.count_label_tags() == {"checked": 3}
    ds.untag_labels("checked")
    ds.filter_labels("gt", F("confidence") < 0.5).tag_labels("low", label_fields="gt")
    assert ds.count_label_tags() == {"low": 1}
    assert ds.values("gt.detections.tags")[0] == [[], ["low"]]
    assert len(ds.select_labels(tags="low")) == 1
    assert ds.match_labels(tags="low").values("gt.detections.label") == [["cat", "dog"]]


def test_filter_labels_on_new_list_types(database, tmp_path):
    ds = dc.Dataset("poly")
    ds.add_sample(dc.Sample(tmp_path / "p.jpg", poly=dc.Polylines(polylines=[
        dc.Polyline(label="road", points=[[(0, 0), (1, 1)]]),
        dc.Polyline(label="lane", points=[[(0, 1), (1, 0)]], closed=True)]),
        kp=dc.Keypoints(keypoints=[dc.Keypoint(label="person", points=[(0.5, 0.5)])]),
        many=dc.Classifications(classifications=[dc.Classification(label="a"),
                                                 dc.Classification(label="b")])))  # fmt: skip
    view = ds.filter_labels("poly", F("closed") == True)  # noqa: E712
    assert view.values("poly.polylines.label") == [["lane"]]
    assert len(ds.filter_labels("kp", F("label") == "nobody")) == 0
    assert ds.filter_labels("many", F("label") == "b").first().many.classifications[0].label == "b"


def test_delete_labels(ds):
    cat = ds.first().gt.detections[0]
    ds.delete_labels(ids=[cat.id])
    assert ds.values("gt.detections.label") == [["dog"], ["dog"], []]
    ds.delete_labels(view=ds.filter_labels("cls", F("label") == "dog", only_matches=True),
                     fields="cls")  # fmt: skip
    assert ds.values("cls.label") == ["cat", None, None]
    ds.tag_labels("bad", label_fields="gt")
    ds.delete_labels(tags="bad")
    assert ds.values("gt.detections") == [[], [], []]
    with pytest.raises(dc.ViewError, match="delete_labels needs"):
        ds.delete_labels()


def test_set_label_values(ds):
    ids = [i for v in ds.values("gt.detections.id") for i in v]
    ds.set_label_values("gt.detections.reviewed", {ids[0]: True, ids[2]: False})
    assert ds.values("gt.detections.reviewed") == [[True, None], [False], []]
    cls_id = ds.values("cls.id")[1]
    ds.set_label_values("cls.score", {cls_id: 0.5})
    assert ds.values("cls.score") == [None, 0.5, None]


def test_set_values_on_label_list_attributes_through_a_filtered_view(ds):
    view = ds.filter_labels("gt", F("label") == "dog")
    view.set_values("gt.detections.custom", [["x"], ["y"]])
    assert ds.values("gt.detections.custom") == [[None, "x"], ["y"], []]
    dets = view.values("gt.detections")
    for row in dets:
        for d in row:
            d.label = "DOG"
    view.set_values("gt.detections", dets)
    assert ds.values("gt.detections.label") == [["cat", "DOG"], ["DOG"], []]


def test_label_stages_round_trip_through_json(ds):
    view = ds.select_labels(tags="x", fields="gt").match_labels(filter=F("confidence") > 0.1)
    again = dc.DatasetView.from_dict(ds, view.to_dict())
    assert again == view


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda ds: ds.select_labels(ids=["nope"]), "is not a label id"),
        (lambda ds: ds.match_labels(fields="filepath"), "not a label field"),
        (lambda ds: ds.select_labels(labels=[{"field": "gt"}]), "sample_id"),
        (lambda ds: ds.filter_labels("gt", F("label") == "x", trajectories=True), "videos"),
    ],
)
def test_bad_label_stage_arguments(ds, make, message):
    with pytest.raises(dc.ViewError, match=message):
        make(ds)


# -- labels inside embedded documents -----------------------------------------------


@pytest.fixture
def nested(database, tmp_path):
    dataset = dc.Dataset("nested-labels")
    docs = [dc.DynamicEmbeddedDocument(
                cls=dc.Classification(label=name),
                dets=dc.Detections(detections=[_det(name, 0.9), _det("other", 0.1)]))
            for name in ("cat", "dog")]  # fmt: skip
    dataset.add_samples([dc.Sample(tmp_path / f"{i}.jpg", review=d) for i, d in enumerate(docs)])
    dataset.add_dynamic_sample_fields()
    return dataset


def test_labels_in_embedded_documents_are_label_fields(nested):
    assert sorted(nested.get_label_fields()) == ["review.cls", "review.dets"]


def test_select_and_filter_labels_in_embedded_documents(nested):
    first = nested.first()
    target = first.review.dets.detections[1]
    view = nested.select_labels([{"sample_id": first.id, "field": "review.dets",
                                  "label_id": target.id}])  # fmt: skip
    shown = view.first().review
    assert [d.id for d in shown.dets.detections] == [target.id] and "cls" not in shown
    view = nested.filter_labels("review.dets", F("confidence") > 0.5)
    assert view.values("review.dets.detections.label") == [["cat"], ["dog"]]
    view = nested.filter_labels("review.cls", F("label") == "dog")
    assert len(view) == 1 and view.first().review.cls.label == "dog"


def test_tags_of_labels_in_embedded_documents(nested):
    nested.filter_labels("review.dets", F("label") == "other").tag_labels("bg", "review.dets")
    nested.tag_labels("seen", label_fields="review.cls")
    assert nested.count_label_tags() == {"bg": 2, "seen": 2}
    assert nested.first().review.cls.tags == ["seen"]
    nested.untag_labels("bg")
    assert nested.count_label_tags("review.dets") == {}
