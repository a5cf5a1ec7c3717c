"""Galleries of objects (the boxes of a Detections field): duplicates, outliers, label issues.

They show what the object analyses of :mod:`brain.objects` wrote into the
labels (``dsc analyze --annotations``, or ``patches_field=`` of the brain
functions). Every object is drawn **in context**: its image's thumbnail with the
box outlined in inline SVG (no script, no network), its label, its score and
its file name. Options are those of :mod:`brain.reports.common`; ``slice``
selects by the *objects'* labels here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dataset_core import runs
from dataset_core.collection import SampleCollection

from ..object_similarity import label_list_field
from ..objects import default_brain_key, run_key
from .common import Gallery, ReportError
from .groups import _unit_rows
from .html import Thumbnails, empty, esc, row

#: objects per row of the outlier and label-issue grids
GRID_ROW = 10


@dataclass
class Obj:
    """One object as a gallery shows it."""

    label_id: str
    sample_id: str
    path: str
    box: Sequence[float]
    label: str | None
    attrs: dict[str, Any]


def object_fields(samples: SampleCollection) -> list[str]:
    """The label fields whose objects have an object similarity run, in run order."""
    fields = []
    for key in samples.list_brain_runs(method="similarity"):
        field = samples.get_brain_info(key).config.get("patches_field")
        if field and key == default_brain_key(field) and field not in fields:
            fields.append(field)
    return fields


def _objects(samples: SampleCollection, field: str, attrs: Iterable[str]) -> dict[str, Obj]:
    """Label id -> :class:`Obj` of every object of ``field`` that ``samples`` shows."""
    attrs = list(attrs)
    base = f"{field}.{label_list_field(samples, field)}"
    names = ["id", "filepath", f"{base}.id", f"{base}.bounding_box", f"{base}.label"]
    values = samples.values(names + [f"{base}.{a}" for a in attrs])
    out = {}
    for sid, path, ids, boxes, labels, *extra in zip(*values, strict=True):
        for n, lid in enumerate(ids or ()):
            got = {a: (v[n] if v else None) for a, v in zip(attrs, extra, strict=True)}
            out[lid] = Obj(lid, sid, path, (boxes or [None] * len(ids))[n] or (0, 0, 1, 1),
                           labels[n] if labels else None, got)  # fmt: skip
    return out


def object_card(thumbs: Thumbnails, obj: Obj, lines: Iterable[str] = (),
                bad_label: bool = False) -> str:  # fmt: skip
    """One object: its image's thumbnail with the box drawn on it, label and caption lines
    (already HTML)."""
    name = os.path.basename(obj.path)
    src = thumbs.src(obj.path)
    if src and obj.path in thumbs.sizes:
        w, h = thumbs.sizes[obj.path]
        x, y, bw, bh = (float(v) for v in obj.box)
        box = f'x="{x * w:.1f}" y="{y * h:.1f}" width="{bw * w:.1f}" height="{bh * h:.1f}"'
        what = f"{obj.label or 'object'} in {name}"
        ref = f"o-{obj.label_id}"
        # the crop is the same <image>, by reference: each thumbnail is in the page once
        pic = (f'<svg class="in-context" viewBox="0 0 {w} {h}" role="img" '
               f'aria-label="{esc(what)}"><title>{esc(what)}</title>'
               f'<image id="{esc(ref)}" href="{esc(src)}" width="{w}" height="{h}"/>'
               f'<rect class="box" {box} vector-effect="non-scaling-stroke"/></svg>'
               f'<svg class="crop" viewBox="{x * w:.1f} {y * h:.1f} {max(bw * w, 1):.1f} '
               f'{max(bh * h, 1):.1f}" role="img" aria-label="the crop"><use '
               f'href="#{esc(ref)}"/></svg>')  # fmt: skip
    else:
        pic = '<div class="missing">unreadable</div>'
    label = obj.label if obj.label is not None else "(no label)"
    lab = f'<span class="label{" bad" if bad_label else ""}">{esc(label)}</span><br>'
    caption = "".join(f"{line}<br>" for line in lines)
    return (f'<div class="card object" data-label-id="{esc(obj.label_id)}" '
            f'data-sample-id="{esc(obj.sample_id)}" data-name="{esc(name)}" '
            f'data-label="{esc(label)}" title="{esc(obj.path)}">{pic}{lab}{caption}'
            f"<span>{esc(name)}</span></div>")  # fmt: skip


def _gallery(samples: SampleCollection, save_path: str, options: dict[str, Any]
             ) -> tuple[Gallery, str | Sequence[str] | None]:  # fmt: skip
    """The page's :class:`Gallery` (no image labels: objects carry their own) and the slice."""
    opts = {k: v for k, v in options.items() if k not in ("label_field", "slice")}
    return Gallery(samples, save_path, label_field=None, **opts), options.get("slice")


def _keep(slice_: str | Sequence[str] | None, labels: Iterable[str | None]) -> bool:
    """Whether objects of these labels pass ``slice`` (as :meth:`Gallery.keep`)."""
    if slice_ is None:
        return True
    found = set(labels) - {None}
    if slice_ == "diff":
        return len(found) > 1
    if slice_ == "same":
        return len(found) == 1
    return bool(found & ({slice_} if isinstance(slice_, str) else set(slice_)))


def _require(samples: SampleCollection, field: str, name: str, how: str) -> None:
    if run_key(field, name) not in samples.list_brain_runs():
        raise ReportError(f"This gallery needs the run {run_key(field, name)!r}; run {how} "
                          f"with patches_field={field!r} first (or dsc analyze "
                          "--annotations)")  # fmt: skip


def _file(field: str, name: str) -> str:
    return f"objects_{re.sub(r'[^A-Za-z0-9_-]', '_', field)}_{name}.html"


def _grid(g: Gallery, picked: list[tuple[Obj, list[str], bool]], kind: str) -> str:
    rows = []
    for start in range(0, len(picked), GRID_ROW):
        chunk = picked[start : start + GRID_ROW]
        cards = [object_card(g.thumbs, o, lines, bad) for o, lines, bad in chunk]
        rows.append(row(f"{start + 1}–{start + len(chunk)}", cards, f' data-kind="{kind}"'))
    return "".join(rows)


def object_duplicates_page(samples: SampleCollection, save_path: str, field: str,
                           **options: Any) -> tuple[str, str]:  # fmt: skip
    """Write the object duplicates page; returns ``(path, what it counts)``."""
    _require(samples, field, "duplicates", "brain.find_approximate_duplicates(dataset)")
    g, slice_ = _gallery(samples, save_path, options)
    objs = _objects(samples, field, ["approx_dup_group_id"])
    groups: dict[str, list[Obj]] = {}
    for o in objs.values():
        if o.attrs["approx_dup_group_id"] is not None:
            groups.setdefault(o.attrs["approx_dup_group_id"], []).append(o)
    unit = _unit_rows(samples, default_brain_key(field), list(objs))
    scored = []
    for members in groups.values():
        if len(members) < 2 or not _keep(slice_, (o.label for o in members)):
            continue
        members.sort(key=lambda o: o.label_id != o.attrs["approx_dup_group_id"])  # first first
        first = unit.get(members[0].label_id)
        dists = [0.0] + [float(max(1 - unit[o.label_id] @ first, 0.0))
                         if first is not None and o.label_id in unit else float("nan")
                         for o in members[1:]]  # fmt: skip
        scored.append((float(np.nanmax(dists[1:])), members, dists))
    scored.sort(key=lambda t: (-len(t[1]), np.nan_to_num(t[0], nan=9.0), t[1][0].label_id))
    rows = []
    for worst, members, dists in scored[: g.num_images]:
        clash = len({o.label for o in members} - {None}) > 1
        cards = [
            object_card(g.thumbs, o, [f"distance {d:.3f}" if i else "first of group"], clash)
            for i, (o, d) in enumerate(zip(members, dists, strict=True))
        ]
        title = (
            f"{len(members)} objects in {len({o.sample_id for o in members})} images, "
            f"distance up to {worst:.3f}" + (" · labels differ" if clash else "")
        )
        rows.append(row(esc(title), cards, ' data-kind="object-duplicates"'))
    count = sum(len(m) for _, m, _ in scored)
    what = f"{count} objects in {len(scored)} groups"
    intro = (f"{esc(what)} of near-duplicate objects of <code>{esc(field)}</code> (cosine "
             f"distance of the crops' embeddings; each object's box is drawn on its image); "
             f"{g.describe_options()}.")  # fmt: skip
    body = "".join(rows) or empty("No duplicate objects among these samples.")
    return g.write(_file(field, "duplicates"), f"Object duplicates ({field})", intro, body), what


def object_outliers_page(samples: SampleCollection, save_path: str, field: str,
                         score_field: str = "outlier_score", **options: Any
                         ) -> tuple[str, str]:  # fmt: skip
    """Write the object outliers page (most outlying first); returns ``(path, count)``."""
    _require(samples, field, "outliers", "brain.compute_outliers(dataset)")
    g, slice_ = _gallery(samples, save_path, options)
    config = samples.get_brain_info(run_key(field, "outliers")).config
    tag = config.get("tag")
    objs = _objects(samples, field, [score_field, "tags"])
    scored = sorted((o for o in objs.values() if o.attrs[score_field] is not None
                     and _keep(slice_, [o.label])),
                    key=lambda o: -o.attrs[score_field])  # fmt: skip
    flagged = sum(1 for o in objs.values() if tag and tag in (o.attrs["tags"] or ()))
    picked = [(o, [f"score {o.attrs[score_field]:.3f}"
                   + (f' <span class="label bad">{esc(tag)}</span>'
                      if tag in (o.attrs["tags"] or ()) else "")], False)
              for o in scored[: g.num_images]]  # fmt: skip
    body = _grid(g, picked, "object-outlier") or empty("No scored objects here.")
    what = f"{flagged} object outliers of {len(scored)} scored"
    intro = (f"Objects of <code>{esc(field)}</code> least like any other object, most "
             f"outlying first ({esc(what)}; score: mean cosine distance to the nearest "
             f"objects); {g.describe_options()}.")  # fmt: skip
    return g.write(_file(field, "outliers"), f"Object outliers ({field})", intro, body), what


def object_label_issues_page(samples: SampleCollection, save_path: str, field: str,
                             **options: Any) -> tuple[str, str]:  # fmt: skip
    """Write the object label-issues page (worst first); returns ``(path, count)``."""
    _require(samples, field, "label_issues", "brain.compute_label_issues(dataset)")
    g, slice_ = _gallery(samples, save_path, options)
    key = run_key(field, "label_issues")
    config = samples.get_brain_info(key).config
    score, suggestion = config.get("score_field"), config.get("suggestion_field")
    objs = _objects(samples, field, [score, suggestion])
    flagged = [objs[str(i)] for i in runs.load_run_arrays(samples, key)["flagged"]
               if str(i) in objs]  # fmt: skip
    flagged = [o for o in flagged if _keep(slice_, [o.label, o.attrs[suggestion]])]
    picked = [(o, [f"score {o.attrs[score] or 0:.3f}",
                   f'neighbours say <span class="label">{esc(o.attrs[suggestion])}</span>'],
               True) for o in flagged[: g.num_images]]  # fmt: skip
    body = _grid(g, picked, "object-label-issue") or empty("No object label issues here.")
    what = f"{len(flagged)} objects"
    intro = (f"{esc(what)} of <code>{esc(field)}</code> whose label their nearest objects "
             f"disagree with, worst first, each with the label they suggest; "
             f"{g.describe_options()}.")  # fmt: skip
    title = f"Object label issues ({field})"
    return g.write(_file(field, "label_issues"), title, intro, body), what


def create_object_duplicates_gallery(samples: SampleCollection, save_path: str,
                                     patches_field: str, **options: Any) -> str:  # fmt: skip
    """Groups of near-duplicate objects, largest first, each box drawn on its image:
    ``objects_<field>_duplicates.html``. Needs
    ``brain.find_approximate_duplicates(dataset, patches_field=...)``.

    Returns:
        The page's path.

    Example:
        >>> brain.reports.create_object_duplicates_gallery(dataset, "report/", "detections")
    """
    return object_duplicates_page(samples, save_path, patches_field, **options)[0]


def create_object_outliers_gallery(samples: SampleCollection, save_path: str,
                                   patches_field: str, **options: Any) -> str:  # fmt: skip
    """The most outlying objects first: ``objects_<field>_outliers.html``. Needs
    ``brain.compute_outliers(dataset, patches_field=...)``.

    Returns:
        The page's path.
    """
    return object_outliers_page(samples, save_path, patches_field, **options)[0]


def create_object_label_issues_gallery(samples: SampleCollection, save_path: str,
                                       patches_field: str, **options: Any) -> str:  # fmt: skip
    """Objects whose label their neighbours disagree with, worst first:
    ``objects_<field>_label_issues.html``. Needs
    ``brain.compute_label_issues(dataset, patches_field=...)``.

    Returns:
        The page's path.
    """
    return object_label_issues_page(samples, save_path, patches_field, **options)[0]


#: (kind, title, what it shows, page writer), in the order of the index page
OBJECT_GALLERIES: tuple[tuple[str, str, str, Callable[..., tuple[str, str]]], ...] = (
    ("object-duplicates", "Object duplicates", "the same object in several places",
     object_duplicates_page),
    ("object-outliers", "Object outliers", "the objects least like any other",
     object_outliers_page),
    ("object-label-issues", "Object label issues",
     "boxes whose label their nearest objects disagree with", object_label_issues_page),
)  # fmt: skip
