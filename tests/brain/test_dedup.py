"""Duplicates and dedup on generated images with planted answers (no model)."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

import brain
import dataset_core as dc
from tests.conftest import write_image


@pytest.fixture
def planted(database, tmp_path):
    """a, a_copy (same bytes), b, b_png (same pixels, other encoding), c, d."""
    for name, seed in (("a", 1), ("b", 2), ("c", 3), ("d", 4)):
        write_image(tmp_path / f"{name}.png", size=(20, 20), seed=seed, fmt="PNG")
    shutil.copy(tmp_path / "a.png", tmp_path / "a_copy.png")
    from PIL import Image

    Image.open(tmp_path / "b.png").save(tmp_path / "b_bmp.bmp")
    ds = dc.Dataset.from_images_dir(str(tmp_path), name="planted")
    return ds, {os.path.basename(s.filepath).split(".")[0]: s.id for s in ds}


def test_exact_duplicates_by_bytes_and_by_pixels(planted):
    ds, ids = planted
    groups = brain.find_exact_duplicates(ds)
    assert [sorted(g) for g in groups.values()] == [sorted([ids["a"], ids["a_copy"]])]
    view = ds.load_saved_view("exact_dup_view")
    assert sorted(view.values("id")) == sorted([ids["a"], ids["a_copy"]])
    groups = brain.find_exact_duplicates(ds, pixels=True)
    assert sorted(map(sorted, groups.values())) == sorted(
        [sorted([ids["a"], ids["a_copy"]]), sorted([ids["b"], ids["b_bmp"]])]
    )


def test_dry_run_changes_nothing_and_real_run_removes_the_plan(planted):
    ds, ids = planted
    brain.find_exact_duplicates(ds)
    before = ds.values("id")
    plan = brain.remove_all_duplicates(ds, kind="exact")
    assert plan.dry_run and sorted(plan.remove_ids) == sorted([ids["a"], ids["a_copy"]])
    assert ds.values("id") == before
    plan = brain.deduplicate(ds, kind="exact", keep="first", dry_run=False)
    assert plan.keep_ids == [ids["a"]] and plan.remove_ids == [ids["a_copy"]]
    assert ds.values("id") == [i for i in before if i != ids["a_copy"]]


def test_delete_files_moves_to_trash_and_restores(planted, tmp_path, monkeypatch):
    from dataset_core.config import config

    monkeypatch.setattr(config, "home", tmp_path / "home")
    ds, ids = planted
    brain.find_exact_duplicates(ds)
    path = ds[ids["a_copy"]].filepath
    plan = brain.deduplicate(ds, kind="exact", dry_run=False, delete_files=True)
    assert not os.path.exists(path) and plan.moved_files == [path]
    assert plan.trash_dir.startswith(str(tmp_path / "home" / "trash"))
    assert brain.restore_trash(plan.trash_dir) == [path]
    assert os.path.exists(path)


def test_approximate_with_precomputed_embeddings(planted):
    ds, ids = planted
    order = ds.values("id")
    emb = np.eye(len(order), 8, dtype=np.float32)
    row = {i: n for n, i in enumerate(order)}
    emb[row[ids["c"]]] = emb[row[ids["d"]]] + 0.001
    index = brain.compute_similarity(ds, brain_key="pre", embeddings=emb)
    index.find_duplicates(thresh=0.05)
    assert index.neighbors_map == {
        min(ids["c"], ids["d"], key=row.get): [
            (max(ids["c"], ids["d"], key=row.get), pytest.approx(0, abs=1e-3))
        ]
    }
    assert set(index.unique_ids) == set(order) - {max(ids["c"], ids["d"], key=row.get)}
    brain.find_approximate_duplicates(ds, brain_key="pre", thresh=0.05)
    assert sorted(ds.exists("approx_dup_group_id").values("id")) == sorted([ids["c"], ids["d"]])
    assert len(brain.deduplicate(ds, kind="approximate").remove_ids) == 1


@pytest.mark.parametrize("kwargs, error, match", [
    ({"kind": "fuzzy"}, ValueError, "kind must be 'exact' or 'approximate'"),
    ({"kind": "approximate"}, ValueError, "run brain.find_approximate_duplicates first"),
    ({"kind": "exact", "keep": "best"}, ValueError, "keep must be one of"),
])  # fmt: skip
def test_bad_dedup_arguments(planted, kwargs, error, match):
    ds, _ = planted
    brain.find_exact_duplicates(ds)
    with pytest.raises(error, match=match):
        brain.deduplicate(ds, **kwargs)


def test_thresholds_out_of_range(planted):
    ds, _ = planted
    index = brain.compute_similarity(ds, brain_key="pre", embeddings=np.eye(len(ds), 4))
    with pytest.raises(ValueError, match=r"thresh is a cosine distance in \[0, 2\]"):
        index.find_duplicates(thresh=5)
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\)"):
        index.find_duplicates(fraction=1.5)
    with pytest.raises(ValueError, match="not both"):
        index.find_duplicates(thresh=0.1, fraction=0.1)


def test_missing_brain_key_lists_runs(planted):
    ds, _ = planted
    brain.compute_similarity(ds, brain_key="pre", embeddings=np.eye(len(ds), 4))
    with pytest.raises(brain.BrainRunNotFoundError, match=r"no brain run 'nope'; runs: \['pre'\]"):
        brain.load_brain_results(ds, "nope")


def test_deleted_sample_left_out_of_a_saved_index(planted, capsys):
    ds, ids = planted
    brain.compute_similarity(ds, brain_key="pre", embeddings=np.eye(len(ds), 8))
    ds.delete_samples([ids["d"]])
    index = brain.load_brain_results(ds, "pre")
    assert ids["d"] not in index.sample_ids and index.total_index_size == len(ds)
    assert "1 indexed samples were deleted" in capsys.readouterr().out


def test_fraction_marks_about_that_many(planted):
    ds, ids = planted
    rng = np.random.default_rng(0)
    index = brain.compute_similarity(ds, brain_key="pre", embeddings=rng.normal(size=(len(ds), 8)))
    index.find_duplicates(fraction=0.34)
    assert len(index.duplicate_ids) == 2  # round(0.34 * 6)


def test_brain_runs_listing_and_deletion(planted):
    ds, _ = planted
    brain.compute_similarity(ds, brain_key="pre", embeddings=np.eye(len(ds), 4))
    brain.compute_uniqueness(ds, embeddings=np.eye(len(ds), 4))
    assert brain.list_brain_runs(ds) == ["pre", "uniqueness"]
    assert brain.get_brain_info(ds, "pre").config["dim"] == 4
    brain.delete_brain_run(ds, "pre")
    assert brain.list_brain_runs(ds) == ["uniqueness"]
    assert ds.values("uniqueness")  # fields written by a run stay


def test_deleting_the_dataset_deletes_its_run_results(planted):
    ds, _ = planted
    brain.compute_similarity(ds, brain_key="pre", embeddings=np.eye(len(ds), 4))
    files = ds._sample_coll().database["brain_results.files"]
    assert files.count_documents({}) == 1
    ds.delete()
    assert files.count_documents({}) == 0


def test_no_near_duplicates_is_an_answer_not_an_error(database, tmp_path):
    for i in range(4):
        write_image(tmp_path / f"{i}.png", size=(20, 20), seed=40 + i, fmt="PNG")
    ds = dc.Dataset.from_images_dir(str(tmp_path), name="distinct")
    brain.compute_similarity(ds, brain_key="sim", embeddings=np.eye(4, dtype=np.float32))
    index = brain.find_approximate_duplicates(ds, brain_key="sim")
    assert index.neighbors_map == {}
    assert ds.values("approx_dup_group_id") == [None] * 4
    assert len(ds.load_saved_view("approx_dup_groups_view")) == 0
    plan = brain.deduplicate(ds, kind="approximate")
    assert plan.remove_ids == [] and len(ds) == 4


@pytest.mark.parametrize("keep, field, call", [
    ("sharpest", "image_stats", "brain.compute_image_stats"),
    ("most_unique", "uniqueness", "brain.compute_uniqueness"),
])  # fmt: skip
def test_scored_keep_policies_keep_the_highest_and_name_a_missing_field(planted, keep, field,
                                                                        call):  # fmt: skip
    ds, ids = planted
    brain.find_exact_duplicates(ds, pixels=True)  # groups {a, a_copy} and {b, b_bmp}
    with pytest.raises(ValueError, match=f"run {call} first"):
        brain.deduplicate(ds, keep=keep)
    score = {ids["a"]: 1.0, ids["a_copy"]: 5.0, ids["b"]: 3.0, ids["b_bmp"]: None}
    if field == "image_stats":
        ds.set_values("image_stats", {i: None if v is None else {"blur": v}
                                      for i, v in score.items()})  # fmt: skip
    else:
        ds.set_values("uniqueness", score)
    plan = brain.deduplicate(ds, keep=keep)
    assert sorted(plan.keep_ids) == sorted([ids["a_copy"], ids["b"]])  # None never wins
    assert sorted(plan.remove_ids) == sorted([ids["a"], ids["b_bmp"]])


def test_explicit_keepers_override_the_rule_group_by_group(planted):
    ds, ids = planted
    brain.find_exact_duplicates(ds, pixels=True)
    plan = brain.deduplicate(ds, keep="first", keepers=[ids["a_copy"]], dry_run=False)
    assert ids["a_copy"] in plan.keep_ids and ids["b"] in plan.keep_ids  # b: the rule's
    assert sorted(ds.values("id")) == sorted(ids[n] for n in ("a_copy", "b", "c", "d"))
    # a keeper in no group (alone now) stays and changes nothing else
    assert brain.deduplicate(ds, keepers=[ids["c"]]).remove_ids == []


def test_two_keepers_in_one_group_are_refused(planted):
    ds, ids = planted
    brain.find_exact_duplicates(ds)
    with pytest.raises(ValueError, match="same group"):
        brain.deduplicate(ds, keepers=[ids["a"], ids["a_copy"]])


def test_dry_run_message_names_the_next_step(planted):
    ds, _ = planted
    brain.find_exact_duplicates(ds)
    plan = brain.deduplicate(ds)
    assert str(plan).endswith("pass dry_run=False to apply)")
    assert plan.message("review, then Confirm").endswith("(dry run: nothing changed; review, "
                                                         "then Confirm)")  # fmt: skip


def test_remove_samples_dry_run_then_to_the_trash_and_back(planted, tmp_path, monkeypatch):
    from dataset_core.config import config

    monkeypatch.setattr(config, "home", tmp_path / "home")
    ds, ids = planted
    chosen = ds.select([ids["c"], ids["d"]])
    paths = chosen.values("filepath")
    plan = brain.remove_samples(chosen)
    assert plan.dry_run and sorted(plan.remove_ids) == sorted([ids["c"], ids["d"]])
    assert len(ds) == 6 and "Would remove 2 selected samples" in str(plan)
    plan = brain.remove_samples(chosen, dry_run=False, delete_files=True)
    assert len(ds) == 4 and not any(os.path.exists(p) for p in paths)
    assert sorted(brain.restore_trash(plan.trash_dir)) == sorted(paths)
    assert len(ds) == 6 and all(os.path.exists(p) for p in paths)
