"""What an operator is (parameters, preview, run) and how it runs (jobs)."""

from __future__ import annotations

import logging
import re
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dataset_core.errors import DatasetCoreError
from dataset_core.progress import report_progress
from dataset_core.view import DatasetView

from ..errors import JobConflictError

log = logging.getLogger("server")
#: a sample id as the browser sends it
_SAMPLE_ID = re.compile(r"[0-9a-f]{24}")


@dataclass(frozen=True)
class Param:
    """One parameter of an operator, described for the dashboard's form."""

    name: str
    kind: str  # "float", "int", "str", "bool", "choice", "ids" (sample ids, set by the UI)
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
        if self.kind == "ids":
            if not isinstance(value, list) or not all(
                isinstance(v, str) and _SAMPLE_ID.fullmatch(v) for v in value
            ):
                raise DatasetCoreError(f"Parameter {self.name!r} takes a list of sample ids")
            return list(value)
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
    #: the trash folder a removal wrote (its undo restores from there)
    trash_dir: str | None = None
    #: samples it removed (they leave the selection)
    removed_ids: list[str] = field(default_factory=list)


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
    #: acts on the selected samples of the view (the server narrows the view to them)
    on_selection: bool = False

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
            "destructive": self.destructive, "on_selection": self.on_selection,
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
    trash_dir: str | None = None  # where its removals went, for an undo
    removed: int = 0  # samples it removed
    undone: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The JSON form the dashboard polls; ``undo``: it can be undone from the trash."""
        return {"id": self.id, "operator": self.operator, "dataset": self.dataset,
                "status": self.status, "progress": self.progress, "message": self.message,
                "error": self.error, "undo": bool(self.trash_dir) and not self.undone,
                "undone": self.undone}  # fmt: skip


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
            self._refuse_if_busy(name)
            job = Job(uuid.uuid4().hex, op.name, name)
            self._jobs[job.id] = job
        threading.Thread(target=self._run, args=(job, op, view, params), daemon=True).start()
        return job

    def undo(self, job: Job, restore: Callable[[str], Any]) -> Any:
        """Undo ``job``'s removals with ``restore(trash_dir)``, once, while no other
        operator runs on its dataset; returns what ``restore`` returned.

        Raises:
            JobConflictError: an operator is running on the dataset, or the job has
                nothing to undo (it moved nothing to the trash, or was undone already).
        """
        with self._lock:
            self._refuse_if_busy(job.dataset)
            if not job.trash_dir or job.undone:
                why = "was undone already" if job.undone else "kept no trash folder to undo from"
                raise JobConflictError(f"Operator {job.operator!r} {why}")
            job.undone = True  # under the lock: a second click cannot restore twice
            job.status = "running"  # other operators wait for the restore
        try:
            return restore(job.trash_dir)
        except Exception:
            job.undone = False
            raise
        finally:
            job.status = "done"

    def _refuse_if_busy(self, name: str) -> None:
        busy = [j for j in self._jobs.values() if j.dataset == name and j.status == "running"]
        if busy:
            raise JobConflictError(
                f"Operator {busy[0].operator!r} is still running on dataset {name!r}; "
                "wait for it to finish"
            )

    def _run(self, job: Job, op: Operator, view: DatasetView, params: dict[str, Any]) -> None:
        def listener(desc: str, done: int, total: int | None) -> None:
            job.progress = {"desc": desc, "done": done, "total": total}

        outcome = None
        try:
            # what the brain prints goes to the server's terminal: redirecting
            # stdout would swap it for every thread of the user's process
            with report_progress(listener):
                outcome = op.run(view, params)
            job.message, job.trash_dir = outcome.message, outcome.trash_dir
            job.removed = len(outcome.removed_ids)
            job.status = "done"
        except Exception as e:  # noqa: BLE001 - the dashboard shows the reason, the server lives
            if isinstance(e, DatasetCoreError):  # the user's to fix: its one line
                job.error = str(e)
            else:  # a bug: the whole traceback, in the job and the server's log
                job.error = f"{type(e).__name__}: {e}\n{traceback.format_exc()}"
                log.error("operator %s failed", op.name, exc_info=e)
            job.status = "failed"
        self._on_done(job, outcome)


def count_preview(verb: str) -> Action:
    """A preview that says ``"<verb> <n> samples of the current view"``."""

    def preview(view: DatasetView, _params: dict[str, Any]) -> Outcome:
        return Outcome(f"{verb} {len(view)} samples of the current view", changed_samples=False)

    return preview
