"""The dedup plugin's operators (and the embeddings they need), over ``brain``."""

from __future__ import annotations

from typing import Any

import brain
from brain.dedup import KEEP_POLICIES
from brain.duplicates import APPROX_GROUP_FIELD, APPROX_GROUPS_VIEW, EXACT_VIEW
from dataset_core.errors import DatasetCoreError
from dataset_core.view import DatasetView

from .base import Action, Operator, Outcome, Param, count_preview


def _hashes(view: DatasetView, _params: dict[str, Any]) -> Outcome:
    groups = brain.find_exact_duplicates(view, save_view=False)
    return Outcome(f"Hashed {len(view)} files: {len(groups)} groups of identical files")


def _similarity(view: DatasetView, params: dict[str, Any]) -> Outcome:
    index = brain.compute_similarity(view, brain_key=params["brain_key"])
    return Outcome(f"Similarity index {params['brain_key']!r} of {index.total_index_size} images")


def _uniqueness(view: DatasetView, _params: dict[str, Any]) -> Outcome:
    brain.compute_uniqueness(view)
    return Outcome(f"Wrote `uniqueness` on {len(view)} samples (sort by it in the sidebar)")


def _find_exact(view: DatasetView, _params: dict[str, Any]) -> Outcome:
    groups = brain.find_exact_duplicates(view)
    n = sum(len(g) for g in groups.values())
    shown = _saved(view, EXACT_VIEW) if groups else (None, None)
    return Outcome(f"{len(groups)} groups of exact duplicates ({n} samples); saved view "
                   f"{EXACT_VIEW!r}", *shown)  # fmt: skip


def _find_approx(view: DatasetView, params: dict[str, Any]) -> Outcome:
    index = brain.find_approximate_duplicates(
        view, brain_key=params["brain_key"], thresh=params["thresh"], fraction=params["fraction"]
    )
    shown = _saved(view, APPROX_GROUPS_VIEW) if index.neighbors_map else (None, None)
    return Outcome(
        f"{len(index.neighbors_map)} groups of near-duplicates "
        f"({len(index.duplicate_ids)} redundant samples); saved views approx_dup_view, "
        f"{APPROX_GROUPS_VIEW}", *shown,
    )  # fmt: skip


def _saved(view: DatasetView, name: str) -> tuple[list[dict[str, Any]] | None, str | None]:
    return view.dataset.load_saved_view(name).to_dict()["stages"], name


def _show_groups(kind: str) -> Action:
    def show(view: DatasetView, _params: dict[str, Any]) -> Outcome:
        dataset = view.dataset
        if kind == "exact":
            if not dataset.has_saved_view(EXACT_VIEW):
                raise DatasetCoreError("No exact duplicates yet: run 'Find exact duplicates'")
            key = "pixel_hash" if "pixel_hash" in dataset.get_field_schema() else "file_hash"
            groups = dataset.load_saved_view(EXACT_VIEW).group_by(key)
            return Outcome(f"{EXACT_VIEW}, grouped by {key}", groups.to_dict()["stages"],
                           changed_samples=False)  # fmt: skip
        if not dataset.has_saved_view(APPROX_GROUPS_VIEW):
            raise DatasetCoreError("No near-duplicates yet: run 'Find approximate duplicates'")
        return Outcome(f"{APPROX_GROUPS_VIEW} (grouped by {APPROX_GROUP_FIELD})",
                       *_saved(view, APPROX_GROUPS_VIEW), changed_samples=False)  # fmt: skip

    return show


#: what a dry run's message tells a browser user to do next (Python's says dry_run=False)
REVIEW_HINT = "Review the groups (Review duplicates…), then Confirm"
CONFIRM_HINT = "Confirm to remove them"


def _removal(kind: str, keep_one: bool, dry_run: bool) -> Action:
    def act(view: DatasetView, params: dict[str, Any]) -> Outcome:
        trash = params["move_files_to_trash"]
        if keep_one:
            plan = brain.deduplicate(view, kind=kind, keep=params["keep"], dry_run=dry_run,
                                     delete_files=trash, keepers=params["keepers"])  # fmt: skip
        else:
            plan = brain.remove_all_duplicates(view, kind=kind, dry_run=dry_run, delete_files=trash)
        return _plan_outcome(plan, REVIEW_HINT if keep_one else CONFIRM_HINT)

    return act


def _plan_outcome(plan: brain.DedupPlan, next_step: str) -> Outcome:
    return Outcome(plan.message(next_step), changed_samples=not plan.dry_run,
                   trash_dir=plan.trash_dir,
                   removed_ids=[] if plan.dry_run else plan.remove_ids)  # fmt: skip


def _delete_selected(dry_run: bool) -> Action:
    def act(view: DatasetView, params: dict[str, Any]) -> Outcome:
        # the route narrowed `view` to the selection (Operator.on_selection)
        plan = brain.remove_samples(view, dry_run=dry_run,
                                    delete_files=params["move_files_to_trash"])  # fmt: skip
        return _plan_outcome(plan, CONFIRM_HINT)

    return act


_BRAIN_KEY = Param("brain_key", "str", "sim", "similarity index")
_TRASH = Param(
    "move_files_to_trash", "bool", False, "also move the image files to the trash",
    help="files go to ~/.dataset_core/trash/; Undo (or `dsc trash restore`) brings them back",
)  # fmt: skip
_KEEP = Param("keep", "choice", "first", "keep", KEEP_POLICIES)
_KEEPERS = Param("keepers", "ids", None, "keepers",
                 help="ids to keep whatever the rule says (the review's picks)")  # fmt: skip


def _removal_ops(kind: str) -> list[Operator]:
    other = "near-duplicate" if kind == "approximate" else "exact duplicate"
    return [
        Operator(f"remove_all_{kind}_duplicates", f"Dedup: remove all {kind} duplicates",
                 f"Delete every sample of every {other} group", _removal(kind, False, False),
                 _removal(kind, False, True), (_TRASH,), destructive=True),
        Operator(f"deduplicate_{kind}_duplicates", f"Dedup: keep one per {kind} group",
                 f"Keep one representative of each {other} group, delete the rest",
                 _removal(kind, True, False), _removal(kind, True, True),
                 (_KEEP, _TRASH, _KEEPERS), destructive=True),
    ]  # fmt: skip


DEDUP_OPERATORS: list[Operator] = [
    Operator("compute_file_hashes", "Compute file hashes", "sha1 of every file (`file_hash`)",
             _hashes, count_preview("Hash the files of")),
    Operator("compute_similarity", "Compute embeddings / similarity index",
             "Embed every image and build a similarity index", _similarity,
             count_preview("Embed"), (_BRAIN_KEY,)),
    Operator("compute_uniqueness", "Compute uniqueness", "Score how unique each image is",
             _uniqueness, count_preview("Score")),
    Operator("find_exact_duplicates", "Dedup: find exact duplicates",
             "Group identical files; saves exact_dup_view", _find_exact,
             count_preview("Hash and group")),
    Operator("find_approximate_duplicates", "Dedup: find approximate duplicates",
             "Group near-duplicate images; saves approx_dup_view and approx_dup_groups_view",
             _find_approx, count_preview("Look for near-duplicates among"),
             (_BRAIN_KEY,
              Param("thresh", "float", None, "distance threshold",
                    help="cosine distance; empty: the verified default"),
              Param("fraction", "float", None, "or fraction to mark",
                    help="mark this fraction of the samples as duplicates"))),
    Operator("display_exact_duplicate_groups", "Dedup: show exact duplicate groups",
             "Show exact_dup_view grouped by file hash", _show_groups("exact"),
             count_preview("Show groups from")),
    Operator("display_approximate_duplicate_groups", "Dedup: show approximate duplicate groups",
             "Show approx_dup_groups_view", _show_groups("approximate"),
             count_preview("Show groups from")),
    *_removal_ops("exact"),
    *_removal_ops("approximate"),
    Operator("delete_selected_samples", "Delete selected samples",
             "Remove the ticked samples from the dataset (their files too, to the trash, "
             "when ticked below)", _delete_selected(False), _delete_selected(True),
             (_TRASH,), destructive=True, on_selection=True),
]  # fmt: skip
