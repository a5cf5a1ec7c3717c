"""The duplicates review mode and "Delete selected samples", in a real Chromium.

Duplicate groups come from the real brain calls (a similarity index over
planted embeddings, then ``find_approximate_duplicates``), so the review shows
what ``brain.deduplicate`` would do; Confirm and Undo go through the server's
operator and trash paths and are checked on disk and in the database.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

import brain
import dataset_core as dc
from tests.conftest import write_image
from tests.server.test_dashboard import until

#: generous: the machine is shared; the assertions stay exact
WAIT_MS = 5_000


def _plant_groups(ds: dc.Dataset, source: dict[str, str]) -> None:
    """Near-duplicate groups of the samples sharing a ``source`` (id -> source name)."""
    ids = ds.values("id")
    names = sorted(set(source.values()))
    rng = np.random.default_rng(0)
    emb = rng.normal(scale=1e-4, size=(len(ids), 16)).astype(np.float32)
    for row, i in enumerate(ids):
        emb[row, names.index(source[i])] += 1
    brain.compute_similarity(ds, brain_key="sim", embeddings=emb)
    brain.find_approximate_duplicates(ds, brain_key="sim", thresh=0.05)


@pytest.fixture
def dups(database, tmp_path):
    """7 images: a, a_big (2x), a_small (half) | b, b_big | c, d; two near-duplicate groups."""
    root = tmp_path / "imgs"
    for name, seed in (("a", 1), ("b", 2), ("c", 3), ("d", 4)):
        write_image(root / f"{name}.png", size=(64, 48), seed=seed, fmt="PNG")
    a = Image.open(root / "a.png")
    a.resize((128, 96)).save(root / "a_big.png")
    a.resize((32, 24)).save(root / "a_small.png")
    Image.open(root / "b.png").resize((96, 72)).save(root / "b_big.png")
    ds = dc.Dataset.from_images_dir(str(root), name="dups")
    ds.compute_metadata()
    ids = {Path(s.filepath).stem: s.id for s in ds}
    _plant_groups(ds, {i: stem.split("_")[0] for stem, i in ids.items()})
    return ds, ids


@pytest.fixture
def session(dups, tmp_path, monkeypatch):
    from dataset_core.config import config

    monkeypatch.setattr(config, "home", tmp_path / "home")
    s = dc.launch_app(dups[0], port=0)
    yield s
    s.close()


@pytest.fixture
def dash(page, session):
    page.goto(session.url)
    page.wait_for_selector(".tile[data-id] img")
    return page


def open_review(page, kind="approximate"):
    page.click("#open-operators")
    page.click(f"[data-op=deduplicate_{kind}_duplicates] button.review", timeout=WAIT_MS)
    page.wait_for_selector("#review .review-group", timeout=WAIT_MS)


def keepers(page) -> list[str]:
    """The id marked KEEP in each row, in row order."""
    return page.eval_on_selector_all(
        "#review .review-group",
        "rows => rows.map(r => [...r.querySelectorAll('.review-sample.keep')]"
        ".map(f => f.dataset.id).join(','))",
    )


def set_rule(page, rule):
    old = page.inner_text("#review .review-rows")
    page.select_option("#review select.keep", rule)
    page.wait_for_function(
        "old => document.querySelector('#review .review-rows').innerText !== old "
        "|| document.querySelector('#review .review-status').textContent",
        arg=old, timeout=WAIT_MS,
    )  # fmt: skip


def summary(page) -> dict[str, int]:
    data = page.eval_on_selector("#review .summary", "e => ({...e.dataset})")
    return {k: int(v) for k, v in data.items()}


def test_review_rows_mark_the_keeper_each_rule_picks(dash, dups):
    ds, ids = dups
    open_review(dash)
    assert keepers(dash) == [ids["a"], ids["b"]]  # "first": dataset order
    rows = dash.query_selector_all("#review .review-group")
    assert [len(r.query_selector_all(".review-sample")) for r in rows] == [3, 2]
    assert rows[0].query_selector_all(".review-sample.remove .mark")[0].text_content() == "remove"
    set_rule(dash, "largest")
    assert keepers(dash) == [ids["a_big"], ids["b_big"]]
    assert "128×96" in dash.inner_text(f"[data-id='{ids['a_big']}'] figcaption")
    set_rule(dash, "sharpest")  # no image stats yet: the brain's reason, in the review
    assert "run brain.compute_image_stats first" in dash.text_content("#review .review-status")
    assert keepers(dash) == []
    blur = {ids["a"]: 5.0, ids["a_big"]: 1.0, ids["a_small"]: 9.0, ids["b"]: 2.0,
            ids["b_big"]: 1.0}  # fmt: skip
    ds.set_values("image_stats", {i: {"blur": v} for i, v in blur.items()})
    dash.select_option("#review select.keep", "first")
    dash.wait_for_function("document.querySelectorAll('#review .review-group').length === 2")
    set_rule(dash, "sharpest")
    assert keepers(dash) == [ids["a_small"], ids["b"]]
    ds.set_values("uniqueness", {ids["a"]: 0.1, ids["a_big"]: 0.2, ids["a_small"]: 0.3,
                                 ids["b"]: 0.9, ids["b_big"]: 0.95})  # fmt: skip
    set_rule(dash, "most_unique")
    assert keepers(dash) == [ids["a_small"], ids["b_big"]]
    plan = brain.deduplicate(ds, kind="approximate", keep="most_unique")
    assert keepers(dash) == plan.keep_ids  # what the brain would keep


def test_clicking_or_keys_change_the_keeper_and_the_summary(dash, dups):
    ds, ids = dups
    open_review(dash)
    text = dash.text_content("#review .summary")
    assert text.startswith("2 groups, 3 samples to remove, 2 kept")
    assert "4 of 7 samples stay" in text
    dash.click(f"#review [data-id='{ids['a_small']}']")
    assert keepers(dash) == [ids["a_small"], ids["b"]]
    assert dash.text_content(f"#review [data-id='{ids['a']}'] .mark") == "remove"
    assert "1 keepers picked by hand" in dash.text_content("#review .summary")
    assert summary(dash) == {"groups": 2, "remove": 3, "keep": 2}
    dash.keyboard.press("j")  # to the second group, then cycle its keeper
    assert dash.get_attribute("#review .review-group.active", "data-group") == "1"
    dash.keyboard.press("c")
    assert keepers(dash) == [ids["a_small"], ids["b_big"]]
    assert "2 keepers picked by hand" in dash.text_content("#review .summary")
    dash.keyboard.press("ArrowUp")
    dash.keyboard.press("c")  # a_small -> a (the row wraps around)
    assert keepers(dash) == [ids["a"], ids["b_big"]]
    assert dash.get_attribute("#review .review-group.active", "data-group") == "0"
    assert len(ds) == 7  # the review changes nothing


def test_confirm_removes_the_non_keepers_into_the_trash_and_undo_brings_them_back(
    dash, dups, tmp_path
):  # fmt: skip
    ds, ids = dups
    paths = dict(zip(ds.values("id"), ds.values("filepath"), strict=True))
    open_review(dash)
    dash.click(f"#review [data-id='{ids['a_big']}']")  # by hand in group 1, "first" in group 2
    dash.click("#review button.confirm")
    dash.wait_for_selector("#review .done-message", timeout=30_000)
    removed = {ids["a"], ids["a_small"], ids["b_big"]}
    assert set(ds.values("id")) == set(ids.values()) - removed
    trash = tmp_path / "home" / "trash"
    in_trash = {p.name for p in trash.glob("*/files/**/*") if p.is_file()}
    assert in_trash == {"a.png", "a_small.png", "b_big.png"}  # moved, not deleted
    assert not any(os.path.exists(paths[i]) for i in removed)
    assert all(os.path.exists(paths[i]) for i in set(ids.values()) - removed)
    dash.wait_for_function("document.querySelector('#count').dataset.count === '4'",
                           timeout=WAIT_MS)  # fmt: skip
    assert "Removed 3 samples" in dash.text_content("#review .done-message")
    assert "dry_run" not in dash.text_content("#review")
    dash.wait_for_function("document.querySelector('#review .summary').dataset.groups === '0'")
    dash.click("#review button.undo")
    dash.wait_for_selector("#review .undone-message", timeout=30_000)
    assert set(ds.values("id")) == set(ids.values())
    assert all(os.path.exists(p) for p in paths.values())
    dash.wait_for_function("document.querySelector('#count').dataset.count === '7'",
                           timeout=WAIT_MS)  # fmt: skip
    dash.wait_for_function("document.querySelectorAll('#review .review-group').length === 2")
    assert "undone" in dash.text_content("#review .undone-message").lower()


def test_dedup_dry_run_says_what_to_click_not_dry_run_false(dash, dups):
    dash.click("#open-operators")
    op = dash.locator("[data-op=deduplicate_approximate_duplicates]")
    op.locator("button.preview").click()
    msg = op.locator(".preview-message").text_content(timeout=WAIT_MS)
    assert "Would remove 3 samples" in msg
    assert "dry_run" not in msg and "Review the groups" in msg and "Confirm" in msg


def test_delete_selected_dry_run_changes_nothing_real_run_removes_the_ticked(dash, dups, session):
    ds, ids = dups
    paths = dict(zip(ds.values("id"), ds.values("filepath"), strict=True))
    for name in ("c", "d"):
        dash.click(f".tile[data-id='{ids[name]}'] .check")
    assert until(lambda: set(session.selected) == {ids["c"], ids["d"]}, timeout=5) is True
    dash.click("#open-operators")
    op = dash.locator("[data-op=delete_selected_samples]")
    op.locator("input[name=move_files_to_trash]").check()
    op.locator("button.preview").click()
    msg = op.locator(".preview-message").text_content(timeout=WAIT_MS)
    assert "Would remove 2 selected samples" in msg and "dry_run" not in msg
    assert len(ds) == 7 and all(os.path.exists(p) for p in paths.values())
    op.locator("button.confirm").click()
    op.locator(".done-message").wait_for(timeout=30_000)
    assert set(ds.values("id")) == set(ids.values()) - {ids["c"], ids["d"]}
    assert not os.path.exists(paths[ids["c"]]) and not os.path.exists(paths[ids["d"]])
    dash.wait_for_function("document.querySelector('#count').dataset.count === '5'",
                           timeout=WAIT_MS)  # fmt: skip
    assert until(lambda: session.selected == [], timeout=5) is True  # gone: no longer ticked
    op.locator("button.undo").click()
    op.locator(".undone-message").wait_for(timeout=30_000)
    assert len(ds) == 7 and all(os.path.exists(p) for p in paths.values())
    dash.wait_for_function("document.querySelector('#count').dataset.count === '7'",
                           timeout=WAIT_MS)  # fmt: skip


def test_delete_selected_with_nothing_selected_says_so(dash, dups):
    dash.click("#open-operators")
    op = dash.locator("[data-op=delete_selected_samples]")
    op.locator("button.preview").click()
    op.locator(".result.error").wait_for(timeout=WAIT_MS)
    assert "nothing is selected" in op.locator(".result").text_content()
    assert len(dups[0]) == 7


def test_review_on_real_photos_and_its_screenshot(page, database, tmp_path, monkeypatch):
    """docs/review.png: set DATASET_CORE_REVIEW_SCREENSHOT to where it goes."""
    from dataset_core.config import config
    from tests.brain.conftest import PHOTOS, photo_sources

    monkeypatch.setattr(config, "home", tmp_path / "home")
    src, root = photo_sources(), tmp_path / "photos"
    root.mkdir()
    for name in PHOTOS[:7]:
        img = Image.open(src[name]).convert("RGB")
        img.thumbnail((512, 512))
        stem = Path(name).stem
        img.save(root / f"{stem}.jpg", quality=92)
        if name in PHOTOS[:4]:  # duplicates: a half-size copy, a blurred one, a re-encode
            img.resize((img.width // 2, img.height // 2)).save(root / f"{stem}_half.jpg")
            img.filter(ImageFilter.GaussianBlur(4)).save(root / f"{stem}_blurred.jpg")
        if name in PHOTOS[:2]:
            img.save(root / f"{stem}_q40.jpg", quality=40)
    ds = dc.Dataset.from_images_dir(str(root), name="photos")
    ds.compute_metadata()
    brain.compute_image_stats(ds)
    _plant_groups(ds, {s.id: Path(s.filepath).stem.split("_")[0] for s in ds})
    page.set_viewport_size({"width": 1400, "height": 900})
    session = dc.launch_app(ds, port=0)
    try:
        page.goto(session.url)
        page.wait_for_selector(".tile[data-id] img")
        open_review(page)
        set_rule(page, "sharpest")
        page.wait_for_function(
            "[...document.querySelectorAll('#review img')].length === 14 && [...document"
            ".querySelectorAll('#review img')].every(i => i.complete && i.naturalWidth > 0)",
            timeout=WAIT_MS * 3,
        )  # fmt: skip
        blurred = [s.id for s in ds if s.filepath.endswith("_blurred.jpg")]
        kept = set(keepers(page))
        assert len(kept) == 4 and not kept & set(blurred)  # the blurred copy is never sharpest
        assert summary(page) == {"groups": 4, "remove": 10, "keep": 4}
        set_rule(page, "largest")  # the originals: most pixels, then the most bytes
        originals = {s.id for s in ds if "_" not in Path(s.filepath).stem}
        assert set(keepers(page)) < originals
        page.keyboard.press("j")
        page.wait_for_function(
            "[...document.querySelectorAll('#review img')].every(i => i.complete && i.naturalWidth)"
        )
        shot = tmp_path / "review.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 50_000  # real photos, not a blank page
        target = os.environ.get("DATASET_CORE_REVIEW_SCREENSHOT")
        if target:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, target)
    finally:
        session.close()
