"""Label issues: samples whose label disagrees with their nearest neighbours'.

For each labelled sample, its ``k`` (20) nearest other samples vote for their own
labels, weighted by closeness (:func:`brain.classify.neighbor_votes`). The
**label issue score** is the vote share *against* the sample's label:

    score = 1 - P(own label | neighbours)      in [0, 1]

0 means every neighbour agrees, 1 that none does. The **suggested label** is
the heaviest vote. A sample is flagged (tagged ``label_issue``) when the
suggestion differs from its label and wins more than ``ISSUE_MIN_SCORE`` of
the votes against it, i.e. when a majority of the weighted neighbours says
otherwise: fastdup's similarity-gallery "score below 50".

**Confusing pairs** are near-duplicates with different labels (the blog's
glacier/mountain photo): pairs confirmed by :func:`brain._algos.neardup.find_pairs`
(pixel-checked when the similarity run kept thumbnails).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dataset_core import runs
from dataset_core.collection import SampleCollection

from ._algos import neardup
from .classify import neighbor_votes, read_labels
from .errors import BrainError
from .fields import write_field
from .neighbors import IMAGE_BRAIN_KEY, Neighbors, duplicate_pairs, get_neighbors

#: neighbours that vote on each label: more than the shared graph's default
#: 10, since a wrong label among a few same-class neighbours ranks better
#: against 20 (see brain.classify.VOTE_TEMPERATURE for the measurements)
LABEL_ISSUE_K = 20
#: the score above which a sample whose neighbours prefer another label is
#: flagged: more than half the weighted votes go against its own label
ISSUE_MIN_SCORE = 0.5
METHOD = "label_issues"


@dataclass
class ConfusingPair:
    """Two near-duplicate samples with different labels."""

    id_a: str
    id_b: str
    label_a: str
    label_b: str
    distance: float


@dataclass
class LabelIssueResults:
    """What :func:`compute_label_issues` found.

    Attributes:
        sample_ids: the samples scored, in the collection's order.
        scores: ``(N,)`` label issue score in [0, 1] (NaN: unlabelled or no
            labelled neighbour).
        labels: each sample's own label.
        suggested: the neighbours' heaviest label per sample.
        flagged: ids of the samples tagged as label issues, worst first.
        confusing_pairs: near-duplicates with different labels, closest first.
    """

    sample_ids: list[str]
    scores: np.ndarray
    labels: list[str | None]
    suggested: list[str | None]
    flagged: list[str] = field(default_factory=list)
    confusing_pairs: list[ConfusingPair] = field(default_factory=list)


def label_issue_scores(
    neighbors: Neighbors, labels: list[str | None], k: int = LABEL_ISSUE_K
) -> tuple[np.ndarray, list[str | None]]:
    """Scores (see the module doc) and suggested labels, from the shared graph."""
    votes = neighbor_votes(neighbors, labels, k=k)
    return 1.0 - votes.share(labels), votes.predicted()


def _confusing_pairs(
    nb: Neighbors, labels: list[str | None], found: neardup.DuplicatePairs | None = None
) -> list[ConfusingPair]:
    if found is None:
        found = duplicate_pairs(nb)
    out = []
    for (a, b), d in zip(found.pairs, found.distances, strict=True):
        la, lb = labels[a], labels[b]
        if la is not None and lb is not None and la != lb:
            out.append(ConfusingPair(nb.sample_ids[a], nb.sample_ids[b], la, lb, float(d)))
    return sorted(out, key=lambda p: p.distance)


def compute_label_issues(
    samples: SampleCollection, label_field: str | None = None, k: int = LABEL_ISSUE_K,
    score_field: str = "label_issue_score", suggestion_field: str = "suggested_label",
    tag: str | None = "label_issue", brain_key: str | None = None,
    neighbors: Neighbors | None = None, pairs: neardup.DuplicatePairs | None = None,
    patches_field: str | None = None, **similarity_kwargs: Any,
) -> LabelIssueResults:  # fmt: skip
    """Score every labelled sample for a likely label mistake.

    Writes ``label_issue_score`` (see the module doc) and ``suggested_label``
    (the neighbours' choice, a string) on every sample, tags the flagged ones
    ``label_issue`` (removing that tag from the others first), and records the
    run ``label_issues`` with the confusing pairs.

    Args:
        samples: a dataset or view.
        label_field: the Classification (or string) field of the labels
            (default ``"ground_truth"``; with ``patches_field``, that field).
        k: neighbours that vote (default 20).
        score_field: where scores go.
        suggestion_field: where suggested labels go.
        tag: the tag of flagged samples; None to tag nothing.
        brain_key: the similarity run of the embeddings (computed when
            missing); default ``"sim"``, with ``patches_field`` ``"<field>_sim"``.
        neighbors: a shared :class:`~brain.neighbors.Neighbors` to reuse.
        pairs: near-duplicate pairs found already (rows of ``neighbors``), so
            the confusing pairs need no second search.
        patches_field: check the class of every object of this Detections
            field against its nearest objects' (:mod:`brain.objects`): scores
            and suggestions go into each label
            (``ground_truth.detections[i].label_issue_score``), flagged objects
            get the *label* tag ``tag``, the run is saved as
            ``"<field>_label_issues"`` and result ids are label ids.

    Raises:
        BrainError: ``label_field`` names another field than ``patches_field``.

    Returns:
        A :class:`LabelIssueResults`.

    Example:
        >>> res = brain.compute_label_issues(dataset, label_field="ground_truth")
        >>> dataset.sort_by("label_issue_score", reverse=True).limit(20)
    """
    if patches_field is not None:
        if label_field not in (None, patches_field):
            raise BrainError(
                f"With patches_field={patches_field!r} the objects' own labels are checked; "
                f"label_field={label_field!r} must be left out (or be {patches_field!r})"
            )
        from .objects import object_label_issues

        return object_label_issues(samples, patches_field, k, score_field, suggestion_field,
                                   tag, brain_key, neighbors, **similarity_kwargs)  # fmt: skip
    label_field = label_field or "ground_truth"
    brain_key = brain_key or IMAGE_BRAIN_KEY
    labels = read_labels(samples, label_field)
    nb = get_neighbors(samples, brain_key, k=k, neighbors=neighbors, **similarity_kwargs)
    scores, suggested = label_issue_scores(nb, labels, k)
    flag = np.array([
        s is not None and lab is not None and s != lab and sc > ISSUE_MIN_SCORE
        for s, lab, sc in zip(suggested, labels, np.nan_to_num(scores), strict=True)
    ], dtype=bool)  # fmt: skip
    order = np.argsort(-np.nan_to_num(scores, nan=-1.0), kind="stable")
    flagged = [nb.sample_ids[i] for i in order if flag[i]]
    write_field(samples, score_field, nb.sample_ids,
                [None if np.isnan(s) else float(s) for s in scores], float)  # fmt: skip
    write_field(samples, suggestion_field, nb.sample_ids, suggested, str)
    if tag:
        samples.untag_samples(tag)
        if flagged:
            samples.select(flagged).tag_samples(tag)
    found = pairs if pairs is not None and nb is neighbors else None
    pairs_found = _confusing_pairs(nb, labels, found)
    config = {"label_field": label_field, "k": k, "score_field": score_field,
              "suggestion_field": suggestion_field, "tag": tag, "brain_key": brain_key,
              "min_score": ISSUE_MIN_SCORE}  # fmt: skip
    arrays = {
        "ids": np.array(nb.sample_ids), "scores": scores,
        "flagged": np.array(flagged, dtype=str),
        "pairs": np.array([[p.id_a, p.id_b] for p in pairs_found], dtype=str).reshape(-1, 2),
        "pair_distances": np.array([p.distance for p in pairs_found], dtype=np.float32),
    }  # fmt: skip
    runs.save_run(samples, METHOD, METHOD, config, arrays)
    return LabelIssueResults(nb.sample_ids, scores, labels, suggested, flagged, pairs_found)


def load_confusing_pairs(samples: SampleCollection, key: str = METHOD) -> list[ConfusingPair]:
    """The confusing pairs of an earlier :func:`compute_label_issues` run whose two
    samples are both in ``samples``, with their current labels, closest first."""
    info = runs.get_brain_info(samples, key)
    arrays = runs.load_run_arrays(samples, key)
    ids = samples.values("id")
    by_id = dict(zip(ids, read_labels(samples, info.config["label_field"]), strict=True))
    out = []
    for (a, b), d in zip(arrays["pairs"], arrays["pair_distances"], strict=True):
        la, lb = by_id.get(str(a)), by_id.get(str(b))
        if la is not None and lb is not None:
            out.append(ConfusingPair(str(a), str(b), la, lb, float(d)))
    return out
