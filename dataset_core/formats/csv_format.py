"""``CSVDataset``: ``data/`` and ``labels.csv``, one row per sample.

Columns are the chosen ``fields`` (default: ``filepath``, ``tags`` and every
top-level field of plain values); a dotted column such as ``weather.label``
reads into the label. Lists are written comma-separated. ``filepath`` is
the exported image's path in ``data/`` (or, labels only, the path relative
to ``rel_dir``, the absolute path with ``abs_paths``, or the file name).

On import, ``fields`` maps a column to a parser (``None``: the string);
without it every column is read as a string, ``tags`` split on commas, a
``<field>.label`` column as a Classification in ``<field>``, and other
dotted columns into fields named with ``_`` for ``.``. Empty cells are None.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ExportError, MediaError
from ..exporters import Exporter, ExportReport, Layout, UniqueNames, write_media
from ..importers import Parsed
from ..labels import Classification
from ..sample import Sample
from .paths import ImageIndex, resolve, sample_key, write_text_atomically

if TYPE_CHECKING:
    from ..collection import SampleCollection

LABELS_FILE = "labels.csv"
_PLAIN = ("string", "int", "float", "bool")


class CSVExporter(Exporter):
    """One CSV row per sample; see the module docstring."""

    name = "csv"
    kind = "labels"
    labels_name = LABELS_FILE
    options = {"fields": None, "abs_paths": False}

    def __init__(self, collection: SampleCollection, label_field: str | None, mode: str,
                 rel_dir: str | None = None, **options: Any) -> None:  # fmt: skip
        super().__init__(collection, label_field, mode, rel_dir, **options)
        fields = self.opts["fields"]
        if fields is None:
            schema = collection._dataset._schema
            fields = ["filepath", "tags"] + [
                k for k, f in schema.items()
                if k not in ("filepath", "tags") and not k.startswith("_")
                and getattr(f, "ftype", None) in _PLAIN
            ]  # fmt: skip
        elif isinstance(fields, str) or not all(isinstance(f, str) for f in fields):
            raise ExportError(f"fields must be a list of field names; got {fields!r}")
        self.fields = list(fields)

    def write(self, layout: Layout) -> ExportReport:
        names = UniqueNames(self.rel_dir, dedupe=True)
        jobs: dict[str, str] = {}
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.fields)
        count = 0
        for sample in self.collection.iter_samples():
            count += 1
            path = sample.filepath
            exported = None
            if layout.data_dir is not None:
                exported = names.assign("", path)
                jobs[path] = os.path.join(layout.data_dir, exported)
            row = []
            for field in self.fields:
                if field == "filepath":
                    key = sample_key(path, exported, self.rel_dir, self.opts["abs_paths"])
                    ext = "" if self.opts["abs_paths"] else os.path.splitext(path)[1]
                    row.append(exported or key + ext)
                else:
                    row.append(_cell(_get(sample, field)))
            writer.writerow(row)
        written = write_media(list(jobs.items()), self.mode)
        assert layout.labels_path is not None
        write_text_atomically(layout.labels_path, out.getvalue())
        root = layout.root or os.path.dirname(layout.labels_path)
        return ExportReport(root, self.name, count, written, tuple(names.renamed))


def _get(sample: Sample, path: str) -> Any:
    value: Any = sample
    for part in path.split("."):
        if value is None:
            return None
        try:
            value = value[part]
        except (KeyError, AttributeError, TypeError):
            return None
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def parse_csv(dataset_dir: str | None, data_path: str | None, labels_path: str | None,
              label_field: str | None,
              fields: dict[str, Callable[[str | None], Any] | None] | None = None,
              ) -> Parsed:  # fmt: skip
    """The samples of a CSVDataset; see the module docstring."""
    labels_file = resolve(dataset_dir, labels_path, LABELS_FILE)
    if labels_file is None or not os.path.isfile(labels_file):
        raise MediaError(f"Labels file {labels_file!r} does not exist; pass dataset_dir "
                         "or labels_path")  # fmt: skip
    index = ImageIndex(resolve(dataset_dir, data_path, "data"))
    with open(labels_file, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    samples = []
    for n, row in enumerate(rows, 2):
        raw = row.get("filepath")
        path = index.find(raw) if raw else None
        if path is None:
            raise MediaError(f"{labels_file}:{n}: no image {raw!r} in {index.data_dir}; pass "
                             "data_path=<the images folder>")  # fmt: skip
        values: dict[str, Any] = {}
        for column, text in row.items():
            if column == "filepath" or column is None:
                continue
            cell = text if text != "" else None
            if fields is not None:
                if column not in fields:
                    continue
                parser = fields[column]
                values[column.replace(".", "_")] = parser(cell) if parser else cell
            elif column == "tags":
                values["tags"] = cell.split(",") if cell else []
            elif column.endswith(".label") and column.count(".") == 1:
                values[column[:-6]] = None if cell is None else Classification(label=cell)
            else:
                values[column.replace(".", "_")] = cell
        tags = values.pop("tags", None)
        samples.append(Sample(path, tags=tags, **values))
    return Parsed(samples)


EXPORTERS = {CSVExporter.name: CSVExporter}
PARSERS = {CSVExporter.name: parse_csv}
