"""fastdup-style dataset-health operators: image quality, outliers, label issues,
leaks, clusters, the 2-D map and kNN labels, over the same ``brain`` calls."""

from __future__ import annotations

from typing import Any

import brain
from dataset_core.view import DatasetView

from .base import Operator, Outcome, Param, count_preview

_LABEL_FIELD = Param("label_field", "str", "ground_truth", "label field",
                     help="the Classification field to check")  # fmt: skip


def _stats(view: DatasetView, _params: dict[str, Any]) -> Outcome:
    res = brain.compute_image_stats(view)
    found = ", ".join(f"{n} {flag}" for flag, n in sorted(res.counts.items()) if n) or "no flags"
    return Outcome(f"Image stats of {len(res.sample_ids)} images: {found} "
                   "(filter `quality_issues` in the sidebar)")  # fmt: skip


def _outliers(view: DatasetView, params: dict[str, Any]) -> Outcome:
    res = brain.compute_outliers(view, lower_threshold=params["lower_threshold"])
    share = f"{params['lower_threshold']:.0%}"
    return Outcome(f"Tagged {len(res.outlier_ids)} outliers (lowest {share}); "
                   "`outlier_score` on every sample")  # fmt: skip


def _label_issues(view: DatasetView, params: dict[str, Any]) -> Outcome:
    res = brain.compute_label_issues(view, label_field=params["label_field"])
    return Outcome(f"Tagged {len(res.flagged)} likely label mistakes "
                   f"({len(res.confusing_pairs)} near-duplicates with different labels); "
                   "`label_issue_score` and `suggested_label` written")  # fmt: skip


def _leaks(view: DatasetView, params: dict[str, Any]) -> Outcome:
    splits = [s.strip() for s in params["splits"].split(",") if s.strip()]
    res = brain.compute_leaks(view, splits=splits, split_field=params["split_field"])
    return Outcome(f"{len(res.leaks)} near-duplicate pairs across {', '.join(splits)}; "
                   f"{len(res.leak_ids)} samples tagged `leak`")  # fmt: skip


def _clusters(view: DatasetView, params: dict[str, Any]) -> Outcome:
    res = brain.compute_clusters(view, method=params["method"], k=params["k"])
    big = int(res.sizes.max()) if len(res.sizes) else 0
    return Outcome(f"{len(res.sizes)} clusters ({params['method']}); the largest has {big}")


def _visualization(view: DatasetView, params: dict[str, Any]) -> Outcome:
    ids, _ = brain.compute_visualization(view, method=params["method"])
    return Outcome(f"2-D map of {len(ids)} images ({params['method']}): open Plots to lasso them")


def _knn(view: DatasetView, params: dict[str, Any]) -> Outcome:
    preds = brain.knn_classify(view, label_field=params["label_field"], k=params["k"])
    n = sum(p is not None for p in preds)
    return Outcome(f"`knn_prediction` for {n} samples from their {params['k']} nearest neighbours")


HEALTH_OPERATORS: list[Operator] = [
    Operator("compute_image_stats", "Health: image quality",
             "Brightness, blur, contrast, entropy, sizes; flags dark, bright, blurry, "
             "low-information and odd aspect ratios", _stats, count_preview("Measure")),
    Operator("compute_outliers", "Health: find outliers",
             "Score samples by distance to their neighbours; tag the farthest", _outliers,
             count_preview("Score"),
             (Param("lower_threshold", "float", 0.05, "fraction to tag"),)),
    Operator("compute_label_issues", "Health: find label mistakes",
             "Labels that disagree with the nearest neighbours' labels", _label_issues,
             count_preview("Check the labels of"), (_LABEL_FIELD,)),
    Operator("compute_leaks", "Health: find train/test leaks",
             "Near-duplicates across splits, tagged on both sides", _leaks,
             count_preview("Compare splits in"),
             (Param("splits", "str", "train,test", "splits", help="comma-separated"),
              Param("split_field", "str", "tags", "split field",
                    help="tags, or a field holding the split name"))),
    Operator("compute_clusters", "Health: clusters",
             "A cluster id per sample (connected components or k-means)", _clusters,
             count_preview("Cluster"),
             (Param("method", "choice", "components", "method", ("components", "kmeans")),
              Param("k", "int", 100, "k (k-means)"))),
    Operator("compute_visualization", "Health: 2-D embeddings map",
             "Points for the Plots panel's scatter plot", _visualization,
             count_preview("Map"), (Param("method", "choice", "pca", "method",
                                          ("pca", "tsne", "umap")),)),
    Operator("knn_classify", "Health: kNN labels",
             "Predict labels from labelled neighbours (fastdup's kNN classifier)", _knn,
             count_preview("Predict"), (_LABEL_FIELD, Param("k", "int", 10, "k"))),
]  # fmt: skip
