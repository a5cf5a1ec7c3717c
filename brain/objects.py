"""Object-level analyses: the brain's image analyses run on the objects of a label field.

``brain.compute_uniqueness(dataset, patches_field="ground_truth")``, and the
same argument to :func:`brain.find_approximate_duplicates`,
:func:`brain.compute_outliers`, :func:`brain.compute_clusters` and
:func:`brain.compute_label_issues`, score every *object* (every label of a
Detections field) instead of every image, with the same algorithms, and write
the values into the labels themselves: ``ground_truth.detections[i].uniqueness``,
``...outlier_score``, ``...approx_dup_group_id`` (the group's first object's id),
``...component_id``, ``...label_issue_score`` and ``...suggested_label``.
Flagged objects get label tags (``outlier``, ``label_issue``), so
``dataset.select_labels(tags="label_issue")`` or the patches view of them shows
them. On a view (a filter on the labels, a patches view of the field) only
the objects it shows are scored and written.

All of them start from one **object similarity run** (see
:mod:`brain.object_similarity` and :mod:`brain.crops`): every object's crop is
embedded once, each image decoded once, and the kNN graph of the objects is
searched once and saved with the run. The run is ``"<field>_sim"`` unless
``brain_key`` names another; the first analysis computes it, the others find
it. :func:`object_neighbors` returns that embedding and graph, which any of
the analyses also takes as ``neighbors=`` (as :func:`brain.analyze` shares the
image graph). Each analysis is recorded as the brain run ``"<field>_<name>"``
(``ground_truth_uniqueness``, ``ground_truth_outliers``...), with the label ids
and their scores.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dataset_core import runs
from dataset_core.collection import SampleCollection
from dataset_core.expressions import F

from . import object_similarity as objsim
from .clusters import ClusterResults, _rank_by_size, component_labels, kmeans_labels
from .errors import BrainError
from .label_issues import ISSUE_MIN_SCORE, ConfusingPair, LabelIssueResults, label_issue_scores
from .neighbors import (
    DEFAULT_K,
    EMBEDDING_ONLY_DISTANCE,
    Neighbors,
    duplicate_pairs,
    from_arrays,
    from_index,
    reuse,
)
from .outliers import OutlierResults, outlier_scores
from .similarity import METHOD as SIMILARITY
from .similarity import RESULT_KWARGS, SimilarityIndex, compute_similarity
from .uniqueness import uniqueness_scores

#: attributes of a label that the analyses never overwrite
RESERVED_ATTRS = frozenset({"id", "_id", "_cls", "label", "bounding_box", "tags", "mask",
                            "confidence", "index", "points"})  # fmt: skip


def default_brain_key(field: str) -> str:
    """The object similarity run the analyses of ``field`` share: ``"<field>_sim"``."""
    return f"{field}_sim"


def run_key(field: str, name: str) -> str:
    """The key an object analysis records its run under: ``"<field>_<name>"``."""
    return f"{field}_{name}"


def object_rows(samples: SampleCollection, field: str
                ) -> tuple[list[str], list[str], list[str | None]]:  # fmt: skip
    """``(label ids, their sample ids, their labels)`` of the objects ``samples`` shows,
    sample by sample, in order (the rows of every object analysis)."""
    if objsim.is_patches_of(samples, field):
        ids, owners, labels = samples.values(["id", "sample_id", f"{field}.label"])
        return list(ids), [str(s) for s in owners], [None if v is None else str(v)
                                                     for v in labels]  # fmt: skip
    list_field = objsim.label_list_field(samples, field)
    sample_ids, per_ids, per_labels = samples.values(
        ["id", f"{field}.{list_field}.id", f"{field}.{list_field}.label"]
    )
    out_ids, owners, labels = [], [], []
    for sid, lids, labs in zip(sample_ids, per_ids, per_labels, strict=True):
        for lid, lab in zip(lids or (), labs or (), strict=True):
            out_ids.append(lid)
            owners.append(sid)
            labels.append(None if lab is None else str(lab))
    return out_ids, owners, labels


def object_index(samples: SampleCollection, field: str, brain_key: str | None = None,
                 **similarity_kwargs: Any) -> SimilarityIndex:  # fmt: skip
    """The object similarity run ``brain_key`` (default ``"<field>_sim"``) of ``field``,
    computed with ``similarity_kwargs`` when the dataset has none of that key.

    Raises:
        BrainError: ``brain_key`` is a run of the images or of another field.
    """
    if not objsim.is_patches_of(samples, field):
        objsim.label_list_field(samples, field)  # a clear error for a field without objects
    key = brain_key or default_brain_key(field)
    if key in samples.list_brain_runs(method=SIMILARITY):
        indexed = samples.get_brain_info(key).config.get("patches_field")
        if indexed != field:
            what = "the images" if indexed is None else f"the objects of {indexed!r}"
            raise BrainError(
                f"Similarity run {key!r} indexes {what}, not the objects of {field!r}; pass "
                f"brain_key= a new key or an object run of {field!r} (default "
                f"{default_brain_key(field)!r})"
            )
        if unused := sorted(set(similarity_kwargs) & RESULT_KWARGS):
            print(f"Object similarity run {key!r} exists: {unused} not used (delete the run "
                  "to compute it again with them)")  # fmt: skip
        return SimilarityIndex.load(samples, key)
    return compute_similarity(samples, brain_key=key, patches_field=field, **similarity_kwargs)


def object_neighbors(
    samples: SampleCollection, field: str, brain_key: str | None = None, k: int = DEFAULT_K,
    neighbors: Neighbors | None = None, embeddings: Any = None, **similarity_kwargs: Any,
) -> Neighbors:  # fmt: skip
    """The embeddings and kNN graph of the objects of ``field`` that ``samples`` shows.

    Args:
        samples: a dataset, a view, or the patches view of ``field``.
        field: a Detections (or other label list) field.
        brain_key: the object similarity run (default ``"<field>_sim"``),
            computed when missing (see :func:`object_index`).
        k: neighbours per object.
        neighbors: a :class:`~brain.neighbors.Neighbors` of objects computed
            earlier (rows are label ids): used as is, or restricted to these objects.
        embeddings: instead of a run, one row per object, or FiftyOne's
            ``{sample_id: (objects of that sample, D)}``.

    Returns:
        A :class:`~brain.neighbors.Neighbors` whose ``sample_ids`` are label
        ids, aligned with :func:`object_rows`. Objects with no embedding
        (unreadable, too small) have NaN rows and no neighbours.
    """
    label_ids, owners, _ = object_rows(samples, field)
    if neighbors is not None and (found := reuse(neighbors, label_ids, k)) is not None:
        return found
    if embeddings is not None:
        emb = objsim.patch_embeddings(samples, field, label_ids, owners, embeddings)
        return from_arrays(label_ids, emb, k=k)
    index = object_index(samples, field, brain_key, **similarity_kwargs)
    known = set(index.sample_ids)
    if missing := sum(i not in known for i in label_ids):
        print(f"Object similarity run {index.brain_key!r} has no embedding for {missing} of "
              f"{len(label_ids)} objects (added since, or outside the view it was computed "
              "on); they get no score. Delete the run to embed them")  # fmt: skip
    return from_index(index, label_ids, k, index.brain_key)


def write_label_values(samples: SampleCollection, field: str, attr: str, label_ids: list[str],
                       values: list[Any]) -> None:  # fmt: skip
    """Set attribute ``attr`` of label ``label_ids[i]`` of ``field`` to ``values[i]``."""
    if attr in RESERVED_ATTRS or not attr or "." in attr or attr.startswith("$"):
        raise BrainError(
            f"Cannot write object scores into the label attribute {attr!r}; name a new "
            f"attribute (not one of {sorted(RESERVED_ATTRS)})"
        )
    if objsim.is_patches_of(samples, field):
        path = f"{field}.{attr}"
    else:
        path = f"{field}.{objsim.label_list_field(samples, field)}.{attr}"
    samples.set_label_values(path, dict(zip(label_ids, values, strict=True)))


def _floats(scores: np.ndarray) -> list[float | None]:
    return [None if np.isnan(s) else float(s) for s in scores]


def _retag(samples: SampleCollection, field: str, tag: str | None, label_ids: list[str]) -> None:
    """Only the objects ``label_ids`` (of those ``samples`` shows) carry label tag ``tag``."""
    if not tag:
        return
    samples.untag_labels(tag, label_fields=field)
    if label_ids:
        samples.select_labels(ids=label_ids, fields=field).tag_labels(tag, label_fields=field)


def _record(samples: SampleCollection, field: str, name: str, method: str, nb: Neighbors,
            config: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:  # fmt: skip
    config = {"patches_field": field, "brain_key": nb.brain_key, **config}
    runs.save_run(samples, run_key(field, name), method, config,
                  {"ids": np.array(nb.sample_ids, dtype=str), **arrays})  # fmt: skip


# -- the analyses ------------------------------------------------------------------


def object_uniqueness(
    samples: SampleCollection, field: str, uniqueness_field: str, embeddings: Any,
    brain_key: str | None, neighbors: Neighbors | None, **similarity_kwargs: Any,
) -> np.ndarray:  # fmt: skip
    """``compute_uniqueness(patches_field=field)``: see :func:`brain.compute_uniqueness`."""
    from .uniqueness import NEIGHBOR_WEIGHTS

    nb = object_neighbors(samples, field, brain_key, len(NEIGHBOR_WEIGHTS), neighbors,
                          embeddings, **similarity_kwargs)  # fmt: skip
    scores = uniqueness_scores(nb.embeddings, graph=nb.graph)
    write_label_values(samples, field, uniqueness_field, nb.sample_ids, _floats(scores))
    _record(samples, field, uniqueness_field, "uniqueness", nb,
            {"uniqueness_field": uniqueness_field, "weights": list(NEIGHBOR_WEIGHTS)},
            {"scores": scores})  # fmt: skip
    return scores


def object_duplicates(
    samples: SampleCollection, field: str, brain_key: str | None, thresh: float | None,
    fraction: float | None, verify: bool | None, save_views: bool, **similarity_kwargs: Any,
) -> SimilarityIndex:  # fmt: skip
    """``find_approximate_duplicates(patches_field=field)``: see that function."""
    from .duplicates import APPROX_GROUP_FIELD

    if verify:
        raise BrainError(
            "verify=True needs pixel thumbnails, which object similarity runs do not keep; "
            "pass thresh= (a cosine distance) or fraction= for objects"
        )
    index = object_index(samples, field, brain_key, **similarity_kwargs)
    if thresh is None and fraction is None:
        thresh = EMBEDDING_ONLY_DISTANCE
    index.find_duplicates(thresh=thresh, fraction=fraction, verify=False)
    groups = index.group_labels()
    write_label_values(samples, field, APPROX_GROUP_FIELD, index.sample_ids,
                       [groups.get(i) for i in index.sample_ids])  # fmt: skip
    if save_views and not objsim.is_patches_of(samples, field):  # its dataset is temporary
        view = samples.filter_labels(field, F(APPROX_GROUP_FIELD) != None)  # noqa: E711
        what = f"objects of {field!r} in near-duplicate groups"
        samples.dataset.save_view(run_key(field, "approx_dup_view"), view, overwrite=True,
                                  description=what)  # fmt: skip
    config = {"patches_field": field, "brain_key": index.brain_key, "thresh": index.thresh,
              "fraction": fraction}  # fmt: skip
    reps = [groups.get(i, "") for i in index.sample_ids]
    arrays = {"ids": np.array(index.sample_ids, dtype=str), "groups": np.array(reps, dtype=str)}
    runs.save_run(samples, run_key(field, "duplicates"), "duplicates", config, arrays)
    print(f"Found {len(index.neighbors_map)} groups of near-duplicate objects in {field!r} "
          f"({len(index.duplicate_ids)} redundant objects)")  # fmt: skip
    return index


def object_outliers(
    samples: SampleCollection, field: str, lower_threshold: float, k: int, score_field: str,
    tag: str | None, brain_key: str | None, neighbors: Neighbors | None,
    **similarity_kwargs: Any,
) -> OutlierResults:  # fmt: skip
    """``compute_outliers(patches_field=field)``: see :func:`brain.compute_outliers`."""
    nb = object_neighbors(samples, field, brain_key, k, neighbors, **similarity_kwargs)
    scores = outlier_scores(nb, k)
    valid = np.flatnonzero(~np.isnan(scores))
    count = math.ceil(lower_threshold * len(valid)) if lower_threshold else 0
    order = valid[np.argsort(-scores[valid], kind="stable")]
    outlier_ids = [nb.sample_ids[i] for i in order[:count]]
    write_label_values(samples, field, score_field, nb.sample_ids, _floats(scores))
    _retag(samples, field, tag, outlier_ids)
    _record(samples, field, "outliers", "outliers", nb,
            {"lower_threshold": lower_threshold, "k": k, "score_field": score_field, "tag": tag},
            {"scores": scores})  # fmt: skip
    return OutlierResults(nb.sample_ids, scores, outlier_ids, lower_threshold)


def object_clusters(
    samples: SampleCollection, field: str, method: str, threshold: float, k: int,
    cluster_field: str, brain_key: str | None, neighbors: Neighbors | None, seed: int,
    **similarity_kwargs: Any,
) -> ClusterResults:  # fmt: skip
    """``compute_clusters(patches_field=field)``: see :func:`brain.compute_clusters`."""
    from .clusters import COMPONENT_K

    nb = object_neighbors(samples, field, brain_key, COMPONENT_K, neighbors, **similarity_kwargs)
    raw = component_labels(nb, threshold) if method == "components" else kmeans_labels(
        nb.embeddings, k, seed)  # fmt: skip
    labels, sizes = _rank_by_size(raw)
    write_label_values(samples, field, cluster_field, nb.sample_ids,
                       [None if c < 0 else int(c) for c in labels])  # fmt: skip
    _record(samples, field, cluster_field, "clusters", nb,
            {"method": method, "threshold": threshold if method == "components" else None,
             "k": k if method == "kmeans" else None, "cluster_field": cluster_field},
            {"labels": labels, "sizes": sizes})  # fmt: skip
    return ClusterResults(nb.sample_ids, labels, sizes, method)


def object_label_issues(
    samples: SampleCollection, field: str, k: int, score_field: str, suggestion_field: str,
    tag: str | None, brain_key: str | None, neighbors: Neighbors | None,
    **similarity_kwargs: Any,
) -> LabelIssueResults:  # fmt: skip
    """``compute_label_issues(patches_field=field)``: see :func:`brain.compute_label_issues`.

    An object's class is checked against the classes of its ``k`` nearest
    *objects* (of any image): a cat box whose neighbours are all dog boxes
    scores near 1 (FiftyOne's mistakenness, without a model's predictions).
    """
    nb = object_neighbors(samples, field, brain_key, k, neighbors, **similarity_kwargs)
    ids, _, labels = object_rows(samples, field)
    by_id = dict(zip(ids, labels, strict=True))
    labels = [by_id.get(i) for i in nb.sample_ids]
    scores, suggested = label_issue_scores(nb, labels, k)
    flag = [s is not None and lab is not None and s != lab and sc > ISSUE_MIN_SCORE
            for s, lab, sc in zip(suggested, labels, np.nan_to_num(scores),
                                  strict=True)]  # fmt: skip
    order = np.argsort(-np.nan_to_num(scores, nan=-1.0), kind="stable")
    flagged = [nb.sample_ids[i] for i in order if flag[i]]
    write_label_values(samples, field, score_field, nb.sample_ids, _floats(scores))
    write_label_values(samples, field, suggestion_field, nb.sample_ids, suggested)
    _retag(samples, field, tag, flagged)
    found = duplicate_pairs(nb)  # no thumbnails: embedding-only near-duplicates
    pairs = sorted(
        (ConfusingPair(nb.sample_ids[a], nb.sample_ids[b], labels[a], labels[b], float(d))
         for (a, b), d in zip(found.pairs, found.distances, strict=True)
         if labels[a] is not None and labels[b] is not None and labels[a] != labels[b]),
        key=lambda p: p.distance,
    )  # fmt: skip
    _record(samples, field, "label_issues", "label_issues", nb,
            {"k": k, "score_field": score_field, "suggestion_field": suggestion_field,
             "tag": tag, "min_score": ISSUE_MIN_SCORE},
            {"scores": scores, "flagged": np.array(flagged, dtype=str),
             "pairs": np.array([[p.id_a, p.id_b] for p in pairs], dtype=str).reshape(-1, 2),
             "pair_distances": np.array([p.distance for p in pairs],
                                        dtype=np.float32)})  # fmt: skip
    return LabelIssueResults(nb.sample_ids, scores, labels, suggested, flagged, pairs)
