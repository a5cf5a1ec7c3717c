"""Saved views of a dataset: list (with their stages), save, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from dataset_core.errors import DatasetCoreError

from ..context import get_dataset, get_view, jsonable

router = APIRouter(tags=["saved views"])


class SaveViewRequest(BaseModel):
    """A view to save under ``name``."""

    name: str = Field(min_length=1)
    view: list[dict[str, Any]] = Field(default_factory=list)
    description: str | None = None
    overwrite: bool = False


@router.get("/api/datasets/{name}/saved_views")
def list_views(name: str) -> list[dict[str, Any]]:
    """Every saved view: name, description and the stages to show it."""
    dataset = get_dataset(name)
    out = []
    for info in dataset.list_saved_views(info=True):
        entry = jsonable(info)
        try:
            entry["stages"] = dataset.load_saved_view(info["name"]).to_dict()["stages"]
        except DatasetCoreError as e:  # a view that no longer applies: listed, not fatal
            entry["stages"], entry["error"] = None, str(e)
        out.append(entry)
    return out


@router.post("/api/datasets/{name}/saved_views")
def save_view(name: str, body: SaveViewRequest, request: Request) -> dict[str, Any]:
    """Save the view; the current state then names it."""
    view = get_view(name, body.view)
    view.dataset.save_view(body.name, view, description=body.description, overwrite=body.overwrite)
    store = request.app.state.store
    if store.get("dataset") == name and store.get("view") == body.view:
        store.apply({"view": body.view, "view_name": body.name})
    return {"name": body.name, "saved_views": view.dataset.list_saved_views()}


@router.delete("/api/datasets/{name}/saved_views/{view_name}")
def delete_view(name: str, view_name: str) -> dict[str, Any]:
    """Delete a saved view (the samples are untouched)."""
    dataset = get_dataset(name)
    dataset.delete_saved_view(view_name)
    return {"saved_views": dataset.list_saved_views()}
