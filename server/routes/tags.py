"""Tagging and untagging samples: a view's, or a list of ids (the selection)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field

from ..context import get_view
from .samples import ViewRef

router = APIRouter(tags=["tags"])


class TagRequest(ViewRef):
    """Tags to add (or, with ``remove``, take off) ``ids`` of the view, or all of it."""

    tags: list[str] = Field(min_length=1)
    ids: list[str] | None = None
    remove: bool = False


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
