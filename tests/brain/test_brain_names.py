"""FiftyOne's brain names on our runs: load_brain_results, list_brain_runs filters,
sort_by_similarity without a key, compute_visualization with given points or embeddings."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import brain as fob
import dataset_core as fo
from brain.visualization import VisualizationResults
from tests.conftest import write_image


@pytest.fixture
def nine(database, tmp_path):
    """9 images, embeddings at angles 0, 0.1, ... 0.8 on the unit circle."""
    for i in range(9):
        write_image(tmp_path / f"{i}.png", size=(8, 8), seed=i, fmt="PNG")
    ds = fo.Dataset.from_images_dir(str(tmp_path), name="nine")
    angles = np.arange(9) * 0.1
    return ds, np.stack([np.cos(angles), np.sin(angles)], axis=1)


def test_sort_by_similarity_uses_the_only_run_and_reverse_inverts(nine):
    ds, emb = nine
    with pytest.raises(fo.ViewError, match="no similarity run"):
        ds.sort_by_similarity(ds.first().id)
    fob.compute_similarity(ds, embeddings=emb, brain_key="image_similarity")
    query = ds.first().id
    near = ds.sort_by_similarity(query)
    far = ds.sort_by_similarity(query, reverse=True)
    assert near.values("id") == ds.values("id")  # angle order is distance order
    assert far.values("id") == list(reversed(near.values("id")))
    assert len(ds.sort_by_similarity(query, k=4)) == 4
    assert ds.sort_by_similarity(query, k=2, reverse=True).values("id") == ds.values("id")[:-3:-1]
    assert ds.sort_by_similarity(query, brain_key="image_similarity").values("id") == near.values(
        "id"
    )
    fob.compute_similarity(ds, embeddings=emb, brain_key="second")
    with pytest.raises(fo.ViewError, match=r"several similarity runs: \['image_similarity', "):
        ds.sort_by_similarity(query)


def test_list_brain_runs_filters_and_load_brain_results_types(nine):
    ds, emb = nine
    fob.compute_similarity(ds, embeddings=emb, brain_key="sim")
    fob.compute_visualization(ds, embeddings=emb, method="pca", brain_key="pca_map")
    fob.compute_visualization(ds, points=emb, brain_key="given")
    assert ds.list_brain_runs() == ["given", "pca_map", "sim"]
    assert ds.list_brain_runs(type="visualization") == ["given", "pca_map"]
    assert ds.list_brain_runs("similarity") == ["sim"]
    assert ds.list_brain_runs(method="pca") == ["pca_map"]
    assert ds.list_brain_runs(type="visualization", method="manual") == ["given"]
    assert ds.list_brain_runs(metric="cosine") == ["sim"]
    assert isinstance(ds.load_brain_results("sim"), fob.SimilarityIndex)
    results = ds.load_brain_results("given")
    assert isinstance(results, VisualizationResults)
    np.testing.assert_allclose(results.points, emb)
    assert results.sample_ids == ds.values("id")
    view = ds.limit(3)
    np.testing.assert_allclose(view.load_brain_results("given").current_points, emb[:3])
    with pytest.raises(fo.DatasetCoreError, match="no brain run 'nope'; runs: \\['given'"):
        ds.load_brain_results("nope")


def test_compute_visualization_with_points_needs_no_embeddings(nine, monkeypatch):
    ds, emb = nine
    monkeypatch.setitem(sys.modules, "umap", None)  # without the umap extra
    results = fob.compute_visualization(ds, points=emb * 3, brain_key="manual")
    assert results.config["method"] == "manual" and ds.list_brain_runs() == ["manual"]
    ids, pts = results  # the old tuple form still unpacks
    assert ids == ds.values("id")
    np.testing.assert_allclose(fob.load_points(ds, "manual")[1], emb * 3)
    for method in ("tsne", "pca"):
        ids, pts = fob.compute_visualization(ds, embeddings=emb, method=method, brain_key=method)
        assert pts.shape == (9, 2) and np.isfinite(pts).all()


VISUALIZATION_FAILURES = [
    (dict(points=np.zeros((3, 2))), r"points must be \(9, 2\)"),
    (dict(method="manual"), "pass points="),
    (dict(method="mds", embeddings=np.zeros((9, 2))), "Unknown visualization method 'mds'"),
    (dict(embeddings=np.zeros((4, 2)), method="pca"), r"embeddings must be \(9, D\)"),
    (dict(points=np.zeros((9, 2)), num_dims=3), "only 2-D"),
]


@pytest.mark.parametrize("kwargs, match", VISUALIZATION_FAILURES)
def test_compute_visualization_bad_arguments_store_nothing(nine, kwargs, match):
    ds, _ = nine
    with pytest.raises(fob.BrainError, match=match):
        fob.compute_visualization(ds, **kwargs)
    assert ds.list_brain_runs() == []
