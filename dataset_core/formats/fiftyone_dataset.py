"""``FiftyOneDataset``: a dataset as it is, ids, saved views and brain runs included.

The export is our manifest (:mod:`dataset_core.manifest`: ``dataset.json``,
``manifest.jsonl``, ``data/``) plus::

    views.json      the saved views (name, description, stages, times)
    brain.json      the brain runs' records (method, config, view, time)
    brain/<key>.npz each run's arrays, as the run stored them

An import gives a dataset equal to the exported one (sample and label ids
included, so the runs' arrays and the saved views still point at its
samples), made visible only once complete, like every import.
"""

from __future__ import annotations

import io
import json
import os
from typing import TYPE_CHECKING, Any

import numpy as np
from bson import ObjectId, json_util

from .. import manifest, runs, saved_views
from ..dataset import staged_dataset
from ..errors import MediaError
from ..exporters import ExportReport, Layout, ManifestExporter
from ..importers import Parsed, _check_dir
from ..sample import Sample
from .paths import write_text_atomically

if TYPE_CHECKING:
    from ..dataset import Dataset

VIEWS_FILE = "views.json"
RUNS_FILE = "brain.json"
RUNS_DIR = "brain"


def _dumps(value: Any) -> str:
    return json_util.dumps(value, json_options=manifest.JSON_OPTIONS, indent=1) + "\n"


class FiftyOneDatasetExporter(ManifestExporter):
    """The manifest, the saved views and the brain runs; see the module docstring."""

    name = "fiftyone-dataset"

    def write(self, layout: Layout) -> ExportReport:
        report = super().write(layout)
        assert layout.root is not None
        dataset = self.collection._dataset
        views = saved_views._entries(dataset)
        write_text_atomically(os.path.join(layout.root, VIEWS_FILE), _dumps(views))
        records = []
        for key in runs.list_brain_runs(dataset):
            record = dict(dataset._doc.brain_runs[key])
            arrays = runs.load_run_arrays(dataset, key) if record.get("results_id") else {}
            record.pop("results_id", None)
            if arrays:
                os.makedirs(os.path.join(layout.root, RUNS_DIR), exist_ok=True)
                buf = io.BytesIO()
                np.savez(buf, **arrays)
                path = os.path.join(layout.root, RUNS_DIR, f"{key}.npz")
                with open(path + ".tmp", "wb") as f:
                    f.write(buf.getvalue())
                os.replace(path + ".tmp", path)
                record["arrays"] = f"{RUNS_DIR}/{key}.npz"
            records.append(record)
        write_text_atomically(os.path.join(layout.root, RUNS_FILE), _dumps(records))
        return ExportReport(report.export_dir, self.name, report.num_samples, report.num_media,
                            report.renamed)  # fmt: skip


def _load(root: str, name: str) -> Any:
    path = os.path.join(root, name)
    if not os.path.isfile(path):
        return []
    try:
        with open(path, encoding="utf-8") as f:
            return json_util.loads(f.read(), json_options=manifest.JSON_OPTIONS)
    except (OSError, ValueError) as e:
        raise MediaError(f"Cannot read {path!r}: {e}") from None


def from_fiftyone_dataset(dataset_dir: str, name: str | None = None, overwrite: bool = False,
                          rel_dir: str | None = None) -> Dataset:  # fmt: skip
    """The dataset of a FiftyOneDataset export, with its saved views and brain runs.

    Raises:
        MediaError: not such an export, or an unreadable part of it.
    """
    root = _check_dir(dataset_dir)
    header = manifest.read_header(root)
    base = manifest.paths_base(header, root, rel_dir)
    views = _load(root, VIEWS_FILE)
    records = _load(root, RUNS_FILE)
    written: list[Any] = []
    try:
        with staged_dataset(
            name, overwrite=overwrite, unique_filepaths=manifest.unique_filepaths(header)
        ) as dataset:
            manifest.fill_manifest(dataset, header, root, base)
            if dataset._doc.id is None:  # the runs' files are tagged with the dataset's id
                dataset._doc.id = ObjectId()
            dataset._doc.saved_views = list(views)
            for record in records:
                _restore_run(dataset, root, dict(record), written)
    except BaseException:
        for file_id in written:  # the dataset never appeared: neither do its runs' files
            runs._delete_file(str(file_id))
        raise
    return dataset


def _restore_run(dataset: Dataset, root: str, record: dict[str, Any], written: list[Any]) -> None:
    rel = record.pop("arrays", None)
    record["results_id"] = None
    if rel:
        path = os.path.join(root, rel)
        try:
            with open(path, "rb") as f:
                data = f.read()
            np.load(io.BytesIO(data), allow_pickle=False).close()  # refuse pickles, check it
        except (OSError, ValueError) as e:
            raise MediaError(f"Cannot read brain run arrays {path!r}: {e}") from None
        file_id = runs._bucket().put(
            data, filename=f"{dataset.name}/{record['key']}.npz",
            metadata={"dataset_id": str(dataset._doc.id)},
        )  # fmt: skip
        written.append(file_id)
        record["results_id"] = str(file_id)
    if isinstance(record.get("view_stages"), list):
        record["view_stages"] = json.dumps(record["view_stages"])
    dataset._doc.brain_runs[record["key"]] = record


def parse_lossless(dataset_dir: str | None, rel_dir: str | None = None) -> Parsed:
    """The samples of a manifest or FiftyOneDataset export as new samples (new ids),
    for ``add_dir`` and ``merge_dir``."""
    if dataset_dir is None:
        raise MediaError("Pass dataset_dir: the folder of the export")
    root = _check_dir(dataset_dir)
    header = manifest.read_header(root)
    base = manifest.paths_base(header, root, rel_dir)
    samples = []
    for doc in manifest.read_docs(root, base, header):
        for key in ("_id", "_rand", "_dataset_id"):
            doc.pop(key, None)
        samples.append(Sample._from_doc(doc, None))
    classes = header.get("classes") or {}
    if not isinstance(classes, dict):  # written before classes was a dict
        return Parsed(samples, list(classes) or None)
    return Parsed(samples, list(header.get("default_classes") or []) or None,
                  field_classes=classes)  # fmt: skip


EXPORTERS = {FiftyOneDatasetExporter.name: FiftyOneDatasetExporter}
LOSSLESS = {FiftyOneDatasetExporter.name: from_fiftyone_dataset}
