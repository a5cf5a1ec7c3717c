"""Detection formats (VOC, KITTI, YOLOv4, YOLOv5, COCO) and the add_*_labels
utilities: round trips on real images and a real mongod, malformed files,
boxes outside the image, YOLOv5 splits."""

from __future__ import annotations

import json
import os

import pytest
import yaml

import dataset_core as fo
import dataset_core.utils.coco as fouc
import dataset_core.utils.yolo as fouy
from tests.conftest import write_image

#: boxes with digits a truncating (integer-pixel) writer loses
BOX_A = [0.123456789, 0.2, 0.3333333, 0.25]
BOX_B = [0.5, 0.4583333333, 0.4, 0.5]
REL = 1e-6


@pytest.fixture
def images(tmp_path):
    return tmp_path / "_images"


@pytest.fixture
def boxes(database, images):
    """Three 32x24 images: two detections with confidence and attributes, one
    plain detection, and one image without a label."""
    ds = fo.Dataset("boxes")
    first = [
        fo.Detection(label="cat", bounding_box=BOX_A, confidence=0.9, age=51, cute=True,
                     mood="surly"),
        fo.Detection(label="dog", bounding_box=BOX_B, confidence=0.25, age=52, cute=False,
                     mood="derpy"),
    ]  # fmt: skip
    ds.add_samples(
        [
            fo.Sample(str(write_image(images / "a.jpg", seed=1)),
                      predictions=fo.Detections(detections=first)),
            fo.Sample(str(write_image(images / "b.jpg", seed=2)),
                      predictions=fo.Detections(detections=[
                          fo.Detection(label="dog", bounding_box=[0.0, 0.0, 1.0, 1.0])])),
            fo.Sample(str(write_image(images / "c.jpg", seed=3))),
        ]
    )  # fmt: skip
    return ds


def _objects(ds, field="predictions"):
    """``{image file name: sorted [(label, box, confidence)]}``."""
    out = {}
    for sample in ds:
        label = sample[field]
        dets = [] if label is None else label.detections
        out[os.path.basename(sample.filepath)] = sorted(
            (d.label, list(d.bounding_box), d.confidence) for d in dets
        )
    return out


def _same_objects(got, want, confidence=True):
    assert got.keys() == want.keys()
    for name, objs in want.items():
        assert len(got[name]) == len(objs), name
        for (gl, gb, gc), (wl, wb, wc) in zip(got[name], objs, strict=True):
            assert gl == wl
            assert gb == pytest.approx(wb, rel=REL, abs=1e-12)
            if confidence:
                assert gc == pytest.approx(wc, rel=REL) if wc is not None else gc is None


FORMATS = [
    # (type, confidence kept by default, export options)
    (fo.types.VOCDetectionDataset, True, {}),
    (fo.types.KITTIDetectionDataset, True, {}),
    (fo.types.YOLOv4Dataset, True, {"include_confidence": True}),
    (fo.types.YOLOv5Dataset, True, {"include_confidence": True}),
    (fo.types.COCODetectionDataset, True, {}),
]


@pytest.mark.parametrize(("kind", "confidence", "options"), FORMATS,
                         ids=[f[0].__name__ for f in FORMATS])  # fmt: skip
def test_round_trip_keeps_labels_boxes_and_confidences(boxes, tmp_path, kind, confidence,
                                                       options):  # fmt: skip
    out = tmp_path / "out"
    boxes.export(export_dir=str(out), dataset_type=kind, label_field="predictions", **options)
    extra = {"label_types": "detections"} if kind is fo.types.COCODetectionDataset else {}
    back = fo.Dataset.from_dir(dataset_dir=str(out), dataset_type=kind, label_field="predictions",
                               include_all_data=True, name=kind.__name__, **extra)  # fmt: skip
    _same_objects(_objects(back), _objects(boxes), confidence)
    for sample in back:  # the images are the exported copies
        assert sample.filepath.startswith(str(out))


@pytest.mark.parametrize("kind", [fo.types.VOCDetectionDataset, fo.types.KITTIDetectionDataset,
                                  fo.types.YOLOv4Dataset])  # fmt: skip
def test_labels_only_export_reads_back_onto_the_original_images(boxes, images, tmp_path, kind):
    labels = tmp_path / "labels-only"
    boxes.export(dataset_type=kind, labels_path=str(labels), label_field="predictions")
    assert not any(p.suffix == ".jpg" for p in labels.rglob("*"))
    back = fo.Dataset.from_dir(dataset_type=kind, data_path=str(images), labels_path=str(labels),
                               label_field="predictions", include_all_data=True,
                               name=f"lo-{kind.__name__}")  # fmt: skip
    assert set(back.values("filepath")) == set(boxes.values("filepath"))
    _same_objects(_objects(back), _objects(boxes), confidence=kind is not fo.types.YOLOv4Dataset)


def test_voc_writes_exact_pixels_and_reads_attributes_back_typed(boxes, tmp_path):
    out = tmp_path / "voc"
    boxes.export(export_dir=str(out), dataset_type=fo.types.VOCDetectionDataset)
    xml = (out / "labels" / "a.xml").read_text()
    assert "<xmin>3.950617248</xmin>" in xml and "<mood>surly</mood>" in xml
    assert not (out / "labels" / "c.xml").exists()  # no label, no file
    back = fo.Dataset.from_dir(str(out), fo.types.VOCDetectionDataset, label_field="p")
    assert len(back) == 2  # without include_all_data, only labeled images
    assert back.distinct("p.detections.age") == [51, 52]
    assert back.distinct("p.detections.cute") == [False, True]
    assert back.distinct("p.detections.mood") == ["derpy", "surly"]
    assert back.distinct("p.detections.difficult") == []  # VOC's defaults are not attributes


def test_kitti_keeps_3d_values_and_refuses_labels_with_spaces(database, images, tmp_path):
    ds = fo.Dataset("kitti")
    det = fo.Detection(label="car", bounding_box=BOX_A, truncated=0.5, occluded=2,
                       location=[1.0, 2.0, 30.5])  # fmt: skip
    ds.add_sample(fo.Sample(str(write_image(images / "k.png")),
                            gt=fo.Detections(detections=[det])))  # fmt: skip
    ds.export(export_dir=str(tmp_path / "k"), dataset_type=fo.types.KITTIDetectionDataset)
    line = (tmp_path / "k" / "labels" / "k.txt").read_text().split()
    assert len(line) == 15 and line[:3] == ["car", "0.5", "2"] and line[11:14] == ["1", "2", "30.5"]
    back = fo.Dataset.from_dir(str(tmp_path / "k"), fo.types.KITTIDetectionDataset, name="k2")
    got = back.first().ground_truth.detections[0]
    assert (got.truncated, got.occluded, got.location) == (0.5, 2, [1.0, 2.0, 30.5])
    assert not got.has_field("alpha")  # KITTI's "unknown" is not an attribute
    ds.set_values("gt.detections.label", [["race car"]])
    with pytest.raises(fo.ExportError, match="single words; label 'race car'"):
        ds.export(export_dir=str(tmp_path / "k3"), dataset_type=fo.types.KITTIDetectionDataset)


def test_yolov4_layout(boxes, tmp_path):
    out = tmp_path / "v4"
    boxes.export(export_dir=str(out), dataset_type=fo.types.YOLOv4Dataset)
    assert (out / "obj.names").read_text() == "cat\ndog\n"
    assert (out / "images.txt").read_text().split() == ["data/a.jpg", "data/b.jpg", "data/c.jpg"]
    assert (out / "data" / "b.txt").read_text() == "1 0.5 0.5 1.0 1.0\n"
    assert not (out / "data" / "c.txt").exists()
    back = fo.Dataset.from_dir(str(out), fo.types.YOLOv4Dataset, name="v4")
    assert len(back) == 2 and back.count("ground_truth.detections") == 3
    assert back.distinct("ground_truth.detections.confidence") == []  # not without the option


def test_yolov5_splits_add_to_one_export_and_come_back_as_tags(boxes, tmp_path):
    out = tmp_path / "v5"
    boxes.untag_samples(["train", "val"])
    ids = boxes.values("id")
    boxes.select(ids[:2]).tag_samples("train")
    boxes.select(ids[2:]).tag_samples("val")
    for split in ("train", "val"):
        boxes.match_tags(split).export(export_dir=str(out), dataset_type=fo.types.YOLOv5Dataset,
                                       split=split, label_field="predictions")  # fmt: skip
    spec = yaml.safe_load((out / "dataset.yaml").read_text())
    assert spec["train"] == "./images/train/" and spec["val"] == "./images/val/"
    assert spec["names"] == {0: "cat", 1: "dog"} and spec["nc"] == 2
    assert (out / "labels" / "train" / "a.txt").is_file()
    both = fo.Dataset.from_dir(str(out), fo.types.YOLOv5Dataset, split=None,
                               include_all_data=True, name="both")  # fmt: skip
    assert both.count_sample_tags() == {"train": 2, "val": 1}
    train = fo.Dataset.from_dir(str(out), fo.types.YOLOv5Dataset, split="train", name="train")
    assert len(train) == 2 and train.count_sample_tags() == {}
    with pytest.raises(fo.MediaError, match=r"has no split \['test'\]; its splits: "
                                            r"\['train', 'val'\]"):  # fmt: skip
        fo.Dataset.from_dir(str(out), fo.types.YOLOv5Dataset, split=["test"], name="t")
    with pytest.raises(fo.ExportError, match="exists and is not empty"):  # a split twice
        boxes.match_tags("val").export(export_dir=str(out), dataset_type=fo.types.YOLOv5Dataset,
                                       split="val", label_field="predictions")  # fmt: skip


def test_yolov5_reads_an_ultralytics_data_yaml_with_a_names_list(database, tmp_path):
    root = tmp_path / "ul"
    write_image(root / "images" / "train" / "x.jpg")
    write_image(root / "images" / "train" / "y.jpg")
    (root / "labels" / "train").mkdir(parents=True)
    (root / "labels" / "train" / "x.txt").write_text("1 0.5 0.5 0.2 0.4\n\n0 0.25 0.25 0.5 0.5\n")
    (root / "data.yaml").write_text("path: ../ul\ntrain: images/train\nnames: [person, bike]\n")
    ds = fo.Dataset.from_dir(str(root), fo.types.YOLOv5Dataset, split="train", name="ul")
    assert len(ds) == 1 and ds.classes == {"ground_truth": ["person", "bike"]}
    assert ds.default_classes == ["person", "bike"]
    dets = ds.first().ground_truth.detections
    assert [d.label for d in dets] == ["bike", "person"]
    assert dets[0].bounding_box == pytest.approx([0.4, 0.3, 0.2, 0.4])


@pytest.mark.parametrize(
    ("kind", "files", "match"),
    [
        (fo.types.YOLOv4Dataset, {"data/a.txt": "0 0.5 0.5 0.2 0.2\n0 0.5 oops 0.2 0.2\n"},
         r"a\.txt', line 2: not a number"),
        (fo.types.YOLOv4Dataset, {"data/a.txt": "0 0.5 0.5 0.2\n"},
         r"a\.txt', line 1: expected '<class> <x center>"),
        (fo.types.YOLOv4Dataset, {"data/a.txt": "7 0.5 0.5 0.2 0.2\n", "obj.names": "cat\n"},
         r"a\.txt', line 1: class 7 but there are only 1 class names"),
        (fo.types.KITTIDetectionDataset, {"labels/a.txt": "car 0 0 -10 1 2 3 4\n"},
         r"a\.txt', line 1: expected 15 or 16 values"),
        (fo.types.VOCDetectionDataset,
         {"labels/a.xml": "<annotation><object><name>cat</name><bndbox><xmin>1</xmin>"
                          "<ymin>1</ymin><ymax>4</ymax></bndbox></object></annotation>"},
         r"a\.xml', object 1 <bndbox>: no <xmax>"),
        (fo.types.VOCDetectionDataset, {"labels/a.xml": "<annotation><object>"},
         r"a\.xml', the XML: "),
        (fo.types.COCODetectionDataset,
         {"labels.json": json.dumps({"images": [{"id": 1, "file_name": "a.jpg"}],
                                     "categories": [{"id": 1, "name": "cat"}],
                                     "annotations": [{"id": 9, "image_id": 1, "category_id": 1,
                                                      "bbox": [1, 2, -3, 4]}]})},
         r"labels\.json', annotations\[0\] \(id 9\): bbox must be \[x, y, width, height\]"),
        (fo.types.COCODetectionDataset,
         {"labels.json": json.dumps({"images": [{"id": 1, "file_name": "a.jpg"}],
                                     "annotations": [{"id": 4, "image_id": 1,
                                                      "bbox": ["1", 2, 3, 4]}]})},
         r"labels\.json', annotation 4 of image 1: bbox \['1', 2, 3, 4\] is not 4 numbers"),
    ],
    ids=["yolo-number", "yolo-count", "yolo-class", "kitti-count", "voc-bndbox", "voc-xml",
         "coco-bbox", "coco-bbox-text"],
)  # fmt: skip
def test_malformed_annotation_files_fail_in_one_line_naming_file_and_entry(
    database, tmp_path, kind, files, match
):
    root = tmp_path / "bad"
    write_image(root / "data" / "a.jpg")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    with pytest.raises(fo.MediaError, match="Malformed annotation file .*" + match) as e:
        fo.Dataset.from_dir(str(root), kind, label_types="detections", name="bad") if (
            kind is fo.types.COCODetectionDataset
        ) else fo.Dataset.from_dir(str(root), kind, name="bad")  # fmt: skip
    assert "\n" not in str(e.value)
    assert "bad" not in fo.list_datasets()  # nothing half-imported


def test_boxes_outside_the_image_are_clipped_and_counted(database, tmp_path, capsys):
    root = tmp_path / "over"
    write_image(root / "data" / "a.jpg", size=(40, 20))
    (root / "obj.names").write_text("cat\n")
    # centre 0.9, width 0.4: reaches x = 1.1; the second is inside
    (root / "data" / "a.txt").write_text("0 0.9 0.5 0.4 0.2\n0 0.5 0.5 0.2 0.2\n")
    ds = fo.Dataset.from_dir(str(root), fo.types.YOLOv4Dataset, name="over")
    first, second = ds.first().ground_truth.detections
    assert first.bounding_box == pytest.approx([0.7, 0.4, 0.3, 0.2])
    assert second.bounding_box == pytest.approx([0.4, 0.4, 0.2, 0.2])
    assert "Clipped 1 boxes" in capsys.readouterr().out
    coco = tmp_path / "coco"
    write_image(coco / "data" / "a.jpg", size=(40, 20))
    (coco / "labels.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.jpg", "width": 40, "height": 20}],
        "categories": [{"id": 1, "name": "cat"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [-4, 10, 20, 20]}],
    }))  # fmt: skip
    back = fo.Dataset.from_dir(str(coco), fo.types.COCODetectionDataset,
                               label_types="detections", name="coco-over")  # fmt: skip
    assert back.first().ground_truth.detections[0].bounding_box == pytest.approx(
        [0.0, 0.5, 0.4, 0.5]
    )
    assert "Clipped 1 boxes" in capsys.readouterr().out


def test_coco_import_declares_label_attributes_only_with_dynamic(boxes, tmp_path):
    boxes.export(export_dir=str(tmp_path / "c"), dataset_type=fo.types.COCODetectionDataset)
    kwargs = {"dataset_type": fo.types.COCODetectionDataset, "label_types": "detections",
              "label_field": "predictions"}  # fmt: skip
    plain = fo.Dataset.from_dir(str(tmp_path / "c"), name="plain", **kwargs)
    assert "predictions.detections.age" not in plain.get_field_schema(flat=True)
    dyn = fo.Dataset.from_dir(str(tmp_path / "c"), name="dyn", dynamic=True, **kwargs)
    schema = dyn.get_field_schema(flat=True)
    assert {"predictions.detections.age", "predictions.detections.mood"} <= set(schema)
    extra = fo.Dataset(name="extra")
    extra.add_dir(str(tmp_path / "c"), dynamic=True, **kwargs)
    assert "predictions.detections.cute" in extra.get_field_schema(flat=True)


def test_merge_dir_of_voc_twice_is_merging_once(boxes, images, tmp_path):
    labels = tmp_path / "voc" / "labels"
    boxes.export(dataset_type=fo.types.VOCDetectionDataset, labels_path=str(labels))
    for _ in range(2):
        boxes.merge_dir(dataset_type=fo.types.VOCDetectionDataset, data_path=str(images),
                        labels_path=str(labels), label_field="voc")  # fmt: skip
    assert len(boxes) == 3 and boxes.count("voc.detections") == 3


def test_labels_only_export_refuses_two_images_sharing_a_labels_file(database, tmp_path):
    ds = fo.Dataset("twins")
    ds.add_samples([
        fo.Sample(str(write_image(tmp_path / d / "same.jpg")),
                  gt=fo.Detections(detections=[fo.Detection(label="x", bounding_box=BOX_A)]))
        for d in ("one", "two")
    ])  # fmt: skip
    with pytest.raises(fo.ExportError, match="would share the labels file 'same.xml'; pass "
                                             "rel_dir="):  # fmt: skip
        ds.export(dataset_type=fo.types.VOCDetectionDataset, labels_path=str(tmp_path / "l"))
    ds.export(dataset_type=fo.types.VOCDetectionDataset, labels_path=str(tmp_path / "l2"),
              rel_dir=str(tmp_path))  # fmt: skip
    assert sorted(p.name for p in (tmp_path / "l2").rglob("*.xml")) == ["same.xml", "same.xml"]


def test_add_yolo_labels_matches_by_file_name(boxes, tmp_path):
    out = tmp_path / "v5"
    boxes.export(export_dir=str(out), dataset_type=fo.types.YOLOv5Dataset, include_confidence=True)
    fouy.add_yolo_labels(boxes, "yolo", str(out / "labels" / "val"), ["cat", "dog"])
    assert boxes.count_values("yolo.detections.label") == {"cat": 1, "dog": 2}
    assert boxes.exists("yolo", False).values("filepath") == [boxes.values("filepath")[2]]
    _same_objects(_objects(boxes, "yolo"), {k: v for k, v in _objects(boxes).items()})
    fouy.add_yolo_labels(boxes, "yolo2", str(out / "labels" / "val"), ["cat", "dog"],
                         include_missing=True)  # fmt: skip
    assert len(boxes.exists("yolo2")) == 3 and boxes.count("yolo2.detections") == 3
    files = [str(out / "labels" / "val" / f"{n}.txt") for n in ("a", "b")] + [None]
    fouy.add_yolo_labels(boxes, "yolo3", files, ["cat", "dog"])
    assert boxes.count("yolo3.detections") == 3
    with pytest.raises(fo.MediaError, match="needs the class names by index; pass classes="):
        fouy.add_yolo_labels(boxes, "yolo4", str(out / "labels" / "val"))


def test_add_coco_labels_by_position_or_coco_id_field(boxes, tmp_path):
    boxes.export(export_dir=str(tmp_path / "c"), dataset_type=fo.types.COCODetectionDataset)
    path = str(tmp_path / "c" / "labels.json")
    fouc.add_coco_labels(boxes, "coco", path, ["cat", "dog"], include_annotation_id=True)
    assert boxes.count_values("coco.detections.label") == {"cat": 1, "dog": 2}
    assert sorted(boxes.distinct("coco.detections.coco_id")) == [1, 2, 3]
    _same_objects(_objects(boxes, "coco"), _objects(boxes))
    anns = json.loads((tmp_path / "c" / "labels.json").read_text())["annotations"]
    for ann in anns:  # a bare list: categories by the classes list, 0-based like FiftyOne's
        ann["category_id"] -= 1
        ann["image_id"] = {1: 10, 2: 20}[ann["image_id"]]
    boxes.set_values("cid", [10, 20, 30])
    fouc.add_coco_labels(boxes, "by_id", anns, ["cat", "dog"], coco_id_field="cid")
    assert boxes.count_values("by_id.detections.label") == {"cat": 1, "dog": 2}
    with pytest.raises(fo.MediaError, match="has category_id 5, which neither"):
        fouc.add_coco_labels(boxes, "bad", [dict(anns[0], category_id=5)], ["cat"])


def test_yolov5_split_added_later_keeps_the_class_indices_of_the_first(boxes, tmp_path):
    out = tmp_path / "v5"
    ids = boxes.values("id")
    boxes.select(ids[1]).export(export_dir=str(out), dataset_type=fo.types.YOLOv5Dataset,
                                split="train")  # only "dog"  # fmt: skip
    boxes.select(ids[0]).export(export_dir=str(out), dataset_type=fo.types.YOLOv5Dataset,
                                split="val")  # "cat" and "dog"  # fmt: skip
    assert yaml.safe_load((out / "dataset.yaml").read_text())["names"] == {0: "dog", 1: "cat"}
    back = fo.Dataset.from_dir(str(out), fo.types.YOLOv5Dataset, split=["train", "val"],
                               label_field="predictions", name="two")  # fmt: skip
    _same_objects(_objects(back), {k: v for k, v in _objects(boxes).items() if k != "c.jpg"},
                  confidence=False)  # fmt: skip


def test_coco_polygons_round_trip_as_polylines_with_iscrowd(database, images, tmp_path, capsys):
    ds = fo.Dataset("polys")
    triangle = [[0.1, 0.1], [0.5, 0.1], [0.3, 0.6]]
    square = [[0.6, 0.6], [0.9, 0.6], [0.9, 0.9], [0.6, 0.9]]
    lines = [
        fo.Polyline(label="cat", points=[triangle], filled=True),
        fo.Polyline(label="crowd", points=[square], filled=True, iscrowd=1),
    ]
    path = str(write_image(images / "p.jpg", size=(40, 30)))
    ds.add_sample(fo.Sample(path, segs=fo.Polylines(polylines=lines)))
    out = tmp_path / "coco"
    ds.export(export_dir=str(out), dataset_type=fo.types.COCODetectionDataset, label_field="segs")
    ann = json.loads((out / "labels.json").read_text())["annotations"]
    assert ann[0]["segmentation"] == [pytest.approx([4, 3, 20, 3, 12, 18])]
    assert ann[0]["bbox"] == pytest.approx([4, 3, 16, 15]) and ann[1]["iscrowd"] == 1
    back = fo.Dataset.from_dir(str(out), fo.types.COCODetectionDataset, name="polys2",
                               label_types=["detections", "segmentations"], use_polylines=True,
                               label_field="gt")  # fmt: skip
    sample = back.first()
    lines = sample.gt_segmentations.polylines
    assert [p.label for p in lines] == ["cat", "crowd"]
    assert lines[0].points[0] == [pytest.approx(p, rel=REL) for p in triangle]
    assert lines[1].iscrowd == 1 and not lines[0].has_field("iscrowd")
    assert sample.gt_detections.detections[0].bounding_box == pytest.approx([0.1, 0.1, 0.4, 0.5])
    content = json.loads((out / "labels.json").read_text())
    content["annotations"][1]["segmentation"] = {"counts": "abc", "size": [30, 40]}
    (out / "labels.json").write_text(json.dumps(content))
    capsys.readouterr()
    rle = fo.Dataset.from_dir(str(out), fo.types.COCODetectionDataset, name="rle",
                              label_types="segmentations", use_polylines=True)  # fmt: skip
    assert len(rle.first().ground_truth.polylines) == 1
    assert "Skipped 1 run-length (mask) segmentations" in capsys.readouterr().out


def test_an_unreadable_image_behind_pixel_boxes_is_named(database, tmp_path):
    root = tmp_path / "broken"
    (root / "data").mkdir(parents=True)
    (root / "data" / "a.jpg").write_bytes(b"not a jpeg at all")
    (root / "labels").mkdir()
    (root / "labels" / "a.txt").write_text("car 0 0 -10 1 2 3 4 -1 -1 -1 -1000 -1000 -1000 -10\n")
    with pytest.raises(fo.MediaError, match=r"a\.txt' has pixel boxes for '.*a\.jpg', whose "
                                            "size cannot be read"):  # fmt: skip
        fo.Dataset.from_dir(str(root), fo.types.KITTIDetectionDataset, name="broken")


def test_fastdup_annotations_csv_round_trip_with_splits_as_tags(boxes, tmp_path):
    kind = fo.types.FastdupAnnotationsDataset
    ids = boxes.values("id")
    boxes.select(ids[0]).tag_samples("train")
    boxes.select(ids[1]).tag_samples("valid")
    out = tmp_path / "fd"
    boxes.export(export_dir=str(out), dataset_type=kind, splits=["train", "valid"])
    lines = (out / "annotations.csv").read_text().splitlines()
    assert lines[0] == "filename,col_x,row_y,width,height,label,split,confidence"
    assert lines[1] == "a.jpg,3.950617248,4.800000000000001,10.6666656,6,cat,train,0.9"
    assert lines[3] == "b.jpg,0,0,32,24,dog,valid,"
    back = fo.Dataset.from_dir(str(out), kind, label_field="predictions", include_all_data=True,
                               name="fd")  # fmt: skip
    _same_objects(_objects(back), _objects(boxes))
    assert back.count_sample_tags() == {"train": 1, "valid": 1}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("filename,x,y,label\na.jpg,1,2,cat\n", r"the header: lacks columns \['col_x', 'row_y'"),
        ("filename,col_x,row_y,width,height,label\na.jpg,1,2,3,4,cat\na.jpg,1,two,3,4,dog\n",
         r"line 3: the box \{'col_x': '1', 'row_y': 'two'"),
    ],
)  # fmt: skip
def test_fastdup_annotations_csv_errors_name_the_line(database, tmp_path, text, match):
    root = tmp_path / "fd"
    write_image(root / "data" / "a.jpg")
    (root / "annotations.csv").write_text(text)
    with pytest.raises(fo.MediaError, match=r"annotations\.csv', " + match):
        fo.Dataset.from_dir(str(root), fo.types.FastdupAnnotationsDataset, name="fdbad")


def test_boxes_entirely_outside_the_image_are_dropped_and_counted_apart(database, tmp_path,
                                                                        capsys):  # fmt: skip
    root = tmp_path / "out"
    write_image(root / "data" / "a.jpg", size=(40, 20))
    (root / "obj.names").write_text("cat\n")
    # inside; reaching out (clipped); wholly right of the image; wholly above it
    (root / "data" / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n0 0.9 0.5 0.4 0.2\n"
                                         "0 1.5 0.5 0.2 0.2\n0 0.5 -0.5 0.2 0.2\n")  # fmt: skip
    ds = fo.Dataset.from_dir(str(root), fo.types.YOLOv4Dataset, name="outside")
    assert [d.bounding_box for d in ds.first().ground_truth.detections] == [
        pytest.approx([0.4, 0.4, 0.2, 0.2]), pytest.approx([0.7, 0.4, 0.3, 0.2])]  # fmt: skip
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert out[0].startswith("Clipped 1 boxes of ")
    assert "; and 2 boxes entirely outside their image, which were dropped (e.g. " \
           "['a.txt line 3', 'a.txt line 4'])" in out[0]  # fmt: skip
    coco = tmp_path / "coco"
    write_image(coco / "data" / "a.jpg", size=(40, 20))
    (coco / "labels.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.jpg", "width": 40, "height": 20}],
        "categories": [{"id": 1, "name": "cat"}],
        "annotations": [{"id": 7, "image_id": 1, "category_id": 1, "bbox": [50, 1, 5, 5]},
                        {"id": 8, "image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5]}],
    }))  # fmt: skip
    back = fo.Dataset.from_dir(str(coco), fo.types.COCODetectionDataset, name="coco-outside",
                               label_types="detections")  # fmt: skip
    assert back.count("ground_truth.detections") == 1
    line = capsys.readouterr().out.strip()
    assert line.startswith("Found 1 boxes of ") and line.endswith(
        "entirely outside their image, which were dropped (e.g. ['annotation 7 of image 1'])"
    )
    voc = tmp_path / "voc"
    write_image(voc / "data" / "a.jpg", size=(40, 20))
    (voc / "labels").mkdir()
    (voc / "labels" / "a.xml").write_text(
        "<annotation><size><width>40</width><height>20</height></size><object><name>cat"
        "</name><bndbox><xmin>41</xmin><ymin>1</ymin><xmax>45</xmax><ymax>4</ymax></bndbox>"
        "</object></annotation>"
    )
    back = fo.Dataset.from_dir(str(voc), fo.types.VOCDetectionDataset, name="voc-outside")
    assert back.count("ground_truth.detections") == 0
    assert "1 boxes of " in capsys.readouterr().out


def _coco_file(root, content):
    root.mkdir(parents=True, exist_ok=True)
    (root / "labels.json").write_text(json.dumps(content))


def test_coco_ids_survive_export_and_import_with_fiftyones_options(database, tmp_path):
    root = tmp_path / "ids"
    for name in ("a.jpg", "b.jpg"):
        write_image(root / "data" / name, size=(40, 20))
    _coco_file(root, {
        "images": [{"id": 17, "file_name": "a.jpg", "width": 40, "height": 20},
                   {"id": 42, "file_name": "b.jpg", "width": 40, "height": 20}],
        "categories": [{"id": 3, "name": "cat"}, {"id": 7, "name": "dog"}],
        "annotations": [
            {"id": 1001, "image_id": 17, "category_id": 3, "bbox": [1.5, 2, 10, 5]},
            {"id": 1002, "image_id": 17, "category_id": 7, "bbox": [20, 4.25, 8, 8]},
            {"id": 2001, "image_id": 42, "category_id": 3, "bbox": [0, 0, 40, 20]},
        ],
    })  # fmt: skip
    kind = fo.types.COCODetectionDataset
    opts = {"label_types": "detections", "label_field": "gt", "include_id": True,
            "include_annotation_id": True}  # fmt: skip
    ds = fo.Dataset.from_dir(str(root), kind, name="ids", **opts)
    by_file = {os.path.basename(s.filepath): s for s in ds}
    assert (by_file["a.jpg"].coco_id, by_file["b.jpg"].coco_id) == (17, 42)
    assert [d.coco_id for d in by_file["a.jpg"].gt.detections] == [1001, 1002]

    out = tmp_path / "out"
    ds.export(export_dir=str(out), dataset_type=kind, label_field="gt", coco_id="coco_id",
              annotation_id="coco_id")  # fmt: skip
    content = json.loads((out / "labels.json").read_text())
    assert {im["file_name"]: im["id"] for im in content["images"]} == {"a.jpg": 17, "b.jpg": 42}
    assert [(a["id"], a["image_id"]) for a in content["annotations"]] == [
        (1001, 17), (1002, 17), (2001, 42)]  # fmt: skip
    assert all("coco_id" not in a for a in content["annotations"])  # the id, not an attribute
    back = fo.Dataset.from_dir(str(out), kind, name="ids-back", **opts)
    assert sorted(back.values("coco_id")) == [17, 42]
    assert sorted(back.distinct("gt.detections.coco_id")) == [1001, 1002, 2001]
    _same_objects(_objects(back, "gt"), _objects(ds, "gt"))

    # FiftyOne's default: ids numbered from 1; a sample or object without an id
    # gets the next after the largest kept one
    ds.export(export_dir=str(tmp_path / "plain"), dataset_type=kind, label_field="gt")
    plain = json.loads((tmp_path / "plain" / "labels.json").read_text())
    assert [im["id"] for im in plain["images"]] == [1, 2]
    assert [a["id"] for a in plain["annotations"]] == [1, 2, 3]
    extra = fo.Sample(str(write_image(tmp_path / "c.jpg", size=(40, 20))),
                      gt=fo.Detections(detections=[fo.Detection(label="dog",
                                                                bounding_box=BOX_A)]))  # fmt: skip
    ds.add_sample(extra)
    ds.export(export_dir=str(tmp_path / "more"), dataset_type=kind, label_field="gt",
              coco_id="coco_id", annotation_id="coco_id")  # fmt: skip
    more = json.loads((tmp_path / "more" / "labels.json").read_text())
    assert [im["id"] for im in more["images"]] == [17, 42, 43]
    assert [a["id"] for a in more["annotations"]] == [1001, 1002, 2001, 2002]
    ds.set_values("coco_id", [17, 17, 5])
    with pytest.raises(fo.ExportError, match="COCO id 17 is held by both '.*a.jpg' and "):
        ds.export(export_dir=str(tmp_path / "dup"), dataset_type=kind, label_field="gt",
                  coco_id="coco_id")  # fmt: skip


@pytest.mark.parametrize("kind", [fo.types.COCODetectionDataset, fo.types.VOCDetectionDataset])
def test_coco_and_voc_splits_are_folders_that_come_back_as_tags(boxes, tmp_path, kind):
    out = tmp_path / "splits"
    ids = boxes.values("id")
    boxes.select(ids[:2]).tag_samples("train")
    boxes.select(ids[2:]).tag_samples("val")
    for split in ("train", "val"):
        boxes.match_tags(split).export(export_dir=str(out), dataset_type=kind, split=split,
                                       label_field="predictions")  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == ["train", "val"]
    assert (out / "train" / "data" / "a.jpg").is_file()
    extra = {"label_types": "detections"} if kind is fo.types.COCODetectionDataset else {}
    both = fo.Dataset.from_dir(str(out), kind, include_all_data=True, label_field="predictions",
                               name="both", **extra)  # fmt: skip
    assert both.count_sample_tags() == {"train": 2, "val": 1}
    _same_objects(_objects(both), _objects(boxes))
    train = fo.Dataset.from_dir(str(out), kind, split="train", name="train", **extra)
    assert len(train) == 2 and train.count_sample_tags() == {}
    assert all(p.startswith(str(out / "train")) for p in train.values("filepath"))
    listed = fo.Dataset.from_dir(str(out), kind, split=["val"], include_all_data=True,
                                 name="listed", **extra)  # fmt: skip
    assert listed.count_sample_tags() == {"val": 1}
    with pytest.raises(fo.MediaError, match=r"has no split \['test'\]; its splits: "
                                            r"\['train', 'val'\]"):  # fmt: skip
        fo.Dataset.from_dir(str(out), kind, split=["train", "test"], name="t", **extra)
    with pytest.raises(fo.ExportError, match="exists and is not empty"):  # a split twice
        boxes.match_tags("val").export(export_dir=str(out), dataset_type=kind, split="val",
                                       label_field="predictions")  # fmt: skip
    with pytest.raises(fo.ExportError, match="split='a/b': a .* export writes one split"):
        boxes.export(export_dir=str(tmp_path / "x"), dataset_type=kind, split="a/b")


def test_fastdup_annotations_dataframe_is_read_as_fastdups_run_takes_it(boxes, images, tmp_path,
                                                                        capsys):  # fmt: skip
    pd = pytest.importorskip("pandas")
    kind = fo.types.FastdupAnnotationsDataset
    ids = boxes.values("id")
    boxes.select(ids[0]).tag_samples("train")
    boxes.export(labels_path=str(tmp_path / "a.csv"), dataset_type=kind, splits=["train"],
                 label_field="predictions")  # fmt: skip
    df = pd.read_csv(tmp_path / "a.csv")  # numpy floats, NaN for the empty cells
    assert df["confidence"].isna().any()
    ds = fo.Dataset.from_dir(dataset_type=kind, data_path=str(images), labels_path=df,
                             label_field="predictions", name="frame")  # fmt: skip
    _same_objects(_objects(ds), {k: v for k, v in _objects(boxes).items() if k != "c.jpg"})
    assert ds.count_sample_tags() == {"train": 1}
    # fastdup's own frame: absolute filenames, no split or confidence columns
    frame = pd.DataFrame({"filename": [str(images / "a.jpg"), str(images / "b.jpg")],
                          "col_x": [1, 50], "row_y": [2, 2], "width": [10, 5], "height": [5, 5],
                          "label": ["cat", "dog"]})  # fmt: skip
    capsys.readouterr()
    fd = fo.Dataset(name="fd-frame")
    fd.add_dir(dataset_type=kind, labels_path=frame)
    assert fd.count("ground_truth.detections") == 1  # b's box starts right of its 32 px
    assert "Found 1 boxes of the annotations DataFrame entirely outside" in capsys.readouterr().out
    bad = frame.assign(row_y=[2, "two"])
    with pytest.raises(fo.MediaError, match=r"^Malformed annotations DataFrame, row 1: the box "
                                            r"\{'col_x': '50', 'row_y': 'two'"):  # fmt: skip
        fo.Dataset.from_dir(dataset_type=kind, labels_path=bad, name="bad-frame")
    with pytest.raises(fo.MediaError, match=r"^Malformed annotations DataFrame, its columns: "
                                            r"lacks columns \['col_x'"):  # fmt: skip
        fo.Dataset.from_dir(dataset_type=kind, labels_path=frame.drop(columns=["col_x"]),
                            name="bad-frame")  # fmt: skip


def test_coco_import_stores_the_labels_their_constructors_would(database, tmp_path):
    """The importer builds stored documents directly (its speed); they must be the
    ones ``Detection(...)`` gives, attributes, None scores and odd values included."""
    root = tmp_path / "docs"
    write_image(root / "data" / "a.jpg", size=(40, 20))
    anns = [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [4, 2, 8, 4], "score": 0.5,
         "age": 3, "mood": "surly", "flag": True, "note": None},
        {"id": 2, "image_id": 1, "category_id": 9, "bbox": [0, 0, 40, 20], "iscrowd": 1},
        {"id": 3, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2], "score": 1,
         "index": 4, "extra": [1, 2]},
    ]  # fmt: skip
    _coco_file(root, {"images": [{"id": 1, "file_name": "a.jpg", "width": 40, "height": 20}],
                      "categories": [{"id": 1, "name": "cat"}], "annotations": anns})  # fmt: skip
    ds = fo.Dataset.from_dir(str(root), fo.types.COCODetectionDataset, name="docs",
                             label_types="detections", include_annotation_id=True)  # fmt: skip
    stored = ds._sample_coll().find_one()["ground_truth"]
    want = fo.Detections(detections=[
        fo.Detection(label="cat", bounding_box=[0.1, 0.1, 0.2, 0.2], confidence=0.5, age=3,
                     mood="surly", flag=True, note=None, coco_id=1),
        fo.Detection(label="9", bounding_box=[0.0, 0.0, 1.0, 1.0], iscrowd=1, coco_id=2),
        fo.Detection(label="cat", bounding_box=[0.025, 0.05, 0.05, 0.1], confidence=1,
                     index=4, extra=[1, 2], coco_id=3),
    ]).to_dict()  # fmt: skip
    want["_id"] = stored["_id"]
    for w, s in zip(want["detections"], stored["detections"], strict=True):
        w["_id"] = s["_id"]
    assert stored == want
    assert list(stored["detections"][0]) == list(want["detections"][0])  # same key order
    with pytest.raises(fo.DatasetCoreError, match="field name"):
        fo.Dataset.from_dir(str(root), fo.types.COCODetectionDataset, name="badname",
                            label_types="detections", label_field="a.b")  # fmt: skip


def test_yolov8_segmentation_lines_are_closed_filled_polylines_both_ways(database, tmp_path,
                                                                          capsys):  # fmt: skip
    root = tmp_path / "seg"
    for name in ("x.jpg", "y.jpg"):
        write_image(root / "images" / "train" / name)
    (root / "labels" / "train").mkdir(parents=True)
    # a triangle and a box; a quadrilateral reaching out to x = 1.2
    (root / "labels" / "train" / "x.txt").write_text("0 0.1 0.1 0.5 0.1 0.3 0.6\n"
                                                     "1 0.5 0.5 0.2 0.2\n")  # fmt: skip
    (root / "labels" / "train" / "y.txt").write_text("1 0.6 0.6 0.9 0.6 1.2 0.9 0.6 0.9\n")
    (root / "data.yaml").write_text("train: images/train\nnames: [cat, dog]\n")
    kind = fo.types.YOLOv5Dataset
    ds = fo.Dataset.from_dir(str(root), kind, split="train", name="seg")
    by_file = {os.path.basename(s.filepath): s.ground_truth.polylines for s in ds}
    triangle, box = by_file["x.jpg"]
    assert (triangle.label, triangle.closed, triangle.filled) == ("cat", True, True)
    assert triangle.points == [[[0.1, 0.1], [0.5, 0.1], [0.3, 0.6]]]
    assert box.label == "dog" and box.points[0] == [
        pytest.approx(p) for p in ([0.4, 0.4], [0.6, 0.4], [0.6, 0.6], [0.4, 0.6])]  # fmt: skip
    assert by_file["y.jpg"][0].points[0][2] == [1.0, 0.9]
    assert "Clipped 1 boxes of " in capsys.readouterr().out
    as_boxes = fo.Dataset.from_dir(str(root), kind, split="train", name="seg-boxes",
                                   label_type="detections")  # fmt: skip
    dets = {os.path.basename(s.filepath): s.ground_truth.detections for s in as_boxes}
    assert dets["x.jpg"][0].bounding_box == pytest.approx([0.1, 0.1, 0.4, 0.5])

    out = tmp_path / "out"
    ds.export(export_dir=str(out), dataset_type=kind, split="train")
    assert (out / "labels" / "train" / "x.txt").read_text().splitlines()[0] == (
        "0 0.1 0.1 0.5 0.1 0.3 0.6")  # fmt: skip
    back = fo.Dataset.from_dir(str(out), kind, split="train", name="seg-back")
    got = {os.path.basename(s.filepath): s.ground_truth.polylines for s in back}
    for name, lines in by_file.items():
        assert [p.label for p in got[name]] == [p.label for p in lines]
        for g, w in zip(got[name], lines, strict=True):
            assert [pytest.approx(p, rel=REL) for p in w.points[0]] == g.points[0]
    (root / "labels" / "train" / "y.txt").write_text("1 0.6 0.6 0.9 0.6 1.2 0.9 0.6\n")
    with pytest.raises(fo.MediaError, match=r"y\.txt', line 1: expected .* or a polygon "
                                            r"'<class> <x1> <y1>"):  # fmt: skip
        fo.Dataset.from_dir(str(root), kind, split="train", name="seg-bad")
