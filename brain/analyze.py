"""One command for everything wrong with an image folder (fastdup's ``run()``).

:func:`analyze` reads a folder, classification tree, file list or archive
(:mod:`brain.sources`), or takes an existing dataset or view, then, reusing one
decode pass and one kNN graph for everything:

1. embeds every image, with 64-px thumbnails and the image statistics of
   :mod:`brain.quality` computed in the same decode pass, and searches the
   kNN graph once; both are saved as the similarity run ``sim``;
   The same pass hashes every file (sha1, stored as ``file_hash``);
2. finds near-duplicate groups (pixel-confirmed; ``approx_dup_group_id`` and
   the saved views of :func:`brain.find_approximate_duplicates`) and says how
   each copy was found (``duplicate_class``, :mod:`brain.duplicate_classes`);
3. uniqueness, outliers, components (``ccthreshold`` 0.96), image-quality
   flags, a 2-D map, and with labels the label issues and kNN predictions,
   with splits the leaks between them;
4. with ``annotations`` (a COCO ``.json``, a YOLOv5 folder or fastdup's
   annotations ``.csv``, imported into the Detections field ``objects_field``,
   ``"detections"`` by default; see :mod:`brain.sources`), or with
   ``objects_field`` naming a Detections field of a dataset, the same analyses
   on the *objects* (fastdup's bounding-box mode, :mod:`brain.objects`): one
   crop pass and one kNN graph of the objects (the run ``"<field>_sim"``),
   then object near-duplicates, uniqueness, outliers and, when the boxes have
   labels, label issues, written into each label;
5. prints fastdup's kind of summary (:mod:`brain.summary`) and writes the
   HTML report, with the object galleries when objects were analysed.

The dataset is persistent and keeps every field and run, ready for the app.
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dataset_core.collection import SampleCollection

from ._algos import neardup
from .fields import write_field
from .label_issues import LABEL_ISSUE_K
from .neighbors import DEFAULT_K, Neighbors, duplicate_pairs, from_arrays
from .outliers import DEFAULT_LOWER_THRESHOLD
from .summary import SummaryInput, summary_lines

#: where the sha1 of each file goes: the field brain.find_exact_duplicates writes
HASH_FIELD = "file_hash"
#: the 2-D map's method when ``visualization="auto"``: UMAP when umap-learn is
#: installed, else PCA (t-SNE takes ~10 s per 1,000 images on 2 cores)
AUTO_VISUALIZATION = ("umap", "pca")


@dataclass
class AnalysisResult:
    """What :func:`analyze` did.

    Attributes:
        dataset: the dataset analysed (persistent, with every field and run).
        summary: the printed lines.
        counts: what was found, by kind: one per duplicate class
            (``same_bytes``, ``same_pixels``, ``near_duplicate``,
            ``embedding_neighbour``), ``outliers``, ``components``,
            ``label_issues``, ``leaks``, one per quality flag...
        report_path: the report's ``index.html``, if one was written.
        seconds: wall time, import included.
        stages: seconds per stage.
        num_images: samples analysed.
    """

    dataset: Any
    summary: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    report_path: str | None = None
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    num_images: int = 0

    @property
    def images_per_second(self) -> float:
        """Images analysed per second, end to end."""
        return self.num_images / self.seconds if self.seconds else 0.0


class _Clock:
    def __init__(self) -> None:
        self.stages: dict[str, float] = {}

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = self.stages.get(name, 0.0) + time.perf_counter() - start


def _embed(samples: SampleCollection, brain_key: str, k: int, notes: list[str],
           **embed_kwargs: Any) -> tuple[Any, Neighbors, np.ndarray, np.ndarray,
                                         list[str | None]]:  # fmt: skip
    """One decode pass (embeddings, thumbnails, image stats, file sha1s) and one
    kNN search, saved together as the similarity run ``brain_key``."""
    from .embeddings import describe_failures, embed_paths
    from .quality import image_stats
    from .similarity import THUMB_SIZE, SimilarityIndex

    paths = samples.values("filepath")
    res = embed_paths(paths, extras={"thumb": _Thumb(THUMB_SIZE), "stats": image_stats},
                      hash_files=True, **embed_kwargs)  # fmt: skip
    if res.failures:
        notes.append(describe_failures(res.failures, paths, len(paths)))
    thumbs = res.extras["thumb"]
    if thumbs.ndim != 3:  # nothing decoded
        thumbs = np.zeros((len(paths), THUMB_SIZE, THUMB_SIZE), np.uint8)
    model = embed_kwargs.get("model")
    # what the pass really used (defaults resolved), so path queries embed alike
    config = {"metric": "cosine", "image_size": res.image_size, "precision": res.precision,
              "model": model if isinstance(model, str) or model is None else type(model).__name__,
              "dim": int(res.embeddings.shape[1])}  # fmt: skip
    ids = samples.values("id")
    nb = from_arrays(ids, res.embeddings, thumbs, k, brain_key)
    index = SimilarityIndex(samples, brain_key, ids, res.embeddings, thumbs, config, nb.graph)
    index.save()  # with the graph: uniqueness and duplicates reuse it later
    return index, nb, res.extras["stats"], res.ok, res.file_hashes


class _Thumb:
    """``gray_thumbnail`` at a size, as a picklable callable for spawned workers."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __call__(self, img: Any) -> np.ndarray:
        from .decode import gray_thumbnail

        return gray_thumbnail(img, self.size)


def _write_groups(samples: SampleCollection, index: Any, pairs: neardup.DuplicatePairs) -> None:
    """The near-duplicate groups as :func:`brain.find_approximate_duplicates` writes them."""
    from .duplicates import APPROX_GROUP_FIELD, APPROX_GROUPS_VIEW, APPROX_VIEW

    labels = neardup.connected_components(len(index.sample_ids), pairs.pairs)
    from .duplicates import neighbors_map

    index.neighbors_map = neighbors_map(index, labels, pairs.pairs, pairs.distances)
    groups = index.group_labels()
    dataset = samples.dataset
    write_field(samples, APPROX_GROUP_FIELD, index.sample_ids,
                [groups.get(i) for i in index.sample_ids], str)  # fmt: skip
    members = samples.exists(APPROX_GROUP_FIELD)
    dataset.save_view(APPROX_VIEW, members.sort_by(APPROX_GROUP_FIELD), overwrite=True,
                      description="near-duplicate groups, one after another")  # fmt: skip
    dataset.save_view(APPROX_GROUPS_VIEW, members.group_by(APPROX_GROUP_FIELD), overwrite=True,
                      description=f"grouped by {APPROX_GROUP_FIELD}")  # fmt: skip


def _visualize(samples: SampleCollection, method: str | None, nb: Neighbors) -> str | None:
    from .visualization import compute_visualization

    if method is None:
        return None
    if method == "auto":
        try:
            import umap  # noqa: F401

            method = AUTO_VISUALIZATION[0]
        except ImportError:
            method = AUTO_VISUALIZATION[1]
    compute_visualization(samples, method=method, neighbors=nb)
    return method


#: the arguments of :func:`brain.compute_similarity` that ``embed_kwargs`` pass to the crops
_CROP_KWARGS = ("model", "batch_size", "num_workers", "device", "progress", "image_size",
                "precision")  # fmt: skip


def _analyze_objects(samples: SampleCollection, field: str, lower_threshold: float,
                     clock: _Clock, embed_kwargs: dict[str, Any]) -> dict[str, int]:  # fmt: skip
    """The object stage: one crop pass and kNN graph of ``field``'s objects, then their
    near-duplicates, uniqueness, outliers and (with labels) label issues."""
    from .duplicates import find_approximate_duplicates
    from .label_issues import compute_label_issues
    from .neighbors import from_index
    from .objects import default_brain_key, object_rows
    from .outliers import compute_outliers
    from .similarity import compute_similarity
    from .uniqueness import compute_uniqueness

    key = default_brain_key(field)
    none = {"objects": 0, "objects_skipped": 0, "objects_unreadable": 0}
    if field not in samples.get_field_schema():  # annotations without a box
        return none
    label_ids, _, labels = object_rows(samples, field)
    if not label_ids:
        return none
    crop_kwargs = {k: v for k, v in embed_kwargs.items() if k in _CROP_KWARGS}
    # the analyses print their own findings; the summary says them once, counted
    quiet = contextlib.redirect_stdout(io.StringIO())
    with clock.stage("object embeddings + kNN graph"), quiet:
        # always a fresh run: an earlier one knows other label ids (a new import)
        index = compute_similarity(samples, brain_key=key, patches_field=field, **crop_kwargs)
        nb = from_index(index, label_ids, max(DEFAULT_K, LABEL_ISSUE_K), key)
    missing = int(np.isnan(nb.embeddings).any(axis=1).sum()) if nb.embeddings.size else 0
    skipped = int(index.config.get("skipped") or 0)
    counts = {"objects": len(label_ids), "objects_skipped": skipped,
              "objects_unreadable": max(missing - skipped, 0)}  # fmt: skip
    if len(label_ids) < 2:
        return counts
    with clock.stage("object near-duplicates"), quiet:
        dups = find_approximate_duplicates(samples, brain_key=key, patches_field=field)
        counts["object_duplicate_groups"] = len(dups.neighbors_map)
        counts["object_duplicates"] = sum(1 + len(m) for m in dups.neighbors_map.values())
    with clock.stage("object uniqueness"), quiet:
        compute_uniqueness(samples, patches_field=field, neighbors=nb)
    with clock.stage("object outliers"), quiet:
        out = compute_outliers(samples, lower_threshold, patches_field=field, neighbors=nb)
        counts["object_outliers"] = len(out.outlier_ids)
    if any(lab is not None for lab in labels):
        with clock.stage("object label issues"), quiet:
            li = compute_label_issues(samples, patches_field=field, neighbors=nb)
            counts["object_label_issues"] = len(li.flagged)
            counts["object_confusing_pairs"] = len(li.confusing_pairs)
    return counts


def analyze(
    source: str | SampleCollection, name: str | None = None, labels: str = "none",
    report_dir: str | None = None, overwrite: bool = False, label_field: str = "ground_truth",
    splits: list[str] | None = None, lower_threshold: float = DEFAULT_LOWER_THRESHOLD,
    cc_threshold: float = 0.96, visualization: str | None = "auto", num_images: int = 20,
    extract_dir: str | None = None, brain_key: str = "sim", verbose: bool = True,
    annotations: str | None = None, objects_field: str | None = None, **embed_kwargs: Any,
) -> AnalysisResult:  # fmt: skip
    """Import ``source`` and run every dataset-health analysis on it.

    Args:
        source: a folder, classification tree, file list or tar/zip archive
            (see :mod:`brain.sources`), or an existing dataset or view (whose
            similarity run ``brain_key`` is then replaced by one of its samples).
        name: the new dataset's name (default: the source's base name).
        labels: ``"dir-tree"``: labels from folder names; ``"none"``.
        report_dir: write the HTML report here (default: none).
        overwrite: replace a dataset of the same name (files are never touched).
        label_field: the labels' field (for a dataset: used when it exists).
        splits: split tags to check for leaks (default: split folders found,
            or for a dataset the tags ``train``/``test``/``val``... it has).
        lower_threshold: the outlier fraction (fastdup's, 5 %).
        cc_threshold: the components' similarity bound (fastdup's ``ccthreshold``).
        visualization: the 2-D map's method (``"umap"``, ``"tsne"``, ``"pca"``),
            ``"auto"`` (UMAP if installed, else PCA) or None for none.
        num_images: rows per gallery.
        extract_dir: where an archive is extracted.
        brain_key: the similarity run's key.
        verbose: print the summary (and progress bars).
        annotations: a COCO detection ``.json``, a YOLOv5 folder (or its
            YAML) or a fastdup annotations ``.csv`` whose boxes are imported
            with the images (matched by file name) and analysed as objects.
        objects_field: the Detections field of the objects (default
            ``"detections"`` when ``annotations`` are given; for a dataset
            source, a field it has, to analyse its objects without importing).
        **embed_kwargs: passed to :func:`brain.embeddings.embed_paths`
            (``model``, ``image_size``, ``batch_size``, ``num_workers``, ``device``).

    Returns:
        An :class:`AnalysisResult`.

    Example:
        >>> res = brain.analyze("data/", name="scenes", labels="dir-tree", report_dir="report/")
        Found 60 images with the same bytes as another (equal sha1), 0.08 %
        ...
    """
    from . import clusters, duplicate_classes, label_issues, leaks, outliers, quality, sources
    from .classify import knn_classify
    from .uniqueness import compute_uniqueness

    clock = _Clock()
    start = time.perf_counter()
    notes: list[str] = []
    if annotations is not None and objects_field is None:
        objects_field = sources.DEFAULT_OBJECTS_FIELD
    with clock.stage("import"):
        if isinstance(source, SampleCollection):
            samples = source
            if annotations is not None:
                paths = samples.values("filepath")
                # the folder the annotations' relative file names start from
                root = os.path.commonpath([os.path.dirname(p) for p in paths] or ["."])
                ann = sources.read_annotations(annotations, root, objects_field)
                notes += ann.notes + sources.attach_annotations(samples, ann)
            found = {t for t in samples.distinct("tags") if sources.split_name(t)}
            found_splits = sorted(found, key=sources.split_order)
        else:
            samples, rep = sources.load_source(
                source, name, labels, label_field, overwrite, extract_dir, annotations,
                objects_field or sources.DEFAULT_OBJECTS_FIELD,
            )  # fmt: skip
            notes += rep.notes
            found_splits = rep.splits
        splits = list(splits) if splits is not None else found_splits
    n = len(samples)
    has_labels = (
        label_field != objects_field  # the boxes' labels are checked per object
        and label_field in samples.dataset.get_field_schema()
        and any(v is not None for v in samples.values(label_field))
    )
    with clock.stage("metadata"):
        from dataset_core.metadata import compute_metadata

        compute_metadata(samples)
    with clock.stage("embeddings + stats + kNN graph"):
        embed_kwargs.setdefault("progress", verbose)
        k = max(DEFAULT_K, LABEL_ISSUE_K) if has_labels else DEFAULT_K
        index, nb, pixel_stats, ok, hashes = _embed(samples, brain_key, k, notes, **embed_kwargs)
        write_field(samples, HASH_FIELD, index.sample_ids, hashes, str)
    counts: dict[str, int] = {}
    with clock.stage("near-duplicates"):
        pairs = duplicate_pairs(nb)
        _write_groups(samples, index, pairs)
    with clock.stage("duplicate classes"):
        dc_res = duplicate_classes.compute_duplicate_classes(samples, neighbors=nb, pairs=pairs,
                                                             file_hashes=hashes)  # fmt: skip
        counts.update(dc_res.counts)
    with clock.stage("uniqueness"):
        compute_uniqueness(samples, neighbors=nb)
    with clock.stage("outliers"):
        out = outliers.compute_outliers(samples, lower_threshold, neighbors=nb)
        counts["outliers"] = len(out.outlier_ids)
    with clock.stage("components"):
        comp = clusters.compute_clusters(samples, "components", cc_threshold, neighbors=nb)
        counts["components"] = len(comp.sizes)
    with clock.stage("image stats"), contextlib.redirect_stdout(io.StringIO()) as quiet:
        q = quality.compute_image_stats(samples, pixel_stats=pixel_stats, ok=ok)
        counts.update(q.counts)
    del quiet  # unreadable images are already reported once, by the embedding pass
    if has_labels:
        with clock.stage("label issues"):
            li = label_issues.compute_label_issues(samples, label_field, neighbors=nb, pairs=pairs)
            counts["label_issues"] = len(li.flagged)
            counts["confusing_pairs"] = len(li.confusing_pairs)
            knn_classify(samples, label_field, neighbors=nb)
    if len(splits) >= 2:
        with clock.stage("leaks"):
            lk = leaks.compute_leaks(samples, splits, neighbors=nb, pairs=pairs)
            counts["leaks"] = len(lk.leaks)
    with clock.stage("visualization"):
        method = _visualize(samples, visualization, nb)
    if objects_field is not None:
        counts.update(_analyze_objects(samples, objects_field, lower_threshold, clock,
                                       embed_kwargs))  # fmt: skip
    largest = int(comp.sizes[0]) if len(comp.sizes) else 0
    summary = notes + summary_lines(SummaryInput(n, counts, lower_threshold, cc_threshold,
                                                 largest, splits, has_labels, method,
                                                 objects_field))  # fmt: skip
    report_path = None
    if report_dir:
        with clock.stage("report"):
            from .reports import create_report

            report_path = create_report(samples, report_dir, num_images=num_images,
                                        label_field=label_field if has_labels else None,
                                        summary=summary)  # fmt: skip
        shown = os.path.relpath(report_path)
        summary.append(f"Report: {report_path if shown.startswith('..') else shown}")
    seconds = time.perf_counter() - start
    name_ = samples.dataset.name
    summary.append(f"Analysed {n} images in {seconds:.1f} s ({n / seconds:.0f} images/s); "
                   f"browse them with: dsc app launch {shlex.quote(name_)}")  # fmt: skip
    if verbose:
        print("\n".join(summary))
    return AnalysisResult(samples, summary, counts, report_path, seconds, clock.stages, n)
