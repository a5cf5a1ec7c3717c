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
from tests.brain.conftest import PHOTOS, photo_sources


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
    assert "Found 2 images with the same bytes as another (equal sha1), 6.90 %" in out
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


@pytest.fixture
def copies_tree(tmp_path) -> Path:
    """Real photos with one copy of each kind the summary tells apart:

    - ``chelsea_copy.jpg``: the bytes of ``chelsea.jpg``;
    - ``coffee_pixels.png``: ``coffee.jpg``'s decoded pixels saved as PNG;
    - ``astronaut_small.jpg``: ``astronaut.jpg`` resized to 3/4 and re-encoded;
    - ``grey_a.png``, ``grey_b.png``: two plain greys (40 and 44) the embeddings
      cannot tell apart and the pixel check cannot confirm (no structure);
    - the other photos unrelated.
    """
    root = tmp_path / "copies"
    root.mkdir()
    src = photo_sources()
    for name in PHOTOS[:8]:
        img = Image.open(src[name]).convert("RGB")
        img.thumbnail((256, 256))
        img.save(root / f"{Path(name).stem}.jpg", quality=90)
    shutil.copy(root / "chelsea.jpg", root / "chelsea_copy.jpg")
    Image.open(root / "coffee.jpg").convert("RGB").save(root / "coffee_pixels.png")
    astro = Image.open(root / "astronaut.jpg")
    astro.resize((astro.width * 3 // 4, astro.height * 3 // 4)).save(
        root / "astronaut_small.jpg", quality=85
    )
    Image.new("RGB", (160, 120), (40, 40, 40)).save(root / "grey_a.png")
    Image.new("RGB", (160, 120), (44, 44, 44)).save(root / "grey_b.png")
    return root


#: the class of every file of ``copies_tree`` that has a copy
CLASS_OF = {
    "chelsea.jpg": "same_bytes", "chelsea_copy.jpg": "same_bytes",
    "coffee.jpg": "same_pixels", "coffee_pixels.png": "same_pixels",
    "astronaut.jpg": "near_duplicate", "astronaut_small.jpg": "near_duplicate",
    "grey_a.png": "embedding_neighbour", "grey_b.png": "embedding_neighbour",
}  # fmt: skip


def test_analyze_says_how_each_copy_was_found(database, copies_tree, tmp_path, capsys, page):
    report = tmp_path / "report"
    res = brain.analyze(str(copies_tree), name="copies", report_dir=str(report),
                        visualization=None, progress=False)  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [
        "Found 2 images with the same bytes as another (equal sha1), 15.38 %",
        "Found 2 more with the same pixels as another but different bytes (decoded and "
        "compared), 15.38 %",
        "Found 2 more confirmed near-duplicates (pixel check), 15.38 %",
        "Found 2 more embedding neighbours only (cosine similarity >= 0.980; the pixel check "
        "did not confirm them), 15.38 %",
    ]
    assert not any("identical" in line for line in out)
    assert {k: res.counts[k] for k in CLASS_OF.values()} == {
        "same_bytes": 2, "same_pixels": 2, "near_duplicate": 2, "embedding_neighbour": 2,
    }  # fmt: skip
    assert "identical" not in res.counts and "near_duplicates" not in res.counts

    ds = res.dataset
    named = {Path(s.filepath).name: s for s in ds}
    assert {n: s.duplicate_class for n, s in named.items()} == {n: CLASS_OF.get(n) for n in named}
    # the sha1 is the one brain.find_exact_duplicates and the gallery group by
    assert all(s.file_hash == dc.compute_filehash(s.filepath) for s in ds)
    assert len(ds.match({"duplicate_class": "same_pixels"})) == 2  # what the sidebar filters
    assert "duplicate_class" in brain.list_brain_runs(ds)
    run = brain.get_brain_info(ds, "duplicate_class").config
    assert run["counts"]["same_pixels"] == 2
    # only the two coffee files were decoded again: the other pairs are byte copies,
    # differ in size, or fail the thumbnail score (the greys)
    assert run["pixels_decoded"] == 2
    unique = {n: s.uniqueness for n, s in named.items()}
    assert max(unique.values()) == 1.0 and unique["chelsea_copy.jpg"] < unique["moon.jpg"]

    # the index page shows the classes, the largest groups and the pictures
    page.goto((report / "index.html").as_uri())
    table = page.locator("table.duplicate-classes")
    rows = table.locator("tr[data-class]")
    assert rows.evaluate_all("rs => rs.map(r => [r.dataset.class, r.dataset.count])") == [
        ["same_bytes", "2"], ["same_pixels", "2"], ["near_duplicate", "2"],
        ["embedding_neighbour", "2"],
    ]  # fmt: skip
    groups = page.locator('.row[data-kind="largest-group"]')
    assert groups.count() == 4
    # no visualization run: the map is a PCA of the embeddings, coloured by class
    assert "PCA of the embeddings" in page.inner_text("#map")
    assert page.locator("svg.map circle").count() == len(ds)
    assert page.locator('svg.map circle[data-class="same_pixels"]').count() == 2
    hist = page.eval_on_selector_all("svg.histogram", "s => s.map(e => e.dataset.field)")
    assert hist == ["uniqueness", "brightness", "blur", "file_size", "pixel_area"]


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
