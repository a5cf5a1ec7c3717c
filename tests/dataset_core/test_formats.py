"""fo.types formats: export and import round trips on real images and a real mongod,
with FiftyOne's arguments (export_dir, data_path, labels_path, rel_dir, export_media)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import dataset_core as fo
from dataset_core import ViewField as F
from tests.conftest import write_image


@pytest.fixture
def images(tmp_path):
    return tmp_path / "_images"


@pytest.fixture
def classified(database, images):
    """Three samples: cat (0.9), dog (0.95), unlabeled; tags on two."""
    ds = fo.Dataset("classified")
    ds.add_samples(
        [
            fo.Sample(
                str(write_image(images / "a.jpg", seed=1)),
                tags=["train"],
                predictions=fo.Classification(label="cat", confidence=0.9),
            ),
            fo.Sample(
                str(write_image(images / "b.jpg", seed=2)),
                tags=["val", "x"],
                predictions=fo.Classification(label="dog", confidence=0.95),
            ),
            fo.Sample(str(write_image(images / "c.jpg", seed=3))),
        ]
    )
    return ds


@pytest.fixture
def detected(database, images):
    ds = fo.Dataset("detected")
    dets = [
        fo.Detection(
            label="cat", bounding_box=[0.1, 0.1, 0.4, 0.4], confidence=0.9, age=51, mood="surly"
        ),
        fo.Detection(label="dog", bounding_box=[0.5, 0.5, 0.4, 0.4], age=52, mood="derpy"),
    ]
    ds.add_samples(
        [
            fo.Sample(
                str(write_image(images / "d.jpg", seed=4)),
                predictions=fo.Detections(detections=dets),
            ),
            fo.Sample(str(write_image(images / "e.jpg", seed=5))),
        ]
    )
    return ds


def _nones_last(values):
    return sorted(values, key=lambda v: (v is None, v))


def _rel_parts(path, root):
    return os.path.relpath(path, root).split(os.sep)


@pytest.mark.parametrize(
    "dataset_type",
    [fo.types.ImageDirectory, fo.types.ImageDirectory(), "ImageDirectory", "images-dir"],
)
def test_image_directory_round_trip_accepts_class_instance_and_names(
    classified, tmp_path, dataset_type
):
    out = tmp_path / "out"
    classified.export(export_dir=str(out), dataset_type=dataset_type)
    back = fo.Dataset.from_dir(dataset_dir=str(out), dataset_type=dataset_type)
    assert len(back) == 3
    assert sorted(os.listdir(out)) == ["a.jpg", "b.jpg", "c.jpg"]


def test_image_directory_with_rel_dir_keeps_subfolders(classified, tmp_path):
    out = tmp_path / "out"
    classified.export(
        export_dir=str(out), dataset_type=fo.types.ImageDirectory, rel_dir=str(tmp_path)
    )
    back = fo.Dataset.from_dir(dataset_dir=str(out), dataset_type=fo.types.ImageDirectory)
    assert len(back) == 3
    assert _rel_parts(back.first().filepath, out) == ["_images", "a.jpg"]


def test_classification_tree_round_trip_picks_first_classification_field(classified, tmp_path):
    out = tmp_path / "tree"
    classified.export(export_dir=str(out), dataset_type=fo.types.ImageClassificationDirectoryTree)
    back = fo.Dataset.from_dir(
        dataset_dir=str(out),
        dataset_type=fo.types.ImageClassificationDirectoryTree,
        label_field="predictions",
    )
    assert len(back) == 3
    assert back.count("predictions") == classified.count("predictions") == 2
    assert _nones_last(back.values("predictions.label")) == ["cat", "dog", None]
    rel = tmp_path / "tree-rel"
    classified.export(
        export_dir=str(rel),
        dataset_type=fo.types.ImageClassificationDirectoryTree,
        rel_dir=str(tmp_path),
    )
    back = fo.Dataset.from_dir(str(rel), fo.types.ImageClassificationDirectoryTree, name="r")
    assert _rel_parts(back.match(F("ground_truth.label") == "cat").first().filepath, rel) == [
        "cat",
        "_images",
        "a.jpg",
    ]


def test_image_classification_json_standard_confidence_and_labels_only(classified, tmp_path):
    kind = fo.types.FiftyOneImageClassificationDataset
    out = tmp_path / "std"
    classified.export(export_dir=str(out), dataset_type=kind)
    saved = json.loads((out / "labels.json").read_text())
    assert saved["labels"] == {"a": "cat", "b": "dog", "c": None}
    back = fo.Dataset.from_dir(dataset_dir=str(out), dataset_type=kind, label_field="predictions")
    assert len(back) == 3 and back.count("predictions") == 2
    assert all(p.startswith(str(out / "data")) for p in back.values("filepath"))

    out = tmp_path / "conf"
    classified.export(export_dir=str(out), dataset_type=kind, include_confidence=True)
    back = fo.Dataset.from_dir(
        dataset_dir=str(out), dataset_type=kind, label_field="predictions", name="conf"
    )
    assert _nones_last(back.values("predictions.confidence")) == [0.9, 0.95, None]

    labels = tmp_path / "only" / "labels.json"
    classified.export(dataset_type=kind, labels_path=str(labels))
    assert os.listdir(tmp_path / "only") == ["labels.json"]  # no media written
    back = fo.Dataset.from_dir(
        dataset_type=kind,
        data_path=str(tmp_path / "_images"),
        labels_path=str(labels),
        label_field="predictions",
        name="only",
    )
    assert set(back.values("filepath")) == set(classified.values("filepath"))
    assert back.count("predictions") == 2

    labels = tmp_path / "abs" / "labels.json"
    classified.export(dataset_type=kind, labels_path=str(labels), abs_paths=True)
    back = fo.Dataset.from_dir(
        dataset_type=kind, labels_path=str(labels), label_field="predictions", name="abs"
    )
    assert set(back.values("filepath")) == set(classified.values("filepath"))


def test_image_classification_json_rel_dir_and_data_path(classified, tmp_path):
    kind = fo.types.FiftyOneImageClassificationDataset
    out = tmp_path / "rel"
    classified.export(
        export_dir=str(out), data_path="images", dataset_type=kind, rel_dir=str(tmp_path)
    )
    back = fo.Dataset.from_dir(
        dataset_dir=str(out), data_path="images", dataset_type=kind, label_field="predictions"
    )
    assert back.count("predictions") == 2
    assert _rel_parts(back.first().filepath, out) == ["images", "_images", "a.jpg"]
    labels = tmp_path / "relonly" / "labels.json"
    classified.export(labels_path=str(labels), dataset_type=kind, rel_dir=str(tmp_path))
    back = fo.Dataset.from_dir(
        data_path=str(tmp_path),
        labels_path=str(labels),
        dataset_type=kind,
        label_field="predictions",
        name="ro",
    )
    assert back.count("predictions") == 2
    assert _rel_parts(back.first().filepath, tmp_path) == ["_images", "a.jpg"]


def test_image_detection_json_keeps_confidence_and_attributes(detected, tmp_path):
    kind = fo.types.FiftyOneImageDetectionDataset
    out = tmp_path / "det"
    detected.export(export_dir=str(out), dataset_type=kind)
    back = fo.Dataset.from_dir(dataset_dir=str(out), dataset_type=kind, label_field="predictions")
    assert len(back) == 2
    assert [len(d.detections) for d in back.exists("predictions").values("predictions")] == [2]
    for attr in ("confidence", "age", "mood"):
        assert back.distinct(f"predictions.detections.{attr}") == detected.distinct(
            f"predictions.detections.{attr}"
        )
    box = back.first().predictions.detections[0].bounding_box
    assert np.allclose(box, [0.1, 0.1, 0.4, 0.4])


def test_csv_export_and_import(classified, tmp_path):
    out = tmp_path / "csv"
    classified.set_values("score", [1.0, 2.0, None])
    classified.export(
        export_dir=str(out),
        dataset_type=fo.types.CSVDataset,
        fields=["filepath", "tags", "score", "predictions.label"],
    )
    lines = (out / "labels.csv").read_text().splitlines()
    assert lines[0] == "filepath,tags,score,predictions.label"
    assert lines[2] == 'b.jpg,"val,x",2.0,dog'
    back = fo.Dataset.from_dir(
        dataset_dir=str(out),
        dataset_type=fo.types.CSVDataset,
        fields={
            "tags": lambda v: v.split(",") if v else [],
            "score": lambda v: float(v) if v else None,
        },
    )
    assert len(back) == 3
    assert sorted(sum(back.values("tags"), [])) == ["train", "val", "x"]
    assert back.bounds("score") == (1.0, 2.0)
    plain = fo.Dataset.from_dir(dataset_dir=str(out), dataset_type=fo.types.CSVDataset, name="p")
    assert _nones_last(plain.values("predictions.label")) == ["cat", "dog", None]


def test_fiftyone_dataset_keeps_fields_ids_views_runs_info(classified, tmp_path):
    classified.info["source"] = "unit"
    classified.save()
    classified.classes = {"predictions": ["cat", "dog"]}
    classified.default_classes = ["cat"]
    classified.save_view("cats", classified.match(F("predictions.label") == "cat"))
    from dataset_core import runs

    runs.save_run(
        classified,
        "sim",
        "similarity",
        {"metric": "cosine"},
        {"ids": np.array(classified.values("id")), "emb": np.eye(3, dtype=np.float32)},
    )
    out = tmp_path / "fo"
    classified.export(export_dir=str(out), dataset_type=fo.types.FiftyOneDataset)
    back = fo.Dataset.from_dir(
        dataset_dir=str(out), dataset_type=fo.types.FiftyOneDataset, name="copy"
    )
    assert back.values("id") == classified.values("id")
    assert back.values("tags") == classified.values("tags")
    assert back.values("predictions.label") == classified.values("predictions.label")
    assert [os.path.basename(p) for p in back.values("filepath")] == ["a.jpg", "b.jpg", "c.jpg"]
    assert back.info["source"] == "unit" and back.classes == {"predictions": ["cat", "dog"]}
    assert back.default_classes == ["cat"]
    assert back.list_saved_views() == ["cats"]
    assert len(back.load_saved_view("cats")) == 1
    assert back.list_brain_runs() == ["sim"]
    assert np.array_equal(runs.load_run_arrays(back, "sim")["emb"], np.eye(3))
    # the copy's run is its own: deleting the source's leaves it
    classified.delete_brain_run("sim")
    assert np.array_equal(runs.load_run_arrays(fo.load_dataset("copy"), "sim")["emb"], np.eye(3))


def test_fiftyone_dataset_labels_only_with_and_without_rel_dir(classified, tmp_path):
    kind = fo.types.FiftyOneDataset
    out = tmp_path / "noimg"
    classified.export(export_dir=str(out), dataset_type=kind, export_media=False)
    assert not (out / "data").exists()
    back = fo.Dataset.from_dir(dataset_dir=str(out), dataset_type=kind, name="a")
    assert back.values("filepath") == classified.values("filepath")
    out = tmp_path / "relnoimg"
    classified.export(
        export_dir=str(out), dataset_type=kind, export_media=False, rel_dir=str(tmp_path)
    )
    with pytest.raises(fo.MediaError, match="pass rel_dir"):
        fo.Dataset.from_dir(dataset_dir=str(out), dataset_type=kind, name="b")
    assert not fo.dataset_exists("b")
    back = fo.Dataset.from_dir(
        dataset_dir=str(out), dataset_type=kind, rel_dir=str(tmp_path), name="b"
    )
    assert back.values("filepath") == classified.values("filepath")


def test_add_dir_and_merge_dir(classified, tmp_path):
    kind = fo.types.FiftyOneImageClassificationDataset
    out = tmp_path / "labels"
    classified.export(export_dir=str(out), dataset_type=kind, include_confidence=True)
    target = fo.Dataset("target")
    ids = target.add_dir(
        dataset_dir=str(out), dataset_type=kind, label_field="gt", tags=["imported"]
    )
    assert len(ids) == 3 and target.count_sample_tags() == {"imported": 3}
    assert target.count("gt") == 2
    # merge_dir: same filepaths -> fields land on the existing samples, nothing duplicated
    other = tmp_path / "other"
    classified.export(
        export_dir=str(other),
        dataset_type=fo.types.FiftyOneImageClassificationDataset,
        data_path=str(out / "data"),
        export_media=False,
        labels_path="l.json",
    )
    for _ in range(2):  # re-runnable
        target.merge_dir(
            data_path=str(out / "data"),
            labels_path=str(other / "l.json"),
            dataset_type=kind,
            label_field="merged",
            tags=["m"],
        )
        assert len(target) == 3
        assert target.count("merged") == 2
        assert target.count_sample_tags() == {"imported": 3, "m": 3}


EXPORT_FAILURES = [
    (dict(dataset_type=fo.types.ImageDirectory, export_media="move"), "never moves"),
    (dict(dataset_type="NoSuchFormat"), "Unknown dataset_type 'NoSuchFormat'"),
    (
        dict(dataset_type=fo.types.FiftyOneImageClassificationDataset, label_field="tags"),
        "needs a Classification field",
    ),
    (dict(dataset_type=fo.types.CSVDataset, bogus=1), "does not take \\['bogus'\\]"),
    (dict(dataset_type=fo.types.FiftyOneImageDetectionDataset), "needs a Detections/Detection"),
]


@pytest.mark.parametrize("kwargs, match", EXPORT_FAILURES)
def test_bad_exports_raise_and_write_nothing(classified, tmp_path, kwargs, match):
    out = tmp_path / "never"
    with pytest.raises(fo.ExportError, match=match):
        classified.export(export_dir=str(out), **kwargs)
    assert not out.exists()


def test_labels_only_export_never_replaces_a_file_without_overwrite(classified, tmp_path):
    labels = tmp_path / "labels.json"
    labels.write_text("mine")
    kind = fo.types.FiftyOneImageClassificationDataset
    with pytest.raises(fo.ExportError, match="exists; pass overwrite=True"):
        classified.export(dataset_type=kind, labels_path=str(labels))
    assert labels.read_text() == "mine"
    classified.export(dataset_type=kind, labels_path=str(labels), overwrite=True)
    assert json.loads(labels.read_text())["labels"]["a"] == "cat"
    assert not [f for f in os.listdir(tmp_path) if ".tmp" in f]


def test_unknown_import_type_is_a_value_error(database, tmp_path):
    with pytest.raises(ValueError, match="Unknown dataset_type"):
        fo.Dataset.from_dir(str(tmp_path), dataset_type="NoSuchFormat")


def test_coco_detections_round_trip_with_scores_and_attributes(detected, tmp_path):
    kind = fo.types.COCODetectionDataset
    out = tmp_path / "coco"
    detected.export(export_dir=str(out), dataset_type=kind)
    coco = json.loads((out / "labels.json").read_text())
    assert [c["name"] for c in coco["categories"]] == ["cat", "dog"]
    assert coco["images"][0]["width"] == 32 and coco["annotations"][0]["bbox"][2] == 0.4 * 32
    back = fo.Dataset.from_dir(
        dataset_dir=str(out), dataset_type=kind, label_types="detections",
        label_field="predictions",
    )  # fmt: skip
    assert len(back) == 2 and back.count("predictions") == 1
    for attr in ("confidence", "age", "mood"):
        assert back.distinct(f"predictions.detections.{attr}") == detected.distinct(
            f"predictions.detections.{attr}"
        )
    box = back.first().predictions.detections[1].bounding_box
    assert np.allclose(box, [0.5, 0.5, 0.4, 0.4])
    out = tmp_path / "bare"
    detected.export(export_dir=str(out), dataset_type=kind, extra_attrs=False)
    back = fo.Dataset.from_dir(str(out), kind, label_types="detections", name="bare")
    assert back.distinct("ground_truth.detections.age") == []


def test_coco_exports_a_classification_as_a_whole_image_box(classified, tmp_path):
    out = tmp_path / "coco"
    classified.export(export_dir=str(out), dataset_type=fo.types.COCODetectionDataset,
                      label_field="predictions")  # fmt: skip
    back = fo.Dataset.from_dir(dataset_dir=str(out), dataset_type=fo.types.COCODetectionDataset,
                               label_types="detections", label_field="animal")  # fmt: skip
    box = back.first().animal.detections[0].bounding_box
    assert np.allclose(box, [0, 0, 1, 1])


def test_import_options_a_format_does_not_take_are_refused(classified, tmp_path):
    classified.export(export_dir=str(tmp_path / "c"), dataset_type=fo.types.COCODetectionDataset)
    with pytest.raises(fo.MediaError, match="does not take \\[.shuffle.\\]; its options"):
        fo.Dataset.from_dir(str(tmp_path / "c"), fo.types.COCODetectionDataset, shuffle=True)
    with pytest.raises(fo.MediaError, match=r"COCO is read as \['detections', 'segmentations'\]"):
        fo.Dataset.from_dir(str(tmp_path / "c"), fo.types.COCODetectionDataset,
                            label_types="keypoints")  # fmt: skip
    with pytest.raises(fo.MediaError, match="pass use_polylines=True"):
        fo.Dataset.from_dir(str(tmp_path / "c"), fo.types.COCODetectionDataset,
                            label_types="segmentations")  # fmt: skip
