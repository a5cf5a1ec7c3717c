"""The embeddings map (colour by, zoom/pan, hover, click, lasso) and the view bar
(chips that read like Python, stages added and edited through forms), in Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import brain
import dataset_core as dc
from dataset_core import F
from tests.server.test_dashboard import dash, session, shown_count, until  # noqa: F401

#: the grid the fixture lays the 14 samples on: 5 per row, 1 unit apart
COLS = 5
WAIT = 5.0  # the machine is shared: generous waits, exact assertions
#: the first map drawn by a fresh server (setup of every map test)
FIRST_MAP = 30.0


def count_is(page, n: int) -> None:
    page.wait_for_function(f"document.querySelector('#count').dataset.count === '{n}'",
                           timeout=WAIT * 1000)  # fmt: skip


@pytest.fixture
def mapped(labelled):
    """A visualization run with given points: sample i at (i % 5, i // 5)."""
    ids = labelled.values("id")
    points = np.array([[i % COLS, i // COLS] for i in range(len(ids))], dtype=np.float32)
    brain.compute_visualization(labelled, points=points)
    return dict(zip(ids, map(tuple, points), strict=True))


@pytest.fixture
def map_page(page, session, mapped):  # noqa: F811
    """The dashboard with the plots panel open on the map, its points drawn."""
    page.goto(session.url)
    page.wait_for_selector(".tile[data-id] img")
    page.click("#open-plots")
    # the first map of a fresh server (imports, the run's arrays) once took over 5 s in a
    # loaded CI run: this is setup, so wait for it; the tests assert the map itself
    page.wait_for_function("document.querySelector('#viz-info')?.textContent.includes('points')"
                           " && document.querySelector('#viz')?.dataset.transform",
                           timeout=FIRST_MAP * 1000)  # fmt: skip
    return page


def on_screen(page, xy) -> tuple[float, float]:
    """Where the data point ``xy`` is drawn, in page pixels (the canvas publishes
    its data -> CSS px transform as data-transform)."""
    a, b, c, d = map(float, page.get_attribute("#viz", "data-transform").split(","))
    box = page.locator("#viz").bounding_box()
    return box["x"] + a * float(xy[0]) + b, box["y"] + c * float(xy[1]) + d


def pixel(page, x: float, y: float) -> list[int]:
    """The canvas' RGB at page position (x, y)."""
    return page.evaluate(
        """([x, y]) => { const c = document.querySelector('#viz'), r = c.getBoundingClientRect();
        const k = c.width / r.width;
        return [...c.getContext('2d').getImageData(Math.round((x - r.left) * k),
                 Math.round((y - r.top) * k), 1, 1).data].slice(0, 3); }""",
        [x, y],
    )


def rgb(page, css: str) -> list[int]:
    return page.evaluate(
        "(c) => { const e = document.createElement('div'); e.style.color = c;"
        " document.body.append(e); const m = getComputedStyle(e).color.match(/\\d+/g).map(Number);"
        " e.remove(); return m.slice(0, 3); }",
        css,
    )


# -- the map ----------------------------------------------------------------------------


def test_colour_by_a_label_shows_its_values_with_counts(map_page, labelled, mapped):
    map_page.select_option("#viz-color", "ground_truth.label")
    map_page.wait_for_selector("#viz-legend .item")
    items = map_page.eval_on_selector_all(
        "#viz-legend .item", "els => els.map(e => [e.dataset.value, Number(e.dataset.count)])"
    )
    assert items == [["cat", 7], ["dog", 5], ["mountain", 2]]
    assert map_page.text_content("#viz-legend .item") == "cat7"
    # each point is drawn in its value's legend colour
    map_page.wait_for_timeout(100)  # the next animation frame
    swatches = map_page.eval_on_selector_all(
        "#viz-legend .swatch", "els => els.map(e => e.style.background)"
    )
    colour = dict(zip(["cat", "dog", "mountain"], swatches, strict=True))
    for sid, label in zip(labelled.values("id"), labelled.values("ground_truth.label"),
                          strict=True):  # fmt: skip
        assert pixel(map_page, *on_screen(map_page, mapped[sid])) == rgb(map_page, colour[label])


def test_colour_by_a_number_shows_a_scale_from_min_to_max(map_page, labelled, mapped):
    map_page.select_option("#viz-color", "score")
    map_page.wait_for_selector("#viz-legend .scale")
    assert map_page.text_content("#viz-legend .min") == "0"
    assert map_page.text_content("#viz-legend .max") == "1.300"
    assert float(map_page.get_attribute("#viz-legend", "data-max")) == max(labelled.values("score"))
    # the lowest score is drawn in the scale's first colour, the highest in its last
    map_page.wait_for_timeout(100)
    low, high = labelled.sort_by("score").first().id, labelled.sort_by("score").last().id
    assert pixel(map_page, *on_screen(map_page, mapped[low])) == [68, 1, 84]
    assert pixel(map_page, *on_screen(map_page, mapped[high])) == [253, 231, 37]


def test_wheel_zooms_about_the_cursor_and_drag_pans(map_page, mapped, labelled):
    sid = labelled.values("id")[7]
    x, y = on_screen(map_page, mapped[sid])
    assert map_page.get_attribute("#viz", "data-scale") == "1"
    map_page.mouse.move(x, y)
    map_page.mouse.wheel(0, -400)
    map_page.wait_for_function("Number(document.querySelector('#viz').dataset.scale) > 1.5",
                               timeout=WAIT * 1000)  # fmt: skip
    # the point under the cursor stays there; its neighbour moved away
    nx, ny = on_screen(map_page, mapped[sid])
    assert abs(nx - x) < 1 and abs(ny - y) < 1
    other = labelled.values("id")[8]
    before = on_screen(map_page, mapped[other])
    map_page.mouse.down()
    map_page.mouse.move(x - 60, y + 30, steps=4)
    map_page.mouse.up()
    map_page.wait_for_timeout(100)
    after = on_screen(map_page, mapped[other])
    assert abs(after[0] - before[0] + 60) < 1 and abs(after[1] - before[1] - 30) < 1
    assert shown_count(map_page) == 14  # a pan is not a lasso
    map_page.click("#viz-fit")
    map_page.wait_for_function("document.querySelector('#viz').dataset.scale === '1'")


def test_hovering_a_point_shows_its_thumbnail_and_name(map_page, mapped, labelled):
    sample = labelled.skip(3).first()
    map_page.mouse.move(*on_screen(map_page, mapped[sample.id]))
    box = map_page.locator("#viz-hover")
    box.wait_for(state="visible", timeout=WAIT * 1000)
    assert sample.id in box.locator("img").get_attribute("src")
    map_page.wait_for_function(
        "document.querySelector('#viz-hover img').complete &&"
        " document.querySelector('#viz-hover img').naturalWidth > 0",
        timeout=WAIT * 1000,
    )
    name = Path(sample.filepath).name
    map_page.wait_for_function(
        f"document.querySelector('#viz-hover .name').textContent === '{name}'", timeout=WAIT * 1000
    )
    map_page.mouse.move(2, 2)  # off the map
    box.wait_for(state="hidden", timeout=WAIT * 1000)


def test_clicking_a_point_opens_that_sample(map_page, session, mapped, labelled):  # noqa: F811
    sample = labelled.skip(9).first()
    map_page.mouse.click(*on_screen(map_page, mapped[sample.id]))
    map_page.wait_for_selector("#modal:not([hidden]) #modal-figure img", timeout=WAIT * 1000)
    assert until(lambda: session._store.get("sample") == sample.id, WAIT) is True
    assert sample.filepath in map_page.text_content("#modal-fields")
    assert shown_count(map_page) == 14


def test_a_lasso_narrows_the_grid_and_reset_restores_it(map_page, session, mapped, labelled):  # noqa: F811
    ids = labelled.values("id")
    row0 = set(ids[:COLS])  # the bottom row of points, y = 0
    map_page.check("input[name=viz-mode][value=lasso]")
    # from below the middle of the row, round it, past the canvas' left and right
    # edges (the drag goes on outside), and back
    right, left = COLS - 0.6, -0.4
    corners = [(2, -0.4), (right, -0.4), (right, 0.4), (left, 0.4), (left, -0.4), (2, -0.4)]
    xy = [on_screen(map_page, c) for c in corners]
    map_page.mouse.move(*xy[0])
    map_page.mouse.down()
    for p in xy[1:]:
        map_page.mouse.move(*p, steps=4)
    map_page.mouse.up()
    count_is(map_page, COLS)
    assert set(session.view.values("id")) == row0
    map_page.wait_for_function("document.querySelectorAll('.tile[data-id]').length === 5")
    shown = {t.get_attribute("data-id") for t in map_page.query_selector_all(".tile[data-id]")}
    assert shown == row0
    assert map_page.text_content("#viewbar .chip-text") == "select(5 ids)"
    assert session.selected == []  # narrowed, not ticked
    map_page.click("#viz-reset")
    count_is(map_page, 14)
    assert session.view is None  # the whole dataset again
    map_page.locator("#viz-reset").wait_for(state="hidden", timeout=WAIT * 1000)


def test_map_points_route_refuses_a_field_that_is_not_there(client, labelled, mapped):
    res = client.post("/api/visualization", json={"dataset": "labelled", "key": "visualization",
                                                  "field": "$where"})  # fmt: skip
    assert res.status_code == 400 and "score" in res.json()["error"]
    res = client.post("/api/visualization", json={
        "dataset": "labelled", "key": "visualization", "field": "ground_truth.label",
        "view": [{"_cls": "Match", "kwargs": {"filter": {"ground_truth.label": "dog"}}}],
    })  # fmt: skip
    body = res.json()
    assert res.status_code == 200 and len(body["ids"]) == 14 and sum(body["in_view"]) == 5
    labels = dict(zip(labelled.values("id"), labelled.values("ground_truth.label"), strict=True))
    assert [v for v, s in zip(body["values"], body["in_view"], strict=True) if s] == ["dog"] * 5
    assert all(labels[i] == "dog" for i, s in zip(body["ids"], body["in_view"], strict=True) if s)
    xy = np.array(body["xy"]).reshape(-1, 2)
    np.testing.assert_allclose(xy, [mapped[i] for i in body["ids"]])


# -- the view bar -----------------------------------------------------------------------


def chips(page) -> list[str]:
    return page.eval_on_selector_all("#viewbar .chip-text", "els => els.map(e => e.textContent)")


def test_chips_read_like_python(dash, session, labelled):  # noqa: F811
    ids = labelled.values("id")[:3]
    session.view = (labelled.match(F("score") > 0.49)
                    .match({"ground_truth.label": {"$in": ["cat", "dog"]}})
                    .match_tags("dup", bool=False).exists("score").sort_by("score", reverse=True)
                    .skip(1).limit(100).select(ids))  # fmt: skip
    dash.wait_for_function("document.querySelectorAll('#viewbar .chip').length === 8",
                           timeout=WAIT * 1000)  # fmt: skip
    assert chips(dash) == [
        "match(score > 0.49)", 'match(ground_truth.label in ["cat", "dog"])',
        'match_tags("dup", bool=False)', 'exists("score")', 'sort_by("score", reverse=True)',
        "skip(1)", "limit(100)", "select(3 ids)",
    ]  # fmt: skip


def test_adding_a_match_stage_through_the_form(page, session, labelled):  # noqa: F811
    labelled.set_values("uniqueness", [((i * 7) % 10) / 10 for i in range(len(labelled))])
    page.goto(session.url)
    page.wait_for_selector("#sidebar [data-field=uniqueness]")
    page.click("#add-stage")
    form = page.locator("#stage-form")
    form.locator("[name=field]").select_option("uniqueness")
    form.locator("[name=op]").select_option(">")
    form.locator("[name=value]").fill("0.5")
    form.locator("button.apply").click()
    expected = labelled.match(F("uniqueness") > 0.5)
    count_is(page, len(expected))
    assert 0 < len(expected) < len(labelled)
    assert session.view.values("id") == expected.values("id")
    assert chips(page) == ["match(uniqueness > 0.5)"]
    assert form.is_hidden()


def test_a_bad_value_in_the_form_says_why_and_changes_nothing(dash, session):  # noqa: F811
    dash.click("#add-stage")
    form = dash.locator("#stage-form")
    form.locator("[name=field]").select_option("score")
    form.locator("[name=value]").fill("lots")
    form.locator("button.apply").click()
    assert form.locator(".form-error").text_content() == '"lots" is not a number'
    assert session.view is None and shown_count(dash) == 14


def test_editing_a_limit_chip_changes_the_count_and_removing_restores(dash, session, labelled):  # noqa: F811
    session.view = labelled.sort_by("score").limit(10)
    count_is(dash, 10)
    dash.click("#viewbar .chip-text:text('limit(10)')")
    form = dash.locator("#stage-form")
    assert form.locator("[name=kind]").input_value() == "limit"
    assert form.locator("[name=n]").input_value() == "10"  # pre-filled
    form.locator("[name=n]").fill("3")
    form.locator("button.apply").click()
    count_is(dash, 3)
    assert chips(dash) == ['sort_by("score")', "limit(3)"]
    assert session.view.values("id") == labelled.sort_by("score").limit(3).values("id")
    dash.click("#viewbar .chip:has-text('limit(3)') button[data-remove]")
    count_is(dash, 14)
    assert chips(dash) == ['sort_by("score")']


def test_editing_a_match_chip_keeps_its_field_and_changes_the_value(dash, session, labelled):  # noqa: F811
    session.view = labelled.match({"score": {"$gte": 0.4}})
    count_is(dash, 10)
    dash.click("#viewbar .chip-text")
    form = dash.locator("#stage-form")
    assert form.locator("[name=field]").input_value() == "score"
    assert form.locator("[name=op]").input_value() == ">="
    assert form.locator("[name=value]").input_value() == "0.4"
    form.locator("[name=value]").fill("1.1")
    form.locator("button.apply").click()
    count_is(dash, 3)
    assert chips(dash) == ["match(score >= 1.1)"]


@pytest.mark.parametrize(("kind", "fill", "python"), [
    ("sort_by", {"field": "score", "reverse": True}, lambda ds: ds.sort_by("score", reverse=True)),
    ("skip", {"n": "4"}, lambda ds: ds.skip(4)),
    ("match_tags", {"tags": "dup"}, lambda ds: ds.match_tags("dup")),
    ("exists", {"field": "score", "bool": "false"}, lambda ds: ds.exists("score", False)),
    ("match", {"field": "ground_truth.label", "op": "in", "value": "dog, mountain"},
     lambda ds: ds.match({"ground_truth.label": {"$in": ["dog", "mountain"]}})),
])  # fmt: skip
def test_each_form_stage_matches_its_python(dash, session, labelled, kind, fill, python):  # noqa: F811
    labelled.limit(3).tag_samples("dup")
    labelled.skip(12).set_values("score", [None, None])
    session.refresh()
    expected = python(labelled)
    dash.click("#add-stage")
    form = dash.locator("#stage-form")
    form.locator("[name=kind]").select_option(kind)
    for name, value in fill.items():
        el = form.locator(f"[name={name}]")
        if value is True:
            el.check()
        elif el.evaluate("e => e.tagName") == "SELECT":
            el.select_option(value)
        else:
            el.fill(value)
    form.locator("button.apply").click()
    count_is(dash, len(expected))
    assert until(lambda: session.view.values("id") == expected.values("id"), WAIT) is True
    assert session.view.stages[-1].to_dict() == expected.stages[-1].to_dict()


# -- the figure for the README ----------------------------------------------------------

#: photos of the scikit-image/scikit-learn wheels, cropped into several images each
MAP_PHOTOS = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg", "horse.png",
              "motorcycle_left.png", "china.jpg", "flower.jpg", "brick.png",
              "moon.png"]  # fmt: skip
CROPS_PER_SIDE = 3


def test_the_map_on_real_photos_and_its_screenshot(page, database, tmp_path, monkeypatch):
    """Real photos, real embeddings (the model shipped in its wheel: no network),
    a t-SNE map coloured by label; saved as the README's figure when asked."""
    from PIL import Image

    from dataset_core.config import config
    from tests.brain.conftest import photo_sources

    monkeypatch.setattr(config, "home", tmp_path / "home")
    src = photo_sources()
    for name in MAP_PHOTOS:
        img = Image.open(src[name]).convert("RGB")
        w, h = img.size
        label = Path(name).stem.split("_")[0]
        (tmp_path / "photos" / label).mkdir(parents=True, exist_ok=True)
        for i in range(CROPS_PER_SIDE):
            for j in range(CROPS_PER_SIDE):
                box = (i * w // 5, j * h // 5, (i + 3) * w // 5, (j + 3) * h // 5)
                img.crop(box).resize((160, 120)).save(tmp_path / "photos" / label / f"{i}{j}.jpg")
    samples, _ = dc.parse_image_classification_dir_tree(str(tmp_path / "photos"))
    ds = dc.Dataset.from_image_classification_samples(samples, name="photos")
    brain.compute_visualization(ds, method="tsne")
    page.set_viewport_size({"width": 1400, "height": 900})
    session = dc.launch_app(ds, port=0)  # noqa: F811
    try:
        page.goto(session.url)
        page.wait_for_selector(".tile[data-id] img")
        page.click("#open-plots")
        page.wait_for_function("document.querySelector('#viz')?.dataset.transform")
        page.select_option("#viz-color", "ground_truth.label")
        page.wait_for_selector("#viz-legend .item")
        legend = page.eval_on_selector_all("#viz-legend .item",
                                           "els => els.map(e => e.dataset.value)")  # fmt: skip
        assert sorted(legend) == sorted({Path(n).stem.split("_")[0] for n in MAP_PHOTOS})
        first = ds.first()
        ids, points = brain.visualization.load_points(ds)
        page.mouse.move(*on_screen(page, points[ids.index(first.id)]))
        page.wait_for_function("document.querySelector('#viz-hover img')?.naturalWidth > 0")
        page.wait_for_function("document.querySelector('#viz-hover .name').textContent !== ''")
        page.wait_for_function(
            "[...document.querySelectorAll('.tile img')]"
            ".every(i => i.complete && i.naturalWidth > 0)"
        )
        shot = tmp_path / "map.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 50_000  # photos and a coloured map, not a blank page
        target = os.environ.get("DATASET_CORE_MAP_SCREENSHOT")
        if target:  # how docs/map.png is made
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, target)
    finally:
        session.close()
