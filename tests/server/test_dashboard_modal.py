"""The sample view in a real headless Chromium: fields laid out by type, labels
drawn with their names and a toggle per field, zoom and pan, the sample's place
in the view ("31 of 150"), and arrow keys that never drop a press."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

import dataset_core as dc
from tests.conftest import write_image
from tests.server import test_dashboard

# the dashboard's fixtures and helper, shared
session = test_dashboard.session
dash = test_dashboard.dash
until = test_dashboard.until

#: generous waits on a loaded machine; the assertions stay exact
WAIT_MS = 5000


def showing(sample_id: str) -> str:
    """A page predicate: the sample view is open on ``sample_id`` (its fields list its id)."""
    fields = "document.querySelector('#modal:not([hidden]) #modal-fields')"
    return f"{fields}?.textContent.includes('{sample_id}')"


def open_sample(page, sample_id: str) -> None:
    page.click(f".tile[data-id='{sample_id}'] img", timeout=WAIT_MS)
    page.wait_for_function(showing(sample_id), timeout=WAIT_MS)


def rect(page, selector: str) -> dict[str, float]:
    return page.eval_on_selector(
        selector, "e => { const r = e.getBoundingClientRect(); "
        "return {x: r.x, y: r.y, w: r.width, h: r.height}; }"
    )  # fmt: skip


def assert_box_on_image(box, img, bbox, tol=1.5):
    x, y, w, h = bbox
    assert box["x"] == pytest.approx(img["x"] + x * img["w"], abs=tol)
    assert box["y"] == pytest.approx(img["y"] + y * img["h"], abs=tol)
    assert box["w"] == pytest.approx(w * img["w"], abs=tol)
    assert box["h"] == pytest.approx(h * img["h"], abs=tol)


# -- fields by type -------------------------------------------------------------------------


def test_fields_are_laid_out_by_type_not_as_json(dash, session, labelled):
    labelled.compute_metadata()
    sample = labelled.first()
    sample["aliases"] = ["first", "second"]
    sample["camera"] = {"make": "acme", "iso": 200}
    sample.save()
    session.refresh()
    dash.wait_for_selector(f".tile[data-id='{sample.id}'] img")
    open_sample(dash, sample.id)
    sample.reload()
    dash.wait_for_selector("#modal-fields [data-section=metadata]", timeout=WAIT_MS)
    meta = dash.text_content("#modal-fields [data-section=metadata]")
    assert "dimensions48 × 40 px" in meta
    assert f"file size{sample.metadata.size_bytes / 1024:.1f} KB" in meta
    assert "typeimage/jpeg" in meta
    fields = dash.text_content("#modal-fields")
    assert "_cls" not in fields and "{" not in fields and '"' not in fields
    assert "aliasesfirst, second" in fields
    assert "makeacme" in fields and "iso200" in fields
    assert f"score{sample.score:g}" in fields
    labels = dash.text_content("#modal-fields [data-section=labels]")
    assert "ground_truth" in labels and sample.ground_truth.label in labels
    # dates read as dates, not ISO strings
    created = dash.text_content("#modal-fields [data-section=sample] time")
    assert str(sample.created_at.year) in created
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", fields)


# -- labels ---------------------------------------------------------------------------------


def test_labels_are_drawn_with_names_and_each_field_toggles(dash, session, labelled):
    sample = labelled.first()
    sample["detections"] = dc.Detections(detections=[
        dc.Detection(label="nose", bounding_box=[0.1, 0.2, 0.3, 0.4], confidence=0.87),
        dc.Detection(label="ear", bounding_box=[0.5, 0.1, 0.2, 0.2]),
    ])  # fmt: skip
    sample["outline"] = dc.Polylines(polylines=[
        dc.Polyline(label="edge", points=[[[0.1, 0.1], [0.9, 0.1], [0.5, 0.8]]], closed=True)
    ])  # fmt: skip
    sample["joints"] = dc.Keypoints(
        keypoints=[dc.Keypoint(label="pose", points=[[0.2, 0.3], [0.4, 0.5]])]
    )
    sample.save()
    session.refresh()
    dash.wait_for_selector(f".tile[data-id='{sample.id}'] img")
    open_sample(dash, sample.id)
    dets = "#modal-figure svg g[data-field=detections]"
    dash.wait_for_selector(f"{dets} text", timeout=WAIT_MS)
    names = dash.eval_on_selector_all(f"{dets} text", "es => es.map(e => e.textContent)")
    assert names == ["nose 0.87", "ear"]
    # the name is written on its box, at its top-left corner
    img = rect(dash, "#modal-figure img")
    box = rect(dash, f"{dets} rect.box")
    assert_box_on_image(box, img, [0.1, 0.2, 0.3, 0.4])
    tag = rect(dash, f"{dets} g.tag")
    assert tag["x"] == pytest.approx(box["x"], abs=2) and tag["y"] == pytest.approx(box["y"], abs=2)
    assert tag["w"] > 20 and tag["h"] == pytest.approx(16, abs=1)
    # the class label drawn on the image, polylines and keypoints drawn
    badge = "#modal-badges [data-field=ground_truth]"
    assert dash.is_visible(badge) and sample.ground_truth.label in dash.text_content(badge)
    assert dash.is_visible("#modal-figure svg g[data-field=outline] path")
    assert "edge" in dash.text_content("#modal-figure svg g[data-field=outline]")
    assert dash.is_visible("#modal-figure svg g[data-field=joints] path")
    # one checkbox per label field shows and hides that field's drawings only
    dash.uncheck("#modal-fields input[data-toggle=detections]")
    assert dash.is_hidden(f"{dets} rect.box") and dash.is_visible(
        "#modal-figure svg g[data-field=outline] path"
    )
    dash.uncheck("#modal-fields input[data-toggle=ground_truth]")
    assert dash.is_hidden(badge) and dash.is_visible("#modal-figure svg g[data-field=joints] path")
    dash.check("#modal-fields input[data-toggle=detections]")
    assert dash.is_visible(f"{dets} rect.box")
    # the choice holds for the next sample
    dash.keyboard.press("ArrowRight")
    dash.wait_for_function(showing(labelled.skip(1).first().id), timeout=WAIT_MS)
    assert dash.is_hidden(badge) and not dash.is_checked(
        "#modal-fields input[data-toggle=ground_truth]"
    )


def test_labels_and_zoom_work_under_the_apps_strict_csp(session, browser, labelled):
    sample = labelled.first()
    sample["detections"] = dc.Detections(
        detections=[dc.Detection(label="nose", bounding_box=[0.1, 0.2, 0.3, 0.4])]
    )
    sample.save()
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # CSP enforced
    page = context.new_page()
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    try:
        page.goto(session.url)
        page.click(f".tile[data-id='{sample.id}'] img", timeout=WAIT_MS)
        page.wait_for_selector("#modal-figure svg rect.box", timeout=WAIT_MS)
        page.wait_for_selector("#modal-badges .cls-badge", timeout=WAIT_MS)
        page.mouse.move(500, 400)
        page.mouse.wheel(0, -200)
        page.wait_for_selector("#modal-zoom:not(:text('100%'))", timeout=WAIT_MS)
        page.uncheck("#modal-fields input[data-toggle=detections]")
        assert page.is_hidden("#modal-figure svg rect.box")
        assert violations == []
    finally:
        context.close()


# -- zoom and pan ---------------------------------------------------------------------------


def test_wheel_zooms_at_the_cursor_drag_pans_and_reset_fits(dash, session, labelled):
    sample = labelled.first()
    bbox = [0.25, 0.25, 0.5, 0.5]
    sample["detections"] = dc.Detections(
        detections=[dc.Detection(label="thing", bounding_box=bbox)]
    )
    sample.save()
    session.refresh()
    dash.wait_for_selector(f".tile[data-id='{sample.id}'] img")
    open_sample(dash, sample.id)
    dash.wait_for_selector("#modal-figure .box", timeout=WAIT_MS)
    img0 = rect(dash, "#modal-figure img")
    assert_box_on_image(rect(dash, "#modal-figure .box"), img0, bbox)

    cx, cy = img0["x"] + 0.3 * img0["w"], img0["y"] + 0.6 * img0["h"]
    dash.mouse.move(cx, cy)
    for _ in range(3):
        dash.mouse.wheel(0, -200)
    until(lambda: rect(dash, "#modal-figure img")["w"] > 2 * img0["w"], timeout=5)
    img1 = rect(dash, "#modal-figure img")
    assert img1["w"] > 2 * img0["w"]
    # the point under the cursor stays under it, and the box stays on the image
    assert (cx - img1["x"]) / img1["w"] == pytest.approx(0.3, abs=0.005)
    assert (cy - img1["y"]) / img1["h"] == pytest.approx(0.6, abs=0.005)
    assert_box_on_image(rect(dash, "#modal-figure .box"), img1, bbox)
    assert int(dash.text_content("#modal-zoom").rstrip("%")) > 200

    dash.mouse.down()
    dash.mouse.move(cx - 120, cy - 60, steps=6)
    dash.mouse.up()
    img2 = rect(dash, "#modal-figure img")
    assert img2["x"] == pytest.approx(img1["x"] - 120, abs=1)
    assert img2["y"] == pytest.approx(img1["y"] - 60, abs=1)
    assert img2["w"] == pytest.approx(img1["w"], abs=0.5)
    assert_box_on_image(rect(dash, "#modal-figure .box"), img2, bbox)

    dash.mouse.dblclick(cx - 120, cy - 60)
    img3 = rect(dash, "#modal-figure img")
    assert img3 == pytest.approx(img0, abs=0.5)
    dash.click("#modal-zoom-in")
    assert rect(dash, "#modal-figure img")["w"] > img0["w"] * 1.2
    dash.click("#modal-zoom-reset")
    assert rect(dash, "#modal-figure img") == pytest.approx(img0, abs=0.5)
    assert dash.text_content("#modal-zoom") == "100%"


# -- n of N, and keys that never drop a press ------------------------------------------------

N_MANY = 150  # more than the grid's first page (100) and the modal's own id pages


@pytest.fixture
def many(database, tmp_path, monkeypatch):
    """A session on 150 real (tiny) images: one page of tiles is not all of them."""
    from dataset_core.config import config

    monkeypatch.setattr(config, "home", tmp_path / "home")
    paths = [
        str(write_image(tmp_path / "many" / f"{i:03d}.png", size=(24, 16), seed=i))
        for i in range(N_MANY)
    ]
    ds = dc.Dataset("many")
    ds.add_samples([dc.Sample(filepath=p) for p in paths])
    s = dc.launch_app(ds, port=0)
    yield ds, s
    s.close()


def shown(page) -> tuple[str, str]:
    """(the id of the sample shown, its "n of N")."""
    q = "document.querySelector"
    return tuple(page.evaluate(f"[{q}('#modal').dataset.id, {q}('#modal-pos')?.textContent]"))


def wait_shown(page, sample_id: str, pos: str) -> None:
    """Wait until the sample view shows ``sample_id``, then check it reads ``pos``."""
    page.wait_for_function(showing(sample_id), timeout=WAIT_MS)
    page.wait_for_function(
        f"document.querySelector('#modal-pos')?.textContent === '{pos}'", timeout=WAIT_MS
    )
    assert shown(page) == (sample_id, pos)


def test_thirty_quick_presses_move_exactly_thirty_samples(page, many):
    ds, session = many
    ids = ds.values("id")
    page.goto(session.url)
    page.wait_for_selector(".tile[data-id] img")
    open_sample(page, ids[0])
    wait_shown(page, ids[0], f"1 of {N_MANY}")
    for _ in range(30):
        page.keyboard.press("ArrowRight")
    wait_shown(page, ids[30], f"31 of {N_MANY}")
    assert until(lambda: session._store.get("sample") == ids[30], timeout=5) is True
    # past the grid's loaded page, and back
    for _ in range(100):
        page.keyboard.press("ArrowRight")
    wait_shown(page, ids[130], f"131 of {N_MANY}")
    for _ in range(30):
        page.keyboard.press("ArrowLeft")
    wait_shown(page, ids[100], f"101 of {N_MANY}")
    assert until(lambda: session._store.get("sample") == ids[100], timeout=5) is True
    # the ends hold: no wrap-around, no overshoot
    for _ in range(60):
        page.keyboard.press("ArrowRight")
    wait_shown(page, ids[-1], f"{N_MANY} of {N_MANY}")
    page.click("#modal-next")
    assert shown(page) == (ids[-1], f"{N_MANY} of {N_MANY}")


def test_a_sample_opened_from_python_shows_its_place_in_the_view(page, many):
    ds, session = many
    ids = ds.values("id")
    page.goto(session.url)
    page.wait_for_selector(".tile[data-id] img")
    session._store.apply({"sample": ids[120]})
    wait_shown(page, ids[120], f"121 of {N_MANY}")
    page.keyboard.press("ArrowLeft")
    wait_shown(page, ids[119], f"120 of {N_MANY}")
    # a view that moves it: its new place
    session.view = ds.sort_by("filepath", reverse=True)
    wait_shown(page, ids[119], f"{N_MANY - 119} of {N_MANY}")


# -- the figure ------------------------------------------------------------------------------


def test_sample_view_screenshot_on_real_photos(page, database, tmp_path, monkeypatch):
    """The README's picture of the sample view: a real photo, its boxes drawn, zoomed a bit."""
    from dataset_core.config import config
    from tests.brain.conftest import photo_sources

    monkeypatch.setattr(config, "home", tmp_path / "home")
    src = photo_sources()
    root = tmp_path / "photos"
    classes = {"chelsea.png": "animals", "coffee.png": "other", "astronaut.png": "people"}
    for name, label in classes.items():
        (root / label).mkdir(parents=True, exist_ok=True)
        shutil.copy(src[name], root / label / name)
    samples, _ = dc.parse_image_classification_dir_tree(str(root))
    ds = dc.Dataset.from_image_classification_samples(samples, name="photos")
    ds.compute_metadata()
    cat = ds.match({"filepath": {"$regex": "chelsea"}}).first()
    cat["detections"] = dc.Detections(detections=[
        dc.Detection(label="cat", bounding_box=[0.06, 0.01, 0.83, 0.98], confidence=0.97),
        dc.Detection(label="eye", bounding_box=[0.29, 0.27, 0.18, 0.24], confidence=0.91),
        dc.Detection(label="eye", bounding_box=[0.645, 0.35, 0.13, 0.21], confidence=0.88),
        dc.Detection(label="nose", bounding_box=[0.5, 0.75, 0.15, 0.14], confidence=0.64),
    ])  # fmt: skip
    cat["uniqueness"] = 0.734
    cat.tags = ["reviewed"]
    cat.save()
    session = dc.launch_app(ds, port=0)
    try:
        page.set_viewport_size({"width": 1400, "height": 900})
        page.goto(session.url)
        page.wait_for_selector(".tile[data-id] img")
        open_sample(page, cat.id)
        page.wait_for_function(
            "(() => { const i = document.querySelector('#modal-figure img');"
            " return i && i.complete && i.naturalWidth > 0; })()",
            timeout=WAIT_MS,
        )
        area = rect(page, ".modal-media")
        page.mouse.move(area["x"] + area["w"] * 0.45, area["y"] + area["h"] * 0.4)
        page.mouse.wheel(0, -120)
        page.wait_for_function("document.querySelector('#modal-zoom').textContent !== '100%'")
        assert page.eval_on_selector_all("#modal-figure text", "es => es.length") == 4
        shot = tmp_path / "sample_view.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 100_000  # a real photo, not a blank page
        target = os.environ.get("DATASET_CORE_SAMPLE_VIEW_SCREENSHOT")
        if target:  # how docs/sample_view.png is made
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, target)
    finally:
        session.close()


# -- the route it asks where a sample is -----------------------------------------------------


def test_position_is_the_samples_place_in_the_view(client, labelled):
    view = labelled.sort_by("score", reverse=True)
    ids = view.values("id")
    stages = view.to_dict()["stages"]

    def ask(sample_id, stages=stages):
        body = {"dataset": "labelled", "view": stages, "id": sample_id}
        return client.post("/api/position", json=body)

    assert ask(ids[5]).json() == {"index": 5}
    assert ask(ids[-1]).json() == {"index": len(ids) - 1}
    cat = labelled.match({"ground_truth.label": "cat"})
    dog = labelled.match({"ground_truth.label": "dog"}).first().id
    assert ask(dog, cat.to_dict()["stages"]).json() == {"index": None}
    assert ask("not-an-id").status_code == 422
