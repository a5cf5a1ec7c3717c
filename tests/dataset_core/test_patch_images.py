"""Exporting object patches: ImageDirectory and the classification tree crop each
object of a Detections field into its own image."""

from __future__ import annotations

import pytest
from PIL import Image

import dataset_core as fo
from tests.conftest import write_image


@pytest.fixture
def boxes(database, tmp_path):
    ds = fo.Dataset("boxes")
    path = write_image(tmp_path / "_images" / "a.jpg", seed=1)
    with Image.open(path) as img:
        width, height = img.size
    ds.add_samples(
        [
            fo.Sample(str(path), ground_truth=fo.Detections(detections=[
                fo.Detection(label="cat", bounding_box=[0.0, 0.0, 0.5, 0.5]),
                fo.Detection(label="dog", bounding_box=[0.5, 0.5, 0.25, 0.5]),
            ])),
            fo.Sample(str(write_image(tmp_path / "_images" / "b.jpg", seed=2)),
                      ground_truth=fo.Detections(detections=[
                          fo.Detection(label="cat", bounding_box=[0.1, 0.1, 0.2, 0.2])])),
            fo.Sample(str(write_image(tmp_path / "_images" / "c.jpg", seed=3))),
        ]
    )  # fmt: skip
    return ds, (width, height)


def test_image_directory_of_a_detections_field_writes_one_crop_per_object(boxes, tmp_path):
    ds, (width, height) = boxes
    out = tmp_path / "patches"
    report = ds.export(str(out), dataset_type=fo.types.ImageDirectory, label_field="ground_truth")
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 3 and report.num_samples == 3
    dog_id = ds.first().ground_truth.detections[1].id
    with Image.open(out / f"a-{dog_id}.jpg") as dog:
        size = dog.size
    assert size == (round(0.75 * width) - round(0.5 * width), height - round(0.5 * height))
    assert len(fo.Dataset.from_dir(str(out), fo.types.ImageDirectory)) == 3


def test_classification_tree_of_a_detections_field_files_patches_by_label(boxes, tmp_path):
    ds, _ = boxes
    out = tmp_path / "tree"
    ds.export(str(out), dataset_type=fo.types.ImageClassificationDirectoryTree,
              label_field="ground_truth")  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == ["cat", "dog"]
    back = fo.Dataset.from_dir(str(out), fo.types.ImageClassificationDirectoryTree)
    assert sorted(back.values("ground_truth.label")) == ["cat", "cat", "dog"]


def test_image_directory_refuses_a_label_field_without_objects(boxes, tmp_path):
    ds, _ = boxes
    ds.add_sample_field("weather", fo.EmbeddedDocumentField, embedded_doc_type=fo.Classification)
    with pytest.raises(fo.ExportError, match="object patches of a Detections/Detection field"):
        ds.export(str(tmp_path / "x"), dataset_type=fo.types.ImageDirectory, label_field="weather")
