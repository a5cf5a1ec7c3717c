"""Brain runs: what each analysis did, persisted with its results.

A run is recorded in the dataset document under ``brain_runs[key]``: the
method, its config, when it ran, the view it ran on (serialised stages) and
the GridFS file holding its arrays (one ``.npz``: never JSON lists of floats).
Loading a run reads those arrays back without recomputing anything.

This is the data layer's run API (FiftyOne's names, also methods of every
dataset and view: ``list_brain_runs``, ``get_brain_info``,
``load_brain_results``, ``rename_brain_run``, ``delete_brain_run``); the brain
records its runs through :func:`save_run`. A run may name the class that reads
its results back (``results_cls``, ``"module:Class"`` with a
``load(samples, key)`` classmethod), as FiftyOne's run configs do; the data
layer loads it by that recorded name and names no upper floor itself.
"""

from __future__ import annotations

import builtins
import importlib
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import gridfs
import numpy as np
from bson import ObjectId

from .db import get_db, translate_errors
from .errors import DatasetCoreError
from .sample import utcnow

if TYPE_CHECKING:
    from .collection import SampleCollection
    from .dataset import Dataset

#: the GridFS bucket where runs store their arrays, tagged with the dataset's id
GRIDFS_BUCKET = "brain_results"

#: the arrays of the run saved or loaded last stay in memory (copies are handed
#: out) when they are at most this big: a pipeline that computes a similarity
#: run and then uniqueness and duplicates from it reads GridFS once, not thrice,
#: while a huge run (1M embeddings: 5 GB) is never held twice
RUN_CACHE_BYTES = 512 << 20
_last_arrays: dict[str, dict[str, np.ndarray]] = {}


def _remember(results_id: str, arrays: dict[str, np.ndarray]) -> None:
    _last_arrays.clear()
    if sum(a.nbytes for a in arrays.values()) <= RUN_CACHE_BYTES:
        _last_arrays[results_id] = {k: np.array(v, copy=True) for k, v in arrays.items()}


class BrainRunNotFoundError(DatasetCoreError, KeyError):
    """A brain key that the dataset has no run for."""

    http_status = 404

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass
class BrainRunInfo:
    """The record of one run."""

    key: str
    method: str
    config: dict[str, Any]
    timestamp: datetime
    view_stages: list[dict[str, Any]] = field(default_factory=list)
    results_id: str | None = None
    #: ``"module:Class"`` whose ``load(samples, key)`` reads the results back
    results_cls: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        return {
            "key": self.key,
            "method": self.method,
            "config": self.config,
            "timestamp": self.timestamp,
            # a JSON string: dicts with "_cls" keys inside a mongoengine DictField
            # would be taken for documents when the dataset loads
            "view_stages": json.dumps(self.view_stages),
            "results_id": self.results_id,
            "results_cls": self.results_cls,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BrainRunInfo:
        """Inverse of :meth:`to_dict`."""
        stages = d.get("view_stages") or "[]"
        return cls(d["key"], d["method"], d.get("config", {}), d["timestamp"],
                   json.loads(stages) if isinstance(stages, str) else stages,
                   d.get("results_id"), d.get("results_cls"))  # fmt: skip


def _bucket() -> gridfs.GridFS:
    return gridfs.GridFS(get_db(), collection=GRIDFS_BUCKET)


def _owner(samples: SampleCollection) -> Dataset:
    """The dataset holding the runs of ``samples``: its own, or for a patches view
    the dataset the patches come from (a run on patches belongs to that dataset,
    and its runs answer for the patches, as in FiftyOne)."""
    dataset = samples._dataset
    return getattr(dataset, "_runs_owner", dataset)


def _view_stages(samples: SampleCollection) -> list[dict[str, Any]]:
    stages = getattr(samples, "_stages", None) or ()
    return [s.to_dict() for s in stages]


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not key or "." in key or key.startswith("$"):
        raise DatasetCoreError(
            f"Invalid brain key {key!r}: use a non-empty name without '.' or '$'"
        )


@translate_errors
def save_run(
    samples: SampleCollection, key: str, method: str, config: dict[str, Any],
    arrays: dict[str, np.ndarray] | None = None, results_cls: str | None = None,
) -> BrainRunInfo:  # fmt: skip
    """Record a run (replacing an earlier run of the same key) with its arrays.

    ``results_cls`` (``"module:Class"``) names what :func:`load_brain_results`
    returns for it; without one it returns the arrays.
    """
    _check_key(key)
    dataset = _owner(samples)
    results_id = None
    if arrays:
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        results_id = str(
            _bucket().put(
                buf.getvalue(),
                filename=f"{dataset.name}/{key}.npz",
                metadata={"dataset_id": str(dataset._doc.id)},
            )
        )
        _remember(results_id, {k: np.asarray(v) for k, v in arrays.items()})
    old = dataset._doc.brain_runs.get(key)
    info = BrainRunInfo(key, method, config, utcnow(), _view_stages(samples), results_id,
                        results_cls)  # fmt: skip
    dataset._update_doc({"$set": {f"brain_runs.{key}": info.to_dict()}})
    dataset._doc.brain_runs[key] = info.to_dict()
    if old and old.get("results_id"):
        _delete_file(old["results_id"])
    return info


def _delete_file(results_id: str) -> None:
    try:
        _bucket().delete(ObjectId(results_id))
    except gridfs.errors.NoFile:
        pass


def _run_type(type: Any) -> str:  # noqa: A002 - FiftyOne's argument name
    """A run type given as a string, or a class (or instance) named after it."""
    if isinstance(type, str):
        return type.rsplit(".", 1)[-1].lower()
    cls = type if isinstance(type, builtins.type) else builtins.type(type)
    return str(getattr(cls, "run_type", cls.__name__)).lower()


def list_brain_runs(samples: SampleCollection, type: Any = None,  # noqa: A002
                    method: str | None = None, **kwargs: Any) -> list[str]:  # fmt: skip
    """The brain keys of the dataset, sorted, optionally only some (FiftyOne's filters).

    Args:
        samples: a dataset or view.
        type: the kind of run, e.g. ``"similarity"``, ``"visualization"``,
            ``"uniqueness"`` (or a class named so).
        method: the run's kind, or the method of its config (``"umap"``, ``"pca"``).
        **kwargs: config values the runs must have, e.g. ``metric="cosine"``.
    """
    runs = _owner(samples)._doc.brain_runs
    kind = None if type is None else _run_type(type)
    keys = []
    for key, run in runs.items():
        config = run.get("config") or {}
        if kind is not None and str(run.get("method", "")).lower() != kind:
            continue
        if method is not None and method not in (run.get("method"), config.get("method")):
            continue
        if any(config.get(k) != v for k, v in kwargs.items()):
            continue
        keys.append(key)
    return sorted(keys)


def get_brain_info(samples: SampleCollection, key: str) -> BrainRunInfo:
    """The record of run ``key``.

    Raises:
        BrainRunNotFoundError: no such run; the message lists the runs there are.
    """
    dataset = _owner(samples)
    run = dataset._doc.brain_runs.get(key)
    if run is None:
        raise BrainRunNotFoundError(
            f"Dataset {dataset.name!r} has no brain run {key!r}; runs: {list_brain_runs(dataset)}"
        )
    return BrainRunInfo.from_dict(run)


@translate_errors
def load_run_arrays(samples: SampleCollection, key: str) -> dict[str, np.ndarray]:
    """The arrays stored by run ``key``."""
    info = get_brain_info(samples, key)
    if not info.results_id:
        return {}
    cached = _last_arrays.get(info.results_id)
    if cached is not None:  # results files are never rewritten: same id, same arrays
        return {k: v.copy() for k, v in cached.items()}
    try:
        data = _bucket().get(ObjectId(info.results_id)).read()
    except gridfs.errors.NoFile:
        raise BrainRunNotFoundError(
            f"The results of brain run {key!r} are missing from the database; run it again"
        ) from None
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    _remember(info.results_id, arrays)
    return arrays


@translate_errors
def delete_brain_run(samples: SampleCollection, key: str) -> None:
    """Delete run ``key`` and its stored results. Fields it wrote on samples stay."""
    info = get_brain_info(samples, key)
    dataset = _owner(samples)
    dataset._update_doc({"$unset": {f"brain_runs.{key}": ""}})
    dataset._doc.brain_runs.pop(key, None)
    if info.results_id:
        _delete_file(info.results_id)


def delete_brain_runs(samples: SampleCollection) -> None:
    """Delete every run of the dataset."""
    for key in list_brain_runs(samples):
        delete_brain_run(samples, key)


def has_brain_run(samples: SampleCollection, key: str) -> bool:
    """Whether the dataset has a run ``key``."""
    return key in _owner(samples)._doc.brain_runs


def load_brain_results(samples: SampleCollection, key: str, cache: bool = True,
                       load_view: bool = True, **kwargs: Any) -> Any:  # fmt: skip
    """The results of run ``key`` for ``samples`` (a dataset or view, as it is now).

    A run that recorded its results class returns that class's
    ``load(samples, key)`` (a similarity run: its index, answering only for
    ``samples``); any other returns its arrays. ``cache``, ``load_view`` and
    other keywords of FiftyOne's signature are accepted: results are always
    read for ``samples`` as they are now, and the last run's arrays stay cached.

    Raises:
        BrainRunNotFoundError: no such run; the message lists the runs there are.
    """
    info = get_brain_info(samples, key)
    if not info.results_cls:
        return load_run_arrays(samples, key)
    module, _, name = info.results_cls.partition(":")
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise DatasetCoreError(
            f"Brain run {key!r} needs {info.results_cls} to load its results, which is not "
            "installed; install it or run the analysis again"
        ) from None
    return cls.load(samples, key)


@translate_errors
def rename_brain_run(samples: SampleCollection, key: str, new_key: str) -> None:
    """Rename run ``key`` to ``new_key`` (its results stay where they are).

    Raises:
        BrainRunNotFoundError: no run ``key``.
        DatasetCoreError: ``new_key`` is taken or not a valid key.
    """
    _check_key(new_key)
    get_brain_info(samples, key)
    dataset = _owner(samples)
    runs = dataset._doc.brain_runs
    if new_key in runs:
        raise DatasetCoreError(
            f"Dataset {dataset.name!r} already has a brain run {new_key!r}; delete it first"
        )
    record = dict(runs[key], key=new_key)
    dataset._update_doc({"$set": {f"brain_runs.{new_key}": record},
                         "$unset": {f"brain_runs.{key}": ""}})  # fmt: skip
    runs[new_key] = record
    runs.pop(key, None)


def delete_dataset_results(dataset_id: str) -> None:
    """Delete the stored results of every run of a dataset (when it is deleted)."""
    bucket = _bucket()
    for f in bucket.find({"metadata.dataset_id": dataset_id}):
        bucket.delete(f._id)
