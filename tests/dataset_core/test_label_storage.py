"""How labels are stored and read back: in-place edits, copies, declared fields."""

from __future__ import annotations

import numpy as np
import pytest

import dataset_core as dc
from dataset_core.labels import label_from_dict


@pytest.fixture
def ds(database):
    dataset = dc.Dataset("label-storage")
    dataset.add_samples([
        dc.Sample("/data/a.jpg", gt=dc.Classification(label="cat"),
                  dets=dc.Detections(detections=[
                      dc.Detection(label="dog", bounding_box=[0.1, 0.1, 0.5, 0.5], extra={"k": 1}),
                  ])),
    ])  # fmt: skip
    return dataset


def test_label_lists_edited_in_place_are_saved(ds):
    s = ds.first()
    s.gt.tags.append("checked")
    det = s.dets.detections[0]
    det.tags.append("reviewed")
    det.bounding_box[0] = 0.2
    det.extra["k"] = 2
    s.save()
    again = ds.first()
    assert again.gt.tags == ["checked"]
    assert again.dets.detections[0].tags == ["reviewed"]
    assert again.dets.detections[0].bounding_box == [0.2, 0.1, 0.5, 0.5]
    assert again.dets.detections[0].extra == {"k": 2}
    assert ds.count_label_tags() == {"checked": 1, "reviewed": 1}


def test_a_label_read_back_does_not_share_lists_with_its_document():
    stored = dc.Detection(label="a", bounding_box=[0, 0, 1, 1], tags=["x"]).to_dict()
    det = label_from_dict(stored)
    det.tags.append("y")
    det.bounding_box[2] = 0.5
    assert stored["tags"] == ["x"] and stored["bounding_box"] == [0.0, 0.0, 1.0, 1.0]


def test_edits_after_setting_a_label_reach_the_added_sample(database):
    ds = dc.Dataset("late-edits")
    label = dc.Classification(label="cat")
    s = dc.Sample("/data/a.jpg", gt=label)
    label.label = "dog"
    label.tags.append("late")
    ds.add_sample(s)
    assert ds.first().gt.label == "dog" and ds.first().gt.tags == ["late"]


def test_declared_attributes_are_fields_of_the_class_and_of_the_schema(database):
    assert isinstance(dc.Detection.bounding_box, dc.ListField)
    assert isinstance(dc.Detection.bounding_box.field, dc.FloatField)
    ds = dc.Dataset("declared")
    ds.add_sample(dc.Sample("/data/a.jpg", gt=dc.Detections(detections=[])))
    schema = ds.get_field_schema(flat=True)
    assert isinstance(schema["gt.detections.bounding_box"], dc.ListField)
    assert isinstance(schema["gt.detections.confidence"], dc.FloatField)
    assert isinstance(schema["gt.detections.tags"], dc.ListField)


def test_a_label_subclass_declares_checked_attributes_with_fields():
    class Grade(dc.Classification):
        score = dc.IntField()

    g = Grade(label="a", score=3)
    assert g.score == 3 and g.to_dict()["score"] == 3
    with pytest.raises(dc.LabelValidationError, match=r"Grade.score must be an int"):
        Grade(score="high")
    assert "score" in Grade._declared_fields() and "label" in Grade._declared_fields()


def test_a_label_dict_without_an_id_gets_one():
    det = dc.Detections(detections=[{"label": "a", "bounding_box": [0, 0, 1, 1]}])
    assert det.detections[0].id != "None" and len(det.detections[0].id) == 24
    assert det.to_dict()["detections"][0]["_id"] == det.detections[0]._id


def test_unset_attributes_are_not_stored_but_dynamic_none_is():
    c = dc.Classification(label="a", note=None)
    d = c.to_dict()
    assert "confidence" not in d and "logits" not in d and d["note"] is None
    assert list(d)[:3] == ["_cls", "_id", "tags"]
    c.logits = np.zeros(2)
    back = label_from_dict(c.to_dict())
    assert isinstance(back.logits, np.ndarray) and back.field_names[-1] == "note"
