"""Typed aggregations and raw pipelines, against the real mongod."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from bson import ObjectId

import dataset_core as dc
from dataset_core import F, aggregations
from dataset_core.collection import SampleCollection

ROOT = Path(__file__).resolve().parents[2]
N = 40
LABELS = ["cat", "dog", "owl", "cat"]
TAGS = [[], ["train"], ["train", "hard"]]
DET_LABELS = [[], ["car"], ["car", "person"], ["person", "person", "bike"]]
UNIQ = np.random.default_rng(0).random(N).round(6).tolist()


def _label(i):
    return None if i % 5 == 0 else LABELS[i % 4]


def _dets(i):
    return [
        dc.Detection(label=lab, confidence=round(0.1 * (k + 1) + i / 1000, 4))
        for k, lab in enumerate(DET_LABELS[i % 4])
    ]


@pytest.fixture
def ds(database):
    dataset = dc.Dataset("stats")
    dataset.add_sample_field("never_set", float)
    dataset.add_samples(
        dc.Sample(
            f"/data/{i}.jpg",
            tags=TAGS[i % 3],
            ground_truth=dc.Classification(label=_label(i)) if _label(i) else None,
            uniqueness=UNIQ[i],
            n=i,
            name=f"s{i % 7}",
            dets=dc.Detections(detections=_dets(i)),
        )
        for i in range(N)
    )
    return dataset


CONFIDENCES = [d.confidence for i in range(N) for d in _dets(i)]

SUCCESSES = [
    (dc.Count(), N),
    (dc.Count("ground_truth"), sum(1 for i in range(N) if _label(i))),
    (dc.Count("never_set"), 0),
    (dc.CountValues("ground_truth.label"), dict(Counter(_label(i) for i in range(N)))),
    (dc.CountValues("tags"), dict(Counter(t for i in range(N) for t in TAGS[i % 3]))),
    (
        dc.CountValues("dets.detections.label"),
        dict(Counter(lab for i in range(N) for lab in DET_LABELS[i % 4])),
    ),
    (dc.CountValues("name"), dict(Counter(f"s{i % 7}" for i in range(N)))),
    (dc.CountValues("never_set"), {None: N}),
    (dc.Distinct("ground_truth.label"), ["cat", "dog", "owl"]),
    (dc.Distinct("tags"), ["hard", "train"]),
    (dc.Distinct("dets.detections.label"), ["bike", "car", "person"]),
    (dc.Distinct("never_set"), []),
    (dc.Bounds("uniqueness"), (min(UNIQ), max(UNIQ))),
    (dc.Bounds("n"), (0, N - 1)),
    (dc.Bounds("dets.detections.confidence"), (min(CONFIDENCES), max(CONFIDENCES))),
    (dc.Bounds("never_set"), (None, None)),
    (dc.Sum("n"), N * (N - 1) // 2),
    (dc.Sum("never_set"), 0),
    (dc.Mean("never_set"), 0),  # FiftyOne: 0 when there are no values
    (dc.Std("never_set"), 0),
    (dc.Values("n"), list(range(N))),
    (dc.Values("ground_truth.label"), [_label(i) for i in range(N)]),
]


@pytest.mark.parametrize("agg, expected", SUCCESSES, ids=repr)
def test_typed_aggregations(ds, agg, expected):
    assert ds.aggregate(agg) == expected


FLOATS = [
    (dc.Mean("uniqueness"), np.mean(UNIQ)),
    (dc.Mean("dets.detections.confidence"), np.mean(CONFIDENCES)),
    (dc.Sum("uniqueness"), np.sum(UNIQ)),
    (dc.Std("uniqueness"), np.std(UNIQ)),
    (dc.Std("uniqueness", sample=True), np.std(UNIQ, ddof=1)),
    (dc.Std("n"), np.std(np.arange(N))),
]


@pytest.mark.parametrize("agg, expected", FLOATS, ids=repr)
def test_float_aggregations_match_numpy(ds, agg, expected):
    assert ds.aggregate(agg) == pytest.approx(expected, rel=1e-12)


HISTOGRAMS = [
    ("uniqueness", 10, None, UNIQ),
    ("uniqueness", 7, (0.25, 0.75), UNIQ),
    ("n", 4, None, list(range(N))),
    ("n", 13, (-5, 50), list(range(N))),
    ("dets.detections.confidence", 5, None, CONFIDENCES),
    ("never_set", 3, None, []),
]


@pytest.mark.parametrize("field, bins, rng, data", HISTOGRAMS)
def test_histogram_values_match_numpy(ds, field, bins, rng, data):
    counts, edges, other = ds.histogram_values(field, bins=bins, range=rng)
    np_counts, np_edges = np.histogram(data, bins=bins, range=rng)
    assert counts == np_counts.tolist()
    # FiftyOne's third value: what no bin holds (out of range, or None: never_set)
    assert other == len(data) - np_counts.sum() + (N if field == "never_set" else 0)
    assert edges == pytest.approx(np_edges.tolist(), rel=1e-12)


def test_histogram_edge_values_land_in_numpys_bins(database):
    # 0.3 * 10 rounds to 3.0000000000000004 although 0.3 < edge 3 (0.30000000000000004)
    values = [round(0.1 * k, 10) for k in range(11)] + [5.0, 5.0]
    ds = dc.Dataset("edges")
    ds.add_samples(dc.Sample(f"/e/{i}.jpg", v=v) for i, v in enumerate(values))
    assert (
        ds.histogram_values("v", 10, range=(0, 1))[0]
        == np.histogram(values, 10, (0, 1))[0].tolist()
    )
    const = ds.match({"v": 5.0})  # a constant field gets numpy's (v - 0.5, v + 0.5)
    assert const.histogram_values("v", 4) == ([0, 0, 2, 0], [4.5, 4.75, 5.0, 5.25, 5.5], 0)


def test_shortcut_methods_equal_aggregations(ds):
    assert ds.count_values("tags") == ds.aggregate(dc.CountValues("tags"))
    assert ds.distinct("name") == [f"s{i}" for i in range(7)]
    assert ds.bounds("n") == (0, N - 1)
    assert ds.mean("n") == pytest.approx((N - 1) / 2)
    assert ds.sum("n") == N * (N - 1) // 2
    assert ds.std("n", sample=True) == pytest.approx(np.std(np.arange(N), ddof=1))
    for field in ("n", "id", "ground_truth", "dets.detections.label", "dets"):
        assert ds.aggregate(dc.Values(field)) == ds.values(field)


def test_several_aggregations_in_one_round_trip(ds, monkeypatch):
    calls = []
    original = SampleCollection._aggregate

    def counting(self, extra=None):
        calls.append(extra)
        return original(self, extra)

    monkeypatch.setattr(SampleCollection, "_aggregate", counting)
    aggs = [dc.Count(), dc.Bounds("uniqueness"), dc.CountValues("tags"), dc.Values("n")]
    count, bounds, tags, values = ds.aggregate(aggs)
    assert len(calls) == 1 and "$facet" in calls[0][0]
    assert count == N and bounds == (min(UNIQ), max(UNIQ)) and values == list(range(N))
    assert tags == ds.count_values("tags")
    calls.clear()
    # an unranged histogram needs its bounds first: two round trips, not more
    hist, mean = ds.aggregate([dc.HistogramValues("uniqueness", 5), dc.Mean("n")])
    assert len(calls) == 2
    assert hist[0] == np.histogram(UNIQ, 5)[0].tolist() and mean == pytest.approx((N - 1) / 2)
    assert ds.aggregate([]) == []


def test_raw_pipeline_runs_after_the_collections_stages(ds):
    pipeline = [
        {"$group": {"_id": "$name", "count": {"$sum": 1}}},
        {"$match": {"count": {"$gt": 5}}},
        {"$sort": {"_id": 1}},
    ]
    expected = [
        {"_id": f"s{k}", "count": c}
        for k, c in sorted(Counter(i % 7 for i in range(N)).items())
        if c > 5
    ]
    assert ds.aggregate(pipeline) == expected
    assert ds.aggregate(tuple(pipeline)) == expected


VIEWS = [
    lambda ds: ds.match(F("n") > 10),
    lambda ds: ds.match_tags("hard").sort_by("uniqueness", reverse=True),
    lambda ds: ds.sort_by("uniqueness").limit(15),
    lambda ds: ds.filter_labels("dets", F("label") == "person"),
    lambda ds: ds.exists("ground_truth").skip(3),
]


@pytest.mark.parametrize("make_view", VIEWS)
def test_aggregations_run_after_the_views_stages(ds, make_view):
    view = make_view(ds)
    labels = view.values("ground_truth.label")
    nums = view.values("n")
    dets = [d.label for v in view.values("dets") for d in (v.detections if v else [])]
    assert view.count_values("ground_truth.label") == dict(Counter(labels))
    assert view.count_values("dets.detections.label") == dict(Counter(dets))
    assert view.distinct("tags") == sorted({t for ts in view.values("tags") for t in ts})
    assert view.bounds("n") == (min(nums), max(nums))
    assert view.sum("n") == sum(nums) and view.mean("n") == pytest.approx(np.mean(nums))
    count, hist = view.aggregate([dc.Count(), dc.HistogramValues("n", 4)])
    assert count == len(nums) and hist[0] == np.histogram(nums, 4)[0].tolist()
    first = view.aggregate([{"$limit": 1}, {"$project": {"_id": 0, "n": 1}}])
    assert first == [{"n": nums[0]}]  # the raw pipeline sees the view's order


def test_aggregations_on_an_empty_dataset(database):
    empty = dc.Dataset("empty")
    empty.add_sample_field("x", float)
    count, values, bounds, hist = empty.aggregate(
        [dc.Count(), dc.CountValues("x"), dc.Bounds("x"), dc.HistogramValues("x", 2)]
    )
    assert (count, values, bounds) == (0, {}, (None, None))
    assert hist == ([0, 0], [0.0, 0.5, 1.0], 0)


FAILURES = [
    (
        lambda ds: ds.count_values("lable"),
        dc.FieldNotFoundError,
        "Field 'lable' not found.*fields: \\[",
    ),
    (
        lambda ds: ds.count_values("ground_truth"),
        dc.ViewError,
        "holds whole .*'ground_truth.label'",
    ),
    (lambda ds: ds.distinct("dets"), dc.ViewError, "pass a path to a value inside it"),
    (
        lambda ds: ds.histogram_values("name"),
        dc.ViewError,
        "needs a numeric or date field; 'name' holds str",
    ),
    (
        lambda ds: ds.histogram_values("n", bins=0),
        dc.ViewError,
        "bins must be a positive int; got 0",
    ),
    (lambda ds: ds.histogram_values("n", range=(2, 1)), dc.ViewError, "lower <= upper"),
    (lambda ds: ds.histogram_values("n", range="ab"), dc.ViewError, "range must be"),
    (lambda ds: dc.Count(3), dc.ViewError, "takes a field name .* got 3"),
    (lambda ds: dc.Mean(""), dc.ViewError, "takes a field name"),
    (
        lambda ds: ds.aggregate([{"$match": {}}, {"match": {}}]),
        dc.ViewError,
        "Pipeline step 1 is not a stage: {'match': {}}; each step is a dict",
    ),
    (lambda ds: ds.aggregate([{"$match": {}, "$limit": 1}]), dc.ViewError, "Pipeline step 0"),
    (
        lambda ds: ds.aggregate(["$match"]),
        dc.ViewError,
        "Pipeline step 0 is not a stage: '\\$match'",
    ),
    (lambda ds: ds.aggregate({"$match": {}}), dc.ViewError, "aggregate\\(\\) takes an Aggregation"),
    (lambda ds: ds.aggregate([dc.Count(), {"$match": {}}]), dc.ViewError, "takes an Aggregation"),
    (
        lambda ds: ds.aggregate([{"$gruop": {"_id": 1}}]),
        dc.ViewError,
        "MongoDB rejected the aggregation .*gruop",
    ),
    (
        lambda ds: dc.Aggregation.from_dict({"_cls": "Median"}),
        dc.ViewError,
        "Unknown aggregation 'Median'; use one of",
    ),
]


@pytest.mark.parametrize("call, error, match", FAILURES)
def test_bad_aggregations(ds, call, error, match):
    with pytest.raises(error, match=match):
        call(ds)


@pytest.mark.parametrize(
    "agg",
    [dc.Count(), dc.Count("n"), dc.Std("n", sample=True), dc.HistogramValues("n", 5, (0, 1))],
    ids=repr,
)
def test_aggregations_round_trip_through_dicts(agg):
    d = agg.to_dict()
    assert d["_cls"] == type(agg).__name__
    assert aggregations.Aggregation.from_dict(d) == agg
    assert repr(agg).startswith(type(agg).__name__ + "(")


def test_to_pipeline_needs_no_database_until_run(database):
    ds = dc.Dataset("compile")
    ds.add_sample_field("u", float)
    assert dc.Bounds("u").to_pipeline(ds) == [
        {"$group": {"_id": None, "min": {"$min": "$u"}, "max": {"$max": "$u"}}}
    ]
    assert dc.Count("u").to_pipeline(ds) == [{"$match": {"u": {"$ne": None}}}, {"$count": "n"}]


def test_a_batch_over_16_mb_says_to_run_alone(database):
    big = dc.Dataset("big")
    big.add_samples(dc.Sample(f"/b/{i}.jpg", s="x" * 1000 + str(i)) for i in range(17_000))
    with pytest.raises(dc.ViewError, match="too large for one document .* run Values, Count"):
        big.aggregate([dc.Count(), dc.Values("s")])
    assert len(big.aggregate(dc.Values("s"))) == 17_000  # alone, it streams


# -- issue 13: FiftyOne's behaviour on lists, ids, dates; Min, Max, Quantiles ---------

TODAY = date(2024, 5, 17)
NOW = datetime(2024, 5, 17, 12, 30, 0)


@pytest.fixture
def lists(database):
    """Five samples shaped like FiftyOne's aggregation tests: lists of numbers,
    detections with one unlabelled, a sample with no detections, dates."""
    dataset = dc.Dataset("lists")
    dataset.add_sample_field("numbers", dc.ListField, subfield=dc.IntField())
    dets = [["cat", "dog"], ["cat", "rabbit", "squirrel"], ["elephant", None], None, None]
    dataset.add_samples(
        dc.Sample(
            f"/l/{i}.jpg",
            tags=["a", "b"][: i % 3],
            number=i,
            numbers=[i, 10 * i],
            day=TODAY - timedelta(days=i),
            when=NOW - timedelta(hours=i),
            pred=None
            if d is None
            else dc.Detections(
                detections=[
                    dc.Detection(label=lab, confidence=0.1 * (k + 1)) for k, lab in enumerate(d)
                ]  # fmt: skip
            ),
            cls=dc.Classification(label=f"c{i % 2}"),
        )
        for i, d in enumerate(dets)
    )
    return dataset


def test_count_counts_the_elements_of_lists(lists):
    assert lists.count("tags") == 0 + 1 + 2 + 0 + 1
    assert lists.count("numbers") == 10
    assert lists.count("pred") == 3  # samples with detections
    assert lists.count("pred.detections") == 7
    assert lists.count("pred.detections.label") == 6  # one detection has no label
    assert lists.count("pred.detections[].label") == 6
    assert lists.count("pred.detections.id") == 7 and lists.count("id") == 5
    assert lists.aggregate([dc.Count("number"), dc.Count("numbers")]) == [5, 10]


def test_count_values_and_distinct_unwind_lists(lists):
    labels = {"cat": 2, "dog": 1, "rabbit": 1, "squirrel": 1, "elephant": 1, None: 1}
    assert lists.count_values("pred.detections.label") == labels
    assert lists.count_values("pred.detections[].label") == labels
    assert lists.count_values("numbers") == {0: 2, 1: 1, 10: 1, 2: 1, 20: 1, 3: 1, 30: 1,
                                             4: 1, 40: 1}  # fmt: skip
    assert lists.distinct("pred.detections.label") == ["cat", "dog", "elephant", "rabbit",
                                                       "squirrel"]  # fmt: skip
    ids = lists.distinct("pred.detections.id")
    assert len(ids) == 7 and all(isinstance(i, str) for i in ids)
    assert all(isinstance(i, ObjectId) for i in lists.distinct("pred.detections._id"))
    assert sorted(lists.count_values("cls.id").values()) == [1] * 5


def test_min_max_and_numeric_aggregations_of_list_paths(lists):
    assert (lists.min("numbers"), lists.max("numbers")) == (0, 40)
    assert lists.bounds("numbers") == (0, 40)
    assert lists.min("pred.detections.confidence") == pytest.approx(0.1)
    assert lists.max("pred.detections.confidence") == pytest.approx(0.3)
    assert lists.sum("numbers") == 110 and lists.mean("numbers") == 11
    assert lists.std("numbers") == pytest.approx(np.std([x for i in range(5) for x in (i, 10 * i)]))
    assert lists.aggregate([dc.Min("number"), dc.Max("number")]) == [0, 4]
    lo, hi = lists.bounds("id")
    assert isinstance(lo, str) and lo == min(lists.values("id"))


@pytest.mark.parametrize("q", [0, 0.1, 0.25, 0.5, 0.51, 0.75, 0.99, 1])
def test_quantiles_are_numpys_inverted_cdf(lists, q):
    values = [x for i in range(5) for x in (i, 10 * i)]
    expected = float(np.quantile(values, q, method="inverted_cdf"))
    assert lists.quantiles("numbers", q) == expected
    assert lists.quantiles("numbers", [q, 1]) == [expected, 40]


def test_quantiles_of_nothing_and_bad_quantiles(lists):
    lists.add_sample_field("unset", float)
    assert lists.quantiles("unset", 0.5) is None
    assert lists.quantiles("unset", [0.5]) == [None]
    assert lists.quantiles("number", np.linspace(0, 1, 3)) == [0, 2, 4]
    for bad in ("bad-value", -1, 2, [0.5, 1.5]):
        with pytest.raises(dc.ViewError, match="numbers in \\[0, 1\\]"):
            lists.quantiles("number", bad)


def test_dates_and_datetimes_come_back_as_such(lists):
    days = [TODAY - timedelta(days=i) for i in range(5)]
    assert lists.bounds("day") == (days[-1], days[0])
    assert type(lists.min("day")) is date
    assert lists.distinct("day") == days[::-1]
    assert lists.count_values("day") == {d: 1 for d in days}
    assert lists.values("day") == days
    assert lists.quantiles("number", 0.5) == 2
    lo, hi = lists.bounds("when")
    assert (lo, hi) == (NOW - timedelta(hours=4), NOW)


@pytest.mark.parametrize("field", ["day", "when"])
def test_histogram_values_of_dates(database, field):
    ds = dc.Dataset("dates")
    ds.add_samples(
        dc.Sample(f"/d/{i}.jpg", day=TODAY - timedelta(days=i), when=NOW - timedelta(minutes=i))
        for i in range(100)
    )
    counts, edges, other = ds.histogram_values(field, bins=10)
    assert counts == [10] * 10 and other == 0
    assert len(edges) == 11 and all(type(e) is datetime for e in edges)
    first = TODAY - timedelta(days=99) if field == "day" else NOW - timedelta(minutes=99)
    assert edges[0] == datetime.combine(first, datetime.min.time()) if field == "day" else first
    counts, _, _ = ds.limit(1).histogram_values(field)
    assert sum(counts) == 1
    lo = datetime(2000, 1, 1)
    counts, edges, other = ds.histogram_values(
        "when", bins=2, range=(lo, NOW - timedelta(minutes=50))
    )
    assert (counts, other) == ([0, 50], 50) and edges[0] == lo


def test_values_keep_lists_per_sample(lists):
    assert lists.values("pred.detections.label") == [
        ["cat", "dog"], ["cat", "rabbit", "squirrel"], ["elephant", None], None, None,
    ]  # fmt: skip
    assert lists.values("pred.detections.label", missing_value="missing")[2] == [
        "elephant", "missing"
    ]  # fmt: skip
    flat = ["cat", "dog", "cat", "rabbit", "squirrel", "elephant", None]
    assert lists.values("pred.detections[].label") == flat
    assert lists.values("pred.detections.label", unwind=True) == flat
    assert lists.values("pred.detections[].label", missing_value="?")[-1] == "?"
    assert lists.values("numbers", unwind=True) == [x for i in range(5) for x in (i, 10 * i)]
    dets = lists.values("pred.detections[]")
    assert [d.label for d in dets] == flat and dets == lists.values("pred.detections", unwind=True)
    assert lists.values("number", missing_value=-1) == [0, 1, 2, 3, 4]


def test_values_of_ids_are_strings(lists):
    ids = lists.values("id")
    assert len(ids) == 5 and all(type(i) is str for i in ids)
    assert all(type(i) is ObjectId for i in lists.values("_id"))
    det_ids = lists.values("pred.detections.id")
    assert [len(v) if v else v for v in det_ids] == [2, 3, 2, None, None]
    assert all(type(i) is str for v in det_ids[:3] for i in v)
    assert all(type(i) is ObjectId for i in lists.values("pred.detections[]._id"))
    assert [s.cls.id for s in lists] == lists.values("cls.id")


def test_values_of_several_fields(lists):
    numbers, labels, ids = lists.values(["number", "cls.label", "id"])
    assert numbers == [0, 1, 2, 3, 4] and labels == ["c0", "c1", "c0", "c1", "c0"]
    assert ids == lists.values("id")
    assert lists.match(F("number") > 2).values(("number", "tags")) == [[3, 4], [[], ["a"]]]


def test_batched_aggregations_of_lists_in_one_round_trip(lists, monkeypatch):
    calls = []
    original = SampleCollection._aggregate

    def counting(self, extra=None):
        calls.append(extra)
        return original(self, extra)

    monkeypatch.setattr(SampleCollection, "_aggregate", counting)
    results = lists.aggregate([
        dc.Count(), dc.Count("pred.detections"), dc.Distinct("tags"), dc.Bounds("day"),
        dc.Values("pred.detections.label"), dc.Values("pred.detections[].label"),
        dc.Quantiles("numbers", [0.5]), dc.Values("id"),
    ])  # fmt: skip
    assert len(calls) == 1 and list(calls[0][0]) == ["$facet"]
    assert results[:4] == [5, 7, ["a", "b"], (TODAY - timedelta(days=4), TODAY)]
    assert results[4] == lists.values("pred.detections.label")
    assert results[5] == lists.values("pred.detections[].label")
    assert results[6] == [3] and results[7] == lists.values("id")


def test_safe_leaves_out_nan_and_inf(database):
    ds = dc.Dataset("nan")
    floats = [1.0, -math.inf, math.inf, math.nan, None]
    ds.add_samples(dc.Sample(f"/n/{i}.jpg", float=v) for i, v in enumerate(floats))
    ds.add_sample(dc.Sample("/n/unset.jpg"))
    lo, hi = ds.bounds("float")
    assert math.isnan(lo) and hi == math.inf
    assert ds.count("float") == 4 and ds.count("float", safe=True) == 1
    assert len(ds.count_values("float")) == 5 and ds.count_values("float", safe=True) == {
        None: 2, 1.0: 1
    }  # fmt: skip
    assert ds.bounds("float", safe=True) == (1.0, 1.0)
    assert math.isnan(ds.mean("float")) and ds.mean("float", safe=True) == 1.0
    assert ds.std("float", safe=True) == 0 and ds.quantiles("float", 0.5, safe=True) == 1.0
    counts, _, other = ds.histogram_values("float")
    assert sum(counts) == 1 and other == 5  # None, unset, nan and both infinities


def test_brackets_on_a_field_that_is_no_list_are_refused(lists):
    with pytest.raises(dc.ViewError, match="'\\[\\]' follows 'number', which is not a list"):
        lists.values("number[]")
    with pytest.raises(dc.FieldNotFoundError, match="Field 'nope' not found"):
        lists.count("nope[].label")


@pytest.mark.parametrize(
    "agg",
    [dc.Min("n"), dc.Max("n", safe=True), dc.Quantiles("n", [0.1, 0.9]), dc.Quantiles("n", 0.5),
     dc.Values("d.label", missing_value="x", unwind=True), dc.Count("tags", safe=True)],
    ids=repr,
)  # fmt: skip
def test_new_aggregations_round_trip_through_dicts(agg):
    assert aggregations.Aggregation.from_dict(agg.to_dict()) == agg


def test_fiftyone_core_module_paths():
    code = (
        "import sys, dataset_core as fo\n"
        "assert 'dataset_core.core' not in sys.modules\n"
        "import dataset_core.core.fields as fof, dataset_core.core.labels as fol\n"
        "import dataset_core.core.aggregations as foa, dataset_core.core.odm as foo\n"
        "from dataset_core.core.collections import SampleCollection\n"
        "from dataset_core.core.dataset import Dataset\n"
        "from dataset_core.core.view import DatasetView\n"
        "from dataset_core.core.sample import Sample\n"
        "from dataset_core.core.stages import Match\n"
        "from dataset_core.core.expressions import ViewField\n"
        "from dataset_core.core.media import compute_filehash\n"
        "from dataset_core.core.metadata import compute_metadata\n"
        "assert fof.IntField is fo.IntField and fol.Detections is fo.Detections\n"
        "assert foa.Quantiles is fo.Quantiles and foo.DynamicEmbeddedDocument is "
        "fo.DynamicEmbeddedDocument\n"
        "assert Dataset is fo.Dataset and ViewField is fo.ViewField and Match is fo.Match\n"
        "assert fo.core.labels.Classification is fo.Classification\n"
        "assert 'IntField' in fof.__all__ and 'Any' not in fol.__all__\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip


def test_expressions_as_fields_and_expr(lists):
    assert lists.bounds("pred.detections.confidence", expr=F() * 10) == pytest.approx((1, 3))
    assert lists.mean(2 * (F("number") + 1)) == 6 and lists.std(2 * F("number")) == pytest.approx(
        np.std([0, 2, 4, 6, 8])
    )
    assert lists.quantiles(F("number") * 10, [0, 1]) == [0, 40]
    assert lists.count_values(F("filepath").ends_with("3.jpg")) == {False: 4, True: 1}
    assert lists.values(F("pred.detections").length()) == [2, 3, 2, 0, 0]
    assert lists.values("cls.label", expr=F().upper()) == [f"C{i % 2}" for i in range(5)]
    # an expression of one path into lists is computed per value, as in FiftyOne
    assert lists.count_values(F("pred.detections.label").upper()) == {
        "": 1, "CAT": 2, "DOG": 1, "ELEPHANT": 1, "RABBIT": 1, "SQUIRREL": 1,
    }  # fmt: skip
    assert lists.values(F("pred.detections.confidence") * 10)[0] == pytest.approx([1, 2])
    assert lists.count(F("pred.detections").filter(F("label") == "cat")) == 2
    assert lists.sum("pred.detections", expr=F().length()) == 7  # the list itself, not unwound
    assert lists.mean("pred.detections[]", expr=F("confidence") * 10) == pytest.approx(
        np.mean([1, 2, 1, 2, 3, 1, 2])
    )
    counts, edges, other = lists.histogram_values("number", bins=2, expr=F() * 2)
    assert (counts, edges, other) == ([2, 3], [0.0, 4.0, 8.0], 0)


def test_aggregations_with_expressions_round_trip_through_dicts():
    for agg in (dc.Bounds("x", expr=F() - 0.1), dc.CountValues(F("a").upper()),
                dc.Values(F("a").length(), missing_value=0)):  # fmt: skip
        d = agg.to_dict()
        assert json.loads(json.dumps(d)) == d
        assert aggregations.Aggregation.from_dict(d) == agg
    assert dc.Bounds("x", expr=F() - 0.1) != dc.Bounds("x", expr=F() - 0.2)
    assert dc.Values(F("a")) == dc.Values("a")


@pytest.mark.parametrize("field", ["day", "when"])
def test_histogram_of_one_instant_counts_it_in_the_first_bin(database, field):
    ds = dc.Dataset("instant")
    ds.add_sample(dc.Sample("/d/0.jpg", day=TODAY, when=NOW))
    counts, edges, other = ds.histogram_values(field, bins=4)
    assert (counts, other) == ([1, 0, 0, 0], 0)
    start = NOW if field == "when" else datetime(2024, 5, 17)
    assert edges[0] == start and edges[-1] == start + timedelta(milliseconds=1)
