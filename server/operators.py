"""Operators: brain and dedup actions the dashboard runs without code.

Each :class:`Operator` has typed parameters, a ``preview`` that says what it
would do (for destructive ones, the dedup dry run's counts) and a ``run`` that
calls the same ``brain`` function Python users call. Runs happen in a
:class:`Job` thread whose progress bars report to the job (see
``dataset_core.progress.report_progress``), so the dashboard can show them.
"""

from __future__ import annotations

import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import brain
from brain.duplicates import APPROX_GROUP_FIELD, APPROX_GROUPS_VIEW, EXACT_VIEW
from dataset_core.errors import DatasetCoreError
from dataset_core.progress import report_progress
from dataset_core.view import DatasetView

from .errors import JobConflictError


@dataclass(frozen=True)
class Param:
    """One parameter of an operator, described for the dashboard's form."""

    name: str
    kind: str  # "float", "int", "str", "bool", "choice"
    default: Any = None
    label: str = ""
    choices: tuple[Any, ...] = ()
    help: str = ""

    def parse(self, value: Any) -> Any:
        """``value`` converted to this parameter's type (None/"" keep the default).

        Raises:
            DatasetCoreError: a value of the wrong type or not among the choices.
        """
        if value is None or value == "":
            return self.default
        try:
            if self.kind == "float":
                return float(value)
            if self.kind == "int":
                return int(value)
            if self.kind == "bool":
                return value if isinstance(value, bool) else str(value).lower() == "true"
        except (TypeError, ValueError):
            raise DatasetCoreError(
                f"Parameter {self.name!r} takes a {self.kind}; got {value!r}"
            ) from None
        if self.kind == "choice" and value not in self.choices:
            raise DatasetCoreError(
                f"Parameter {self.name!r} is one of {list(self.choices)}; got {value!r}"
            )
        return str(value)


@dataclass
class Outcome:
    """What an operator did: a message, and optionally a view for the dashboard to show."""

    message: str
    show_stages: list[dict[str, Any]] | None = None
    show_view_name: str | None = None
    changed_samples: bool = True


Action = Callable[[DatasetView, dict[str, Any]], Outcome]


@dataclass(frozen=True)
class Operator:
    """A named action on the current view."""

    name: str
    label: str
    description: str
    run: Action
    preview: Action
    params: tuple[Param, ...] = ()
    destructive: bool = False

    def parse(self, params: dict[str, Any] | None) -> dict[str, Any]:
        """Every parameter's value, defaults filled in.

        Raises:
            DatasetCoreError: an unknown parameter name or a bad value.
        """
        params = dict(params or {})
        known = {p.name: p for p in self.params}
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise DatasetCoreError(
                f"Operator {self.name!r} has no parameters {unknown}; it takes {sorted(known)}"
            )
        return {name: p.parse(params.get(name)) for name, p in known.items()}

    def describe(self) -> dict[str, Any]:
        """The JSON form the dashboard lists."""
        return {
            "name": self.name, "label": self.label, "description": self.description,
            "destructive": self.destructive,
            "params": [{"name": p.name, "kind": p.kind, "default": p.default,
                        "label": p.label or p.name, "choices": list(p.choices), "help": p.help}
                       for p in self.params],
        }  # fmt: skip


# -- jobs ---------------------------------------------------------------------------


@dataclass
class Job:
    """One operator run in a background thread."""

    id: str
    operator: str
    dataset: str
    status: str = "running"  # running, done, failed
    progress: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form the dashboard polls."""
        return {"id": self.id, "operator": self.operator, "dataset": self.dataset,
                "status": self.status, "progress": self.progress, "message": self.message,
                "error": self.error}  # fmt: skip


class JobRunner:
    """Runs operators one per dataset at a time, and remembers their outcome."""

    def __init__(self, on_done: Callable[[Job, Outcome | None], None]) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._on_done = on_done

    def get(self, job_id: str) -> Job | None:
        """The job ``job_id``, running or finished."""
        return self._jobs.get(job_id)

    def start(self, op: Operator, view: DatasetView, params: dict[str, Any]) -> Job:
        """Run ``op`` on ``view`` in a new thread.

        Raises:
            JobConflictError: another operator is running on the same dataset.
        """
        name = view.dataset_name
        with self._lock:
            busy = [j for j in self._jobs.values() if j.dataset == name and j.status == "running"]
            if busy:
                raise JobConflictError(
                    f"Operator {busy[0].operator!r} is still running on dataset {name!r}; "
                    "wait for it to finish"
                )
            job = Job(uuid.uuid4().hex, op.name, name)
            self._jobs[job.id] = job
        threading.Thread(target=self._run, args=(job, op, view, params), daemon=True).start()
        return job

    def _run(self, job: Job, op: Operator, view: DatasetView, params: dict[str, Any]) -> None:
        def listener(desc: str, done: int, total: int | None) -> None:
            job.progress = {"desc": desc, "done": done, "total": total}

        outcome = None
        try:
            # what the brain prints goes to the server's terminal: redirecting
            # stdout would swap it for every thread of the user's process
            with report_progress(listener):
                outcome = op.run(view, params)
            job.message, job.status = outcome.message, "done"
        except Exception as e:  # noqa: BLE001 - the dashboard shows the reason, the server lives
            job.error = str(e) if isinstance(e, (DatasetCoreError, ValueError)) else (
                f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=5)}"
            )  # fmt: skip
            job.status = "failed"
        self._on_done(job, outcome)


# -- the operators ------------------------------------------------------------------


def _count_preview(verb: str) -> Action:
    def preview(view: DatasetView, _params: dict[str, Any]) -> Outcome:
        return Outcome(f"{verb} {len(view)} samples of the current view", changed_samples=False)

    return preview


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


def _removal(kind: str, keep_one: bool, dry_run: bool) -> Action:
    def act(view: DatasetView, params: dict[str, Any]) -> Outcome:
        trash = params["move_files_to_trash"]
        if keep_one:
            plan = brain.deduplicate(
                view, kind=kind, keep=params["keep"], dry_run=dry_run, delete_files=trash
            )
        else:
            plan = brain.remove_all_duplicates(view, kind=kind, dry_run=dry_run, delete_files=trash)
        return Outcome(str(plan), changed_samples=not dry_run)

    return act


_BRAIN_KEY = Param("brain_key", "str", "sim", "similarity index")
_TRASH = Param(
    "move_files_to_trash", "bool", False, "also move the image files to the trash",
    help="files go to ~/.dataset_core/trash/, restorable with brain.restore_trash",
)  # fmt: skip
_KEEP = Param("keep", "choice", "first", "keep", ("first", "largest", "most_central"))


def _removal_ops(kind: str) -> list[Operator]:
    other = "near-duplicate" if kind == "approximate" else "exact duplicate"
    return [
        Operator(f"remove_all_{kind}_duplicates", f"Dedup: remove all {kind} duplicates",
                 f"Delete every sample of every {other} group", _removal(kind, False, False),
                 _removal(kind, False, True), (_TRASH,), destructive=True),
        Operator(f"deduplicate_{kind}_duplicates", f"Dedup: keep one per {kind} group",
                 f"Keep one representative of each {other} group, delete the rest",
                 _removal(kind, True, False), _removal(kind, True, True), (_KEEP, _TRASH),
                 destructive=True),
    ]  # fmt: skip


OPERATORS: dict[str, Operator] = {op.name: op for op in [
    Operator("compute_file_hashes", "Compute file hashes", "sha1 of every file (`file_hash`)",
             _hashes, _count_preview("Hash the files of")),
    Operator("compute_similarity", "Compute embeddings / similarity index",
             "Embed every image and build a similarity index", _similarity,
             _count_preview("Embed"), (_BRAIN_KEY,)),
    Operator("compute_uniqueness", "Compute uniqueness", "Score how unique each image is",
             _uniqueness, _count_preview("Score")),
    Operator("find_exact_duplicates", "Dedup: find exact duplicates",
             "Group identical files; saves exact_dup_view", _find_exact,
             _count_preview("Hash and group")),
    Operator("find_approximate_duplicates", "Dedup: find approximate duplicates",
             "Group near-duplicate images; saves approx_dup_view and approx_dup_groups_view",
             _find_approx, _count_preview("Look for near-duplicates among"),
             (_BRAIN_KEY,
              Param("thresh", "float", None, "distance threshold",
                    help="cosine distance; empty: the verified default"),
              Param("fraction", "float", None, "or fraction to mark",
                    help="mark this fraction of the samples as duplicates"))),
    Operator("display_exact_duplicate_groups", "Dedup: show exact duplicate groups",
             "Show exact_dup_view grouped by file hash", _show_groups("exact"),
             _count_preview("Show groups from")),
    Operator("display_approximate_duplicate_groups", "Dedup: show approximate duplicate groups",
             "Show approx_dup_groups_view", _show_groups("approximate"),
             _count_preview("Show groups from")),
    *_removal_ops("exact"),
    *_removal_ops("approximate"),
]}  # fmt: skip


def preview(op: Operator, view: DatasetView, params: dict[str, Any]) -> Outcome:
    """What ``op`` would do on ``view``; destructive ones run their dry run."""
    return op.preview(view, params)
