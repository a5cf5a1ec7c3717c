"""Importers on real image files: folders, classification trees, bad input."""

from __future__ import annotations

import hashlib
import shutil

import pytest

import dataset_core as dc
from tests.conftest import write_image


def test_seed_classification_walkthrough(database, image_tree, capsys):
    samples, classes = dc.parse_image_classification_dir_tree(str(image_tree))
    assert classes == ["apple", "mountain"]
    assert len(samples) == 6 and samples[0][1] == "apple"
    assert (
        "Skipped 2 files: 1 not images (notes.txt); 1 empty (empty.jpg)" in capsys.readouterr().out
    )
    dataset = dc.Dataset.from_image_classification_samples(samples, name="cifar100_with_duplicates")
    assert len(dataset) == 6
    assert dataset.classes == {"ground_truth": ["apple", "mountain"]}
    assert dataset.default_classes == ["apple", "mountain"]
    assert sorted(set(dataset.values("ground_truth.label"))) == ["apple", "mountain"]
    assert "Num samples: 6" in dataset.summary()
    first = dataset.first()
    assert first.ground_truth.label == "apple"
    for sample in dataset:
        sample["file_hash"] = dc.compute_filehash(sample.filepath)
        sample.save()
    sample.add_tag("dup")
    sample.save()
    del dataset[sample.id]
    assert len(dataset) == 5 and dataset.count_sample_tags() == {}
    assert "cifar100_with_duplicates" in dc.list_datasets()
    assert len(dc.load_dataset("cifar100_with_duplicates")) == 5
    dc.delete_dataset("cifar100_with_duplicates")
    assert dc.list_datasets() == []


def test_from_images_dir_recursive_and_not(database, tmp_path):
    write_image(tmp_path / "a.png", fmt="PNG")
    write_image(tmp_path / "sub" / "b.jpg")
    write_image(tmp_path / "sub" / "noext", fmt="JPEG")  # recognised by content
    (tmp_path / ".hidden.jpg").write_bytes(b"x")
    flickr = dc.Dataset.from_images_dir(str(tmp_path), recursive=True, name="flickr-images")
    names = sorted(p.rsplit("/", 1)[1] for p in flickr.values("filepath"))
    assert names == ["a.png", "b.jpg", "noext"]
    flat = dc.Dataset.from_images_dir(str(tmp_path), recursive=False, name="flat")
    assert len(flat) == 1


def test_from_dir_types(database, image_tree):
    ds = dc.Dataset.from_dir(
        str(image_tree), dataset_type="image-classification-dir-tree", name="t"
    )
    assert ds.classes == {"ground_truth": ["apple", "mountain"]} and len(ds) == 6
    with pytest.raises(ValueError, match="Unknown dataset_type 'coco'; use one of"):
        dc.Dataset.from_dir(str(image_tree), dataset_type="coco", name="u")


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: p / "missing", "does not exist"),
        (lambda p: (p / "f.txt").write_text("x") and p / "f.txt", "is a file, not a directory"),
        (lambda p: p, "No images found in"),
    ],
)
def test_bad_import_dirs(database, tmp_path, make, match):
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(dc.MediaError, match=match):
        dc.Dataset.from_images_dir(str(make(tmp_path)), name="bad")
    assert dc.list_datasets() == []  # nothing half-created


def test_failed_import_leaves_no_dataset(database, tmp_path):
    write_image(tmp_path / "a.jpg")
    ok = dc.Dataset.from_images_dir(str(tmp_path), name="ok")
    with pytest.raises(dc.DatasetExistsError):
        dc.Dataset.from_images_dir(str(tmp_path), name="ok")
    assert len(ok) == 1 and dc.list_datasets() == ["ok"]


def test_compute_filehash_is_sha1_of_bytes(tmp_path):
    p = write_image(tmp_path / "a.jpg")
    assert dc.compute_filehash(str(p)) == hashlib.sha1(p.read_bytes()).hexdigest()
    assert dc.compute_filehash(str(p), method="md5") == hashlib.md5(p.read_bytes()).hexdigest()
    shutil.copy(p, tmp_path / "b.jpg")
    assert dc.compute_filehash(str(tmp_path / "b.jpg")) == dc.compute_filehash(str(p))
    with pytest.raises(ValueError, match="Unknown hash method 'nope'"):
        dc.compute_filehash(str(p), method="nope")


def test_compute_metadata_records_failures(database, tmp_path, capsys):
    write_image(tmp_path / "ok.jpg", size=(40, 30))
    write_image(tmp_path / "gray.png", size=(8, 6), fmt="PNG")
    full = write_image(tmp_path / "trunc.jpg", size=(64, 64)).read_bytes()
    (tmp_path / "trunc.jpg").write_bytes(full[:200])
    (tmp_path / "corrupt.jpg").write_bytes(b"\xff\xd8\xff" + b"garbage" * 20)
    ds = dc.Dataset.from_images_dir(str(tmp_path), name="m")
    report = ds.compute_metadata()
    assert "corrupt.jpg" in "".join(report.failures)
    assert report.computed + len(report.failures) == 4
    ok = ds[str(tmp_path / "ok.jpg")].metadata
    assert (ok.width, ok.height, ok.mime_type, ok.num_channels) == (40, 30, "image/jpeg", 3)
    assert ok.size_bytes == (tmp_path / "ok.jpg").stat().st_size
    assert ds[str(tmp_path / "corrupt.jpg")].metadata is None
    assert "could not be read" in str(report)
    again = ds.compute_metadata()  # only the missing ones are retried
    assert again.computed == 0 and len(again.failures) == len(report.failures)
