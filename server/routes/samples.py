"""Pages of samples of a serialised view, one sample whole, ids of a view, and
one sample's position in a view."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from dataset_core.errors import SampleNotFoundError
from dataset_core.patches import PatchesView

from .. import patches
from ..context import get_dataset, get_view, heavy_fields, json_response, jsonable, sample_json
from ..pages import page_docs
from .media import vouch_filepaths

router = APIRouter(tags=["samples"])

#: most samples one page may hold: a screenful of tiles many times over
MAX_PAGE = 1000
#: most ids one request returns ("select all" on a huge view)
MAX_IDS = 1_000_000


class ViewRef(BaseModel):
    """A dataset and the stages of a view of it (``[]``: the whole dataset)."""

    dataset: str
    view: list[dict[str, Any]] = Field(default_factory=list)


class PageRequest(ViewRef):
    """Which page: ``limit`` samples from position ``offset`` of the view."""

    offset: int = Field(0, ge=0)
    limit: int = Field(100, ge=1, le=MAX_PAGE)


class IdsRequest(ViewRef):
    """Ids of the view's samples from ``offset``, at most ``limit`` (default all)."""

    offset: int = Field(0, ge=0)
    limit: int | None = Field(None, ge=1, le=MAX_IDS)


@router.post("/api/samples")
def page(body: PageRequest, request: Request) -> Response:
    """Samples ``offset`` to ``offset + limit - 1`` of the view, in its order.

    ``next_offset`` is where the next page starts, or null after the last one.
    Each sample carries ``aspect`` (width / height from its metadata, null where
    unknown): the grid fits its rows to it.
    Fields holding arrays (embeddings) are left out. Any offset costs about
    the same (see ``server/pages.py``).
    """
    # one more than asked tells whether a next page exists
    docs = _early_page(body, body.limit + 1)
    if docs is not None:
        field, samples_of_dataset = body.view[-1]["kwargs"]["field"], False
    else:
        view = get_view(body.dataset, body.view)
        projection = {k: 0 for k in [*heavy_fields(view.dataset), "_rand"]}
        refresh = request.app.state.store.get("refresh")
        docs = page_docs(view, body.offset, body.limit + 1, projection, refresh)
        field = view.patches_field if isinstance(view, PatchesView) else None
        samples_of_dataset = view.dataset.name == body.dataset
    more = len(docs) > body.limit
    if samples_of_dataset:  # not patches: their ids are their labels'
        vouch_filepaths(body.dataset, docs[: body.limit])
    samples = []
    for d in docs[: body.limit]:
        out = sample_json(d)
        out["aspect"] = aspect(d.get("metadata"), d.get(field) if field else None)
        samples.append(out)
    return json_response({
        "samples": samples,
        "offset": body.offset,
        "next_offset": body.offset + body.limit if more else None,
    })  # fmt: skip


def _early_page(body: PageRequest, limit: int) -> list[dict[str, Any]] | None:
    """A page of a patches view read from its source while the patches are made."""
    if not patches.ends_in_patches(body.view):
        return None
    return patches.early_page(get_dataset(body.dataset), body.view, body.offset, limit)


def aspect(metadata: Any, label: Any = None) -> float | None:
    """Width / height from a sample's ``metadata`` (of the box of ``label``, a patch's
    object, when it has one), or None where it is not known."""
    if not isinstance(metadata, dict):
        return None
    w, h = metadata.get("width"), metadata.get("height")
    if not (isinstance(w, (int, float)) and isinstance(h, (int, float)) and w > 0 and h > 0):
        return None
    box = label.get("bounding_box") if isinstance(label, dict) else None
    if isinstance(box, list) and len(box) == 4 and all(isinstance(v, (int, float)) for v in box):
        # the crop's own shape, clipped to the image as the crop is
        bw = min(box[0] + box[2], 1) - max(box[0], 0)
        bh = min(box[1] + box[3], 1) - max(box[1], 0)
        if bw > 0 and bh > 0:
            return round(w * bw / (h * bh), 4)
    return round(w / h, 4)


@router.post("/api/count")
def count(body: ViewRef) -> dict[str, int]:
    """The number of samples in the view.

    A view with no stages is counted from the collection's metadata: a full count
    scans every document (~0.9 s at 1,000,000 samples), and the grid waits for it.
    """
    if patches.ends_in_patches(body.view):  # counted from the source while they are made
        n = patches.early_count(get_dataset(body.dataset), body.view)
        if n is not None:
            return {"count": n}
    return {"count": get_view(body.dataset, body.view).estimated_count()}


@router.post("/api/ids")
def ids(body: IdsRequest) -> dict[str, list[str]]:
    """The ids of the view's samples, in order (for "select all" and shift-click ranges)."""
    view = get_view(body.dataset, body.view)
    steps: list[dict[str, Any]] = []
    if body.offset:
        steps.append({"$skip": body.offset})
    if body.limit:
        steps.append({"$limit": body.limit})
    steps.append({"$project": {"_id": 1}})
    return {"ids": [str(d["_id"]) for d in view.aggregate(steps)]}


class PositionRequest(ViewRef):
    """Which sample: its id."""

    id: str = Field(pattern="^[0-9a-fA-F]{24}$")


@router.post("/api/position")
def position(body: PositionRequest) -> dict[str, int | None]:
    """Where the sample is in the view (0-based), or null when the view lacks it.

    The sample view asks this only for a sample opened from elsewhere (Python,
    another tab), not from the grid: it reads the view's ids in order, one pass.
    """
    return {"index": get_view(body.dataset, body.view).position_of(body.id)}


@router.get("/api/datasets/{name}/samples/{sample_id}")
def one(name: str, sample_id: str) -> dict[str, Any]:
    """One sample with every field (arrays by shape only), for the sample view."""
    dataset = get_dataset(name)
    if not ObjectId.is_valid(sample_id):
        raise SampleNotFoundError(f"{sample_id!r} is not a sample id (24 hex digits)")
    doc = dataset.find_sample_doc(sample_id)
    if doc is None:
        raise SampleNotFoundError(f"No sample with id {sample_id!r} in dataset {name!r}")
    return sample_json(doc)


class GroupsRequest(ViewRef):
    """The field a ``GroupBy`` view groups on."""

    field: str


@router.post("/api/groups")
def groups(body: GroupsRequest) -> dict[str, Any]:
    """The view's runs of equal ``field`` values, in view order: ``[{value, count}]``.

    A ``GroupBy`` view keeps each group contiguous, so these are its groups; the
    grid starts each on a new row under a header.
    """
    view = get_view(body.dataset, body.view)
    out: list[dict[str, Any]] = []
    for value in view.values(body.field):
        key = jsonable(value)
        if out and out[-1]["value"] == key:
            out[-1]["count"] += 1
        else:
            out.append({"value": key, "count": 1})
    return {"field": body.field, "groups": out}
