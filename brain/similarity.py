"""Similarity indexes: embeddings of a dataset, searchable and saved as a run.

``compute_similarity`` reads and decodes every image once: the same pass
gives the embeddings, 64-px grayscale thumbnails (for pixel-level duplicate
checks) and the files' sha1 hashes. It computes the embeddings' kNN graph
once, stores the arrays as a brain run, and returns a :class:`SimilarityIndex`.
Loading the run later reads the arrays back: nothing is recomputed, and
uniqueness and near-duplicates reuse the graph.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from bson import ObjectId

from dataset_core import runs
from dataset_core.collection import SampleCollection
from dataset_core.errors import SampleNotFoundError

from . import object_similarity
from ._algos import neardup
from ._algos.knn import KnnGraph, knn_graph, search
from .errors import BrainError

METHOD = "similarity"
#: neighbours per row in the run's kNN graph: what near-duplicate candidates
#: use (neardup.CANDIDATE_K) and more than uniqueness needs (3)
GRAPH_K = neardup.CANDIDATE_K
#: side of the grayscale thumbnails kept for pixel checks (4 KB per image);
#: 64 px beat 32 px on the near-duplicate benchmark (F1 0.94 vs 0.91)
THUMB_SIZE = 64


class SimilarityIndex:
    """Embeddings of the samples of one run, with search and duplicate finding.

    Attributes:
        brain_key: the run's key.
        sample_ids: ids (str) of the indexed samples, aligned with the rows.
        embeddings: (N, D) float32; NaN rows for images that could not be read.
        thumbs: (N, T, T) uint8 grayscale thumbnails, or None.
        neighbors_map: after :meth:`find_duplicates`, representative id ->
            ``[(duplicate id, distance), ...]`` sorted by distance.
        pairs: after :meth:`find_duplicates`, the duplicate pairs found (rows).
    """

    def __init__(
        self, samples: SampleCollection, brain_key: str, sample_ids: list[str],
        embeddings: np.ndarray, thumbs: np.ndarray | None, config: dict[str, Any],
        graph: KnnGraph | None = None,
    ) -> None:  # fmt: skip
        self._samples = samples
        self.brain_key = brain_key
        self.sample_ids = list(sample_ids)
        self.embeddings = embeddings
        self.thumbs = thumbs
        self.config = config
        self._row = {sid: i for i, sid in enumerate(self.sample_ids)}
        self.neighbors_map: dict[str, list[tuple[str, float]]] = {}
        self.thresh: float | None = None
        self.pairs: neardup.DuplicatePairs | None = None
        self._graph = graph
        #: for object similarity, label id -> id of the sample holding it (every row
        #: of the run)
        self._label_samples: dict[str, str] = {}
        #: every row of the run (id -> vector row), for queries by the id of a
        #: sample outside the view the index answers for
        self._run = (self.sample_ids, embeddings, thumbs)

    def knn_graph(self, k: int = GRAPH_K) -> KnnGraph:
        """The rows' cosine kNN graph (at least ``k`` neighbours), computed once per run.

        :func:`compute_similarity` computes it with the embeddings and saves it
        in the run, so uniqueness and near-duplicates reuse one search.
        """
        if self._graph is None or self._graph.indices.shape[1] < k:
            n = len(self.sample_ids)
            self._graph = knn_graph(self.embeddings, k=max(1, min(max(k, GRAPH_K), n - 1)))
        return self._graph

    # -- search -----------------------------------------------------------------

    @property
    def total_index_size(self) -> int:
        """How many samples the index holds."""
        return len(self.sample_ids)

    def _query_vectors(self, query: Any) -> tuple[np.ndarray, set[str]]:
        if isinstance(query, np.ndarray):
            return np.atleast_2d(query.astype(np.float32)), set()
        ids = [query] if isinstance(query, (str, ObjectId)) else list(query)
        if ids and all(isinstance(q, str) and os.path.exists(q) for q in ids):
            from .embeddings import embed_paths

            res = embed_paths(ids, model=self.config.get("model"), progress=False,
                              image_size=self.config.get("image_size"),
                              precision=self.config.get("precision"))  # fmt: skip
            if not res.ok.all():
                raise BrainError(f"Cannot read query image(s): {res.failures}")
            return res.embeddings.mean(0, keepdims=True), set()
        rows = []
        run_row = None
        for q in ids:
            row = self._row.get(str(q))
            if row is None:  # a sample of the run outside the view: its vector still queries
                if run_row is None:
                    run_row = {sid: i for i, sid in enumerate(self._run[0])}
                row = run_row.get(str(q))
                if row is None:
                    raise SampleNotFoundError(
                        f"{q!r} is not a sample in similarity index {self.brain_key!r} (nor an "
                        "image path); pass an indexed sample id, a list of them, a path or a "
                        "vector"
                    )
                rows.append(self._run[1][row])
            else:
                rows.append(self.embeddings[row])
        return np.stack(rows).mean(0, keepdims=True), {str(q) for q in ids}

    def query(self, query: Any, k: int | None = None,
              reverse: bool = False) -> tuple[list[str], list[float]]:  # fmt: skip
        """The ``k`` nearest samples to ``query`` (ids, cosine distances), nearest first.

        Args:
            query: a sample id, a list of ids (their mean), an image path or a vector.
            k: how many (default: all).
            reverse: the ``k`` farthest instead, farthest first.
        """
        vec, _ = self._query_vectors(query)
        n = len(self.sample_ids)
        k = n if k is None else min(int(k), n)
        if k <= 0:
            raise BrainError(f"k must be positive; got {k}")
        d, i = search(self.embeddings, vec, n if reverse else k,
                      metric=self.config.get("metric", "cosine"))  # fmt: skip
        keep = i[0] >= 0
        ids = [self.sample_ids[j] for j in i[0][keep]]
        dists = [float(x) for x in d[0][keep]]
        if reverse:
            ids, dists = ids[::-1][:k], dists[::-1][:k]
        return ids, dists

    def sort_by_similarity(self, query: Any, k: int | None = None, reverse: bool = False,
                           dist_field: str | None = None):  # fmt: skip
        """A view of the ``k`` samples nearest to ``query``, nearest first
        (``reverse``: the farthest, farthest first)."""
        ids, dists = self.query(query, k, reverse)
        field = self.patches_field
        if field is not None and not object_similarity.is_patches_of(self._samples, field):
            # rows are labels: keep the nearest labels, their samples in that order
            if dist_field:
                list_field = object_similarity.label_list_field(self._samples, field)
                self._samples.dataset.set_label_values(
                    f"{field}.{list_field}.{dist_field}", dict(zip(ids, dists, strict=True)),
                    dynamic=True)  # fmt: skip
            return object_similarity.sort_samples_by_labels(self._samples, field, ids,
                                                            self._label_samples)  # fmt: skip
        if dist_field:
            self._samples.dataset.set_values(dist_field, dict(zip(ids, dists, strict=True)))
        return self._samples.select(ids, ordered=True)

    @property
    def patches_field(self) -> str | None:
        """The label field whose labels are the rows (object similarity), or None."""
        return self.config.get("patches_field")

    def _present_ids(self, samples: SampleCollection) -> set[str]:
        """The row ids ``samples`` shows now: its sample ids, or its labels' ids."""
        field = self.patches_field
        if field is None or object_similarity.is_patches_of(samples, field):
            return set(samples.values("id"))
        return object_similarity.present_label_ids(samples, field)

    # -- duplicates -------------------------------------------------------------

    def find_duplicates(
        self, thresh: float | None = None, fraction: float | None = None, verify: bool | None = None
    ) -> None:
        """Find near-duplicates and fill :attr:`neighbors_map`.

        Args:
            thresh: a cosine-distance bound. Alone (``verify`` unset) it is the
                plain rule: pairs closer than ``thresh`` are duplicates.
            fraction: instead of a threshold, mark about this fraction of the
                samples as duplicates, closest pairs first.
            verify: confirm candidates on pixels; default True when neither
                ``thresh`` nor ``fraction`` is given (the accurate default).

        Raises:
            ValueError: both or out-of-range ``thresh`` / ``fraction``.
        """
        from .duplicates import group_near_duplicates

        group_near_duplicates(self, thresh=thresh, fraction=fraction, verify=verify)

    def group_labels(self) -> dict[str, str]:
        """Sample id -> representative id, for every sample in a duplicate group."""
        groups = {}
        for rep, dups in self.neighbors_map.items():
            groups[rep] = rep
            groups.update({d: rep for d, _ in dups})
        return groups

    @property
    def duplicate_ids(self) -> list[str]:
        """Ids of the samples that duplicate a representative."""
        return [d for dups in self.neighbors_map.values() for d, _ in dups]

    @property
    def unique_ids(self) -> list[str]:
        """Ids of the samples that are not duplicates of another (representatives included)."""
        dup = set(self.duplicate_ids)
        return [s for s in self.sample_ids if s not in dup]

    def duplicates_view(
        self, type_field: str | None = None, id_field: str | None = None,
        dist_field: str | None = None, sort_by: str = "distance", reverse: bool = False,
    ):  # fmt: skip
        """A view with each representative followed by its duplicates.

        Args:
            type_field: write ``"nearest"``/``"duplicate"`` there.
            id_field: write the representative's id there.
            dist_field: write the distance to the representative there.
            sort_by: ``"distance"`` (closest groups first) or ``"count"``
                (largest groups first).
        """
        if sort_by not in ("distance", "count"):
            raise BrainError(f"sort_by must be 'distance' or 'count'; got {sort_by!r}")
        items = list(self.neighbors_map.items())
        if sort_by == "distance":
            items.sort(key=lambda kv: min(d for _, d in kv[1]), reverse=reverse)
        else:
            items.sort(key=lambda kv: len(kv[1]), reverse=not reverse)
        ordered, types, reps, dists = [], [], [], []
        for rep, dups in items:
            ordered.append(rep), types.append("nearest"), reps.append(rep), dists.append(0.0)
            for d, dist in dups:
                ordered.append(d), types.append("duplicate"), reps.append(rep), dists.append(dist)
        dataset = self._samples.dataset
        oids = [ObjectId(i) for i in ordered]
        for field, values in ((type_field, types), (id_field, reps), (dist_field, dists)):
            if field:
                dataset.set_values(field, dict(zip(oids, values, strict=True)))
        return self._samples.select(ordered, ordered=True)

    def find_unique(self, count: int) -> list[str]:
        """``count`` samples that cover the data best (greedy farthest-point sampling)."""
        x = self.embeddings
        ok = np.flatnonzero(~np.isnan(x).any(axis=1))
        if not 0 < count <= len(ok):
            raise BrainError(f"count must be in [1, {len(ok)}]; got {count}")
        xn = x[ok] / np.maximum(np.linalg.norm(x[ok], axis=1, keepdims=True), 1e-12)
        centre = xn.mean(0)
        first = int(np.argmin(xn @ centre))  # start from the most atypical sample
        chosen = [first]
        mind = 1 - xn @ xn[first]
        for _ in range(count - 1):
            nxt = int(np.argmax(mind))
            chosen.append(nxt)
            mind = np.minimum(mind, 1 - xn @ xn[nxt])
        return [self.sample_ids[ok[c]] for c in chosen]

    # -- persistence --------------------------------------------------------------

    def save(self) -> None:
        """Store (or replace) this index as brain run ``brain_key``."""
        arrays = {"ids": np.array(self.sample_ids), "embeddings": self.embeddings}
        if self.thumbs is not None:
            arrays["thumbs"] = self.thumbs
        if self._label_samples:
            arrays["label_sample_ids"] = np.array([self._label_samples[i] for i in self._run[0]])
        if self._graph is not None:
            arrays["knn_indices"] = self._graph.indices.astype(np.int32)
            arrays["knn_distances"] = self._graph.distances
        cls = f"{type(self).__module__}:{type(self).__qualname__}"
        runs.save_run(self._samples, self.brain_key, METHOD, self.config, arrays, cls)

    def use_view(self, samples: SampleCollection) -> SimilarityIndex:
        """This index restricted to the samples of ``samples`` (a view or dataset), now.

        Searches, sorting and duplicates of the result never return a sample
        outside ``samples``; ids of other samples of the run still work as
        queries.
        """
        present = self._present_ids(samples)
        keep = np.array([i in present for i in self._run[0]], dtype=bool)
        return self._subset(samples, keep)

    def _subset(self, samples: SampleCollection, keep: np.ndarray) -> SimilarityIndex:
        run_ids, run_emb, run_thumbs = self._run
        full = len(run_ids) == len(self.sample_ids)
        graph = self._graph if keep.all() and full else None  # rows unchanged: it holds
        index = type(self)(samples, self.brain_key, [i for i, k in zip(run_ids, keep, strict=True)
                           if k], run_emb[keep], None if run_thumbs is None else run_thumbs[keep],
                           self.config, graph)  # fmt: skip
        index._run = self._run
        index._label_samples = self._label_samples
        return index

    @classmethod
    def load(cls, samples: SampleCollection, brain_key: str) -> SimilarityIndex:
        """Load run ``brain_key`` for ``samples``: the index answers for that
        dataset or view as it is now; samples deleted since are left out."""
        info = runs.get_brain_info(samples, brain_key)
        if info.method != METHOD:
            raise BrainError(f"Brain run {brain_key!r} is a {info.method} run, not similarity")
        arrays = runs.load_run_arrays(samples, brain_key)
        ids = [str(i) for i in arrays["ids"]]
        field = info.config.get("patches_field")
        if field is None or object_similarity.is_patches_of(samples, field):
            present = set(samples.values("id"))
        else:
            present = object_similarity.present_label_ids(samples, field)
        keep = np.array([i in present for i in ids], dtype=bool)
        if not keep.all() and field is None:
            live = present if samples.dataset is samples else set(samples.dataset.values("id"))
            deleted = sum(i not in live for i in ids)
            if deleted:
                print(f"Similarity index {brain_key!r}: {deleted} indexed samples were "
                      "deleted since; they are left out")  # fmt: skip
        thumbs = arrays.get("thumbs")
        graph = None
        if "knn_indices" in arrays:
            graph = KnnGraph(arrays["knn_distances"], arrays["knn_indices"].astype(np.int64),
                             "cosine", "saved")  # fmt: skip
        whole = cls(samples, brain_key, ids, arrays["embeddings"], thumbs, info.config, graph)
        if "label_sample_ids" in arrays:
            owners = [str(i) for i in arrays["label_sample_ids"]]
            whole._label_samples = dict(zip(ids, owners, strict=True))
        return whole if keep.all() else whole._subset(samples, keep)


def compute_similarity(
    samples: SampleCollection, brain_key: str = "sim", metric: str = "cosine", model: Any = None,
    embeddings: Any = None, batch_size: int | None = None, num_workers: int | None = None,
    device: str | None = None, progress: bool = True, image_size: int | None = None,
    precision: str | None = None, hash_field: str | None = "file_hash",
    patches_field: str | None = None,
) -> SimilarityIndex:  # fmt: skip
    """Embed every image (or every object) and save a searchable index as brain run
    ``brain_key``.

    Each file is read once: the same pass decodes it for the model, keeps a
    64-px grayscale thumbnail (for pixel-level duplicate checks) and, where
    ``hash_field`` is missing, hashes its bytes (sha1), which
    :func:`brain.find_exact_duplicates` then reuses.

    Args:
        samples: a dataset or view.
        brain_key: the run's key.
        metric: ``"cosine"`` (default) or ``"euclidean"``.
        model: a model name (default EfficientNet-Lite0, offline), a
            torchvision model name, or an ``nn.Module``.
        embeddings: precomputed (N, D) embeddings aligned with ``samples``, or
            the name of a field holding them.
        image_size: the model's input side (default: the model's default, 128
            for EfficientNet-Lite0; see benchmarks/RESULTS.md for the trade-off).
        precision: what the model runs in (see :func:`brain.models.load_model`;
            default bfloat16 for the default model on CPUs with native bfloat16).
        hash_field: where to store the sha1 of each file's bytes when a sample
            has none yet (the field :func:`brain.find_exact_duplicates` reads);
            None to skip.
        patches_field: index the labels of this label list field instead of the
            images (object similarity, see :mod:`brain.object_similarity`):
            ``embeddings`` then has one row per label, or is
            ``{sample_id: (labels of the sample, D)}``; without it the crop of
            each ``Detections`` box is embedded, each image decoded once (see
            :mod:`brain.crops`; objects under 8 px are skipped and counted).

    Returns:
        The :class:`SimilarityIndex`, already saved.

    Example:
        >>> index = compute_similarity(dataset, brain_key="sim")
        >>> index.find_duplicates()
    """
    if patches_field is not None:
        return _compute_object_similarity(samples, patches_field, brain_key, metric, model,
                                          embeddings, batch_size, num_workers, device,
                                          progress, image_size, precision)  # fmt: skip
    project = {"filepath": 1, **({hash_field: 1} if hash_field else {})}
    docs = samples.aggregate([{"$project": project}])  # one pass for all three
    oids = [d["_id"] for d in docs]
    ids = [str(i) for i in oids]
    thumbs = None
    config: dict[str, Any] = {"metric": metric}
    if embeddings is None:
        from .decode import gray_thumbnail
        from .embeddings import embed_paths

        paths = [d["filepath"] for d in docs]
        unhashed = [n for n, d in enumerate(docs) if hash_field and d.get(hash_field) is None]
        res = embed_paths(
            paths, model=model, batch_size=batch_size, num_workers=num_workers, device=device,
            extras={"thumb": lambda img: gray_thumbnail(img, THUMB_SIZE)}, progress=progress,
            image_size=image_size, precision=precision, hash_files=bool(unhashed),
        )  # fmt: skip
        emb = res.embeddings
        thumbs = res.extras["thumb"]
        _report_failures(res.failures, paths)
        config.update(image_size=res.image_size, precision=res.precision)
        new_hashes = [(oids[n], res.file_hashes[n]) for n in unhashed if res.file_hashes[n]]
        if new_hashes:
            samples.dataset.set_values(hash_field, dict(new_hashes))
    elif isinstance(embeddings, str):
        emb = np.stack([np.asarray(v, dtype=np.float32) for v in samples.values(embeddings)])
    else:
        emb = np.asarray(embeddings, dtype=np.float32)
    if emb.ndim != 2 or len(emb) != len(ids):
        raise BrainError(f"embeddings must be ({len(ids)}, D); got shape {emb.shape}")
    model_name = model if isinstance(model, str) else type(model).__name__
    if model is None:
        from .models import DEFAULT_MODEL

        model_name = DEFAULT_MODEL if embeddings is None else None
    elif hasattr(model, "name") and not isinstance(model, str):
        model_name = model.name  # an EmbeddingModel
    config.update(model=model_name, dim=int(emb.shape[1]))
    index = SimilarityIndex(samples, brain_key, ids, emb, thumbs, config)
    if len(ids) > 1:
        index.knn_graph()  # once, saved with the run: uniqueness and duplicates reuse it
    index.save()
    return index


def _compute_object_similarity(
    samples: SampleCollection, field: str, brain_key: str, metric: str, model: Any,
    embeddings: Any, batch_size: int | None, num_workers: int | None, device: str | None,
    progress: bool, image_size: int | None, precision: str | None,
) -> SimilarityIndex:  # fmt: skip
    """compute_similarity(patches_field=field): one row per label of ``field``."""
    label_ids, owners = object_similarity.label_rows(samples, field)
    config: dict[str, Any] = {"metric": metric, "patches_field": field}
    if embeddings is None:
        from .crops import DEFAULT_MARGIN, DEFAULT_MIN_SIZE, embed_crops

        paths, boxes = object_similarity.crop_boxes(samples, field)
        res = embed_crops(
            paths, boxes, model=model, batch_size=batch_size, num_workers=num_workers,
            device=device, image_size=image_size, precision=precision, progress=progress,
        )  # fmt: skip
        if res.failures:
            eg = "; ".join(list(res.failures.values())[:3])
            print(f"Skipped {len(res.failures)} objects that could not be cut out ({eg}); "
                  "they get no embedding")  # fmt: skip
        if res.skipped:
            eg = "; ".join(list(res.skipped.values())[:3])
            print(f"Skipped {len(res.skipped)} of {len(label_ids)} objects smaller than "
                  f"{DEFAULT_MIN_SIZE} px ({eg}); they get no embedding")  # fmt: skip
        emb = res.embeddings
        config.update(image_size=res.image_size, precision=res.precision, margin=DEFAULT_MARGIN,
                      min_size=DEFAULT_MIN_SIZE, skipped=len(res.skipped))  # fmt: skip
        if model is None:
            from .models import DEFAULT_MODEL

            model = DEFAULT_MODEL
    else:
        emb = object_similarity.patch_embeddings(samples, field, label_ids, owners, embeddings)
    model_name = model if isinstance(model, str) or model is None else getattr(
        model, "name", type(model).__name__)  # fmt: skip
    config.update(model=model_name, dim=int(emb.shape[1]) if emb.ndim == 2 else 0)
    index = SimilarityIndex(samples, brain_key, label_ids, emb, None, config)
    index._label_samples = dict(zip(label_ids, owners, strict=True))
    if len(label_ids) > 1:
        index.knn_graph()
    index.save()
    return index


def _report_failures(failures: dict[int, str], paths: list[str]) -> None:
    if failures:
        eg = "; ".join(f"{os.path.basename(paths[i])}: {r}" for i, r in list(failures.items())[:3])
        print(f"Skipped {len(failures)} unreadable images ({eg}); they get no embedding")


def find_similarity_run(
    samples: SampleCollection, model: Any = None, image_size: int | None = None,
    ids: list[str] | None = None,
) -> str | None:  # fmt: skip
    """The key of a similarity run over the same samples, model and input size, or None.

    What an analysis called without a ``brain_key`` reuses instead of embedding
    every image again. Only models named by string (or the default) match: an
    ``nn.Module`` passed in may be anything.
    """
    from .embeddings import DEFAULT_IMAGE_SIZE
    from .models import DEFAULT_MODEL, LITE_MODELS

    if model is not None and not isinstance(model, str):
        return None
    name = model or DEFAULT_MODEL
    if image_size is None:  # what embedding would use: the default model's default size
        spec = LITE_MODELS.get(name)
        image_size = DEFAULT_IMAGE_SIZE if name == DEFAULT_MODEL else spec and spec.image_size
        if image_size is None:
            return None
    wanted = None
    for key in samples.list_brain_runs(method=METHOD):
        cfg = samples.get_brain_info(key).config
        if cfg.get("patches_field") is not None:
            continue  # its rows are objects, not these images
        if (cfg.get("model"), cfg.get("image_size"), cfg.get("metric")) != (
            name,
            image_size,
            "cosine",
        ):
            continue
        wanted = set(samples.values("id") if ids is None else ids) if wanted is None else wanted
        run_ids = runs.load_run_arrays(samples, key).get("ids")
        if run_ids is not None and len(run_ids) == len(wanted) and set(map(str, run_ids)) == wanted:
            return key
    return None


#: arguments of compute_similarity that change its result (not merely its speed)
RESULT_KWARGS = frozenset({"model", "image_size", "precision", "embeddings", "metric"})


def similarity_for(
    samples: SampleCollection, brain_key: str = "sim", **similarity_kwargs: Any
) -> SimilarityIndex:
    """The one way to embeddings and a kNN graph for ``samples``: run ``brain_key``
    if it exists, else a similarity run over the same samples, model and input
    size (said in one line), else :func:`compute_similarity` as ``brain_key``."""
    if brain_key in samples.list_brain_runs(method=METHOD):
        if unused := sorted(set(similarity_kwargs) & RESULT_KWARGS):
            print(f"Similarity run {brain_key!r} exists: {unused} not used (delete the run to "
                  "compute it again with them)")  # fmt: skip
        return SimilarityIndex.load(samples, brain_key)
    key = None
    if "embeddings" not in similarity_kwargs:
        key = find_similarity_run(samples, similarity_kwargs.get("model"),
                                  similarity_kwargs.get("image_size"))  # fmt: skip
    if key is not None:
        print(f"Reusing the embeddings and kNN graph of similarity run {key!r} (same samples, "
              "model and input size)")  # fmt: skip
        return SimilarityIndex.load(samples, key)
    return compute_similarity(samples, brain_key=brain_key, **similarity_kwargs)


def load_similarity_index(samples: SampleCollection, brain_key: str = "sim") -> SimilarityIndex:
    """The saved :class:`SimilarityIndex` of run ``brain_key``."""
    return SimilarityIndex.load(samples, brain_key)
