"""The pictures on the report's index page: what a user sees before opening a gallery.

- the duplicate classes (:mod:`brain.duplicate_classes`) in a table, with counts;
- a strip of the largest duplicate groups, as thumbnails;
- histograms of uniqueness, brightness, blur, file size and pixel area;
- the 2-D map, coloured by duplicate class: the visualization run's points,
  or a PCA of the similarity run's embeddings when there is no such run.

Each section draws what the dataset has; when its input is missing it says
``skipped: <why>`` and what to run, instead of failing the report.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dataset_core import runs
from dataset_core.collection import SampleCollection

from ..duplicate_classes import CLASSES, MEANINGS
from ..errors import BrainError
from ..summary import pct
from . import svg
from .common import Gallery
from .groups import class_counts, duplicate_classes_of
from .html import esc, row

#: duplicate groups shown in the index's strip
STRIP_GROUPS = 5
#: thumbnails per group in the strip before "and N more"
STRIP_IMAGES = 8
#: points drawn on the map at most (a random sample beyond: an SVG of more is slow to open)
MAP_MAX_POINTS = 5000
#: the map's seed for that sample and for the PCA
MAP_SEED = 51
#: the map's side, pixels
MAP_SIZE = 560
#: each duplicate class's colour on the map and in the table; grey: no copy
CLASS_COLOURS = {"same_bytes": "#c0392b", "same_pixels": "#e67e22",
                 "near_duplicate": "#8e44ad", "embedding_neighbour": "#16a085"}  # fmt: skip
NO_COPY_COLOUR = "#9aa3b2"
CLASS_FIELD = "duplicate_class"
STATS_FIELD = "image_stats"


def skipped(why: str) -> str:
    """The note of a picture whose input is missing."""
    return f'<p class="skipped">skipped: {esc(why)}</p>'


def _has(samples: SampleCollection, field: str) -> bool:
    return field in samples.dataset.get_field_schema()


def class_table(samples: SampleCollection) -> str:
    """The duplicate classes with their counts, strongest evidence first."""
    if not _has(samples, CLASS_FIELD):
        return skipped("no duplicate classes (field 'duplicate_class'); run brain.analyze, or "
                       "brain.duplicate_classes.compute_duplicate_classes(dataset)")  # fmt: skip
    values = samples.values(CLASS_FIELD)
    counts, n = Counter(values), len(values)
    rows = []
    for cls in CLASSES:
        c = counts.get(cls, 0)
        share = pct(c, n)
        swatch = f'<span class="swatch" style="background:{CLASS_COLOURS[cls]}"></span>'
        rows.append(f'<tr data-class="{cls}" data-count="{c}"><td>{swatch}<code>{cls}</code>'
                    f"</td><td>{esc(MEANINGS[cls])}</td><td>{c}</td><td>{share}</td>"
                    "</tr>")  # fmt: skip
    alone = counts.get(None, 0)
    rows.append(f'<tr class="total"><td>no copy</td><td>no near-duplicate pair, no equal '
                f"sha1</td><td>{alone}</td><td></td></tr>")  # fmt: skip
    head = "<tr><th>class</th><th>how it was found</th><th>images</th><th>share</th></tr>"
    return f'<table class="summary duplicate-classes">{head}{"".join(rows)}</table>'


def largest_groups(g: Gallery) -> str:
    """The ``STRIP_GROUPS`` largest duplicate groups, each a row of thumbnails."""
    from ..duplicates import duplicate_groups

    try:
        groups = duplicate_groups(g.samples, "approximate")
    except BrainError:
        return skipped("no near-duplicate groups; run brain.find_approximate_duplicates(dataset)")
    groups = sorted((m for m in groups if g.keep(m)), key=len, reverse=True)[:STRIP_GROUPS]
    if not groups:
        return '<p class="empty">No duplicate groups among these samples.</p>'
    classes = duplicate_classes_of(g)
    rows = []
    for members in groups:
        cards = [g.card(m, [f'<span class="class">{esc(classes[m])}</span>'] if classes.get(m)
                        else []) for m in members[:STRIP_IMAGES]]  # fmt: skip
        title = f"{len(members)} images" + class_counts(members, classes)
        if len(members) > STRIP_IMAGES:
            title += f" · showing {STRIP_IMAGES}, {len(members) - STRIP_IMAGES} more"
        rows.append(row(title, cards, ' data-kind="largest-group"'))
    return "".join(rows)


def _log_tick(unit: Callable[[float], str]) -> Callable[[float], str]:
    return lambda v: unit(10**v)


def _bytes(v: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if v < 1000 or unit == "GB":
            return f"{v:.3g} {unit}"
        v /= 1000
    return f"{v:.3g} GB"


def _log10(values: Sequence[float | None], offset: float = 0.0) -> list[float]:
    return [math.log10(v + offset) for v in values if v is not None and v + offset > 0]


def histograms(samples: SampleCollection) -> str:
    """Histograms of uniqueness and of the image stats; a skip note for each missing input."""
    out = []
    if _has(samples, "uniqueness"):
        out.append(svg.histogram(samples.values("uniqueness"), label="uniqueness (1 = most unique)",
                                 lo=0.0, hi=1.0, attrs={"data-field": "uniqueness"}))  # fmt: skip
    else:
        out.append(skipped("uniqueness: no 'uniqueness' field; run brain.compute_uniqueness("
                           "dataset)"))  # fmt: skip
    if not _has(samples, STATS_FIELD):
        out.append(skipped("brightness, blur, file size and pixel area: no image stats; run "
                           "brain.compute_image_stats(dataset)"))  # fmt: skip
        return "".join(out)
    stats = [s for s in samples.values(STATS_FIELD) if s]
    thresholds = _thresholds(samples)

    def col(name: str) -> list[float | None]:
        return [s.get(name) for s in stats]

    area = [s["width"] * s["height"] if s.get("width") and s.get("height") else None
            for s in stats]  # fmt: skip
    marks_mean = [(thresholds[k], f"{k} below/above {thresholds[k]:g}") for k in ("dark", "bright")
                  if k in thresholds]  # fmt: skip
    marks_blur = ([(math.log10(1 + thresholds["blurry"]), f"blurry below {thresholds['blurry']:g}")]
                  if "blurry" in thresholds else [])  # fmt: skip
    charts = [
        ("brightness", col("mean"), "brightness (mean grey level, 0-255)",
         {"lo": 0.0, "hi": 255.0, "marks": marks_mean}),
        ("blur", _log10(col("blur"), 1.0), "blur (variance of the Laplacian, log; low = blurry)",
         {"tick": lambda v: f"{10**v - 1:.3g}", "marks": marks_blur}),
        ("file_size", _log10(col("size_bytes")), "file size (log)", {"tick": _log_tick(_bytes)}),
        ("pixel_area", _log10(area), "pixel area (width × height, log)",
         {"tick": _log_tick(lambda v: f"{v / 1e6:.3g} MP")}),
    ]  # fmt: skip
    for name, values, label, kw in charts:
        drawn = svg.histogram(values, label=label, attrs={"data-field": name}, **kw)
        out.append(drawn or skipped(f"{name}: no image has a value"))
    return "".join(out)


def _thresholds(samples: SampleCollection) -> dict[str, float]:
    if "image_stats" not in runs.list_brain_runs(samples):
        return {}
    return dict(runs.get_brain_info(samples, "image_stats").config.get("thresholds", {}))


def _points(samples: SampleCollection) -> tuple[list[str], np.ndarray, str, int] | str:
    """``(ids, (N, 2) points, caption, points there are)`` of the map (at most
    ``MAP_MAX_POINTS``), or why there is none."""
    from ..visualization import load_points, reduce

    vis = runs.list_brain_runs(samples, method="visualization")
    if vis:
        key = "visualization" if "visualization" in vis else vis[0]
        ids, pts = load_points(samples, key)
        method = runs.get_brain_info(samples, key).config.get("method", "?")
        shown = _sample(ids)
        if len(shown) < len(ids):
            rows = {sid: r for r, sid in enumerate(ids)}
            pts = pts[[rows[s] for s in shown]]
        return shown, pts, f"visualization run '{key}' ({method})", len(ids)
    sims = runs.list_brain_runs(samples, method="similarity")
    if not sims:
        return ("no visualization run and no embeddings to draw a map from; run "
                "brain.compute_visualization(dataset)")  # fmt: skip
    from ..similarity import SimilarityIndex

    key = "sim" if "sim" in sims else sims[0]
    index = SimilarityIndex.load(samples, key)
    rows = {sid: r for r, sid in enumerate(index.sample_ids)}
    ids = [sid for sid in samples.values("id") if sid in rows
           and not np.isnan(index.embeddings[rows[sid]]).any()]  # fmt: skip
    if not ids:
        return f"no sample has an embedding in similarity run '{key}'"
    shown = _sample(ids)
    pts = reduce(index.embeddings[[rows[s] for s in shown]], "pca", MAP_SEED)
    caption = (f"PCA of the embeddings of similarity run '{key}' (there is no visualization "
               "run; brain.compute_visualization draws a better one)")  # fmt: skip
    return shown, pts, caption, len(ids)


def _sample(ids: list[str]) -> list[str]:
    """At most ``MAP_MAX_POINTS`` of ``ids``, a seeded random sample in their order."""
    if len(ids) <= MAP_MAX_POINTS:
        return ids
    keep = np.random.default_rng(MAP_SEED).choice(len(ids), MAP_MAX_POINTS, replace=False)
    return [ids[i] for i in sorted(keep)]


def duplicate_map(samples: SampleCollection) -> str:
    """The 2-D map as an SVG scatter, coloured by duplicate class."""
    found = _points(samples)
    if isinstance(found, str):
        return skipped(found)
    ids, pts, caption, total = found
    if total > len(ids):
        caption += f"; {len(ids):,} of {total:,} points, a random sample"
    coloured = _has(samples, CLASS_FIELD)
    columns = samples.values(["id", "filepath", *([CLASS_FIELD] if coloured else [])])
    names = dict(zip(columns[0], columns[1], strict=True))
    classes: dict[str, Any] = {}
    if coloured:
        classes = dict(zip(columns[0], columns[2], strict=True))
        legend = [(CLASS_COLOURS[c], c) for c in CLASSES] + [(NO_COPY_COLOUR, "no copy")]
    else:
        caption += "; not coloured: no duplicate classes"
        legend = []
    dots = []
    for sid, (x, y) in zip(ids, pts.tolist(), strict=True):
        cls = classes.get(sid)
        name = names[sid].rsplit("/", 1)[-1]
        dots.append(svg.Dot(x, y, f"{name}{f' ({cls})' if cls else ''}",
                            CLASS_COLOURS.get(cls, NO_COPY_COLOUR if classes else svg.COLOUR),
                            cls or ("none" if classes else None)))  # fmt: skip
    chart = svg.scatter(dots, css_class="map", size=MAP_SIZE, radius=3.5)
    keys = "".join(f'<span class="swatch" style="background:{c}"></span>{esc(text)} '
                   for c, text in legend)  # fmt: skip
    return (
        f'<p class="caption">{esc(caption)}</p>'
        + (f'<p class="caption legend">{keys}</p>' if keys else "")
        + chart
    )
