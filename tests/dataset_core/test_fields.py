"""Typed fields, embedded documents and the schema methods, checked as FiftyOne behaves."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest

import dataset_core as fo
from dataset_core import fields as fof
from dataset_core.db import get_db
from dataset_core.odm import DatasetDocument

# -- pure: the classes ------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    "field, text",
    [
        (fo.IntField(), "IntField"),
        (fo.ListField(field=fo.StringField()), "ListField(StringField)"),
        (fo.EmbeddedDocumentField(fo.Detections), "EmbeddedDocumentField(Detections)"),
        (fo.EmbeddedDocumentListField(fo.Detection), "ListField(EmbeddedDocumentField(Detection))"),
        (fo.DictField(), "DictField"),
    ],
)
def test_field_stored_form_round_trips(field, text):
    back = fo.Field.from_dict(field.to_dict())
    assert back == field and str(back) == text


@pytest.mark.unit
def test_old_stored_schema_loads_as_classes():
    old = {"ftype": "list", "document_type": None, "subfield": "string"}
    f = fo.Field.from_dict(old)
    assert isinstance(f, fo.ListField) and isinstance(f.field, fo.StringField)
    emb = fo.Field.from_dict({"ftype": "embedded", "document_type": "Classification"})
    assert emb.document_type is fo.Classification
    assert emb.document_type == "Classification"  # code comparing names keeps working


@pytest.mark.unit
def test_unknown_document_class_loads_as_a_dynamic_placeholder():
    f = fo.Field.from_dict({"ftype": "embedded", "document_type": "NotDefinedHere"})
    assert issubclass(f.document_type, fo.DynamicEmbeddedDocument)
    assert f.to_dict()["document_type"] == "NotDefinedHere"


@pytest.mark.unit
def test_dynamic_document_round_trip():
    doc = fo.DynamicEmbeddedDocument(task="review", when=datetime(2020, 1, 1), n=[1, 2])
    d = doc.to_dict()
    assert d["_cls"] == "DynamicEmbeddedDocument" and d["task"] == "review"
    back = fo.DynamicEmbeddedDocument.from_dict(d)
    assert back == doc and back.n == [1, 2] and back["task"] == "review"
    doc.extra = 5
    assert doc.has_field("extra") and doc.to_dict()["extra"] == 5


@pytest.mark.unit
def test_label_dynamic_attributes_are_stored():
    det = fo.Detection(label="a", bounding_box=[0, 0, 1, 1])
    det.iscrowd = 1
    det["area"] = 0.5
    d = det.to_dict()
    assert d["iscrowd"] == 1 and d["area"] == 0.5


# -- against mongod -----------------------------------------------------------------


def _det_samples():
    return [
        fo.Sample(
            "/data/a.jpg",
            ground_truth=fo.Detections(
                detections=[
                    fo.Detection(label="cat", bounding_box=[0, 0, 1, 1], iscrowd=1),
                    fo.Detection(label="dog", bounding_box=[0, 0, 1, 1], hello=True),
                ]
            ),
        ),
        fo.Sample(
            "/data/b.jpg",
            ground_truth=fo.Detections(
                detections=[fo.Detection(label="rabbit", iscrowd=0, hello="there")]
            ),
        ),
    ]


def test_add_sample_field_with_classes_and_instances(database):
    ds = fo.Dataset()
    ds.add_sample_field("n", fo.IntField)
    ds.add_sample_field("scores", fo.ListField, subfield=fo.FloatField())
    ds.add_sample_field("gt", fo.EmbeddedDocumentField, embedded_doc_type=fo.Classification)
    ds.add_sample_field("when", fo.DateTimeField(description="capture time"))
    schema = ds.get_field_schema()
    assert isinstance(schema["n"], fo.IntField)
    assert isinstance(schema["scores"].field, fo.FloatField)
    assert schema["gt"].document_type is fo.Classification
    assert schema["when"].description == "capture time"
    ds.add_sample_field("n", fo.IntField)  # the same again: nothing to do
    with pytest.raises(ValueError, match="already exists as IntField"):
        ds.add_sample_field("n", fo.StringField)


def test_schema_survives_reload_from_the_database(database):
    ds = fo.Dataset("persisted")
    ds.add_sample_field("gt", fo.Detections)
    ds.add_sample_field("gt.detections.iscrowd", fo.IntField)
    fo.dataset._instances.clear()
    again = fo.load_dataset("persisted")
    assert again is not ds
    assert isinstance(again.get_field("gt.detections.iscrowd"), fo.IntField)


def test_a_schema_stored_before_field_classes_still_loads(database):
    ds = fo.Dataset("old")
    old_form = {
        "score": {"ftype": "float", "document_type": None, "subfield": None},
        "gt": {"ftype": "embedded", "document_type": "Classification", "subfield": None},
        "words": {"ftype": "list", "document_type": None, "subfield": "string"},
    }
    DatasetDocument._get_collection().update_one(
        {"name": "old"}, {"$set": {"sample_fields": old_form}}
    )
    fo.dataset._instances.clear()
    schema = fo.load_dataset("old").get_field_schema()
    assert isinstance(schema["score"], fo.FloatField)
    assert schema["gt"].document_type is fo.Classification
    assert isinstance(schema["words"].field, fo.StringField)
    assert ds.name == "old"


def test_flat_schema_filters_and_nested_get_field(database):
    ds = fo.Dataset()
    ds.add_samples(_det_samples())
    flat = ds.get_field_schema(flat=True)
    assert isinstance(flat["ground_truth.detections.label"], fo.StringField)
    assert isinstance(flat["metadata.width"], fo.IntField)
    assert isinstance(ds.get_field("ground_truth.detections.label"), fo.StringField)
    assert ds.get_field("ground_truth.nope") is None
    assert ds.has_field("ground_truth.detections") and not ds.has_field("nope")
    labels = ds.get_field_schema(embedded_doc_type=fo.Detections)
    assert list(labels) == ["ground_truth"]
    dates = ds.get_field_schema(ftype=fo.DateTimeField)
    assert set(dates) == {"created_at", "last_modified_at"}


def test_dynamic_attributes_are_found_and_declared(database):
    ds = fo.Dataset()
    ds.add_samples(_det_samples())
    dyn = ds.get_dynamic_field_schema()
    assert isinstance(dyn["ground_truth.detections.iscrowd"], fo.IntField)
    assert {type(f) for f in dyn["ground_truth.detections.hello"]} == {
        fo.BooleanField,
        fo.StringField,
    }
    assert not ds.has_field("ground_truth.detections.iscrowd")
    ds.add_dynamic_sample_fields()
    assert isinstance(ds.get_field("ground_truth.detections.iscrowd"), fo.IntField)
    assert not ds.has_field("ground_truth.detections.hello")  # mixed: left undeclared
    ds.add_dynamic_sample_fields(add_mixed=True)
    assert type(ds.get_field("ground_truth.detections.hello")) is fo.Field
    assert ds.get_dynamic_field_schema() == {}


def test_add_samples_dynamic_declares_embedded_attributes(database):
    ds = fo.Dataset()
    ds.add_samples(_det_samples()[:1], dynamic=True)
    assert isinstance(ds.get_field("ground_truth.detections.iscrowd"), fo.IntField)


def test_expand_schema_false_refuses_new_fields(database):
    ds = fo.Dataset()
    ds.add_sample(fo.Sample("/data/a.jpg"))
    with pytest.raises(ValueError, match="expand_schema=False"):
        ds.add_sample(fo.Sample("/data/b.jpg", new=1), expand_schema=False)
    assert len(ds) == 1


def test_schema_and_list_schema_aggregations(database):
    ds = fo.Dataset()
    ds.add_samples(_det_samples())
    schema = ds.schema("ground_truth.detections")
    assert isinstance(schema["label"], fo.StringField)
    assert isinstance(schema["id"], fo.ObjectIdField)
    assert isinstance(schema["bounding_box"], fo.ListField)
    dyn = ds.schema("ground_truth.detections", dynamic_only=True)
    assert set(dyn) == {"iscrowd", "hello"}
    assert isinstance(ds.list_schema("ground_truth.detections[].bounding_box"), fo.FloatField)
    both = ds.aggregate([fo.Schema("ground_truth.detections"), fo.Count()])
    assert both[1] == 2 and "label" in both[0]


def test_nested_dynamic_documents_in_a_label(database):
    ds = fo.Dataset()
    info = [fo.DynamicEmbeddedDocument(task="a", notes=["x", "y"])]
    ds.add_sample(fo.Sample("/data/a.jpg", gt=fo.Classification(label="cat", info=info)))
    got = ds.first().gt.info[0]
    assert isinstance(got, fo.DynamicEmbeddedDocument) and got.notes == ["x", "y"]
    field = ds.list_schema("gt.info")
    assert isinstance(field, fo.EmbeddedDocumentField)
    assert field.document_type is fo.DynamicEmbeddedDocument
    ds.add_dynamic_sample_fields()
    assert isinstance(ds.get_field("gt.info.task"), fo.StringField)
    assert isinstance(ds.get_field("gt.info.notes").field, fo.StringField)


def test_clone_and_clear_sample_field(database):
    ds = fo.Dataset()
    ds.add_samples([fo.Sample(f"/data/{i}.jpg", score=float(i)) for i in range(3)])
    ds.clone_sample_field("score", "score2")
    assert ds.values("score2") == [0.0, 1.0, 2.0]
    assert isinstance(ds.get_field("score2"), fo.FloatField)
    ds.clear_sample_field("score")
    assert ds.values("score") == [None, None, None] and ds.has_field("score")
    with pytest.raises(fo.SchemaError, match="default field"):
        ds.clear_sample_field("filepath")


def test_date_values_come_back_as_dates(database):
    ds = fo.Dataset()
    ds.add_sample(fo.Sample("/data/a.jpg", day=date(2021, 5, 17), at=datetime(2021, 5, 17, 8)))
    assert isinstance(ds.get_field("day"), fo.DateField)
    assert isinstance(ds.get_field("at"), fo.DateTimeField)
    s = ds.first()
    assert s.day == date(2021, 5, 17) and type(s.day) is date
    assert s.at == datetime(2021, 5, 17, 8)
    assert ds.values("day") == [date(2021, 5, 17)]
    stored = get_db()[ds._doc.sample_collection_name].find_one()
    assert stored["day"] == datetime(2021, 5, 17)  # midnight UTC, as FiftyOne stores it


@pytest.mark.parametrize(
    "ftype, bad",
    [(fo.StringField, 5), (fo.IntField, "5"), (fo.BooleanField, 1), (fo.FloatField, "x")],
)
def test_wrong_type_into_a_declared_field_is_a_value_error(database, ftype, bad):
    ds = fo.Dataset()
    ds.add_sample_field("f", ftype)
    ds.add_sample(fo.Sample("/data/a.jpg"))
    s = ds.first()
    with pytest.raises(ValueError, match="Field 'f'"):
        s["f"] = bad


def test_int_into_a_float_field_is_fine(database):
    ds = fo.Dataset()
    ds.add_sample_field("f", fo.FloatField)
    ds.add_sample(fo.Sample("/data/a.jpg", f=1))
    assert ds.first().f == 1


def test_vector_field_takes_lists(database):
    ds = fo.Dataset()
    ds.add_sample_field("v", fo.VectorField)
    ds.add_samples([fo.Sample(f"/data/{i}.jpg", v=[i, i + 1]) for i in range(2)])
    vals = ds.values("v")
    assert isinstance(vals[0], np.ndarray)
    np.testing.assert_array_equal(vals[1], [1, 2])


@pytest.mark.parametrize("tags", [51, "train", [1, 2]])
def test_bad_tags_are_a_clear_value_error_when_the_sample_is_added(database, tags):
    ds = fo.Dataset()
    sample = fo.Sample("/data/a.jpg", tags=tags)  # held as given until added, as FiftyOne
    with pytest.raises(ValueError, match="tags are"):
        ds.add_sample(sample)
    late = fo.Sample("/data/b.jpg")
    late.tags = tags
    with pytest.raises(ValueError, match="tags are"):
        ds.add_samples([fo.Sample("/data/c.jpg"), late])
    assert len(ds) == 0 and not sample.in_dataset
    good = fo.Sample("/data/d.jpg")
    ds.add_sample(good)
    with pytest.raises(ValueError, match="tags are"):  # a dataset's samples check at once
        good.tags = tags


def test_fields_module_keeps_old_conversion_names():
    assert fof.to_mongo(np.int64(3)) == 3 and fof.from_mongo(None) is None


def test_clear_sample_field_on_a_view_clears_only_its_samples(database):
    ds = fo.Dataset()
    ds.add_samples(_det_samples() + [fo.Sample("/data/c.jpg")])
    for i, s in enumerate(ds):
        s["score"] = float(i)
        s.save()
    ds.limit(1).clear_sample_field("score")
    assert ds.values("score") == [None, 1.0, 2.0]
    # an attribute of every label of a list; a sample without the list is left alone
    ds.skip(1).clear_sample_fields(["ground_truth.detections.label"])
    assert ds.values("ground_truth.detections.label") == [["cat", "dog"], [None], None]
    assert ds.values("ground_truth.detections.iscrowd") == [[1, None], [0], None]
    ds.clear_sample_field("ground_truth.detections.label")  # the whole dataset
    assert ds.values("ground_truth.detections.label") == [[None, None], [None], None]
    with pytest.raises(fo.FieldNotFoundError, match="'nope' not found"):
        ds.view().clear_sample_field("nope")
    with pytest.raises(fo.SchemaError, match="default field"):
        ds.limit(1).clear_sample_field("tags")


NESTED_BAD_VALUES = [
    pytest.param("ground_truth.detections.iscrowd", [["yes", 0], ["no"]], "iscrowd",
                 id="per-label-attribute"),
    pytest.param("ground_truth.detections.label", [[1, 2], [3]], "label", id="label-not-str"),
    pytest.param("pred.confidence", ["high", "low"], "confidence", id="single-label-attribute"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "values", "word"), NESTED_BAD_VALUES)
def test_set_values_of_a_declared_nested_path_checks_its_type(database, path, values, word):
    ds = fo.Dataset()
    samples = _det_samples()
    for s in samples:
        s["pred"] = fo.Classification(label="x", confidence=0.5)
    ds.add_samples(samples)
    ds.add_sample_field("ground_truth.detections.iscrowd", fo.IntField)
    before = ds.values(path)
    with pytest.raises(ValueError, match=f"set_values.*{word}"):
        ds.set_values(path, values)
    assert ds.values(path) == before
    ds.set_values(path, before)  # values of the right type still go in
