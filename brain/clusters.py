"""Clusters of similar images: kNN-graph components or k-means.

- ``method="components"`` (fastdup's connected components): keep the kNN
  edges whose cosine *similarity* is at least ``threshold`` (fastdup's
  ``ccthreshold``, 0.96: copies, resizes, flips, small crops) and take the
  connected components. Samples alone in their component get no cluster.
- ``method="kmeans"``: k-means (scikit-learn) on unit-normalised embeddings,
  ``k`` clusters (fastdup's ``run_kmeans``, 100 by default), every sample in one.

Cluster ids are ranks by size: 0 is the largest cluster.
:func:`find_top_components` lists them largest first, like fastdup's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dataset_core import runs
from dataset_core.collection import SampleCollection

from ._algos import neardup
from .errors import BrainError
from .fields import write_field
from .neighbors import IMAGE_BRAIN_KEY, Neighbors, get_neighbors

#: fastdup's default ``ccthreshold``
DEFAULT_THRESHOLD = 0.96
#: fastdup's default number of k-means clusters
DEFAULT_KMEANS_K = 100
#: neighbours per sample whose edges may join a component
COMPONENT_K = 10
#: k-means restarts: scikit-learn's own default for its "lloyd" algorithm
KMEANS_N_INIT = 3
METHODS = ("components", "kmeans")


@dataclass
class Cluster:
    """One cluster: its id (size rank), members and how tight it is.

    Attributes:
        cluster_id: 0 for the largest.
        sample_ids: the members, in the collection's order.
        mean_distance: mean cosine distance of the members to their centroid.
        labels: label -> count among members, when a label field was given.
    """

    cluster_id: int
    sample_ids: list[str]
    mean_distance: float
    labels: dict[str, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """How many samples."""
        return len(self.sample_ids)


@dataclass
class ClusterResults:
    """Per-sample cluster ids (-1: none) and the sizes of the clusters, by id."""

    sample_ids: list[str]
    labels: np.ndarray  # (N,) int64 cluster id per sample, -1 for none
    sizes: np.ndarray  # (C,) members of cluster c
    method: str


def _rank_by_size(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Relabel clusters 0.. by decreasing size (ties: first member first); -1 stays."""
    keep = raw >= 0
    uniq, first, counts = np.unique(raw[keep], return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    new_id = np.empty(len(uniq), dtype=np.int64)
    new_id[order] = np.arange(len(uniq))
    out = np.full(len(raw), -1, dtype=np.int64)
    out[keep] = new_id[np.searchsorted(uniq, raw[keep])]
    return out, counts[order]


def component_labels(neighbors: Neighbors, threshold: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """Connected components of the kNN edges with similarity >= ``threshold`` (-1: alone)."""
    g = neighbors.graph
    n = len(neighbors.sample_ids)
    k = min(COMPONENT_K, g.indices.shape[1])
    rows = np.repeat(np.arange(n), k)
    cols = g.indices[:, :k].ravel()
    keep = (cols >= 0) & (g.distances[:, :k].ravel() <= 1.0 - threshold)
    return neardup.connected_components(n, np.stack([rows[keep], cols[keep]], axis=1))


def kmeans_labels(embeddings: np.ndarray, k: int = DEFAULT_KMEANS_K, seed: int = 0) -> np.ndarray:
    """k-means cluster per row on unit-normalised rows (-1 for NaN rows)."""
    from sklearn.cluster import KMeans

    valid = ~np.isnan(embeddings).any(axis=1)
    out = np.full(len(embeddings), -1, dtype=np.int64)
    m = int(valid.sum())
    if m == 0:
        return out
    x = embeddings[valid]
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    km = KMeans(n_clusters=min(k, m), n_init=KMEANS_N_INIT, random_state=seed)
    out[valid] = km.fit_predict(x)
    return out


def compute_clusters(
    samples: SampleCollection, method: str = "components", threshold: float = DEFAULT_THRESHOLD,
    k: int = DEFAULT_KMEANS_K, cluster_field: str | None = None, brain_key: str | None = None,
    neighbors: Neighbors | None = None, seed: int = 0, patches_field: str | None = None,
    **similarity_kwargs: Any,
) -> ClusterResults:  # fmt: skip
    """Write a cluster id on every sample and save the run ``cluster_field``.

    Args:
        samples: a dataset or view.
        method: ``"components"`` or ``"kmeans"`` (see the module doc).
        threshold: components: the cosine similarity an edge needs (0.96).
        k: kmeans: how many clusters (100; fewer when there are fewer samples).
        cluster_field: where ids go; default ``"component_id"`` or ``"kmeans_cluster"``.
            Samples without a cluster get None.
        brain_key: the similarity run of the embeddings (computed when
            missing); default ``"sim"``, with ``patches_field`` ``"<field>_sim"``.
        neighbors: a shared :class:`~brain.neighbors.Neighbors` to reuse.
        seed: kmeans: the random seed.
        patches_field: cluster the objects of this Detections field instead
            (:mod:`brain.objects`): ids go into each label
            (``ground_truth.detections[i].component_id``), the run is saved as
            ``"<field>_<cluster_field>"`` and result ids are label ids.

    Returns:
        A :class:`ClusterResults`.

    Raises:
        ValueError: an unknown method, a threshold outside [0, 1] or k < 1.

    Example:
        >>> brain.compute_clusters(dataset, method="components", threshold=0.96)
        >>> top = brain.find_top_components(dataset, min_items=3)
    """
    if method not in METHODS:
        raise BrainError(f"Unknown clustering method {method!r}; use one of {METHODS}")
    if not 0 <= threshold <= 1:
        raise BrainError(f"threshold is a cosine similarity in [0, 1]; got {threshold}")
    if k < 1:
        raise BrainError(f"k must be at least 1; got {k}")
    field_name = cluster_field or ("component_id" if method == "components" else "kmeans_cluster")
    if patches_field is not None:
        from .objects import object_clusters

        return object_clusters(samples, patches_field, method, threshold, k, field_name,
                               brain_key, neighbors, seed, **similarity_kwargs)  # fmt: skip
    brain_key = brain_key or IMAGE_BRAIN_KEY
    nb = get_neighbors(samples, brain_key, k=COMPONENT_K, neighbors=neighbors,
                       **similarity_kwargs)  # fmt: skip
    if method == "components":
        raw = component_labels(nb, threshold)
    else:
        raw = kmeans_labels(nb.embeddings, k, seed)
    labels, sizes = _rank_by_size(raw)
    write_field(samples, field_name, nb.sample_ids,
                [None if c < 0 else int(c) for c in labels], int)  # fmt: skip
    config = {"method": method, "threshold": threshold if method == "components" else None,
              "k": k if method == "kmeans" else None, "cluster_field": field_name,
              "brain_key": brain_key}  # fmt: skip
    runs.save_run(samples, field_name, "clusters", config,
                  {"ids": np.array(nb.sample_ids), "labels": labels, "sizes": sizes})  # fmt: skip
    return ClusterResults(nb.sample_ids, labels, sizes, method)


def find_top_components(
    samples: SampleCollection,
    cluster_field: str = "component_id",
    min_items: int = 2,
    max_items: int | None = None,
    label_field: str | None = None,
    num: int | None = None,
    brain_key: str | None = None,
) -> list[Cluster]:
    """The clusters of an earlier :func:`compute_clusters` run, largest first.

    Only members inside ``samples`` count, so a view gives its own components.

    Args:
        samples: a dataset or view.
        cluster_field: the field the run wrote (``component_id`` by default).
        min_items: leave out clusters with fewer members in ``samples``.
        max_items: leave out clusters with more.
        label_field: also count each cluster's labels.
        num: at most this many clusters.
        brain_key: the similarity run for the tightness (default: the
            clustering run's own).

    Returns:
        :class:`Cluster` objects sorted by size, then id.
    """
    info = runs.get_brain_info(samples, cluster_field)
    ids = samples.values("id")
    cids = samples.values(cluster_field)
    labels = None
    if label_field:
        from .classify import read_labels

        labels = read_labels(samples, label_field)
    members: dict[int, list[int]] = {}
    for n, c in enumerate(cids):
        if c is not None:
            members.setdefault(int(c), []).append(n)
    most = max_items if max_items is not None else len(ids)
    chosen = [(c, rows) for c, rows in members.items() if min_items <= len(rows) <= most]
    chosen.sort(key=lambda t: (-len(t[1]), t[0]))
    chosen = chosen[:num] if num is not None else chosen
    emb = _embeddings(samples, brain_key or info.config.get("brain_key"), ids)
    out = []
    for c, rows in chosen:
        spread = float("nan")
        if emb is not None:
            x = emb[rows]
            x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
            centre = x.mean(0)
            centre /= max(float(np.linalg.norm(centre)), 1e-12)
            spread = max(float(np.mean(1 - x @ centre)), 0.0)
        counts = dict(Counter(labels[r] for r in rows if labels[r] is not None)) if labels else {}
        out.append(Cluster(c, [ids[r] for r in rows], spread, counts))
    return out


def _embeddings(samples: SampleCollection, brain_key: str | None,
                ids: list[str]) -> np.ndarray | None:  # fmt: skip
    """The similarity run's embeddings of ``ids`` (NaN rows for unknown ids), if it exists."""
    if not brain_key or brain_key not in runs.list_brain_runs(samples, method="similarity"):
        return None
    from .similarity import SimilarityIndex

    index = SimilarityIndex.load(samples, brain_key)
    out = np.full((len(ids), index.embeddings.shape[1]), np.nan, dtype=np.float32)
    for n, sid in enumerate(ids):
        r = index._row.get(sid)
        if r is not None:
            out[n] = index.embeddings[r]
    return out
