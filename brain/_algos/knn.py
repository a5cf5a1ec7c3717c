"""k-nearest-neighbour search behind one small interface.

Every analysis that needs neighbours (uniqueness, duplicates, outliers, label
checks, leaks) asks :func:`knn_graph` or :func:`search` and never cares which
backend answered:

- ``"numpy"``: exact, blocked matrix products with a running top-k, memory
  bounded by ``block_bytes`` whatever N is;
- ``"faiss"``: exact flat inner-product search up to ``FAISS_EXACT_MAX``
  vectors; above, :func:`knn_graph` builds an approximate graph by partitioning
  the rows with faiss k-means and joining each part with its nearest parts
  (:mod:`brain._algos.knn_ivf`): 1,000,000 vectors of 1280 dims in about 11 GB and
  minutes on 2 cores (benchmarks/RESULTS.md). :func:`search` (a few queries
  against a base) stays exact at any size, scanning the base in chunks.

Vectors are compared by cosine distance ``1 - cos`` (``metric="cosine"``) or
Euclidean distance (``metric="euclidean"``); distances come back ascending.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ..errors import BrainError

#: bytes of the (block x N) similarity block the numpy backend holds at once
DEFAULT_BLOCK_BYTES = 256 << 20
#: faiss searches exactly below this size (flat index: ~4 s for 20k x 1280-d on 2 cores)
FAISS_EXACT_MAX = 100_000
#: base rows scanned at a time by the chunked exact search (64 MB at 1280 dims)
SEARCH_CHUNK = 12_500
METRICS = ("cosine", "euclidean")


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """BLAS on one thread, for code that runs its own threads or small products.

    Threaded OpenBLAS spin-waits: on 2 shared cores, find_pairs on 2,000 images
    took 3.5-5.5 s with its 2 threads and 1.0-1.8 s with one. Without
    threadpoolctl (a dependency of scikit-learn), BLAS is left as it is.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@dataclass
class KnnGraph:
    """Each row's nearest other rows: ``indices[i]`` and ``distances[i]`` ascending.

    Rows with fewer than k neighbours (tiny datasets) are padded with index -1
    and distance ``inf``.
    """

    distances: np.ndarray  # (N, k) float32
    indices: np.ndarray  # (N, k) int64
    metric: str
    backend: str


def _prepare(x: np.ndarray, metric: str) -> np.ndarray:
    if metric not in METRICS:
        raise BrainError(f"Unknown metric {metric!r}; use one of {METRICS}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise BrainError(f"Embeddings must be a 2-D (N, D) array; got shape {x.shape}")
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        x = x / np.maximum(norms, 1e-12)
    return x


#: rows normalised at a time on the faiss path, so no full normalised copy exists
NORMALIZE_CHUNK = 65_536


def _chunks(x: np.ndarray, metric: str):  # noqa: ANN202
    """Yield float32, (for cosine) unit-norm chunks of ``x`` without copying it whole."""
    for start in range(0, len(x), NORMALIZE_CHUNK):
        part = np.ascontiguousarray(x[start : start + NORMALIZE_CHUNK], dtype=np.float32)
        if metric == "cosine":
            part = part / np.maximum(np.linalg.norm(part, axis=1, keepdims=True), 1e-12)
        yield start, part


def _has_faiss() -> bool:
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


def choose_backend(backend: str = "auto") -> str:
    """``"faiss"`` when installed (it is faster even for exact search), else numpy."""
    if backend == "auto":
        return "faiss" if _has_faiss() else "numpy"
    if backend not in ("numpy", "faiss"):
        raise BrainError(f"Unknown kNN backend {backend!r}; use 'auto', 'numpy' or 'faiss'")
    if backend == "faiss" and not _has_faiss():
        raise ImportError("The faiss backend needs faiss-cpu: pip install faiss-cpu")
    return backend


def _to_distance(scores: np.ndarray, metric: str) -> np.ndarray:
    if metric == "cosine":
        return np.clip(1.0 - scores, 0.0, 2.0).astype(np.float32)
    return np.sqrt(np.maximum(scores, 0.0)).astype(np.float32)


def _numpy_search(
    base: np.ndarray, queries: np.ndarray, k: int, metric: str, self_offset: int | None,
    block_bytes: int,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    n, q = len(base), len(queries)
    k_eff = min(k, n - (1 if self_offset is not None else 0))
    dist = np.full((q, k), np.inf, dtype=np.float32)
    idx = np.full((q, k), -1, dtype=np.int64)
    if k_eff <= 0:
        return dist, idx
    block = max(1, block_bytes // max(1, 4 * n))
    sq_base = (base * base).sum(1) if metric == "euclidean" else None
    for start in range(0, q, block):
        qb = queries[start : start + block]
        sims = qb @ base.T  # (b, n): higher is closer
        if metric == "euclidean":
            sims = 2 * sims - sq_base[None, :] - (qb * qb).sum(1)[:, None]  # = -||q - x||^2
        if self_offset is not None:
            rows = np.arange(len(qb))
            sims[rows, self_offset + start + rows] = -np.inf
        part = np.argpartition(-sims, k_eff - 1, axis=1)[:, :k_eff]
        top = np.take_along_axis(sims, part, axis=1)
        order = np.argsort(-top, axis=1)
        part = np.take_along_axis(part, order, axis=1)
        top = np.take_along_axis(top, order, axis=1)
        idx[start : start + len(qb), :k_eff] = part
        dist[start : start + len(qb), :k_eff] = (
            _to_distance(top, "cosine") if metric == "cosine" else np.sqrt(np.maximum(-top, 0))
        )
    return dist, idx


def _faiss_index(base: np.ndarray, metric: str):  # noqa: ANN202
    """An exact faiss index over ``base`` (raw rows: normalised chunk by chunk as added)."""
    import faiss

    index = (
        faiss.IndexFlatIP(base.shape[1]) if metric == "cosine" else faiss.IndexFlatL2(base.shape[1])
    )
    for _, part in _chunks(base, metric):
        index.add(part)
    return index


def _faiss_search(
    base: np.ndarray, queries: np.ndarray, k: int, metric: str, self_offset: int | None
) -> tuple[np.ndarray, np.ndarray]:
    index = _faiss_index(base, metric)
    extra = 1 if self_offset is not None else 0
    k_ask = min(k + extra, len(base))
    out_d = np.full((len(queries), k), np.inf, dtype=np.float32)
    out_i = np.full((len(queries), k), -1, dtype=np.int64)
    for start, q in _chunks(queries, metric):
        scores, idx = index.search(q, k_ask)
        if self_offset is not None:
            rows = self_offset + start + np.arange(len(q))[:, None]
            keep = idx != rows
            # drop self (usually column 0, but ties can move it); keep the first k others
            order = np.argsort(~keep, axis=1, kind="stable")
            idx = np.take_along_axis(idx, order, axis=1)[:, :k]
            scores = np.take_along_axis(scores, order, axis=1)[:, :k]
            keep = np.take_along_axis(keep, order, axis=1)[:, :k]
            idx = np.where(keep, idx, -1)
        if metric == "cosine":
            dist = _to_distance(scores, metric)
        else:
            dist = np.sqrt(np.maximum(scores, 0))
        dist = np.where(idx >= 0, dist, np.inf).astype(np.float32)
        out_d[start : start + len(q), : dist.shape[1]] = dist
        out_i[start : start + len(q), : idx.shape[1]] = idx
    return out_d, out_i


def knn_graph(
    embeddings: np.ndarray, k: int = 10, metric: str = "cosine", backend: str = "auto",
    block_bytes: int = DEFAULT_BLOCK_BYTES,
) -> KnnGraph:  # fmt: skip
    """Each vector's ``k`` nearest *other* vectors.

    Args:
        embeddings: (N, D) array; rows of NaN (images that failed) get no
            neighbours and are nobody's neighbour.
        k: neighbours per row.
        metric: ``"cosine"`` or ``"euclidean"``.
        backend: ``"auto"``, ``"numpy"`` or ``"faiss"``.
        block_bytes: memory bound of the numpy backend's similarity block.

    Returns:
        A :class:`KnnGraph`.

    Example:
        >>> g = knn_graph(np.random.rand(100, 8), k=3)
        >>> g.indices.shape
        (100, 3)
    """
    if k < 1:
        raise BrainError(f"k must be at least 1; got {k}")
    if metric not in METRICS:
        raise BrainError(f"Unknown metric {metric!r}; use one of {METRICS}")
    raw = np.asarray(embeddings)
    if raw.ndim != 2:
        raise BrainError(f"Embeddings must be a 2-D (N, D) array; got shape {raw.shape}")
    valid = ~np.isnan(raw).any(axis=1)
    rows = np.flatnonzero(valid)
    backend = choose_backend(backend)
    if backend == "faiss" and len(rows) > FAISS_EXACT_MAX:
        from .knn_ivf import ivf_graph

        xv = np.ascontiguousarray(raw if valid.all() else raw[rows], dtype=np.float32)
        d, i = ivf_graph(xv, k, metric, single_threaded_blas)
        backend = "faiss-ivf"
    elif backend == "faiss" and len(rows):
        xv = raw if valid.all() else raw[rows]  # no copy when every row is valid
        d, i = _faiss_search(xv, xv, k, metric, self_offset=0)
    else:
        xv = _prepare(raw[rows], metric)
        d, i = _numpy_search(xv, xv, k, metric, 0, block_bytes)
    x = raw
    dist = np.full((len(x), k), np.inf, dtype=np.float32)
    idx = np.full((len(x), k), -1, dtype=np.int64)
    dist[rows] = d
    idx[rows] = np.where(i >= 0, rows[np.maximum(i, 0)], -1)
    return KnnGraph(dist, idx, metric, backend)


def _chunked_search(
    base: np.ndarray, queries: np.ndarray, k: int, metric: str
) -> tuple[np.ndarray, np.ndarray]:
    """Exact search scanning ``base`` (raw, NaN rows allowed) in chunks, running top-k."""
    best_d = np.full((len(queries), k), np.inf, dtype=np.float32)
    best_i = np.full((len(queries), k), -1, dtype=np.int64)
    for start in range(0, len(base), SEARCH_CHUNK):
        part = np.asarray(base[start : start + SEARCH_CHUNK], dtype=np.float32)
        ok = np.flatnonzero(~np.isnan(part).any(axis=1))
        if not len(ok):
            continue
        d, i = _numpy_search(_prepare(part[ok], metric), queries, k, metric, None,
                             DEFAULT_BLOCK_BYTES)  # fmt: skip
        i = np.where(i >= 0, start + ok[np.maximum(i, 0)], -1)
        all_d, all_i = np.concatenate([best_d, d], 1), np.concatenate([best_i, i], 1)
        order = np.argsort(all_d, axis=1, kind="stable")[:, :k]
        best_d, best_i = np.take_along_axis(all_d, order, 1), np.take_along_axis(all_i, order, 1)
    return best_d, best_i


def search(
    base: np.ndarray, queries: np.ndarray, k: int, metric: str = "cosine", backend: str = "auto"
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows of ``base`` for each query: ``(distances, indices)``; exact.

    Up to ``FAISS_EXACT_MAX`` rows faiss' flat index answers (when installed);
    above, the base is scanned in chunks, so no normalised copy of it is made.
    """
    xb = np.asarray(base)
    xq = _prepare(np.atleast_2d(queries), metric)
    if len(xb) > FAISS_EXACT_MAX:
        choose_backend(backend)  # still validate the name
        return _chunked_search(xb, xq, k, metric)
    valid = np.flatnonzero(~np.isnan(xb).any(axis=1))
    if choose_backend(backend) == "faiss" and len(valid):
        d, i = _faiss_search(xb[valid], xq, k, metric, None)
    else:
        d, i = _numpy_search(_prepare(xb[valid], metric), xq, k, metric, None, DEFAULT_BLOCK_BYTES)
    return d, np.where(i >= 0, valid[np.maximum(i, 0)], -1)
