"""Tests of dataset_core.stages.set_field: SetField / set_field in the real mongod.

What a view shows after set_field (top-level, nested, per label of a list, ``[]``
components, the sample's own fields through ``F("$name")``), that nothing is
stored until ``save``, the JSON round trip, failures, and views from HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dataset_core as dc
from dataset_core import F
from dataset_core.stages import SetField, view_from_untrusted


@pytest.fixture
def ds(database) -> dc.Dataset:
    dataset = dc.Dataset("set-field")
    dataset.add_samples([
        dc.Sample("/data/a.jpg", tags=["train"], uniqueness=0.9,
                  cls=dc.Classification(label="cat", confidence=0.8),
                  gt=dc.Detections(detections=[dc.Detection(label="cat", confidence=0.9),
                                               dc.Detection(label="dog", confidence=0.2)])),
        dc.Sample("/data/b.jpg", tags=["val"], uniqueness=0.3,
                  cls=dc.Classification(label="dog", confidence=0.4),
                  gt=dc.Detections(detections=[dc.Detection(label="bird", confidence=0.6)])),
        dc.Sample("/data/c.jpg", tags=[], uniqueness=0.1),  # no labels at all
    ])  # fmt: skip
    return dataset


BEHAVIOUR = [
    pytest.param(
        lambda d: d.set_field("uniqueness", (F("uniqueness") > 0.2).if_else(F("uniqueness"), None)),
        "uniqueness", [0.9, 0.3, None], id="top-level",
    ),
    pytest.param(lambda d: d.set_field("gt.detections.label", F("label").upper()),
                 "gt.detections.label", [["CAT", "DOG"], ["BIRD"], None], id="each-label"),
    pytest.param(lambda d: d.set_field("gt.detections[].label", F("label").upper()),
                 "gt.detections.label", [["CAT", "DOG"], ["BIRD"], None], id="explicit-brackets"),
    pytest.param(lambda d: d.set_field("cls.label", F("label").upper()),
                 "cls.label", ["CAT", "DOG", None], id="single-label"),
    pytest.param(lambda d: d.set_field("gt.num", F("detections").length()),
                 "gt.num", [2, 1, None], id="new-attribute-of-a-document"),
    pytest.param(lambda d: d.set_field("gt.detections.confidence", F("$uniqueness")),
                 "gt.detections.confidence", [[0.9, 0.9], [0.3], None], id="dollar-sample-field"),
    pytest.param(lambda d: d.set_field("tags[]", F().upper()),
                 "tags", [["TRAIN"], ["VAL"], []], id="each-element-of-a-top-list"),
    pytest.param(lambda d: d.match(F("uniqueness") > 0.2).set_field("uniqueness", 1.0),
                 "uniqueness", [1.0, 1.0], id="literal-after-match"),
    pytest.param(lambda d: d.set_field("gt.detections",
                                       F("detections").filter(F("label") == "cat")),
                 "gt.detections.label", [["cat"], [], None], id="a-whole-list"),
]  # fmt: skip


@pytest.mark.parametrize(("make", "path", "expected"), BEHAVIOUR)
def test_set_field_shows_new_values_and_stores_nothing(ds, make, path, expected):
    before = ds.values(path)
    view = make(ds)
    assert view.values(path) == expected
    # through JSON, as a saved view or the app sends it, the view reads the same
    again = dc.DatasetView.from_dict(ds, json.loads(json.dumps(view.to_dict())))
    assert again == view
    assert again.values(path) == expected
    assert ds.values(path) == before


def test_other_attributes_of_each_label_stay(ds):
    view = ds.set_field("gt.detections.label", F("label").upper())
    sample = view.first()
    assert [(d.label, d.confidence) for d in sample.gt.detections] == [("CAT", 0.9), ("DOG", 0.2)]
    assert sample.gt.detections[0].id == ds.first().gt.detections[0].id
    stored = ds.count_values("gt.detections.label")
    assert view.count_values("gt.detections.label") == {
        k.upper() if k else k: n for k, n in stored.items()
    }


def test_set_field_then_filter_on_it(ds):
    view = ds.set_field("cls.label", F("label").upper()).match(F("cls.label") == "DOG")
    assert [Path(p).name for p in view.values("filepath")] == ["b.jpg"]


def test_allow_missing_sets_an_undeclared_field(ds):
    view = ds.set_field("score", F("uniqueness") * 2, _allow_missing=True)
    assert [d["score"] for d in view._aggregate()] == [1.8, 0.6, 0.2]


def test_repr_and_properties():
    stage = SetField("gt.detections.label", F("label").upper())
    assert stage.field == "gt.detections.label"
    assert repr(stage).startswith("SetField('gt.detections.label', expr=ViewExpression(")
    assert stage == SetField("gt.detections.label", F("label").upper())


FAILURES = [
    pytest.param(lambda d: d.set_field("nope", 1), dc.FieldNotFoundError, "'nope' not found",
                 id="unknown-field"),
    pytest.param(lambda d: d.set_field("id", "x"), dc.ViewError, "ids are fixed", id="id"),
    pytest.param(lambda d: d.set_field("gt..label", 1), dc.ViewError, "invalid component",
                 id="empty-component"),
    pytest.param(lambda d: d.set_field("$gt", 1), dc.ViewError, "invalid component",
                 id="dollar-component"),
    pytest.param(lambda d: d.set_field("uniqueness.x", 1), dc.ViewError,
                 "holds no embedded documents", id="inside-a-number"),
    pytest.param(lambda d: d.set_field("uniqueness", object()), dc.ViewError,
                 "which a view cannot hold", id="bad-value"),
    pytest.param(lambda d: d.set_field("uniqueness", 1, _allow_missing="yes"), dc.ViewError,
                 "True or False", id="allow-missing-not-bool"),
]  # fmt: skip


@pytest.mark.parametrize(("make", "error", "message"), FAILURES)
def test_set_field_fails(ds, make, error, message):
    with pytest.raises(error, match=message):
        make(ds)


# -- views from HTTP ----------------------------------------------------------------


def test_set_field_from_http_is_a_safe_stage(ds):
    stage = SetField("gt.detections.label", F("label").upper()).to_dict()
    view = view_from_untrusted(ds, json.loads(json.dumps([stage])))
    assert view.values("gt.detections.label") == [["CAT", "DOG"], ["BIRD"], None]


HTTP_FAILURES = [
    pytest.param({"field": "filepath", "expr": {"$expr": "/etc/passwd"}}, "user field",
                 id="filepath"),
    pytest.param({"field": "tags", "expr": {"$expr": []}}, "user field", id="tags"),
    pytest.param({"field": "_rand", "expr": {"$expr": 0}}, "user field", id="private"),
    pytest.param({"field": "new", "expr": {"$expr": 1}, "_allow_missing": True},
                 "_allow_missing is for Python", id="allow-missing"),
    pytest.param({"field": "uniqueness",
                  "expr": {"$expr": {"$function": {"body": "1", "args": [], "lang": "js"}}}},
                 r"\$function is not allowed", id="server-side-js"),
    pytest.param({"field": "gt.detections.label",
                  "expr": {"$expr": {"$accumulator": {}}}}, r"\$accumulator is not allowed",
                 id="accumulator-per-label"),
]  # fmt: skip


@pytest.mark.parametrize(("kwargs", "message"), HTTP_FAILURES)
def test_set_field_from_http_refuses(ds, kwargs, message):
    with pytest.raises(dc.ViewError, match=message):
        view_from_untrusted(ds, [{"_cls": "SetField", "kwargs": kwargs}])
