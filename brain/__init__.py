"""brain: analyses that write fields and runs onto datasets.

Example:
    >>> import brain
    >>> brain.compute_uniqueness(dataset)
    >>> index = brain.compute_similarity(dataset, brain_key="sim")
    >>> brain.find_approximate_duplicates(dataset, brain_key="sim")
    >>> brain.deduplicate(dataset, kind="approximate", keep="largest")  # dry run
"""

from __future__ import annotations

from dataset_core.runs import (
    BrainRunInfo,
    BrainRunNotFoundError,
    delete_brain_run,
    delete_brain_runs,
    get_brain_info,
    list_brain_runs,
)

from .analyze import AnalysisResult, analyze
from .classify import knn_classify
from .clusters import compute_clusters, find_top_components
from .dedup import DedupPlan, deduplicate, move_to_trash, remove_all_duplicates, restore_trash
from .duplicates import find_approximate_duplicates, find_exact_duplicates
from .label_issues import compute_label_issues
from .leaks import compute_leaks
from .outliers import compute_outliers
from .quality import compute_image_stats
from .reports import create_report
from .similarity import SimilarityIndex, compute_similarity, load_similarity_index
from .uniqueness import compute_uniqueness
from .visualization import compute_visualization, load_points


def load_brain_results(samples, brain_key: str):  # noqa: ANN001, ANN201
    """The results of run ``brain_key``: a SimilarityIndex, or the run's arrays.

    Same as ``samples.load_brain_results(brain_key)``; similarity runs saved
    before runs recorded their results class load here too.
    """
    if get_brain_info(samples, brain_key).method == "similarity":
        return SimilarityIndex.load(samples, brain_key)
    return samples.load_brain_results(brain_key)


def compute_embeddings(*args, **kwargs):  # noqa: ANN002, ANN003, ANN201
    """See :func:`brain.embeddings.compute_embeddings` (imports torch on first use)."""
    from .embeddings import compute_embeddings as _compute

    return _compute(*args, **kwargs)


def embed_paths(*args, **kwargs):  # noqa: ANN002, ANN003, ANN201
    """See :func:`brain.embeddings.embed_paths` (imports torch on first use)."""
    from .embeddings import embed_paths as _embed

    return _embed(*args, **kwargs)


__all__ = [
    "AnalysisResult",
    "BrainRunInfo",
    "BrainRunNotFoundError",
    "DedupPlan",
    "SimilarityIndex",
    "analyze",
    "compute_clusters",
    "compute_embeddings",
    "compute_image_stats",
    "compute_label_issues",
    "compute_leaks",
    "compute_outliers",
    "compute_similarity",
    "compute_uniqueness",
    "compute_visualization",
    "create_report",
    "deduplicate",
    "delete_brain_run",
    "delete_brain_runs",
    "embed_paths",
    "find_approximate_duplicates",
    "find_exact_duplicates",
    "find_top_components",
    "get_brain_info",
    "knn_classify",
    "list_brain_runs",
    "load_brain_results",
    "load_points",
    "load_similarity_index",
    "move_to_trash",
    "remove_all_duplicates",
    "restore_trash",
]
