"""FiftyOneImageLabelsDataset, BDDDataset and CVATImageDataset: image attributes,
boxes (with their attributes and scores), polylines and keypoints survive a round trip."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

import dataset_core as fo
from tests.conftest import write_image

FORMATS = [fo.types.FiftyOneImageLabelsDataset, fo.types.BDDDataset, fo.types.CVATImageDataset]


@pytest.fixture
def multitask(database, tmp_path):
    images = tmp_path / "_images"
    ds = fo.Dataset("multitask")
    ds.add_samples([
        fo.Sample(str(write_image(images / "a.jpg", seed=1)),
                  weather=fo.Classification(label="sunny", confidence=0.9),
                  predictions=fo.Detections(detections=[
                      fo.Detection(label="cat", bounding_box=[0.1, 0.1, 0.4, 0.4],
                                   confidence=0.8, age=51, cute=True, mood="surly")]),
                  roads=fo.Polylines(polylines=[
                      fo.Polyline(label="road", points=[[[0.1, 0.2], [0.5, 0.2], [0.5, 0.6]]],
                                  closed=True, filled=True)])),
        fo.Sample(str(write_image(images / "b.jpg", seed=2)),
                  weather=fo.Classification(label="cloudy", confidence=0.95),
                  predictions=fo.Detections(detections=[
                      fo.Detection(label="dog", bounding_box=[0.5, 0.5, 0.25, 0.25])])),
        fo.Sample(str(write_image(images / "c.jpg", seed=3))),
    ])  # fmt: skip
    return ds


def _by_name(ds):
    return {os.path.basename(s.filepath): s for s in ds}


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.__name__)
def test_round_trip_keeps_attributes_boxes_and_polylines(multitask, tmp_path, fmt):
    out = tmp_path / "out"
    multitask.export(str(out), dataset_type=fmt)
    kwargs = {} if fmt is fo.types.FiftyOneImageLabelsDataset else {"include_all_data": True}
    back = fo.Dataset.from_dir(str(out), fmt, **kwargs)
    assert len(back) == 3
    got = _by_name(back)
    cat = got["a.jpg"].detections.detections[0]
    assert cat.label == "cat" and (cat.age, cat.cute, cat.mood) == (51, True, "surly")
    assert cat.confidence == pytest.approx(0.8)
    assert cat.bounding_box == pytest.approx([0.1, 0.1, 0.4, 0.4], abs=0.01)
    assert got["a.jpg"].attributes.label == "sunny"
    assert got["b.jpg"].detections.detections[0].label == "dog"
    road = got["a.jpg"].polylines.polylines[0]
    assert road.label == "road" and road.filled
    flat = [v for point in road.points[0] for v in point]
    assert flat == pytest.approx([0.1, 0.2, 0.5, 0.2, 0.5, 0.6], abs=0.01)
    assert got["c.jpg"].detections is None and got["c.jpg"].attributes is None


def test_image_labels_keep_attribute_confidence(multitask, tmp_path):
    out = tmp_path / "il"
    multitask.export(str(out), dataset_type=fo.types.FiftyOneImageLabelsDataset)
    index = json.loads((out / "manifest.json").read_text())["index"]
    assert [e["data"] for e in index] == ["data/a.jpg", "data/b.jpg", "data/c.jpg"]
    back = fo.Dataset.from_dir(str(out), fo.types.FiftyOneImageLabelsDataset, label_field="gt")
    assert sorted(back.distinct("gt_attributes.confidence")) == [0.9, 0.95]


def test_bdd_writes_pixel_boxes_and_frame_attributes(multitask, tmp_path):
    labels = tmp_path / "bdd" / "labels.json"
    multitask.export(labels_path=str(labels), dataset_type=fo.types.BDDDataset,
                     label_field=["weather", "predictions"])  # fmt: skip
    frames = json.loads(labels.read_text())
    assert frames[0]["name"] == "a.jpg" and frames[0]["attributes"] == {"weather": "sunny"}
    with Image.open(multitask.first().filepath) as img:
        width, height = img.size
    box = frames[0]["labels"][0]["box2d"]
    assert (box["x1"], box["y2"]) == pytest.approx((0.1 * width, 0.5 * height))
    back = fo.Dataset.from_dir(data_path=str(tmp_path / "_images"), labels_path=str(labels),
                               dataset_type=fo.types.BDDDataset)  # fmt: skip
    assert len(back) == 3 and back.count("detections.detections") == 2


def test_cvat_labels_only_with_absolute_paths(multitask, tmp_path):
    labels = tmp_path / "cvat" / "labels.xml"
    multitask.export(labels_path=str(labels), dataset_type=fo.types.CVATImageDataset,
                     abs_paths=True)  # fmt: skip
    names = [im.get("name") for im in ET.parse(labels).getroot().iter("image")]
    assert names == multitask.values("filepath")
    back = fo.Dataset.from_dir(labels_path=str(labels), dataset_type=fo.types.CVATImageDataset)
    assert sorted(back.values("filepath")) == sorted(multitask.values("filepath"))
    assert back.count("detections.detections") == 2


def test_label_field_dict_names_the_fields_of_each_kind(multitask, tmp_path):
    out = tmp_path / "cvat"
    multitask.export(str(out), dataset_type=fo.types.CVATImageDataset,
                     label_field={"detections": "predictions"})  # fmt: skip
    back = fo.Dataset.from_dir(str(out), fo.types.CVATImageDataset,
                               label_field={"detections": "boxes"})  # fmt: skip
    assert back.count("boxes.detections") == 2
    assert "attributes" not in back.get_field_schema()  # weather was not exported


def test_a_field_of_another_kind_is_refused(multitask, tmp_path):
    multitask.add_sample_field("loc", fo.EmbeddedDocumentField, embedded_doc_type=fo.GeoLocation)
    with pytest.raises(fo.ExportError, match=r"\['loc'\] are not"):
        multitask.export(str(tmp_path / "x"), dataset_type=fo.types.BDDDataset, label_field="loc")
