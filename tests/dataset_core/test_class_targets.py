"""default_classes, mask_targets and default_mask_targets: checked, saved, exported."""

from __future__ import annotations

import pytest

import dataset_core as dc


def test_targets_are_saved_and_read_back_with_int_pixel_values(database):
    ds = dc.Dataset("seg")
    ds.default_classes = ["cat", "dog"]
    ds.default_mask_targets = {1: "cat", 2: "dog"}
    ds.mask_targets = {"gt": {0: "background", 255: "edge"}}
    ds.mask_targets["gt"][3] = "more"  # edited in place, stored by save()
    ds.save()
    ds.reload()
    assert ds.default_classes == ["cat", "dog"]
    assert ds.default_mask_targets == {1: "cat", 2: "dog"}
    assert ds.mask_targets == {"gt": {0: "background", 255: "edge", 3: "more"}}


BAD = [
    ("default_classes", ["cat", 1], "holds strings only"),
    ("default_classes", "cat", "is a list of strings"),
    ("default_mask_targets", {"hi": "there"}, "keys are pixel values"),
    ("default_mask_targets", {1: 2}, "values are label strings"),
    ("mask_targets", {1: {1: "cat"}}, "keys are field names"),
    ("mask_targets", {"gt": {1: {"too": "many"}}}, r"mask_targets\['gt'\] values"),
    ("mask_targets", {"gt": ["cat"]}, "maps pixel values"),
]


@pytest.mark.parametrize("attr, value, match", BAD)
def test_a_bad_value_is_refused_when_assigned(database, attr, value, match):
    ds = dc.Dataset()
    with pytest.raises(ValueError, match=match):
        setattr(ds, attr, value)


@pytest.mark.parametrize("attr, value, match", BAD)
def test_a_bad_in_place_edit_is_refused_by_save_and_not_stored(database, attr, value, match):
    ds = dc.Dataset("edited")
    ds.info["kept"] = False
    live = getattr(ds, attr)
    if isinstance(live, list):
        live.extend(value if isinstance(value, list) else [1])
    else:
        live.update(value)
    with pytest.raises(dc.FieldValueError):
        ds.save()
    ds.reload()
    assert getattr(ds, attr) in ([], {}) and ds.info == {}  # nothing of that save written


def test_manifest_export_keeps_targets(database, tmp_path):
    ds = dc.Dataset("src")
    ds.default_classes = ["a"]
    ds.mask_targets = {"gt": {1: "a"}}
    ds.default_mask_targets = {2: "b"}
    ds.export(str(tmp_path / "out"), "manifest", export_media=False)
    back = dc.Dataset.from_dir(str(tmp_path / "out"), dataset_type="manifest", name="back")
    assert back.default_classes == ["a"]
    assert back.mask_targets == {"gt": {1: "a"}} and back.default_mask_targets == {2: "b"}


def test_clone_keeps_class_lists_and_mask_targets(database):
    dataset = dc.Dataset("targets-src")
    dataset.default_classes = ["cat", "dog"]
    dataset.mask_targets = {"seg": {1: "road"}}
    dataset.default_mask_targets = {255: "edge"}
    dataset.save()
    copy = dataset.clone()
    try:
        assert copy.default_classes == ["cat", "dog"]
        assert copy.mask_targets == {"seg": {1: "road"}}
        assert copy.default_mask_targets == {255: "edge"}
    finally:
        copy.delete()
