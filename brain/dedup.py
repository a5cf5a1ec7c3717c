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

KEEP_POLICIES = ("first", "largest", "sharpest", "most_unique", "most_central")
#: the field each scored policy keeps the highest of, and the brain call that writes it
SCORE_FIELDS = {
    "sharpest": ("image_stats.blur", "brain.compute_image_stats"),  # variance of the Laplacian
    "most_unique": ("uniqueness", "brain.compute_uniqueness"),
}
#: what a dry run tells a Python user to do next
APPLY_HINT = "pass dry_run=False to apply"


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
        return self.message()

    def message(self, next_step: str = APPLY_HINT) -> str:
        """The plan in one line; a dry run's ends with ``next_step`` (what to do to apply
        it: the default is for Python; the dashboard says what to click)."""
        verb = "Would remove" if self.dry_run else "Removed"
        if self.kind == "selected":
            msg = f"{verb} {len(self.remove_ids)} selected samples"
        else:
            msg = (f"{verb} {len(self.remove_ids)} samples from {len(self.groups)} {self.kind} "
                   f"duplicate groups, keeping {len(self.keep_ids)}")  # fmt: skip
        if self.dry_run:
            msg += f" (dry run: nothing changed; {next_step})"
        if self.trash_dir:
            msg += f"; {len(self.moved_files)} files moved to {self.trash_dir}"
        return msg


def _choose(samples: SampleCollection, groups: list[list[str]], keep: str) -> list[str]:
    if keep not in KEEP_POLICIES:
        raise BrainError(f"keep must be one of {KEEP_POLICIES}; got {keep!r}")
    if keep == "first":
        return [g[0] for g in groups]
    if keep in SCORE_FIELDS:
        scores = keep_scores(samples, groups, keep)
        # the first of the best wins a tie; a sample without a score never beats one with
        return [max(g, key=lambda i: -np.inf if scores.get(i) is None else scores[i])
                for g in groups]  # fmt: skip
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


def keep_scores(
    samples: SampleCollection, groups: list[list[str]], keep: str
) -> dict[str, float | None]:
    """Each grouped sample's score under policy ``keep`` (``"sharpest"``: its blur
    statistic, higher is sharper; ``"most_unique"``: its uniqueness).

    Raises:
        BrainError: ``keep`` is not a scored policy, or its field was never computed.
    """
    if keep not in SCORE_FIELDS:
        raise BrainError(f"keep={keep!r} has no score; scored policies: {sorted(SCORE_FIELDS)}")
    path, call = SCORE_FIELDS[keep]
    if path.split(".")[0] not in samples.dataset.get_field_schema():
        raise BrainError(f"keep={keep!r} ranks by `{path}`, which this dataset does not have; "
                         f"run {call} first")  # fmt: skip
    wanted = samples.select(sorted({i for g in groups for i in g}))
    ids, values = wanted.values(["id", path])
    return {i: None if v is None else float(v) for i, v in zip(ids, values, strict=True)}


def _keepers(groups: list[list[str]], chosen: list[str], keepers: list[str] | None) -> list[str]:
    """``chosen`` (one id per group) with the group of each of ``keepers`` overridden."""
    if not keepers:
        return chosen
    where = {i: n for n, g in enumerate(groups) for i in g}
    out = list(chosen)
    seen: dict[int, str] = {}
    for i in keepers:
        if i not in where:  # alone now (e.g. its group went with a resumed run): it stays
            continue
        n = where[i]
        if n in seen and seen[n] != i:
            raise BrainError(f"Keepers {seen[n]!r} and {i!r} are in the same group; "
                             "pass one keeper per group")  # fmt: skip
        seen[n] = out[n] = i
    return out


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
    delete_files: bool = False, keepers: list[str] | None = None,
) -> DedupPlan:  # fmt: skip
    """Keep one representative per duplicate group; remove the others.

    Args:
        samples: a dataset or view.
        kind: ``"exact"`` (file hashes) or ``"approximate"`` (near-duplicate groups).
        keep: ``"first"`` (dataset order), ``"largest"`` (most pixels, then bytes),
            ``"sharpest"`` (highest ``image_stats.blur``: run
            :func:`brain.compute_image_stats` first), ``"most_unique"`` (highest
            ``uniqueness``: run :func:`brain.compute_uniqueness` first) or
            ``"most_central"`` (closest to the rest of its group in embedding space).
        dry_run: only report the plan (the default).
        delete_files: also move the removed samples' files to the trash folder.
        keepers: sample ids to keep whatever ``keep`` says (at most one per group,
            e.g. picked by eye in the dashboard's review); other groups follow ``keep``.
            A keeper in no group (alone by now, e.g. after a resumed interrupted
            run removed its copies) stays anyway and is ignored.

    Raises:
        BrainError: a bad ``kind`` or ``keep``, a scored ``keep`` whose field is
            missing, or two keepers in one group.

    Returns:
        The :class:`DedupPlan`.

    Example:
        >>> deduplicate(dataset, kind="approximate", keep="largest")            # dry run
        >>> deduplicate(dataset, kind="approximate", keep="largest", dry_run=False)
    """
    if not dry_run:
        resume_pending(samples.dataset)  # a dedup a crash interrupted is finished first
    groups = duplicate_groups(samples, kind)
    keep_ids = _keepers(groups, _choose(samples, groups, keep), keepers)
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


def remove_samples(
    samples: SampleCollection, dry_run: bool = True, delete_files: bool = False
) -> DedupPlan:  # fmt: skip
    """Remove every sample of ``samples`` (e.g. ``dataset.select(ids)``) from its dataset,
    through the same journalled trash as the dedup calls (restorable with
    :func:`restore_trash` when ``delete_files`` moved the files there).

    Example:
        >>> remove_samples(dataset.select(ids))                      # dry run
        >>> remove_samples(dataset.select(ids), dry_run=False, delete_files=True)
    """
    if not dry_run:
        resume_pending(samples.dataset)
    ids = samples.values("id")
    return _apply(samples, DedupPlan("selected", [], [], ids, dry_run), delete_files)


def move_to_trash(paths: list[str]) -> tuple[str, list[str]]:
    """Move files (of no dataset) into a new journalled trash folder; (folder, moved)."""
    from dataset_core.trash import trash_files

    return trash_files(paths)


__all__ = [
    "KEEP_POLICIES",
    "DedupPlan",
    "deduplicate",
    "keep_scores",
    "move_to_trash",
    "remove_all_duplicates",
    "remove_samples",
    "restore_trash",
]
