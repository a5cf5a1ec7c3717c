"""Shared by the formats that hold labels of several kinds per image
(``FiftyOneImageLabelsDataset``, ``BDDDataset``, ``CVATImageDataset``).

On export, the label fields are grouped by kind: ``attributes``
(Classification/Classifications: image-level tags), ``detections``,
``polylines`` and ``keypoints``. With no ``label_field`` every field of a kind
the format writes is exported; else the field (or list of fields) named.

On import each kind becomes one field, named by the kind (``attributes``,
``detections``...; ``<label_field>_<kind>`` when a ``label_field`` is
given, or ``label_field[kind]`` when it is a dict of kind -> field name;
kinds the dict leaves out are not imported). ``attributes`` is a
Classification per image when no image of the file has more than one, else a
Classifications.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..errors import ExportError
from ..exporters import Exporter, ExportReport, Layout, UniqueNames, write_media
from ..labels import Classification, Classifications, Detections, Keypoints, Label, Polylines
from ..sample import Sample

if TYPE_CHECKING:
    from ..collection import SampleCollection

#: label type -> the kind it is exported as
KINDS = {"Classification": "attributes", "Classifications": "attributes",
         "Detection": "detections", "Detections": "detections",
         "Polyline": "polylines", "Polylines": "polylines",
         "Keypoint": "keypoints", "Keypoints": "keypoints"}  # fmt: skip
_LISTS = {"Classifications": "classifications", "Detections": "detections",
          "Polylines": "polylines", "Keypoints": "keypoints"}  # fmt: skip
#: stored keys of a label that are not its attributes
OWN = {"_id", "_cls", "id", "tags", "label", "confidence", "bounding_box", "points", "index",
       "closed", "filled", "mask", "mask_path"}  # fmt: skip


def attributes_of(label: dict[str, Any]) -> dict[str, Any]:
    """A stored label's own extra attributes (``age``, ``mood``...) of scalar types."""
    return {k: v for k, v in label.items()
            if k not in OWN and isinstance(v, (str, int, float, bool))}  # fmt: skip


class MultitaskExporter(Exporter):
    """Base: picks the label fields and yields each sample's labels by kind."""

    kind = "labels"
    #: the kinds the format writes
    kinds: tuple[str, ...] = ("attributes", "detections", "polylines", "keypoints")
    options = {"abs_paths": False}

    def __init__(self, collection: SampleCollection, label_field: Any, mode: str,
                 rel_dir: str | None = None, **options: Any) -> None:  # fmt: skip
        super().__init__(collection, label_field, mode, rel_dir, **options)
        schema = collection._dataset._schema
        fitting = {k: KINDS[f.document_type] for k, f in schema.items()
                   if KINDS.get(f.document_type or "") in self.kinds}  # fmt: skip
        if label_field is None:
            self.fields = fitting
        else:
            if isinstance(label_field, str):
                wanted = [label_field]
            elif isinstance(label_field, dict):  # FiftyOne's {kind: field}
                wanted = list(label_field.values())
            else:
                wanted = list(label_field)
            bad = [f for f in wanted if f not in fitting]
            if bad:
                raise ExportError(
                    f"{type(self).__name__.removesuffix('Exporter')} exports fields of "
                    f"{sorted(self.kinds)} labels; {bad} are not; fitting fields: {sorted(fitting)}"
                )
            self.fields = {f: fitting[f] for f in wanted}
        self.label_field = None

    def samples(self, layout: Layout,
                names: UniqueNames) -> Iterator[tuple[str, str, dict[str, list[Any]]]]:  # fmt: skip
        """``(filepath, key, {kind: [(field, stored label), ...]})`` per sample; queues
        the media to copy in ``self.jobs``. ``key`` names the image in the labels."""
        self.jobs: dict[str, str] = {}
        project = {"$project": {"filepath": 1, "metadata": 1, **dict.fromkeys(self.fields, 1)}}
        for doc in self.collection._aggregate([project]):
            path = doc["filepath"]
            if layout.data_dir is not None:
                key = names.assign("", path)
                self.jobs[path] = os.path.join(layout.data_dir, key)
            elif self.opts["abs_paths"]:
                key = path
            else:
                key = names.assign("", path)
            by_kind: dict[str, list[Any]] = {}
            for field, kind in self.fields.items():
                label = doc.get(field)
                if not label:
                    continue
                items = label.get(_LISTS[label["_cls"]]) if label["_cls"] in _LISTS else [label]
                by_kind.setdefault(kind, []).extend((field, item) for item in items or [])
            self.metadata = doc.get("metadata") or {}
            yield path, key, by_kind

    def finish(self, layout: Layout, count: int, names: UniqueNames) -> ExportReport:
        written = write_media(list(self.jobs.items()), self.mode)
        root = layout.root or os.path.dirname(layout.labels_path or "")
        return ExportReport(root, self.name, count, written, tuple(names.renamed))


def field_name(label_field: str | dict[str, str] | None, kind: str) -> str | None:
    """The field a kind is imported to (None: not imported); see the module docstring."""
    if isinstance(label_field, dict):
        return label_field.get(kind)
    return kind if not label_field else f"{label_field}_{kind}"


def build_samples(entries: list[tuple[str, dict[str, list[Label]]]],
                  label_field: str | dict[str, str] | None) -> list[Sample]:  # fmt: skip
    """Samples from ``(filepath, {kind: [labels]})``; see the module docstring."""
    multi = any(len(labels.get("attributes", ())) > 1 for _, labels in entries)
    samples = []
    for path, labels in entries:
        fields: dict[str, Any] = {}
        for kind, items in labels.items():
            name = field_name(label_field, kind)
            if not items or name is None:
                continue
            if kind == "attributes":
                value: Any = Classifications(classifications=items) if multi else items[0]
            elif kind == "detections":
                value = Detections(detections=items)
            elif kind == "polylines":
                value = Polylines(polylines=items)
            else:
                value = Keypoints(keypoints=items)
            fields[name] = value
        samples.append(Sample(path, **fields))
    return samples


def classification(value: Any, confidence: Any = None) -> Classification:
    return Classification(label=str(value), confidence=confidence)


def parse_value(text: str | None) -> Any:
    """An attribute's text as bool, int, float or str (formats that store text)."""
    if text is None:
        return None
    if text in ("true", "True"):
        return True
    if text in ("false", "False"):
        return False
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
