"""Labels and field types: pure conversions, no database."""

from __future__ import annotations

import numpy as np
import pytest

import dataset_core as dc
from dataset_core.fields import Field, field_of_mongo, from_mongo, parse_ftype, to_mongo
from dataset_core.labels import label_from_dict

pytestmark = pytest.mark.unit  # no mongod, no model, no browser


@pytest.mark.parametrize(
    "label",
    [
        dc.Classification(label="cat", confidence=0.9),
        dc.Detection(label="dog", bounding_box=[0.1, 0.2, 0.3, 0.4]),
        dc.Detections(detections=[dc.Detection(label="a", bounding_box=[0, 0, 1, 1])]),
        dc.ImageMetadata(width=3, height=2, size_bytes=10, mime_type="image/png"),
    ],
)
def test_label_round_trip(label):
    d = label.to_dict()
    assert d["_cls"] == type(label).__name__
    back = label_from_dict(d)
    assert type(back) is type(label) and back == label and back.to_dict() == d


def test_labels_have_ids_but_metadata_does_not():
    assert "_id" in dc.Classification(label="a").to_dict()
    assert "_id" not in dc.ImageMetadata(width=1).to_dict()


@pytest.mark.parametrize("box", [[0, 0, 1], [0.5, 0.5, 2, 2], [-1, 0, 1, 1]])
def test_detection_box_must_be_relative(box):
    with pytest.raises(dc.SchemaError, match=r"bounding_box must be \[x, y, w, h\]"):
        dc.Detection(label="a", bounding_box=box)


def test_unknown_label_attribute_lists_fields():
    with pytest.raises(
        AttributeError, match=r"fields: \['id', 'tags', 'label', 'confidence', 'logits'\]"
    ):
        _ = dc.Classification(label="a").area


@pytest.mark.parametrize(
    "value, ftype, extra",
    [
        ("s", "string", None),
        (1, "int", None),
        (1.5, "float", None),
        (True, "bool", None),
        ([1, 2], "list", "int"),
        ({"a": 1}, "dict", None),
        (dc.Classification(label="a"), "embedded", "Classification"),
        (np.zeros(3), "vector", None),  # 1-D arrays are vectors, as in FiftyOne
        (np.zeros((2, 3)), "array", None),
        (np.float32(1), "float", None),
    ],
)
def test_field_type_inference(value, ftype, extra):
    f = field_of_mongo(to_mongo(value))
    assert f.ftype == ftype
    assert (f.document_type or f.subfield) == extra


def test_int_widens_to_float_but_not_back():
    assert Field("float").accepts(Field("int"))
    assert not Field("int").accepts(Field("float"))
    assert not Field("embedded", "Classification").accepts(Field("embedded", "Detections"))


def test_array_round_trip_keeps_dtype_and_shape():
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    back = from_mongo(to_mongo(a))
    assert back.dtype == np.uint8 and back.shape == (3, 4) and (back == a).all()


@pytest.mark.parametrize(
    "spec, expected",
    [("float", "FloatField"), (float, "FloatField"), ("StringField", "StringField"),
     (dc.Classification, "EmbeddedDocumentField(Classification)"), (list, "ListField")],
)  # fmt: skip
def test_parse_ftype(spec, expected):
    assert str(parse_ftype(spec)) == expected


def test_parse_ftype_unknown():
    with pytest.raises(dc.SchemaError, match="Unknown field type 'complex'; use one of"):
        parse_ftype("complex")


# -- label types, ids, tags and attribute checks --------------------------------


@pytest.mark.parametrize(
    "label",
    [
        dc.Regression(value=0.5),
        dc.Classifications(classifications=[dc.Classification(label="a")]),
        dc.Polyline(label="road", points=[[(0, 0), (1, 1)]], closed=True),
        dc.Polylines(polylines=[dc.Polyline(label="x", points=[])]),
        dc.Keypoint(label="p", points=[(0.5, 0.5)], confidence=[0.9]),
        dc.Keypoints(keypoints=[dc.Keypoint(label="p", points=[])]),
        dc.Segmentation(mask=np.arange(6, dtype=np.uint8).reshape(2, 3)),
        dc.Heatmap(map=np.linspace(0, 1, 4).reshape(2, 2), range=[0, 1]),
        dc.Detection(label="d", bounding_box=[0, 0, 1, 1], mask=np.ones((2, 2), bool)),
    ],
)
def test_new_label_types_round_trip_with_id_and_tags(label):
    d = label.to_dict()
    assert d["tags"] == [] and isinstance(label.id, str) and d["_id"] == label._id
    back = label_from_dict(d)
    assert type(back) is type(label) and back.id == label.id and back.to_dict() == d


def test_arrays_in_labels_come_back_as_arrays():
    mask = np.arange(6, dtype=np.uint8).reshape(2, 3)
    back = label_from_dict(dc.Segmentation(mask=mask).to_dict())
    assert back.mask.dtype == np.uint8 and (back.mask == mask).all()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: dc.Classification(label=100), r"Classification.label must be a string"),
        (lambda: dc.Classification(label="a", confidence="high"), r"confidence must be a number"),
        (lambda: dc.Detection(bounding_box=["a", 0, 1, 1]), r"bounding_box must be \[x, y, w, h\]"),
        (lambda: dc.Polyline(closed="yes"), r"closed must be True or False"),
        (lambda: dc.Detections(detections=[dc.Classification()]), r"must be a Detection"),
        (lambda: dc.Segmentation(mask=[[1, 2]]), r"mask must be a numpy array"),
        (lambda: dc.Classification(tags="x"), r"tags must be a list of strings"),
    ],
)
def test_bad_label_attributes_raise_value_errors(make, message):
    with pytest.raises(dc.LabelValidationError, match=message) as info:
        make()
    assert isinstance(info.value, ValueError)


def test_setting_a_declared_attribute_is_checked_and_dynamic_ones_are_kept():
    det = dc.Detection(label="a", foo="bar")
    with pytest.raises(ValueError, match="label must be a string"):
        det.label = 3
    det.area = 0.25
    det.set_field("spam", "eggs")
    assert det.has_field("area") and det.get_field("spam") == "eggs" and not det.has_field("x")
    d = det.to_dict()
    assert d["area"] == 0.25 and d["foo"] == "bar" and d["spam"] == "eggs"
    assert label_from_dict(d).area == 0.25


def test_label_copy_gets_a_new_id_and_equal_content():
    det = dc.Detection(label="a", tags=["x"])
    twin = det.copy()
    assert twin.id != det.id and twin == det
    twin.tags.append("y")
    assert det.tags == ["x"]
