"""The versioned session state (no database needed)."""

from __future__ import annotations

import threading

import pytest

from server.state import StateError, StateStore

pytestmark = pytest.mark.unit  # no mongod, no model, no browser


def test_every_change_is_a_new_version_seen_by_subscribers():
    store = StateStore()
    seen = []
    store.subscribe(lambda s: seen.append((s["version"], s["dataset"])))
    store.apply({"dataset": "a"})
    store.apply({"selected": ["x"]})
    assert seen == [(1, "a"), (2, "a")]
    assert store.snapshot()["selected"] == ["x"]


def test_changing_dataset_clears_view_and_selection():
    store = StateStore()
    store.apply({"dataset": "a", "view": [{"_cls": "Limit", "kwargs": {"limit": 1}}],
                 "selected": ["x"], "sample": "x"})  # fmt: skip
    state = store.apply({"dataset": "b"})
    assert (state["view"], state["selected"], state["sample"]) == ([], [], None)
    assert store.apply({"dataset": "b"})["version"] == 3  # same dataset: nothing cleared


def test_select_merges_ticks_from_two_sides():
    store = StateStore()
    store.select(add=["a", "b"])
    store.select(add=["c"], remove=["a"])
    assert store.get("selected") == ["b", "c"]
    store.select(add=["b"])  # already there: no duplicate
    assert store.get("selected") == ["b", "c"]


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"colour": "red"}, "Unknown state keys"),
        ({"selected": "abc"}, "takes"),
        ({"selected": [1, 2]}, "id strings"),
        ({"view": {"_cls": "Limit"}}, "takes"),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(changes, match):
    store = StateStore()
    with pytest.raises(StateError, match=match):
        store.apply(changes)
    assert store.version == 0


def test_wait_for_change_wakes_on_a_change_from_another_thread():
    store = StateStore()
    threading.Timer(0.05, lambda: store.apply({"dataset": "z"})).start()
    state = store.wait_for_change(0, timeout=5)
    assert state["dataset"] == "z"


def test_wait_until_closed_needs_a_client_to_come_and_go():
    store = StateStore()
    assert store.wait_until_closed(timeout=0.05) is False
    store.client_connected()
    threading.Timer(0.05, store.client_disconnected).start()
    assert store.wait_until_closed(timeout=5) is True


def test_apply_leaves_the_callers_dict_alone():
    store = StateStore()
    changes = {"dataset": "a"}
    store.apply(changes)
    assert changes == {"dataset": "a"}
