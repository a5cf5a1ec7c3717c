"""Tests of dataset_core.view: views of a dataset in the real embedded mongod.

Reading (len, iteration, first/last/head, values, lookups, slices), chaining,
equality, the JSON form, and the writes that go through a view (tags, values,
clone, delete_samples), each in a throw-away database.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import dataset_core as dc
from dataset_core import F


@pytest.fixture
def ds(database) -> dc.Dataset:
    dataset = dc.Dataset("views")
    dataset.add_samples([
        dc.Sample(f"/data/{name}.jpg", tags=tags, uniqueness=u,
                  ground_truth=dc.Classification(label=label))
        for name, tags, u, label in [
            ("a", ["train"], 0.9, "cat"),
            ("b", ["train", "dup"], 0.1, "dog"),
            ("c", ["val"], 0.5, "cat"),
            ("d", [], 0.7, "mountain"),
            ("e", ["dup"], 0.3, "mountain"),
            ("f", ["val", "dup"], 0.2, "dog"),
        ]
    ])  # fmt: skip
    return dataset


def _names(collection: dc.DatasetView | dc.Dataset) -> list[str]:
    return [Path(p).stem for p in collection.values("filepath")]


def test_views_are_immutable_and_chainable(ds):
    base = ds.view()
    assert isinstance(base, dc.DatasetView) and base.stages == () and len(base) == 6
    top = base.sort_by("uniqueness", reverse=True)
    two = top.limit(2)
    assert _names(two) == ["a", "d"]
    assert len(top) == 6 and base.stages == ()  # the parents did not change
    assert two.stages == (dc.SortBy("uniqueness", reverse=True), dc.Limit(2))
    assert two.view() is two and two.dataset is ds and two.dataset_name == "views"


def test_view_of_a_view(ds):
    dups = ds.match_tags("dup")
    assert _names(dups) == ["b", "e", "f"]
    best = dups.match(F("uniqueness") > 0.15).sort_by("uniqueness")
    assert _names(best) == ["f", "e"]
    assert _names(best.limit(1)) == ["f"]
    assert _names(dups.exclude(best)) == ["b"]  # a view as an id list
    assert _names(ds.select(best, ordered=True)) == ["f", "e"]
    assert len(ds.match(F("uniqueness") > 0.8).match_tags("dup", bool=False)) == 1


def test_reading_through_a_view(ds):
    view = ds.match(F("ground_truth.label") != "dog").sort_by("uniqueness")
    samples = list(view)
    assert [Path(s.filepath).stem for s in samples] == ["e", "c", "d", "a"]
    assert all(s.dataset is ds for s in samples)
    assert len(view) == view.count() == 4 and view.count("uniqueness") == 4
    assert Path(view.first().filepath).stem == "e"
    assert Path(view.last().filepath).stem == "a"
    assert [Path(s.filepath).stem for s in view.head(2)] == ["e", "c"]
    assert view.values("ground_truth.label") == ["mountain", "cat", "mountain", "cat"]
    assert view.values("id") == [s.id for s in samples]
    assert len(list(view.iter_samples(progress=True))) == 4
    empty = ds.match({"uniqueness": {"$gt": 2}})
    for read in (empty.first, empty.last):
        with pytest.raises(ValueError, match="the view of dataset 'views' is empty"):
            read()


def test_samples_by_id_and_filepath(ds):
    view = ds.match_tags("dup")
    b, a = ds["/data/b.jpg"], ds["/data/a.jpg"]
    assert view[b.id] == b and view[b] == b and view["/data/b.jpg"] == b
    assert b.id in view and a.id not in view and "/data/a.jpg" not in view
    with pytest.raises(dc.SampleNotFoundError, match=r"No sample '/data/a.jpg' in the view"):
        view["/data/a.jpg"]
    sample = view[b.id]
    sample.uniqueness = 0.95  # a sample read through a view saves to its dataset
    sample.save()
    assert ds[b.id].uniqueness == 0.95


def test_slices_are_skip_and_limit(ds):
    assert _names(ds[:2]) == ["a", "b"]
    assert _names(ds[2:4]) == ["c", "d"]
    assert _names(ds[4:]) == ["e", "f"]
    assert _names(ds[5:3]) == []
    view = ds.sort_by("uniqueness", reverse=True)
    assert _names(view[1:3]) == ["d", "c"]
    assert view[1:3].stages[-2:] == (dc.Skip(1), dc.Limit(2))


def test_equality_repr_and_summary(ds):
    one = ds.match(F("uniqueness") > 0.5).sort_by("uniqueness", reverse=True)
    same = ds.match(F("uniqueness") > 0.5).sort_by("uniqueness", reverse=True)
    assert one == same and hash(one) == hash(same) and len({one, same}) == 1
    assert one != ds.match(F("uniqueness") > 0.6).sort_by("uniqueness", reverse=True)
    assert ds.view() == ds.view() and ds.view() != ds.limit(1)
    text = repr(one)
    assert text == one.summary()
    assert text.splitlines() == [
        "Dataset:     views",
        "Media type:  image",
        "Num samples: 2",
        "View stages:",
        "    1. Match(ViewExpression({'$gt': ['$uniqueness', 0.5]}))",
        "    2. SortBy('uniqueness', reverse=True)",
    ]
    assert "    ---" in ds.view().summary()


def test_json_round_trip(ds):
    view = ds.match_tags("dup").match(F("uniqueness") > 0.15).sort_by("uniqueness").take(2)
    d = json.loads(json.dumps(view.to_dict()))
    assert d["dataset"] == "views" and [s["_cls"] for s in d["stages"]] == [
        "MatchTags", "Match", "SortBy", "Take"]  # fmt: skip
    back = dc.DatasetView.from_dict(ds, d)
    assert back == view and _names(back) == _names(view)
    assert dc.DatasetView.from_dict(ds, d["stages"]) == view  # a bare list of stages


@pytest.mark.parametrize(
    ("d", "error", "message"),
    [
        ({"stages": "x"}, dc.ViewError, r"A view dict is \{'dataset': name, 'stages'"),
        (5, dc.ViewError, r"or a list of stage dicts; got 5"),
        ([{"_cls": "Limit", "kwargs": {}}], dc.ViewError, r"stages\[0\]: Limit stage dict"),
        (
            [{"_cls": "Limit", "kwargs": {"limit": 1}}, {"_cls": "Nope"}],
            dc.ViewError,
            r"stages\[1\]: Unknown stage 'Nope'",
        ),  # fmt: skip
        (
            [{"_cls": "SortBy", "kwargs": {"field_or_expr": "nope"}}],
            dc.FieldNotFoundError,
            r"Field 'nope' not found",
        ),  # fmt: skip
    ],
)
def test_view_from_dict_fails(ds, d, error, message):
    with pytest.raises(error, match=message):
        dc.DatasetView.from_dict(ds, d)


def test_tag_samples_on_a_view_tags_only_those(ds):
    before = {s.id: s.last_modified_at for s in ds}
    ds.match(F("uniqueness") < 0.25).tag_samples(["low", "dup"])
    assert ds.count_sample_tags() == {"dup": 3, "low": 2, "train": 2, "val": 2}
    assert _names(ds.match_tags("low")) == ["b", "f"]
    after = {s.id: s.last_modified_at for s in ds}
    changed = [Path(ds[i].filepath).stem for i in after if after[i] != before[i]]
    assert changed == ["b", "f"]  # "dup" was there already, "low" was not
    ds.match_tags("val").untag_samples("low")
    assert _names(ds.match_tags("low")) == ["b"]
    ds.tag_samples("all")  # a dataset: one update_many over everything
    assert ds.count_sample_tags()["all"] == 6
    ds.untag_samples(["all", "low"])
    assert ds.count_sample_tags() == {"dup": 3, "train": 2, "val": 2}
    with pytest.raises(dc.ViewError, match=r"tag_samples tags must be a str"):
        ds.tag_samples(3)


def test_writes_through_views(ds):
    dups = ds.match_tags("dup").sort_by("uniqueness")
    dups.set_values("score", [1, 2, 3])
    assert ds.values("score") == [None, 1, None, None, 3, 2]
    copy = dups.clone("dups")
    assert len(copy) == 3 and set(copy.values("id")) == set(dups.values("id"))
    assert ds.delete_samples(dups) == 3
    assert _names(ds) == ["a", "c", "d"] and len(copy) == 3


def test_every_read_runs_one_pipeline(ds, monkeypatch):
    calls: list[list[dict]] = []
    view = ds.match_tags("dup").sort_by("uniqueness")
    real = type(view)._pipeline

    def spy(self):
        calls.append(real(self))
        return calls[-1]

    monkeypatch.setattr(type(view), "_pipeline", spy)
    len(view), list(view), view.values("id"), view.first(), view.last()
    assert all(c == calls[0] for c in calls)


@pytest.mark.slow
def test_select_500_000_ids(database):
    """FiftyOne fails here: 500,000 ids inline would break the 16 MB command limit."""
    ds = dc.Dataset("big")
    ids = ds.add_samples([dc.Sample(f"/big/{i}.jpg") for i in range(500_000)])
    t = time.perf_counter()
    view = ds.select(ids[::-1])  # first stage: read from the id collection
    # unordered: id order, which is insertion order unless the ObjectId counter wrapped
    assert len(view) == 500_000 and view.values("id") == sorted(ids)
    ordered = ds.select(ids[::-2], ordered=True).limit(3)
    assert ordered.values("id") == ids[::-2][:3]
    inline = ds.limit(200_000).exclude(ids[:150_000])  # $nin of 150,000: ~3 MB
    assert inline.values("id") == ids[150_000:200_000]
    later = ds.skip(400_000).exclude(ids[:300_000])  # one lookup per incoming sample
    assert later.values("id") == ids[400_000:]
    assert time.perf_counter() - t < 60


def test_view_field_schema_follows_select_and_exclude_fields(ds):
    ds.add_sample_field("pred", dc.Detections)
    defaults = ["id", "filepath", "tags", "metadata", "created_at", "last_modified_at"]
    assert list(ds.view().get_field_schema()) == defaults + ["uniqueness", "ground_truth", "pred"]
    assert list(ds.select_fields("pred").get_field_schema()) == defaults + ["pred"]
    assert list(ds.select_fields().get_field_schema()) == defaults
    assert list(ds.exclude_fields(["uniqueness", "pred"]).get_field_schema()) == defaults + [
        "ground_truth"
    ]
    chained = ds.select_fields(["uniqueness", "pred"]).exclude_fields("pred")
    assert list(chained.get_field_schema()) == defaults + ["uniqueness"]
    assert "ground_truth.label" in ds.select_fields("ground_truth").get_field_schema(flat=True)
    assert "ground_truth.label" not in ds.select_fields().get_field_schema(flat=True)
    assert "uniqueness" in ds.get_field_schema()  # the dataset's own is unchanged


def test_set_values_of_a_field_the_view_does_not_filter_replaces_it(database):
    ds = dc.Dataset("other-filtered")
    ds.add_sample(dc.Sample(
        "/data/a.jpg", gt=dc.Classification(label="cat"),
        pred=dc.Detections(detections=[dc.Detection(label="a")], note="old"),
    ))  # fmt: skip
    view = ds.filter_labels("gt", F("label") == "cat")  # filters gt, not pred
    view.set_values("pred", [dc.Detections(detections=[dc.Detection(label="b")])])
    pred = ds.first().pred
    assert [d.label for d in pred.detections] == ["b"]
    assert "note" not in pred.field_names  # the whole field, as on the dataset itself


def test_len_of_an_exclude_counts_only_the_samples_it_keeps(ds):
    # len(exclude(ids)) is counted through the _id index (total minus ids present):
    # ids that are not in the dataset, or given twice, must not be subtracted
    ids = ds.values("id")
    absent = "0123456789abcdef01234567"  # an id no sample has
    view = ds.exclude([ids[0], ids[1], ids[1], absent])
    assert len(view) == len(ds) - 2 == len(list(view))
    assert len(ds.exclude(ids)) == 0 == len(list(ds.exclude(ids)))
    big = ids[:1] + [f"{i:024x}" for i in range(1, 30_000)]  # many ids, almost all absent
    assert len(ds.exclude(big)) == len(ds) - 1
