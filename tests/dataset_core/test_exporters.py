"""Exports to folders and the manifest round trip, on real image files."""

from __future__ import annotations

import json
import os
from datetime import datetime

import numpy as np
import pytest

import dataset_core as dc
from dataset_core.exporters import UniqueNames
from tests.conftest import write_image


@pytest.fixture
def collide(tmp_path):
    """Two classes; two files named 0.jpg in different folders share a label."""
    src = tmp_path / "src"
    paths = [
        (write_image(src / "a" / "0.jpg", seed=1), "cat"),
        (write_image(src / "b" / "0.jpg", seed=2), "cat"),
        (write_image(src / "b" / "0-1.jpg", seed=3), "cat"),
        (write_image(src / "c" / "1.png", seed=4, fmt="PNG"), "dog"),
        (write_image(src / "c" / "2.jpg", seed=5), None),
    ]
    return dc.Dataset.from_image_classification_samples(
        [(str(p), lab) for p, lab in paths], name="collide"
    )


def _files(root):
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs
    )


def _bytes(path):
    with open(path, "rb") as f:
        return f.read()


def test_classification_tree_resolves_collisions_and_reimports(database, collide, tmp_path):
    out = tmp_path / "export"
    report = collide.export(
        str(out), dataset_type="image-classification-dir-tree", label_field="ground_truth"
    )
    assert _files(out) == [
        "_unlabeled/2.jpg",
        "cat/0-1-1.jpg",
        "cat/0-1.jpg",
        "cat/0.jpg",
        "dog/1.png",
    ]
    assert report.num_samples == report.num_media == 5
    assert [name for _, name in report.renamed] == ["cat/0-1.jpg", "cat/0-1-1.jpg"]
    # nothing overwritten: every source's bytes arrived somewhere, once
    sources = sorted(_bytes(p) for p in collide.values("filepath"))
    assert sorted(_bytes(out / f) for f in _files(out)) == sources
    back = dc.Dataset.from_dir(str(out), dataset_type="image-classification-dir-tree", name="b")
    assert back.classes == {"ground_truth": ["cat", "dog"]}
    assert back.count_values("ground_truth.label") == {None: 1, "cat": 3, "dog": 1}


def test_images_dir_flat_and_symlinks(database, collide, tmp_path):
    report = collide.export(str(tmp_path / "flat"), dataset_type="images-dir")
    assert _files(tmp_path / "flat") == ["0-1-1.jpg", "0-1.jpg", "0.jpg", "1.png", "2.jpg"]
    assert report.num_media == 5
    collide.export(str(tmp_path / "links"), "images-dir", export_media="symlink")
    link = tmp_path / "links" / "1.png"
    assert link.is_symlink() and os.readlink(link) == collide.values("filepath")[3]


def test_export_of_a_view_seed_dedup(database, tmp_path):
    """The issue's walkthrough: duplicate hashes -> view -> saved view -> export."""
    src = tmp_path / "src"
    for i in range(4):
        write_image(src / "apple" / f"{i}.jpg", seed=i % 2)  # 0/2 and 1/3 are copies
    write_image(src / "mountain" / "0.jpg", seed=9)
    samples, classes = dc.parse_image_classification_dir_tree(str(src))
    dataset = dc.Dataset.from_image_classification_samples(samples, name="dups")
    for sample in dataset:
        sample["file_hash"] = dc.compute_filehash(sample.filepath)
        sample.save()

    pipeline = [
        {"$group": {"_id": "$file_hash", "count": {"$sum": 1}}},
        {"$match": {"count": {"$gt": 1}}},
    ]
    dup_hashes = [d["_id"] for d in dataset.aggregate(pipeline)]
    assert len(dup_hashes) == 2
    dup_view = dataset.match({"file_hash": {"$in": dup_hashes}}).sort_by("file_hash")
    assert len(dup_view) == 4 and isinstance(dup_view.summary(), str)
    hashes = dup_view.values("file_hash")
    assert hashes == sorted(hashes)
    assert dup_view.count_values("file_hash") == {h: 2 for h in dup_hashes}
    assert dup_view.aggregate(pipeline + [{"$count": "n"}]) == [{"n": 2}]

    dataset.save_view("exact_dup_view", dup_view)
    loaded = dataset.load_saved_view("exact_dup_view")
    assert loaded.values("id") == dup_view.values("id")

    out = tmp_path / "export"
    dataset.export(
        export_dir=str(out),
        dataset_type="image-classification-dir-tree",
        label_field="ground_truth",
    )
    assert _files(out) == ["apple/0.jpg", "apple/1.jpg", "apple/2.jpg", "apple/3.jpg",
                           "mountain/0.jpg"]  # fmt: skip
    loaded.export(str(tmp_path / "dups"), label_field="ground_truth")
    assert len(_files(tmp_path / "dups")) == 4


def test_manifest_round_trip_is_identical(database, tmp_path):
    src = tmp_path / "src"
    paths = [write_image(src / d / "0.jpg", seed=i) for i, d in enumerate("ab")]
    paths.append(write_image(src / "c" / "x.png", seed=7, fmt="PNG"))
    ds = dc.Dataset("rich")
    ds.add_sample_field("declared_only", float)
    ds.add_samples(
        [
            dc.Sample(
                str(p),
                tags=["train", "t2"][: i + 1],
                ground_truth=dc.Classification(label=f"c{i}", confidence=0.5 + i / 10),
                detections=dc.Detections(
                    detections=[dc.Detection(label="car", bounding_box=[0.1, 0.2, 0.3, 0.4])]
                ),
                uniqueness=0.25 * i,
                count=i,
                flag=bool(i % 2),
                when=datetime(2024, 1, 2, 3, 4, 5, 678000),
                extra={"nested": [1, 2.5, "x"], "nan": float("nan")},
                embedding=np.arange(6, dtype=np.float32).reshape(2, 3) + i,
                big=2**40 + i,
            )
            for i, p in enumerate(paths)
        ]
    )
    ds.compute_metadata()
    ds.classes = {"ground_truth": ["c0", "c1", "c2"]}
    ds.default_classes = ["c0"]
    ds.info["source"] = {"url": "http://x", "when": datetime(2020, 1, 1)}
    ds.save()

    out = tmp_path / "manifest"
    report = ds.export(str(out), dataset_type="manifest")
    assert report.num_samples == 3 and _files(out) == [
        "data/0-1.jpg",
        "data/0.jpg",
        "data/x.png",
        "dataset.json",
        "manifest.jsonl",
    ]
    header = json.loads((out / "dataset.json").read_text())
    assert header["name"] == "rich" and header["num_samples"] == 3
    lines = (out / "manifest.jsonl").read_text().splitlines()
    assert json.loads(lines[1])["filepath"] == "data/0-1.jpg"

    back = dc.Dataset.from_dir(str(out), dataset_type="manifest", name="rich-copy")
    assert back.get_field_schema() == ds.get_field_schema()
    assert back.classes == ds.classes and back.info == ds.info
    assert back.default_classes == ["c0"]
    originals = list(ds._sample_coll().find())
    copies = list(back._sample_coll().find())
    assert len(copies) == 3
    for a, b in zip(originals, copies, strict=True):
        assert b["filepath"] == str(out / "data" / os.path.basename(b["filepath"]))
        assert _bytes(a["filepath"]) == _bytes(b["filepath"])
        nan_a, nan_b = a["extra"].pop("nan"), b["extra"].pop("nan")
        assert np.isnan(nan_a) and np.isnan(nan_b)
        a.pop("filepath"), b.pop("filepath")
        assert a == b  # ids, label ids, timestamps, _rand: all preserved
    sample = back.first()
    assert sample.embedding.dtype == np.float32 and sample.embedding.shape == (2, 3)
    assert sample.ground_truth == dc.Classification(label="c0", confidence=0.5)
    assert sample.metadata.width == 32


def test_manifest_without_media_keeps_original_paths(database, collide, tmp_path):
    out = tmp_path / "m"
    report = collide.export(str(out), "manifest", export_media=False)
    assert report.num_media == 0 and _files(out) == ["dataset.json", "manifest.jsonl"]
    back = dc.Dataset.from_dir(str(out), dataset_type="manifest", name="same-files")
    assert back.values("filepath") == collide.values("filepath")


def test_overwrite_merges_and_never_deletes(database, collide, tmp_path):
    out = tmp_path / "out"
    (out / "cat").mkdir(parents=True)
    (out / "keep.txt").write_text("mine")
    (out / "cat" / "0.jpg").write_bytes(b"old")
    with pytest.raises(dc.ExportError, match="exists and is not empty .*overwrite=True"):
        collide.export(str(out), label_field="ground_truth")
    assert _bytes(out / "cat" / "0.jpg") == b"old"  # refused before writing anything
    collide.export(str(out), label_field="ground_truth", overwrite=True)
    assert (out / "keep.txt").read_text() == "mine"
    assert _bytes(out / "cat" / "0.jpg") == _bytes(collide.values("filepath")[0])
    # again, as symlinks over the copies, then copies over the symlinks
    collide.export(str(out), label_field="ground_truth", export_media="symlink", overwrite=True)
    assert (out / "cat" / "0.jpg").is_symlink()
    collide.export(str(out), label_field="ground_truth", overwrite=True)
    assert not (out / "cat" / "0.jpg").is_symlink()
    assert all(os.path.exists(p) for p in collide.values("filepath"))


def test_exporting_media_onto_themselves_keeps_them(database, tmp_path):
    src = tmp_path / "imgs"
    write_image(src / "a.jpg")
    ds = dc.Dataset.from_images_dir(str(src), name="self")
    before = _bytes(src / "a.jpg")
    ds.export(str(src), "images-dir", overwrite=True)
    assert _bytes(src / "a.jpg") == before


def test_missing_media_are_named(database, tmp_path):
    ds = dc.Dataset("ghost")
    ds.add_samples([dc.Sample(str(tmp_path / "gone.jpg"))])
    with pytest.raises(dc.MediaError, match="1 of 1 media files could not be exported.*gone.jpg"):
        ds.export(str(tmp_path / "out"), "images-dir")


def test_unique_names_are_case_insensitive():
    names = UniqueNames()
    got = [names.assign("x", p) for p in ["/a/A.jpg", "/b/a.jpg", "/c/a", "/d/a"]]
    assert got == ["x/A.jpg", "x/a-1.jpg", "x/a", "x/a-1"]


EXPORT_FAILURES = [
    (dict(dataset_type="coco"), dc.ExportError, "Unknown dataset_type 'coco'; use one of \\["),
    (dict(label_field="lable"), dc.ExportError, "needs a Classification field \\('lable' is None"),
    (dict(dataset_type="image-classification-dir-tree", label_field="tags"),
     dc.ExportError, "Classification fields of dataset 'collide': \\['ground_truth'\\]"),
    (dict(dataset_type="images-dir", label_field="ground_truth"),
     dc.ExportError, "images-dir exports images only"),
    (dict(dataset_type="images-dir", export_media=False),
     dc.ExportError, "made of the images themselves"),
    (dict(dataset_type="manifest", label_field="ground_truth"),
     dc.ExportError, "label_field does not apply"),
    (dict(dataset_type="manifest", export_media="hardlink"),
     dc.ExportError, "export_media='hardlink' is not valid; use True"),
]  # fmt: skip


@pytest.mark.parametrize("kwargs, error, match", EXPORT_FAILURES)
def test_bad_exports_write_nothing(database, collide, tmp_path, kwargs, error, match):
    out = tmp_path / "never"
    with pytest.raises(error, match=match):
        collide.export(str(out), **kwargs)
    assert not out.exists()


@pytest.mark.parametrize(
    "label, match",
    [("a/b", "Label 'a/b' of sample .* cannot be a folder name"), (".hidden", "leading '.'"),
     ("_unlabeled", "and not '_unlabeled'")],
)  # fmt: skip
def test_labels_that_cannot_be_folders(database, tmp_path, label, match):
    ds = dc.Dataset.from_image_classification_samples(
        [(str(write_image(tmp_path / "x.jpg")), label)], name="odd"
    )
    with pytest.raises(dc.ExportError, match=match):
        ds.export(str(tmp_path / "out"), label_field="ground_truth")


def test_export_to_a_file_path(database, collide, tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(dc.ExportError, match="is a file; pass a directory"):
        collide.export(str(tmp_path / "f"))


def test_unserialisable_values_are_named(database, tmp_path, monkeypatch):
    ds = dc.Dataset("weird")
    ds.add_samples([dc.Sample(str(write_image(tmp_path / "a.jpg")), ok=1)])
    from dataset_core import manifest

    real = manifest.json_util.dumps

    def refuse(value, **kw):  # a value BSON can hold but JSON cannot
        if isinstance(value, dict) and "ok" in value or value == 1:
            raise TypeError("not JSON serialisable")
        return real(value, **kw)

    monkeypatch.setattr(manifest.json_util, "dumps", refuse)
    with pytest.raises(dc.ExportError, match="Cannot write sample .*, field 'ok' as JSON: int"):
        ds.export(str(tmp_path / "out"), "manifest")


IMPORT_FAILURES = [
    (lambda d: None, dc.MediaError, "is not a manifest export: it needs dataset.json"),
    (lambda d: (d / "dataset.json").write_text('{"format": "x"}'), dc.MediaError,
     "is not a dataset_core/manifest header"),
    (lambda d: (d / "manifest.jsonl").write_text('{"filepath": "a.jpg"}\n{oops\n'),
     dc.MediaError, "manifest.jsonl:2 is not valid extended JSON"),
    (lambda d: (d / "manifest.jsonl").write_text('{"tags": []}\n'), dc.MediaError,
     "manifest.jsonl:1 has no 'filepath'"),
    (lambda d: (d / "manifest.jsonl").write_text('{"filepath": "a"}\n{"filepath": "a"}\n'),
     dc.DuplicateSampleError, "two samples share a filepath"),
    (lambda d: (d / "manifest.jsonl").write_text('{"filepath": "a", "count": "three"}\n'),
     dc.SchemaError, "manifest.jsonl:1: Field 'count' .* holds IntField"),
]  # fmt: skip


@pytest.mark.parametrize("damage, error, match", IMPORT_FAILURES)
def test_bad_manifests(database, collide, tmp_path, damage, error, match):
    out = tmp_path / "m"
    if damage(tmp_path) is None and error is dc.MediaError and "needs" in match:
        out.mkdir()
    else:
        ds = dc.Dataset("typed", unique_filepaths=True)  # imports unique, as exported
        ds.add_samples([dc.Sample("/x/a.jpg", count=1)])
        ds.export(str(out), "manifest", export_media=False)
        damage(out)
    with pytest.raises(error, match=match):
        dc.Dataset.from_dir(str(out), dataset_type="manifest", name="broken")
    assert "broken" not in dc.list_datasets()  # all or nothing


def test_dsc_export(database, collide, tmp_path, capsys):
    from server.cli import main

    out = tmp_path / "cli"
    assert main(["export", "collide", str(out), "--label-field", "ground_truth"]) == 0
    assert "Exported 5 samples (5 media files, 2 renamed) as image-classification-dir-tree" in (
        capsys.readouterr().out
    )
    assert main(["export", "collide", str(out)]) == 1
    assert capsys.readouterr().err.startswith(f"error: Export directory '{out}' exists")
    assert main(["export", "collide", str(tmp_path / "m"), "--no-media"]) == 0
    assert "as manifest" in capsys.readouterr().out
    assert main(["export", "collide", str(tmp_path / "v"), "--view", "nope"]) == 1
    assert "has no saved view 'nope'; saved views: []" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["manifest", "fiftyone-dataset"])
def test_an_export_imports_with_its_datasets_filepath_rule(database, tmp_path, fmt):
    write_image(tmp_path / "a.jpg")
    twice = dc.Dataset("twice")  # unique_filepaths=False: one file in two samples
    twice.add_samples([dc.Sample(str(tmp_path / "a.jpg"), n=i) for i in range(2)])
    twice.export(str(tmp_path / "out"), fmt, export_media=False)
    back = dc.Dataset.from_dir(str(tmp_path / "out"), dataset_type=fmt, name="back")
    assert sorted(back.values("n")) == [0, 1] and not back.unique_filepaths
    once = dc.Dataset("once", unique_filepaths=True)
    once.add_sample(dc.Sample(str(tmp_path / "a.jpg")))
    once.export(str(tmp_path / "out2"), fmt, export_media=False)
    again = dc.Dataset.from_dir(str(tmp_path / "out2"), dataset_type=fmt, name="again")
    assert again.unique_filepaths
