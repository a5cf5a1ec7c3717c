"""The embeddings and kNN graph that the dataset-health analyses share.

Outliers, clusters, label issues, leaks, kNN labels and the 2-D map all start
from the same two things: one embedding per sample (a similarity run, see
:mod:`brain.similarity`) and each sample's nearest neighbours. A
:class:`Neighbors` holds both for the samples of a dataset or view, aligned with
the collection's order, so a pipeline computes them once and hands the same
object to every analysis (``neighbors=...``); without one, each analysis loads
the similarity run (computing it when missing) and builds its own graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dataset_core.collection import SampleCollection

from ._algos import neardup
from ._algos.knn import KnnGraph, knn_graph
from .errors import BrainError

#: neighbours per sample in the shared graph: label votes use 10 (fastdup's
#: similarity gallery shows 10 per image), outliers and components fewer
DEFAULT_K = 10
#: without thumbnails to check pixels, pairs at most this far apart (cosine
#: distance) count as near-duplicates: fastdup's default threshold, similarity 0.9
EMBEDDING_ONLY_DISTANCE = 0.1
#: the similarity run of the images that the analyses use when given no brain_key
IMAGE_BRAIN_KEY = "sim"


@dataclass
class Neighbors:
    """Embeddings and kNN graph of a collection's samples, in the collection's order.

    Attributes:
        sample_ids: ids (str) of the samples.
        embeddings: ``(N, D)`` float32; NaN rows for images that could not be read.
        graph: each sample's nearest other samples (indices into ``sample_ids``).
        thumbs: ``(N, T, T)`` uint8 grayscale thumbnails for pixel checks, or None.
        brain_key: the similarity run they came from (None for raw arrays).
    """

    sample_ids: list[str]
    embeddings: np.ndarray
    graph: KnnGraph
    thumbs: np.ndarray | None = None
    brain_key: str | None = None
    _rows: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._rows = {sid: i for i, sid in enumerate(self.sample_ids)}

    @property
    def valid(self) -> np.ndarray:
        """``(N,)`` bool: whether each sample has an embedding."""
        return ~np.isnan(self.embeddings).any(axis=1)

    @property
    def k(self) -> int:
        """Neighbours per sample in :attr:`graph`."""
        return int(self.graph.indices.shape[1])

    def row(self, sample_id: str) -> int | None:
        """The row of ``sample_id``, or None when it is not here."""
        return self._rows.get(str(sample_id))

    def subset(self, rows: np.ndarray, k: int | None = None) -> Neighbors:
        """The same samples restricted to ``rows``, with a graph among those rows only."""
        rows = np.asarray(rows, dtype=np.int64)
        emb = self.embeddings[rows]
        thumbs = None if self.thumbs is None else self.thumbs[rows]
        kk = _clip_k(k or self.k, len(rows))
        return Neighbors([self.sample_ids[r] for r in rows], emb, knn_graph(emb, k=kk), thumbs,
                         self.brain_key)  # fmt: skip


def _clip_k(k: int, n: int) -> int:
    return max(1, min(int(k), max(n - 1, 1)))


def from_arrays(
    sample_ids: list[str], embeddings: np.ndarray, thumbs: np.ndarray | None = None,
    k: int = DEFAULT_K, brain_key: str | None = None,
) -> Neighbors:  # fmt: skip
    """A :class:`Neighbors` from embeddings already in memory (one kNN search)."""
    emb = np.asarray(embeddings, dtype=np.float32)
    if emb.ndim != 2 or len(emb) != len(sample_ids):
        raise BrainError(
            f"embeddings must be ({len(sample_ids)}, D), one row per sample; got {emb.shape}"
        )
    graph = knn_graph(emb, k=_clip_k(k, len(emb)))
    return Neighbors(list(sample_ids), emb, graph, thumbs, brain_key)


def get_neighbors(
    samples: SampleCollection, brain_key: str | None = IMAGE_BRAIN_KEY, k: int = DEFAULT_K,
    neighbors: Neighbors | None = None, **similarity_kwargs: Any,
) -> Neighbors:  # fmt: skip
    """The embeddings and kNN graph of ``samples``.

    Args:
        samples: a dataset or view.
        brain_key: the similarity run to take embeddings from; computed (with
            ``similarity_kwargs``) when the dataset has none of that key;
            None: ``"sim"``.
        k: neighbours per sample.
        neighbors: a :class:`Neighbors` computed earlier; used as is when it
            covers exactly these samples with at least ``k`` neighbours, and
            restricted to them when it covers more (a view of its dataset).

    Returns:
        A :class:`Neighbors` aligned with ``samples.values("id")``. Samples the
        run does not know (added since) get NaN embeddings and no neighbours.
    """
    ids = samples.values("id")
    if neighbors is not None and (found := reuse(neighbors, ids, k)) is not None:
        return found
    from .similarity import similarity_for

    brain_key = brain_key or IMAGE_BRAIN_KEY
    return from_index(similarity_for(samples, brain_key, **similarity_kwargs), ids, k, brain_key)


def reuse(neighbors: Neighbors, ids: list[str], k: int) -> Neighbors | None:
    """``neighbors`` for the rows ``ids``: as is when it has exactly them (with at
    least ``k`` neighbours), restricted to them when it has more, else None."""
    if neighbors.sample_ids == ids and neighbors.k >= min(k, max(len(ids) - 1, 1)):
        return neighbors
    rows = [neighbors.row(i) for i in ids]
    if all(r is not None for r in rows):
        return neighbors.subset(np.asarray(rows), k)
    return None


def from_index(index: Any, ids: list[str], k: int, brain_key: str | None) -> Neighbors:
    """The rows ``ids`` of a :class:`~brain.similarity.SimilarityIndex`, with their graph:
    the run's saved graph when its rows are exactly ``ids``, else one kNN search.
    Ids the run does not know get NaN embeddings and no neighbours."""
    if index.sample_ids == ids:  # the run's own rows: its saved graph serves as is
        graph = index.knn_graph(_clip_k(k, len(ids)))
        return Neighbors(list(ids), index.embeddings, graph, index.thumbs, brain_key)
    dim = index.embeddings.shape[1] if index.embeddings.ndim == 2 else 0
    emb = np.full((len(ids), dim), np.nan, dtype=np.float32)
    thumbs = None
    if index.thumbs is not None:
        thumbs = np.zeros((len(ids), *index.thumbs.shape[1:]), dtype=np.uint8)
    for n, sid in enumerate(ids):
        r = index._row.get(sid)
        if r is not None:
            emb[n] = index.embeddings[r]
            if thumbs is not None:
                thumbs[n] = index.thumbs[r]
    return from_arrays(ids, emb, thumbs, k=k, brain_key=brain_key)


def duplicate_pairs(neighbors: Neighbors, thresh: float | None = None) -> neardup.DuplicatePairs:
    """Near-duplicate pairs among the rows of ``neighbors``.

    With ``thresh`` (a cosine distance): pairs closer than it. Without: the
    pixel-confirmed rule of :func:`brain._algos.neardup.find_pairs` when thumbnails
    are there, else pairs within ``EMBEDDING_ONLY_DISTANCE``.
    """
    graph = neighbors.graph if len(neighbors.sample_ids) > 1 else None
    if thresh is None and neighbors.thumbs is not None:
        return neardup.find_pairs(neighbors.embeddings, neighbors.thumbs, graph=graph)
    bound = EMBEDDING_ONLY_DISTANCE if thresh is None else thresh
    return neardup.find_pairs(neighbors.embeddings, None, thresh=bound, verify=False, graph=graph)
