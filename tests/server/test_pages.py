"""Pages past SKIP_LIMIT come from an ordered id index, listed in the background;
pages from it, from a half-listed one and from $skip must all agree."""

from __future__ import annotations

import time

import numpy as np
import pytest

from server import pages
from server.context import get_view


@pytest.fixture(autouse=True)
def small_limit(monkeypatch):
    monkeypatch.setattr(pages, "SKIP_LIMIT", 2)
    pages._indexes.clear()


def listed(view, refresh=0):
    """Start the view's index (one page past SKIP_LIMIT) and wait until it is listed."""
    pages.page_docs(view, pages.SKIP_LIMIT + 1, 1, {"_rand": 0}, refresh)
    key = pages._key(view, refresh)
    if key is None:
        return None
    deadline = time.monotonic() + 10
    while not pages._indexes[key].done:
        assert time.monotonic() < deadline, "the index was not listed within 10 s"
        time.sleep(0.01)
    return pages._indexes[key]


def walk(view, refresh=0, size=3):
    listed(view, refresh)
    out, offset = [], 0
    while True:
        docs = pages.page_docs(view, offset, size, {"_rand": 0}, refresh)
        out += [str(d["_id"]) for d in docs]
        if len(docs) < size:
            return out
        offset += size


@pytest.mark.parametrize(
    "stages",
    [
        [],
        [{"_cls": "SortBy", "kwargs": {"field_or_expr": "score", "reverse": True}}],
        [{"_cls": "Match", "kwargs": {"filter": {"ground_truth.label": "cat"}}},
         {"_cls": "SortBy", "kwargs": {"field_or_expr": "filepath", "reverse": False}}],
        [{"_cls": "Take", "kwargs": {"size": 9, "seed": 3}}],
        [{"_cls": "ExcludeFields", "kwargs": {"field_names": ["score"]}}],  # reshapes: $skip
    ],
)  # fmt: skip
def test_pages_at_any_offset_follow_the_view(labelled, stages):
    view = get_view("labelled", stages)
    assert walk(view) == view.values("id")


def test_the_index_follows_deletes_and_refreshes(labelled):
    view = get_view("labelled", [{"_cls": "SortBy", "kwargs": {"field_or_expr": "score"}}])
    assert walk(view) == view.values("id")
    labelled.delete_samples(view.values("id")[4:6])  # the count changes: a new index
    assert walk(view) == view.values("id")
    labelled.set_values("score", [-s for s in labelled.values("score")])
    stale = walk(view)  # same count, same refresh: the old order is kept, by design
    assert walk(view, refresh=1) == view.values("id") != stale


def test_pages_come_from_the_index_once_listed(labelled, monkeypatch):
    view = get_view("labelled", [{"_cls": "SortBy", "kwargs": {"field_or_expr": "score"}}])
    index = listed(view)
    assert index is not None and index.size == len(view)
    seen = []
    real = view.aggregate
    monkeypatch.setattr(
        type(view), "aggregate", lambda self, steps: seen.append(steps) or real(steps)
    )
    expected = view.values("id")[5:8]
    seen.clear()
    docs = pages.page_docs(view, 5, 3, {"_rand": 0}, 0)
    assert [str(d["_id"]) for d in docs] == expected
    assert seen == []  # served by ids from the index, not by the view's pipeline


def test_a_half_listed_index_answers_what_it_covers(labelled):
    view = get_view("labelled", [{"_cls": "SortBy", "kwargs": {"field_or_expr": "score"}}])
    ids = view.id_array()
    index = pages._Index()
    for part in np.array_split(ids, 4)[:3]:  # three of four batches listed so far
        index.add(part)
    expected = view.values("id")
    for offset in range(len(ids)):
        for limit in (1, 2, 5):
            if index.covers(offset, limit):
                got = [str(i) for i in index.ids(offset, limit)]
                assert got == expected[offset : offset + limit]
            else:
                assert offset + limit > index.size
    assert not index.covers(index.size, 1)


def test_the_first_page_of_a_big_dataset_lists_its_index_soon(labelled, monkeypatch):
    # a scrollbar drag seconds after the grid opens finds the ids listed already
    monkeypatch.setattr(pages, "PRELIST_DELAY_S", 0.05)
    view = get_view("labelled", [])
    key = pages._key(view, 0)
    pages.page_docs(view, 0, 3, {"_rand": 0}, 0)
    deadline = time.monotonic() + 10
    while key not in pages._indexes or not pages._indexes[key].done:
        assert time.monotonic() < deadline, "the index was not listed within 10 s"
        time.sleep(0.01)
    assert pages._indexes[key].size == len(view)
    # a filtered view waits for its first deep page: each filter would cost a scan
    cat = {"_cls": "Match", "kwargs": {"filter": {"ground_truth.label": "cat"}}}
    cats = get_view("labelled", [cat])
    pages.page_docs(cats, 0, 3, {"_rand": 0}, 0)
    time.sleep(0.3)
    assert pages._key(cats, 0) not in pages._indexes


def test_a_dataset_the_server_shows_is_listed_before_any_page(labelled, monkeypatch):
    from server import StateStore, create_app

    store = StateStore()
    create_app(store)
    store.apply({"dataset": "labelled"})
    key = pages._key(get_view("labelled", []), 0)
    deadline = time.monotonic() + 10
    while key not in pages._indexes or not pages._indexes[key].done:
        assert time.monotonic() < deadline, "the index was not listed within 10 s"
        time.sleep(0.01)
    assert pages._indexes[key].size == len(labelled)
