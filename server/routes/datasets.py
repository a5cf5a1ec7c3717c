"""Datasets: the list, and one dataset's description (schema, views, runs)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

import brain
import dataset_core as dc

from ..context import get_dataset, jsonable

router = APIRouter(tags=["datasets"])


@router.get("/api/datasets")
def list_datasets() -> list[dict[str, Any]]:
    """Every dataset with its number of samples (the collection's own count:
    one read of the dataset documents, no dataset loaded, no scan)."""
    return [{"name": d["name"], "count": d["num_samples"]} for d in dc.list_datasets(info=True)]


def describe(ds: dc.Dataset) -> dict[str, Any]:
    """What the dashboard needs to know about a dataset before showing it."""
    runs = []
    for key in brain.list_brain_runs(ds):
        info = brain.get_brain_info(ds, key)
        runs.append({"key": key, "method": info.method, "timestamp": jsonable(info.timestamp),
                     "config": jsonable(info.config)})  # fmt: skip
    return {
        "name": ds.name,
        "media_type": ds.media_type,
        # the collection's own count (metadata, no scan): this is for display;
        # the grid's layout uses the exact count of its view (/api/count)
        "count": ds.estimated_count(),
        "schema": {k: f.to_dict() for k, f in ds.get_field_schema().items()},
        "classes": {f: list(c) for f, c in ds.classes.items()},
        "default_classes": list(ds.default_classes),
        "saved_views": ds.list_saved_views(),
        "brain_runs": runs,
    }


@router.get("/api/datasets/{name}")
def read_dataset(name: str) -> dict[str, Any]:
    """The dataset's name, count, field schema, classes, saved views and brain runs."""
    return describe(get_dataset(name))


@router.get("/api/datasets/{name}/visualization/{brain_key}")
def visualization(name: str, brain_key: str) -> dict[str, Any]:
    """The 2-D points of a visualization run: ``{"ids": [...], "points": [[x, y], ...]}``."""
    from brain.visualization import load_points

    ids, points = load_points(get_dataset(name), brain_key)
    return {"ids": list(ids), "points": [[float(x), float(y)] for x, y in points]}
