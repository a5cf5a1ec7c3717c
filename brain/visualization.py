"""2-D maps of the embeddings, stored as runs, for the dashboard's scatter plot.

``compute_visualization`` reduces a similarity run's embeddings to 2-D points
with UMAP (the ``umap-learn`` extra), t-SNE or PCA (scikit-learn) and saves them
as a run: ids and an ``(N, 2)`` float32 array, never inline JSON.
:func:`load_points` reads them back for any dataset or view.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dataset_core import runs
from dataset_core.collection import SampleCollection

from .errors import BrainError
from .neighbors import Neighbors, get_neighbors

METHODS = ("umap", "tsne", "pca")
METHOD = "visualization"
#: UMAP's neighbourhood size: umap-learn's default
UMAP_NEIGHBORS = 15
#: t-SNE's perplexity: scikit-learn's default (clipped for tiny datasets)
TSNE_PERPLEXITY = 30.0
#: above this many dimensions, PCA first: t-SNE and UMAP run much faster on 50
#: components and lose almost nothing (the usual recipe)
PRE_PCA_DIMS = 50
UMAP_INSTALL_HINT = (
    "method='umap' needs the umap-learn package: pip install 'dataset-core[umap]' "
    "(or pip install umap-learn), or use method='pca' or method='tsne'"
)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _pca(x: np.ndarray, dims: int, seed: int) -> np.ndarray:
    from sklearn.decomposition import PCA

    dims = min(dims, x.shape[0], x.shape[1])
    out = PCA(n_components=dims, random_state=seed).fit_transform(x)
    if out.shape[1] < 2:  # a single sample or a single dimension: pad to a plane
        out = np.pad(out, ((0, 0), (0, 2 - out.shape[1])))
    return out


def reduce(x: np.ndarray, method: str = "pca", seed: int = 51) -> np.ndarray:
    """``(N, 2)`` float32 points from ``(N, D)`` embeddings (rows without NaN).

    Raises:
        ValueError: an unknown method.
        ImportError: ``method="umap"`` without umap-learn (with the install hint).
    """
    if method not in METHODS:
        raise BrainError(f"Unknown visualization method {method!r}; use one of {METHODS}")
    x = _unit(np.asarray(x, dtype=np.float32))
    n = len(x)
    if n < 3 or method == "pca":
        return _pca(x, 2, seed)[:, :2].astype(np.float32) if n else np.zeros((0, 2), np.float32)
    if x.shape[1] > PRE_PCA_DIMS and n > PRE_PCA_DIMS:
        x = _pca(x, PRE_PCA_DIMS, seed)
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = min(TSNE_PERPLEXITY, (n - 1) / 3)
        pts = TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(x)
    else:
        try:
            import umap
        except ImportError:
            raise ImportError(UMAP_INSTALL_HINT) from None
        # one job: a seeded UMAP runs single-threaded anyway (and warns when asked for more)
        reducer = umap.UMAP(n_components=2, n_neighbors=min(UMAP_NEIGHBORS, n - 1),
                            random_state=seed, n_jobs=1)  # fmt: skip
        pts = reducer.fit_transform(x)
    return np.asarray(pts, dtype=np.float32)


def compute_visualization(
    samples: SampleCollection, method: str = "umap", brain_key: str = "visualization",
    embeddings_key: str = "sim", seed: int = 51, neighbors: Neighbors | None = None,
    **similarity_kwargs: Any,
) -> tuple[list[str], np.ndarray]:  # fmt: skip
    """Reduce the embeddings to 2-D points and save them as run ``brain_key``.

    Args:
        samples: a dataset or view.
        method: ``"umap"`` (needs ``pip install umap-learn``), ``"tsne"`` or ``"pca"``.
        brain_key: the run's key (what :func:`load_points` and the app read).
        embeddings_key: the similarity run of the embeddings (computed when missing).
        seed: the random seed, so a rerun draws the same map.
        neighbors: a shared :class:`~brain.neighbors.Neighbors` to reuse its embeddings.

    Returns:
        ``(sample ids, (N, 2) float32 points)`` of the samples that have an
        embedding (images that could not be read are left out).

    Raises:
        ValueError: an unknown method.
        ImportError: ``"umap"`` without umap-learn; the message says what to install.

    Example:
        >>> ids, points = brain.compute_visualization(dataset, method="pca")
        >>> points.shape
        (1000, 2)
    """
    if method not in METHODS:
        raise BrainError(f"Unknown visualization method {method!r}; use one of {METHODS}")
    if method == "umap":
        try:
            import umap  # noqa: F401
        except ImportError:
            raise ImportError(UMAP_INSTALL_HINT) from None
    nb = get_neighbors(samples, embeddings_key, k=1, neighbors=neighbors, **similarity_kwargs)
    valid = nb.valid
    ids = [sid for sid, ok in zip(nb.sample_ids, valid, strict=True) if ok]
    points = reduce(nb.embeddings[valid], method, seed)
    config = {"method": method, "embeddings_key": embeddings_key, "seed": seed, "num_dims": 2}
    runs.save_run(samples, brain_key, METHOD, config, {"ids": np.array(ids), "points": points})
    return ids, points


def load_points(samples: SampleCollection, brain_key: str = "visualization") -> tuple[
    list[str], np.ndarray
]:  # fmt: skip
    """The 2-D points of run ``brain_key`` for the samples of ``samples`` that have one.

    Args:
        samples: a dataset or view; points of samples outside it (or deleted
            since) are left out, the rest keep the collection's order.
        brain_key: a :func:`compute_visualization` run.

    Returns:
        ``(sample id strings, (N, 2) float32 array)``, aligned.

    Raises:
        BrainRunNotFoundError: no such run (the message lists the runs there are).
        DatasetCoreError: the run is not a visualization.

    Example:
        >>> ids, xy = brain.visualization.load_points(dataset, "visualization")
    """
    info = runs.get_brain_info(samples, brain_key)
    if info.method != METHOD:
        raise BrainError(
            f"Brain run {brain_key!r} is a {info.method} run, not a visualization; "
            f"visualizations: {runs.list_brain_runs(samples, method=METHOD)}"
        )
    arrays = runs.load_run_arrays(samples, brain_key)
    row = {str(sid): n for n, sid in enumerate(arrays["ids"])}
    ids, rows = [], []
    for sid in samples.values("id"):
        r = row.get(sid)
        if r is not None:
            ids.append(sid)
            rows.append(r)
    points = np.asarray(arrays["points"], dtype=np.float32)[np.asarray(rows, dtype=np.int64)]
    return ids, points.reshape(-1, 2)
