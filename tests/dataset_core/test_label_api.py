"""The label API beyond storage: TemporalDetection and GeoLocations, dynamic id
attributes, extended-JSON and JSON round trips, pickling, copies."""

from __future__ import annotations

import copy
import json
import pickle

import numpy as np
import pytest
from bson import Binary, ObjectId

import dataset_core as dc

# -- TemporalDetection, GeoLocations ---------------------------------------------------


def test_temporal_detection_is_a_label_with_a_support(database, tmp_path):
    tdet = dc.TemporalDetection(label="jump", support=[3, 9], confidence=0.5)
    assert isinstance(tdet.id, str) and tdet.support == [3, 9]
    ds = dc.Dataset()
    ds.add_sample(dc.Sample(tmp_path / "a.jpg", event=tdet,
                            where=dc.GeoLocations(points=[[1, 2], [3, 4]])))  # fmt: skip
    back = ds.first()
    assert back.event == tdet and back.event.id == tdet.id
    assert back.where.points == [[1.0, 2.0], [3.0, 4.0]]
    ds.tag_labels("seen", label_fields="event")
    assert ds.count_label_tags() == {"seen": 1}


@pytest.mark.parametrize("support", [[0, 3], [5, 2], [1], [1.5, 2], "1-2"])
def test_temporal_detection_support_is_checked(support):
    with pytest.raises(dc.LabelValidationError, match=r"TemporalDetection.support(\[0\])? must be"):
        dc.TemporalDetection(label="jump", support=support)


# -- dynamic attributes ------------------------------------------------------------------


def test_dynamic_id_attributes_are_stored_with_an_underscore():
    oid = ObjectId()
    det = dc.Detection(label="cat", custom_id=oid, note="x")
    d = det.to_dict()
    assert d["_custom_id"] == oid and "custom_id" not in d and d["note"] == "x"
    back = dc.Detection.from_dict(d)
    assert back.custom_id == oid and back.id == det.id and back == det
    assert "_custom_id" not in back.field_names


def test_dynamic_id_attribute_survives_the_database(database, tmp_path):
    oid = ObjectId()
    ds = dc.Dataset()
    ds.add_sample(dc.Sample(tmp_path / "a.jpg", gt=dc.Detections(
        detections=[dc.Detection(label="cat", custom_id=oid)])))  # fmt: skip
    assert ds.first().gt.detections[0].custom_id == oid


def test_extended_dicts_are_plain_json_and_round_trip():
    det = dc.Detection(label="cat", embedding=np.arange(3.0), custom_id=ObjectId())
    d = det.to_dict(extended=True)
    json.dumps(d)  # nothing but JSON values
    assert d["_id"] == {"$oid": det.id} and "$binary" in d["embedding"]
    back = dc.Detection.from_dict(d, extended=True)
    assert back.id == det.id and back.custom_id == det.custom_id
    np.testing.assert_array_equal(back.embedding, det.embedding)
    assert isinstance(det.to_dict()["embedding"], Binary)


@pytest.mark.parametrize("pretty", [False, True])
def test_to_json_from_json_round_trip(pretty):
    label = dc.Classification(label="cat", logits=np.arange(4), tags=["a"])
    s = label.to_json(pretty_print=pretty)
    assert ("\n" in s) is pretty
    back = dc.Classification.from_json(s)
    assert back == label and back.id == label.id
    np.testing.assert_array_equal(back.logits, np.arange(4))


def test_from_json_rejects_what_is_not_a_json_object():
    with pytest.raises(dc.FieldValueError, match="from_json takes a JSON"):
        dc.Classification.from_json("[1, 2]")
    with pytest.raises(dc.FieldValueError, match="from_json takes a JSON string"):
        dc.Classification.from_json("{not json")


def test_embedded_documents_have_json_too():
    doc = dc.DynamicEmbeddedDocument(a=1, inner=dc.Classification(label="x"))
    back = dc.DynamicEmbeddedDocument.from_json(doc.to_json())
    assert back == doc and back.inner.label == "x"


# -- pickling and copies -------------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    [
        dc.Detections(detections=[dc.Detection(label="a", mask=np.eye(2, dtype=bool))]),
        dc.Classification(label="x", custom_id=ObjectId()),
        dc.TemporalDetection(label="t", support=[1, 2]),
        dc.ImageMetadata(width=3),
    ],
)
def test_labels_pickle(label):
    back = pickle.loads(pickle.dumps(label))
    assert back == label and type(back) is type(label)
    if label._has_id:
        assert back.id == label.id


def test_copy_gives_new_ids_deepcopy_keeps_them():
    dets = dc.Detections(detections=[dc.Detection(label="a")])
    other = dets.copy()
    assert other.id != dets.id
    assert other.detections[0] is not dets.detections[0]
    same = copy.deepcopy(dets)
    assert same.id == dets.id and same.detections[0].id == dets.detections[0].id


# -- masks and maps on disk -------------------------------------------------------------------

_MASK = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20


def test_export_mask_writes_the_mask_and_update_points_at_it(tmp_path):
    seg = dc.Segmentation(mask=_MASK.copy())
    out = tmp_path / "masks" / "a.png"
    seg.export_mask(str(out))
    assert seg.mask is not None and seg.mask_path is None
    seg.export_mask(str(out), update=True)
    assert seg.mask is None and seg.mask_path == str(out)
    np.testing.assert_array_equal(seg.get_mask(), _MASK)
    seg.import_mask(update=True)
    assert seg.mask_path is None
    np.testing.assert_array_equal(seg.mask, _MASK)


def test_export_mask_copies_the_file_unless_told_to_overwrite(tmp_path):
    from dataset_core.core.labels import _read_mask, _write_mask

    src = tmp_path / "src.png"
    _write_mask(np.zeros((3, 4), np.uint8), str(src))
    det = dc.Detection(label="a", bounding_box=[0, 0, 0.5, 0.5], mask=_MASK.copy(),
                       mask_path=str(src))  # fmt: skip
    det.export_mask(str(tmp_path / "copy.png"))  # the file on disk wins
    assert _read_mask(str(tmp_path / "copy.png")).max() == 0
    det.export_mask(str(src), overwrite_path=True, update=True)  # the inline mask replaces it
    np.testing.assert_array_equal(_read_mask(str(src)), _MASK)
    assert det.mask is None and det.mask_path == str(src)
    det.import_mask()
    assert det.mask.dtype == bool and det.mask.sum() == 11  # an instance mask: in or out


@pytest.mark.parametrize("state, overwrite", [({}, False), ({"mask_path": "m.png"}, True)])
def test_export_mask_without_a_mask_is_one_clear_error(tmp_path, state, overwrite):
    det = dc.Detection(label="a", **state)
    with pytest.raises(dc.FieldValueError, match=r"Detection.export_mask"):
        det.export_mask(str(tmp_path / "x.png"), overwrite_path=overwrite)


def test_export_map_scales_float_maps_to_8_bits(tmp_path):
    heat = dc.Heatmap(map=np.array([[0.0, 0.5], [1.0, 2.0]]), range=[0, 2])
    assert heat.has_map
    heat.export_map(str(tmp_path / "h.png"), update=True)
    assert heat.map is None and heat.range == [0, 255]
    np.testing.assert_array_equal(heat.get_map(), [[0, 64], [128, 255]])
