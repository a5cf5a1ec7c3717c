"""``FastdupAnnotationsDataset``: ``data/`` and ``annotations.csv`` in fastdup's
bounding-box column layout, one row per object::

    filename,col_x,row_y,width,height,label,split,confidence

``filename`` names the image (its path in ``data/``, or, labels only, the
path relative to ``rel_dir``, the absolute path with ``abs_paths``, or the
file name); the box is in pixels (``col_x``/``row_y`` its top-left corner).
``split`` is the sample's first tag among ``splits=`` (export) and becomes a
tag again on import; ``confidence`` is written only when set. The same file
is what ``pandas.DataFrame.to_csv(index=False)`` of a fastdup annotations
frame gives, so such a frame saved as CSV imports as is.

The frame itself is read too: ``labels_path=df`` with ``data_path=`` the
images folder, as fastdup's ``run(input_dir, annotations=df)`` takes it
(``filename`` absolute or relative to that folder; a missing value, NaN, is
an empty cell). pandas is never imported here: a frame is told by its
methods, so the format works without pandas installed.

Example:
    >>> ds = fo.Dataset.from_dir(dataset_type=fo.types.FastdupAnnotationsDataset,
    ...                          data_path="/data/images", labels_path=df)
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..errors import MediaError
from ..exporters import Exporter, ExportReport, Layout, UniqueNames, pick_label_field, write_media
from ..importers import Parsed
from ..labels import Detection, Detections
from ..sample import Sample
from .boxes import Clipper, image_size, malformed, number_text, objects_of, read_size
from .paths import ImageIndex, report_missing, resolve, sample_key, write_text_atomically
from .per_image import DETECTION_TYPES

if TYPE_CHECKING:
    from ..collection import SampleCollection

LABELS_FILE = "annotations.csv"
#: how messages name a DataFrame given as ``labels_path``
FRAME = "the annotations DataFrame"
COLUMNS = ("filename", "col_x", "row_y", "width", "height", "label")
_BOX = COLUMNS[1:5]


class FastdupAnnotationsExporter(Exporter):
    """One CSV row per object; see the module docstring."""

    name = "fastdup-annotations"
    kind = "labels"
    labels_name = LABELS_FILE
    options = {"abs_paths": False, "splits": None}

    def __init__(self, collection: SampleCollection, label_field: str | None, mode: str,
                 rel_dir: str | None = None, **options: Any) -> None:  # fmt: skip
        super().__init__(collection, label_field, mode, rel_dir, **options)
        self.label_field = pick_label_field(collection, label_field, DETECTION_TYPES,
                                            "FastdupAnnotationsDataset")  # fmt: skip

    def write(self, layout: Layout) -> ExportReport:
        names = UniqueNames(self.rel_dir, dedupe=True)
        jobs: dict[str, str] = {}
        splits = list(self.opts["splits"] or [])
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*COLUMNS, "split", "confidence"])
        count = 0
        project = {"$project": {"filepath": 1, "metadata": 1, "tags": 1,
                                "label": f"${self.label_field}"}}  # fmt: skip
        for doc in self.collection._aggregate([project]):
            count += 1
            path = doc["filepath"]
            exported = None
            if layout.data_dir is not None:
                exported = names.assign("", path)
                jobs[path] = os.path.join(layout.data_dir, exported)
            key = exported or sample_key(path, None, self.rel_dir, self.opts["abs_paths"])
            if exported is None and not self.opts["abs_paths"]:
                key += os.path.splitext(path)[1]
            objects = objects_of(doc.get("label")) or []
            if not objects:
                continue
            width, height = image_size(doc, "FastdupAnnotationsDataset")
            split = next((t for t in doc.get("tags") or [] if t in splits), "")
            for obj in objects:
                x, y, w, h = obj.get("bounding_box") or (0.0, 0.0, 0.0, 0.0)
                box = [number_text(v) for v in (x * width, y * height, w * width, h * height)]
                conf = obj.get("confidence")
                writer.writerow([key, *box, obj.get("label") or "", split,
                                 "" if conf is None else repr(float(conf))])  # fmt: skip
        written = write_media(list(jobs.items()), self.mode)
        assert layout.labels_path is not None
        write_text_atomically(layout.labels_path, out.getvalue())
        root = layout.root or os.path.dirname(layout.labels_path)
        return ExportReport(root, self.name, count, written, tuple(names.renamed))


def parse_fastdup(dataset_dir: str | None, data_path: str | None, labels_path: Any,
                  label_field: str | None, include_all_data: bool = False) -> Parsed:  # fmt: skip
    """The samples of a FastdupAnnotationsDataset; see the module docstring.

    ``labels_path`` may also be a pandas DataFrame in the same columns (what
    fastdup's ``run(annotations=df)`` takes); its ``filename`` s are found as a
    CSV's are (absolute, or relative to ``data_path``).

    Raises:
        MediaError: a missing file or column, or a row whose box is not numbers
            (one line naming the file or frame, the line or row and the value).
    """
    if _is_frame(labels_path):
        return _parse_rows(_frame_rows(labels_path, FRAME), FRAME, dataset_dir, data_path,
                           label_field, include_all_data)  # fmt: skip
    labels_file = resolve(dataset_dir, labels_path, LABELS_FILE)
    if labels_file is None or not os.path.isfile(labels_file):
        raise malformed(str(labels_file), "the file", "does not exist; pass dataset_dir or "
                                                      "labels_path")  # fmt: skip
    with open(labels_file, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        _check_columns(reader.fieldnames or [], labels_file)
        rows = ((f"line {reader.line_num}", row) for row in reader)
        return _parse_rows(rows, labels_file, dataset_dir, data_path, label_field,
                           include_all_data)  # fmt: skip


def _is_frame(value: Any) -> bool:
    """Whether ``value`` is a pandas DataFrame (told without importing pandas)."""
    return hasattr(value, "columns") and hasattr(value, "itertuples") and hasattr(value, "iloc")


def _check_columns(columns: Any, source: str) -> None:
    lacking = [c for c in COLUMNS if c not in list(columns)]
    if lacking:
        what = f"lacks columns {lacking}; fastdup's layout is {list(COLUMNS)}"
        if source == FRAME:
            raise _bad(source, "its columns", what)
        raise malformed(source, "the header", what)


def _frame_rows(frame: Any, source: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(row name, row)`` of a DataFrame; a missing value (NaN, None) reads as ''."""
    _check_columns(frame.columns, source)
    names = [str(c) for c in frame.columns]
    present = frame.notna().to_numpy()
    for (index, *values), have in zip(frame.itertuples(index=True, name=None), present,
                                      strict=True):  # fmt: skip
        # str() of a numpy number is its shortest exact form, as a CSV cell would be
        yield f"row {index!r}", {n: str(v) if ok else ""
                                 for n, v, ok in zip(names, values, have, strict=True)}  # fmt: skip


def _parse_rows(rows: Iterable[tuple[str, dict[str, Any]]], source: str,
                dataset_dir: str | None, data_path: str | None, label_field: str | None,
                include_all_data: bool) -> Parsed:  # fmt: skip
    index = ImageIndex(resolve(dataset_dir, data_path, "data"))
    field = label_field or "ground_truth"
    clipper = Clipper()
    by_image: dict[str, tuple[list[Detection], set[str]]] = {}
    sizes: dict[str, tuple[int, int]] = {}
    missing: list[str] = []
    for where, row in rows:
        image = index.find(row["filename"])
        if image is None:
            missing.append(row["filename"])
            continue
        try:
            x, y, w, h = (float(row[c]) for c in _BOX)
        except (TypeError, ValueError):
            bad = {c: row[c] for c in _BOX}
            raise _bad(source, where, f"the box {bad} is not 4 numbers") from None
        if image not in sizes:
            sizes[image] = read_size(image, source)
        width, height = sizes[image]
        box = clipper.clip([x / width, y / height, w / width, h / height],
                           f"{os.path.basename(source)} {where}")  # fmt: skip
        dets, tags = by_image.setdefault(image, ([], set()))
        if (row.get("split") or "").strip():
            tags.add(row["split"].strip())
        if box is None:  # entirely outside the image: counted and dropped
            continue
        conf = (row.get("confidence") or "").strip()
        dets.append(Detection(label=row["label"] or None, bounding_box=box,
                              confidence=float(conf) if conf else None))  # fmt: skip
    samples = [Sample(p, tags=sorted(tags), **{field: Detections(detections=dets)})
               for p, (dets, tags) in by_image.items()]  # fmt: skip
    if include_all_data:
        seen = {os.path.abspath(p) for p in by_image}
        samples.extend(Sample(p) for p in index.paths if os.path.abspath(p) not in seen)
    report_missing(sorted(set(missing)), source, index.data_dir)
    clipper.report(source)
    return Parsed(samples)


def _bad(source: str, where: str, what: str) -> MediaError:
    if source == FRAME:
        return MediaError(f"Malformed annotations DataFrame, {where}: {what}")
    return malformed(source, where, what)


EXPORTERS = {FastdupAnnotationsExporter.name: FastdupAnnotationsExporter}
PARSERS = {FastdupAnnotationsExporter.name: parse_fastdup}
