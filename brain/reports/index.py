"""The whole report: every gallery whose analysis has run, and an index page.

The index shows the summary, the pictures of :mod:`brain.reports.overview`
(duplicate classes, the largest groups, histograms, the 2-D map) and the list
of galleries, with the object galleries (:mod:`brain.reports.objects`) of
every field whose objects were analysed, each with its count.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from dataset_core.collection import SampleCollection

from . import html, overview
from .common import DEFAULT_NUM_IMAGES, Gallery, ReportError
from .groups import (
    create_components_gallery,
    create_duplicates_gallery,
    create_label_issues_gallery,
    create_leaks_gallery,
)
from .objects import OBJECT_GALLERIES, object_fields
from .stats import create_aspect_ratio_gallery, create_outliers_gallery, create_quality_gallery

#: (title, what it shows, gallery function), in the order of the index page
GALLERIES: tuple[tuple[str, str, Callable[..., str]], ...] = (
    ("Duplicates", "duplicate groups, closest first, each image with how its copy was found "
     "(same bytes, same pixels, pixel-checked near-duplicate, embedding neighbour)",
     create_duplicates_gallery),
    ("Outliers", "the images least like any other", create_outliers_gallery),
    ("Clusters", "groups of very similar images, largest first", create_components_gallery),
    ("Label issues", "labels the nearest neighbours disagree with, and confusing pairs",
     create_label_issues_gallery),
    ("Leaks", "near-duplicates across splits", create_leaks_gallery),
    ("Image quality", "dark, bright, blurry, blank and oddly shaped images",
     create_quality_gallery),
    ("Aspect ratios", "the distribution of image shapes", create_aspect_ratio_gallery),
)  # fmt: skip


def create_report(
    samples: SampleCollection, save_path: str, num_images: int = DEFAULT_NUM_IMAGES,
    label_field: str | None = "auto", slice: str | Sequence[str] | None = None,
    lazy_load: bool = False, max_width: int | None = None,
    summary: Sequence[str] = (),
) -> str:  # fmt: skip
    """Write every gallery that the dataset's analyses allow, plus ``index.html``.

    A gallery whose analysis has not run is listed on the index page with the
    call that would fill it, and a picture whose input is missing says
    ``skipped: <why>``, instead of failing the report.

    Args:
        samples: a dataset or view.
        save_path: the folder to write (created when missing; files there with
            the galleries' names are replaced, nothing else is touched).
        num_images: rows per gallery (20).
        label_field: labels to show; ``"auto"``: ``ground_truth`` when present.
        slice: only rows that involve these labels, or ``"diff"`` / ``"same"``.
        lazy_load: thumbnails as files loaded lazily instead of inlined.
        max_width: thumbnail side in pixels (160).
        summary: lines shown at the top of the index (``dsc analyze``'s summary).

    Returns:
        The path of ``index.html``.

    Example:
        >>> brain.create_report(dataset, "report/")
        'report/index.html'
    """
    opts: dict[str, Any] = {
        "num_images": num_images,
        "label_field": label_field,
        "slice": slice,
        "lazy_load": lazy_load,
        "max_width": max_width,
    }
    items = []
    for title, what, fn in GALLERIES:
        try:
            path = fn(samples, save_path, **opts)
        except ReportError as e:
            items.append(f"<tr><td>{html.esc(title)}</td><td>not computed: {html.esc(e)}"
                         "</td></tr>")  # fmt: skip
            continue
        name = os.path.basename(path)
        items.append(f'<tr><td><a href="{html.esc(name)}">{html.esc(title)}</a></td>'
                     f"<td>{html.esc(what)}</td></tr>")  # fmt: skip
    items += _object_items(samples, save_path, opts)
    lines = "".join(f"<tr><td colspan=2>{html.esc(line)}</td></tr>" for line in summary)
    body = (
        ('<h2>Summary</h2><table class="summary">' + lines + "</table>" if lines else "")
        + _pictures(samples, save_path, opts)
        + '<h2>Galleries</h2><table class="summary">'
        + "".join(items)
        + "</table>"
    )
    intro = f"Dataset health of {html.esc(samples.describe())} ({len(samples)} samples)."
    out = html.page("Dataset health report", intro, body, nav=())
    return html.write(os.path.abspath(save_path), "index.html", out)


def _object_items(samples: SampleCollection, save_path: str, opts: dict[str, Any]) -> list[str]:
    """The index rows of the object galleries, with what each counts."""
    items = []
    for field in object_fields(samples):
        for kind, title, what, fn in OBJECT_GALLERIES:
            shown = f"{title} ({field})"
            attrs = f' data-gallery="{html.esc(kind)}" data-field="{html.esc(field)}"'
            try:
                path, count = fn(samples, save_path, field, **opts)
            except ReportError as e:
                items.append(f"<tr{attrs}><td>{html.esc(shown)}</td><td>not computed: "
                             f"{html.esc(e)}</td></tr>")  # fmt: skip
                continue
            items.append(f'<tr{attrs}><td><a href="{html.esc(os.path.basename(path))}">'
                         f'{html.esc(shown)}</a></td><td><span class="count">'
                         f"{html.esc(count)}</span>: {html.esc(what)}</td></tr>")  # fmt: skip
    return items


def _pictures(samples: SampleCollection, save_path: str, opts: dict[str, Any]) -> str:
    """The index's pictures (see :mod:`brain.reports.overview`)."""
    try:
        strip = overview.largest_groups(Gallery(samples, save_path, **opts))
    except ReportError as e:
        strip = overview.skipped(str(e))
    return (
        '<section id="duplicate-classes"><h2>Copies, by how they were found</h2>'
        + overview.class_table(samples)
        + f"<h2>The {overview.STRIP_GROUPS} largest groups of copies</h2>"
        + strip
        + '</section><section id="histograms"><h2>Distributions</h2>'
        + overview.histograms(samples)
        + '</section><section id="map"><h2>2-D map, coloured by duplicate class</h2>'
        + overview.duplicate_map(samples)
        + "</section>"
    )


__all__ = ["GALLERIES", "ReportError", "create_report"]
