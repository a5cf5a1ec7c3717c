"""2-D maps of the embeddings, stored as runs, for the dashboard's scatter plot.

``compute_visualization`` reduces embeddings (a similarity run's, or given)
to 2-D points with UMAP (the ``umap-learn`` extra), t-SNE or PCA
(scikit-learn), or stores given points, and saves them as a run: ids and an
``(N, 2)`` float32 array, never inline JSON.
:func:`load_points` reads them back for any dataset or view.
"""

from __future__ import annotations

from collections.abc import Iterator
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


class VisualizationResults:
    """The 2-D points of a visualization run, for the collection it was loaded for.

    Unpacks as ``ids, points = results`` (what ``compute_visualization``
    returned before it returned this).

    Attributes:
        key: the run's brain key.
        config: the run's config (``method``, ``num_dims``...).
        sample_ids: ids (str) of every sample of the run, aligned with ``points``.
        points: ``(N, 2)`` float32, one row per sample of the run.
    """

    def __init__(self, samples: SampleCollection, key: str, config: dict[str, Any],
                 sample_ids: list[str], points: np.ndarray) -> None:  # fmt: skip
        self._samples = samples
        self.key = key
        self.config = config
        self.sample_ids = list(sample_ids)
        self.points = points

    @property
    def current_sample_ids(self) -> list[str]:
        """The ids of the run's samples in the collection, in its order."""
        return load_points(self._samples, self.key)[0]

    @property
    def current_points(self) -> np.ndarray:
        """The points of :attr:`current_sample_ids`."""
        return load_points(self._samples, self.key)[1]

    @property
    def index_size(self) -> int:
        """How many points the run holds."""
        return len(self.sample_ids)

    def __iter__(self) -> Iterator[Any]:
        return iter((self.sample_ids, self.points))

    def __len__(self) -> int:
        return 2

    def __getitem__(self, i: int) -> Any:
        return (self.sample_ids, self.points)[i]

    def __repr__(self) -> str:
        return f"VisualizationResults(key={self.key!r}, points={self.points.shape})"

    @classmethod
    def load(cls, samples: SampleCollection, key: str) -> VisualizationResults:
        """The results of run ``key`` (what ``load_brain_results`` returns)."""
        info = runs.get_brain_info(samples, key)
        arrays = runs.load_run_arrays(samples, key)
        ids = [str(i) for i in arrays["ids"]]
        return cls(samples, key, info.config, ids, np.asarray(arrays["points"], np.float32))


def _embeddings(samples: SampleCollection, embeddings: Any, embeddings_key: str,
                neighbors: Neighbors | None,
                similarity_kwargs: dict[str, Any]) -> tuple[list[str], np.ndarray]:  # fmt: skip
    """``(ids, (N, D) rows)`` of the samples that have an embedding."""
    if embeddings is None:
        nb = get_neighbors(samples, embeddings_key, k=1, neighbors=neighbors,
                           **similarity_kwargs)  # fmt: skip
        valid = nb.valid
        ids = [sid for sid, ok in zip(nb.sample_ids, valid, strict=True) if ok]
        return ids, nb.embeddings[valid]
    ids = samples.values("id")
    if isinstance(embeddings, str):  # a field of vectors
        rows = [None if v is None else np.asarray(v, np.float32).ravel()
                for v in samples.values(embeddings)]  # fmt: skip
        keep = [i for i, r in enumerate(rows) if r is not None]
        return [ids[i] for i in keep], np.stack([rows[i] for i in keep]) if keep else np.zeros(
            (0, 2), np.float32
        )
    if isinstance(embeddings, dict):  # sample id -> vector
        keep_ids = [i for i in ids if i in embeddings]
        rows = [np.asarray(embeddings[i], np.float32).ravel() for i in keep_ids]
        return keep_ids, np.stack(rows) if rows else np.zeros((0, 2), np.float32)
    x = np.asarray(embeddings, dtype=np.float32)
    if x.ndim != 2 or len(x) != len(ids):
        raise BrainError(f"embeddings must be ({len(ids)}, D), one row per sample; got {x.shape}")
    return ids, x


def compute_visualization(
    samples: SampleCollection, embeddings: Any = None, points: Any = None,
    brain_key: str = "visualization", num_dims: int = 2, method: str | None = None,
    embeddings_key: str = "sim", seed: int = 51, neighbors: Neighbors | None = None,
    **similarity_kwargs: Any,
) -> VisualizationResults:  # fmt: skip
    """2-D points of the samples, saved as run ``brain_key`` (FiftyOne's arguments).

    Args:
        samples: a dataset or view.
        embeddings: precomputed ``(N, D)`` embeddings aligned with ``samples``,
            a dict of sample id -> vector, or the name of a field of vectors;
            default: the similarity run ``embeddings_key`` (computed when missing).
        points: precomputed ``(N, 2)`` points aligned with ``samples``: stored
            as they are (``method="manual"``), nothing is computed.
        brain_key: the run's key (what :func:`load_points` and the app read).
        num_dims: 2 (the only map the app draws).
        method: ``"umap"`` (default; needs ``pip install umap-learn``), ``"tsne"``
            or ``"pca"`` (scikit-learn), or ``"manual"`` with ``points``.
        embeddings_key: the similarity run whose embeddings are reduced.
        seed: the random seed, so a rerun draws the same map.
        neighbors: a shared :class:`~brain.neighbors.Neighbors` to reuse its embeddings.

    Returns:
        :class:`VisualizationResults` (unpacks as ``ids, points``) of the
        samples that have an embedding (unreadable images are left out).

    Raises:
        BrainError: an unknown method, ``num_dims`` other than 2, or points or
            embeddings of the wrong shape.
        ImportError: ``"umap"`` without umap-learn; the message says what to install.

    Example:
        >>> results = brain.compute_visualization(dataset, method="pca")
        >>> results.points.shape
        (1000, 2)
    """
    if points is not None:
        method = method or "manual"
    method = method or "umap"
    if method not in METHODS + ("manual",) or (method == "manual") != (points is not None):
        raise BrainError(
            f"Unknown visualization method {method!r}; use one of {METHODS}, or pass "
            "points= (method 'manual')"
        )
    if num_dims != 2:
        raise BrainError(f"num_dims={num_dims}: only 2-D maps are supported")
    if method == "umap":
        try:
            import umap  # noqa: F401
        except ImportError:
            raise ImportError(UMAP_INSTALL_HINT) from None
    config: dict[str, Any] = {"method": method, "num_dims": 2}
    if points is not None:
        ids = samples.values("id")
        pts = np.asarray(points, dtype=np.float32)
        if pts.shape != (len(ids), 2):
            raise BrainError(f"points must be ({len(ids)}, 2), one row per sample; got {pts.shape}")
    else:
        ids, x = _embeddings(samples, embeddings, embeddings_key, neighbors, similarity_kwargs)
        pts = reduce(x, method, seed)
        config.update(seed=seed, embeddings_key=embeddings_key if embeddings is None else None)
    runs.save_run(samples, brain_key, METHOD, config, {"ids": np.array(ids), "points": pts},
                  results_cls=f"{__name__}:VisualizationResults")  # fmt: skip
    return VisualizationResults(samples, brain_key, config, list(ids), pts)


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
