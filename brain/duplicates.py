"""Exact and approximate duplicates: find them, group them, save views.

- :func:`find_exact_duplicates` hashes file bytes (sha1) into ``file_hash``;
  with ``pixels=True`` it also hashes decoded pixels (``pixel_hash``), so a PNG
  and a lossless re-encode of it match. Saves the view ``exact_dup_view``.
- :func:`find_approximate_duplicates` uses a similarity index and writes the
  group of each duplicate into ``approx_dup_group_id``. Saves the views
  ``approx_dup_view`` and ``approx_dup_groups_view``.
- :func:`group_near_duplicates` groups an index's rows into near-duplicate
  groups (what ``SimilarityIndex.find_duplicates`` runs).
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from PIL import Image

from dataset_core import runs
from dataset_core.collection import SampleCollection
from dataset_core.media import compute_filehash
from dataset_core.progress import progress_bar

from ._algos import neardup
from .errors import BrainError
from .fields import write_field
from .similarity import SimilarityIndex, similarity_for

EXACT_VIEW = "exact_dup_view"
APPROX_VIEW = "approx_dup_view"
APPROX_GROUPS_VIEW = "approx_dup_groups_view"
APPROX_GROUP_FIELD = "approx_dup_group_id"
#: hashing is disk bound: a few threads per core keep reads in flight
HASH_WORKERS = 4 * (os.cpu_count() or 1)


def pixel_hash(path: str) -> str:
    """sha1 of the decoded RGB pixels and size: equal for lossless re-encodes."""
    with Image.open(path) as img:
        rgb = img.convert("RGB")
        h = hashlib.sha1(f"{rgb.size}".encode())
        h.update(rgb.tobytes())
    return h.hexdigest()


def _hash_all(samples: SampleCollection, field: str, fn: Any, overwrite: bool) -> dict[str, str]:
    pipeline = [] if overwrite else [{"$match": {field: None}}]
    docs = samples.aggregate(pipeline + [{"$project": {"filepath": 1}}])

    def run(path: str) -> str | None:
        try:
            return fn(path)
        except Exception:  # noqa: BLE001 - a bad file (even a bomb) is reported, never raised
            return None

    failures: list[str] = []
    values = []
    with ThreadPoolExecutor(HASH_WORKERS) as pool:
        results = pool.map(run, [d["filepath"] for d in docs])
        for doc, h in progress_bar(zip(docs, results, strict=True), total=len(docs),
                                   desc=f"Hashing ({field})", unit="files"):  # fmt: skip
            if h is None:
                failures.append(doc["filepath"])
            else:
                values.append((doc["_id"], h))
    if values:
        samples.dataset.set_values(field, dict(values))
    if failures:
        names = ", ".join(os.path.basename(p) for p in failures[:3])
        print(f"Could not hash {len(failures)} files ({names}); they get no {field}")
    return {str(oid): h for oid, h in values}


def find_file_hashes(
    samples: SampleCollection, sample_ids: list[str] | None = None, hash_field: str = "file_hash"
) -> list[str | None]:
    """The sha1 of each sample's file from ``hash_field``, hashed and stored where missing.

    Returns:
        The hashes aligned with ``sample_ids`` (default: the collection's
        order); None for files that could not be read.
    """
    if hash_field in samples.dataset.get_field_schema():
        ids, hashes = samples.values(["id", hash_field])
        have = dict(zip(ids, hashes, strict=True))
    else:
        ids, have = samples.values("id"), {}
    if len(have) < len(ids) or any(h is None for h in have.values()):
        have.update(_hash_all(samples, hash_field, compute_filehash, overwrite=False))
    return [have.get(sid) for sid in (ids if sample_ids is None else sample_ids)]


def find_exact_duplicates(
    samples: SampleCollection, hash_field: str = "file_hash", pixels: bool = False,
    overwrite: bool = False, save_view: bool = True,
) -> dict[str, list[str]]:  # fmt: skip
    """Group samples whose files are byte-identical (and pixel-identical with ``pixels``).

    Args:
        samples: a dataset or view.
        hash_field: the field that holds sha1 file hashes (computed where missing).
        pixels: also hash decoded pixels into ``pixel_hash`` and group by that.
        overwrite: recompute hashes that are already stored.
        save_view: save ``exact_dup_view`` on the dataset.

    Returns:
        hash -> ids of the samples sharing it (groups of two or more).

    Example:
        >>> groups = find_exact_duplicates(dataset)
        >>> dataset.load_saved_view("exact_dup_view")
    """
    _hash_all(samples, hash_field, compute_filehash, overwrite)
    key = hash_field
    if pixels:
        _hash_all(samples, "pixel_hash", pixel_hash, overwrite)
        key = "pixel_hash"
    docs = samples.aggregate([
        {"$match": {key: {"$ne": None}}},
        {"$group": {"_id": f"${key}", "ids": {"$push": "$_id"}, "n": {"$sum": 1}}},
        {"$match": {"n": {"$gt": 1}}},
    ])  # fmt: skip
    groups = {d["_id"]: [str(i) for i in d["ids"]] for d in docs}
    if save_view:
        view = samples.match({key: {"$in": sorted(groups)}}).sort_by(key)
        samples.dataset.save_view(EXACT_VIEW, view, overwrite=True,
                                   description=f"samples sharing a {key} with another")  # fmt: skip
    n_dup = sum(len(v) - 1 for v in groups.values())
    print(f"Found {len(groups)} groups of exact duplicates ({n_dup} redundant samples)")
    return groups


def find_approximate_duplicates(
    samples: SampleCollection, brain_key: str | None = None, thresh: float | None = None,
    fraction: float | None = None, verify: bool | None = None, save_views: bool = True,
    patches_field: str | None = None, **similarity_kwargs: Any,
) -> SimilarityIndex:  # fmt: skip
    """Find near-duplicates with similarity index ``brain_key`` (default ``"sim"``;
    computed if missing).

    Writes ``approx_dup_group_id`` (the representative's id) on every sample of
    a group and None elsewhere, and saves ``approx_dup_view`` (groups one after
    another) and ``approx_dup_groups_view`` (grouped by that field).

    With ``patches_field`` (a Detections field) the near-duplicate *objects*
    are found among its crops (:mod:`brain.objects`; object runs keep no
    thumbnails, so pairs within ``thresh``, default 0.1, cosine distance):
    each object of a group gets ``approx_dup_group_id`` (its group's first
    object's label id) in its label, the view ``"<field>_approx_dup_view"``
    shows only those objects (not saved from a patches view, whose dataset is
    temporary: filter its patches instead), and the run ``"<field>_duplicates"`` records
    the groups; the index's rows and ``neighbors_map`` are label ids.
    ``brain_key`` then defaults to ``"<field>_sim"``.

    Returns:
        The index, with ``neighbors_map`` filled.

    Example:
        >>> index = find_approximate_duplicates(dataset, patches_field="ground_truth")
        >>> dataset.load_saved_view("ground_truth_approx_dup_view")
    """
    if patches_field is not None:
        from .objects import object_duplicates

        return object_duplicates(samples, patches_field, brain_key, thresh, fraction, verify,
                                 save_views, **similarity_kwargs)  # fmt: skip
    brain_key = brain_key or "sim"
    index = similarity_for(samples, brain_key, **similarity_kwargs)
    index.find_duplicates(thresh=thresh, fraction=fraction, verify=verify)
    groups = index.group_labels()
    dataset = samples.dataset
    # declared as a string field even when no group was found (every value None)
    write_field(samples, APPROX_GROUP_FIELD, index.sample_ids,
                [groups.get(i) for i in index.sample_ids], "string")  # fmt: skip
    if save_views:
        members = samples.exists(APPROX_GROUP_FIELD)
        dataset.save_view(APPROX_VIEW, members.sort_by(APPROX_GROUP_FIELD), overwrite=True,
                          description="near-duplicate groups, one after another")  # fmt: skip
        dataset.save_view(APPROX_GROUPS_VIEW, members.group_by(APPROX_GROUP_FIELD), overwrite=True,
                          description=f"grouped by {APPROX_GROUP_FIELD}")  # fmt: skip
    n_dup = len(index.duplicate_ids)
    print(f"Found {len(index.neighbors_map)} groups of near-duplicates "
          f"({n_dup} redundant samples)")  # fmt: skip
    return index


def group_near_duplicates(
    index: SimilarityIndex, thresh: float | None = None, fraction: float | None = None,
    verify: bool | None = None,
) -> None:  # fmt: skip
    """Find near-duplicates among the rows of ``index``; fill its ``neighbors_map``,
    ``pairs`` and ``thresh`` (see :meth:`SimilarityIndex.find_duplicates`)."""
    if thresh is not None and fraction is not None:
        raise BrainError("Pass thresh or fraction, not both")
    index.pairs = None
    if fraction is not None:
        if not 0 < fraction < 1:
            raise BrainError(f"fraction must be in (0, 1); got {fraction}")
        pairs, dists = _pairs_for_fraction(index, fraction)
    else:
        if verify is None:
            verify = thresh is None
        graph = index.knn_graph() if len(index.sample_ids) > 1 else None
        found = neardup.find_pairs(index.embeddings, index.thumbs, thresh=thresh, verify=verify,
                                   graph=graph)  # fmt: skip
        index.pairs = found
        pairs, dists = found.pairs, found.distances
    index.thresh = thresh
    labels = neardup.connected_components(len(index.sample_ids), pairs)
    index.neighbors_map = neighbors_map(index, labels, pairs, dists)


def _pairs_for_fraction(index: SimilarityIndex, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    n = len(index.sample_ids)
    graph = index.knn_graph() if n > 1 else None
    cands = neardup.candidate_pairs(index.embeddings, None, max_distance=2.0, graph=graph)
    dists = neardup._cosine_distance(index.embeddings, cands) if len(cands) else np.zeros(0)
    order = np.argsort(dists, kind="stable")
    target = int(round(fraction * n))
    chosen, marked = [], set()
    for p in order:  # closest first, until `target` samples are duplicates
        if len(marked) >= target:
            break
        a, b = cands[p]
        chosen.append(p)
        marked.add(int(b) if int(a) not in marked else int(a))
    index.thresh = float(dists[order[len(chosen) - 1]]) if chosen else None
    return cands[chosen], dists[chosen]


def neighbors_map(
    index: SimilarityIndex, labels: np.ndarray, pairs: np.ndarray, dists: np.ndarray
) -> dict[str, list[tuple[str, float]]]:
    """Representative id -> ``[(duplicate id, distance), ...]`` for the groups
    ``labels`` (component per row, -1 for none) of ``index``'s rows."""
    emb = index.embeddings
    out: dict[str, list[tuple[str, float]]] = {}
    for label in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == label)
        rep = int(members[0])  # the first in dataset order represents the group
        x = emb[members] / np.maximum(np.linalg.norm(emb[members], axis=1, keepdims=True), 1e-12)
        d = 1 - x @ x[0]
        pairs = zip(members[1:], d[1:], strict=True)
        dups = sorted(((index.sample_ids[m], float(max(dd, 0.0))) for m, dd in pairs),
                      key=lambda t: t[1])  # fmt: skip
        out[index.sample_ids[rep]] = dups
    return out


def duplicate_groups(samples: SampleCollection, kind: str) -> list[list[str]]:
    """The duplicate groups found earlier: lists of sample ids, in dataset order."""
    schema = samples.dataset.get_field_schema()
    if kind == "exact":
        key = "pixel_hash" if "pixel_hash" in schema else "file_hash"
        if key not in schema:
            raise BrainError("No exact duplicates found yet; run brain.find_exact_duplicates first")
    elif kind == "approximate":
        key = APPROX_GROUP_FIELD
        if key not in schema:
            raise BrainError(
                "No near-duplicates found yet; run brain.find_approximate_duplicates first"
            )
    else:
        raise BrainError(f"kind must be 'exact' or 'approximate'; got {kind!r}")
    docs = samples.aggregate([
        {"$match": {key: {"$ne": None}}},
        {"$group": {"_id": f"${key}", "ids": {"$push": "$_id"}, "n": {"$sum": 1}}},
        {"$match": {"n": {"$gt": 1}}},
    ])  # fmt: skip
    groups = [[str(i) for i in d["ids"]] for d in docs]
    order = {sid: n for n, sid in enumerate(samples.values("id"))}
    groups = [sorted(g, key=order.__getitem__) for g in groups]
    return sorted(groups, key=lambda g: order[g[0]])


def embeddings_for(samples: SampleCollection, ids: list[str]) -> np.ndarray | None:
    """Embeddings of ``ids`` from the dataset's first similarity run, if any."""
    keys = runs.list_brain_runs(samples, method="similarity")
    if not keys:
        return None
    index = SimilarityIndex.load(samples, keys[0])
    rows = [index._row.get(i) for i in ids]
    if any(r is None for r in rows):
        return None
    return index.embeddings[rows]
