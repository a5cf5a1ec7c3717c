"""Near-duplicate pairs and groups from embeddings, confirmed on pixels.

The default detector is two-stage. Candidates are each image's nearest
neighbours by embedding (cosine distance up to ``CANDIDATE_DISTANCE``) and by
raw thumbnail (so colour-to-grayscale and brightness edits, which move
ImageNet features, are still proposed). A candidate is a duplicate when its
pixel score (flip- and crop-aware NCC of thumbnails, :mod:`brain._algos.verify`)
reaches ``PIXEL_THRESHOLD``, or ``SUPPORTED_PIXEL_THRESHOLD`` with embeddings
within ``SUPPORT_DISTANCE``, or when the embeddings are so close
(``SURE_DISTANCE``) that no pixel check is needed. The candidates that fail
all three go to a second stage (:mod:`brain._algos.align`), which searches
for the crop (down to 70 % of the side, anywhere), the small rotation or the
caption that would make one image the other and confirms a pair on the
aligned pixels. Groups are the connected components of the duplicate pairs.

With a user-given ``thresh`` and ``verify=False`` it is the plain FiftyOne rule:
pairs closer than ``thresh`` in embedding space.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import BrainError
from .align import aligned_scores
from .knn import KnnGraph, knn_graph
from .verify import pair_scores, thumbnail_vectors

#: neighbours examined per image in each candidate search
CANDIDATE_K = 10
#: embedding cosine distance under which a neighbour is worth a pixel check
CANDIDATE_DISTANCE = 0.45
#: thumbnail NCC above which a thumbnail neighbour is worth the full check
THUMB_CANDIDATE_NCC = 0.8
# The three numbers below were chosen on benchmarks/corpus.py's 2,000-image
# corpus (461 injected copies, 9 edits; see benchmarks/RESULTS.md): pixels alone
# at 0.97 give F1 0.92, letting close embeddings vouch for slightly lower pixel
# scores gives 0.94. Different photos of one scene rarely pass both.
#: flip/crop-aware thumbnail NCC that confirms a duplicate on its own
PIXEL_THRESHOLD = 0.975
#: a lower NCC that confirms a duplicate when the embeddings agree ...
SUPPORTED_PIXEL_THRESHOLD = 0.96
#: ... by being at most this far apart (cosine distance)
SUPPORT_DISTANCE = 0.2
#: embedding distance so small that the pair is a duplicate without pixels
SURE_DISTANCE = 0.02


@dataclass
class DuplicatePairs:
    """Confirmed pairs ``(i, j)`` with i < j, their embedding distance and pixel score.

    ``aligned`` marks the pairs that only the second stage (crop, rotation or
    caption search of :mod:`brain._algos.align`) confirmed; None: no such pairs.
    """

    pairs: np.ndarray  # (P, 2) int64
    distances: np.ndarray  # (P,) float32, NaN where unknown
    pixel_scores: np.ndarray  # (P,) float32, NaN where not checked
    aligned: np.ndarray | None = None  # (P,) bool

    def confirmed(self) -> np.ndarray:
        """Which pairs the pixels confirm: :func:`pixel_confirmed` or ``aligned``."""
        ok = pixel_confirmed(self.pixel_scores, self.distances)
        return ok if self.aligned is None else ok | self.aligned


def _unique_pairs(i: np.ndarray, j: np.ndarray) -> np.ndarray:
    ok = (i >= 0) & (j >= 0) & (i != j)
    a, b = np.minimum(i[ok], j[ok]), np.maximum(i[ok], j[ok])
    return np.unique(np.stack([a, b], axis=1), axis=0) if len(a) else np.zeros((0, 2), np.int64)


def _cosine_distance(x: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    xn = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return (1 - (xn[pairs[:, 0]] * xn[pairs[:, 1]]).sum(1)).astype(np.float32)


def candidate_pairs(
    embeddings: np.ndarray, thumbs: np.ndarray | None, max_distance: float, k: int = CANDIDATE_K,
    graph: KnnGraph | None = None,
) -> np.ndarray:  # fmt: skip
    """Pairs worth checking: embedding neighbours within ``max_distance``, and
    (with thumbnails) thumbnail neighbours above ``THUMB_CANDIDATE_NCC``.

    ``graph``: the embeddings' cosine kNN graph computed already (with at
    least ``k`` neighbours), so that it is not searched again.
    """
    n = len(embeddings)
    k = max(1, min(k, n - 1))
    g = graph if graph is not None and graph.indices.shape[1] >= k else knn_graph(embeddings, k=k)
    g_dist, g_idx = g.distances[:, :k], g.indices[:, :k]
    rows = np.repeat(np.arange(n), k)
    near = g_dist.ravel() <= max_distance
    pairs = [_unique_pairs(rows[near], g_idx.ravel()[near])]
    if thumbs is not None:
        ok = ~np.isnan(embeddings).any(axis=1)
        vec = np.full((n, thumbnail_vectors(thumbs[:1]).shape[1]), np.nan, np.float32)
        vec[ok] = thumbnail_vectors(thumbs[ok])
        # vectors are zero-mean and unit-norm, so cosine distance = 1 - NCC
        tg = knn_graph(vec, k=k)
        close = tg.distances.ravel() <= 1 - THUMB_CANDIDATE_NCC
        pairs.append(_unique_pairs(rows[close], tg.indices.ravel()[close]))
    allp = np.concatenate(pairs)
    return np.unique(allp, axis=0) if len(allp) else allp


def find_pairs(
    embeddings: np.ndarray, thumbs: np.ndarray | None = None, thresh: float | None = None,
    verify: bool = True, graph: KnnGraph | None = None,
) -> DuplicatePairs:  # fmt: skip
    """Near-duplicate pairs; see the module docstring for the rule.

    Args:
        embeddings: (N, D) features; NaN rows never pair.
        thumbs: (N, T, T) uint8 grayscale thumbnails, needed for ``verify``.
        thresh: cosine-distance bound for candidates (default ``CANDIDATE_DISTANCE``).
        verify: confirm candidates on pixels (needs ``thumbs``).
        graph: the embeddings' cosine kNN graph, if computed already (see
            :func:`candidate_pairs`).
    """
    if thresh is not None and not 0 <= thresh <= 2:
        raise BrainError(f"thresh is a cosine distance in [0, 2]; got {thresh}")
    x = np.asarray(embeddings, dtype=np.float32)
    if len(x) < 2:
        empty = np.zeros(0, np.float32)
        return DuplicatePairs(np.zeros((0, 2), np.int64), empty, empty)
    use_pixels = verify and thumbs is not None
    bound = CANDIDATE_DISTANCE if thresh is None else thresh
    cands = candidate_pairs(x, thumbs if use_pixels and thresh is None else None, bound,
                            graph=graph)  # fmt: skip
    dist = _cosine_distance(x, cands) if len(cands) else np.zeros(0, np.float32)
    if not use_pixels:
        keep = dist <= bound
        return DuplicatePairs(cands[keep], dist[keep], np.full(keep.sum(), np.nan, np.float32))
    scores = pair_scores(thumbs, cands)
    keep = pixel_confirmed(scores, dist) | (dist <= SURE_DISTANCE)
    aligned = np.zeros(len(cands), bool)
    second = np.flatnonzero(~keep)
    if len(second):
        found = aligned_scores(thumbs, cands[second], scores[second], dist[second])
        aligned[second] = found.accepted()
    keep |= aligned
    return DuplicatePairs(cands[keep], dist[keep], scores[keep], aligned[keep])


def pixel_confirmed(scores: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """Which pairs the pixel check confirms: NCC ``scores`` of at least
    ``PIXEL_THRESHOLD``, or ``SUPPORTED_PIXEL_THRESHOLD`` with embedding
    ``distances`` within ``SUPPORT_DISTANCE``. NaN scores (not checked) never pass.

    :func:`find_pairs` also keeps pairs closer than ``SURE_DISTANCE`` that fail
    this check; this is how to tell them apart.
    """
    s = np.nan_to_num(np.asarray(scores, dtype=np.float32), nan=-np.inf)
    d = np.asarray(distances, dtype=np.float32)
    return (s >= PIXEL_THRESHOLD) | ((s >= SUPPORTED_PIXEL_THRESHOLD) & (d <= SUPPORT_DISTANCE))


def connected_components(n: int, pairs: np.ndarray) -> np.ndarray:
    """Group label per row (the smallest row index of its group); -1 for rows alone."""
    parent = np.arange(n)

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in pairs:
        ra, rb = root(int(a)), root(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    labels = np.array([root(i) for i in range(n)])
    sizes = np.bincount(labels, minlength=n)
    return np.where(sizes[labels] > 1, labels, -1)
