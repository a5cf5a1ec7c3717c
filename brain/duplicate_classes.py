"""Which images have a copy, and how the copy was found.

A near-duplicate pair (:func:`brain.neighbors.duplicate_pairs`) can be there
for very different reasons, and a user deciding what to delete wants to know
which. Each image that has a copy gets exactly one class, the strongest
evidence among its pairs, in this order:

- ``same_bytes``: its file's sha1 (``file_hash``) equals another image's;
- ``same_pixels``: its decoded pixels equal another's (sha1 of the RGB pixels
  and size, :func:`brain.duplicates.pixel_hash`) but the bytes differ: a
  lossless re-encode, new metadata;
- ``near_duplicate``: a pair confirmed by the pixel check
  (:meth:`brain._algos.neardup.DuplicatePairs.confirmed`: the thumbnails'
  NCC, or the crop, rotation or caption search);
- ``embedding_neighbour``: paired only because the embeddings are that close
  (cosine similarity at least ``EMBEDDING_NEIGHBOUR_SIMILARITY``); the pixel
  check did not confirm it (blank images, textures, or no thumbnails to check).

The class goes into the sample field ``duplicate_class`` (None for images
without a copy), so the dashboard filters on it, and the call is recorded as
a brain run of that key.

Cost: the sha1s come from the embedding pass (``hash_files``) or the stored
``file_hash``. Pixels are decoded a second time only for the images of pairs
that could be pixel-identical (different sha1, the same size in the file
headers, a thumbnail score of at least ``PIXEL_THRESHOLD``, equal thumbnails
when both files have one format), once per file content.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from dataset_core import runs
from dataset_core.collection import SampleCollection

from ._algos import neardup
from .fields import write_field
from .neighbors import Neighbors, duplicate_pairs, get_neighbors
from .quality import read_metadata

#: the classes, strongest evidence first (the order of the summary and the report)
CLASSES = ("same_bytes", "same_pixels", "near_duplicate", "embedding_neighbour")
#: what each class means, in a few words (the report's table)
MEANINGS = {
    "same_bytes": "the same file bytes as another image (equal sha1)",
    "same_pixels": "the same decoded pixels as another image, different bytes",
    "near_duplicate": "a near-duplicate confirmed by the pixel check",
    "embedding_neighbour": "embeddings almost equal, the pixel check did not confirm",
}
#: the embedding-only bound: pairs this similar are kept without the pixel
#: check (``neardup.SURE_DISTANCE`` as a cosine similarity, 0.98)
EMBEDDING_NEIGHBOUR_SIMILARITY = 1.0 - neardup.SURE_DISTANCE
METHOD = "duplicate_classes"
#: decoding is mostly I/O and C code: a couple of threads per core
DECODE_WORKERS = 8


@dataclass
class DuplicateClassResults:
    """The class of every sample and what it took.

    Attributes:
        sample_ids: the samples, in the collection's order.
        classes: per sample, one of :data:`CLASSES`, or None (no copy).
        counts: class -> images in it (every class present, 0 when none).
        pixels_decoded: files decoded to compare pixels.
    """

    sample_ids: list[str]
    classes: list[str | None]
    counts: dict[str, int]
    pixels_decoded: int = 0


def _pixel_hash(path: str) -> str | None:
    from .duplicates import pixel_hash

    try:
        return pixel_hash(path)
    except Exception:  # noqa: BLE001 - an unreadable file simply has no pixels to compare
        return None


#: what the pixel comparison needs to know of a file without decoding it:
#: ``(width, height, mime type)`` from its header
Header = tuple[int, int, str | None]


def _pixel_candidates(
    pairs: neardup.DuplicatePairs, file_hashes: Sequence[str | None],
    headers: Sequence[Header | None], thumbs: np.ndarray | None, same_bytes: set[int],
) -> list[tuple[int, int]]:  # fmt: skip
    """The pairs that could be pixel-identical, so worth decoding: different
    bytes, one size, a thumbnail score of ``PIXEL_THRESHOLD``, and, for two
    files of one format, equal thumbnails (the same pixels decode to the same
    thumbnail the same way; across formats a JPEG's thumbnail comes from a
    reduced-scale decode, so they may differ)."""
    out = []
    scores = np.nan_to_num(pairs.pixel_scores, nan=-1.0)
    for (a, b), score in zip(pairs.pairs.tolist(), scores, strict=True):
        ha, hb = headers[a], headers[b]
        if (score < neardup.PIXEL_THRESHOLD or file_hashes[a] == file_hashes[b] or ha is None
                or hb is None or ha[:2] != hb[:2] or {a, b} <= same_bytes):  # fmt: skip
            continue
        if thumbs is not None and ha[2] == hb[2] and not np.array_equal(thumbs[a], thumbs[b]):
            continue
        out.append((a, b))
    return out


def classify(
    pairs: neardup.DuplicatePairs, file_hashes: Sequence[str | None], paths: Sequence[str],
    headers: Sequence[Header | None], thumbs: np.ndarray | None = None,
) -> tuple[list[str | None], int]:  # fmt: skip
    """The class of each row (see the module doc) from its near-duplicate ``pairs``.

    Args:
        pairs: near-duplicate pairs of rows, with distances and pixel scores.
        file_hashes: each row's sha1 of its file bytes (None when unknown).
        paths: each row's file, decoded for the pixel comparison when needed.
        headers: each row's ``(width, height, mime type)`` from the file
            header, or None (then it is never decoded).
        thumbs: the rows' grayscale thumbnails from the embedding pass, to
            rule out pairs without decoding.

    Returns:
        ``(classes, files decoded)``.
    """
    n = len(paths)
    rank: list[int] = [len(CLASSES)] * n  # index into CLASSES; len(CLASSES): no copy

    def promote(row: int, cls: int) -> None:
        rank[row] = min(rank[row], cls)

    by_hash = Counter(h for h in file_hashes if h is not None)
    same_bytes = {r for r, h in enumerate(file_hashes) if h is not None and by_hash[h] > 1}
    for row in same_bytes:
        promote(row, 0)
    maybe = _pixel_candidates(pairs, file_hashes, headers, thumbs, same_bytes)
    # one decode per file content (byte copies share it)
    todo = {file_hashes[r] or paths[r]: paths[r] for pair in maybe for r in pair}
    with ThreadPoolExecutor(min(DECODE_WORKERS, max(len(todo), 1))) as pool:
        decoded = dict(zip(todo, pool.map(_pixel_hash, todo.values()), strict=True))
    for a, b in maybe:
        ha, hb = decoded[file_hashes[a] or paths[a]], decoded[file_hashes[b] or paths[b]]
        if ha is not None and ha == hb:
            promote(a, 1)
            promote(b, 1)
    pp = pairs.pairs
    confirmed = pairs.confirmed()
    for (a, b), ok in zip(pp, confirmed, strict=True):
        cls = 2 if ok else 3
        promote(int(a), cls)
        promote(int(b), cls)
    classes = [CLASSES[r] if r < len(CLASSES) else None for r in rank]
    return classes, len(todo)


def compute_duplicate_classes(
    samples: SampleCollection, neighbors: Neighbors | None = None,
    pairs: neardup.DuplicatePairs | None = None, file_hashes: Sequence[str | None] | None = None,
    class_field: str = "duplicate_class", hash_field: str = "file_hash", brain_key: str = "sim",
    **similarity_kwargs: Any,
) -> DuplicateClassResults:  # fmt: skip
    """Write on every sample how its copy was found (see the module doc).

    Args:
        samples: a dataset or view.
        neighbors: a shared :class:`~brain.neighbors.Neighbors` (default: from
            the similarity run ``brain_key``, computed when missing).
        pairs: its near-duplicate pairs, if found already (default:
            :func:`brain.neighbors.duplicate_pairs`).
        file_hashes: the sha1 of each sample's file, aligned with the
            neighbours' rows (default: ``hash_field``, hashed where missing).
        class_field: where the class goes.
        hash_field: the field of file hashes (``file_hash``, as
            :func:`brain.find_exact_duplicates` writes it).
        brain_key: the similarity run.

    Returns:
        A :class:`DuplicateClassResults`; the run is saved as ``class_field``.

    Example:
        >>> res = compute_duplicate_classes(dataset)
        >>> dataset.match(F("duplicate_class") == "embedding_neighbour")
    """
    nb = get_neighbors(samples, brain_key, neighbors=neighbors, **similarity_kwargs)
    if pairs is None:
        pairs = duplicate_pairs(nb)
    if file_hashes is None:
        from .duplicates import find_file_hashes

        file_hashes = find_file_hashes(samples, nb.sample_ids, hash_field)
    ids, paths = samples.values(["id", "filepath"])
    if ids != nb.sample_ids:  # the neighbours' order, whatever the view's
        where = dict(zip(ids, paths, strict=True))
        paths = [where[sid] for sid in nb.sample_ids]
    metas = dict(zip(ids, read_metadata(samples), strict=True))
    headers = [_header(metas[sid]) for sid in nb.sample_ids]
    classes, decoded = classify(pairs, file_hashes, paths, headers, nb.thumbs)
    write_field(samples, class_field, nb.sample_ids, classes, str)
    counts = {c: classes.count(c) for c in CLASSES}
    config = {"class_field": class_field, "hash_field": hash_field, "brain_key": nb.brain_key,
              "embedding_similarity": EMBEDDING_NEIGHBOUR_SIMILARITY,
              "pixel_threshold": neardup.PIXEL_THRESHOLD, "counts": counts,
              "pixels_decoded": decoded}  # fmt: skip
    arrays = {"ids": np.array(nb.sample_ids), "classes": np.array([c or "" for c in classes])}
    runs.save_run(samples, class_field, METHOD, config, arrays)
    return DuplicateClassResults(nb.sample_ids, classes, counts, decoded)


def _header(meta: Any) -> Header | None:
    w, h = getattr(meta, "width", None), getattr(meta, "height", None)
    return (int(w), int(h), getattr(meta, "mime_type", None)) if w and h else None
