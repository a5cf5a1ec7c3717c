"""The sidebar's numbers for the current view: counts, top values, histograms.

Two round trips, whatever the number of fields: one ``$facet`` gives the
count, each categorical field's top values and distinct count, and (in one
``$group`` pass) every numeric field's bounds and every field's count of set
values; a second ``$facet`` bins the numeric fields between those bounds.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

import dataset_core as dc
from dataset_core.aggregations import HistogramValues
from dataset_core.aggregations.run import run_aggregations
from dataset_core.fields import Field

from ..context import get_view, jsonable
from .samples import ViewRef

router = APIRouter(tags=["sidebar"])

#: values listed per categorical field (the rest are counted, not listed)
TOP_VALUES = 25
#: bins of each numeric field's histogram
HISTOGRAM_BINS = 25
#: fields never summarised: unique per sample, or bookkeeping
SKIPPED = frozenset({"id", "filepath", "metadata", "created_at", "last_modified_at"})
#: label classes whose labels sit in a list under this key
LIST_LABELS = {"Detections": "detections"}


def sidebar_fields(schema: dict[str, Field]) -> list[dict[str, Any]]:
    """The fields the sidebar shows: name, kind (tags/label/string/number/bool), path."""
    out: list[dict[str, Any]] = [{"name": "tags", "kind": "tags", "path": "tags", "unwind": "tags"}]
    for name, f in schema.items():
        if name in SKIPPED or name == "tags":
            continue
        if f.ftype == "embedded" and f.document_type in LIST_LABELS:
            key = f"{name}.{LIST_LABELS[f.document_type]}"
            out.append({"name": name, "kind": "label", "path": f"{key}.label", "unwind": key})
        elif f.ftype == "embedded" and f.document_type not in ("ImageMetadata", None):
            out.append({"name": name, "kind": "label", "path": f"{name}.label", "unwind": None})
        elif f.ftype == "string":
            out.append({"name": name, "kind": "string", "path": name, "unwind": None})
        elif f.ftype in ("int", "float"):
            out.append({"name": name, "kind": "number", "path": name, "unwind": None})
        elif f.ftype == "bool":
            out.append({"name": name, "kind": "bool", "path": name, "unwind": None})
        elif f.ftype == "list" and f.subfield == "string":
            out.append({"name": name, "kind": "string", "path": name, "unwind": name})
    return out


def _top_branch(f: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    if f["unwind"]:
        steps.append({"$unwind": "$" + f["unwind"]})
    steps += [
        {"$match": {f["path"]: {"$ne": None}}},
        {"$group": {"_id": "$" + f["path"], "n": {"$sum": 1}}},
        {"$sort": {"n": -1, "_id": 1}},
        {"$group": {"_id": None, "distinct": {"$sum": 1}, "total": {"$sum": "$n"},
                    "top": {"$firstN": {"input": ["$_id", "$n"], "n": TOP_VALUES}}}},
    ]  # fmt: skip
    return steps


def _is_set(path: str) -> dict[str, Any]:
    # missing and null sort below every value in aggregation comparisons
    return {"$sum": {"$cond": [{"$gt": ["$" + path, None]}, 1, 0]}}


def summarise(view: dc.DatasetView) -> dict[str, Any]:
    """The sidebar of ``view``: ``{"count": n, "fields": [...]}`` (see module doc)."""
    fields = sidebar_fields(view.dataset.get_field_schema())
    scalar: dict[str, Any] = {"_id": None}
    facet: dict[str, Any] = {"count": [{"$count": "n"}]}
    for i, f in enumerate(fields):
        if f["kind"] in ("tags", "label", "string"):
            facet[f"t{i}"] = _top_branch(f)
        if f["kind"] == "number":
            scalar[f"min{i}"] = {"$min": "$" + f["path"]}
            scalar[f"max{i}"] = {"$max": "$" + f["path"]}
        if f["kind"] == "bool":
            scalar[f"true{i}"] = {"$sum": {"$cond": [{"$eq": ["$" + f["path"], True]}, 1, 0]}}
            scalar[f"false{i}"] = {"$sum": {"$cond": [{"$eq": ["$" + f["path"], False]}, 1, 0]}}
        if f["kind"] in ("number", "bool") or (f["kind"] != "tags" and not f["unwind"]):
            scalar[f"set{i}"] = _is_set(f["path"])
    facet["scalar"] = [{"$group": scalar}]
    (doc,) = list(view._aggregate([{"$facet": facet}]))
    count = doc["count"][0]["n"] if doc["count"] else 0
    sc = doc["scalar"][0] if doc["scalar"] else {}
    hists: list[tuple[int, HistogramValues]] = []
    for i, f in enumerate(fields):
        if f"set{i}" in sc:
            f["count"] = sc[f"set{i}"]
        if f"t{i}" in doc:
            top = doc[f"t{i}"][0] if doc[f"t{i}"] else {"distinct": 0, "total": 0, "top": []}
            f["distinct"] = top["distinct"]
            f["values"] = [[jsonable(v), n] for v, n in top["top"]]
            f.setdefault("count", top["total"])
        if f["kind"] == "bool":
            f["values"] = [[True, sc.get(f"true{i}", 0)], [False, sc.get(f"false{i}", 0)]]
        if f["kind"] == "number":
            lo, hi = sc.get(f"min{i}"), sc.get(f"max{i}")
            f["bounds"] = [jsonable(lo), jsonable(hi)]
            if lo is not None and hi is not None:
                hists.append((i, HistogramValues(f["path"], HISTOGRAM_BINS).with_bounds((lo, hi))))
    if hists and count:
        results = run_aggregations(view, [h for _, h in hists])
        for (i, _), (counts, edges) in zip(hists, results, strict=True):
            fields[i]["histogram"] = {"counts": counts, "edges": [jsonable(e) for e in edges]}
    for f in fields:
        f.pop("unwind", None)
    return {"count": count, "fields": fields}


@router.post("/api/sidebar")
def sidebar(body: ViewRef) -> dict[str, Any]:
    """Counts, top values and histograms of the view's fields (see :func:`summarise`)."""
    return summarise(get_view(body.dataset, body.view))
