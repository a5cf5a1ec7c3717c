"""Removing duplicates: keep one per group, or remove them all. Dry run first.

Both calls default to ``dry_run=True``: they print and return the plan and
change nothing. A real run deletes samples from the dataset only; image files
stay unless ``delete_files=True``, and even then they are *moved* into a
trash folder (``~/.dataset_core/trash/<time>/``) through a write-ahead
journal (:mod:`dataset_core.trash`): a crash at any step loses nothing, a
re-run finishes the job, and :func:`restore_trash` (``dsc trash restore``)
puts files and samples back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from dataset_core.collection import SampleCollection
from dataset_core.trash import restore_trash, resume_pending, trash_samples

from .duplicates import duplicate_groups, embeddings_for
from .errors import BrainError

KEEP_POLICIES = ("first", "largest", "most_central")


@dataclass
class DedupPlan:
    """What a dedup call removes (or would remove, in a dry run)."""

    kind: str
    groups: list[list[str]]
    keep_ids: list[str]
    remove_ids: list[str]
    dry_run: bool
    trash_dir: str | None = None
    moved_files: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        verb = "Would remove" if self.dry_run else "Removed"
        msg = (f"{verb} {len(self.remove_ids)} samples from {len(self.groups)} {self.kind} "
               f"duplicate groups, keeping {len(self.keep_ids)}")  # fmt: skip
        if self.dry_run:
            msg += " (dry run: nothing changed; pass dry_run=False to apply)"
        if self.trash_dir:
            msg += f"; {len(self.moved_files)} files moved to {self.trash_dir}"
        return msg


def _choose(samples: SampleCollection, groups: list[list[str]], keep: str) -> list[str]:
    if keep not in KEEP_POLICIES:
        raise BrainError(f"keep must be one of {KEEP_POLICIES}; got {keep!r}")
    if keep == "first":
        return [g[0] for g in groups]
    if keep == "largest":
        wanted = {i for g in groups for i in g}
        sizes = {}
        for s in samples.select(sorted(wanted)):
            md = s.metadata
            if md is not None and md.width:
                sizes[s.id] = (md.width * md.height, md.size_bytes or 0)
            else:
                sizes[s.id] = (0, os.path.getsize(s.filepath) if os.path.exists(s.filepath) else 0)
        return [max(g, key=lambda i: sizes.get(i, (0, 0))) for g in groups]
    kept = []
    for g in groups:  # most_central: the smallest mean distance to the rest of its group
        emb = embeddings_for(samples, g)
        if emb is None or np.isnan(emb).any():
            kept.append(g[0])
            continue
        x = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
        kept.append(g[int(np.argmin((1 - x @ x.T).mean(axis=1)))])
    return kept


def _apply(samples: SampleCollection, plan: DedupPlan, delete_files: bool) -> DedupPlan:
    dataset = samples.dataset
    if not plan.dry_run and plan.remove_ids:
        res = trash_samples(dataset, plan.remove_ids, move_files=delete_files)
        plan.trash_dir, plan.moved_files = res.trash_dir, res.moved_files
        if res.kept_files:
            print(f"Kept {len(res.kept_files)} files in place: samples that stay read them "
                  f"too (links or second paths), e.g. {res.kept_files[0]}")  # fmt: skip
    print(plan)
    return plan


def deduplicate(
    samples: SampleCollection, kind: str = "exact", keep: str = "first", dry_run: bool = True,
    delete_files: bool = False,
) -> DedupPlan:  # fmt: skip
    """Keep one representative per duplicate group; remove the others.

    Args:
        samples: a dataset or view.
        kind: ``"exact"`` (file hashes) or ``"approximate"`` (near-duplicate groups).
        keep: ``"first"`` (dataset order), ``"largest"`` (most pixels, then bytes)
            or ``"most_central"`` (closest to the rest of its group in embedding space).
        dry_run: only report the plan (the default).
        delete_files: also move the removed samples' files to the trash folder.

    Returns:
        The :class:`DedupPlan`.

    Example:
        >>> deduplicate(dataset, kind="approximate", keep="largest")            # dry run
        >>> deduplicate(dataset, kind="approximate", keep="largest", dry_run=False)
    """
    if not dry_run:
        resume_pending(samples.dataset)  # a dedup a crash interrupted is finished first
    groups = duplicate_groups(samples, kind)
    keep_ids = _choose(samples, groups, keep)
    kept = set(keep_ids)
    remove = [i for g in groups for i in g if i not in kept]
    return _apply(samples, DedupPlan(kind, groups, keep_ids, remove, dry_run), delete_files)


def remove_all_duplicates(
    samples: SampleCollection, kind: str = "exact", dry_run: bool = True,
    delete_files: bool = False,
) -> DedupPlan:  # fmt: skip
    """Remove every sample of every duplicate group (the plugin's "remove all")."""
    if not dry_run:
        resume_pending(samples.dataset)
    groups = duplicate_groups(samples, kind)
    remove = [i for g in groups for i in g]
    return _apply(samples, DedupPlan(kind, groups, [], remove, dry_run), delete_files)


def move_to_trash(paths: list[str]) -> tuple[str, list[str]]:
    """Move files (of no dataset) into a new journalled trash folder; (folder, moved)."""
    from dataset_core.trash import trash_files

    return trash_files(paths)


__all__ = ["DedupPlan", "deduplicate", "move_to_trash", "remove_all_duplicates", "restore_trash"]
