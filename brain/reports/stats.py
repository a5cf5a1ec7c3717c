"""Galleries of single images ranked by a number: outliers, image stats, quality
flags, and the aspect-ratio plot. Options: see :mod:`brain.reports.common`."""

from __future__ import annotations

import math
from typing import Any

from dataset_core.collection import SampleCollection

from ..quality import FLAGS, STAT_FIELDS
from . import svg
from .common import Gallery, ReportError, require_field
from .html import empty, esc, row

#: size of the aspect-ratio scatter plot, pixels
PLOT_SIZE = 420
#: bars of the aspect-ratio histogram
HISTOGRAM_BINS = 24
#: images per row of a grid gallery
GRID_ROW = 10


def _grid(g: Gallery, picked: list[tuple[str, list[str]]], kind: str) -> str:
    """Rows of ``GRID_ROW`` cards."""
    rows = []
    for start in range(0, len(picked), GRID_ROW):
        chunk = picked[start : start + GRID_ROW]
        cards = [g.card(sid, lines) for sid, lines in chunk]
        rows.append(row(f"{start + 1}–{start + len(chunk)}", cards, f' data-kind="{kind}"'))
    return "".join(rows)


def create_outliers_gallery(
    samples: SampleCollection, save_path: str, score_field: str = "outlier_score", **options: Any
) -> str:
    """The most outlying images first: ``outliers.html``. Needs :func:`brain.compute_outliers`.

    Returns:
        The page's path.
    """
    g = Gallery(samples, save_path, **options)
    require_field(g, score_field, "brain.compute_outliers(dataset)")
    scores = samples.values(score_field)
    ranked = sorted((i for i, s in enumerate(scores) if s is not None), key=lambda i: -scores[i])
    picked = [(g.ids[i], [f"score {scores[i]:.3f}"]) for i in ranked if g.keep([g.ids[i]])]
    body = _grid(g, picked[: g.num_images], "outlier") or empty("No scored samples here.")
    intro = (f"Outlier score: mean cosine distance to the nearest other images (higher = "
             f"lonelier); {g.describe_options()}.")  # fmt: skip
    return g.write("outliers.html", "Outliers", intro, body)


def _stat_rows(g: Gallery, stats_field: str) -> list[tuple[int, dict[str, Any]]]:
    require_field(g, stats_field, "brain.compute_image_stats(dataset)")
    values = g.samples.values(stats_field)
    return [(i, s) for i, s in enumerate(values) if s and g.keep([g.ids[i]])]


def create_stats_gallery(
    samples: SampleCollection, save_path: str, metric: str = "blur", descending: bool = False,
    stats_field: str = "image_stats", **options: Any,
) -> str:  # fmt: skip
    """Images sorted by one statistic (fastdup's stats gallery): ``stats_<metric>.html``.

    Args:
        metric: one of :data:`brain.quality.STAT_FIELDS` (``blur``, ``mean``, ...).
        descending: largest first (default: smallest first, e.g. the blurriest).

    Returns:
        The page's path.

    Raises:
        ReportError: an unknown metric, or no stats computed yet.
    """
    if metric not in STAT_FIELDS:
        raise ReportError(f"Unknown metric {metric!r}; use one of {list(STAT_FIELDS)}")
    g = Gallery(samples, save_path, **options)
    rows = sorted(_stat_rows(g, stats_field), key=lambda t: t[1][metric], reverse=descending)
    picked = [(g.ids[i], [f"{metric} {s[metric]:.4g}"]) for i, s in rows[: g.num_images]]
    body = _grid(g, picked, "stat") or empty("No image stats here.")
    order = "largest" if descending else "smallest"
    intro = f"{len(rows)} images by <b>{esc(metric)}</b>, {order} first; {g.describe_options()}."
    return g.write(f"stats_{metric}.html", f"Image stats: {metric}", intro, body)


def create_quality_gallery(
    samples: SampleCollection, save_path: str, issues_field: str = "quality_issues",
    stats_field: str = "image_stats", **options: Any,
) -> str:  # fmt: skip
    """One section per quality flag (dark, bright, blurry, ...): ``quality.html``.

    Needs :func:`brain.compute_image_stats`.

    Returns:
        The page's path.
    """
    g = Gallery(samples, save_path, **options)
    require_field(g, issues_field, "brain.compute_image_stats(dataset)")
    issues = samples.values(issues_field)
    stats = samples.values(stats_field) if stats_field in samples.dataset.get_field_schema() else []
    # the number behind each flag, shown under its images
    shown = {"dark": "mean", "bright": "mean", "blurry": "blur", "low_information": "entropy",
             "odd_aspect_ratio": "aspect_ratio"}  # fmt: skip
    body = []
    for flag in FLAGS:
        hit = [i for i, iss in enumerate(issues) if iss and flag in iss and g.keep([g.ids[i]])]
        metric = shown[flag]
        picked = [(g.ids[i], [f"{metric} {stats[i][metric]:.3g}"] if stats and stats[i] else [])
                  for i in hit[: g.num_images]]  # fmt: skip
        body.append(f'<h2 id="{flag}">{esc(flag)}: {len(hit)} images</h2>')
        body.append(_grid(g, picked, flag) or empty(f"No {flag} images."))
    intro = f"Images flagged by brain.compute_image_stats; {g.describe_options()}."
    return g.write("quality.html", "Image quality", intro, "".join(body))


def _aspect_scatter(points: list[tuple[float, float, str]]) -> str:
    """Width vs height of every image, log-scaled axes, as inline SVG."""
    if not points:
        return ""
    dots = [svg.Dot(math.log10(max(w, 1)), math.log10(max(h, 1)), f"{name} {w:.0f}×{h:.0f}")
            for w, h, name in points]  # fmt: skip
    lo = min(min(d.x, d.y) for d in dots)
    hi = max(max(d.x, d.y) for d in dots)
    return svg.scatter(dots, css_class="aspect-scatter", same_scale=True, diagonal=True,
                       xlabel=f"width (log) {10**lo:.0f}–{10**hi:.0f} px",
                       ylabel="height (log)", size=PLOT_SIZE)  # fmt: skip


def _aspect_histogram(ratios: list[float]) -> str:
    """A histogram of log aspect ratios (at least 1:2 to 2:1 wide) as inline SVG."""
    logs = [math.log2(r) for r in ratios if r > 0]
    if not logs:
        return ""
    return svg.histogram(logs, label="aspect ratio (width / height, log scale)",
                         css_class="aspect-histogram", bins=HISTOGRAM_BINS,
                         lo=min(logs + [-1.0]), hi=max(logs + [1.0]),
                         tick=lambda v: f"{2**v:.2f}", width=PLOT_SIZE)  # fmt: skip


def create_aspect_ratio_gallery(
    samples: SampleCollection, save_path: str, stats_field: str = "image_stats", **options: Any
) -> str:
    """The distribution of image shapes, and the widest and tallest: ``aspect_ratio.html``.

    Needs :func:`brain.compute_image_stats`.

    Returns:
        The page's path.
    """
    g = Gallery(samples, save_path, **options)
    rows = _stat_rows(g, stats_field)
    if not rows and stats_field not in samples.dataset.get_field_schema():
        raise ReportError("The aspect-ratio gallery needs brain.compute_image_stats(dataset)")
    pts = [(s["width"], s["height"], g.paths[g.ids[i]].rsplit("/", 1)[-1]) for i, s in rows]
    ratios = [s["aspect_ratio"] for _, s in rows]
    by_ratio = sorted(rows, key=lambda t: t[1]["aspect_ratio"])
    half = max(g.num_images // 2, 1)
    widest = [(g.ids[i], [f"{s['width']}×{s['height']}", f"ratio {s['aspect_ratio']:.2f}"])
              for i, s in reversed(by_ratio[-half:])]  # fmt: skip
    tallest = [(g.ids[i], [f"{s['width']}×{s['height']}", f"ratio {s['aspect_ratio']:.2f}"])
               for i, s in by_ratio[:half]]  # fmt: skip
    body = (_aspect_scatter(pts) + _aspect_histogram(ratios) + "<h2>Widest</h2>"
            + (_grid(g, widest, "widest") or empty("No images."))
            + "<h2>Tallest</h2>" + (_grid(g, tallest, "tallest") or empty("No images."))
    )  # fmt: skip
    intro = f"Width × height of {len(rows)} images; {g.describe_options()}."
    return g.write("aspect_ratio.html", "Aspect ratios", intro, body)
