"""Tests of dataset_core.stages: a table of successes and one of failures per stage.

Successes run against the real embedded mongod (a throw-away database per
test): six samples in, stages applied, the samples' names (and order, where a
list is expected) out. Every stage in the table also goes through JSON and
back, and must give the same samples. Failures of construction and of
``from_dict`` need no database; those found against the schema do.
"""

from __future__ import annotations

import json
import math
from functools import reduce
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId

import dataset_core as dc
from dataset_core import F
from dataset_core.sample import utcnow
from dataset_core.stages import (
    Exclude,
    ExcludeFields,
    Exists,
    FilterLabels,
    GroupBy,
    Limit,
    Match,
    MatchTags,
    Mongo,
    Select,
    SelectFields,
    Shuffle,
    Skip,
    SortBy,
    Take,
    ViewStage,
    idsets,
)

ALL = {"a", "b", "c", "d", "e", "f"}
# name, tags, uniqueness, label, confidence, n, detections (label, confidence)
ROWS = [
    ("a", ["train"], 0.9, "cat", 0.9, 3, [("cat", 0.9), ("dog", 0.2)]),
    ("b", ["train", "dup"], 0.1, "dog", 0.4, 1, [("dog", 0.8)]),
    ("c", ["val"], 0.5, "cat", 0.6, None, []),
    ("d", [], 0.7, "mountain", 0.3, 2, None),
    ("e", ["dup"], 0.3, None, None, 5, [("cat", 0.95)]),
    ("f", ["val", "dup"], None, "dog", 0.99, 4, [("bird", 0.5)]),
]


def _sample(name, tags, uniqueness, label, confidence, n, dets) -> dc.Sample:
    gt = None if label is None else dc.Classification(label=label, confidence=confidence)
    detections = None
    if dets is not None:
        detections = dc.Detections(
            detections=[dc.Detection(label=lb, confidence=c) for lb, c in dets]
        )
    return dc.Sample(f"/data/{name}.jpg", tags=tags, uniqueness=uniqueness, ground_truth=gt,
                     n=n, dets=detections)  # fmt: skip


@pytest.fixture
def ds(database) -> dc.Dataset:
    dataset = dc.Dataset("stages")
    dataset.add_samples([_sample(*row) for row in ROWS])
    return dataset


def _ids(dataset: dc.Dataset) -> dict[str, str]:
    return {Path(s.filepath).stem: s.id for s in dataset}


def _names(view: dc.DatasetView) -> list[str]:
    return [Path(p).stem for p in view.values("filepath")]


def _build(stages: list[Any], ids: dict[str, str]) -> list[ViewStage]:
    """Stages of a table row; a callable stands for a stage that needs the sample ids."""
    return [s(ids) if callable(s) else s for s in stages]


def _apply(dataset: dc.Dataset, stages: list[ViewStage]) -> dc.DatasetView:
    return reduce(lambda view, stage: view._add_stage(stage), stages, dataset.view())


def _check(view: dc.DatasetView, expected: list[str] | set[str]) -> None:
    got = _names(view)
    assert (set(got) if isinstance(expected, set) else got) == expected
    assert len(view) == len(expected)


def _row(stages: Any, expected: Any, id: str) -> Any:
    return pytest.param(stages if isinstance(stages, list) else [stages], expected, id=id)


SUCCESS = [
    # Match: query dicts, F expressions (compiled to queries where exact), mixtures
    _row(Match({"ground_truth.label": "cat"}), ["a", "c"], "match-dict"),
    _row(Match({"$or": [{"n": {"$gte": 4}}, {"tags": "val"}]}), ["c", "e", "f"], "match-or"),
    _row(Match(F("uniqueness") > 0.4), ["a", "c", "d"], "match-gt"),
    _row(Match(F("uniqueness") < 0.4), ["b", "e", "f"], "match-lt-includes-none"),
    _row(Match(3 < F("n")), ["e", "f"], "match-reflected"),
    _row(Match(~(F("n") > 2)), ["b", "c", "d"], "match-not"),
    _row(Match(F("n").is_in([1, 2])), ["b", "d"], "match-is-in"),
    _row(Match(F("ground_truth.label") != "cat"), ["b", "d", "e", "f"], "match-ne"),
    _row(Match(F("ground_truth").exists()), ["a", "b", "c", "d", "f"], "match-exists"),
    _row(
        Match((F("uniqueness") > 0.2) & (F("ground_truth.label") == "cat")), ["a", "c"], "match-and"
    ),  # fmt: skip
    _row(Match((F("n") > 2) & F("tags").contains("dup")), ["e", "f"], "match-and-partly-expr"),
    _row(Match(F("dets.detections").length() > 1), ["a"], "match-expr-only"),
    _row(Match({"$expr": {"$gt": ["$n", 3]}}), ["e", "f"], "match-dict-expr"),
    # MatchTags
    _row(MatchTags("dup"), ["b", "e", "f"], "tags-one"),
    _row(MatchTags(["train", "val"]), ["a", "b", "c", "f"], "tags-any"),
    _row(MatchTags(["train", "dup"], all=True), ["b"], "tags-all"),
    _row(MatchTags("dup", bool=False), ["a", "c", "d"], "tags-none-of"),
    _row(
        MatchTags(["val", "dup"], bool=False, all=True), ["a", "b", "c", "d", "e"], "tags-not-all"
    ),  # fmt: skip
    # Exists
    _row(Exists("n"), ["a", "b", "d", "e", "f"], "exists"),
    _row(Exists("n", bool=False), ["c"], "exists-not"),
    _row(Exists("ground_truth.label"), ["a", "b", "c", "d", "f"], "exists-dotted"),
    # Select / Exclude (inline here; see test_big_id_lists_use_a_collection)
    _row(lambda ids: Select([ids["c"], ids["a"]]), ["a", "c"], "select"),
    _row(
        lambda ids: Select([ids["c"], ids["a"], ids["c"]], ordered=True),
        ["c", "a"],
        "select-ordered",
    ),  # fmt: skip
    _row(lambda ids: Select(ObjectId(ids["e"])), ["e"], "select-one-objectid"),
    _row(Select([]), [], "select-none"),
    _row(lambda ids: Select([str(ObjectId())]), [], "select-unknown-id"),
    _row(
        [Match(F("n") > 0), lambda ids: Select([ids["c"], ids["b"], ids["a"]], ordered=True)],
        ["b", "a"],
        "select-after-match",
    ),  # fmt: skip
    _row(lambda ids: Exclude([ids["a"], ids["f"]]), ["b", "c", "d", "e"], "exclude"),
    _row(
        [SortBy("n", reverse=True), lambda ids: Exclude(ids["e"])],
        ["f", "a", "d", "b", "c"],
        "exclude-keeps-order",
    ),  # fmt: skip
    # FilterLabels (label contents: test_filter_labels_values)
    _row(FilterLabels("ground_truth", F("label") == "cat"), ["a", "c"], "filter-cls"),
    _row(
        FilterLabels("ground_truth", F("confidence") > 0.5, only_matches=False),
        ALL,
        "filter-cls-all",
    ),  # fmt: skip
    _row(FilterLabels("ground_truth", F("label") != "cat"), ["b", "d", "f"], "filter-cls-ne"),
    _row(FilterLabels("dets", F("confidence") > 0.85), ["a", "e"], "filter-dets"),
    _row(
        FilterLabels("dets", F("label").is_in(["dog", "bird"])), ["a", "b", "f"], "filter-dets-in"
    ),  # fmt: skip
    # SelectFields / ExcludeFields (fields kept: test_select_and_exclude_fields)
    _row(SelectFields("n"), ALL, "select-fields"),
    _row(ExcludeFields(["n", "dets"]), ALL, "exclude-fields"),
    # SortBy
    _row(SortBy("uniqueness"), ["f", "b", "e", "c", "d", "a"], "sort"),
    _row(SortBy("uniqueness", reverse=True), ["a", "d", "c", "e", "b", "f"], "sort-reverse"),
    _row(SortBy("ground_truth.confidence"), ["e", "d", "b", "c", "a", "f"], "sort-dotted"),
    _row(SortBy("id", reverse=True), ["f", "e", "d", "c", "b", "a"], "sort-id"),
    _row(SortBy(F("n") * -1), ["c", "e", "f", "a", "d", "b"], "sort-expr"),
    # Limit / Skip
    _row(Limit(2), ["a", "b"], "limit"),
    _row(Limit(0), [], "limit-0"),
    _row(Skip(4), ["e", "f"], "skip"),
    _row(Skip(0), ["a", "b", "c", "d", "e", "f"], "skip-0"),
    _row([Skip(1), Limit(2)], ["b", "c"], "skip-limit"),
    _row([SortBy("n"), Limit(3)], ["c", "b", "d"], "sort-limit"),
    # Take / Shuffle (reproducibility: test_take_and_shuffle_are_seeded)
    _row(Take(3, seed=5), 3, "take"),
    _row(Take(6, seed=1), ALL, "take-all"),
    _row(Take(0), [], "take-0"),
    _row([MatchTags("dup"), Take(3, seed=2)], {"b", "e", "f"}, "take-after-match"),
    _row(Shuffle(seed=3), ALL, "shuffle"),
    # GroupBy
    _row(GroupBy("ground_truth.label"), ["e", "a", "c", "b", "f", "d"], "group"),
    _row(
        GroupBy("ground_truth.label", order_by="uniqueness"),
        ["e", "c", "a", "f", "b", "d"],
        "group-order-by",
    ),  # fmt: skip
    # Mongo
    _row(Mongo([{"$match": {"n": {"$gt": 2}}}, {"$sort": {"n": -1}}]), ["e", "f", "a"], "mongo"),
    _row(Mongo([]), ["a", "b", "c", "d", "e", "f"], "mongo-empty"),
    # chains
    _row(
        [Match(F("uniqueness") > 0.2), SortBy("uniqueness", reverse=True), Limit(2)],
        ["a", "d"],
        "chain",
    ),  # fmt: skip
    _row([MatchTags("dup"), Exists("n"), SortBy("n"), Skip(1)], ["f", "e"], "chain-2"),
]


@pytest.mark.parametrize(("stages", "expected"), SUCCESS)
def test_stage_succeeds(ds, stages, expected):
    built = _build(stages, _ids(ds))
    view = _apply(ds, built)
    if isinstance(expected, int):
        assert len(view) == expected and len(set(_names(view))) == expected
    else:
        _check(view, expected)

    # JSON round trip: equal stages, the same samples in the same order
    back = [ViewStage.from_dict(json.loads(json.dumps(s.to_dict()))) for s in built]
    assert back == built
    assert [hash(s) for s in back] == [hash(s) for s in built]
    assert _names(_apply(ds, back)) == _names(view)


CONSTRUCTION_FAILURES = [
    (Match, (5,), {}, r"Match takes a query dict or an F expression; got 5 \(int\)"),
    (Match, ({"a": {1, 2}},), {}, r"Match filter.a is \{1, 2\} of type set"),
    (Match, ({"a": {"$in": [object()]}},), {}, r"Match filter.a.\$in\[0\] is <object"),
    (Match, ({"a": 2**70},), {}, r"Match filter.a = \d+ does not fit in 64 bits"),
    (Match, ({1: 2},), {}, r"Match filter has a key 1 that is not a str"),
    (MatchTags, (5,), {}, r"MatchTags tags must be a str or a non-empty list of str; got 5"),
    (MatchTags, ([],), {}, r"non-empty list of str; got \[\]"),
    (MatchTags, (["a", 3],), {}, r"MatchTags tags must be"),
    (MatchTags, ("a",), {"bool": "no"}, r"MatchTags bool must be True or False; got 'no'"),
    (MatchTags, ("a",), {"all": 1}, r"MatchTags all must be True or False"),
    (Exists, ("",), {}, r"Exists field must be a field name \(a non-empty str\); got ''"),
    (Select, (["nope"],), {}, r"Select: 'nope' is not a sample id; pass ids"),
    (Select, ([None],), {}, r"Select: None is not a sample id"),
    (Select, (5,), {}, r"Select takes sample ids or samples; got 5"),
    (Select, ([],), {"ordered": "yes"}, r"Select ordered must be True or False"),
    (Exclude, (["x" * 24],), {}, r"Exclude: 'xxxx.*' is not a sample id"),
    (FilterLabels, ("ground_truth", "cat"), {}, r"FilterLabels filter must be an F expression"),
    (FilterLabels, ("", F("label") == "x"), {}, r"FilterLabels field must be a field name"),
    (SelectFields, (5,), {}, r"SelectFields field_names must be a str or a list of str"),
    (ExcludeFields, ("filepath",), {}, r"default fields \['id', 'filepath'.*are always kept"),
    (ExcludeFields, ([],), {}, r"ExcludeFields needs user fields to exclude; got \[\]"),
    (SortBy, (5,), {}, r"SortBy takes a field name or an F expression; got 5"),
    (SortBy, ("",), {}, r"SortBy takes a field name"),
    (SortBy, ("n",), {"reverse": None}, r"SortBy reverse must be True or False"),
    (Limit, (-1,), {}, r"Limit limit must be an int >= 0; got -1"),
    (Limit, (True,), {}, r"Limit limit must be an int >= 0; got True"),
    (Skip, ("3",), {}, r"Skip skip must be an int >= 0; got '3'"),
    (Take, (2.5,), {}, r"Take size must be an int >= 0; got 2.5"),
    (Take, (2,), {"seed": "x"}, r"Take seed must be an int or None; got 'x'"),
    (Shuffle, (1.5,), {}, r"Shuffle seed must be an int or None"),
    (GroupBy, (None,), {}, r"GroupBy field must be a field name"),
    (GroupBy, ("n",), {"order_by": 3}, r"GroupBy order_by must be a field name"),
    (Mongo, ("x",), {}, r"Mongo takes a list of aggregation steps; got 'x'"),
    (Mongo, ([{"$match": {}, "$sort": {}}],), {}, r"Mongo pipeline\[0\] must be a dict with one"),
    (Mongo, ([{"$limit": 1}, {"match": {}}],), {}, r"Mongo pipeline\[1\] .*; got \{'match'"),
    (Mongo, ([{"$match": {"a": {1}}}],), {}, r"Mongo pipeline\[0\].\$match.a is \{1\}"),
]


@pytest.mark.parametrize(("cls", "args", "kwargs", "message"), CONSTRUCTION_FAILURES)
def test_stage_construction_fails(cls, args, kwargs, message):
    with pytest.raises(dc.ViewError, match=message):
        cls(*args, **kwargs)


FROM_DICT_FAILURES = [
    ("Match", r"A stage dict is \{'_cls': <stage>, 'kwargs': \{...\}\}; got 'Match'"),
    ({"kwargs": {}}, r"A stage dict is"),
    ({"_cls": "Limit", "kwargs": {"limit": 1}, "x": 1}, r"A stage dict is"),
    ({"_cls": "Nope"}, r"Unknown stage 'Nope'; stages: \['Exclude', 'ExcludeFields', 'Exclude"),
    ({"_cls": "ViewStage"}, r"Unknown stage 'ViewStage'"),
    ({"_cls": "_IdStage"}, r"Unknown stage '_IdStage'"),
    (
        {"_cls": "Limit", "kwargs": {}},
        r"Limit stage dict has missing kwargs \['limit'\]; "
        r"Limit takes \['limit'\]",
    ),  # fmt: skip
    (
        {"_cls": "Take", "kwargs": {"size": 1, "sed": 2}},
        r"Take stage dict has unknown kwargs \['sed'\]; Take takes \['size', 'seed'\]",
    ),  # fmt: skip
    ({"_cls": "Limit", "kwargs": [["limit", 1]]}, r"Limit kwargs must be a dict of \['limit'\]"),
    ({"_cls": "Limit", "kwargs": {"limit": -1}}, r"Limit limit must be an int >= 0; got -1"),
    ({"_cls": "Match", "kwargs": {"filter": {"_id": {"$oid": "zz"}}}}, r"Bad Match stage dict"),
    ({"_cls": "Match", "kwargs": {"filter": {"$expr": 1, "a": 2}}}, None),  # a valid query
    ({"_cls": "SortBy", "kwargs": {"field_or_expr": 3}}, r"SortBy takes a field name"),
]


@pytest.mark.parametrize(("d", "message"), FROM_DICT_FAILURES)
def test_from_dict_fails(d, message):
    if message is None:
        assert isinstance(ViewStage.from_dict(d), Match)
        return
    with pytest.raises(dc.ViewError, match=message):
        ViewStage.from_dict(d)


FIELDS = r"fields: \['id', 'filepath', 'tags', 'metadata', 'created_at', 'last_modified_at', "
SCHEMA_FAILURES = [
    (lambda ds: ds.sort_by("nope"), dc.FieldNotFoundError, r"Field 'nope' not found .*" + FIELDS),
    (lambda ds: ds.sort_by(F("nope") * 2), dc.FieldNotFoundError, r"Field 'nope' not found"),
    (lambda ds: ds.match({"lable": "x"}), dc.FieldNotFoundError, r"Field 'lable' not found"),
    (lambda ds: ds.match({"$or": [{"n": 1}, {"m": 2}]}), dc.FieldNotFoundError, r"Field 'm'"),
    (lambda ds: ds.match(F("nope.x") > 1), dc.FieldNotFoundError, r"Field 'nope' not found"),
    (lambda ds: ds.exists("nope"), dc.FieldNotFoundError, r"Field 'nope' not found"),
    (lambda ds: ds.select_fields(["n", "nope"]), dc.FieldNotFoundError, r"Field 'nope'"),
    (lambda ds: ds.exclude_fields("nope"), dc.FieldNotFoundError, r"Field 'nope'"),
    (lambda ds: ds.group_by("nope"), dc.FieldNotFoundError, r"Field 'nope'"),
    (lambda ds: ds.group_by("n", order_by="nope"), dc.FieldNotFoundError, r"Field 'nope'"),
    (lambda ds: ds.filter_labels("nope", F("label") == "x"), dc.FieldNotFoundError, "'nope'"),
    (
        lambda ds: ds.filter_labels("n", F("label") == "x"),
        dc.ViewError,
        r"'n' is IntField, not a label field; label fields: \['ground_truth', 'dets'\]",
    ),  # fmt: skip
    (
        lambda ds: ds.take(7),
        dc.ViewError,
        r"take\(7\) from Dataset 'stages' of 6 samples; take at most 6, or use shuffle\(\)",
    ),
    (lambda ds: ds.match_tags("dup").take(4), dc.ViewError, r"take\(4\) from .* of 3 samples"),
    (lambda ds: ds.match_tags(None), dc.ViewError, r"MatchTags tags must be a str"),
    (lambda ds: ds.select(["nope"]), dc.ViewError, r"Select: 'nope' is not a sample id"),
    (lambda ds: ds[-2:], dc.ViewError, r"Slice views with non-negative ints and no step"),
    (lambda ds: ds[::2], dc.ViewError, r"no step, like \[10:20\]; got slice\(None, None, 2\)"),
    (lambda ds: ds.view()[1], dc.SampleIndexError, r"not looked up by position \(got 1\)"),
]


@pytest.mark.parametrize(("make", "error", "message"), SCHEMA_FAILURES)
def test_stage_fails_against_the_schema(ds, make, error, message):
    with pytest.raises(error, match=message):
        make(ds)


def test_filter_labels_values(ds):
    view = ds.filter_labels("ground_truth", F("confidence") > 0.5, only_matches=False)
    assert view.values("ground_truth.label") == ["cat", None, "cat", None, None, "dog"]
    view = ds.filter_labels("dets", F("confidence") > 0.85, only_matches=False)
    got = [[d.label for d in v.detections] if v else v for v in view.values("dets")]
    assert got == [["cat"], [], [], None, ["cat"], []]
    # F() is the label itself
    view = ds.filter_labels("dets", F().exists() & (F("label") == "dog"))
    assert [[d.label for d in v.detections] for v in view.values("dets")] == [["dog"], ["dog"]]
    assert ds.count() == 6  # the dataset is untouched


def test_select_and_exclude_fields(ds):
    doc = ds.select_fields("n").first()._doc
    assert set(doc) == {"_id", "_rand", "filepath", "tags", "metadata", "created_at",
                        "last_modified_at", "n"}  # fmt: skip
    assert ds.select_fields(["ground_truth.label", "ground_truth"]).first().ground_truth.label
    assert "dets" not in ds.exclude_fields("dets").first()._doc
    sample = ds.exclude_fields("dets").first()
    assert sample.n == 3 and sample.excluded_field_names == {"dets"}
    with pytest.raises(AttributeError, match="not in this view"):
        _ = sample.dets  # excluded: not there, rather than None (FiftyOne's SampleView)
    assert ds.select_fields().take(2, seed=1).count() == 2  # _rand is kept for take


def test_match_uses_the_query_language_and_the_index(ds):
    ds.create_index("uniqueness")
    view = ds.match(F("uniqueness") > 0.4).sort_by("uniqueness").limit(2)
    pipeline = view._pipeline()
    assert pipeline[0] == {"$match": {"uniqueness": {"$gt": 0.4}}}
    plan = ds._coll.database.command(
        "aggregate", ds._coll.name, pipeline=pipeline, explain=True, cursor={}
    )
    assert "IXSCAN" in json.dumps(plan, default=str)
    lt = ds.match(F("uniqueness") <= 0.3)._pipeline()[0]["$match"]["$or"]
    assert lt[:2] == [{"uniqueness": {"$lte": 0.3}}, {"uniqueness": None}]
    assert math.isnan(lt[2]["uniqueness"])  # $expr ranks null, missing and NaN lowest
    assert "$expr" in ds.match(F("tags").contains("dup"))._pipeline()[0]["$match"]


REWRITE_PARITY = [
    F("x") > 1,
    F("x") >= 1,
    F("x") < 1,
    F("x") <= 1,
    F("x") == 1,
    F("x") != 1,
    1 < F("x"),
    F("x").is_in([1, 2.5]),
    F("x").exists(),
    ~(F("x") > 1),
    (F("x") > 0) | (F("s") == "b"),
    (F("x") > 0) & (F("s") < "b"),
    F("s") > "a",
    F("s") <= "b",
    F("c.label") == "cat",
    F("c.confidence") < 0.5,
    F("c").exists(),
]


@pytest.mark.parametrize("expr", REWRITE_PARITY, ids=[repr(e) for e in REWRITE_PARITY])
def test_query_rewrite_matches_expr_semantics(database, expr):
    """Where Match rewrites $expr into a query, it selects exactly what $expr does."""
    ds = dc.Dataset("parity")
    values = [None, 0, 1, 2.5, -3, math.nan]
    strings = [None, "a", "b", "c", "", "b"]
    labels = [None, "cat", "dog", None, "cat", "cat"]
    ds.add_samples([
        dc.Sample(f"/p/{i}.jpg", x=x, s=s,
                  c=dc.Classification(label=lb, confidence=i / 10) if lb else None)
        for i, (x, s, lb) in enumerate(zip(values, strings, labels, strict=True))
    ])  # fmt: skip
    ds.add_sample(dc.Sample("/p/missing.jpg"))  # x, s, c missing altogether
    raw = ds.mongo([{"$match": {"$expr": expr.to_mongo()}}])
    assert sorted(ds.match(expr).values("filepath")) == sorted(raw.values("filepath"))


def test_take_and_shuffle_are_seeded(database):
    ds = dc.Dataset("seeded")
    ds.add_samples([dc.Sample(f"/s/{i}.jpg") for i in range(50)])
    first = ds.take(10, seed=51).values("id")
    assert len(set(first)) == 10
    assert ds.take(10, seed=51).values("id") == first  # another view, same seed
    assert ds.take(10, seed=52).values("id") != first
    unseeded = ds.take(10)
    assert unseeded.values("id") == unseeded.values("id")  # a seed was drawn once
    order = ds.shuffle(seed=7).values("id")
    assert sorted(order) == sorted(ds.values("id")) and order != ds.values("id")
    assert ds.shuffle(seed=7).values("id") == order
    assert ds.shuffle(seed=8).values("id") != order


def test_repr_reads_like_the_call():
    oid = "65a1b2c3d4e5f60718293a4b"
    assert repr(Match({"a": 1})) == "Match({'a': 1})"
    assert repr(SortBy("uniqueness", reverse=True)) == "SortBy('uniqueness', reverse=True)"
    assert repr(MatchTags("dup", bool=False)) == "MatchTags(['dup'], bool=False)"
    assert repr(Take(3, seed=4)) == "Take(3, seed=4)"
    assert repr(Select([oid], ordered=True)) == f"Select(['{oid}'], ordered=True)"
    many = repr(Select([str(ObjectId()) for _ in range(1000)]))
    assert many.endswith("...])") and len(many) < 200
    assert repr(Match(F("n") > 1)) == "Match(ViewExpression({'$gt': ['$n', 1]}))"


def test_equality_and_hash():
    assert Match({"a": 1}) == Match({"a": 1}) and Match({"a": 1}) != Match({"a": 2})
    assert Match({"a": 1}) != Mongo([{"$match": {"a": 1}}])
    assert len({Limit(1), Limit(1), Skip(1)}) == 2
    oids = [ObjectId() for _ in range(3)]
    assert Select(oids) == Select(oids[::-1])  # unordered: the same set
    assert Select(oids, ordered=True) != Select(oids[::-1], ordered=True)
    assert Select(oids) != Exclude(oids)
    assert Match(F("n") > 1) == Match({"$expr": {"$gt": ["$n", 1]}})


def test_to_dict_is_json(ds):
    when = ds.first().created_at
    stage = Match({"_id": ObjectId("65a1b2c3d4e5f60718293a4b"), "created_at": {"$lt": when}})
    d = json.loads(json.dumps(stage.to_dict()))
    assert d["kwargs"]["filter"]["_id"] == {"$oid": "65a1b2c3d4e5f60718293a4b"}
    assert set(d["kwargs"]["filter"]["created_at"]["$lt"]) == {"$date"}
    assert ViewStage.from_dict(json.loads(json.dumps(d))) == stage
    assert SortBy(F("n") * 2).to_dict() == {
        "_cls": "SortBy", "kwargs": {"field_or_expr": {"$expr": {"$multiply": ["$n", 2]}},
                                     "reverse": False}}  # fmt: skip


@pytest.mark.parametrize("filter_bound", [1, 100], ids=["filters-lookup", "filters-inline"])
@pytest.mark.parametrize("ordered", [False, True], ids=["unordered", "ordered"])
def test_big_id_lists_use_a_collection(ds, monkeypatch, ordered, filter_bound):
    """Past the inline bounds, ids are read from a temporary collection, not the pipeline."""
    ids = _ids(ds)
    monkeypatch.setattr(idsets, "MAX_INLINE_IDS", 1)
    monkeypatch.setattr(idsets, "MAX_INLINE_ORDERED_IDS", 1)
    monkeypatch.setattr(idsets, "MAX_INLINE_FILTER_IDS", filter_bound)
    monkeypatch.setattr(idsets, "LOOKUP_CHUNK", 3)  # several chunks
    chosen = [ids[k] for k in "fdbe"]
    want = ["f", "d", "b", "e"] if ordered else ["b", "d", "e", "f"]

    def uses(view: dc.DatasetView) -> tuple[bool, bool]:
        text = json.dumps(view._pipeline(), default=str)
        return "$lookup" in text, chosen[0] in text

    first = ds.select(chosen, ordered=ordered)
    assert "$unionWith" in json.dumps(first._pipeline()) and uses(first)[1] is False
    assert _names(first) == want and len(first) == 4

    inline = filter_bound > 1  # membership inline; the order still from the collection
    later = ds.match_tags("val", bool=False).select(chosen, ordered=ordered)
    assert uses(later) == (ordered or not inline, inline)
    assert _names(later) == [n for n in want if n != "f"]

    excluded = ds.sort_by("n").exclude(chosen)
    assert uses(excluded) == (not inline, inline)
    assert _names(excluded) == ["c", "a"]

    # one collection per list, shared by the stages that use it; an exclusion's list
    # is unordered (stored sorted), so it is the unordered selection's list
    count = 2 if ordered and not inline else 1
    assert len(_id_collections(ds)) == count
    assert len(ds.select(chosen[:3], ordered=ordered)) == 3
    assert len(_id_collections(ds)) == count + 1


def _id_collections(ds: dc.Dataset) -> list[str]:
    names = ds._coll.database.list_collection_names()
    return [n for n in names if n.startswith(idsets.PREFIX)]


def test_unused_id_collections_are_swept(ds, monkeypatch):
    monkeypatch.setattr(idsets, "MAX_INLINE_IDS", 1)
    ids = list(_ids(ds).values())
    db = ds._coll.database
    old = ds.select(ids[:2])._pipeline()[1]["$unionWith"]["coll"]
    assert old in db.list_collection_names()
    stale = utcnow() - 2 * idsets.UNUSED_TTL
    db[idsets.REGISTRY].update_one({"_id": old}, {"$set": {"used_at": stale}})
    idsets._known.clear()
    new = ds.select(ids[2:4])._pipeline()[1]["$unionWith"]["coll"]
    assert new in db.list_collection_names() and old not in db.list_collection_names()
    assert _names(ds.select(ids[:2])) == ["a", "b"]  # recreated when used again
