"""The object analyses as operators: uniqueness, near-duplicates, outliers, label
issues and clusters of the objects of a Detections field (``brain/objects.py``).

Each takes ``patches_field`` (empty: the first Detections field of the dataset,
or the field of the patches view the dashboard shows), calls the same ``brain``
function with ``patches_field=`` on the current view, and then shows the patches
of what it found: the current stages, ``ToPatches(field)`` (unless the view is
those patches already), a match on the attribute or label tag it wrote, sorted
by its score. Nothing is removed, so there is no dry run: the preview counts.
"""

from __future__ import annotations

from typing import Any

import brain
import dataset_core as dc
from brain.duplicates import APPROX_GROUP_FIELD
from dataset_core import F, Match, SortBy, ToPatches
from dataset_core.errors import DatasetCoreError
from dataset_core.view import DatasetView

from .base import Action, Operator, Outcome, Param

_FIELD = Param("patches_field", "str", None, "Detections field",
               help="empty: the first Detections field")  # fmt: skip


def object_field(view: DatasetView, name: str | None) -> str:
    """The Detections field an object operator works on: ``name``, else the field of
    the patches view ``view`` is, else the first Detections field of the dataset.

    Raises:
        DatasetCoreError: the dataset has no Detections field, or ``view`` is the
            patches of another field than ``name``.
    """
    shown = getattr(view, "patches_field", None)
    if shown is not None:
        if name and name != shown:
            raise DatasetCoreError(
                f"The current view shows the patches of {shown!r}, not of {name!r}: "
                "leave the field empty or go back to the samples"
            )
        return shown
    if name:
        if _list_attr(view, name) is None:
            fields = list(view.get_field_schema(embedded_doc_type=dc.Detections))
            raise DatasetCoreError(
                f"{name!r} is not a Detections field of dataset {view.dataset_name!r}; "
                f"its Detections fields: {fields}"
            )
        return name
    fields = list(view.get_field_schema(embedded_doc_type=dc.Detections))
    if not fields:
        raise DatasetCoreError(
            f"Dataset {view.dataset_name!r} has no Detections field: the object operators "
            "work on the objects of one"
        )
    return fields[0]


#: the label lists whose objects the analyses score, by their list attribute
_LISTS = {dc.Detections: "detections", dc.Polylines: "polylines", dc.Keypoints: "keypoints"}


def _list_attr(view: DatasetView, field: str) -> str | None:
    """The list attribute of label list field ``field`` (``"detections"``), or None."""
    f = view.get_field_schema().get(field)
    return _LISTS.get(getattr(f, "document_type", None))


def _patches(view: DatasetView, field: str, *stages: Any) -> list[dict[str, Any]]:
    """The stages of ``view``'s patches of ``field`` (made if it is not them), then ``stages``."""
    out = view.to_dict()["stages"]
    if getattr(view, "patches_field", None) != field:
        out.append(ToPatches(field).to_dict())
    return [*out, *(s.to_dict() for s in stages)]


def _tagged(view: DatasetView, field: str, tag: str, score: str) -> list[dict[str, Any]]:
    return _patches(view, field, Match(F(f"{field}.tags").contains(tag)),
                    SortBy(f"{field}.{score}", reverse=True))  # fmt: skip


def _uniqueness(view: DatasetView, params: dict[str, Any]) -> Outcome:
    field = object_field(view, params["patches_field"])
    scores = brain.compute_uniqueness(view, patches_field=field)
    return Outcome(f"Wrote `uniqueness` on {len(scores)} objects of {field!r}; showing "
                   "their patches, most unique first",
                   _patches(view, field, SortBy(f"{field}.uniqueness", reverse=True)))  # fmt: skip


def _duplicates(view: DatasetView, params: dict[str, Any]) -> Outcome:
    field = object_field(view, params["patches_field"])
    index = brain.find_approximate_duplicates(view, patches_field=field, thresh=params["thresh"],
                                              fraction=params["fraction"])  # fmt: skip
    groups = len(index.neighbors_map)
    group = f"{field}.{APPROX_GROUP_FIELD}"
    shown = _patches(view, field, Match(F(group).exists()), SortBy(group)) if groups else None
    return Outcome(f"{groups} groups of near-duplicate objects in {field!r} "
                   f"({len(index.duplicate_ids)} redundant objects); `{APPROX_GROUP_FIELD}` "
                   "written" + ("; showing them group by group" if groups else ""),
                   shown)  # fmt: skip


def _outliers(view: DatasetView, params: dict[str, Any]) -> Outcome:
    field = object_field(view, params["patches_field"])
    res = brain.compute_outliers(view, lower_threshold=params["lower_threshold"],
                                 patches_field=field)  # fmt: skip
    n = len(res.outlier_ids)
    shown = _tagged(view, field, "outlier", "outlier_score") if n else None
    return Outcome(f"Tagged {n} outlier objects of {field!r} (label tag `outlier`); "
                   "`outlier_score` on every object" + ("; showing them" if n else ""),
                   shown)  # fmt: skip


def _label_issues(view: DatasetView, params: dict[str, Any]) -> Outcome:
    field = object_field(view, params["patches_field"])
    res = brain.compute_label_issues(view, patches_field=field)
    n = len(res.flagged)
    shown = _tagged(view, field, "label_issue", "label_issue_score") if n else None
    return Outcome(f"Tagged {n} likely label mistakes among the objects of {field!r} "
                   "(label tag `label_issue`); `label_issue_score` and `suggested_label` "
                   "written" + ("; showing them" if n else ""), shown)  # fmt: skip


def _clusters(view: DatasetView, params: dict[str, Any]) -> Outcome:
    field = object_field(view, params["patches_field"])
    method = params["method"]
    res = brain.compute_clusters(view, method=method, k=params["k"], patches_field=field)
    attr = "component_id" if method == "components" else "kmeans_cluster"
    big = int(res.sizes.max()) if len(res.sizes) else 0
    return Outcome(f"{len(res.sizes)} clusters of the objects of {field!r} ({method}); the "
                   f"largest has {big}; showing them cluster by cluster (`{attr}`)",
                   _patches(view, field, Match(F(f"{field}.{attr}").exists()),
                            SortBy(f"{field}.{attr}")))  # fmt: skip


def _count(verb: str) -> Action:
    """A preview that says ``"<verb> the <n> objects of <field> of the current view"``."""

    def preview(view: DatasetView, params: dict[str, Any]) -> Outcome:
        field = object_field(view, params["patches_field"])
        patches = getattr(view, "patches_field", None) == field
        n = view.count(field if patches else f"{field}.{_list_attr(view, field)}")
        return Outcome(f"{verb} the {n} objects of {field!r} in the current view",
                       changed_samples=False)  # fmt: skip

    return preview


OBJECT_OPERATORS: list[Operator] = [
    Operator("compute_object_uniqueness", "Objects: uniqueness",
             "Score how unique each object (box) is; `uniqueness` goes into its label",
             _uniqueness, _count("Score"), (_FIELD,)),
    Operator("find_duplicate_objects", "Objects: find duplicate objects",
             "Group near-duplicate objects (the same thing boxed twice, in one image or "
             "two); `approx_dup_group_id` goes into their labels", _duplicates,
             _count("Look for near-duplicates among"),
             (_FIELD,
              Param("thresh", "float", None, "distance threshold",
                    help="cosine distance; empty: the default"),
              Param("fraction", "float", None, "or fraction to mark",
                    help="mark this fraction of the objects as duplicates"))),
    Operator("compute_object_outliers", "Objects: find outlier objects",
             "Score objects by distance to their neighbours; tag the farthest `outlier`",
             _outliers, _count("Score"),
             (_FIELD, Param("lower_threshold", "float", 0.05, "fraction to tag"))),
    Operator("compute_object_label_issues", "Objects: find label mistakes",
             "Objects whose class disagrees with their nearest objects' classes; tagged "
             "`label_issue`", _label_issues, _count("Check the classes of"), (_FIELD,)),
    Operator("compute_object_clusters", "Objects: clusters",
             "A cluster id in every object's label (connected components or k-means)",
             _clusters, _count("Cluster"),
             (_FIELD, Param("method", "choice", "components", "method", ("components", "kmeans")),
              Param("k", "int", 100, "k (k-means)"))),
]  # fmt: skip
