"""Issue 4 scale figure: the kNN graph of N vectors of D dims, time and peak memory.

Run: ``.venv/bin/python benchmarks/bench_knn.py [--n 1000000] [--dim 1280] [--decay 0.5]``

The vectors are synthetic embeddings: Gaussian clusters whose per-dimension
spread decays as a power law (``std_i ~ (i + 1) ** -decay``), like real image
embeddings, whose variance sits in a few hundred directions. ``--decay 0``
gives isotropic blobs, a worst case: inside a blob every point is nearly
equidistant from every other in 1280 dims, so "the 10 nearest" is close to a
coin toss for any approximate index. Cosine and Euclidean neighbours are
rotation-invariant, so the spread may as well follow the axes.

It times :func:`brain._algos.knn.knn_graph` alone (above ``FAISS_EXACT_MAX`` vectors
an approximate graph: faiss k-means lists, each joined with its nearest lists,
see :mod:`brain._algos.knn_ivf`), reads the process's peak RSS right after it
(the vectors themselves included), then checks recall@k against exact search
for ``--queries`` random rows, chunk by chunk so that no second copy of the
vectors is ever made.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from brain._algos import knn, knn_ivf  # noqa: E402

#: rows generated (and scanned for exact neighbours) at a time: 500 MB at 1280 dims
CHUNK = 100_000
#: clusters of the synthetic embeddings (about 1,000 images per cluster at 1M)
CLUSTERS = 1000
#: the within-cluster spread relative to the spread of the cluster centres
NOISE = 0.7


def synthetic_embeddings(
    n: int, dim: int, decay: float, clusters: int = CLUSTERS, seed: int = 0
) -> np.ndarray:
    """``(n, dim)`` float32 clustered vectors with power-law spread (see the module doc)."""
    rng = np.random.default_rng(seed)
    scale = (np.arange(dim, dtype=np.float32) + 1) ** -decay
    scale *= np.sqrt(dim / float((scale**2).sum()))  # same total variance for any decay
    centres = rng.standard_normal((clusters, dim), dtype=np.float32) * scale
    x = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        x[start : start + m] = centres[rng.integers(0, clusters, m)]
        x[start : start + m] += NOISE * rng.standard_normal((m, dim), dtype=np.float32) * scale
    return x


def exact_neighbours(x: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """The exact cosine top-``k`` (not itself) of ``rows``, scanning ``x`` in chunks."""
    q = x[rows] / np.linalg.norm(x[rows], axis=1, keepdims=True)
    best_s = np.full((len(rows), k), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(rows), k), dtype=np.int64)
    for start in range(0, len(x), CHUNK):
        part = x[start : start + CHUNK]
        sims = (q @ part.T) / np.linalg.norm(part, axis=1)[None, :]
        mine = (rows >= start) & (rows < start + len(part))
        sims[np.flatnonzero(mine), rows[mine] - start] = -np.inf  # never itself
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]  # this chunk's best k, then merge
        s = np.concatenate([best_s, np.take_along_axis(sims, top, 1)], axis=1)
        i = np.concatenate([best_i, top + start], axis=1)
        keep = np.argpartition(-s, k - 1, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(s, keep, 1), np.take_along_axis(i, keep, 1)
    return best_i


def main() -> None:
    """Generate, time the graph, report peak RSS and recall@k."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=1280)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--decay", type=float, default=0.5, help="power-law exponent of the spread")
    ap.add_argument("--queries", type=int, default=500, help="rows checked against exact search")
    args = ap.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} CPUs, load average "
          f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)  # fmt: skip
    t = time.perf_counter()
    x = synthetic_embeddings(args.n, args.dim, args.decay)
    print(f"made {args.n:,} x {args.dim} float32 ({x.nbytes / 2**30:.2f} GiB, decay "
          f"{args.decay}) in {time.perf_counter() - t:.0f} s", flush=True)  # fmt: skip
    t = time.perf_counter()
    g = knn.knn_graph(x, k=args.k)
    took = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    rows = np.random.default_rng(1).choice(args.n, args.queries, replace=False)
    exact = exact_neighbours(x, rows, args.k)
    hits = sum(len(set(e) & set(f)) for e, f in zip(exact, g.indices[rows], strict=True))
    ivf = ""
    if g.backend == "faiss-ivf":
        ivf = (f", {knn_ivf.ivf_lists(args.n)} lists, each joined with {knn_ivf.IVF_PROBE}, "
               f"{knn_ivf.IVF_TRAIN_ITERATIONS} k-means iterations")  # fmt: skip
    print(f"kNN graph k={args.k} of {args.n:,} x {args.dim} ({g.backend}{ivf}): {took:.0f} s, "
          f"peak RSS {peak:.2f} GiB (vectors alone {x.nbytes / 2**30:.2f} GiB), "
          f"recall@{args.k} {hits / (args.queries * args.k):.3f} on {args.queries} rows; "
          f"load average after {load}")  # fmt: skip


if __name__ == "__main__":
    main()
