"""Errors a user can act on, in a real Chromium against a real server: a view
MongoDB refuses, a server that stops and comes back, counts after deletes."""

from __future__ import annotations

import pytest

import dataset_core as dc
from dataset_core import F
from dataset_core.errors import ViewError
from tests.server.test_dashboard import shown_count, until

#: a loaded machine: waits are generous, the behaviour asserted exactly
WAIT_MS = 5000


@pytest.fixture
def session(labelled, tmp_path, monkeypatch):
    from dataset_core.config import config

    monkeypatch.setattr(config, "home", tmp_path / "home")
    s = dc.launch_app(labelled, port=0)
    yield s
    s.close()


@pytest.fixture
def dash(page, session):
    """The dashboard open on the labelled dataset, its first tiles painted."""
    page.goto(session.url)
    page.wait_for_selector(".tile[data-id] img")
    return page


def wait_count(page, n: int) -> None:
    page.wait_for_function(f"document.querySelector('#count').dataset.count === '{n}'",
                           timeout=WAIT_MS)  # fmt: skip


# -- item 2: broken filters are refused, said next to what caused them ------------------


def test_a_view_refused_in_python_leaves_the_dashboard_as_it_was(dash, session, labelled):
    session.view = labelled.match({"ground_truth.label": "dog"})
    wait_count(dash, 5)
    with pytest.raises(ViewError, match=r"unknown operator: \$gtt"):
        session.view = labelled.match({"score": {"$gtt": 0.5}})
    dash.wait_for_timeout(500)  # had anything been sent, the page would have it by now
    assert shown_count(dash) == 5 and len(dash.query_selector_all(".tile[data-id]")) == 5
    assert "gtt" not in dash.text_content("#viewbar")
    assert dash.is_hidden("#grid-error") and not dash.text_content("#message")


def test_a_saved_view_mongodb_refuses_is_refused_next_to_its_picker(dash, session, labelled):
    labelled.save_view("broken", labelled.match(F("score") / F("filepath") > 1))
    session.refresh()
    dash.wait_for_selector("#saved-view-select option:text('broken')", state="attached")
    dash.select_option("#saved-view-select", "broken")
    near = dash.locator("#topbar label:has(#saved-view-select) .req-error")
    near.wait_for(timeout=WAIT_MS)
    text = near.text_content()
    assert text.startswith("stages[0] ") and "$divide only supports numeric types" in text
    assert "Internal Server Error" not in text and "\n" not in text
    assert session._store.get("view") == [] and session._store.get("view_name") is None
    assert dash.eval_on_selector("#saved-view-select", "s => s.value") == ""  # still none
    assert shown_count(dash) == 14 and len(dash.query_selector_all(".tile[data-id]")) == 14


def test_a_view_failing_on_later_samples_says_why_on_the_grid_until_removed(
    dash, session, labelled
):
    # a text value in the last sample only: MongoDB fails when it gets there, so the
    # one-sample check on set passes and the grid's own requests fail
    labelled.set_values("x", [1] * (len(labelled) - 1) + ["oops"])
    session.view = labelled.match(F("score") / F("x") >= 0)
    box = dash.locator("#grid-error")
    box.wait_for(state="visible", timeout=WAIT_MS)
    assert "$divide only supports numeric types" in box.text_content()
    assert "Internal Server Error" not in box.text_content()
    assert dash.query_selector_all(".tile[data-id]") == []  # not the old view's tiles
    assert dash.get_attribute("#viewbar [data-stage='0']", "class").split().count("bad") == 1
    dash.click("#viewbar [data-remove='0']")
    wait_count(dash, 14)
    box.wait_for(state="hidden", timeout=WAIT_MS)
    dash.wait_for_function("document.querySelectorAll('.tile[data-id]').length === 14")
    assert not dash.query_selector_all("#viewbar .bad") and session._store.get("view") == []


def test_removing_a_chip_that_leaves_a_failing_view_is_refused_in_the_view_bar(
    dash, session, labelled
):
    # stage 0 keeps the text value away from stage 1's division; without it the
    # division meets "oops" on the first sample and MongoDB refuses the view
    labelled.set_values("x", ["oops"] + [1] * (len(labelled) - 1))
    session.view = labelled.match(F("x") != "oops").match(F("score") / F("x") >= 0)
    wait_count(dash, 13)
    before = session._store.snapshot()
    dash.click("#viewbar [data-remove='0']")
    near = dash.locator("#viewbar .req-error")
    near.wait_for(timeout=WAIT_MS)
    assert near.text_content().startswith("stages[0] Match(")
    assert "$divide only supports numeric types" in near.text_content()
    assert session._store.snapshot() == before and shown_count(dash) == 13
    dash.click("#viewbar [data-remove='1']")  # the other chip: a view that works
    wait_count(dash, 13)
    dash.wait_for_function("document.querySelectorAll('#viewbar .chip').length === 1")
    assert not dash.query_selector_all("#viewbar .req-error")  # gone with the fix


# -- item 3: a stopped server is plain to see, and nothing replays after it is back -----


@pytest.fixture
def tokenless(labelled, tmp_path, monkeypatch):
    """A session without a token, so a new server on the same port is the same page's."""
    from dataset_core.config import config

    monkeypatch.setattr(config, "home", tmp_path / "home")
    sessions = [dc.launch_app(labelled, port=0, token=False)]
    yield sessions
    for s in sessions:
        s.close()


def test_a_stopped_server_shows_a_banner_and_replays_nothing_after_restart(
    page, tokenless, labelled
):
    first = tokenless[0]
    port = first._server.port
    page.goto(first.url)
    page.wait_for_selector(".tile[data-id] img")
    assert page.is_hidden("#offline")
    box = page.locator("[data-field=score]")
    box.locator(".lo-n").fill("0.5")  # typed, not yet committed, when the server stops
    first.close()
    banner = page.locator("#offline")
    banner.wait_for(state="visible", timeout=WAIT_MS)
    assert "not reachable" in banner.text_content() and "launch_app" in banner.text_content()
    # the half-typed filter commits as the page goes inert, and is not sent
    assert "1 ignored" in banner.locator(".ignored").text_content()
    # a click on a tile's tick does nothing either, and the page says so
    check = page.query_selector(".tile[data-id] .check").bounding_box()
    page.mouse.click(check["x"] + check["width"] / 2, check["y"] + check["height"] / 2)
    assert "did nothing: 2 ignored" in banner.locator(".ignored").text_content()
    assert not page.query_selector_all(".tile.selected")
    # back on the same port: the page reconnects by itself and sends none of it
    second = dc.launch_app(labelled, port=port, token=False)
    tokenless.append(second)
    banner.wait_for(state="hidden", timeout=WAIT_MS)
    page.wait_for_timeout(1000)  # a replay would have arrived by now
    assert second.selected == [] and second._store.get("view") == []
    assert not page.query_selector_all(".tile.selected")
    wait_count(page, 14)
    tile = page.query_selector(".tile[data-id]")  # and clicks work again
    tile.query_selector(".check").click()
    assert until(lambda: second.selected == [tile.get_attribute("data-id")], 5) is True


def test_a_server_restarted_with_a_new_token_says_the_page_is_refused(page, labelled, tmp_path,
                                                                      monkeypatch):  # fmt: skip
    from dataset_core.config import config

    monkeypatch.setattr(config, "home", tmp_path / "home")
    first = dc.launch_app(labelled, port=0)
    port = first._server.port
    page.goto(first.url)
    page.wait_for_selector(".tile[data-id] img")
    first.close()
    second = dc.launch_app(labelled, port=port)  # a fresh token: the old page's is stale
    try:
        banner = page.locator("#offline")
        page.wait_for_function(
            "document.querySelector('#offline .what').textContent.includes('token')",
            timeout=WAIT_MS * 2,
        )
        assert banner.is_visible() and "refuses this page" in banner.text_content()
    finally:
        second.close()


# -- item 9: counts everywhere follow deletes ---------------------------------------------


def dataset_menu(page) -> str:
    return page.eval_on_selector(
        "#dataset-select", "s => s.options[s.selectedIndex] && s.options[s.selectedIndex].text"
    )


def test_counts_follow_samples_deleted_from_python(dash, session, labelled):
    assert dataset_menu(dash) == "labelled (14)"
    tiles = dash.query_selector_all(".tile[data-id]")[:2]
    ids = [t.get_attribute("data-id") for t in tiles]
    for t in tiles:
        t.query_selector(".check").click()
    assert until(lambda: session.selected == ids, 5) is True
    labelled.delete_samples(ids)
    session.refresh()
    wait_count(dash, 12)
    dash.wait_for_function(
        "document.querySelector('#dataset-select').selectedOptions[0].text === 'labelled (12)'",
        timeout=WAIT_MS,
    )
    # the sidebar's header reads "n of N" (in the view, of the dataset)
    dash.wait_for_function("document.querySelector('#sidebar-count').textContent === '12 of 12'",
                           timeout=WAIT_MS)  # fmt: skip
    assert dash.get_attribute("#count", "data-selected") == "0"  # no ticks of deleted samples
    assert session.selected == []


def test_the_dataset_menu_follows_a_dedup_run_from_the_ui(dash, labelled):
    import brain

    brain.find_exact_duplicates(labelled, save_view=False)
    assert dataset_menu(dash) == "labelled (14)"
    dash.click("#open-operators")
    op = dash.locator("[data-op=deduplicate_exact_duplicates]")
    op.locator("button.preview").click()
    op.locator("button.confirm").click()
    op.locator(".done-message").wait_for(timeout=30_000)
    assert len(labelled) == 12
    dash.wait_for_function(
        "document.querySelector('#dataset-select').selectedOptions[0].text === 'labelled (12)'",
        timeout=WAIT_MS,
    )
    wait_count(dash, 12)
