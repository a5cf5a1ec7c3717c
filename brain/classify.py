"""Labels from labelled neighbours: a kNN classifier (fastdup's ``create_knn_classifier``).

Each sample's label is predicted from the labels of its ``k`` nearest *other*
samples, each neighbour's vote weighted by how close it is:

    w_j = exp(-d_j / VOTE_TEMPERATURE)        (d_j: cosine distance)

so an exact copy (d = 0) outweighs a merely similar image (d = 0.3 weighs
0.05). The class probabilities are the normalised weight per label and the
prediction is the heaviest label. :mod:`brain.label_issues` scores label
mistakes from the same votes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dataset_core import runs
from dataset_core.collection import SampleCollection
from dataset_core.errors import FieldNotFoundError
from dataset_core.labels import Classification

from .errors import BrainError
from .fields import write_field
from .neighbors import DEFAULT_K, Neighbors, get_neighbors

#: cosine-distance scale of the vote weights. Chosen with the label-issue k on
#: the flipped-label benchmark (benchmarks/bench_analyze.py, seeds 1-4; seed 0
#: is the reported one): with 20 neighbours, 0.1 put 0.63-0.74 of the 27
#: flipped labels in its top 27, against 0.52-0.70 for plain majority votes of
#: 10 (temperature -> infinity, as fastdup's similarity-gallery score). 0.2 did
#: a little better there (0.67-0.78) but lets far neighbours outvote a class
#: smaller than k: the 3-image classes of tests/brain/health_data.py then score
#: up to 0.54 against 0.19
VOTE_TEMPERATURE = 0.1


@dataclass
class Votes:
    """Neighbour votes of every sample.

    Attributes:
        classes: the label names, sorted.
        probs: ``(N, C)`` weighted vote share of each class (rows of samples
            without labelled neighbours are all zero).
        support: ``(N,)`` how many labelled neighbours voted.
    """

    classes: list[str]
    probs: np.ndarray
    support: np.ndarray

    def predicted(self) -> list[str | None]:
        """The heaviest label per sample (None without votes)."""
        top = self.probs.argmax(axis=1)
        return [self.classes[t] if s else None for t, s in zip(top, self.support, strict=True)]

    def confidence(self) -> np.ndarray:
        """The predicted label's vote share per sample (0 without votes)."""
        return self.probs.max(axis=1) if self.probs.size else np.zeros(len(self.support))

    def share(self, labels: list[str | None]) -> np.ndarray:
        """The vote share of each sample's own label (NaN where unlabelled or unvoted)."""
        col = {c: i for i, c in enumerate(self.classes)}
        out = np.full(len(labels), np.nan)
        for n, lab in enumerate(labels):
            if lab is not None and self.support[n]:
                out[n] = self.probs[n, col[lab]]
        return out


def neighbor_votes(
    neighbors: Neighbors, labels: list[str | None], k: int = DEFAULT_K,
    temperature: float = VOTE_TEMPERATURE, max_distance: float | None = None,
) -> Votes:  # fmt: skip
    """Weighted votes of each sample's ``k`` nearest labelled neighbours.

    Args:
        neighbors: the shared embeddings and graph (see :mod:`brain.neighbors`).
        labels: one label (or None) per sample, aligned with ``neighbors``.
        k: neighbours that vote (at most ``neighbors.k``).
        temperature: the cosine-distance scale of the weights (see the module doc).
        max_distance: neighbours farther than this do not vote (fastdup's
            ``threshold``, as a distance); default: all ``k`` vote.
    """
    if temperature <= 0:
        raise BrainError(f"temperature must be positive; got {temperature}")
    classes = sorted({lab for lab in labels if lab is not None})
    col = {c: i for i, c in enumerate(classes)}
    lab_idx = np.array([-1 if lab is None else col[lab] for lab in labels] + [-1], dtype=np.int64)
    k = min(k, neighbors.k)
    idx = neighbors.graph.indices[:, :k]
    dist = neighbors.graph.distances[:, :k].astype(np.float64)
    # index -1 (padding) reads the sentinel "unlabelled" at the end of lab_idx
    nb_lab = lab_idx[np.where(idx >= 0, idx, len(labels))]
    ok = (nb_lab >= 0) & np.isfinite(dist)
    if max_distance is not None:
        ok &= dist <= max_distance
    w = np.where(ok, np.exp(-np.where(ok, dist, 0.0) / temperature), 0.0)
    probs = np.zeros((len(labels), len(classes)))
    rows = np.repeat(np.arange(len(labels)), k).reshape(-1, k)
    np.add.at(probs, (rows[ok], nb_lab[ok]), w[ok])
    total = probs.sum(axis=1, keepdims=True)
    probs = np.divide(probs, total, out=np.zeros_like(probs), where=total > 0)
    return Votes(classes, probs, ok.sum(axis=1))


def read_labels(samples: SampleCollection, label_field: str) -> list[str | None]:
    """The ``label`` of a Classification field (or a plain string field), per sample.

    Raises:
        FieldNotFoundError: the field is not in the dataset's schema.
    """
    schema = samples.dataset.get_field_schema()
    if label_field not in schema:
        raise FieldNotFoundError(
            f"Label field {label_field!r} not found; fields: {sorted(schema)}. Pass "
            "label_field= the field holding Classification labels"
        )
    out = []
    for v in samples.values(label_field):
        lab = getattr(v, "label", v)
        out.append(None if lab is None else str(lab))
    return out


def knn_classify(
    samples: SampleCollection, label_field: str = "ground_truth", k: int = DEFAULT_K,
    pred_field: str = "knn_prediction", threshold: float | None = None,
    brain_key: str = "sim", neighbors: Neighbors | None = None, **similarity_kwargs: Any,
) -> list[Classification | None]:  # fmt: skip
    """Predict each sample's label from its ``k`` nearest labelled neighbours.

    Every sample gets a prediction from the *other* samples (so a labelled
    sample's own label never votes for itself), stored in ``pred_field`` as a
    ``Classification(label, confidence)``; samples with no labelled neighbour
    get None. The call is recorded as brain run ``pred_field``.

    Args:
        samples: a dataset or view.
        label_field: the field of known labels (Classification or string).
        k: neighbours that vote (default 10).
        pred_field: where predictions go.
        threshold: only neighbours with cosine *similarity* at least this vote
            (fastdup's ``threshold``); default: all ``k``.
        brain_key: the similarity run of the embeddings (computed when missing).
        neighbors: a shared :class:`~brain.neighbors.Neighbors` to reuse.

    Returns:
        The predictions, aligned with ``samples``.

    Example:
        >>> preds = brain.knn_classify(dataset, k=10)
        >>> dataset.match(F("knn_prediction.label") != F("ground_truth.label"))
    """
    labels = read_labels(samples, label_field)
    nb = get_neighbors(samples, brain_key, k=k, neighbors=neighbors, **similarity_kwargs)
    max_d = None if threshold is None else 1.0 - float(threshold)
    votes = neighbor_votes(nb, labels, k=k, max_distance=max_d)
    conf = votes.confidence()
    preds = [
        None if p is None else Classification(label=p, confidence=float(c))
        for p, c in zip(votes.predicted(), conf, strict=True)
    ]
    write_field(samples, pred_field, nb.sample_ids, preds, Classification)
    config = {"label_field": label_field, "k": k, "threshold": threshold,
              "brain_key": brain_key, "temperature": VOTE_TEMPERATURE}  # fmt: skip
    runs.save_run(samples, pred_field, "knn_classify", config)
    return preds
