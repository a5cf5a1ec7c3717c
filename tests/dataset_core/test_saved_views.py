"""Saved views: stored in MongoDB, surviving restarts and schema changes."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

import dataset_core as dc
from dataset_core import F, db
from dataset_core import dataset as dataset_module
from dataset_core.odm import DatasetDocument


@pytest.fixture
def ds(database):
    dataset = dc.Dataset("views")
    dataset.add_samples(
        dc.Sample(
            f"/data/{i}.jpg",
            tags=["dup"] if i % 3 == 0 else [],
            ground_truth=dc.Classification(label=["cat", "dog"][i % 2]),
            uniqueness=i / 10,
            when=datetime(2024, 1, 1 + i),
        )
        for i in range(10)
    )
    return dataset


VIEWS = [
    lambda ds: ds.match({"uniqueness": {"$gt": 0.45}}).sort_by("uniqueness", reverse=True),
    lambda ds: ds.match(F("ground_truth.label") == "cat").limit(3),
    lambda ds: ds.match({"when": {"$gte": datetime(2024, 1, 5)}}),
    lambda ds: ds.select(ds.values("id")[2:5], ordered=True),
    lambda ds: ds.match_tags("dup").exclude_fields("uniqueness"),
    lambda ds: ds.view(),
]


@pytest.mark.parametrize("make_view", VIEWS)
def test_saved_views_survive_a_restart(ds, make_view):
    view = make_view(ds)
    ds.save_view("v", view, description="kept")
    expected_ids, expected_stages = view.values("id"), view.to_dict()

    db.reset()  # a new process: new client, no cached datasets
    dataset_module._instances.clear()
    again = dc.load_dataset("views")
    assert again is not ds
    loaded = again.load_saved_view("v")
    assert loaded.to_dict() == expected_stages
    assert loaded.values("id") == expected_ids
    assert again.list_saved_views() == ["v"]


def test_list_info_overwrite_and_delete(ds):
    assert ds.list_saved_views() == [] and not ds.has_saved_view("a")
    ds.save_view("a", ds.limit(2))
    ds.save_view("b", ds.limit(3), description="three")
    info = ds.list_saved_views(info=True)
    assert [i["name"] for i in info] == ["a", "b"]
    assert set(info[1]) == {"name", "description", "created_at", "last_modified_at"}
    assert info[1]["description"] == "three"
    created = info[0]["created_at"]
    time.sleep(0.005)  # datetimes are stored to the millisecond
    ds.save_view("a", ds.limit(5), description="five", overwrite=True)
    a = ds.list_saved_views(info=True)[0]
    assert (a["description"], a["created_at"]) == ("five", created)
    assert a["last_modified_at"] > created
    assert len(ds.load_saved_view("a")) == 5
    ds.delete_saved_view("a")
    assert ds.list_saved_views() == ["b"] and ds.has_saved_view("b")


def test_a_saved_view_loads_after_the_dataset_gains_fields(ds):
    ds.save_view("cats", ds.match(F("ground_truth.label") == "cat"))
    ds.add_sample_field("score", float)
    ds.set_values("score", [float(i) for i in range(10)])
    ds.add_samples([dc.Sample("/data/new.jpg", ground_truth=dc.Classification(label="cat"))])
    view = ds.load_saved_view("cats")
    assert len(view) == 6
    assert view.bounds("score") == (0.0, 8.0)


def test_a_saved_view_that_no_longer_applies(ds):
    ds.add_sample_field("score", float)
    ds.save_view("scored", ds.sort_by("score"))
    ds.delete_sample_field("score")
    with pytest.raises(dc.ViewError, match="Saved view 'scored' .* no longer applies .*score"):
        ds.load_saved_view("scored")
    ds.delete_saved_view("scored")


def test_a_saved_view_seen_by_another_handle_at_once(ds):
    # the dataset document is read afresh: a view saved elsewhere (the app's
    # server) is listed without reloading, and a later ds.save() keeps it
    DatasetDocument._get_collection().update_one(
        {"_id": ds._doc.id}, {"$push": {"saved_views": {"name": "remote", "stages": "[]"}}}
    )
    assert ds.list_saved_views() == ["remote"]
    ds.info["x"] = 1
    ds.save()
    assert ds.list_saved_views() == ["remote"] and len(ds.load_saved_view("remote")) == 10


class _Opaque:
    pass


def _save_unserialisable(ds):
    view = ds.limit(1)
    view.to_dict = lambda: {"stages": [{"_cls": "Limit", "kwargs": {"limit": _Opaque()}}]}
    ds.save_view("bad", view)


FAILURES = [
    (lambda ds: ds.load_saved_view("nope"), dc.SavedViewNotFoundError,
     "Dataset 'views' has no saved view 'nope'; saved views: \\['taken'\\]"),
    (lambda ds: ds.delete_saved_view("nope"), dc.SavedViewNotFoundError,
     "saved views: \\['taken'\\]"),
    (lambda ds: ds.save_view("taken", ds.limit(1)), dc.ViewError,
     "already has a saved view 'taken'; pass overwrite=True"),
    (lambda ds: ds.save_view("x", dc.Dataset("other").limit(1)), dc.ViewError,
     "Cannot save a view of dataset 'other' on dataset 'views'"),
    (lambda ds: ds.save_view("x", ds), dc.ViewError, "save_view takes a view .* got Dataset"),
    (lambda ds: ds.save_view("", ds.limit(1)), dc.ViewError, "non-empty string; got ''"),
    (lambda ds: ds.save_view("x", ds.limit(1), description=3), dc.ViewError,
     "description must be a string"),
    (_save_unserialisable, dc.ViewError,
     "Cannot save view 'bad': stages\\[0\\].kwargs.limit holds a _Opaque value .* no JSON form"),
]  # fmt: skip


@pytest.mark.parametrize("call, error, match", FAILURES)
def test_bad_saved_views(ds, call, error, match):
    ds.save_view("taken", ds.limit(2))
    with pytest.raises(error, match=match):
        call(ds)
    assert ds.list_saved_views() == ["taken"]  # nothing changed


def test_saved_views_of_a_deleted_dataset(ds):
    ds.save_view("v", ds.limit(1))
    ds.delete()
    with pytest.raises(dc.DatasetNotFoundError, match="was deleted"):
        ds.list_saved_views()
