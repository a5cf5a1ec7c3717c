"""Leaks between splits: near-duplicates that sit in different splits.

A train image copied (or lightly edited) into the test split inflates test
scores. The samples of every split are searched together for near-duplicate
pairs with :func:`brain._algos.neardup.find_pairs` (candidates from embeddings and
thumbnails, confirmed on pixels, as for duplicates), and the pairs whose two
samples are in different splits are leaks; both sides are tagged ``leak``.

Splits come from, by ``split_field``:

- ``"tags"`` (default): a sample is in split ``s`` when it has tag ``s``;
- any other field: when that field's value (or its ``label``) equals ``s``;
- ``splits`` given as a dict ``{name: view}``: the samples of each view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dataset_core import runs
from dataset_core.collection import SampleCollection

from ._algos import neardup
from .errors import BrainError
from .neighbors import DEFAULT_K, Neighbors, duplicate_pairs, get_neighbors

DEFAULT_SPLITS = ("train", "test")
LEAKS_VIEW = "leaks_view"
METHOD = "leaks"


@dataclass
class Leak:
    """One cross-split near-duplicate pair."""

    id_a: str
    id_b: str
    split_a: str
    split_b: str
    distance: float


@dataclass
class LeakResults:
    """The leaks found, closest first, and the ids on either side."""

    leaks: list[Leak] = field(default_factory=list)
    splits: dict[str, int] = field(default_factory=dict)  # split -> samples in it

    @property
    def leak_ids(self) -> list[str]:
        """Ids of every sample in a leak, each once."""
        seen: dict[str, None] = {}
        for leak in self.leaks:
            seen.setdefault(leak.id_a)
            seen.setdefault(leak.id_b)
        return list(seen)


def _split_of(samples: SampleCollection, splits: Any, split_field: str) -> list[str | None]:
    """The split name of each sample of ``samples`` (the first that matches), or None."""
    ids = samples.values("id")
    out: list[str | None] = [None] * len(ids)
    if isinstance(splits, dict):
        row = {sid: n for n, sid in enumerate(ids)}
        for name, view in splits.items():
            for sid in view.values("id"):
                n = row.get(sid)
                if n is not None and out[n] is None:
                    out[n] = str(name)
        return out
    names = [str(s) for s in splits]
    if split_field == "tags":
        values = samples.values("tags")
        for n, tags in enumerate(values):
            out[n] = next((s for s in names if s in (tags or ())), None)
        return out
    schema = samples.dataset.get_field_schema()
    if split_field not in schema:
        raise BrainError(
            f"Split field {split_field!r} not found; fields: {sorted(schema)}. Use "
            "split_field='tags' for splits kept as tags, or pass splits={name: view}"
        )
    for n, v in enumerate(samples.values(split_field)):
        v = getattr(v, "label", v)
        out[n] = str(v) if v is not None and str(v) in names else None
    return out


def compute_leaks(
    samples: SampleCollection, splits: Any = DEFAULT_SPLITS, split_field: str = "tags",
    thresh: float | None = None, tag: str | None = "leak", brain_key: str = "sim",
    neighbors: Neighbors | None = None, pairs: neardup.DuplicatePairs | None = None,
    **similarity_kwargs: Any,
) -> LeakResults:  # fmt: skip
    """Find near-duplicates across splits and tag both sides.

    Args:
        samples: a dataset or view.
        splits: split names (default ``("train", "test")``), or a dict
            ``{name: view}``.
        split_field: ``"tags"`` or the field naming each sample's split
            (ignored when ``splits`` is a dict).
        thresh: a cosine-distance bound: pairs closer than it are leaks
            (embeddings only). Default: the pixel-confirmed near-duplicate
            rule of :func:`brain._algos.neardup.find_pairs` (without thumbnails,
            ``EMBEDDING_ONLY_DISTANCE`` of :mod:`brain.neighbors`).
        tag: the tag for samples in a leak (removed from the others first);
            None: no tags.
        brain_key: the similarity run of the embeddings (computed when missing).
        neighbors: a shared :class:`~brain.neighbors.Neighbors` to reuse.
        pairs: near-duplicate pairs found already among all rows of
            ``neighbors`` (with the default rule), so no second search runs.

    Returns:
        A :class:`LeakResults`; the run is saved as ``leaks`` and the view
        ``leaks_view`` (the tagged samples) on the dataset.

    Raises:
        DatasetCoreError: fewer than two splits, or an unknown split field.

    Example:
        >>> res = brain.compute_leaks(dataset, splits=["train", "test"])
        >>> dataset.load_saved_view("leaks_view")
    """
    names = list(splits) if not isinstance(splits, dict) else list(splits.keys())
    if len(names) < 2:
        raise BrainError(
            f"Leaks need at least two splits; got {names}. Pass splits=['train', 'test']"
        )
    split_of = _split_of(samples, splits, split_field)
    rows = np.array([n for n, s in enumerate(split_of) if s is not None], dtype=np.int64)
    counts = {s: split_of.count(s) for s in map(str, names)}
    result = LeakResults(splits=counts)
    if len(rows) >= 2:
        nb = get_neighbors(samples, brain_key, k=DEFAULT_K, neighbors=neighbors,
                           **similarity_kwargs)  # fmt: skip
        if pairs is not None and thresh is None and nb is neighbors:
            found, rows = pairs, np.arange(len(nb.sample_ids))
        else:
            found = duplicate_pairs(nb.subset(rows, k=1), thresh)
        for (a, b), d in zip(found.pairs, found.distances, strict=True):
            ra, rb = rows[a], rows[b]
            if (
                split_of[ra] is not None
                and split_of[rb] is not None
                and split_of[ra] != split_of[rb]
            ):
                result.leaks.append(Leak(nb.sample_ids[ra], nb.sample_ids[rb], split_of[ra],
                                         split_of[rb], float(d)))  # fmt: skip
        result.leaks.sort(key=lambda lk: lk.distance)
    dataset = samples.dataset
    if tag:
        samples.untag_samples(tag)
        if result.leaks:
            samples.select(result.leak_ids).tag_samples(tag)
        dataset.save_view(LEAKS_VIEW, dataset.match_tags(tag), overwrite=True,
                          description="near-duplicates that sit in different splits")  # fmt: skip
    config = {"splits": [str(s) for s in names], "split_field": split_field, "thresh": thresh,
              "tag": tag, "brain_key": brain_key}  # fmt: skip
    arrays = {
        "pairs": np.array([[lk.id_a, lk.id_b] for lk in result.leaks], dtype=str).reshape(-1, 2),
        "splits": np.array([[lk.split_a, lk.split_b] for lk in result.leaks],
                           dtype=str).reshape(-1, 2),
        "distances": np.array([lk.distance for lk in result.leaks], dtype=np.float32),
    }  # fmt: skip
    runs.save_run(samples, METHOD, METHOD, config, arrays)
    return result


def load_leaks(samples: SampleCollection, key: str = METHOD) -> LeakResults:
    """The leaks of an earlier :func:`compute_leaks` run with both sides in ``samples``."""
    arrays = runs.load_run_arrays(samples, key)
    live = set(samples.values("id"))
    res = LeakResults()
    for (a, b), (sa, sb), d in zip(arrays.get("pairs", []), arrays.get("splits", []),
                                   arrays.get("distances", []), strict=True):  # fmt: skip
        if str(a) in live and str(b) in live:
            res.leaks.append(Leak(str(a), str(b), str(sa), str(sb), float(d)))
    return res
