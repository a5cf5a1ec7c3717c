"""The sidebar's numbers for the current view: counts, top values, histograms.

One ``$facet`` over the view, whatever the number of fields, gives the count,
each categorical field's top values and distinct count, every numeric field's
histogram, and (in one ``$group`` pass) the bounds and counts of set values.
The same summary of the whole dataset (cached) gives the "of N" beside every
count, and tells which string fields have too many values for checkboxes: those
are searched through ``/api/sidebar/values``.
"""

from __future__ import annotations

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field as PydanticField

import dataset_core as dc
from dataset_core.aggregations import HistogramValues
from dataset_core.config import config
from dataset_core.errors import FieldNotFoundError
from dataset_core.fields import Field

from ..context import get_view, json_response, jsonable
from .samples import ViewRef

router = APIRouter(tags=["sidebar"])

#: values listed per categorical field (the rest are counted, not listed)
TOP_VALUES = 50
#: a string field with more distinct values than this, in the whole dataset, is a
#: search box, not checkboxes: every value of a checkbox field is then listed (it
#: equals TOP_VALUES), and past ~50 names scrolling is slower than typing; class
#: lists stay checkboxes, hashes and group ids of any real dataset become search
SEARCH_ABOVE = TOP_VALUES
#: ...and so is one whose values are mostly unique (more distinct values than
#: half the samples having it: identifiers, on a small dataset too), once it has
#: more than this many (three classes on four samples stay checkboxes)
SEARCH_UNIQUE_MIN = 10
#: suggestions a search answers with
SEARCH_RESULTS = 12
#: bins of each numeric field's histogram
HISTOGRAM_BINS = 25
#: fields never summarised: unique per sample, or bookkeeping
SKIPPED = frozenset({"id", "filepath", "metadata", "created_at", "last_modified_at"})
#: label classes whose labels sit in a list under this key
LIST_LABELS = {"Detections": "detections"}
#: the sidebar's sections, in this order; each field names its own
GROUPS = ("tags", "metadata", "labels", "primitives")
#: single labels that are objects: their number and bool attributes are listed too
OBJECT_LABELS = frozenset({"Detection", "Polyline", "Keypoint"})
#: labels read to find those attributes: enough for every attribute a dataset's
#: labels share, cheap at any size (one indexed scan of the first documents)
ATTRIBUTE_SAMPLES = 1000
#: BSON types of numbers (``$type``'s names), and of the integers among them
_NUMBER_TYPES = ("double", "int", "long", "decimal")
_INT_TYPES = frozenset({"int", "long"})
#: the kinds whose values are listed (and searched)
CATEGORICAL = ("tags", "label", "string")
_KINDS = {"string": "string", "int": "number", "float": "number", "bool": "bool"}


def object_attributes(dataset: dc.Dataset, schema: dict[str, Field]) -> dict[str, list[Any]]:
    """Field -> ``[(attribute, kind, integer), ...]``: the number and bool attributes
    of each single object label field (a patches view's ``Detection``), as its first
    :data:`ATTRIBUTE_SAMPLES` labels have them (declared or not: COCO's ``area``,
    ``iscrowd``), so the sidebar can filter objects by them."""
    out: dict[str, list[Any]] = {}
    for name, f in schema.items():
        if "." in name or f.ftype != "embedded" or f.document_type not in OBJECT_LABELS:
            continue
        docs = dataset.aggregate([
            {"$limit": ATTRIBUTE_SAMPLES},
            {"$project": {"kv": {"$objectToArray": {"$ifNull": [f"${name}", {}]}}}},
            {"$unwind": "$kv"},
            {"$match": {"kv.k": {"$nin": ["_id", "_cls"]},  # a query's $type sees into lists
                        "$expr": {"$in": [{"$type": "$kv.v"}, [*_NUMBER_TYPES, "bool"]]}}},
            {"$group": {"_id": "$kv.k", "types": {"$addToSet": {"$type": "$kv.v"}}}},
            {"$sort": {"_id": 1}},
        ])  # fmt: skip
        for d in docs:
            types = set(d["types"])
            if types == {"bool"}:
                out.setdefault(name, []).append((d["_id"], "bool", False))
            elif "bool" not in types:
                out.setdefault(name, []).append((d["_id"], "number", types <= _INT_TYPES))
    return out


def sidebar_fields(
    schema: dict[str, Field], attributes: dict[str, list[Any]] | None = None
) -> list[dict[str, Any]]:
    """The fields the sidebar shows: name, kind (tags/label/string/number/bool), path,
    group (one of :data:`GROUPS`), and ``integer`` for int fields.

    ``schema`` is the flat schema (``get_field_schema(flat=True)``): the image
    metadata's own fields (``metadata.width``...) come from it. ``attributes``
    (:func:`object_attributes`) adds each object label's number and bool
    attributes, after its label (``ground_truth.confidence``).
    """
    out: list[dict[str, Any]] = [
        {"name": "tags", "kind": "tags", "path": "tags", "unwind": "tags", "group": "tags"}
    ]
    meta = schema.get("metadata")
    if meta is not None and meta.ftype == "embedded":
        for name, f in schema.items():
            if name.startswith("metadata.") and name.count(".") == 1 and f.ftype in _KINDS:
                out.append({"name": name, "kind": _KINDS[f.ftype], "path": name,
                            "unwind": None, "group": "metadata",
                            "integer": f.ftype == "int"})  # fmt: skip
    for name, f in schema.items():
        if name in SKIPPED or name == "tags" or "." in name:
            continue
        if f.ftype == "embedded" and f.document_type in LIST_LABELS:
            key = f"{name}.{LIST_LABELS[f.document_type]}"
            out.append({"name": name, "kind": "label", "path": f"{key}.label", "unwind": key,
                        "group": "labels"})  # fmt: skip
        elif f.ftype == "embedded" and f.document_type not in ("ImageMetadata", None):
            out.append({"name": name, "kind": "label", "path": f"{name}.label", "unwind": None,
                        "group": "labels"})  # fmt: skip
            for attr, kind, integer in (attributes or {}).get(name, []):
                path = f"{name}.{attr}"
                out.append({"name": path, "kind": kind, "path": path, "unwind": None,
                            "group": "labels", "integer": integer})  # fmt: skip
        elif f.ftype in _KINDS:
            out.append({"name": name, "kind": _KINDS[f.ftype], "path": name, "unwind": None,
                        "group": "primitives", "integer": f.ftype == "int"})  # fmt: skip
        elif f.ftype == "list" and f.subfield == "string":
            out.append({"name": name, "kind": "string", "path": name, "unwind": name,
                        "group": "primitives"})  # fmt: skip
    return out


def _top_branch(f: dict[str, Any], top: int = TOP_VALUES, search: str = "") -> list[dict[str, Any]]:
    """Steps giving ``{distinct, total, top: [[value, n], ...]}`` of field ``f``;
    with ``search``, of its values containing that text (any case)."""
    steps: list[dict[str, Any]] = []
    if f["unwind"]:
        steps.append({"$unwind": "$" + f["unwind"]})
    cond: dict[str, Any] = {"$ne": None}
    if search:  # the text is escaped: a literal substring, never a pattern from HTTP
        cond["$regex"] = re.escape(search)
        cond["$options"] = "i"
    steps += [
        {"$match": {f["path"]: cond}},
        {"$group": {"_id": "$" + f["path"], "n": {"$sum": 1}}},
        {"$sort": {"n": -1, "_id": 1}},
        {"$group": {"_id": None, "distinct": {"$sum": 1}, "total": {"$sum": "$n"},
                    "top": {"$firstN": {"input": ["$_id", "$n"], "n": top}}}},
    ]  # fmt: skip
    return steps


def _is_set(path: str) -> dict[str, Any]:
    # missing and null sort below every value in aggregation comparisons
    return {"$sum": {"$cond": [{"$gt": ["$" + path, None]}, 1, 0]}}


def _filter_stage(view: dc.DatasetView, f: dict[str, Any]) -> int | None:
    """The index of the stage that filters field ``f`` (as the sidebar writes them)."""
    for i, stage in enumerate(view.stages):
        d = stage.to_dict()
        kwargs = d.get("kwargs", {})
        if f["kind"] == "tags" and d["_cls"] == "MatchTags" and kwargs.get("bool", True):
            return i
        flt = kwargs.get("filter")
        if d["_cls"] == "Match" and isinstance(flt, dict) and list(flt) == [f["path"]]:
            return i
    return None


def _values_without_own_filter(
    view: dc.DatasetView, f: dict[str, Any], index: int, refresh: int
) -> tuple[int, list[list[Any]]]:
    """``(distinct, top values)`` of ``f`` in the view without its own filter stage
    ``index``: a filtered field lists the values it could take, not only the ticked.

    Cached (like :func:`dataset_ranges`): ticking a second and third value of the
    same field asks the same question each time.
    """
    stages = [s for i, s in enumerate(view.stages) if i != index]
    count = view.dataset.estimated_count()
    key = (config.database_name, view.dataset_name, count, refresh, f["path"],
           json.dumps([s.to_dict() for s in stages], sort_keys=True, default=str))  # fmt: skip
    with _ranges_lock:
        hit = _own_values.get(key)
    if hit is not None:
        return hit
    docs = list(dc.DatasetView(view.dataset, stages).aggregate(_top_branch(f)))
    top = docs[0] if docs else {"distinct": 0, "top": []}
    out = top["distinct"], [[jsonable(v), n] for v, n in top["top"]]
    with _ranges_lock:
        if len(_own_values) >= MAX_CACHED:
            _own_values.clear()
        _own_values[key] = out
    return out


def dataset_ranges(
    dataset: dc.Dataset, paths: list[str], refresh: int
) -> dict[str, tuple[Any, Any]]:
    """``(min, max)`` of numeric ``paths`` over the whole dataset, cached until the
    sample count or the session's refresh counter changes.

    Histograms and range sliders span these, so their axes stay put while the
    user filters, and a narrowed range can be widened again.
    """
    if not paths:
        return {}
    count = dataset.estimated_count()
    key = (config.database_name, dataset.name, count, refresh, tuple(paths))
    with _ranges_lock:
        hit = _ranges.get(key)
    if hit is not None:
        return hit
    bounds = dataset.aggregate([dc.Bounds(p) for p in paths])  # one round trip
    out = dict(zip(paths, (tuple(b) for b in bounds), strict=True))
    with _ranges_lock:
        _ranges.clear()  # only the latest matters; views of other datasets recompute
        _ranges[key] = out
    return out


#: cached answers kept by each of this module's caches
MAX_CACHED = 32
_ranges: dict[tuple[Any, ...], dict[str, tuple[Any, Any]]] = {}
_own_values: dict[tuple[Any, ...], tuple[int, list[list[Any]]]] = {}
_summaries: dict[tuple[Any, ...], dict[str, Any]] = {}
_ranges_lock = threading.Lock()


def summarise(view: dc.DatasetView, refresh: int = 0) -> dict[str, Any]:
    """The sidebar of ``view``: ``{"count": n, "total": N, "fields": [...]}``.

    Each field has its ``count`` in the view and its ``total`` in the dataset,
    ``totals`` beside its listed ``values`` (each value's count in the dataset),
    and, for categorical fields, ``search``: too many values for checkboxes (see
    :data:`SEARCH_ABOVE`), judged on the whole dataset so that a field keeps its
    widget while the user filters. The dataset's own summary is cached
    (:func:`dataset_summary`) and, for a filtered view, computed beside it.
    """
    if not view.stages:
        out = _summarise_view(view, refresh)
        _cache_summary(view.dataset, refresh, out)
        totals = out
    elif (cached := _cached_summary(view.dataset, refresh)) is not None:
        # a field the dataset never sets is empty in every view: not asked again
        empty = {f["path"] for f in cached["fields"] if not f.get("count")}
        out, totals = _summarise_view(view, refresh, skip=empty), cached
    else:
        with ThreadPoolExecutor(max_workers=1) as pool:
            whole = pool.submit(dataset_summary, view.dataset, refresh)
            out = _summarise_view(view, refresh)
            totals = whole.result()
    by_path = {f["path"]: f for f in totals["fields"]}
    out["total"] = totals["count"]
    for f in out["fields"]:
        t = by_path.get(f["path"], {})
        f["total"] = t.get("count", 0)
        if "values" in f:
            known = {json.dumps(v): n for v, n in t.get("values", [])}
            f["totals"] = [known.get(json.dumps(v)) for v, _ in f["values"]]
        if f["kind"] in CATEGORICAL:
            distinct = t.get("distinct", f.get("distinct", 0))
            f["search"] = distinct > SEARCH_ABOVE or (
                distinct > SEARCH_UNIQUE_MIN and 2 * distinct > t.get("count", 0)
            )
    return out


def _summary_key(dataset: dc.Dataset, refresh: int) -> tuple[Any, ...]:
    return (config.database_name, dataset.name, dataset.estimated_count(), refresh)


def _cache_summary(dataset: dc.Dataset, refresh: int, summary: dict[str, Any]) -> dict[str, Any]:
    whole = {"count": summary["count"],
             "fields": [{k: f[k] for k in ("path", "count", "distinct", "values") if k in f}
                        for f in summary["fields"]]}  # fmt: skip
    with _ranges_lock:
        _summaries.clear()  # only the latest matters, as for the ranges
        _summaries[_summary_key(dataset, refresh)] = whole
    return whole


def dataset_summary(dataset: dc.Dataset, refresh: int) -> dict[str, Any]:
    """The sidebar of the whole ``dataset`` (count, each field's count, distinct and
    top values), cached until the sample count or the refresh counter changes."""
    hit = _cached_summary(dataset, refresh)
    if hit is not None:
        return hit
    return _cache_summary(dataset, refresh, _summarise_view(dc.DatasetView(dataset, []), refresh))


def _cached_summary(dataset: dc.Dataset, refresh: int) -> dict[str, Any] | None:
    with _ranges_lock:
        return _summaries.get(_summary_key(dataset, refresh))


def _summarise_view(
    view: dc.DatasetView, refresh: int, skip: frozenset[str] | set[str] = frozenset()
) -> dict[str, Any]:
    """The view's own numbers: ``{"count": n, "fields": [...]}`` (see module doc).

    One ``$facet`` over the view computes everything; numeric histograms bin
    between the dataset's ranges (:func:`dataset_ranges`). A categorical field
    the view filters lists its values as if unfiltered, so a second value can be
    ticked: that query runs beside the facet, in another thread. Fields whose
    path is in ``skip`` (set on no sample of the dataset) are answered as empty
    without a query: a dataset without metadata or tags pays nothing for them.
    """
    schema = view.dataset.get_field_schema(flat=True)
    fields = sidebar_fields(schema, object_attributes(view.dataset, schema))
    numeric = [f["path"] for f in fields if f["kind"] == "number"]
    ranges = dataset_ranges(view.dataset, numeric, refresh)
    scalar: dict[str, Any] = {"_id": None}
    facet: dict[str, Any] = {"count": [{"$count": "n"}]}
    hists: dict[int, HistogramValues] = {}
    for i, f in enumerate(fields):
        if f["path"] in skip:
            continue
        if f["kind"] in CATEGORICAL:
            facet[f"t{i}"] = _top_branch(f)
        if f["kind"] == "number":
            scalar[f"min{i}"] = {"$min": "$" + f["path"]}
            scalar[f"max{i}"] = {"$max": "$" + f["path"]}
            lo, hi = ranges.get(f["path"], (None, None))
            if lo is not None and hi is not None:
                hists[i] = HistogramValues(f["path"], HISTOGRAM_BINS).with_bounds((lo, hi))
                facet[f"h{i}"] = hists[i].to_pipeline(view)
            f["range"] = [jsonable(lo), jsonable(hi)]
        if f["kind"] == "bool":
            scalar[f"true{i}"] = {"$sum": {"$cond": [{"$eq": ["$" + f["path"], True]}, 1, 0]}}
            scalar[f"false{i}"] = {"$sum": {"$cond": [{"$eq": ["$" + f["path"], False]}, 1, 0]}}
        if f["kind"] in ("number", "bool") or (f["kind"] != "tags" and not f["unwind"]):
            scalar[f"set{i}"] = _is_set(f["path"])
    facet["scalar"] = [{"$group": scalar}]
    filtered = [(i, _filter_stage(view, f)) for i, f in enumerate(fields)
                if f["kind"] in CATEGORICAL and f["path"] not in skip]  # fmt: skip
    filtered = [(i, j) for i, j in filtered if j is not None]
    with ThreadPoolExecutor(max_workers=1 + len(filtered)) as pool:
        own = {i: pool.submit(_values_without_own_filter, view, fields[i], j, refresh)
               for i, j in filtered}  # fmt: skip
        (doc,) = view.aggregate([{"$facet": facet}])
        own_values = {i: fut.result() for i, fut in own.items()}
    count = doc["count"][0]["n"] if doc["count"] else 0
    sc = doc["scalar"][0] if doc["scalar"] else {}
    for i, f in enumerate(fields):
        if f["path"] in skip:
            _empty(f)
            continue
        if f"set{i}" in sc:
            f["count"] = sc[f"set{i}"]
        if f"t{i}" in doc:
            top = doc[f"t{i}"][0] if doc[f"t{i}"] else {"distinct": 0, "total": 0, "top": []}
            f.setdefault("count", top["total"])
            if i not in own_values:
                f["distinct"] = top["distinct"]
                f["values"] = [[jsonable(v), n] for v, n in top["top"]]
        if i in own_values:
            f["distinct"], f["values"] = own_values[i]
        if f["kind"] == "bool":
            f["values"] = [[True, sc.get(f"true{i}", 0)], [False, sc.get(f"false{i}", 0)]]
        if f["kind"] == "number":
            f["bounds"] = [jsonable(sc.get(f"min{i}")), jsonable(sc.get(f"max{i}"))]
            if i in hists:
                counts, edges, _ = hists[i].parse_result(doc[f"h{i}"])
                f["histogram"] = {"counts": counts, "edges": [jsonable(e) for e in edges]}
        f.pop("unwind", None)
    return {"count": count, "fields": fields}


def _empty(f: dict[str, Any]) -> None:
    """Fill field ``f`` as :func:`_summarise_view` does for a field no sample sets."""
    f["count"] = 0
    if f["kind"] in CATEGORICAL:
        f["distinct"], f["values"] = 0, []
    elif f["kind"] == "bool":
        f["values"] = [[True, 0], [False, 0]]
    elif f["kind"] == "number":
        f["bounds"] = f["range"] = [None, None]
    f.pop("unwind", None)


class ValuesRequest(ViewRef):
    """Values of one listed field of the view that contain ``search`` (any case)."""

    path: str = PydanticField(max_length=300)
    search: str = PydanticField("", max_length=200)
    limit: int = PydanticField(SEARCH_RESULTS, ge=1, le=TOP_VALUES)


def search_values(view: dc.DatasetView, path: str, search: str = "",
                  limit: int = SEARCH_RESULTS) -> dict[str, Any]:  # fmt: skip
    """``{"distinct": d, "values": [[value, n], ...]}``: the ``limit`` commonest
    values of field ``path`` containing ``search``, counted in ``view`` without
    that field's own filter (so a second value can be added to it).

    Raises:
        FieldNotFoundError: ``path`` is not a field the sidebar lists values of.
    """
    fields = sidebar_fields(view.dataset.get_field_schema(flat=True))
    f = next((f for f in fields if f["path"] == path and f["kind"] in CATEGORICAL), None)
    if f is None:
        listed = [f["path"] for f in fields if f["kind"] in CATEGORICAL]
        raise FieldNotFoundError(f"Field {path!r} has no listed values; fields: {listed}")
    own = _filter_stage(view, f)
    stages = [s for i, s in enumerate(view.stages) if i != own]
    docs = list(dc.DatasetView(view.dataset, stages).aggregate(_top_branch(f, limit, search)))
    top = docs[0] if docs else {"distinct": 0, "top": []}
    return {"path": path, "search": search, "distinct": top["distinct"],
            "values": [[jsonable(v), n] for v, n in top["top"]]}  # fmt: skip


@router.post("/api/sidebar")
def sidebar(body: ViewRef, request: Request) -> Response:
    """Counts, top values and histograms of the view's fields (see :func:`summarise`)."""
    view = get_view(body.dataset, body.view)
    return json_response(summarise(view, request.app.state.store.get("refresh")))


@router.post("/api/sidebar/values")
def sidebar_values(body: ValuesRequest) -> Response:
    """A search box's suggestions: values of one field (see :func:`search_values`)."""
    view = get_view(body.dataset, body.view)
    return json_response(search_values(view, body.path, body.search, body.limit))
