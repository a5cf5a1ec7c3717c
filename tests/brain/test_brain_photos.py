"""The brain on real photos with the real default model: the issue's user story."""

from __future__ import annotations

import os

import numpy as np
import pytest

import brain
import dataset_core as dc
from dataset_core import db, runs
from tests.brain.conftest import ids_by_name


@pytest.fixture
def indexed(photos):
    index = brain.compute_similarity(photos, brain_key="sim", progress=False)
    return photos, index


def test_uniqueness_on_real_photos(photos):
    scores = brain.compute_uniqueness(photos, progress=False)
    assert np.nanmax(scores) == 1.0
    u = dict(zip(ids_by_name(photos), photos.values("uniqueness"), strict=True))
    assert all(0 <= v <= 1 for v in u.values())
    assert u["noise"] > u["chelsea"] and u["noise"] > u["chelsea_copy"]
    lowest = sorted(u, key=u.get)[:4]  # the two planted pairs are the least unique
    assert set(lowest) == {"chelsea", "chelsea_copy", "coffee", "coffee_near"}
    rank = photos.sort_by("uniqueness", reverse=True)
    assert rank.first().uniqueness == 1.0
    assert "uniqueness" in brain.list_brain_runs(photos)


def test_near_duplicates_found_and_distinct_photos_not(indexed):
    photos, index = indexed
    index.find_duplicates()
    names = {v: k for k, v in ids_by_name(photos).items()}
    groups = [
        {names[rep]} | {names[d] for d, _ in dups} for rep, dups in index.neighbors_map.items()
    ]
    assert {"chelsea", "chelsea_copy"} in groups
    assert {"coffee", "coffee_near"} in groups
    assert len(groups) == 2
    view = index.duplicates_view(dist_field="dup_dist")
    assert len(view) == 4


def test_similarity_search_and_reload(indexed):
    photos, index = indexed
    ids = ids_by_name(photos)
    similar = photos.sort_by_similarity(ids["coffee"], k=3, brain_key="sim")
    near = [os.path.basename(p) for p in similar.values("filepath")]
    assert near[:2] == ["coffee.jpg", "coffee_near.jpg"]
    db.reset()  # a "restart": the index comes back from GridFS, not recomputed
    runs._last_arrays.clear()  # nor from the arrays this process saved last
    again = brain.load_brain_results(dc.load_dataset("photos"), "sim")
    np.testing.assert_array_equal(again.embeddings, index.embeddings)
    assert again.query(ids["coffee"], k=2)[0] == [ids["coffee"], ids["coffee_near"]]


def test_seed_dedup_story(indexed):
    photos, _ = indexed
    groups = brain.find_exact_duplicates(photos)
    assert len(groups) == 1 and len(next(iter(groups.values()))) == 2
    assert len(photos.load_saved_view("exact_dup_view")) == 2
    brain.find_approximate_duplicates(photos, brain_key="sim")
    assert len(photos.load_saved_view("approx_dup_view")) == 4
    assert "approx_dup_groups_view" in photos.list_saved_views()
    before = len(photos)
    plan = brain.deduplicate(photos, kind="approximate", keep="largest", dry_run=True)
    assert len(photos) == before and len(plan.remove_ids) == 2
    names = {v: k for k, v in ids_by_name(photos).items()}
    assert names[plan.keep_ids[1]] == "coffee"  # the larger of coffee / coffee_near
    plan = brain.deduplicate(photos, kind="approximate", keep="largest", dry_run=False)
    assert len(photos) == before - 2
    assert not set(plan.remove_ids) & set(photos.values("id"))
    assert all(os.path.exists(p) for p in photos.values("filepath"))


def test_unreadable_images_are_skipped_and_reported(database, photo_dir, tmp_path, capsys):
    import shutil

    for name in ("chelsea.jpg", "coffee.jpg", "rocket.jpg"):
        shutil.copy(photo_dir / name, tmp_path / name)
    good = (tmp_path / "rocket.jpg").read_bytes()
    (tmp_path / "truncated.jpg").write_bytes(good[: len(good) // 3])
    (tmp_path / "garbage.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"nonsense" * 10)
    ds = dc.Dataset.from_images_dir(str(tmp_path), name="broken")
    index = brain.compute_similarity(ds, brain_key="sim", progress=False)
    out = capsys.readouterr().out
    assert "garbage.png" in out
    brain.compute_uniqueness(ds, brain_key="sim")
    u = dict(zip(ids_by_name(ds), ds.values("uniqueness"), strict=True))
    assert u["garbage"] is None and max(v for v in u.values() if v is not None) == 1.0
    index.find_duplicates()  # NaN rows never pair
    assert ids_by_name(ds)["garbage"] not in index.group_labels()


def test_one_and_two_sample_datasets(database, photo_dir):
    ds = dc.Dataset.from_images([str(photo_dir / "chelsea.jpg")], name="one")
    assert list(brain.compute_uniqueness(ds, progress=False)) == [1.0]
    ds.add_sample(dc.Sample(str(photo_dir / "coffee.jpg")))
    assert list(brain.compute_uniqueness(ds, progress=False)) == [1.0, 1.0]
    index = brain.compute_similarity(ds, progress=False)
    index.find_duplicates()
    assert index.neighbors_map == {}


def test_similarity_hashes_files_in_its_pass(photos):
    from dataset_core.media import compute_filehash

    index = brain.compute_similarity(photos, brain_key="sim", progress=False)
    from brain.embeddings import DEFAULT_IMAGE_SIZE

    assert index.config["image_size"] == DEFAULT_IMAGE_SIZE and index.config["precision"] in (
        "bfloat16", "float32",
    )  # fmt: skip
    hashes = photos.values("file_hash")
    assert hashes == [compute_filehash(p) for p in photos.values("filepath")]
    ids = ids_by_name(photos)
    groups = brain.find_exact_duplicates(photos)  # reuses the stored hashes
    assert [sorted(g) for g in groups.values()] == [sorted([ids["chelsea"], ids["chelsea_copy"]])]


def test_similarity_can_skip_hashing(database, photo_dir):
    ds = dc.Dataset.from_images_dir(str(photo_dir), name="nohash")
    brain.compute_similarity(ds, progress=False, hash_field=None)
    assert "file_hash" not in ds.get_field_schema()


def test_one_knn_graph_per_run(indexed):
    from brain import uniqueness
    from brain._algos import neardup

    photos, index = indexed
    again = brain.load_similarity_index(photos, "sim")
    saved = again.knn_graph()
    assert saved.backend == "saved" and saved.indices.shape == (len(photos), 10)
    fresh = neardup.knn_graph(index.embeddings, k=10)
    np.testing.assert_array_equal(saved.indices, fresh.indices)
    np.testing.assert_allclose(
        uniqueness.uniqueness_scores(index.embeddings, graph=saved),
        uniqueness.uniqueness_scores(index.embeddings), atol=1e-6,
    )  # fmt: skip
    with_graph = neardup.find_pairs(index.embeddings, index.thumbs, graph=saved)
    without = neardup.find_pairs(index.embeddings, index.thumbs)
    np.testing.assert_array_equal(with_graph.pairs, without.pairs)
    photos.delete_samples([photos.first().id])  # rows change: the saved graph is dropped
    runs._last_arrays.clear()
    reloaded = brain.load_similarity_index(photos, "sim")
    assert reloaded.knn_graph().backend != "saved"
    assert reloaded.knn_graph().indices.shape[0] == len(photos)


def test_loaded_run_arrays_are_copies(indexed):
    photos, index = indexed
    first = runs.load_run_arrays(photos, "sim")
    first["embeddings"][:] = 0
    np.testing.assert_array_equal(
        runs.load_run_arrays(photos, "sim")["embeddings"], index.embeddings
    )


def test_big_runs_are_not_kept_in_memory(photos, monkeypatch):
    monkeypatch.setattr(runs, "RUN_CACHE_BYTES", 1000)
    brain.compute_similarity(photos, brain_key="sim", progress=False)
    assert runs._last_arrays == {}


def test_uniqueness_after_similarity_reuses_the_run(indexed, capsys, monkeypatch):
    photos, index = indexed
    capsys.readouterr()
    import brain.embeddings

    def embed_again(*_a, **_k):
        raise AssertionError("embedded every image again")

    monkeypatch.setattr(brain.embeddings, "embed_paths", embed_again)
    scores = brain.compute_uniqueness(photos, progress=False)
    out = capsys.readouterr().out
    assert out.count("reusing the embeddings and kNN graph of similarity run 'sim'") == 1
    assert brain.get_brain_info(photos, "uniqueness").config["brain_key"] == "sim"
    np.testing.assert_allclose(scores, brain.compute_uniqueness(photos, brain_key="sim"))
    # other samples (a view) or another input size: not the same run, so embed
    with pytest.raises(AssertionError, match="embedded every image again"):
        brain.compute_uniqueness(photos.limit(5), progress=False)


def test_duplicates_without_their_key_reuse_a_run_of_another_key(photos, capsys, monkeypatch):
    from brain import embeddings

    brain.compute_similarity(photos, brain_key="mine", progress=False)

    def embed_again(*_a, **_k):
        raise AssertionError("embedded every image again")

    monkeypatch.setattr(embeddings, "embed_paths", embed_again)
    capsys.readouterr()
    index = brain.find_approximate_duplicates(photos)  # brain_key "sim": not there
    out = capsys.readouterr().out
    assert "Reusing the embeddings and kNN graph of similarity run 'mine'" in out
    assert index.brain_key == "mine" and len(index.neighbors_map) == 2
    assert photos.list_brain_runs() == ["mine"]
