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
    with pytest.raises(AttributeError, match=r"fields: \['label', 'confidence'\]"):
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
