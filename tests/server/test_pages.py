"""Pages past SKIP_LIMIT come from an ordered id index; it must agree with $skip."""

from __future__ import annotations

import pytest

from server import pages
from server.context import get_view


@pytest.fixture(autouse=True)
def small_limit(monkeypatch):
    monkeypatch.setattr(pages, "SKIP_LIMIT", 2)
    pages._indexes.clear()


def walk(view, refresh=0, size=3):
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
