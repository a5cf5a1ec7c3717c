"""Tests of dataset_core/stages/rewrites.py: FilterField, LimitLabels, MapLabels.

Each stage changes what a view shows of one field and never the stored samples;
every view here also goes through JSON (as a saved view or the dashboard sends
it) and must show the same.
"""

from __future__ import annotations

import json

import pytest

import dataset_core as dc
from dataset_core import F
from dataset_core.stages import FilterField, LimitLabels, MapLabels, view_from_untrusted

# name, classification label, n, detection labels
ROWS = [
    ("a", "cat", 3, ["cat", "dog", "cat"]),
    ("b", "dog", -1, ["dog"]),
    ("c", "bird", 0, []),
    ("d", None, None, None),
]


@pytest.fixture
def ds(database) -> dc.Dataset:
    dataset = dc.Dataset("rewrites")
    samples = []
    for name, label, n, dets in ROWS:
        gt = None if label is None else dc.Classification(label=label)
        detections = None
        if dets is not None:
            detections = dc.Detections(detections=[dc.Detection(label=lb) for lb in dets])
        samples.append(dc.Sample(f"/data/{name}.jpg", gt=gt, n=n, dets=detections))
    dataset.add_samples(samples)
    return dataset


def _both(view: dc.DatasetView) -> list[dc.DatasetView]:
    """The view, and the view rebuilt from its JSON form."""
    again = dc.DatasetView.from_dict(view.dataset, json.loads(json.dumps(view.to_dict())))
    return [view, again]


def test_filter_field_shows_the_field_only_where_the_filter_holds(ds):
    for view in _both(ds.filter_field("gt", F("label") == "cat")):
        assert view.values("filepath") == ["/data/a.jpg"]
    for view in _both(ds.filter_field("gt", F("label") != "dog", only_matches=False)):
        assert view.values("gt.label") == ["cat", None, "bird", None]
        assert len(view) == 4
    assert ds.values("gt.label") == ["cat", "dog", "bird", None]  # stored: unchanged


def test_filter_field_of_a_number_and_of_a_sample_field(ds):
    # F() is the field's value; None never passes
    assert ds.filter_field("n", F() >= 0).values("n") == [3, 0]
    assert ds.filter_field("n", F() > 0, only_matches=False).values("n") == [3, None, None, None]
    # F("$n") is the sample's n, next to the label's own attributes
    view = ds.filter_field("gt", (F("$n") > 0) | (F("label") == "bird"))
    assert view.values("gt.label") == ["cat", "bird"]


def test_limit_labels_shows_the_first_labels(ds):
    for view in _both(ds.limit_labels("dets", 2)):
        assert view.values(F("dets.detections").length()) == [2, 1, 0, 0]
        assert [d.label for d in view.first().dets.detections] == ["cat", "dog"]
        assert view.last().dets is None  # a sample without the field keeps it unset
    assert ds.limit_labels("dets", 0).values(F("dets.detections").length()) == [0, 0, 0, 0]
    assert ds.values(F("dets.detections").length()) == [3, 1, 0, 0]  # stored: unchanged


def test_map_labels_renames_single_and_list_labels(ds):
    mapping = {"cat": "animal", "dog": "cat"}  # not chained: dog becomes cat, not animal
    for view in _both(ds.map_labels("gt", mapping)):
        assert view.values("gt.label") == ["animal", "cat", "bird", None]
    for view in _both(ds.map_labels("dets", mapping)):
        assert view.values("dets.detections.label") == [["animal", "cat", "animal"], ["cat"],
                                                         [], None]  # fmt: skip
    ids = ds.values("dets.detections.id")
    assert ds.map_labels("dets", mapping).values("dets.detections.id") == ids  # same labels
    assert ds.values("gt.label") == ["cat", "dog", "bird", None]  # stored: unchanged
    assert ds.map_labels("gt", {}).values("gt.label") == ["cat", "dog", "bird", None]


def test_stages_chain_and_come_from_the_dashboard(ds):
    view = (ds.map_labels("dets", {"dog": "wolf"}).limit_labels("dets", 2)
            .filter_field("gt", F("label") == "cat"))  # fmt: skip
    again = view_from_untrusted(ds, view.to_dict()["stages"])
    for v in (view, again):
        assert v.values("dets.detections.label") == [["cat", "wolf"]]


FAILURES = [
    (lambda ds: FilterField("gt", {"label": "cat"}), dc.ViewError, "must be an F expression"),
    (
        lambda ds: FilterField("gt", F("label") == "x", only_matches=1),
        dc.ViewError,
        "only_matches must be True or False",
    ),  # fmt: skip
    (lambda ds: ds.filter_field("nope", F() > 1), dc.FieldNotFoundError, "Field 'nope'"),
    (lambda ds: LimitLabels("dets", -1), dc.ViewError, "limit must be an int >= 0; got -1"),
    (lambda ds: LimitLabels("dets", 1.5), dc.ViewError, "limit must be an int >= 0"),
    (lambda ds: ds.limit_labels("gt", 1), dc.ViewError, "'gt' holds one label"),
    (lambda ds: ds.limit_labels("n", 1), dc.ViewError, "'n' is .*not a label field"),
    (lambda ds: MapLabels("gt", {"cat": 1}), dc.ViewError, "dict of str to str"),
    (lambda ds: MapLabels("gt", [("cat", "dog")]), dc.ViewError, "dict of str to str"),
    (lambda ds: ds.map_labels("n", {"a": "b"}), dc.ViewError, "not a label field"),
]


@pytest.mark.parametrize(("make", "error", "message"), FAILURES)
def test_bad_arguments_fail_with_one_clear_error(ds, make, error, message):
    with pytest.raises(error, match=message):
        make(ds)
