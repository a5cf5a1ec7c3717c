"""What every route needs: a dataset by name, a view from stage dicts, JSON of samples."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from typing import Any

from bson import Binary, ObjectId
from fastapi.responses import Response

import dataset_core as dc
from dataset_core.patches import PatchesView
from dataset_core.stages import view_from_untrusted
from dataset_core.view import DatasetView

from . import patches

#: schema types the grid never needs (embeddings): left out of sample pages
_HEAVY_FTYPES = ("array", "vector")


def get_dataset(name: str) -> dc.Dataset:
    """The dataset ``name``, its schema re-read (another process may have added fields).

    Raises:
        DatasetNotFoundError: no such dataset (404).
    """
    return dc.load_dataset(name)


def get_view(name: str, stages: list[dict[str, Any]] | None) -> DatasetView:
    """The view of dataset ``name`` through ``stages`` (stage dicts from HTTP: only
    safe stages, fields, values and F expressions; see ``dataset_core.stages.untrusted``).

    Raises:
        DatasetNotFoundError: no such dataset.
        ViewError, FieldNotFoundError: a malformed or refused stage (400).
    """
    return view_from_untrusted(get_dataset(name), list(stages or []), patches.load_view)


def shown_view(view: DatasetView) -> DatasetView:
    """``view`` (from Python) if the dashboard can show it: MongoDB runs it
    (``DatasetView.validate``, whose message is the one a user can act on) and a
    browser may send it back (the checks of :func:`get_view`).

    Raises:
        ViewError, FieldNotFoundError: the first stage MongoDB refuses, with its
            message, or one that browsers may not send (a raw query or ``Mongo``).
    """
    view.validate()
    d = view.to_dict()
    if isinstance(view, PatchesView) and d["dataset"] != view.dataset_name:
        patches.remember(view)  # the browser's pages read these patches, not new ones
        view_from_untrusted(get_dataset(d["dataset"]), d["stages"], patches.load_view)
    else:
        view_from_untrusted(view.dataset, d["stages"])
    return view


def deleted_ids(state: dict[str, Any]) -> list[str]:
    """The selected and open sample ids of ``state`` that its dataset no longer has
    (for ``StateStore.bump_refresh(gone=...)`` after samples were deleted)."""
    wanted = [*state["selected"], *([state["sample"]] if state["sample"] else [])]
    if not state["dataset"] or not wanted:
        return []
    valid = [i for i in dict.fromkeys(wanted) if ObjectId.is_valid(i)]
    have = set(get_dataset(state["dataset"]).select(valid).values("id")) if valid else set()
    return [i for i in dict.fromkeys(wanted) if i not in have]


def heavy_fields(dataset: dc.Dataset) -> list[str]:
    """Fields too big for a grid page (numpy arrays such as embeddings)."""
    return [k for k, f in dataset.get_field_schema().items() if f.ftype in _HEAVY_FTYPES]


def jsonable(value: Any) -> Any:
    """A stored value in JSON form: ids and dates as strings, arrays by shape only."""
    t = type(value)
    if t in (str, int, bool) or value is None:
        return value
    if t is float:
        return value if value == value and abs(value) != float("inf") else None
    if t is dict:
        if value.get("_cls") == "ndarray":
            return {"_cls": "ndarray"}
        return {("id" if k == "_id" else k): jsonable(v) for k, v in value.items()}
    if t is list or t is tuple:
        return [jsonable(v) for v in value]
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, Binary)):
        return {"_cls": "bytes", "base64": base64.b64encode(bytes(value)[:64]).decode()}
    if isinstance(value, float):
        return float(value)
    return str(value)


def json_response(content: Any) -> Response:
    """``content`` (already JSON-able: see :func:`jsonable`) as a response, without
    FastAPI's generic encoder walking it again (a third of a page's time)."""
    return Response(json.dumps(content, separators=(",", ":")), media_type="application/json")


def sample_json(doc: dict[str, Any]) -> dict[str, Any]:
    """A sample document as the browser sees it: ``id`` first, private keys dropped."""
    out: dict[str, Any] = {"id": str(doc["_id"])}
    for key, value in doc.items():
        if key in ("_id", "_rand"):
            continue
        out[key] = jsonable(value)
    return out
