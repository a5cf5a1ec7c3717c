"""`dsc analyze` end to end: the real model on real photos with planted answers and
bad files, the fastdup-style summary, the dataset left behind, the report in Chromium."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import brain
import dataset_core as dc
from dataset_core.runs import load_run_arrays
from server.cli import main
from tests.brain.conftest import photo_sources


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}  # fmt: skip


@pytest.fixture
def messy_tree(health_tree, tmp_path) -> Path:
    """The planted corpus plus the issue's bad input, at the top level (no label, no split)."""
    root = tmp_path / "scenes"
    shutil.copytree(health_tree, root)
    src = photo_sources()

    def photo(name: str) -> Image.Image:
        img = Image.open(src[name]).convert("RGB")
        img.thumbnail((200, 200))
        return img

    photo("camera.png").convert("CMYK").save(root / "cmyk.jpg")
    gray = np.asarray(photo("moon.png").convert("L"), dtype=np.uint16) * 257
    Image.fromarray(gray.astype(np.uint16)).save(root / "sixteen.png")
    photo("brick.png").convert("P", palette=Image.Palette.ADAPTIVE).save(root / "palette.png")
    rgba = photo("china.jpg").convert("RGBA")
    rgba.putalpha(200)
    rgba.save(root / "rgba.png")
    exif = Image.Exif()
    exif[0x0112] = 8  # displayed rotated by 90°
    photo("flower.jpg").save(root / "rotated.jpg", exif=exif)
    Image.new("RGB", (5, 4), (200, 30, 30)).save(root / "tiny.png")  # smaller than the model input
    (root / "truncated.jpg").write_bytes((root / "train/cat/cat_1.jpg").read_bytes()[:300])
    (root / "empty.jpg").write_bytes(b"")
    (root / "readme.txt").write_text("not an image")
    return root


def test_dsc_analyze_finds_the_planted_problems(database, messy_tree, tmp_path, capsys, page):
    before = _digest(messy_tree)
    report = tmp_path / "report"
    argv = ["analyze", str(messy_tree), "--name", "scenes", "--labels", "dir-tree",
            "--report", str(report), "--outlier-fraction", "0.1"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert "Skipped 2 files: 1 not images (readme.txt); 1 empty (empty.jpg)" in out
    skipped = [line for line in out if "could not be read" in line]
    assert (
        len(skipped) == 1
        and "truncated.jpg" in skipped[0]
        and skipped[0].startswith("Skipped 1 of 29 images")
    )
    assert "Found 2 fully identical images (d>0.990), 6.90 %" in out
    assert "Found 1 train/test leaks" in out
    assert any(line.startswith("Found 2 images whose label disagrees with their nearest "
                               "neighbours, 1 near-duplicate pairs") for line in out)  # fmt: skip
    assert "Found 3 outliers (lowest 10 %), 10.34 %" in out
    quality = next(line for line in out if "blurry," in line)
    assert quality.startswith("Found 1 blurry, 1 dark, 1 bright, ")
    assert f"Report: {report / 'index.html'}" in out
    assert out[-1].endswith("browse them with: dsc app launch scenes")
    assert _digest(messy_tree) == before  # nothing written, moved or deleted among the images

    ds = dc.load_dataset("scenes")  # persistent, every result on it
    assert len(ds) == 29
    runs = set(brain.list_brain_runs(ds))
    assert {"sim", "outliers", "component_id", "image_stats", "label_issues", "leaks",
            "knn_prediction", "visualization"} <= runs  # fmt: skip
    saved = load_run_arrays(ds, "sim")  # the one kNN search, kept for uniqueness & co.
    assert saved["knn_indices"].shape == (29, 20)
    ids, pts = brain.load_points(ds, "visualization")
    assert len(ids) == 28 and pts.shape == (28, 2)  # the truncated image has no embedding
    named = {Path(s.filepath).name: s for s in ds}
    assert named["rotated.jpg"].image_stats["height"] > named["rotated.jpg"].image_stats["width"]
    assert named["mislabelled.jpg"].suggested_label == "rocket"
    # the outliers are lone top-level images, never a crop that has its class beside it
    lone = {Path(p).name for p in ds.values("filepath") if Path(p).parent == messy_tree}
    assert {n for n, s in named.items() if "outlier" in s.tags} <= lone
    in_class = [s.outlier_score for n, s in named.items() if n not in lone]
    assert named["noise.png"].outlier_score > max(in_class)
    assert "leak" in named["leak_copy.jpg"].tags and "leak" in named["cat_0.jpg"].tags
    assert named["truncated.jpg"].image_stats is None
    for name in ("cmyk.jpg", "sixteen.png", "palette.png", "rgba.png", "tiny.png"):
        assert named[name].image_stats is not None and named[name].outlier_score is not None
    assert named["blurred.jpg"].approx_dup_group_id == named["coffee_0.jpg"].approx_dup_group_id
    assert len(ds.load_saved_view("approx_dup_view")) == 6

    page.goto((report / "index.html").as_uri())
    assert page.locator("table.summary").first.inner_text().count("Found") >= 6
    page.click("text=Label issues")
    first = page.locator('.row[data-kind="label-issue"] .card').first
    assert first.get_attribute("data-name") == "mislabelled.jpg"
    page.wait_for_function("() => [...document.images].every(i => i.naturalWidth > 0)")

    # the report again, for the train split's mislabelled pairs only
    again = tmp_path / "again"
    assert main(["report", "scenes", str(again), "--slice", "diff", "--num-images", "5"]) == 0
    assert capsys.readouterr().out.strip() == f"Report: {again / 'index.html'}"
    page.goto((again / "duplicates.html").as_uri())
    rows = page.locator(".row")
    assert rows.count() == 1 and "labels differ" in rows.first.inner_text()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["analyze", "/no/such/folder"], "error: '/no/such/folder' does not exist"),
        (["report", "nope", "/tmp/x"], "error: Dataset 'nope' not found"),
    ],
)
def test_errors_are_one_line(database, capsys, argv, message):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
