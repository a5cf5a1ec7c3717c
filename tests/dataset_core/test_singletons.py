"""One live Sample object per stored sample (FiftyOne's singletons), kept in
step with bulk writes and deletions (dataset_core/singletons.py)."""

from __future__ import annotations

import gc

import pytest

import dataset_core as dc


def _dataset(n: int = 3) -> dc.Dataset:
    ds = dc.Dataset("live")
    ds.add_samples(
        [dc.Sample(f"/data/{i}.jpg", ground_truth=dc.Classification(label=f"c{i}"))
         for i in range(n)]
    )  # fmt: skip
    return ds


def test_an_added_sample_is_the_one_indexing_returns(database):
    ds = dc.Dataset("live")
    sample = dc.Sample("/data/a.jpg")
    ds.add_sample(sample)
    assert ds[sample.id] is sample
    assert ds[sample.filepath] is sample
    assert ds.first() is sample and ds.last() is sample and ds.head(1)[0] is sample


def test_indexing_twice_gives_one_object_and_edits_are_shared(database):
    ds = _dataset()
    sid = ds.first().id
    a, b = ds[sid], ds[sid]
    assert a is b
    a["score"] = 0.5
    a.save()
    assert ds[sid].score == 0.5


def test_iteration_returns_the_live_objects(database):
    ds = _dataset()
    held = {s.id: s for s in ds}  # kept alive
    again = list(ds)
    assert all(held[s.id] is s for s in again)
    assert all(ds[sid] is s for sid, s in held.items())


def test_the_registry_does_not_keep_samples_alive(database):
    import weakref

    ds = _dataset(1)
    sample = ds.first()
    sid, watch = sample.id, weakref.ref(sample)
    del sample
    gc.collect()
    assert watch() is None
    again = ds[sid]
    assert again.id == sid and again.in_dataset


@pytest.mark.parametrize(
    "write",
    [
        lambda ds: ds.set_values("score", [1.0, 2.0, 3.0]),
        lambda ds: ds.set_values("ground_truth.label", ["x", "x", "x"]),
        lambda ds: ds.tag_samples("seen"),
        lambda ds: ds.match({}).tag_samples("seen"),
        lambda ds: ds.rename_sample_field("ground_truth", "gt"),
        lambda ds: ds.delete_sample_field("ground_truth"),
        lambda ds: ds.clear_sample_field("ground_truth"),
        lambda ds: ds.delete_labels(fields="ground_truth"),
        lambda ds: ds.tag_labels("checked", label_fields="ground_truth"),
        lambda ds: ds.set_field("ground_truth.label", "z").save(),
    ],
    ids=[
        "set_values",
        "set_values_path",
        "tag_samples",
        "tag_view",
        "rename_field",
        "delete_field",
        "clear_field",
        "delete_labels",
        "tag_labels",
        "view_save",
    ],  # fmt: skip
)
def test_bulk_writes_refresh_held_samples(database, write):
    ds = _dataset()
    held = list(ds)  # from iteration
    first = ds[held[0].id]  # from indexing
    before = [s.to_dict() for s in held]
    write(ds)
    fresh = [d for d in ds._sample_coll().find({}).sort("_id", 1)]
    held.sort(key=lambda s: s.id)
    assert [s.to_mongo_dict() for s in held] == fresh
    assert first.to_mongo_dict() == fresh[0]
    assert [s.to_dict() for s in held] != before


def test_dataset_reload_rereads_live_samples(database):
    ds = _dataset(1)
    sample = ds.first()
    ds._sample_coll().update_many({}, {"$set": {"note": "from elsewhere"}})  # another process
    ds.reload()
    assert sample["note"] == "from elsewhere"


def test_renamed_field_reads_through_held_sample(database):
    ds = _dataset(1)
    sample = ds.first()
    ds.rename_sample_field("ground_truth", "gt")
    assert sample.gt.label == "c0"
    assert not sample.has_field("ground_truth")


def test_save_through_a_view_updates_the_dataset_sample(database):
    ds = _dataset()
    sample = ds.first()
    in_view = ds.match({"filepath": sample.filepath}).first()
    assert in_view is not sample
    in_view["score"] = 0.9
    in_view.save()
    assert sample.score == 0.9


@pytest.mark.parametrize(
    "remove",
    [
        lambda ds, s: ds.delete_samples(s.id),
        lambda ds, s: ds.delete_samples(ds.select(s.id)),
        lambda ds, s: ds.clear(),
        lambda ds, s: ds.delete(),
    ],
    ids=["by_id", "by_view", "clear", "delete_dataset"],
)
def test_deleted_samples_leave_the_dataset(database, remove):
    ds = _dataset()
    sample = ds.first()
    held = [s for s in ds]  # from iteration; the first is `sample` itself
    assert held[0] is sample
    everything = remove(ds, sample) is None  # clear() and delete() return None
    assert not sample.in_dataset and sample.id is None and sample.dataset is None
    assert sample.filepath == "/data/0.jpg"  # the values stay, as in FiftyOne
    assert all(s.in_dataset != everything for s in held[1:])


def test_many_unheld_samples_do_not_pile_up(database):
    from dataset_core import singletons

    ds = dc.Dataset("many")
    ds.add_samples([dc.Sample(f"/d/{i}.jpg") for i in range(3 * singletons.PENDING_MAX)])
    gc.collect()
    n = sum(1 for _ in ds)
    assert n == 3 * singletons.PENDING_MAX
    assert len(ds._live.pending) < singletons.PENDING_MAX
    assert ds._live.alive() == []


def test_a_big_added_batch_is_bound_but_not_held_live(database, monkeypatch):
    from dataset_core import adding

    monkeypatch.setattr(adding, "BIND_LIVE_MAX", 2)
    ds = dc.Dataset("big")
    small = [dc.Sample("/d/s0.jpg"), dc.Sample("/d/s1.jpg")]
    big = [dc.Sample(f"/d/b{i}.jpg") for i in range(3)]
    ds.add_samples(small)
    ds.add_samples(big)
    assert all(ds[s.id] is s for s in small)
    assert all(s.in_dataset and ds[s.id] == s and ds[s.id] is not s for s in big)
    big[0]["score"] = 1.0
    big[0].save()  # the edit is stored, and seen by the live handle
    assert ds[big[0].id].score == 1.0
