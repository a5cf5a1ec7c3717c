"""``FiftyOneImageClassificationDataset`` and ``FiftyOneImageDetectionDataset``.

Both are a ``data/`` folder of images and a ``labels.json``::

    {"classes": ["cat", "dog"] or null,
     "labels": {"<key>": <target>, ...}}

where a key names an image (its path in ``data/`` without extension; see
:func:`~.paths.sample_key` for labels-only exports) and a target is, for
classifications, a class name, an index into ``classes``, null, or (with
``include_confidence``/``include_attributes``) ``{"label", "confidence",
"attributes"}``; for detections, a list of ``{"label", "bounding_box",
"confidence", "attributes"}`` with boxes ``[x, y, w, h]`` relative to the image.
Attributes are the label's own extra fields (``age``, ``mood``...).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..errors import MediaError
from ..exporters import Exporter, ExportReport, Layout, UniqueNames, pick_label_field, write_media
from ..importers import Parsed
from ..labels import Classification, Detection, Detections
from ..sample import Sample
from .paths import (
    ImageIndex,
    read_json,
    report_missing,
    resolve,
    sample_key,
    write_json_atomically,
)

if TYPE_CHECKING:
    from ..collection import SampleCollection

LABELS_FILE = "labels.json"
#: stored keys of a label that are not attributes
_OWN = {"_id", "_cls", "label", "confidence", "bounding_box", "tags", "id"}


class _LabelsJsonExporter(Exporter):
    kind = "labels"
    labels_name = LABELS_FILE
    document_types: tuple[str, ...] = ()
    options = {"include_confidence": None, "include_attributes": None, "abs_paths": False,
               "classes": None}  # fmt: skip

    def __init__(self, collection: SampleCollection, label_field: str | None, mode: str,
                 rel_dir: str | None = None, **options: Any) -> None:  # fmt: skip
        super().__init__(collection, label_field, mode, rel_dir, **options)
        self.label_field = pick_label_field(collection, label_field, self.document_types,
                                            type(self).__name__.lstrip("_"))  # fmt: skip

    def target(self, label: dict[str, Any] | None) -> Any:
        raise NotImplementedError

    def write(self, layout: Layout) -> ExportReport:
        names = UniqueNames(self.rel_dir, dedupe=True)
        jobs: dict[str, str] = {}
        labels: dict[str, Any] = {}
        count = 0
        project = {"$project": {"filepath": 1, "label": f"${self.label_field}"}}
        for doc in self.collection._aggregate([project]):
            count += 1
            exported = None
            if layout.data_dir is not None:
                exported = names.assign("", doc["filepath"])
                jobs[doc["filepath"]] = os.path.join(layout.data_dir, exported)
            key = sample_key(doc["filepath"], exported, self.rel_dir, self.opts["abs_paths"])
            labels[key] = self.target(doc.get("label"))
        own = self.collection._dataset._field_classes(self.label_field)
        classes = self.opts["classes"] or own or None
        written = write_media(list(jobs.items()), self.mode)
        assert layout.labels_path is not None
        write_json_atomically(layout.labels_path, {"classes": classes, "labels": labels})
        root = layout.root or os.path.dirname(layout.labels_path)
        return ExportReport(root, self.name, count, written, tuple(names.renamed))


def _attributes(label: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in label.items() if k not in _OWN and _is_json(v)}


def _is_json(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, list, dict))


class ClassificationJsonExporter(_LabelsJsonExporter):
    """``labels.json`` of one Classification per image."""

    name = "fiftyone-image-classification"
    document_types = ("Classification",)

    def target(self, label: dict[str, Any] | None) -> Any:
        if not label:
            return None
        confidence = self.opts["include_confidence"]
        attributes = self.opts["include_attributes"]
        if not confidence and not attributes:
            return label.get("label")
        out: dict[str, Any] = {"label": label.get("label")}
        if confidence and label.get("confidence") is not None:
            out["confidence"] = label["confidence"]
        if attributes and (attrs := _attributes(label)):
            out["attributes"] = attrs
        return out


class DetectionJsonExporter(_LabelsJsonExporter):
    """``labels.json`` of Detections per image; confidences and attributes included."""

    name = "fiftyone-image-detection"
    document_types = ("Detections", "Detection")

    def target(self, label: dict[str, Any] | None) -> Any:
        if not label:
            return None
        dets = label.get("detections") if label.get("_cls") == "Detections" else [label]
        out = []
        for det in dets or []:
            obj: dict[str, Any] = {"label": det.get("label"),
                                   "bounding_box": det.get("bounding_box")}  # fmt: skip
            if self.opts["include_confidence"] is not False and det.get("confidence") is not None:
                obj["confidence"] = det["confidence"]
            if self.opts["include_attributes"] is not False and (attrs := _attributes(det)):
                obj["attributes"] = attrs
            out.append(obj)
        return out


# -- import ----------------------------------------------------------------------


def _read(dataset_dir: str | None, data_path: str | None,
          labels_path: str | None) -> tuple[dict[str, Any], ImageIndex, str]:  # fmt: skip
    labels_file = resolve(dataset_dir, labels_path, LABELS_FILE)
    content = read_json(labels_file, "Labels file")
    if not isinstance(content, dict) or not isinstance(content.get("labels"), dict):
        raise MediaError(f"{labels_file!r} is not a labels.json: it needs a 'labels' object")
    assert labels_file is not None
    return content, ImageIndex(resolve(dataset_dir, data_path, "data")), labels_file


def _name(target: Any, classes: list[str] | None) -> str | None:
    if isinstance(target, int) and not isinstance(target, bool) and classes:
        return classes[target]
    return None if target is None else str(target)


def _parse(dataset_dir: str | None, data_path: str | None, labels_path: str | None,
           label_field: str | None, make: Any, include_all_data: bool) -> Parsed:  # fmt: skip
    content, index, labels_file = _read(dataset_dir, data_path, labels_path)
    classes = content.get("classes") or None
    field = label_field or "ground_truth"
    samples, missing, seen = [], [], set()
    for key, target in content["labels"].items():
        path = index.find(key)
        if path is None:
            missing.append(key)
            continue
        seen.add(os.path.abspath(path))
        samples.append(Sample(path, **{field: make(target, classes)}))
    if include_all_data:
        samples.extend(Sample(p) for p in index.paths if os.path.abspath(p) not in seen)
    report_missing(missing, labels_file, index.data_dir)
    return Parsed(samples, list(classes) if classes else None)


def _classification(target: Any, classes: list[str] | None) -> Classification | None:
    if target is None:
        return None
    if isinstance(target, dict):
        label = _name(target.get("label"), classes)
        return Classification(label=label, confidence=target.get("confidence"),
                              **(target.get("attributes") or {}))  # fmt: skip
    return Classification(label=_name(target, classes))


def _detections(target: Any, classes: list[str] | None) -> Detections | None:
    if target is None:
        return None
    dets = []
    for obj in target:
        dets.append(Detection(label=_name(obj.get("label"), classes),
                              bounding_box=obj.get("bounding_box"),
                              confidence=obj.get("confidence"),
                              **(obj.get("attributes") or {})))  # fmt: skip
    return Detections(detections=dets)


def parse_classifications(dataset_dir: str | None, data_path: str | None,
                          labels_path: str | None, label_field: str | None,
                          include_all_data: bool = False) -> Parsed:  # fmt: skip
    """The samples of a FiftyOneImageClassificationDataset."""
    return _parse(dataset_dir, data_path, labels_path, label_field, _classification,
                  include_all_data)  # fmt: skip


def parse_detections(dataset_dir: str | None, data_path: str | None,
                     labels_path: str | None, label_field: str | None,
                     include_all_data: bool = False) -> Parsed:  # fmt: skip
    """The samples of a FiftyOneImageDetectionDataset."""
    return _parse(dataset_dir, data_path, labels_path, label_field, _detections,
                  include_all_data)  # fmt: skip


EXPORTERS = {
    ClassificationJsonExporter.name: ClassificationJsonExporter,
    DetectionJsonExporter.name: DetectionJsonExporter,
}
PARSERS = {
    ClassificationJsonExporter.name: parse_classifications,
    DetectionJsonExporter.name: parse_detections,
}
