"""Segmentation masks: ImageSegmentationDirectory, export_segmentations, and mask
files carried by FiftyOneDataset exports."""

from __future__ import annotations

import os

import numpy as np
import pytest

import dataset_core as fo
from dataset_core.segmentation import export_segmentations, read_mask
from tests.conftest import write_image


@pytest.fixture
def segmented(database, tmp_path):
    """Two samples with masks, boxes and polygons; a third with nothing."""
    images = tmp_path / "_images"
    mask1 = np.zeros((16, 16), dtype=np.uint8)
    mask1[4:12, 4:12] = 3
    mask2 = np.full((16, 16), 7, dtype=np.uint8)
    inst = np.zeros((4, 4), dtype=bool)
    inst[1:3, 1:3] = True
    square = [[(0.1, 0.1), (0.5, 0.1), (0.5, 0.5), (0.1, 0.5)]]
    ds = fo.Dataset("segmented")
    ds.add_samples([
        fo.Sample(str(write_image(images / "a.jpg", seed=1)), seg=fo.Segmentation(mask=mask1),
                  dets=fo.Detections(detections=[
                      fo.Detection(label="cat", bounding_box=[0.0, 0.0, 0.5, 0.5], mask=inst),
                      fo.Detection(label="dog", bounding_box=[0.5, 0.5, 0.5, 0.5])]),
                  polys=fo.Polylines(polylines=[
                      fo.Polyline(label="cat", points=square, filled=True)])),
        fo.Sample(str(write_image(images / "b.jpg", seed=2)), seg=fo.Segmentation(mask=mask2)),
        fo.Sample(str(write_image(images / "c.jpg", seed=3))),
    ])  # fmt: skip
    return ds


def test_segmentation_directory_round_trip_on_disk_and_loaded(segmented, tmp_path):
    out = tmp_path / "segdir"
    segmented.export(str(out), dataset_type=fo.types.ImageSegmentationDirectory,
                     label_field="seg")  # fmt: skip
    assert sorted(os.listdir(out / "labels")) == ["a.png", "b.png"]
    on_disk = fo.Dataset.from_dir(str(out), fo.types.ImageSegmentationDirectory,
                                  label_field="seg")  # fmt: skip
    assert len(on_disk) == 2 and on_disk.count("seg.mask") == 0
    by_name = {os.path.basename(s.filepath): s for s in on_disk}
    assert (read_mask(by_name["a.jpg"].seg.mask_path) == segmented.first().seg.mask).all()
    loaded = fo.Dataset.from_dir(
        str(out),
        fo.types.ImageSegmentationDirectory,
        label_field="seg",
        load_masks=True,
        include_all_data=True,
    )
    assert len(loaded) == 3 and loaded.count("seg.mask") == 2
    masks = sorted(int(s.seg.mask.max()) for s in loaded if s.seg is not None)
    assert masks == [3, 7]


def test_segmentation_directory_draws_boxes_instance_masks_and_polygons(segmented, tmp_path):
    out = tmp_path / "boxes"
    segmented.limit(1).export(str(out), dataset_type=fo.types.ImageSegmentationDirectory,
                              label_field="dets")  # fmt: skip
    mask = read_mask(str(out / "labels" / "a.png"))
    h, w = mask.shape
    assert set(np.unique(mask)) == {0, 1, 2}  # background, cat (1), dog (2): sorted labels
    assert mask[h - 1, w - 1] == 2  # the dog's box, filled
    assert mask[0, 0] == 0 and mask[h // 4, w // 4] == 1  # the cat's instance mask only
    out2 = tmp_path / "polys"
    segmented.limit(1).export(str(out2), dataset_type=fo.types.ImageSegmentationDirectory,
                              label_field="polys", mask_targets={5: "cat"})  # fmt: skip
    poly = read_mask(str(out2 / "labels" / "a.png"))
    assert poly[int(0.3 * h), int(0.3 * w)] == 5 and poly[int(0.8 * h), int(0.8 * w)] == 0


def test_segmentation_directory_labels_only_export(segmented, tmp_path):
    labels = tmp_path / "masks_only" / "labels"
    segmented.export(labels_path=str(labels), dataset_type=fo.types.ImageSegmentationDirectory,
                     label_field="seg")  # fmt: skip
    back = fo.Dataset.from_dir(data_path=str(tmp_path / "_images"), labels_path=str(labels),
                               dataset_type=fo.types.ImageSegmentationDirectory,
                               label_field="seg", include_all_data=True)  # fmt: skip
    assert sorted(back.values("filepath")) == sorted(segmented.values("filepath"))
    assert back.count("seg.mask_path") == 2


def test_export_segmentations_moves_masks_to_files(segmented, tmp_path):
    masks_dir = tmp_path / "masks"
    expected = segmented.first().seg.mask
    export_segmentations(segmented, "seg", str(masks_dir))
    assert segmented.count("seg.mask") == 0
    paths = segmented.values("seg.mask_path")
    assert paths[2] is None and all(p.startswith(str(masks_dir)) for p in paths[:2])
    assert (segmented.first().seg.get_mask() == expected).all()
    with pytest.raises(fo.ExportError, match="Segmentation field"):
        export_segmentations(segmented, "dets", str(masks_dir))


def test_fiftyone_dataset_carries_mask_files(segmented, tmp_path):
    export_segmentations(segmented, "seg", str(tmp_path / "masks"))
    out = tmp_path / "fo"
    segmented.export(str(out), dataset_type=fo.types.FiftyOneDataset)
    back = fo.Dataset.from_dir(str(out), fo.types.FiftyOneDataset)
    paths = [p for p in back.values("seg.mask_path") if p is not None]
    assert len(paths) == 2
    assert all(p.startswith(str(out / "fields" / "seg")) and os.path.isfile(p) for p in paths)
    out2 = tmp_path / "fo-nomedia"
    segmented.export(str(out2), dataset_type=fo.types.LegacyFiftyOneDataset, export_media=False)
    back2 = fo.Dataset.from_dir(str(out2), fo.types.LegacyFiftyOneDataset)
    assert back2.values("seg.mask_path") == segmented.values("seg.mask_path")
