"""The dataset-health analyses on real photo crops with planted answers
(tests/brain/health_data.py), embedded once by the real default model."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import brain
import dataset_core as dc
from brain import neighbors as nbmod
from brain.visualization import UMAP_INSTALL_HINT, load_points
from dataset_core import db
from tests.brain.health_data import by_name


@pytest.fixture
def named(health, health_tree):
    """Relative path -> sample id (ids never change; values are read fresh with ``get``)."""
    return {k: s.id for k, s in by_name(health, health_tree).items()}


def get(ds, sample_id):
    return ds.select([sample_id]).first()


def test_outliers_tag_the_noise_image_first(health, named):
    res = brain.compute_outliers(health, lower_threshold=0.1)
    assert len(res.outlier_ids) == 3  # ceil(10 % of 22)
    assert res.outlier_ids[0] == named["noise.png"]
    assert set(health.match_tags("outlier").values("id")) == set(res.outlier_ids)
    exact = named["test/cat/leak_copy.jpg"]  # a copy has a close neighbour: not an outlier
    assert exact not in res.outlier_ids
    top = health.sort_by("outlier_score", reverse=True).first()
    assert top.filepath.endswith("noise.png")
    again = brain.compute_outliers(health, lower_threshold=0.0)  # re-run: old tags go
    assert again.outlier_ids == [] and len(health.match_tags("outlier")) == 0


def test_outliers_reject_a_fraction_out_of_range(health):
    with pytest.raises(ValueError, match="lower_threshold is the fraction"):
        brain.compute_outliers(health, lower_threshold=1.5)


def test_components_group_the_planted_copies(health, named):
    res = brain.compute_clusters(health, method="components", threshold=0.96)
    copies = {named["train/cat/cat_0.jpg"], named["test/cat/leak_copy.jpg"]}
    top = brain.find_top_components(health, min_items=2)
    assert top and copies <= set(top[0].sample_ids)
    assert [c.size for c in top] == sorted((c.size for c in top), reverse=True)
    assert res.sizes[0] == top[0].size
    assert health.count("component_id") == int(res.sizes.sum())
    # distinct crops of one photo are not near-identical at 0.96
    assert named["train/cat/cat_1.jpg"] not in set().union(*(c.sample_ids for c in top))


def test_kmeans_puts_each_photo_in_one_cluster(health, named):
    res = brain.compute_clusters(health, method="kmeans", k=5, cluster_field="km")
    assert len(res.sizes) == 5 and health.count("km") == len(health)
    cat = {get(health, named[f"{s}/cat/cat_{n}.jpg"]).km
           for s, n in (("train", 0), ("train", 1), ("test", 2))}  # fmt: skip
    assert len(cat) == 1
    with pytest.raises(ValueError, match="Unknown clustering method"):
        brain.compute_clusters(health, method="dbscan")


def test_relabelled_duplicate_is_the_worst_label_issue(health, named):
    res = brain.compute_label_issues(health, label_field="ground_truth")
    wrong = get(health, named["train/horse/mislabelled.jpg"])
    assert res.flagged[0] == wrong.id
    assert wrong.label_issue_score > 0.9 and wrong.suggested_label == "rocket"
    assert "label_issue" in wrong.tags
    clean = [get(health, i) for k, i in named.items()
             if "/" in k and "mislabelled" not in k and "rocket_0" not in k]  # fmt: skip
    assert all(s.label_issue_score < 0.5 for s in clean)
    assert all("label_issue" not in s.tags for s in clean)
    pair = {p.id_a for p in res.confusing_pairs} | {p.id_b for p in res.confusing_pairs}
    assert pair == {wrong.id, named["train/rocket/rocket_0.jpg"]}
    assert {res.confusing_pairs[0].label_a, res.confusing_pairs[0].label_b} == {"horse", "rocket"}
    assert all(0 <= s <= 1 for s in health.values("label_issue_score") if s is not None)


def test_label_issues_need_a_label_field(health):
    with pytest.raises(dc.FieldNotFoundError, match="Label field 'labels' not found"):
        brain.compute_label_issues(health, label_field="labels")


def test_knn_classify_predicts_from_the_neighbours(health, named):
    preds = brain.knn_classify(health, k=5)
    assert len(preds) == len(health)
    assert get(health, named["train/horse/mislabelled.jpg"]).knn_prediction.label == "rocket"
    test = [get(health, i) for k, i in named.items() if k.startswith("test/") and "leak" not in k]
    hits = [s.knn_prediction.label == s.ground_truth.label for s in test]
    assert sum(hits) >= 4  # crops of one photo are each other's neighbours
    conf = health.values("knn_prediction.confidence")
    assert all(0 < c <= 1 for c in conf)


def test_copy_across_splits_is_a_leak(health, named):
    res = brain.compute_leaks(health, splits=["train", "test"])
    assert len(res.leaks) == 1
    leak = res.leaks[0]
    assert {leak.id_a, leak.id_b} == {named["train/cat/cat_0.jpg"], named["test/cat/leak_copy.jpg"]}
    assert {leak.split_a, leak.split_b} == {"train", "test"}
    assert set(health.load_saved_view("leaks_view").values("id")) == {leak.id_a, leak.id_b}
    # the same-split near-duplicates (mislabelled / rocket_0) are not leaks
    by_views = brain.compute_leaks(health, splits={"a": health.match_tags("train"),
                                                   "b": health.match_tags("test")})  # fmt: skip
    assert len(by_views.leaks) == 1
    with pytest.raises(dc.DatasetCoreError, match="at least two splits"):
        brain.compute_leaks(health, splits=["train"])


def test_leaks_by_field(health, named):
    health.set_values("split", ["train" if "train" in t else "test" if "test" in t else None
                                for t in health.values("tags")])  # fmt: skip
    res = brain.compute_leaks(health, splits=["train", "test"], split_field="split", tag=None)
    assert len(res.leaks) == 1 and len(health.match_tags("leak")) == 0


def test_visualization_points_round_trip_for_a_view(health, named):
    ids, pts = brain.compute_visualization(health, method="pca")
    assert pts.shape == (len(health), 2) and pts.dtype == np.float32
    row = {sid: i for i, sid in enumerate(ids)}
    a, b = row[named["train/cat/cat_0.jpg"]], row[named["test/cat/leak_copy.jpg"]]
    np.testing.assert_allclose(pts[a], pts[b], atol=1e-4)  # byte copies: one point
    assert len(set(map(tuple, pts.round(4)))) == len(health) - 1  # all other images differ
    db.reset()  # back from GridFS, not recomputed
    ds = dc.load_dataset("health")
    view = ds.match_tags("test")
    vids, vpts = load_points(view, "visualization")
    assert vids == view.values("id") and vpts.shape == (len(view), 2)
    np.testing.assert_allclose(vpts, pts[[row[i] for i in vids]])


def test_tsne_separates_the_noise_image(health, named):
    ids, pts = brain.compute_visualization(health, method="tsne", brain_key="tsne")
    assert pts.shape == (len(health), 2) and np.isfinite(pts).all()
    assert brain.get_brain_info(health, "tsne").config["method"] == "tsne"


def test_umap_without_the_package_says_what_to_install(health, monkeypatch):
    monkeypatch.setitem(sys.modules, "umap", None)  # as if umap-learn were not installed
    with pytest.raises(ImportError, match="pip install"):
        brain.compute_visualization(health, method="umap")
    assert "umap-learn" in UMAP_INSTALL_HINT


def test_umap_when_installed(health):
    pytest.importorskip("umap", reason="umap-learn is an optional extra")
    ids, pts = brain.compute_visualization(health, method="umap", brain_key="umap")
    assert pts.shape == (len(health), 2)


def test_load_points_of_a_run_that_is_not_a_map(health):
    brain.compute_outliers(health)
    with pytest.raises(dc.DatasetCoreError, match="not a visualization"):
        load_points(health, "outliers")


def test_one_graph_serves_every_analysis_and_views(health, named):
    nb = nbmod.get_neighbors(health)
    brain.compute_outliers(health, neighbors=nb)
    brain.compute_label_issues(health, neighbors=nb)
    view = health.match_tags("train")
    sub = nbmod.get_neighbors(view, neighbors=nb)  # restricted, not recomputed from the run
    assert sub.sample_ids == view.values("id")
    assert set(sub.graph.indices.ravel()) <= set(range(len(view)))
    res = brain.compute_outliers(view, lower_threshold=0.2, neighbors=nb)
    assert set(res.outlier_ids) <= set(view.values("id"))
