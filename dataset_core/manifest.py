"""The manifest format: a lossless export of a dataset or view, and its import.

An export directory holds::

    dataset.json      name, media_type, classes, info, field schema, counts
    manifest.jsonl    one line per sample: the stored document as extended JSON
    data/             the media (copied or symlinked), flat, names made unique

Lines are MongoDB extended JSON in relaxed mode (``bson.json_util``), which
round-trips every stored type: ``{"$oid": ...}`` for ObjectIds,
``{"$date": ...}`` for datetimes, labels as documents with their ``_cls``, numpy
arrays as ``{"_cls": "ndarray", "data": {"$binary": {"base64": ...}}}``, and
non-finite floats as ``{"$numberDouble": "NaN"}``. Filepaths of exported media
are relative to the export directory (``data/cat.jpg``); with
``export_media=False`` they stay the original absolute paths.

Masks and maps on disk (``mask_path`` of a Segmentation field, ``map_path``
of a Heatmap field) are copied with the media to ``fields/<field>/`` and
their paths written relative to the export directory (``dataset.json``'s
``media_fields`` names those fields); without media they stay as they are.

Importing (:func:`from_manifest`) preserves everything, ids included: sample
``_id``, label ``_id``, ``created_at``, ``last_modified_at`` and the schema are
those of the exported samples, so an imported dataset equals its source except
for filepaths, which point at the exported copies. Datasets live in separate
collections, so two imports of one manifest do not clash.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from bson import json_util
from bson.binary import UuidRepresentation
from bson.errors import InvalidDocument
from bson.json_util import JSONMode, JSONOptions
from pymongo.errors import BulkWriteError, DuplicateKeyError

from . import class_targets
from .errors import DuplicateSampleError, ExportError, MediaError, SchemaError
from .exporters import ExportReport, UniqueNames, write_media
from .fields import Field
from .sample import utcnow
from .values import field_of_mongo

if TYPE_CHECKING:
    from .collection import SampleCollection
    from .dataset import Dataset

FORMAT = "dataset_core/manifest"
VERSION = 1
DATASET_FILE = "dataset.json"
MANIFEST_FILE = "manifest.jsonl"
MEDIA_DIR = "data"
#: where the files a label points at (masks, maps) go, one folder per field
FIELDS_DIR = "fields"
#: label type -> its attribute holding the path of a file on disk
PATH_ATTRIBUTES = {"Segmentation": "mask_path", "Heatmap": "map_path"}
#: naive UTC datetimes as the database stores them; UUIDs in the standard form
JSON_OPTIONS = JSONOptions(
    json_mode=JSONMode.RELAXED,
    tz_aware=False,
    uuid_representation=UuidRepresentation.STANDARD,
)
#: documents per insert_many while importing
INSERT_BATCH_SIZE = 10_000


def _dumps(value: Any, where: str) -> str:
    try:
        return json_util.dumps(value, json_options=JSON_OPTIONS)
    except (TypeError, ValueError, InvalidDocument) as e:
        bad = value
        if isinstance(value, dict):  # name the field that failed
            for key, item in value.items():
                try:
                    json_util.dumps(item, json_options=JSON_OPTIONS)
                except (TypeError, ValueError, InvalidDocument):
                    where, bad = f"{where}, field {key!r}", item
                    break
        raise ExportError(
            f"Cannot write {where} as JSON: {type(bad).__name__} value {bad!r:.80} ({e}); "
            "store str, int, float, bool, datetime, ObjectId, lists, dicts, labels or "
            "numpy arrays"
        ) from None


def write_manifest(collection: SampleCollection, root: str, mode: str,
                   rel_dir: str | None = None) -> ExportReport:  # fmt: skip
    """Write ``dataset.json``, ``manifest.jsonl`` and (unless mode is "none") ``data/``.

    With ``rel_dir``, exported media keep their path below it under ``data/``;
    without media, filepaths are written relative to ``rel_dir`` (the import
    then needs ``rel_dir``). The manifest is written to a temporary name and
    renamed at the end, so an interrupted export never leaves a truncated
    ``manifest.jsonl``.
    """
    dataset = collection._dataset
    names, jobs = UniqueNames(rel_dir, dedupe=True), {}
    path_fields = {} if mode == "none" else {
        k: PATH_ATTRIBUTES[f.document_type] for k, f in dataset._schema.items()
        if f.document_type in PATH_ATTRIBUTES
    }  # fmt: skip
    field_names = {k: UniqueNames(dedupe=True) for k in path_fields}
    tmp = os.path.join(root, MANIFEST_FILE + ".tmp")
    count = 0
    relative_to = os.path.abspath(os.path.expanduser(rel_dir)) if rel_dir else None
    with open(tmp, "w", encoding="utf-8") as out:
        for doc in collection._aggregate():
            if mode != "none":
                rel = names.assign(MEDIA_DIR, doc["filepath"])
                jobs[doc["filepath"]] = os.path.join(root, rel)
                doc["filepath"] = rel
                for key, attr in path_fields.items():
                    label = doc.get(key)
                    if type(label) is dict and isinstance(label.get(attr), str):
                        src = label[attr]
                        rel_file = field_names[key].assign(f"{FIELDS_DIR}/{key}", src)
                        jobs[src] = os.path.join(root, rel_file)
                        label[attr] = rel_file
            elif relative_to is not None:
                doc["filepath"] = os.path.relpath(doc["filepath"], relative_to)
            out.write(_dumps(doc, f"sample {doc.get('_id')}"))
            out.write("\n")
            count += 1
    header = {
        "format": FORMAT,
        "version": VERSION,
        "name": dataset.name,
        "media_type": dataset.media_type,
        "info": dict(dataset.info),
        "unique_filepaths": dataset.unique_filepaths,
        **dataset._class_targets_stored(),
        "sample_fields": {k: f.to_dict() for k, f in dataset._schema.items()},
        "num_samples": count,
        "media": mode,
        "rel_dir": mode == "none" and relative_to is not None,
        "media_fields": path_fields,
        "exported_at": utcnow(),
    }
    text = _dumps(header, f"dataset {dataset.name!r} info")
    with open(os.path.join(root, DATASET_FILE), "w", encoding="utf-8") as f:
        f.write(json.dumps(json.loads(text), indent=2) + "\n")
    written = write_media(list(jobs.items()), mode)
    os.replace(tmp, os.path.join(root, MANIFEST_FILE))
    return ExportReport(root, "manifest", count, written, tuple(names.renamed))


# -- import ----------------------------------------------------------------------


def read_header(root: str) -> dict[str, Any]:
    """The parsed ``dataset.json`` of a manifest export.

    Raises:
        MediaError: the file is missing, unreadable, or not a manifest header.
    """
    path = os.path.join(root, DATASET_FILE)
    if not os.path.isfile(path) or not os.path.isfile(os.path.join(root, MANIFEST_FILE)):
        raise MediaError(
            f"{root!r} is not a manifest export: it needs {DATASET_FILE} and "
            f"{MANIFEST_FILE} (write one with collection.export(dir, 'manifest'))"
        )
    try:
        with open(path, encoding="utf-8") as f:
            header = json_util.loads(f.read(), json_options=JSON_OPTIONS)
    except (OSError, ValueError) as e:
        raise MediaError(f"Cannot read {path!r}: {e}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise MediaError(f"{path!r} is not a {FORMAT} header (no 'format': {FORMAT!r})")
    if header.get("version", 0) > VERSION:
        raise MediaError(
            f"{path!r} is manifest version {header['version']}; this dataset_core reads up "
            f"to version {VERSION}: upgrade dataset_core"
        )
    return header


def from_manifest(dataset_dir: str, name: str | None = None, overwrite: bool = False,
                  rel_dir: str | None = None) -> Dataset:  # fmt: skip
    """A dataset from a manifest export, identical to the exported one but for filepaths.

    Args:
        dataset_dir: the export directory (holding ``dataset.json``).
        name: the new dataset's name; a timestamp when omitted.
        overwrite: replace an existing dataset of that name.
        rel_dir: the folder that relative filepaths of a labels-only export
            (written with ``rel_dir``) are relative to.

    Raises:
        MediaError: not a manifest export, or a malformed line (named by number),
            or a labels-only export with ``rel_dir`` read without one.
        DuplicateSampleError: two samples with one filepath, in an export of a
            dataset with unique_filepaths.
        SchemaError: a value that conflicts with the recorded schema.

    Example:
        >>> dataset.export("/tmp/pets", dataset_type="manifest")
        >>> copy = Dataset.from_dir("/tmp/pets", dataset_type="manifest", name="pets-copy")
    """
    from .dataset import staged_dataset
    from .importers import _check_dir

    root = _check_dir(dataset_dir)
    header = read_header(root)
    base = paths_base(header, root, rel_dir)
    with staged_dataset(
        name, overwrite=overwrite, unique_filepaths=unique_filepaths(header)
    ) as dataset:  # all or nothing
        fill_manifest(dataset, header, root, base)
    return dataset


def unique_filepaths(header: dict[str, Any]) -> bool:
    """Whether the imported dataset keeps one sample per filepath: as the exported
    one did (a dataset that held a file twice imports with both); exports from
    before the entry was written import unique."""
    return bool(header.get("unique_filepaths", True))


def paths_base(header: dict[str, Any], root: str, rel_dir: str | None) -> str:
    """The folder the manifest's relative filepaths are relative to.

    Raises:
        MediaError: the export was written relative to a ``rel_dir`` and none is given.
    """
    if header.get("rel_dir"):
        if rel_dir is None:
            raise MediaError(
                f"{root!r} holds filepaths relative to the rel_dir it was exported with; "
                "pass rel_dir=<that folder> to import it"
            )
        return os.path.abspath(os.path.expanduser(rel_dir))
    return root


def fill_manifest(dataset: Dataset, header: dict[str, Any], root: str, base: str) -> None:
    """Insert a manifest's schema, classes, info and samples into a (staged) dataset."""
    fields = {k: Field.from_dict(v) for k, v in header.get("sample_fields", {}).items()}
    dataset._merge_schema(fields)
    dataset.info.update(header.get("info") or {})
    # stored forms (string pixel keys); a header written before ``classes`` was a
    # dict holds a list there, read as default_classes
    dataset._class_targets_load({k: header[k] for k in class_targets.STORED if header.get(k)})
    _insert(dataset, root, base, header.get("media_fields") or {})


def read_docs(root: str, base: str | None = None,
              header: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:  # fmt: skip
    """The sample documents of a manifest, filepaths made absolute against ``base``
    (and the files of ``header``'s ``media_fields`` against ``root``)."""
    path = os.path.join(root, MANIFEST_FILE)
    path_fields = (header or {}).get("media_fields") or {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                yield _absolute_files(_parse_line(line, path, lineno, base or root),
                                      path_fields, root)  # fmt: skip


def _absolute_files(doc: dict[str, Any], path_fields: dict[str, str], root: str) -> dict[str, Any]:
    for key, attr in path_fields.items():
        label = doc.get(key)
        if type(label) is dict and isinstance(label.get(attr), str):
            label[attr] = os.path.normpath(os.path.join(root, label[attr]))
    return doc


def _insert(dataset: Dataset, root: str, base: str | None = None,
            path_fields: dict[str, str] | None = None) -> None:  # fmt: skip
    coll = dataset._sample_coll()
    seen: set[tuple[Any, ...]] = set()
    new_fields: dict[str, Field] = {}
    batch: list[dict[str, Any]] = []
    path = os.path.join(root, MANIFEST_FILE)
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            doc = _parse_line(line, path, lineno, base or root)
            if path_fields:
                _absolute_files(doc, path_fields, root)
            for key, value in doc.items():
                sig = (key, type(value), value.get("_cls") if type(value) is dict else None)
                if key.startswith("_") or sig in seen:
                    continue
                seen.add(sig)
                found = _check(dataset, key, value, path, lineno)
                if found is not None and key not in dataset._schema:
                    new_fields.setdefault(key, found)
            batch.append(doc)
            if len(batch) >= INSERT_BATCH_SIZE:
                _insert_batch(coll, batch)
                batch = []
    _insert_batch(coll, batch)
    dataset._merge_schema(new_fields)


def _parse_line(line: str, path: str, lineno: int, root: str) -> dict[str, Any]:
    try:
        doc = json_util.loads(line, json_options=JSON_OPTIONS)
    except ValueError as e:
        raise MediaError(f"{path}:{lineno} is not valid extended JSON ({e})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("filepath"), str):
        raise MediaError(f"{path}:{lineno} has no 'filepath'; each line is one sample document")
    doc["filepath"] = os.path.normpath(os.path.join(root, doc["filepath"]))
    now = utcnow()
    doc.setdefault("tags", [])
    doc.setdefault("metadata", None)
    doc.setdefault("created_at", now)
    doc.setdefault("last_modified_at", now)
    doc.setdefault("_rand", random.random())
    return doc


def _check(dataset: Dataset, key: str, value: Any, path: str, lineno: int) -> Field | None:
    try:
        return dataset._check_value(key, value) if key in dataset._schema else field_of_mongo(value)
    except SchemaError as e:
        raise SchemaError(f"{path}:{lineno}: {e}") from None


def _insert_batch(coll: Any, batch: list[dict[str, Any]]) -> None:
    if not batch:
        return
    try:
        coll.insert_many(batch, ordered=True)
    except (BulkWriteError, DuplicateKeyError) as e:
        details = getattr(e, "details", None) or {}
        first = (details.get("writeErrors") or [{}])[0].get("errmsg", str(e))
        raise DuplicateSampleError(
            f"Nothing was imported: two samples share a filepath or id ({first:.200}); "
            "each sample of a manifest needs its own"
        ) from None
