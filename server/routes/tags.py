"""Tagging and untagging samples: a view's, or a list of ids (the selection)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field

from ..context import get_view
from .samples import MAX_IDS, ViewRef

router = APIRouter(tags=["tags"])


class TagRequest(ViewRef):
    """Tags to add (or, with ``remove``, take off) ``ids`` of the view, or all of it."""

    tags: list[str] = Field(min_length=1)
    ids: list[str] | None = None
    remove: bool = False


class TagCountsRequest(ViewRef):
    """The tagging target: ``ids`` of the view (the selection), or all of it."""

    ids: list[str] | None = Field(None, max_length=MAX_IDS)


@router.post("/api/tag")
def tag(body: TagRequest, request: Request) -> dict[str, Any]:
    """Tag (or untag) samples in one bulk write; every client is told to refresh."""
    target = get_view(body.dataset, body.view)
    if body.ids is not None:
        target = target.select(body.ids)
    if body.remove:
        target.untag_samples(body.tags)
    else:
        target.tag_samples(body.tags)
    request.app.state.store.bump_refresh()
    return {"count": len(target), "tags": body.tags, "removed": body.remove}


@router.post("/api/tag_counts")
def tag_counts(body: TagCountsRequest) -> dict[str, Any]:
    """What the tag popover lists: every tag of the dataset with its count there
    and in the target (the selected ``ids`` of the view, else the whole view).

    Returns:
        ``{"count": samples in the target, "dataset": {tag: n}, "target": {tag: n}}``
    """
    view = get_view(body.dataset, body.view)
    target = view.select(body.ids) if body.ids is not None else view
    return {"count": len(target), "dataset": view.dataset.count_sample_tags(),
            "target": target.count_sample_tags()}  # fmt: skip
