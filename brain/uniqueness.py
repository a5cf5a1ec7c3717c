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

from typing import Any

import numpy as np

from dataset_core import runs
from dataset_core.collection import SampleCollection

from ._algos.knn import KnnGraph, knn_graph
from .errors import BrainError
from .neighbors import Neighbors, get_neighbors

#: weights of the 1st, 2nd and 3rd nearest neighbour's distance (documented above)
NEIGHBOR_WEIGHTS = (0.6, 0.3, 0.1)


def uniqueness_scores(
    embeddings: np.ndarray, backend: str = "auto", graph: KnnGraph | None = None
) -> np.ndarray:
    """Uniqueness in [0, 1] per row (NaN rows get NaN); see the module docstring.

    ``graph``: the rows' cosine kNN graph, if computed already (its first
    neighbours are used; it must hold at least three, or all there are).
    """
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
    if graph is None or graph.metric != "cosine" or graph.indices.shape[1] < k:
        graph = knn_graph(embeddings, k=k, metric="cosine", backend=backend)
    w = np.asarray(NEIGHBOR_WEIGHTS[:k], dtype=np.float64)
    w /= w.sum()
    raw = (graph.distances[valid, :k].astype(np.float64) * w).sum(axis=1)
    top = raw.max()
    scores[valid] = raw / top if top > 0 else 1.0  # all identical: all equally unique
    return scores


def compute_uniqueness(
    samples: SampleCollection, uniqueness_field: str = "uniqueness", model: Any = None,
    embeddings: Any = None, brain_key: str | None = None, batch_size: int | None = None,
    num_workers: int | None = None, device: str | None = None, progress: bool = True,
    neighbors: Neighbors | None = None, patches_field: str | None = None,
) -> np.ndarray:  # fmt: skip
    """Write ``uniqueness`` (see the module docstring) on every sample, or every object.

    Embeddings come from, in order: ``neighbors`` (a shared
    :class:`~brain.neighbors.Neighbors`: its embeddings and kNN graph are used
    as they are, as :func:`brain.analyze` does), ``embeddings`` (an (N, D)
    array or a field name), the similarity run ``brain_key``, a similarity run
    over the same samples, model and input size (said in one line), or the
    model (default EfficientNet-Lite0, offline). The call is recorded as brain
    run ``uniqueness_field``. Samples whose image cannot be read get None.

    With ``patches_field`` (a Detections field), every *object* of that field
    is scored against the other objects (of all images), from their crops'
    embeddings (:mod:`brain.objects`): the score goes into the label
    (``ground_truth.detections[i].uniqueness``), ``embeddings`` is one row per
    object (or ``{sample_id: (objects, D)}``), ``brain_key`` an object
    similarity run (default ``"<field>_sim"``, computed once and shared by the
    other object analyses), and the run is recorded as
    ``"<field>_<uniqueness_field>"``. FiftyOne's ``roi_field`` instead scores
    whole images by their regions; this project has no ``roi_field``.

    Returns:
        The scores, aligned with ``samples`` (with ``patches_field``: with its
        objects, sample by sample).

    Example:
        >>> compute_uniqueness(dataset)
        >>> rank = dataset.sort_by("uniqueness", reverse=True)
        >>> compute_uniqueness(dataset, patches_field="ground_truth")
        >>> dataset.to_patches("ground_truth").sort_by("ground_truth.uniqueness")
    """
    if patches_field is not None:
        from .objects import object_uniqueness

        kwargs = {k: v for k, v in (("model", model), ("batch_size", batch_size),
                  ("num_workers", num_workers), ("device", device)) if v is not None}  # fmt: skip
        return object_uniqueness(samples, patches_field, uniqueness_field, embeddings, brain_key,
                                 neighbors, progress=progress, **kwargs)  # fmt: skip
    ids = samples.values("id")
    if neighbors is not None:
        nb = get_neighbors(samples, brain_key or "sim", k=len(NEIGHBOR_WEIGHTS),
                           neighbors=neighbors)  # fmt: skip
        emb, graph, brain_key = nb.embeddings, nb.graph, nb.brain_key
    else:
        emb, graph, brain_key = _embeddings(samples, ids, model, embeddings, brain_key,
                                            batch_size, num_workers, device, progress)  # fmt: skip
    if emb.ndim != 2 or len(emb) != len(ids):
        raise BrainError(f"embeddings must be ({len(ids)}, D); got shape {emb.shape}")
    scores = uniqueness_scores(emb, graph=graph)
    values = [None if np.isnan(v) else float(v) for v in scores]
    samples.dataset.set_values(uniqueness_field, dict(zip(ids, values, strict=True)))
    config = {"uniqueness_field": uniqueness_field, "brain_key": brain_key,
              "model": model if isinstance(model, str) or model is None else type(model).__name__,
              "weights": list(NEIGHBOR_WEIGHTS)}  # fmt: skip
    runs.save_run(samples, uniqueness_field, "uniqueness", config)
    return scores


def _embeddings(
    samples: SampleCollection, ids: list[str], model: Any, embeddings: Any, brain_key: str | None,
    batch_size: int | None, num_workers: int | None, device: str | None, progress: bool,
) -> tuple[np.ndarray, KnnGraph | None, str | None]:  # fmt: skip
    """``(embeddings, their kNN graph when saved, the similarity run used)``, in the
    order of the sources listed by :func:`compute_uniqueness`."""
    graph = None
    if embeddings is None and brain_key is None:
        from .similarity import find_similarity_run

        brain_key = find_similarity_run(samples, model, ids=ids)
        if brain_key is not None:
            print(f"Uniqueness: reusing the embeddings and kNN graph of similarity run "
                  f"{brain_key!r} (same samples, model and input size)")  # fmt: skip
    if embeddings is None and brain_key is not None:
        from .similarity import SimilarityIndex

        index = SimilarityIndex.load(samples, brain_key)
        if index.sample_ids == ids:  # the run's rows are these samples: reuse its graph
            emb, graph = index.embeddings, index.knn_graph()
        else:
            rows = {sid: r for r, sid in enumerate(index.sample_ids)}
            emb = np.full((len(ids), index.embeddings.shape[1]), np.nan, np.float32)
            for n, sid in enumerate(ids):
                if sid in rows:
                    emb[n] = index.embeddings[rows[sid]]
    elif isinstance(embeddings, str):
        emb = np.stack([np.asarray(v, dtype=np.float32) for v in samples.values(embeddings)])
    elif embeddings is not None:
        emb = np.asarray(embeddings, dtype=np.float32)
    else:
        from .embeddings import compute_embeddings

        emb = compute_embeddings(
            samples, model=model, batch_size=batch_size, num_workers=num_workers,
            device=device, progress=progress,
        )  # fmt: skip
    return emb, graph, brain_key
