"""Image quality: per-image statistics and the flags users filter on.

:func:`image_stats` measures one decoded image; it is module-level so that
:func:`brain.embeddings.embed_paths` can run it as an *extra* in its decode
workers, in the same pass as the embeddings (``extras={"stats": image_stats}``).
The pixel statistics are taken on a ``STATS_SIDE``-px square grayscale
thumbnail, as fastdup does (it measures the resized image), so that they do not
depend on the file's resolution:

| stat | meaning |
|---|---|
| ``width``, ``height`` | pixels as displayed (EXIF rotation applied), from the header |
| ``aspect_ratio`` | width / height |
| ``size_bytes`` | the file's size |
| ``mean``, ``min``, ``max``, ``stdv`` | grey-level brightness, 0-255 |
| ``unique_colors`` | distinct RGB colours in the thumbnail (at most 16,384) |
| ``blur`` | variance of the Laplacian of the thumbnail: low = blurry |
| ``contrast`` | (98th - 2nd percentile grey level) / 255, in [0, 1] |
| ``entropy`` | Shannon entropy of the grey-level histogram, bits (0-8) |

Flags (``quality_issues``, a list per sample), with the default thresholds as
keyword arguments of :func:`compute_image_stats` (rates measured on the
near-duplicate benchmark corpus's 256-px photos, benchmarks/corpus.py):

- ``dark``: mean < 13 (fastdup's cleaning recipe);
- ``bright``: mean > 240 (fastdup uses 220.5, which flags every cut-out photo
  on a white page: 10 % of the corpus; 240 flags 2 %);
- ``blurry``: blur < 10 (7 % of the corpus's originals, mostly smooth skies and
  gradients; 72 % of copies blurred with a 4-px Gaussian); never together with
  ``low_information``: a blank image has no edges to be sharp or blurred;
- ``low_information``: entropy < 1 bit (blank, near-uniform or two-tone
  images; photos are near 6 bits, 0.7 % of the corpus is below 1);
- ``odd_aspect_ratio``: wider or taller than 2.5:1 (panoramas, banners,
  strips; 16:9 photos are 1.78).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dataset_core import runs
from dataset_core.collection import SampleCollection

from .errors import BrainError
from .fields import write_field

if TYPE_CHECKING:
    from PIL import Image

#: side of the square thumbnail the pixel statistics are measured on
STATS_SIDE = 128
#: what :func:`image_stats` returns, in order (the last two: decoded size, for orientation)
PIXEL_STATS = ("mean", "min", "max", "stdv", "unique_colors", "blur", "contrast", "entropy",
               "decoded_width", "decoded_height")  # fmt: skip
#: every stat stored per sample
STAT_FIELDS = ("width", "height", "aspect_ratio", "size_bytes", *PIXEL_STATS[:-2])
#: percentiles of the grey levels whose spread is the contrast (ignores specks)
CONTRAST_PERCENTILES = (2, 98)
DARK_THRESHOLD = 13.0
BRIGHT_THRESHOLD = 240.0
BLUR_THRESHOLD = 10.0
ENTROPY_THRESHOLD = 1.0
ASPECT_RATIO_THRESHOLD = 2.5
FLAGS = ("dark", "bright", "blurry", "low_information", "odd_aspect_ratio")
METHOD = "image_stats"


def image_stats(img: Image.Image) -> np.ndarray:
    """The pixel statistics of one RGB image, as a float32 vector ordered like ``PIXEL_STATS``."""
    from PIL import Image

    small = img.resize((STATS_SIDE, STATS_SIDE), Image.Resampling.BILINEAR, reducing_gap=3.0)
    gray8 = np.asarray(small.convert("L"), dtype=np.uint8)
    g = gray8.astype(np.float32)
    lap = 4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]
    counts = np.bincount(gray8.ravel(), minlength=256)
    hist = counts / gray8.size
    nz = hist[hist > 0]
    # percentiles from the histogram: no sort of the pixels (this runs per image)
    cum = np.cumsum(counts)
    lo, hi = (int(np.searchsorted(cum, q / 100 * gray8.size)) for q in CONTRAST_PERCENTILES)
    rgb = np.asarray(small, dtype=np.uint8).reshape(-1, 3).astype(np.uint32)
    packed = np.sort((rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2])
    colours = int(np.count_nonzero(packed[1:] != packed[:-1])) + 1  # 3x faster than np.unique
    levels = np.flatnonzero(counts)
    return np.array([
        g.mean(), levels[0], levels[-1], g.std(), colours, lap.var(), (hi - lo) / 255.0,
        float(-(nz * np.log2(nz)).sum()), img.width, img.height,
    ], dtype=np.float32)  # fmt: skip


def _decode_stats(path: str) -> np.ndarray | None:
    from .decode import load_image

    try:
        return image_stats(load_image(path, STATS_SIDE))
    except Exception:  # noqa: BLE001 - an unreadable file is reported, never raised
        return None


@dataclass
class QualityResults:
    """Stats and flags of every sample.

    Attributes:
        sample_ids: the samples, in the collection's order.
        stats: per sample, ``{stat: value}`` (None where the image could not be read).
        issues: per sample, the flags raised.
        counts: flag -> how many samples raised it.
        skipped: how many images could not be read.
    """

    sample_ids: list[str]
    stats: list[dict[str, float] | None]
    issues: list[list[str]]
    counts: dict[str, int]
    skipped: int = 0


def _flags(s: dict[str, float], dark: float, bright: float, blur: float, entropy: float,
           aspect: float) -> list[str]:  # fmt: skip
    ratio = s["aspect_ratio"]
    blank = s["entropy"] < entropy
    # a blank image has no edges to be sharp or blurred: it is low_information only
    tests = (s["mean"] < dark, s["mean"] > bright, s["blur"] < blur and not blank, blank,
             ratio > aspect or (ratio > 0 and 1 / ratio > aspect))  # fmt: skip
    return [name for name, hit in zip(FLAGS, tests, strict=True) if hit]


def _as_displayed(meta: Any, pixel: np.ndarray) -> tuple[float, float]:
    """Header width/height, swapped when the decoded (EXIF-rotated) image is turned."""
    dw, dh = float(pixel[-2]), float(pixel[-1])
    if meta is None or not getattr(meta, "width", None):
        return dw, dh
    w, h = float(meta.width), float(meta.height)
    if (w - h) * (dw - dh) < 0:  # landscape in the header, portrait on screen (or back)
        w, h = h, w
    return w, h


def compute_image_stats(
    samples: SampleCollection, pixel_stats: np.ndarray | None = None,
    ok: np.ndarray | None = None, stats_field: str = "image_stats",
    issues_field: str = "quality_issues", dark_threshold: float = DARK_THRESHOLD,
    bright_threshold: float = BRIGHT_THRESHOLD, blur_threshold: float = BLUR_THRESHOLD,
    entropy_threshold: float = ENTROPY_THRESHOLD,
    aspect_ratio_threshold: float = ASPECT_RATIO_THRESHOLD, num_workers: int | None = None,
) -> QualityResults:  # fmt: skip
    """Measure every image and flag the dark, bright, blurry, blank and oddly shaped.

    Writes ``image_stats`` (a dict of the stats in the module doc) and
    ``quality_issues`` (a list of flags, empty when none) on every sample, and
    saves the run ``image_stats`` with the thresholds used. Images that cannot
    be read get None for both and are reported on one line.

    Args:
        samples: a dataset or view.
        pixel_stats: ``(N, len(PIXEL_STATS))`` rows of :func:`image_stats`
            computed already (e.g. as an ``embed_paths`` extra), aligned with
            ``samples``; default: decode the images here, in threads.
        ok: with ``pixel_stats``, which rows are valid.
        stats_field: where the stats go.
        issues_field: where the flags go.
        dark_threshold: ``dark`` when the mean grey level is below this (13).
        bright_threshold: ``bright`` when the mean grey level is above this (240).
        blur_threshold: ``blurry`` when the variance of the Laplacian is below this (10).
        entropy_threshold: ``low_information`` when the entropy is below this (1 bit).
        aspect_ratio_threshold: ``odd_aspect_ratio`` beyond this ratio either way (2.5).
        num_workers: decoding threads (default: 2 per core).

    Returns:
        A :class:`QualityResults`.

    Example:
        >>> res = brain.compute_image_stats(dataset)
        >>> dataset.match(F("quality_issues").contains("blurry"))
    """
    ids = samples.values("id")
    paths = samples.values("filepath")
    if pixel_stats is None:
        workers = num_workers or 2 * (os.cpu_count() or 1)
        with ThreadPoolExecutor(workers) as pool:
            decoded = list(pool.map(_decode_stats, paths))
        ok = np.array([d is not None for d in decoded], dtype=bool)
        width = len(PIXEL_STATS)
        pixel_stats = np.stack([d if d is not None else np.zeros(width, np.float32)
                                for d in decoded]) if decoded else np.zeros((0, width))  # fmt: skip
    else:
        pixel_stats = np.asarray(pixel_stats, dtype=np.float32)
        if pixel_stats.shape != (len(ids), len(PIXEL_STATS)):
            raise BrainError(f"pixel_stats must be ({len(ids)}, {len(PIXEL_STATS)}), one row per "
                             f"sample from image_stats(); got {pixel_stats.shape}")  # fmt: skip
        ok = np.ones(len(ids), bool) if ok is None else np.asarray(ok, dtype=bool)
    metas = read_metadata(samples)
    stats: list[dict[str, float] | None] = []
    issues: list[list[str]] = []
    counts = dict.fromkeys(FLAGS, 0)
    for n in range(len(ids)):
        if not ok[n]:
            stats.append(None)
            issues.append([])
            continue
        meta = metas[n]
        w, h = _as_displayed(meta, pixel_stats[n])
        s = {"width": int(w), "height": int(h), "aspect_ratio": w / h if h else 0.0,
             "size_bytes": int(getattr(meta, "size_bytes", 0) or 0)}  # fmt: skip
        s.update({name: float(v) for name, v in zip(PIXEL_STATS[:-2], pixel_stats[n][:-2],
                                                    strict=True)})  # fmt: skip
        s["unique_colors"] = int(s["unique_colors"])
        found = _flags(s, dark_threshold, bright_threshold, blur_threshold, entropy_threshold,
                       aspect_ratio_threshold)  # fmt: skip
        for f in found:
            counts[f] += 1
        stats.append(s)
        issues.append(found)
    write_field(samples, stats_field, ids, stats, dict)
    write_field(samples, issues_field, ids,
                [iss if st is not None else None for iss, st in zip(issues, stats, strict=True)],
                list)  # fmt: skip
    skipped = int((~ok).sum())
    if skipped:
        bad = [os.path.basename(p) for p, good in zip(paths, ok, strict=True) if not good][:3]
        print(f"Image stats: skipped {skipped} images that could not be read ({', '.join(bad)})")
    config = {"stats_field": stats_field, "issues_field": issues_field, "side": STATS_SIDE,
              "thresholds": {"dark": dark_threshold, "bright": bright_threshold,
                             "blurry": blur_threshold, "low_information": entropy_threshold,
                             "odd_aspect_ratio": aspect_ratio_threshold}}  # fmt: skip
    table = np.array([[np.nan] * len(STAT_FIELDS) if s is None else [s[f] for f in STAT_FIELDS]
                      for s in stats], dtype=np.float64).reshape(-1, len(STAT_FIELDS))  # fmt: skip
    runs.save_run(samples, METHOD, METHOD, config, {"ids": np.array(ids), "stats": table})
    return QualityResults(ids, stats, issues, counts, skipped)


def read_metadata(samples: SampleCollection) -> list[Any]:
    """Each sample's ``metadata``, in the collection's order (read from the file
    headers first where any is missing)."""
    metas = samples.values("metadata")
    if any(m is None for m in metas):
        from dataset_core.metadata import compute_metadata

        compute_metadata(samples)
        metas = samples.values("metadata")
    return metas
