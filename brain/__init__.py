"""brain: analyses that write fields and runs onto datasets.

Example:
    >>> import brain
    >>> brain.compute_uniqueness(dataset)
    >>> index = brain.compute_similarity(dataset, brain_key="sim")
    >>> brain.find_approximate_duplicates(dataset, brain_key="sim")
    >>> brain.deduplicate(dataset, kind="approximate", keep="largest")  # dry run
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from dataset_core.collection import SampleCollection
from dataset_core.runs import (
    BrainRunInfo,
    BrainRunNotFoundError,
    delete_brain_run,
    delete_brain_runs,
    get_brain_info,
    list_brain_runs,
    rename_brain_run,
)

from .analyze import AnalysisResult, analyze
from .classify import knn_classify
from .clusters import compute_clusters, find_top_components
from .dedup import (
    DedupPlan,
    deduplicate,
    move_to_trash,
    remove_all_duplicates,
    remove_samples,
    restore_trash,
)
from .duplicates import find_approximate_duplicates, find_exact_duplicates
from .errors import BrainError
from .label_issues import compute_label_issues
from .leaks import compute_leaks
from .outliers import compute_outliers
from .quality import compute_image_stats
from .reports import create_report
from .similarity import SimilarityIndex, compute_similarity, load_similarity_index
from .uniqueness import compute_uniqueness
from .visualization import compute_visualization, load_points

if TYPE_CHECKING:
    import numpy as np

    from .embeddings import EmbeddingResult


def load_brain_results(samples: SampleCollection, brain_key: str) -> Any:
    """The results of run ``brain_key``: a SimilarityIndex, or the run's arrays.

    Same as ``samples.load_brain_results(brain_key)``; similarity runs saved
    before runs recorded their results class load here too.
    """
    if get_brain_info(samples, brain_key).method == "similarity":
        return SimilarityIndex.load(samples, brain_key)
    return samples.load_brain_results(brain_key)


def compute_embeddings(
    samples: SampleCollection, model: Any = None, batch_size: int | None = None,
    num_workers: int | None = None, embeddings_field: str | None = None, device: Any = None,
    progress: bool = True, image_size: int | None = None,
) -> np.ndarray:  # fmt: skip
    """Embed the images of a dataset or view; see :func:`brain.embeddings.compute_embeddings`.

    (A forwarder, so that ``import brain`` does not import torch.)
    """
    from .embeddings import compute_embeddings as _compute

    return _compute(samples, model=model, batch_size=batch_size, num_workers=num_workers,
                    embeddings_field=embeddings_field, device=device, progress=progress,
                    image_size=image_size)  # fmt: skip


def embed_paths(
    paths: Sequence[str], model: Any = None, batch_size: int | None = None,
    num_workers: int | None = None, device: Any = None,
    extras: dict[str, Callable[[Any], np.ndarray]] | None = None, progress: bool = True,
    image_size: int | None = None, num_threads: int | None = None,
    model_in_workers: bool | None = None, hash_files: bool = False, precision: str | None = None,
) -> EmbeddingResult:  # fmt: skip
    """Embed image files; see :func:`brain.embeddings.embed_paths`.

    (A forwarder, so that ``import brain`` does not import torch.)
    """
    from .embeddings import embed_paths as _embed

    return _embed(paths, model=model, batch_size=batch_size, num_workers=num_workers,
                  device=device, extras=extras, progress=progress, image_size=image_size,
                  num_threads=num_threads, model_in_workers=model_in_workers,
                  hash_files=hash_files, precision=precision)  # fmt: skip


__all__ = [
    "AnalysisResult",
    "BrainError",
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
    "remove_samples",
    "rename_brain_run",
    "restore_trash",
]
