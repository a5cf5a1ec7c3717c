"""Galleries of related images: duplicates, components, leaks and label issues.

Each row is a group (or pair) of samples, closest or largest first; see
:mod:`brain.reports.common` for the options every gallery takes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from dataset_core import runs
from dataset_core.collection import SampleCollection

from ..duplicate_classes import CLASSES, MEANINGS
from .common import Gallery, ReportError, require_field
from .html import empty, esc, row

#: images shown per component row before "and N more"
MAX_PER_ROW = 12
#: neighbours shown beside each label issue (fastdup's similarity gallery shows a few)
NEIGHBORS_SHOWN = 5


def _unit_rows(samples: SampleCollection, brain_key: str, ids: list[str]) -> dict[str, np.ndarray]:
    """Unit embeddings by id from similarity run ``brain_key`` (empty when it is missing)."""
    if brain_key not in runs.list_brain_runs(samples, method="similarity"):
        return {}
    from ..similarity import SimilarityIndex

    index = SimilarityIndex.load(samples, brain_key)
    out = {}
    for sid in ids:
        r = index._row.get(sid)
        if r is not None and not np.isnan(index.embeddings[r]).any():
            v = index.embeddings[r].astype(np.float64)
            out[sid] = v / max(float(np.linalg.norm(v)), 1e-12)
    return out


def _groups(g: Gallery) -> tuple[list[list[str]], str]:
    """Duplicate groups among the gallery's samples, and what found them."""
    schema = g.samples.dataset.get_field_schema()
    if "approx_dup_group_id" in schema:
        field_name, what = (
            "approx_dup_group_id",
            "near-duplicates (brain.find_approximate_duplicates)",
        )
    elif "file_hash" in schema:
        field_name, what = "file_hash", "byte-identical files (brain.find_exact_duplicates)"
    else:
        raise ReportError("The duplicates gallery needs near-duplicate groups; run "
                          "brain.find_approximate_duplicates(dataset) first")  # fmt: skip
    groups: dict[Any, list[str]] = {}
    for sid, key in zip(g.ids, g.samples.values(field_name), strict=True):
        if key is not None:
            groups.setdefault(key, []).append(sid)
    return [m for m in groups.values() if len(m) > 1], what


def create_duplicates_gallery(
    samples: SampleCollection, save_path: str, brain_key: str = "sim", **options: Any
) -> str:
    """A gallery of duplicate groups, closest first: ``duplicates.html`` in ``save_path``.

    Groups come from ``approx_dup_group_id`` (written by
    :func:`brain.find_approximate_duplicates`), else from ``file_hash``.
    Each image shows its cosine distance to the group's first image and, when
    :mod:`brain.duplicate_classes` has run, how its copy was found
    (``duplicate_class``); the row's title counts the classes.

    Returns:
        The page's path.

    Example:
        >>> brain.reports.create_duplicates_gallery(dataset, "report/", slice="diff")
    """
    g = Gallery(samples, save_path, **options)
    groups, what = _groups(g)
    unit = _unit_rows(samples, brain_key, g.ids)
    classes = duplicate_classes_of(g)
    scored = []
    for members in groups:
        if not g.keep(members):
            continue
        first = unit.get(members[0])
        dists = [0.0] + [float(max(1 - unit[m] @ first, 0.0)) if first is not None and m in unit
                         else float("nan") for m in members[1:]]  # fmt: skip
        scored.append((np.nanmax(dists[1:]) if len(dists) > 1 else 0.0, members, dists))
    scored.sort(key=lambda t: (np.nan_to_num(t[0], nan=9.0), t[1][0]))
    rows = []
    for worst, members, dists in scored[: g.num_images]:
        labels = {g.labels.get(m) for m in members} - {None}
        clash = g.has_labels and len(labels) > 1
        cards = []
        for i, (m, d) in enumerate(zip(members, dists, strict=True)):
            lines = [f"distance {d:.3f}" if i else "first of group"]
            if classes.get(m):
                lines.append(f'<span class="class">{esc(classes[m])}</span>')
            cards.append(g.card(m, lines, bad_label=clash))
        title = f"{len(members)} images, distance up to {worst:.3f}" + class_counts(
            members, classes
        )
        rows.append(row(title + (" · labels differ" if clash else ""), cards,
                        ' data-kind="duplicates"'))  # fmt: skip
    body = "".join(rows) or empty("No duplicates among these samples.")
    intro = (f"{len(scored)} groups of {esc(what)}; {g.describe_options()}. Distance: cosine "
             "distance of the embeddings (0 = the same embedding)."
             + (" Under each image, how its copy was found: " + "; ".join(
                 f"<code>{c}</code>: {esc(MEANINGS[c])}" for c in CLASSES) + "."
                if classes else ""))  # fmt: skip
    return g.write("duplicates.html", "Duplicates", intro, body)


def duplicate_classes_of(g: Gallery) -> dict[str, str | None]:
    """Sample id -> duplicate class, when :mod:`brain.duplicate_classes` has run."""
    if "duplicate_class" not in g.samples.dataset.get_field_schema():
        return {}
    return dict(zip(g.ids, g.samples.values("duplicate_class"), strict=True))


def class_counts(members: list[str], classes: dict[str, str | None]) -> str:
    """`` · same_bytes 2, near_duplicate 1``: the classes of a group's members, or ""."""
    n = Counter(classes.get(m) for m in members)
    found = [f"{c} {n[c]}" for c in CLASSES if n[c]]
    return " · " + ", ".join(found) if found else ""


def create_components_gallery(
    samples: SampleCollection, save_path: str, cluster_field: str = "component_id",
    min_items: int = 2, **options: Any,
) -> str:  # fmt: skip
    """The largest clusters first: ``components.html`` (or ``<cluster_field>.html``).

    Needs :func:`brain.compute_clusters` (``component_id`` by default).

    Returns:
        The page's path.
    """
    from ..clusters import find_top_components

    g = Gallery(samples, save_path, **options)
    require_field(g, cluster_field, "brain.compute_clusters(dataset)")
    comps = [c for c in find_top_components(samples, cluster_field, min_items=min_items,
                                            label_field=g.label_field)
             if g.keep(c.sample_ids)]  # fmt: skip
    rows = []
    for c in comps[: g.num_images]:
        cards = [g.card(m) for m in c.sample_ids[:MAX_PER_ROW]]
        more = c.size - MAX_PER_ROW
        title = f"cluster {c.cluster_id}: {c.size} images, mean distance {c.mean_distance:.3f}"
        if c.labels:
            title += " · " + ", ".join(f"{esc(k)} {v}" for k, v in
                                       sorted(c.labels.items(), key=lambda kv: -kv[1]))  # fmt: skip
        if more > 0:
            title += f" · showing {MAX_PER_ROW}, {more} more"
        rows.append(row(title, cards, f' data-kind="component" data-size="{c.size}"'))
    body = "".join(rows) or empty("No clusters of two or more images here.")
    intro = f"{len(comps)} clusters of {min_items}+ images, largest first; {g.describe_options()}."
    name = "components.html" if cluster_field == "component_id" else f"{cluster_field}.html"
    return g.write(name, f"Clusters ({cluster_field})", intro, body)


def create_leaks_gallery(samples: SampleCollection, save_path: str, **options: Any) -> str:
    """Near-duplicates across splits, closest first: ``leaks.html``.

    Needs :func:`brain.compute_leaks`.

    Returns:
        The page's path.
    """
    from ..leaks import load_leaks

    g = Gallery(samples, save_path, **options)
    if "leaks" not in runs.list_brain_runs(samples):
        raise ReportError("The leaks gallery needs brain.compute_leaks(dataset) first")
    leaks = [lk for lk in load_leaks(samples).leaks if g.keep([lk.id_a, lk.id_b])]
    rows = []
    for lk in leaks[: g.num_images]:
        cards = [g.card(lk.id_a, [f"split <b>{esc(lk.split_a)}</b>"]),
                 g.card(lk.id_b, [f"split <b>{esc(lk.split_b)}</b>"])]  # fmt: skip
        title = f"{esc(lk.split_a)} / {esc(lk.split_b)} leak, distance {lk.distance:.3f}"
        rows.append(row(title, cards, ' data-kind="leak"'))
    body = "".join(rows) or empty("No near-duplicates across splits.")
    intro = f"{len(leaks)} near-duplicate pairs across splits; {g.describe_options()}."
    return g.write("leaks.html", "Train/test leaks", intro, body)


def create_label_issues_gallery(
    samples: SampleCollection, save_path: str, score_field: str = "label_issue_score",
    brain_key: str = "sim", **options: Any,
) -> str:  # fmt: skip
    """fastdup's similarity gallery: likely label mistakes and their neighbours.

    Each row is a sample with a high label-issue score, its label (red) and
    the neighbours' suggestion, followed by its nearest neighbours with their
    labels; then the confusing pairs (near-duplicates with different labels).
    Writes ``label_issues.html``. Needs :func:`brain.compute_label_issues`.

    Returns:
        The page's path.
    """
    from ..label_issues import load_confusing_pairs
    from ..neighbors import get_neighbors

    options.setdefault("label_field", "auto")
    g = Gallery(samples, save_path, **options)
    require_field(g, score_field, "brain.compute_label_issues(dataset)")
    info = runs.get_brain_info(samples, "label_issues")
    if options["label_field"] == "auto" or not g.has_labels:
        g.label_field = info.config["label_field"]
        g.labels = dict(zip(g.ids, _labels(samples, g.label_field), strict=True))
    suggestions = samples.values(info.config.get("suggestion_field", "suggested_label"))
    scores = samples.values(score_field)
    nb = get_neighbors(samples, brain_key, k=NEIGHBORS_SHOWN)
    order = sorted((i for i, s in enumerate(scores) if s is not None),
                   key=lambda i: (-scores[i], i))  # fmt: skip
    rows = []
    for i in order:
        sid = g.ids[i]
        if len(rows) >= g.num_images or scores[i] <= 0:
            break
        if not g.keep([sid]) or suggestions[i] == g.labels.get(sid):
            continue
        nbs = [(int(j), float(d)) for j, d in zip(nb.graph.indices[i], nb.graph.distances[i],
                                                  strict=True) if j >= 0]  # fmt: skip
        cards = [
            g.card(
                sid,
                [f"score <b>{scores[i]:.2f}</b>", f"suggested: <b>{esc(suggestions[i])}</b>"],
                bad_label=True,
            )
        ]
        cards += [g.card(nb.sample_ids[j], [f"distance {d:.3f}"]) for j, d in nbs]
        title = (f"label {esc(g.labels.get(sid))!s} — neighbours say {esc(suggestions[i])} "
                 f"(score {scores[i]:.2f})")  # fmt: skip
        rows.append(row(title, cards, f' data-kind="label-issue" data-sample-id="{esc(sid)}"'))
    pairs = [p for p in load_confusing_pairs(samples) if g.keep([p.id_a, p.id_b])]
    pair_rows = [row(f"{esc(p.label_a)} / {esc(p.label_b)}, distance {p.distance:.3f}",
                     [g.card(p.id_a, bad_label=True), g.card(p.id_b, bad_label=True)],
                     ' data-kind="confusing-pair"')
                 for p in pairs[: g.num_images]]  # fmt: skip
    body = ("<h2>Labels their neighbours disagree with</h2>"
            + ("".join(rows) or empty("No sample's neighbours disagree with its label."))
            + "<h2>Confusing pairs: near-duplicates with different labels</h2>"
            + ("".join(pair_rows) or empty("No near-duplicates with different labels."))
    )  # fmt: skip
    intro = ("Score = the share of the nearest neighbours' weighted votes against the label "
             f"(0: all agree, 1: none does); {g.describe_options()}.")  # fmt: skip
    return g.write("label_issues.html", "Label issues", intro, body)


def _labels(samples: SampleCollection, label_field: str) -> list[str | None]:
    from ..classify import read_labels

    return read_labels(samples, label_field)
