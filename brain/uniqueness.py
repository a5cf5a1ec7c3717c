"""Uniqueness: how far each image is from its nearest neighbours.

For sample i with cosine distances ``d_i1 <= d_i2 <= d_i3`` to its three
nearest *other* samples (never itself), the raw score is the weighted mean

    r_i = 0.6 * d_i1 + 0.3 * d_i2 + 0.1 * d_i3

and ``uniqueness_i = r_i / max_j r_j``, so the most unique sample scores exactly
1.0 and an exact duplicate (``d_i1 = 0``) scores low. The weights favour the
nearest neighbour, so one copy is enough to make an image "not unique", while
the second and third neighbours separate a duplicate pair inside a dense
cluster from one in empty space. With fewer than four samples the weights are
renormalised over the neighbours there are; a single sample scores 1.0.
"""

from __future__ import annotations

import numpy as np

from dataset_core.collection import SampleCollection

from .knn import knn_graph

#: weights of the 1st, 2nd and 3rd nearest neighbour's distance (documented above)
NEIGHBOR_WEIGHTS = (0.6, 0.3, 0.1)


def uniqueness_scores(embeddings: np.ndarray, backend: str = "auto") -> np.ndarray:
    """Uniqueness in [0, 1] per row (NaN rows get NaN); see the module docstring."""
    n = len(embeddings)
    valid = ~np.isnan(np.asarray(embeddings, dtype=np.float32)).any(axis=1)
    scores = np.full(n, np.nan, dtype=np.float64)
    m = int(valid.sum())
    if m == 0:
        return scores
    if m == 1:
        scores[valid] = 1.0
        return scores
    k = min(len(NEIGHBOR_WEIGHTS), m - 1)
    graph = knn_graph(embeddings, k=k, metric="cosine", backend=backend)
    w = np.asarray(NEIGHBOR_WEIGHTS[:k], dtype=np.float64)
    w /= w.sum()
    raw = (graph.distances[valid].astype(np.float64) * w).sum(axis=1)
    top = raw.max()
    scores[valid] = raw / top if top > 0 else 1.0  # all identical: all equally unique
    return scores
