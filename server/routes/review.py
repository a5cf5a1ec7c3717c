"""The duplicates review: every group of a dedup dry run with the sample its rule keeps.

The dashboard draws one row per group and lets the user pick other keepers;
its Confirm runs the ``deduplicate_<kind>_duplicates`` operator with those
keepers (``params.keepers``), through the same preview-then-run path as every
destructive operator, so this route itself changes nothing.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

import brain
from brain.dedup import KEEP_POLICIES, SCORE_FIELDS, keep_scores

from ..context import get_view, json_response, jsonable
from .samples import ViewRef

router = APIRouter(tags=["review"])

#: what each tile of the review shows besides its thumbnail
_INFO = ("id", "filepath", "metadata.width", "metadata.height", "metadata.size_bytes")


class ReviewRequest(ViewRef):
    """Which duplicates (``exact`` or ``approximate``) and the rule that picks the keepers."""

    kind: str = "approximate"
    keep: str = "first"


@router.post("/api/review")
def review(body: ReviewRequest) -> Response:
    """The groups of the dry run ``brain.deduplicate(view, kind, keep)``: each a list of
    samples (id, file name, size, the rule's score) with the keeper's id, plus the
    view's count. Raises the brain's error when the duplicates were never found."""
    view = get_view(body.dataset, body.view)
    plan = brain.deduplicate(view, kind=body.kind, keep=body.keep)
    ids = [i for g in plan.groups for i in g]
    scores = keep_scores(view, plan.groups, body.keep) if body.keep in SCORE_FIELDS else {}
    info: dict[str, dict[str, Any]] = {}
    if ids:
        ids_, paths, widths, heights, sizes = view.select(ids).values(list(_INFO))
        for i, path, w, h, size in zip(ids_, paths, widths, heights, sizes, strict=True):
            info[i] = {"id": i, "name": os.path.basename(path), "width": w, "height": h,
                       "size_bytes": size, "score": scores.get(i)}  # fmt: skip
    return json_response(jsonable({
        "kind": body.kind, "keep": body.keep, "keep_policies": list(KEEP_POLICIES),
        "count": len(view),
        "groups": [{"samples": [info[i] for i in g], "keep": k}
                   for g, k in zip(plan.groups, plan.keep_ids, strict=True)],
    }))  # fmt: skip
