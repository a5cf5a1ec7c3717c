"""The sidebar (sections, metadata filters, search boxes, validated ranges, "n of N")
and the tag popover, in a real headless Chromium against a real server and mongod."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import dataset_core as dc
from dataset_core import F
from tests.server.test_dashboard import until

#: waits in a loaded machine: generous, while each assertion stays exact
WAIT_MS = 5_000


def file_hashes(ds: dc.Dataset) -> list[str]:
    return [hashlib.md5(Path(p).read_bytes()).hexdigest() for p in ds.values("filepath")]


@pytest.fixture
def session(labelled, tmp_path, monkeypatch):
    """The labelled dataset with its metadata read, file hashes (12 distinct of 14)
    and 70 distinct keywords (5 per sample), in a dashboard."""
    from dataset_core.config import config

    monkeypatch.setattr(config, "home", tmp_path / "home")
    labelled.compute_metadata()
    labelled.set_values("file_hash", file_hashes(labelled))
    labelled.set_values("keywords", [[f"kw{i:02d}_{j}" for j in range(5)] for i in range(14)])
    s = dc.launch_app(labelled, port=0)
    yield s
    s.close()


@pytest.fixture
def dash(page, session):
    page.goto(session.url)
    page.wait_for_selector(".tile[data-id] img")
    page.wait_for_selector("#sidebar [data-field=score]")
    return page


def count_is(page, n: int) -> None:
    page.wait_for_function(
        f"document.querySelector('#count').dataset.count === '{n}'", timeout=WAIT_MS
    )


def sidebar_redrawn(page):
    """Call before a change; the returned function waits for the sidebar's new render."""
    page.evaluate("window.__sidebarBefore = document.querySelector('#sidebar-count')")
    return lambda: page.wait_for_function(
        "document.querySelector('#sidebar-count') &&"
        " document.querySelector('#sidebar-count') !== window.__sidebarBefore",
        timeout=WAIT_MS,
    )


# -- item 6: the sidebar -------------------------------------------------------------------


def test_fields_are_grouped_in_sections_with_headers(dash):
    groups = dash.eval_on_selector_all(
        "#sidebar .group",
        "els => els.map(g => [g.dataset.group, g.querySelector('.group-head .fold').textContent,"
        " [...g.querySelectorAll('.field')].map(f => f.dataset.field)])",
    )
    assert [g[0] for g in groups] == ["tags", "metadata", "labels", "primitives"]
    heads = [g[1] for g in groups]
    assert heads == ["▾ Tags", "▾ Metadata", "▾ Labels", "▾ Primitives"]
    fields = {g[0]: g[2] for g in groups}
    assert fields["tags"] == ["tags"]
    assert set(fields["metadata"]) >= {
        "metadata.width", "metadata.height", "metadata.size_bytes", "metadata.mime_type"
    }  # fmt: skip
    assert fields["labels"] == ["ground_truth"]
    assert {"score", "file_hash", "keywords"} <= set(fields["primitives"])
    # a section folds away and stays folded when the sidebar is drawn again
    dash.click("#sidebar .group[data-group=metadata] .fold")
    assert dash.is_hidden("#sidebar [data-field='metadata.width']")
    redrawn = sidebar_redrawn(dash)
    dash.check("[data-field=ground_truth] input[data-value='\"dog\"']")
    redrawn()
    assert dash.is_hidden("#sidebar [data-field='metadata.width']")
    assert dash.is_visible("#sidebar [data-field=score]")


def test_metadata_filters_narrow_the_grid(dash, session, labelled):
    sizes = sorted(labelled.values("metadata.size_bytes"))
    assert len(set(sizes)) > 3  # noise JPEGs: their sizes differ
    box = dash.locator("[data-field='metadata.size_bytes']")
    assert box.locator("h4").text_content().startswith("size_bytes")
    cut = sizes[6]
    box.locator(".lo-n").fill(str(cut))
    box.locator(".lo-n").dispatch_event("change")
    expected = labelled.match(F("metadata.size_bytes") >= cut)
    count_is(dash, len(expected))
    assert session.view.values("id") == expected.values("id")
    assert 0 < len(expected) < 14
    # a string of the metadata: its values are checkboxes
    mime = dash.locator("[data-field='metadata.mime_type']")
    mime.locator("input[data-value='\"image/jpeg\"']").check()
    both = expected.match({"metadata.mime_type": "image/jpeg"})
    until(lambda: len(session.view.stages) == 2, timeout=5)
    assert session.view.values("id") == both.values("id")
    # width and height are there too, as ranges (all 48 x 40 here)
    assert dash.locator("[data-field='metadata.width'] .hi").get_attribute("max") == "48"
    assert dash.locator("[data-field='metadata.height'] .hi").get_attribute("max") == "40"


def test_hashes_and_many_valued_fields_are_search_boxes(dash, session, labelled):
    fh = dash.locator("[data-field=file_hash]")
    assert fh.locator("input.value-search").count() == 1
    assert fh.locator("input[type=checkbox]").count() == 0  # nothing ticked yet
    hashes = file_hashes(labelled)
    common = min(h for h in hashes if hashes.count(h) == 2)  # a copied file: its hash twice
    suggestions = fh.locator(".suggest")
    assert suggestions.count() == 10  # the top values, with their counts
    assert fh.locator(".suggest .name").first.text_content() == common
    assert fh.locator(".suggest .n").first.text_content() == "2"
    kw = dash.locator("[data-field=keywords]")
    assert kw.locator("input.value-search").count() == 1
    assert kw.locator("input[type=checkbox]").count() == 0
    assert "70" in kw.locator("input.value-search").get_attribute("placeholder")
    # typing asks the server: only the matching values are offered
    kw.locator("input.value-search").fill("KW07")
    dash.wait_for_function(
        "[...document.querySelectorAll('[data-field=keywords] .suggest .name')]"
        ".map(e => e.textContent).join() === 'kw07_0,kw07_1,kw07_2,kw07_3,kw07_4'",
        timeout=WAIT_MS,
    )
    kw.locator(".suggest", has_text="kw07_3").click()
    count_is(dash, 1)
    assert session.view.values("keywords") == [[f"kw07_{j}" for j in range(5)]]
    # the picked value stays ticked above the box; a hash picked narrows further
    kw = dash.locator("[data-field=keywords]")
    assert kw.locator("input[type=checkbox]:checked").get_attribute("data-value") == '"kw07_3"'
    target = hashes[7]
    fh.locator("input.value-search").fill(target[:12])
    dash.wait_for_function(
        "document.querySelectorAll('[data-field=file_hash] .suggest').length === 1",
        timeout=WAIT_MS,
    )
    redrawn = sidebar_redrawn(dash)
    fh.locator("input.value-search").press("Enter")
    until(lambda: len(session.view.stages) == 2, timeout=5)
    assert len(session.view) == 1
    redrawn()
    # unticking the keyword takes its filter away
    dash.locator("[data-field=keywords] input[type=checkbox]:checked").uncheck()
    count_is(dash, hashes.count(target))


def test_a_minimum_above_the_maximum_is_refused_beside_the_inputs(dash, session, labelled):
    box = dash.locator("[data-field=score]")
    redrawn = sidebar_redrawn(dash)
    box.locator(".hi-n").fill("1")
    box.locator(".hi-n").dispatch_event("change")
    count_is(dash, len(labelled.match(F("score") <= 1)))
    redrawn()
    stages = session.view.to_dict()["stages"]
    assert stages[0]["kwargs"]["filter"] == {"score": {"$gte": 0.0, "$lte": 1}}
    box = dash.locator("[data-field=score]")
    error = box.locator(".range-error")
    assert error.is_hidden()
    box.locator(".lo-n").fill("5")
    box.locator(".lo-n").dispatch_event("change")
    error.wait_for(state="visible", timeout=WAIT_MS)
    assert error.text_content() == "Minimum 5 is above maximum 1: not applied"
    assert box.locator(".lo-n").get_attribute("aria-invalid") == "true"
    assert box.locator(".lo-n").input_value() == "5"  # left as typed, not swapped
    dash.wait_for_timeout(500)  # nothing goes to the server
    assert session.view.to_dict()["stages"] == stages
    assert dash.get_attribute("#count", "data-count") == "11"
    # a valid minimum clears the error and applies
    box.locator(".lo-n").fill("0.5")
    box.locator(".lo-n").dispatch_event("change")
    count_is(dash, len(labelled.match((F("score") >= 0.5) & (F("score") <= 1))))
    assert error.is_hidden() or not error.is_visible()


def test_the_range_sliders_upper_handle_is_inside_the_sidebar(browser, session):
    # a short window: the sidebar scrolls, its scrollbar takes part of its width
    context = browser.new_context(viewport={"width": 1100, "height": 560}, bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(session.url)
        page.wait_for_selector("#sidebar [data-field=score] .hi")
        geometry = page.evaluate(
            """() => {
              const sb = document.querySelector('#sidebar');
              const r = sb.getBoundingClientRect();
              const inner = {left: r.left + sb.clientLeft,
                             right: r.left + sb.clientLeft + sb.clientWidth};
              return {scrolls: sb.scrollHeight > sb.clientHeight, inner,
                      boxes: [...sb.querySelectorAll('.range.slider, .hist')].map(e => {
                        const b = e.getBoundingClientRect();
                        return {field: e.closest('.field').dataset.field, left: b.left,
                                right: b.right, cls: e.getAttribute('class')}; }),
                      hi: [...sb.querySelectorAll('.range .hi')].map(e => [
                        e.closest('.field').dataset.field, e.value, e.max,
                        e.getBoundingClientRect().right])};
            }"""
        )
        assert geometry["scrolls"]
        inner = geometry["inner"]
        assert {b["field"] for b in geometry["boxes"]} >= {"score", "metadata.size_bytes"}
        for b in geometry["boxes"]:  # each slider (both handles) and histogram fits
            assert inner["left"] <= b["left"] and b["right"] <= inner["right"] + 0.5, b
        for field, value, top, right in geometry["hi"]:
            assert value == top and right <= inner["right"] + 0.5, field  # handle at the end
        # the upper handle can be dragged down from the end of the track
        hi = page.locator("[data-field=score] .hi")
        hi.scroll_into_view_if_needed()
        b = hi.bounding_box()
        page.mouse.move(b["x"] + b["width"] - 7, b["y"] + b["height"] / 2)
        page.mouse.down()
        page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=4)
        page.mouse.up()
        page.wait_for_function(
            "document.querySelector('#count').dataset.count < 14", timeout=WAIT_MS
        )
        stage = session.view.to_dict()["stages"][0]["kwargs"]["filter"]["score"]
        assert stage["$gte"] == 0 and 0.4 < stage["$lte"] < 0.9
    finally:
        context.close()


def test_counts_read_n_of_the_datasets_total(dash, session, labelled):
    def head(field):
        return dash.text_content(f"#sidebar [data-field={field}] h4 .n")

    assert dash.text_content("#sidebar-count") == "14 of 14"
    assert head("score") == "14 of 14"
    redrawn = sidebar_redrawn(dash)
    dash.check("[data-field=ground_truth] input[data-value='\"dog\"']")
    count_is(dash, 5)
    redrawn()
    assert dash.text_content("#sidebar-count") == "5 of 14"
    assert head("score") == "5 of 14"
    assert head("ground_truth") == "5 of 14"
    assert head("'metadata.width'") == "5 of 14"
    # a value's count in the view, of its count in the dataset
    dash.click("#clear-view")
    count_is(dash, 14)
    labelled.select(labelled.values("id")[5:9]).tag_samples("seen")
    session.refresh()
    dash.wait_for_selector("[data-field=tags] input[data-value='\"seen\"']", timeout=WAIT_MS)
    redrawn = sidebar_redrawn(dash)
    dash.check("[data-field=ground_truth] input[data-value='\"cat\"']")
    redrawn()
    seen_in_cats = len(labelled.match({"ground_truth.label": "cat"}).match_tags("seen"))
    assert 0 < seen_in_cats < 4
    row = dash.locator("[data-field=tags] label.value", has_text="seen")
    assert row.locator(".n").text_content() == f"{seen_in_cats} of 4"


# -- item 10: the tag popover -------------------------------------------------------------


def popover_rows(page) -> dict[str, tuple[str, str, bool, bool]]:
    """tag -> (count in the target, count in the dataset, ticked, partly)."""
    return {
        r[0]: tuple(r[1:])
        for r in page.eval_on_selector_all(
            "#tag-list .tag-row[data-tag]",
            "rows => rows.map(r => [r.dataset.tag, r.querySelector('.in-target').textContent,"
            " r.querySelector('.in-dataset').textContent, r.querySelector('input').checked,"
            " r.querySelector('input').indeterminate])",
        )
    }


def rows_are(page, expected, timeout=5.0):
    until(lambda: popover_rows(page) == expected, timeout=timeout)
    return popover_rows(page)


def test_tag_popover_lists_tags_and_ticks_them_on_the_selection(dash, session, labelled):
    ids = labelled.values("id")
    labelled.select(ids[:3]).tag_samples("reviewed")
    labelled.select(ids[10:]).tag_samples("blurry")
    session.refresh()
    session.selected = [ids[2], ids[5]]  # one of them already reviewed
    dash.wait_for_function("document.querySelector('#count').dataset.selected === '2'")
    assert dash.is_hidden("#tag-popover")
    dash.click("#tag-button")
    assert dash.is_visible("#tag-popover")
    assert dash.text_content("#tag-target") == "(2 selected)"
    want = {"blurry": ("0", "4", False, False), "reviewed": ("1", "3", False, True)}
    assert rows_are(dash, want) == want
    # ticking adds the tag to the whole selection; the counts follow
    dash.check("#tag-list [data-tag=reviewed] input")
    want = {"blurry": ("0", "4", False, False), "reviewed": ("2", "4", True, False)}
    assert rows_are(dash, want) == want
    assert sorted(labelled.match_tags("reviewed").values("id")) == sorted([*ids[:3], ids[5]])
    # unticking takes it off the selection only
    dash.uncheck("#tag-list [data-tag=reviewed] input")
    want = {"blurry": ("0", "4", False, False), "reviewed": ("0", "2", False, False)}
    assert rows_are(dash, want) == want
    assert sorted(labelled.match_tags("reviewed").values("id")) == sorted(ids[:2])
    # a new tag from the text box
    dash.fill("#tag-input", "keep")
    dash.press("#tag-input", "Enter")
    want["keep"] = ("2", "2", True, False)
    assert rows_are(dash, want) == want
    assert sorted(labelled.match_tags("keep").values("id")) == sorted([ids[2], ids[5]])
    assert dash.input_value("#tag-input") == ""
    # the sidebar's tag counts refreshed too
    dash.wait_for_selector("[data-field=tags] input[data-value='\"keep\"']", timeout=WAIT_MS)
    dash.keyboard.press("Escape")
    assert dash.is_hidden("#tag-popover")


def test_tag_popover_without_a_selection_tags_the_view(dash, session, labelled):
    session.view = labelled.match({"ground_truth.label": "dog"})
    count_is(dash, 5)
    dash.click("#tag-button")
    assert dash.text_content("#tag-target") == "(all 5 in view)"
    dash.wait_for_selector("#tag-list :text('No tags yet')", timeout=WAIT_MS)
    dash.fill("#tag-input", "dogs")
    dash.click("#tag-apply")
    want = {"dogs": ("5", "5", True, False)}
    assert rows_are(dash, want) == want
    assert len(labelled.match_tags("dogs")) == 5
    # the selection changing while it is open re-reads the counts
    one = labelled.match({"ground_truth.label": "cat"}).first().id
    session.view = None
    count_is(dash, 14)
    session.selected = [one]
    want = {"dogs": ("0", "5", False, False)}
    assert rows_are(dash, want) == want
    assert dash.input_value("#tag-input") == ""  # emptied after the tag was added
    dash.click("#untag-apply")
    assert "Type a tag name first" in dash.text_content("#message")


def test_the_popover_and_search_box_run_under_the_apps_csp(session, browser, labelled):
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # CSP enforced
    page = context.new_page()
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    try:
        page.goto(session.url)
        page.wait_for_selector("#sidebar [data-field=keywords] .value-search")
        page.fill("[data-field=keywords] .value-search", "kw03")
        page.wait_for_selector("[data-field=keywords] .suggest .name:text-is('kw03_1')")
        page.click("#tag-button")
        page.wait_for_selector("#tag-list :text('No tags yet')")
        assert page.locator("#tag-popover").bounding_box()["y"] > 0  # placed by the CSSOM
        assert violations == []
    finally:
        context.close()


# -- the routes behind them -----------------------------------------------------------------


def test_value_search_route_escapes_the_text_and_checks_the_field(client, labelled):
    labelled.set_values("keywords", [[f"kw{i:02d}.{j}" for j in range(3)] for i in range(14)])

    def values(path, search="", view=()):
        body = {"dataset": "labelled", "view": list(view), "path": path, "search": search}
        return client.post("/api/sidebar/values", json=body).json()

    res = values("keywords", "KW1")
    assert res["distinct"] == 12 and len(res["values"]) == 12  # kw10..kw13 x 3
    assert all(v.startswith("kw1") and n == 1 for v, n in res["values"])
    # the text is a literal: a pattern matches nothing
    res = values("keywords", "kw0.\\.1")
    assert res == {"path": "keywords", "search": "kw0.\\.1", "distinct": 0, "values": []}
    # counted in the view without the field's own filter, so a second value can be added
    own = {"_cls": "Match", "kwargs": {"filter": {"keywords": {"$in": ["kw01.1"]}}}}
    res = values("keywords", "kw02", [own])
    assert [v for v, _ in res["values"]] == ["kw02.0", "kw02.1", "kw02.2"]
    for path in ("score", "filepath", "$where", "nope"):
        error = values(path)["error"]
        assert "has no listed values" in error and "keywords" in error


def test_sidebar_route_says_n_of_n_and_which_fields_are_searched(client, labelled):
    labelled.compute_metadata()
    labelled.set_values("file_hash", file_hashes(labelled))
    dog = {"_cls": "Match", "kwargs": {"filter": {"ground_truth.label": {"$in": ["dog"]}}}}
    side = client.post("/api/sidebar", json={"dataset": "labelled", "view": [dog]}).json()
    assert (side["count"], side["total"]) == (5, 14)
    fields = {f["name"]: f for f in side["fields"]}
    assert fields["metadata.width"]["group"] == "metadata"
    assert (fields["metadata.width"]["count"], fields["metadata.width"]["total"]) == (5, 14)
    assert fields["file_hash"]["search"] is True  # 12 distinct of 14: identifiers
    assert fields["ground_truth"]["search"] is False  # 3 classes
    assert fields["metadata.mime_type"]["search"] is False
    mime = fields["metadata.mime_type"]
    assert mime["values"] == [["image/jpeg", 5]] and mime["totals"] == [14]


def test_tag_counts_route_counts_the_dataset_and_the_target(client, labelled):
    ids = labelled.values("id")
    labelled.select(ids[:4]).tag_samples("a")
    labelled.select(ids[3:6]).tag_samples("b")
    body = {"dataset": "labelled", "view": [], "ids": ids[3:5]}
    res = client.post("/api/tag_counts", json=body).json()
    assert res == {"count": 2, "dataset": {"a": 4, "b": 3}, "target": {"a": 1, "b": 2}}
    dog = {"_cls": "Match", "kwargs": {"filter": {"ground_truth.label": {"$in": ["dog"]}}}}
    res = client.post("/api/tag_counts", json={"dataset": "labelled", "view": [dog]}).json()
    dogs = labelled.match({"ground_truth.label": "dog"})
    assert res == {"count": 5, "dataset": {"a": 4, "b": 3}, "target": dogs.count_sample_tags()}
