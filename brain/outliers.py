"""Outliers: the images farthest from everything else.

A sample's **outlier score** is the mean cosine distance to its
``OUTLIER_K`` nearest other samples: 0 for an image among copies of itself,
higher the lonelier it is. fastdup ranks by the single nearest neighbour
(``how="one"``); averaging a few means one accidental copy of an odd image
does not hide it. The ``lower_threshold`` fraction of samples with the highest
scores (fastdup's lowest similarities: 5 % by default) are tagged ``outlier``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from dataset_core import runs
from dataset_core.collection import SampleCollection

from .errors import BrainError
from .fields import write_field
from .neighbors import IMAGE_BRAIN_KEY, Neighbors, get_neighbors

#: neighbours averaged per score: enough that a pair of odd copies still
#: stands out, few enough that a small cluster's members are not outliers
OUTLIER_K = 3
#: fastdup's default ``lower_threshold``: the 5 % least similar images
DEFAULT_LOWER_THRESHOLD = 0.05
METHOD = "outliers"


@dataclass
class OutlierResults:
    """Scores of every sample and the ids tagged as outliers (most outlying first)."""

    sample_ids: list[str]
    scores: np.ndarray  # (N,) NaN where the image could not be embedded
    outlier_ids: list[str]
    lower_threshold: float


def outlier_scores(neighbors: Neighbors, k: int = OUTLIER_K) -> np.ndarray:
    """Mean distance to the ``k`` nearest others per sample (NaN without neighbours)."""
    k = min(k, neighbors.k)
    d = neighbors.graph.distances[:, :k].astype(np.float64)
    d = np.where(np.isfinite(d), d, np.nan)
    with np.errstate(invalid="ignore"):
        counts = (~np.isnan(d)).sum(axis=1)
        mean = np.nansum(d, axis=1) / np.maximum(counts, 1)
    return np.where(counts > 0, mean, np.nan)


def compute_outliers(
    samples: SampleCollection, lower_threshold: float = DEFAULT_LOWER_THRESHOLD,
    k: int = OUTLIER_K, score_field: str = "outlier_score", tag: str | None = "outlier",
    brain_key: str | None = None, neighbors: Neighbors | None = None,
    patches_field: str | None = None, **similarity_kwargs: Any,
) -> OutlierResults:  # fmt: skip
    """Score every sample (or object) by its distance to its neighbours; tag the farthest.

    Args:
        samples: a dataset or view.
        lower_threshold: the fraction of samples to tag (0.05: the 5 % least
            similar to anything else); 0 tags none.
        k: neighbours averaged per score (default 3).
        score_field: where scores go (higher = more outlying).
        tag: the tag of outliers (removed from the other samples first); None:
            no tags.
        brain_key: the similarity run of the embeddings (computed when
            missing); default ``"sim"``, with ``patches_field`` ``"<field>_sim"``.
        neighbors: a shared :class:`~brain.neighbors.Neighbors` to reuse.
        patches_field: score the objects of this Detections field instead
            (:mod:`brain.objects`): scores go into each label
            (``ground_truth.detections[i].outlier_score``), the farthest
            objects get the *label* tag ``tag``, and the run is saved as
            ``"<field>_outliers"``; result ids are label ids.

    Returns:
        An :class:`OutlierResults`; the run is saved as ``outliers``.

    Raises:
        ValueError: ``lower_threshold`` outside [0, 1).

    Example:
        >>> brain.compute_outliers(dataset, lower_threshold=0.05)
        >>> dataset.match_tags("outlier").sort_by("outlier_score", reverse=True)
    """
    if not 0 <= lower_threshold < 1:
        raise BrainError(
            f"lower_threshold is the fraction of samples to tag, in [0, 1); got {lower_threshold}"
        )
    if patches_field is not None:
        from .objects import object_outliers

        return object_outliers(samples, patches_field, lower_threshold, k, score_field, tag,
                               brain_key, neighbors, **similarity_kwargs)  # fmt: skip
    brain_key = brain_key or IMAGE_BRAIN_KEY
    nb = get_neighbors(samples, brain_key, k=k, neighbors=neighbors, **similarity_kwargs)
    scores = outlier_scores(nb, k)
    valid = np.flatnonzero(~np.isnan(scores))
    count = math.ceil(lower_threshold * len(valid)) if lower_threshold else 0
    order = valid[np.argsort(-scores[valid], kind="stable")]
    outlier_ids = [nb.sample_ids[i] for i in order[:count]]
    write_field(samples, score_field, nb.sample_ids,
                [None if np.isnan(s) else float(s) for s in scores], float)  # fmt: skip
    if tag:
        samples.untag_samples(tag)
        if outlier_ids:
            samples.select(outlier_ids).tag_samples(tag)
    config = {"lower_threshold": lower_threshold, "k": k, "score_field": score_field,
              "tag": tag, "brain_key": brain_key}  # fmt: skip
    runs.save_run(samples, METHOD, METHOD, config,
                  {"ids": np.array(nb.sample_ids), "scores": scores})  # fmt: skip
    return OutlierResults(nb.sample_ids, scores, outlier_ids, lower_threshold)
