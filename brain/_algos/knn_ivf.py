"""An approximate kNN graph for large N: partition the rows, join each part with its neighbours.

A query-by-query IVF search (faiss ``IndexIVFFlat``) scans each probed list
with one dot product at a time and re-reads ~20 MB per query from memory: for
1,000,000 x 1280-d rows on 2 cores that is most of an hour. A *graph* (every
row is a query) can do better by grouping the queries by list:

1. spherical k-means (faiss) on a sample gives ``L`` centroids;
2. every row is assigned to its nearest centroid (blocked matrix products);
3. rows are sorted by list, so each list is one contiguous block;
4. each list is joined with the rows of the ``IVF_PROBE`` lists whose centroids
   are nearest its own (itself first): one matrix product per list, a running
   top-k, in parallel threads that each run single-threaded BLAS.

``L = sqrt(IVF_PROBE * N)`` balances step 2 (``N * L`` products) against step
4 (``N * IVF_PROBE * N / L``). Rows near a border between lists find their
neighbours in the adjacent lists, which are among the nearest centroids.
Memory: one sorted (for cosine: normalised) float32 copy of the rows, plus
blocks of a few tens of MB.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

#: lists each list is joined with (itself included): recall@10 1.000 at 200k
#: rows of clustered 1280-d vectors (benchmarks/bench_knn.py, decay 0.5)
IVF_PROBE = 8
#: k-means training rows per list (faiss asks for 39+; 32 is plenty for a partition)
IVF_TRAIN_PER_LIST = 32
#: k-means iterations: a partition needs no more (25, faiss's default, took 2.5x longer)
IVF_TRAIN_ITERATIONS = 10
#: rows assigned to centroids per matrix product (8192 x L floats: ~90 MB at 1M rows)
ASSIGN_CHUNK = 8192


def ivf_lists(n: int) -> int:
    """How many lists ``n`` rows are partitioned into (see the module docstring)."""
    return max(1, int(math.sqrt(IVF_PROBE * n)))


def _threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _kmeans(x: np.ndarray, lists: int, cosine: bool) -> np.ndarray:
    import faiss

    n, d = x.shape
    rng = np.random.default_rng(0)
    sample = x[np.sort(rng.choice(n, size=min(n, lists * IVF_TRAIN_PER_LIST), replace=False))]
    km = faiss.Kmeans(d, lists, niter=IVF_TRAIN_ITERATIONS, spherical=cosine, seed=1,
                      min_points_per_centroid=1, verbose=False)  # fmt: skip
    km.train(np.ascontiguousarray(sample, dtype=np.float32))
    return np.ascontiguousarray(km.centroids, dtype=np.float32)


def _scores(a: np.ndarray, b: np.ndarray, b_sq: np.ndarray | None) -> np.ndarray:
    """Higher is closer: cosine similarity, or ``2 a.b - |b|^2`` (= |a|^2 - |a-b|^2)."""
    s = a @ b.T
    if b_sq is not None:
        s *= 2
        s -= b_sq[None, :]
    return s


def ivf_graph(
    x: np.ndarray, k: int, metric: str, single_blas: object
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``k`` (approximately) nearest other rows: ``(distances, indices)``.

    Args:
        x: ``(N, D)`` float32 rows, no NaN.
        k: neighbours per row.
        metric: ``"cosine"`` or ``"euclidean"``.
        single_blas: a context manager factory that limits BLAS to one thread.
    """
    n, _ = x.shape
    cosine = metric == "cosine"
    lists = min(ivf_lists(n), n)
    if cosine:
        inv = 1.0 / np.maximum(np.linalg.norm(x, axis=1), 1e-12)
    centroids = _kmeans(x, lists, cosine)
    c_sq = None if cosine else (centroids**2).sum(1)
    labels = np.empty(n, dtype=np.int64)

    def assign(start: int) -> None:
        part = x[start : start + ASSIGN_CHUNK]
        labels[start : start + len(part)] = _scores(part, centroids, c_sq).argmax(axis=1)

    with single_blas(), ThreadPoolExecutor(_threads()) as pool:
        list(pool.map(assign, range(0, n, ASSIGN_CHUNK)))
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(lists + 1))
    xs = np.empty_like(x)
    for start in range(0, n, ASSIGN_CHUNK):  # the sorted copy, normalised chunk by chunk
        rows = order[start : start + ASSIGN_CHUNK]
        xs[start : start + len(rows)] = x[rows] * inv[rows, None] if cosine else x[rows]
    sq = None if cosine else (xs**2).sum(1)
    probes = np.argsort(-_scores(centroids, centroids, c_sq), axis=1)[:, :IVF_PROBE]
    kk = k + 1  # each row finds itself among its own list
    best_s = np.full((n, kk), -np.inf, dtype=np.float32)
    best_i = np.full((n, kk), -1, dtype=np.int64)

    def join(lst: int) -> None:
        a, b = bounds[lst], bounds[lst + 1]
        if a == b:
            return
        cand = np.concatenate([np.arange(bounds[p], bounds[p + 1]) for p in probes[lst]])
        s = _scores(xs[a:b], xs[cand], None if sq is None else sq[cand])
        top = np.argpartition(-s, min(kk, len(cand)) - 1, axis=1)[:, :kk]
        best_s[a:b, : top.shape[1]] = np.take_along_axis(s, top, axis=1)
        best_i[a:b, : top.shape[1]] = cand[top]

    with single_blas(), ThreadPoolExecutor(_threads()) as pool:
        list(pool.map(join, range(lists)))
    best_s[best_i == np.arange(n)[:, None]] = -np.inf  # not itself
    keep = np.argsort(-best_s, axis=1, kind="stable")[:, :k]
    s_sorted = np.take_along_axis(best_s, keep, axis=1)
    idx_sorted = np.take_along_axis(best_i, keep, axis=1)
    idx = np.full((n, k), -1, dtype=np.int64)
    idx[order] = np.where(np.isfinite(s_sorted), order[np.maximum(idx_sorted, 0)], -1)
    if cosine:
        dist_sorted = np.clip(1.0 - s_sorted, 0.0, 2.0)
    else:
        dist_sorted = np.sqrt(np.maximum(sq[:, None] - s_sorted, 0.0))
    dist = np.full((n, k), np.inf, dtype=np.float32)
    dist[order] = np.where(np.isfinite(s_sorted), dist_sorted, np.inf)
    return dist, idx
