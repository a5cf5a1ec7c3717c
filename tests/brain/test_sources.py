"""What `dsc analyze` can import: folders, split/class trees, file lists, archives."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from brain.sources import load_source, split_name
from dataset_core import config as config_module
from dataset_core.errors import MediaError
from tests.conftest import write_image


@pytest.mark.parametrize(
    "folder, split",
    [("train", "train"), ("train_set", "train_set"), ("valid_set", "valid_set"),
     ("Test", "Test"), ("val2017", "val2017"), ("validation", "validation"),
     ("glacier", None), ("images", None), ("dataset", None), ("trains", None)],
)  # fmt: skip
def test_split_names(folder, split):
    assert split_name(folder) == split


@pytest.fixture
def blog_tree(tmp_path: Path) -> Path:
    """The blog's layout: data/<split>_set/<class>/<image>."""
    root = tmp_path / "data"
    for split in ("train_set", "valid_set"):
        for c, label in enumerate(["glacier", "mountain"]):
            for i in range(2):
                write_image(root / split / label / f"{i}.jpg", seed=100 * c + 10 * i + len(split))
    (root / "train_set" / "glacier" / "notes.txt").write_text("not an image")
    return root


def test_split_class_tree_gets_tags_and_labels(database, blog_tree):
    ds, rep = load_source(str(blog_tree), labels="dir-tree")
    assert ds.name == "data" and rep.kind == "folder" and len(ds) == 8
    assert rep.splits == ["train_set", "valid_set"]
    assert ds.count_sample_tags() == {"train_set": 4, "valid_set": 4}
    assert ds.count_values("ground_truth.label") == {"glacier": 4, "mountain": 4}
    assert ds.classes == {"ground_truth": ["glacier", "mountain"]}
    assert ds.default_classes == ["glacier", "mountain"]
    assert rep.notes == ["Skipped 1 file: 1 not images (notes.txt)"]


def test_without_labels_splits_are_still_tagged(database, blog_tree):
    ds, rep = load_source(str(blog_tree), name="plain")
    assert ds.count_sample_tags() == {"train_set": 4, "valid_set": 4}
    assert "ground_truth" not in ds.get_field_schema()


def test_file_list_with_missing_and_relative_paths(database, blog_tree, tmp_path):
    listing = tmp_path / "list.txt"
    first = sorted(blog_tree.rglob("*.jpg"))[:3]
    lines = ["# my selection", str(first[0]), str(first[1].relative_to(tmp_path)), "",
             "data/nope.jpg", str(blog_tree / "train_set" / "glacier" / "notes.txt")]  # fmt: skip
    listing.write_text("\n".join(lines))
    ds, rep = load_source(str(listing))
    assert ds.name == "list" and rep.kind == "file list" and len(ds) == 2
    assert "Skipped 1 listed paths that do not exist: data/nope.jpg" in rep.notes
    assert any("not images (notes.txt)" in n for n in rep.notes)


def test_archive_is_extracted_into_a_fresh_folder(database, blog_tree, tmp_path, monkeypatch):
    monkeypatch.setattr(config_module.config, "home", tmp_path / "home")
    archive = tmp_path / "scenes.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(blog_tree.rglob("*.jpg")):
            zf.write(p, p.relative_to(blog_tree.parent))
        zf.writestr("../escape.jpg", b"x")
    ds, rep = load_source(str(archive), labels="dir-tree")
    assert ds.name == "scenes" and rep.kind == "archive" and len(ds) == 8
    # the archive's one top folder (data/) is unwrapped: splits and classes are below it
    assert rep.root == str(tmp_path / "home" / "media" / "scenes" / "data")
    assert ds.count_sample_tags() == {"train_set": 4, "valid_set": 4}
    assert ds.count_values("ground_truth.label") == {"glacier": 4, "mountain": 4}
    assert rep.notes[0].startswith("Archive: skipped 1 archive members: ../escape.jpg")
    assert not (tmp_path / "home" / "media" / "escape.jpg").exists()
    # a second import never writes into the first one's folder
    ds2, rep2 = load_source(str(archive), name="scenes2", extract_dir=None)
    assert rep2.root == str(tmp_path / "home" / "media" / "scenes2" / "data")
    _, rep3 = load_source(str(archive), name="scenes", overwrite=True)
    assert rep3.root.endswith("scenes-2/data") and Path(rep.root, "train_set").is_dir()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p, "does not exist"),
        (lambda p: (p.mkdir(), p)[1], "No images found"),
    ],
)
def test_bad_sources(database, tmp_path, make, message):
    with pytest.raises(MediaError, match=message):
        load_source(str(make(tmp_path / "src")))


def test_unknown_label_mode(database, blog_tree):
    with pytest.raises(ValueError, match="labels must be one of"):
        load_source(str(blog_tree), labels="folders")
