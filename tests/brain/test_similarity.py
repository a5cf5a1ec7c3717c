"""Similarity indexes on views: an index answers for the collection it is used on."""

from __future__ import annotations

import numpy as np
import pytest

import brain
import dataset_core as dc
from tests.conftest import write_image


@pytest.fixture
def tagged(database, tmp_path):
    """8 images; 3 of them tagged "pick"; embeddings on a line (row i at angle i)."""
    for i in range(8):
        write_image(tmp_path / f"{i}.png", size=(8, 8), seed=i, fmt="PNG")
    ds = dc.Dataset.from_images_dir(str(tmp_path), name="tagged")
    ids = ds.values("id")
    ds.select([ids[1], ids[4], ids[6]]).tag_samples("pick")
    angles = np.arange(8) * 0.15
    emb = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    brain.compute_similarity(ds, brain_key="sim", embeddings=emb)
    return ds, ids


def test_sort_by_similarity_on_a_view_stays_in_the_view(tagged):
    ds, ids = tagged
    view = ds.match_tags("pick")
    got = view.sort_by_similarity(ids[1], k=6, brain_key="sim")
    assert got.values("id") == [ids[1], ids[4], ids[6]]  # all of the view, nearest first
    assert set(got.values("id")) <= set(view.values("id"))


def test_query_outside_the_view_answers_with_the_views_samples(tagged):
    ds, ids = tagged
    view = ds.match_tags("pick")
    got = view.sort_by_similarity(ids[7], k=2, brain_key="sim")
    assert got.values("id") == [ids[6], ids[4]]


def test_index_loaded_on_a_view_holds_only_its_rows(tagged, capsys):
    ds, ids = tagged
    view = ds.match_tags("pick")
    index = ds.load_brain_results("sim").use_view(view)
    assert index.sample_ids == [ids[1], ids[4], ids[6]]
    assert index.query(ids[0], k=10)[0] == [ids[1], ids[4], ids[6]]
    assert "deleted" not in capsys.readouterr().out  # outside the view is not deleted
    whole = brain.load_brain_results(ds, "sim")
    assert whole.total_index_size == 8


def test_runs_api_on_the_dataset(tagged):
    ds, ids = tagged
    assert ds.list_brain_runs() == ["sim"] and ds.has_brain_run("sim")
    assert ds.get_brain_info("sim").method == "similarity"
    ds.rename_brain_run("sim", "sim2")
    assert ds.list_brain_runs() == ["sim2"]
    index = dc.load_dataset("tagged").match_tags("pick").load_brain_results("sim2")
    assert index.sample_ids == [ids[1], ids[4], ids[6]]
    brain.compute_similarity(ds, brain_key="other", embeddings=np.eye(8, 3))
    with pytest.raises(dc.DatasetCoreError, match="already has a brain run 'other'"):
        ds.rename_brain_run("sim2", "other")
    ds.delete_brain_run("sim2")
    assert ds.list_brain_runs() == ["other"]
    with pytest.raises(brain.BrainRunNotFoundError, match="no brain run 'sim2'"):
        ds.load_brain_results("sim2")
