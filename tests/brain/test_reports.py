"""The HTML galleries, opened in real headless Chromium, show the planted images."""

from __future__ import annotations

from pathlib import Path

import pytest

import brain
from brain import reports

#: every <img> on the page has decoded (inline base64 or a lazy file)
ALL_LOADED = "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"


@pytest.fixture
def analysed(health):
    """The planted dataset with every analysis run (from the saved embeddings)."""
    brain.find_approximate_duplicates(health, brain_key="sim")
    brain.compute_outliers(health, lower_threshold=0.1)
    brain.compute_clusters(health)
    brain.compute_label_issues(health)
    brain.compute_leaks(health, splits=["train", "test"])
    brain.compute_image_stats(health)
    return health


def _names(page, selector: str) -> list[list[str]]:
    """data-name of the cards in each row matching ``selector``."""
    return page.eval_on_selector_all(
        selector, "rows => rows.map(r => [...r.querySelectorAll('.card')].map(c => c.dataset.name))"
    )


def _open(page, path: str) -> None:
    page.goto(Path(path).as_uri())
    page.wait_for_function(ALL_LOADED)


def test_report_galleries_show_the_planted_answers(analysed, tmp_path, page):
    index = brain.create_report(analysed, str(tmp_path / "report"))
    _open(page, index)
    links = page.eval_on_selector_all("table a", "as => as.map(a => a.textContent)")
    assert links == ["Duplicates", "Outliers", "Clusters", "Label issues", "Leaks",
                     "Image quality", "Aspect ratios"]  # fmt: skip
    page.click("text=Duplicates")  # the user's click, file to file
    page.wait_for_function(ALL_LOADED)
    dup_rows = [set(r) for r in _names(page, '.row[data-kind="duplicates"]')]
    assert {"cat_0.jpg", "leak_copy.jpg"} in dup_rows
    assert {"rocket_0.jpg", "mislabelled.jpg"} in dup_rows
    assert {"coffee_0.jpg", "blurred.jpg"} in dup_rows
    assert page.locator(".row:has-text('labels differ')").count() == 1

    _open(page, str(tmp_path / "report" / "outliers.html"))
    assert _names(page, ".row")[0][0] == "noise.png"

    _open(page, str(tmp_path / "report" / "label_issues.html"))
    first = page.locator('.row[data-kind="label-issue"]').first
    assert first.locator(".card").first.get_attribute("data-name") == "mislabelled.jpg"
    assert "suggested: rocket" in first.inner_text()
    assert [set(r) for r in _names(page, '.row[data-kind="confusing-pair"]')] == [
        {"rocket_0.jpg", "mislabelled.jpg"}
    ]

    _open(page, str(tmp_path / "report" / "leaks.html"))
    assert [set(r) for r in _names(page, '.row[data-kind="leak"]')] == [
        {"cat_0.jpg", "leak_copy.jpg"}
    ]
    assert "split train" in page.inner_text(".row") and "split test" in page.inner_text(".row")

    _open(page, str(tmp_path / "report" / "quality.html"))
    flagged = {flag: sum(_names(page, f'.row[data-kind="{flag}"]'), []) for flag in
               ("dark", "bright", "blurry", "low_information", "odd_aspect_ratio")}  # fmt: skip
    assert flagged == {"dark": ["black.png"], "bright": ["white.png"], "blurry": ["blurred.jpg"],
                       "low_information": ["black.png", "white.png"],
                       "odd_aspect_ratio": ["banner.jpg"]}  # fmt: skip

    _open(page, str(tmp_path / "report" / "components.html"))
    assert {"cat_0.jpg", "leak_copy.jpg"} <= set(_names(page, ".row")[0])

    _open(page, str(tmp_path / "report" / "aspect_ratio.html"))
    assert page.locator("svg.aspect-scatter circle").count() == len(analysed)
    assert _names(page, '.row[data-kind="widest"]')[0][0] == "banner.jpg"


def test_galleries_work_on_a_view_with_slices_and_limits(analysed, tmp_path, page):
    out = tmp_path / "r"
    test_split = analysed.match_tags("test")
    path = reports.create_duplicates_gallery(test_split, str(out))
    _open(page, path)  # the leak pair has one side outside the view
    assert _names(page, ".row") == [] and "No duplicates" in page.inner_text("main")

    path = reports.create_duplicates_gallery(analysed, str(out), slice="diff")
    _open(page, path)
    assert [set(r) for r in _names(page, ".row")] == [{"rocket_0.jpg", "mislabelled.jpg"}]
    path = reports.create_duplicates_gallery(analysed, str(out), slice=["cat"], num_images=5)
    _open(page, path)
    assert [set(r) for r in _names(page, ".row")] == [{"cat_0.jpg", "leak_copy.jpg"}]
    path = reports.create_duplicates_gallery(analysed, str(out), num_images=1)
    _open(page, path)
    assert len(_names(page, ".row")) == 1
    assert page.locator(".label").first.inner_text() in {"cat", "rocket", "horse", "coffee",
                                                         "(no label)"}  # fmt: skip
    path = reports.create_outliers_gallery(test_split, str(out), num_images=3)
    _open(page, path)
    shown = sum(_names(page, ".row"), [])
    assert len(shown) == 3 and all(n in {Path(p).name for p in test_split.values("filepath")}
                                   for n in shown)  # fmt: skip


def test_lazy_load_writes_thumbnail_files(analysed, tmp_path, page):
    inline = Path(reports.create_outliers_gallery(analysed, str(tmp_path / "a")))
    lazy = Path(reports.create_outliers_gallery(analysed, str(tmp_path / "b"), lazy_load=True))
    assert lazy.stat().st_size < inline.stat().st_size / 5
    assert len(list((tmp_path / "b" / "images").glob("*.jpg"))) == 20
    page.goto(lazy.as_uri())
    page.mouse.wheel(0, 5000)
    page.wait_for_function(ALL_LOADED)
    assert page.locator("img[loading=lazy]").count() == 20


def test_stats_gallery_sorts_by_the_metric(analysed, tmp_path, page):
    path = reports.create_stats_gallery(analysed, str(tmp_path), metric="mean", num_images=3)
    _open(page, path)
    assert _names(page, ".row")[0][0] == "black.png"
    path = reports.create_stats_gallery(analysed, str(tmp_path), metric="mean", descending=True)
    _open(page, path)
    assert _names(page, ".row")[0][0] == "white.png"
    with pytest.raises(reports.ReportError, match="Unknown metric 'sharpness'"):
        reports.create_stats_gallery(analysed, str(tmp_path), metric="sharpness")


def test_missing_analyses_are_listed_not_fatal(health, tmp_path, page):
    brain.compute_outliers(health)
    index = brain.create_report(health.match_tags("train"), str(tmp_path))
    _open(page, index)
    assert page.eval_on_selector_all("table a", "as => as.map(a => a.textContent)") == ["Outliers"]
    text = page.inner_text("main")
    assert text.count("not computed") == 6 and "brain.compute_leaks(dataset)" in text
    with pytest.raises(reports.ReportError, match="no label field is set"):
        reports.create_outliers_gallery(health, str(tmp_path), label_field=None, slice="cat")


def test_index_shows_the_duplicate_classes_histograms_and_map(analysed, tmp_path, page):
    from brain.duplicate_classes import compute_duplicate_classes

    compute_duplicate_classes(analysed)
    brain.compute_uniqueness(analysed)
    ids, _ = brain.compute_visualization(analysed, method="pca")
    index = brain.create_report(analysed, str(tmp_path / "report"))
    _open(page, index)
    rows = page.locator("table.duplicate-classes tr[data-class]")
    assert rows.evaluate_all("rs => rs.map(r => [r.dataset.class, r.dataset.count])") == [
        ["same_bytes", "2"], ["same_pixels", "0"], ["near_duplicate", "4"],
        ["embedding_neighbour", "0"],
    ]  # fmt: skip
    assert "no copy" in page.inner_text("table.duplicate-classes")
    # the strip: the duplicate groups as thumbnails, each image with its class
    strip = page.locator('.row[data-kind="largest-group"]')
    assert sorted(map(sorted, _names(page, '.row[data-kind="largest-group"]'))) == [
        ["blurred.jpg", "coffee_0.jpg"], ["cat_0.jpg", "leak_copy.jpg"],
        ["mislabelled.jpg", "rocket_0.jpg"],
    ]  # fmt: skip
    assert "same_bytes 2" in strip.filter(has_text="leak_copy.jpg").inner_text()
    assert page.locator('.row[data-kind="largest-group"] img').count() == 6
    # five histograms of real values, each with a bar per bin and the sample count
    hists = page.locator("#histograms svg.histogram")
    assert hists.evaluate_all("s => s.map(e => e.dataset.field)") == [
        "uniqueness", "brightness", "blur", "file_size", "pixel_area",
    ]  # fmt: skip
    texts = hists.evaluate_all("s => s.map(e => e.textContent)")
    assert all(f"{len(analysed)} images" in t for t in texts)
    assert page.locator("#histograms svg.histogram rect").count() == 5 * 24
    assert page.locator("#histograms svg line.mark").count() == 3  # dark, bright, blurry
    # the map: the visualization run's points, coloured by class
    assert "visualization run 'visualization' (pca)" in page.inner_text("#map")
    assert page.locator("svg.map circle").count() == len(ids)
    assert page.locator('svg.map circle[data-class="same_bytes"]').count() == 2
    assert page.locator('svg.map circle[data-class="near_duplicate"]').count() == 4
    assert "skipped" not in page.inner_text("main")
    # the duplicates gallery says the class under every image
    _open(page, str(tmp_path / "report" / "duplicates.html"))
    leak = page.locator('.card[data-name="leak_copy.jpg"]')
    assert "same_bytes" in leak.inner_text()
    assert "near_duplicate" in page.locator('.card[data-name="blurred.jpg"]').inner_text()
    assert "same_bytes 2" in page.locator(".row", has=leak).locator("h3").inner_text()


def test_index_says_which_pictures_it_skipped_and_why(photos, tmp_path, page):
    brain.compute_image_stats(photos)  # no embeddings, no duplicate classes, no map
    index = brain.create_report(photos, str(tmp_path))
    _open(page, index)
    skipped = [t for t in page.inner_text("main").splitlines() if t.startswith("skipped:")]
    assert len(skipped) == 4
    assert any("duplicate_class" in t for t in skipped)
    assert any("brain.find_approximate_duplicates" in t for t in skipped)
    assert any("uniqueness" in t and "brain.compute_uniqueness" in t for t in skipped)
    assert any("no visualization run and no embeddings" in t for t in skipped)
    assert page.locator("svg.map").count() == 0
    fields = page.eval_on_selector_all("svg.histogram", "s => s.map(e => e.dataset.field)")
    assert fields == ["brightness", "blur", "file_size", "pixel_area"]
    assert page.locator("a", has_text="Image quality").count() == 1  # the galleries still listed


def test_object_galleries_draw_each_box_on_its_image(database, tmp_path, page):
    """The object galleries on their own (brain/reports/objects.py): the planted scenes
    of tests/brain/object_data.py analysed with patches_field=, a slice, a missing run."""
    import dataset_core as dc
    from tests.brain.object_data import DUPLICATE, NOISE, build_scenes, scene_samples

    root = tmp_path / "scenes"
    root.mkdir()
    ds = dc.Dataset("scenes")
    ds.add_samples(scene_samples(root, build_scenes(root)))
    gt = "ground_truth"
    with pytest.raises(reports.ReportError, match="needs the run 'ground_truth_outliers'"):
        reports.create_object_outliers_gallery(ds, str(tmp_path / "r"), gt)
    brain.find_approximate_duplicates(ds, patches_field=gt, progress=False)
    brain.compute_outliers(ds, patches_field=gt, lower_threshold=0.05)
    names = {i: n for ids, ns in zip(*ds.values([f"{gt}.detections.id",
                                                 f"{gt}.detections.name"]), strict=True)
             for i, n in zip(ids, ns, strict=True)}  # fmt: skip
    index = reports.create_report(ds, str(tmp_path / "r"), label_field=None)
    _open(page, index)
    script = "rs => rs.map(r => [r.dataset.gallery, r.querySelector('.count')?.textContent])"
    rows = page.eval_on_selector_all("tr[data-gallery]", script)
    assert rows == [
        ["object-duplicates", "2 objects in 1 groups"],
        ["object-outliers", "1 object outliers of 17 scored"],
        ["object-label-issues", None],
    ]  # the last one was not computed: no count
    assert "not computed" in page.inner_text('tr[data-gallery="object-label-issues"]')
    page.click("text=Object outliers (ground_truth)")
    first = page.locator(".card.object").first
    assert names[first.get_attribute("data-label-id")] == NOISE
    # the box lies on the thumbnail, where the noise was pasted (the left third)
    box = first.locator("rect.box").bounding_box()
    pic = first.locator("svg.in-context").bounding_box()
    assert pic["x"] <= box["x"] < box["x"] + box["width"] <= pic["x"] + pic["width"] / 3 + 1
    assert first.locator("svg.in-context image").evaluate("i => i.getBBox().width") > 0
    # slice by the objects' labels
    path = reports.create_object_duplicates_gallery(ds, str(tmp_path / "s"), gt, slice="rocket")
    _open(page, path)
    got = page.eval_on_selector_all(".card.object", "cs => cs.map(c => c.dataset.labelId)")
    assert sorted(names[i] for i in got) == sorted(["rocket_1", DUPLICATE])
    path = reports.create_object_duplicates_gallery(ds, str(tmp_path / "s"), gt, slice="cat")
    assert "No duplicate objects" in Path(path).read_text()
