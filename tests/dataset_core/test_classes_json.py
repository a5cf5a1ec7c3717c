"""dataset.classes as a {label field: [class]} dict, and a dataset as one JSON dict."""

import json

import pytest

import dataset_core as dc
from dataset_core.db import get_db
from dataset_core.errors import DatasetCoreError, FieldValueError, MediaError


def _pets(name="pets"):
    ds = dc.Dataset(name)
    ds.add_samples([
        dc.Sample("/data/pets/cat.jpg", tags=["train"],
                  ground_truth=dc.Classification(label="cat", confidence=0.5)),
        dc.Sample("/data/pets/dog.jpg",
                  boxes=dc.Detections(detections=[
                      dc.Detection(label="dog", bounding_box=[0.1, 0.2, 0.3, 0.4])])),
    ])  # fmt: skip
    return ds


def test_classes_is_a_dict_checked_and_saved(database):
    ds = dc.Dataset("c")
    assert ds.classes == {}
    with pytest.raises(FieldValueError, match="classes maps label field names"):
        ds.classes = ["cat", "dog"]
    ds.classes = {"ground_truth": ["cat", "dog"]}
    ds.classes["ground_truth"].append(3)
    with pytest.raises(FieldValueError, match=r"classes\['ground_truth'\] holds strings only"):
        ds.save()
    ds.classes["ground_truth"].pop()
    ds.save()
    ds.classes["other"] = ["x"]  # not saved
    stored = get_db()["datasets"].find_one({"name": "c"})
    assert stored["classes"] == {"ground_truth": ["cat", "dog"]}
    ds.reload()
    assert dc.load_dataset("c").classes == {"ground_truth": ["cat", "dog"]}


def test_a_dataset_stored_with_a_class_list_loads_it_as_default_classes(database):
    dc.Dataset("old")
    # the document as written before classes became a dict
    get_db()["datasets"].update_one(
        {"name": "old"}, {"$set": {"classes": ["cat", "dog"]}, "$unset": {"default_classes": 1}}
    )
    ds = dc.load_dataset("old")
    assert ds.classes == {} and ds.default_classes == ["cat", "dog"]
    ds.save()
    stored = get_db()["datasets"].find_one({"name": "old"})
    assert stored["classes"] == {} and stored["default_classes"] == ["cat", "dog"]


def test_clone_and_add_collection_take_the_class_dict(database):
    src = _pets()
    src.classes = {"ground_truth": ["cat", "dog"]}
    src.default_classes = ["cat"]
    src.save()
    copy = src.clone("copy")
    assert copy.classes == {"ground_truth": ["cat", "dog"]} and copy.default_classes == ["cat"]
    other = dc.Dataset("other")
    other.classes = {"boxes": ["dog"]}
    other.save()
    other.add_collection(src, new_ids=True)
    assert dc.load_dataset("other").classes == {"boxes": ["dog"], "ground_truth": ["cat", "dog"]}


def test_exporters_use_the_fields_classes_then_default_classes(database, tmp_path):
    ds = _pets()
    ds.classes = {"ground_truth": ["dog", "cat"]}
    ds.default_classes = ["zebra", "cat", "dog"]
    ds.save()
    out = tmp_path / "cls"
    ds.export(str(out), dataset_type=dc.types.FiftyOneImageClassificationDataset,
              label_field="ground_truth", export_media=False)  # fmt: skip
    assert json.loads((out / "labels.json").read_text())["classes"] == ["dog", "cat"]
    det = tmp_path / "det"
    ds.export(str(det), dataset_type=dc.types.FiftyOneImageDetectionDataset, label_field="boxes",
              export_media=False)  # fmt: skip
    assert json.loads((det / "labels.json").read_text())["classes"] == ["zebra", "cat", "dog"]


def test_to_dict_from_dict_round_trip(database):
    ds = _pets()
    ds.info = {"source": "unit"}
    ds.classes = {"ground_truth": ["cat", "dog"]}
    ds.default_classes = ["cat", "dog"]
    ds.mask_targets = {"seg": {1: "cat"}}
    ds.default_mask_targets = {2: "dog"}
    ds.save()
    d = ds.to_dict()
    json.dumps(d)  # JSON-able as is
    assert d["num_samples"] == 2 and len(d["samples"]) == 2
    back = dc.Dataset.from_dict(d, name="back")
    assert back.name == "back" and len(back) == 2
    assert back.info == {"source": "unit"}
    assert back.classes == ds.classes and back.default_classes == ["cat", "dog"]
    assert back.mask_targets == {"seg": {1: "cat"}} and back.default_mask_targets == {2: "dog"}
    assert back.get_field_schema() == ds.get_field_schema()
    assert back.values("ground_truth.label") == ["cat", None]
    assert back.values("ground_truth.confidence") == [0.5, None]
    assert back.values("boxes.detections.bounding_box") == [None, [[0.1, 0.2, 0.3, 0.4]]]
    assert back.values("tags") == [["train"], []]


def test_write_json_from_json_with_rel_dir(database, tmp_path):
    ds = _pets()
    path = tmp_path / "out" / "dataset.json"
    ds.write_json(str(path), rel_dir="/data", pretty_print=True)
    content = json.loads(path.read_text())
    assert [s["filepath"] for s in content["samples"]] == ["pets/cat.jpg", "pets/dog.jpg"]
    assert "\n    " in path.read_text()
    back = dc.Dataset.from_json(str(path), name="moved", rel_dir="/mnt")
    assert back.values("filepath") == ["/mnt/pets/cat.jpg", "/mnt/pets/dog.jpg"]
    again = dc.Dataset.from_json(json.dumps(ds.to_dict()), name="again")
    assert again.values("filepath") == ds.values("filepath")


def test_from_json_and_from_dict_refuse_bad_input(database):
    with pytest.raises(MediaError, match="takes a JSON file or string"):
        dc.Dataset.from_json("/no/such/file.json")
    with pytest.raises(DatasetCoreError, match="takes a dict as Dataset.to_dict returns"):
        dc.Dataset.from_dict(["not", "a", "dict"])
    with pytest.raises(FieldValueError):
        dc.Dataset.from_dict({"samples": [], "classes": {"gt": [1]}}, name="bad")
    assert not dc.dataset_exists("bad")
