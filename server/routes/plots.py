"""The embeddings map: a visualization run's points for a view, coloured by a field."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from fastapi import APIRouter

import brain
from brain.errors import BrainError
from brain.visualization import METHOD, VisualizationResults
from dataset_core.errors import FieldNotFoundError

from ..context import get_view, json_response, jsonable
from .samples import ViewRef
from .sidebar import sidebar_fields

router = APIRouter(tags=["plots"])

#: metadata fields a map can be coloured by (numbers every image sample has)
METADATA_PATHS = ("metadata.width", "metadata.height", "metadata.size_bytes")
#: significant digits kept of the map's extent: 1/100,000 of the map is far below
#: a pixel at any zoom the app allows, and the response is half as big
POINT_DIGITS = 5


class PointsRequest(ViewRef):
    """A visualization run (``key``) and, optionally, the field to colour by."""

    key: str
    field: str | None = None


def color_fields(view: Any) -> dict[str, str]:
    """The paths a map can be coloured by, with their kind (number/string/label/bool/tags)."""
    out = {f["path"]: f["kind"] for f in sidebar_fields(view.get_field_schema())}
    if "metadata" in view.get_field_schema():
        out.update(dict.fromkeys(METADATA_PATHS, "number"))
    return out


def _view_values(view: Any, path: str | None) -> dict[str, Any]:
    """Sample id -> its ``path`` value (the first one of a list: tags, detections),
    or -> None without ``path``, for every sample of the view, in one pass."""
    # path is one of color_fields(): a schema path, never text from the request
    project: dict[str, Any] = {"_id": 1, "v": f"${path}"} if path else {"_id": 1}
    out = {}
    for d in view.aggregate([{"$project": project}]):
        v = d.get("v")
        while isinstance(v, list):
            v = v[0] if v else None
        out[str(d["_id"])] = jsonable(v)
    return out


def _rounded(points: np.ndarray) -> list[float]:
    """``points`` flattened (x0, y0, x1, y1, ...), rounded to :data:`POINT_DIGITS`."""
    if not len(points):
        return []
    extent = float(np.nanmax(points) - np.nanmin(points)) or 1.0
    decimals = max(0, POINT_DIGITS - math.floor(math.log10(extent)))
    return np.round(points.astype(np.float64), decimals).ravel().tolist()


@router.post("/api/visualization")
def points(body: PointsRequest) -> Any:
    """Every point of run ``key``, which are in the view, and each one's ``field`` value.

    Returns ``{"ids", "xy": [x0, y0, x1, y1, ...], "fields": {path: kind}, "field",
    "kind", "values", "in_view"}``: ``values`` aligned with ``ids`` (absent without
    ``field``; None outside the view), ``in_view`` 1/0 per point (absent when the
    view has no stages).

    Raises:
        BrainRunNotFoundError: no such run (404).
        FieldNotFoundError: ``field`` is not one a map can be coloured by (the
            message lists those).
    """
    view = get_view(body.dataset, body.view)
    fields = color_fields(view)
    if body.field is not None and body.field not in fields:
        raise FieldNotFoundError(
            f"Cannot colour the map by {body.field!r}; fields: {sorted(fields)}"
        )
    # every point of the run (the map keeps its shape whatever the view); those
    # outside the view are flagged, so the app draws them faint and skips them
    info = brain.get_brain_info(view.dataset, body.key)
    if info.method != METHOD:
        raise BrainError(f"Brain run {body.key!r} is a {info.method} run, not a visualization")
    run = VisualizationResults.load(view.dataset, body.key)
    shown = _view_values(view, body.field)
    # every point of the run (the map keeps its shape whatever the view), less
    # the samples deleted since; those outside the view are flagged, so the app
    # draws them faint and leaves them out of hovers and lassos
    exists = shown if not body.view else set(view.dataset.values("id"))
    keep = [n for n, sid in enumerate(run.sample_ids) if sid in exists]
    ids = [run.sample_ids[n] for n in keep]
    xy = run.points[np.asarray(keep, dtype=np.int64)].reshape(-1, 2)
    out: dict[str, Any] = {"ids": ids, "xy": _rounded(xy), "fields": fields, "field": body.field}
    if body.view:
        out["in_view"] = [1 if i in shown else 0 for i in ids]
    if body.field is not None:
        out["kind"] = fields[body.field]
        out["values"] = [shown.get(i) for i in ids]
    return json_response(out)
