"""``COCODetectionDataset``: ``data/`` and a COCO ``labels.json`` of object boxes.

Only detections (boxes) are read and written: ``images`` (id, file_name,
width, height), ``categories`` (id from 1, name) and ``annotations`` (bbox in
pixels ``[x, y, w, h]``, area, iscrowd, ``score`` for the confidence, and the
label's own attributes unless ``extra_attrs=False``). A Detection field is
written as one-object lists, a Classification as a box over the whole image,
as FiftyOne does. Image sizes come from ``metadata`` or the image header.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..errors import ExportError, MediaError
from ..exporters import Exporter, ExportReport, Layout, UniqueNames, pick_label_field, write_media
from ..importers import Parsed
from ..labels import Detection, Detections
from ..metadata import read_image_metadata
from ..sample import Sample
from .paths import ImageIndex, read_json, report_missing, resolve, sample_key, write_json_atomically

if TYPE_CHECKING:
    from ..collection import SampleCollection

LABELS_FILE = "labels.json"
#: annotation keys of the format itself; any other key is a label attribute
COCO_KEYS = {"id", "image_id", "category_id", "bbox", "area", "iscrowd", "segmentation",
             "score", "keypoints", "num_keypoints"}  # fmt: skip
#: label keys that are not attributes
_OWN = {"_id", "_cls", "label", "bounding_box", "confidence", "tags", "mask", "index"}


def _size(doc: dict[str, Any]) -> tuple[int, int]:
    meta = doc.get("metadata") or {}
    if meta.get("width") and meta.get("height"):
        return int(meta["width"]), int(meta["height"])
    try:
        m = read_image_metadata(doc["filepath"])
    except OSError as e:
        raise ExportError(f"COCO needs the size of {doc['filepath']!r}, which cannot be read "
                          f"({e}); fix or exclude that sample") from None  # fmt: skip
    return int(m.width or 0), int(m.height or 0)


def _objects(label: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not label:
        return []
    cls = label.get("_cls")
    if cls == "Detections":
        return list(label.get("detections") or [])
    if cls == "Classification":
        return [dict(label, bounding_box=[0.0, 0.0, 1.0, 1.0])]
    return [label]


class COCODetectionExporter(Exporter):
    """COCO boxes; see the module docstring."""

    name = "coco-detection"
    kind = "labels"
    labels_name = LABELS_FILE
    options = {"abs_paths": False, "extra_attrs": True, "classes": None}

    def __init__(self, collection: SampleCollection, label_field: str | None, mode: str,
                 rel_dir: str | None = None, **options: Any) -> None:  # fmt: skip
        super().__init__(collection, label_field, mode, rel_dir, **options)
        kinds = ("Detections", "Detection", "Classification")
        self.label_field = pick_label_field(collection, label_field, kinds, "COCODetectionDataset")

    def write(self, layout: Layout) -> ExportReport:
        names = UniqueNames(self.rel_dir, dedupe=True)
        jobs: dict[str, str] = {}
        images, annotations, rows = [], [], []
        project = {"$project": {"filepath": 1, "metadata": 1, "label": f"${self.label_field}"}}
        for doc in self.collection._aggregate([project]):
            # one image entry per sample (samples sharing a file keep their own labels
            # and import as separate samples); the file itself is written once
            path = doc["filepath"]
            exported = None
            if layout.data_dir is not None:
                exported = names.assign("", path)
                jobs[path] = os.path.join(layout.data_dir, exported)
            key = sample_key(path, exported, self.rel_dir, self.opts["abs_paths"])
            ext = "" if exported or self.opts["abs_paths"] else os.path.splitext(path)[1]
            width, height = _size(doc)
            image = {"id": len(images) + 1, "file_name": exported or key + ext,
                     "width": width, "height": height}  # fmt: skip
            images.append(image)
            rows.append((image["id"], image, doc.get("label")))
        seen = sorted({o.get("label") for *_, lab in rows for o in _objects(lab)} - {None})
        classes = self.opts["classes"] or list(self.collection._dataset.classes) or seen
        category = {c: i + 1 for i, c in enumerate(classes)}
        for image_id, image, label in rows:
            for obj in _objects(label):
                annotations.append(self._annotation(len(annotations) + 1, image_id, image, obj,
                                                    category))  # fmt: skip
        written = write_media(list(jobs.items()), self.mode)
        content = {
            "info": {"description": self.collection._dataset.name},
            "licenses": [],
            "categories": [
                {"id": i, "name": c, "supercategory": None} for c, i in category.items()
            ],  # fmt: skip
            "images": images,
            "annotations": annotations,
        }
        assert layout.labels_path is not None
        write_json_atomically(layout.labels_path, content)
        root = layout.root or os.path.dirname(layout.labels_path)
        return ExportReport(root, self.name, len(rows), written, tuple(names.renamed))

    def _annotation(self, n: int, image_id: int, image: dict[str, Any], obj: dict[str, Any],
                    category: dict[str, int]) -> dict[str, Any]:  # fmt: skip
        name = obj.get("label")
        if name not in category:
            raise ExportError(f"Label {name!r} is not in classes {list(category)}; pass "
                              "classes= with every label")  # fmt: skip
        x, y, w, h = obj.get("bounding_box") or (0.0, 0.0, 0.0, 0.0)
        box = [x * image["width"], y * image["height"], w * image["width"], h * image["height"]]
        ann: dict[str, Any] = {"id": n, "image_id": image_id, "category_id": category[name],
                               "bbox": box, "area": box[2] * box[3], "iscrowd": 0}  # fmt: skip
        if obj.get("confidence") is not None:
            ann["score"] = obj["confidence"]
        if self.opts["extra_attrs"]:
            for k, v in obj.items():
                if k not in _OWN and k not in COCO_KEYS and isinstance(v, (str, int, float, bool)):
                    ann[k] = v
        return ann


def parse_coco(dataset_dir: str | None, data_path: str | None, labels_path: str | None,
               label_field: str | None, label_types: Any = None, extra_attrs: bool = True,
               include_all_data: bool = False) -> Parsed:  # fmt: skip
    """The samples of a COCO detection file; see the module docstring.

    Raises:
        MediaError: label types other than detections, or a malformed file.
    """
    types = [label_types] if isinstance(label_types, str) else list(label_types or [])
    if any(t != "detections" for t in types):
        raise MediaError(f"label_types={label_types!r}: only 'detections' are read from COCO")
    field = (label_field or "ground_truth") if isinstance(label_types, str) else (
        f"{label_field}_detections" if label_field else "detections"
    )  # fmt: skip
    labels_file = resolve(dataset_dir, labels_path, LABELS_FILE)
    content = read_json(labels_file, "COCO labels file")
    if not isinstance(content, dict) or not isinstance(content.get("images"), list):
        raise MediaError(f"{labels_file!r} is not a COCO file: it needs an 'images' list")
    names = {c["id"]: c["name"] for c in content.get("categories") or []}
    by_image: dict[Any, list[dict[str, Any]]] = {}
    for ann in content.get("annotations") or []:
        by_image.setdefault(ann.get("image_id"), []).append(ann)
    index = ImageIndex(resolve(dataset_dir, data_path, "data"))
    samples, missing, seen = [], [], set()
    for image in content["images"]:
        path = index.find(str(image.get("file_name", "")))
        if path is None:
            missing.append(image.get("file_name"))
            continue
        seen.add(os.path.abspath(path))
        anns = by_image.get(image.get("id"), [])
        dets = None
        if anns:
            width, height = image.get("width"), image.get("height")
            if not width or not height:
                m = read_image_metadata(path)
                width, height = m.width, m.height
            dets = Detections(detections=[_detection(a, names, width, height, extra_attrs)
                                          for a in anns])  # fmt: skip
        samples.append(Sample(path, **{field: dets}))
    if include_all_data:
        samples.extend(Sample(p) for p in index.paths if os.path.abspath(p) not in seen)
    assert labels_file is not None
    report_missing([str(m) for m in missing], labels_file, index.data_dir)
    return Parsed(samples, [names[k] for k in sorted(names)] or None)


def _detection(ann: dict[str, Any], names: dict[Any, str], width: float, height: float,
               extra_attrs: bool) -> Detection:  # fmt: skip
    x, y, w, h = ann.get("bbox") or (0, 0, 0, 0)
    box = [x / width, y / height, w / width, h / height]
    box = [min(max(v, 0.0), 1.0) for v in box]  # pixel rounding may step just outside
    attrs = {k: v for k, v in ann.items() if k not in COCO_KEYS} if extra_attrs else {}
    return Detection(label=names.get(ann.get("category_id")), bounding_box=box,
                     confidence=ann.get("score"), **attrs)  # fmt: skip


EXPORTERS = {COCODetectionExporter.name: COCODetectionExporter}
PARSERS = {COCODetectionExporter.name: parse_coco}
