"""``COCODetectionDataset``: ``data/`` and a COCO ``labels.json`` of objects.

Written: ``images`` (id, file_name, width, height), ``categories`` (id from
1, name) and ``annotations`` (bbox in pixels ``[x, y, w, h]``, area,
``iscrowd`` from the label's attribute of that name (else 0), ``score`` for
the confidence, and the label's own attributes unless ``extra_attrs=False``).
A Detection field is written as one-object lists, a Classification as a box
over the whole image, as FiftyOne does; a Polylines field as polygon
``segmentation`` s with their extent as the bbox. Image sizes come from
``metadata`` or the image header.

Read: ``label_types="detections"`` (boxes, as Detections) and/or
``"segmentations"`` with ``use_polylines=True`` (polygons, as Polylines;
run-length masks are skipped and counted). A nonzero ``iscrowd`` is kept
as an attribute; 0, COCO's default, is not.

Ids, with FiftyOne's options: ``include_id=True`` keeps each image's id in the
sample field ``coco_id``, ``include_annotation_id=True`` each annotation's in
the label attribute ``coco_id``. An export numbers images and annotations
from 1 (FiftyOne's default) unless ``coco_id=`` names the sample field and
``annotation_id=`` the label attribute holding the ids to keep; an entry
without one gets the next id after the largest kept. So
``export(..., coco_id="coco_id", annotation_id="coco_id")`` of an import with
both ``include_*`` options writes the ids it read.

Splits: ``split=`` as in :mod:`.splits` (``<export_dir>/<split>/`` holds
``data/`` and ``labels.json``; reading several splits tags their samples).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from ..errors import ExportError, MediaError
from ..exporters import Exporter, ExportReport, Layout, UniqueNames, pick_label_field, write_media
from ..fields import validate_field_name
from ..importers import Parsed
from ..labels import Detection, Detections, Polyline, Polylines
from ..sample import Sample
from ..values import to_mongo
from .boxes import Clipper, image_size, malformed, read_size
from .paths import ImageIndex, read_json, report_missing, resolve, sample_key, write_json_atomically
from .splits import SplitExportMixin, read_splits, split_names

if TYPE_CHECKING:
    from ..collection import SampleCollection

LABELS_FILE = "labels.json"
#: FiftyOne's name for a COCO id: the sample field of the image's (``include_id``)
#: and the label attribute of the annotation's (``include_annotation_id``)
ID_FIELD = "coco_id"
#: annotation keys of the format itself; any other key is a label attribute
COCO_KEYS = {"id", "image_id", "category_id", "bbox", "area", "iscrowd", "segmentation",
             "score", "keypoints", "num_keypoints"}  # fmt: skip
#: label keys that are not attributes
_OWN = {"_id", "_cls", "label", "bounding_box", "confidence", "tags", "mask", "index",
        "points", "closed", "filled", "iscrowd"}  # fmt: skip
#: label fields an annotation's own keys may not override on import
_RESERVED = ("label", "bounding_box", "confidence", "points", "closed", "filled", "tags",
             "_id", "id", "_cls")  # fmt: skip


def _objects(label: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not label:
        return []
    cls = label.get("_cls")
    if cls == "Detections":
        return list(label.get("detections") or [])
    if cls == "Polylines":
        return list(label.get("polylines") or [])
    if cls == "Classification":
        return [dict(label, bounding_box=[0.0, 0.0, 1.0, 1.0])]
    return [label]


class COCODetectionExporter(SplitExportMixin, Exporter):
    """COCO boxes; see the module docstring."""

    name = "coco-detection"
    kind = "labels"
    labels_name = LABELS_FILE
    options = {"abs_paths": False, "extra_attrs": True, "classes": None, "coco_id": None,
               "annotation_id": None, "split": None}  # fmt: skip

    def __init__(self, collection: SampleCollection, label_field: str | None, mode: str,
                 rel_dir: str | None = None, **options: Any) -> None:  # fmt: skip
        super().__init__(collection, label_field, mode, rel_dir, **options)
        kinds = ("Detections", "Detection", "Classification", "Polylines", "Polyline")
        self.label_field = pick_label_field(collection, label_field, kinds, "COCODetectionDataset")
        self._place_split()

    def write(self, layout: Layout) -> ExportReport:
        self._check_split_root(layout.root)
        names = UniqueNames(self.rel_dir, dedupe=True)
        jobs: dict[str, str] = {}
        images, annotations, rows = [], [], []
        kept_ids = IdKeeper(self.opts["coco_id"], "coco_id")
        project = {"$project": {"filepath": 1, "metadata": 1, "label": f"${self.label_field}"}}
        if self.opts["coco_id"]:
            self._check_id_field(self.opts["coco_id"])
            project["$project"]["coco_id"] = f"${self.opts['coco_id']}"
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
            width, height = image_size(doc, "COCO")
            image = {"id": kept_ids.take(doc.get("coco_id"), repr(path)),
                     "file_name": exported or key + ext, "width": width,
                     "height": height}  # fmt: skip
            images.append(image)
            rows.append((image, doc.get("label")))
        kept_ids.number([im for im in images if im["id"] is None])
        seen = sorted({o.get("label") for _, lab in rows for o in _objects(lab)} - {None})
        own = self.collection._dataset._field_classes(self.label_field)
        classes = self.opts["classes"] or own or seen
        category = {c: i + 1 for i, c in enumerate(classes)}
        ann_ids = IdKeeper(self.opts["annotation_id"], "annotation_id")
        for image, label in rows:
            for obj in _objects(label):
                ann = self._annotation(image, obj, category)
                ann["id"] = ann_ids.take(obj.get(self.opts["annotation_id"] or "", None),
                                         f"an object of image {image['id']}")  # fmt: skip
                annotations.append(ann)
        ann_ids.number([a for a in annotations if a["id"] is None])
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

    def _check_id_field(self, field: str) -> None:
        if field not in self.collection._dataset._schema:
            raise ExportError(f"coco_id={field!r}: no such sample field; pass the field that "
                              "holds each image's COCO id (include_id=True imports it as "
                              "'coco_id')")  # fmt: skip

    def _annotation(self, image: dict[str, Any], obj: dict[str, Any],
                    category: dict[str, int]) -> dict[str, Any]:  # fmt: skip
        name = obj.get("label")
        if name not in category:
            raise ExportError(f"Label {name!r} is not in classes {list(category)}; pass "
                              "classes= with every label")  # fmt: skip
        width, height = image["width"], image["height"]
        polygons = None
        if obj.get("_cls") == "Polyline":
            shapes = [s for s in obj.get("points") or [] if s]
            polygons = [[v for x, y in shape for v in (x * width, y * height)] for shape in shapes]
            xs = [p for poly in polygons for p in poly[0::2]] or [0.0]
            ys = [p for poly in polygons for p in poly[1::2]] or [0.0]
            box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
        else:
            x, y, w, h = obj.get("bounding_box") or (0.0, 0.0, 0.0, 0.0)
            box = [x * width, y * height, w * width, h * height]
        ann: dict[str, Any] = {"id": None, "image_id": image["id"],
                               "category_id": category[name],
                               "bbox": box, "area": box[2] * box[3],
                               "iscrowd": int(obj.get("iscrowd") or 0)}  # fmt: skip
        if polygons is not None:
            ann["segmentation"] = polygons
        if obj.get("confidence") is not None:
            ann["score"] = obj["confidence"]
        if self.opts["extra_attrs"]:
            for k, v in obj.items():
                if (k not in _OWN and k not in COCO_KEYS and k != self.opts["annotation_id"]
                        and isinstance(v, (str, int, float, bool))):  # fmt: skip
                    ann[k] = v
        return ann


class IdKeeper:
    """COCO ids kept from a field (``coco_id=``/``annotation_id=``) where they are
    set, and numbered after the largest kept one where they are not.

    Raises:
        ExportError: a kept id that is not an integer, or one held twice.
    """

    def __init__(self, field: str | None, option: str) -> None:
        self.field, self.option = field, option
        self.used: dict[int, str] = {}

    def take(self, value: Any, where: str) -> int | None:
        """``value`` as the id of ``where`` (None: numbered later)."""
        if self.field is None or value is None:
            return None
        if type(value) is not int:
            raise ExportError(f"{self.option}={self.field!r}: {where} has {value!r}, not an "
                              "integer COCO id")  # fmt: skip
        if value in self.used:
            raise ExportError(f"{self.option}={self.field!r}: COCO id {value} is held by both "
                              f"{self.used[value]} and {where}; ids must be unique")  # fmt: skip
        self.used[value] = where
        return value

    def number(self, entries: list[dict[str, Any]]) -> None:
        """Give the entries without a kept id the next free ones, from 1."""
        start = max(self.used, default=0) + 1
        for i, entry in enumerate(entries):
            entry["id"] = start + i


def parse_coco(dataset_dir: str | None, data_path: str | None, labels_path: str | None,
               label_field: str | None, label_types: Any = None, extra_attrs: bool = True,
               include_all_data: bool = False, use_polylines: bool = False,
               include_id: bool = False, include_annotation_id: bool = False,
               split: str | list[str] | None = None) -> Parsed:  # fmt: skip
    """The samples of a COCO detection file; see the module docstring.

    Raises:
        MediaError: label types other than detections, a missing split, or a
            malformed file (one line naming the file, the annotation and what
            is wrong).
    """
    if data_path is None and labels_path is None:
        splits = split_names(dataset_dir, split,
                             lambda d: os.path.isfile(os.path.join(d, LABELS_FILE)))  # fmt: skip
        if splits:
            assert dataset_dir is not None

            def one(folder: str) -> Parsed:
                return parse_coco(folder, None, None, label_field, label_types, extra_attrs,
                                  include_all_data, use_polylines, include_id,
                                  include_annotation_id)  # fmt: skip

            return read_splits(dataset_dir, splits, not isinstance(split, str), one)
    elif split is not None:
        raise MediaError(f"split={split!r} reads <dataset_dir>/<split>/; pass dataset_dir "
                         "without data_path and labels_path")  # fmt: skip
    types = [label_types] if isinstance(label_types, str) else list(label_types or ["detections"])
    unknown = [t for t in types if t not in READERS]
    if unknown:
        raise MediaError(f"label_types={label_types!r}: COCO is read as {sorted(READERS)}")
    if "segmentations" in types and not use_polylines:
        raise MediaError("COCO segmentations are read as Polylines: pass use_polylines=True "
                         "(instance masks are not read)")  # fmt: skip
    if isinstance(label_types, str):
        fields = {label_types: label_field or "ground_truth"}
    else:
        fields = {t: f"{label_field}_{t}" if label_field else t for t in types}
    for name in fields.values():  # the samples are built as documents, past Sample's checks
        validate_field_name(name)
    labels_file = resolve(dataset_dir, labels_path, LABELS_FILE)
    content = read_json(labels_file, "COCO labels file")
    assert labels_file is not None
    if not isinstance(content, dict) or not isinstance(content.get("images"), list):
        raise MediaError(f"{labels_file!r} is not a COCO file: it needs an 'images' list")
    names = category_names(content, labels_file)
    by_image = annotations_by_image(content.get("annotations") or [], labels_file)
    index = ImageIndex(resolve(dataset_dir, data_path, "data"))
    clipper, rle = Clipper(), []
    samples, missing, seen = [], [], set()
    for image in content["images"]:
        path = index.find(str(image.get("file_name", "")))
        if path is None:
            missing.append(image.get("file_name"))
            continue
        path = os.path.abspath(path)
        seen.add(path)
        anns = by_image.get(image.get("id"), [])
        labels: dict[str, Any] = dict.fromkeys(fields.values())
        if include_id:
            labels[ID_FIELD] = to_mongo(image.get("id"))
        if anns:
            width, height = image.get("width"), image.get("height")
            if not width or not height:
                width, height = read_size(path, labels_file)
            for kind, field in fields.items():
                if kind == "detections":
                    labels[field] = detections_doc(anns, names, width, height, extra_attrs,
                                                   clipper, include_annotation_id,
                                                   source=labels_file)  # fmt: skip
                else:
                    labels[field] = to_polylines(anns, names, width, height, extra_attrs, rle,
                                                 include_annotation_id).to_dict()  # fmt: skip
        # the stored document itself (as Sample(path, **labels) would hold it): no label
        # objects to build and encode for each of a large file's boxes
        doc = {"filepath": path, "tags": [], "metadata": None, **labels}
        samples.append(Sample._from_doc(doc, None))
    if include_all_data:
        samples.extend(Sample(p) for p in index.paths if os.path.abspath(p) not in seen)
    report_missing([str(m) for m in missing], labels_file, index.data_dir)
    clipper.report(labels_file)
    if rle:
        print(f"Skipped {len(rle)} run-length (mask) segmentations of {labels_file}, e.g. "
              f"annotations {rle[:3]}; only polygons are read as Polylines")  # fmt: skip
    return Parsed(samples, [names[k] for k in sorted(names)] or None)


def category_names(content: dict[str, Any], labels_file: str) -> dict[Any, str]:
    """``{category id: name}`` of a COCO file's ``categories``.

    Raises:
        MediaError: a category without an id or a name.
    """
    names = {}
    for i, c in enumerate(content.get("categories") or []):
        if not isinstance(c, dict) or "id" not in c or "name" not in c:
            raise malformed(labels_file, f"categories[{i}]", f"needs 'id' and 'name', got {c!r}")
        names[c["id"]] = str(c["name"])
    return names


def annotations_by_image(annotations: Any, labels_file: str) -> dict[Any, list[dict[str, Any]]]:
    """The annotations grouped by ``image_id``, each checked for a usable ``bbox``.

    Raises:
        MediaError: an annotation that is not an object, lacks ``image_id``, or
            whose ``bbox`` is not 4 numbers with a non-negative size.
    """
    if not isinstance(annotations, list):
        raise malformed(labels_file, "'annotations'", "must be a list")
    by_image: dict[Any, list[dict[str, Any]]] = {}
    for i, ann in enumerate(annotations):
        try:
            box = ann.get("bbox")
            if box is not None and (type(box) is not list or len(box) != 4 or box[2] < 0
                                    or box[3] < 0 or type(box[0]) is bool):  # fmt: skip
                raise TypeError
            by_image.setdefault(ann["image_id"], []).append(ann)
        except (AttributeError, KeyError, TypeError):  # checked in detail only when bad
            raise _bad_annotation(labels_file, i, ann) from None
    return by_image


def _bad_annotation(labels_file: str, i: int, ann: Any) -> MediaError:
    entry = f"annotations[{i}]"
    if not isinstance(ann, dict) or "image_id" not in ann:
        return malformed(labels_file, entry, f"needs an object with 'image_id', got {ann!r}")
    if "id" in ann:
        entry += f" (id {ann['id']})"
    return malformed(labels_file, entry, "bbox must be [x, y, width, height] in pixels with "
                     f"width, height >= 0; got {ann.get('bbox')!r}")  # fmt: skip


def to_detections(anns: list[dict[str, Any]], names: dict[Any, str], width: float,
                  height: float, extra_attrs: Any = True, clipper: Clipper | None = None,
                  include_id: bool = False, source: str = "COCO") -> Detections:  # fmt: skip
    """The Detections of one image's annotations (those with a ``bbox``);
    ``include_id`` keeps each annotation's id as ``coco_id``."""
    doc = detections_doc(anns, names, width, height, extra_attrs, clipper, include_id, source)
    return Detections.from_dict(doc)


#: what a COCO attribute may be for :func:`_detection_doc` to store it as it is
_PLAIN = (str, int, float, bool, type(None))
#: names a Detection checks (``mask``, ``index``...) or owns: such an attribute
#: goes through the Detection constructor
_DETECTION_NAMES = frozenset(Detection._checks) | {"_id", "id", "_cls", "tags"}


def _detection_doc(label: Any, box: list[float], score: Any,
                   attrs: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """The stored form of ``Detection(label=label, bounding_box=box, confidence=score,
    **attrs)``, built as a dict when every value is plain (the import's hot path:
    no label object, no second encoding), else through the Detection itself (which
    checks and converts the rest, and raises what it raises)."""
    plain = ((label is None or type(label) is str) and (score is None or type(score) is float)
             and all(type(v) in _PLAIN and k not in _DETECTION_NAMES and k[:1] != "_"
                     and "." not in k and "$" not in k for k, v in attrs.items()))  # fmt: skip
    if not plain:
        return Detection(label=label, bounding_box=box, confidence=score, **attrs).to_dict()
    # the key order of Detection.to_dict(): a declared None is left out, a dynamic None kept
    doc: dict[str, Any] = {"_cls": "Detection", "_id": ObjectId(), "tags": []}
    if label is not None:
        doc["label"] = label
    doc["bounding_box"] = box
    if score is not None:
        doc["confidence"] = score
    doc.update(attrs)
    return doc


def detections_doc(anns: list[dict[str, Any]], names: dict[Any, str], width: float,
                   height: float, extra_attrs: Any = True, clipper: Clipper | None = None,
                   include_id: bool = False, source: str = "COCO") -> dict[str, Any]:  # fmt: skip
    """:func:`to_detections` in its stored form (what ``Detections.to_dict()`` gives)."""
    clipper = clipper or Clipper()
    dets = []
    for ann in anns:
        if ann.get("bbox") is None:
            continue
        x, y, w, h = ann["bbox"]
        where = f"annotation {ann.get('id')} of image {ann.get('image_id')}"
        try:
            box = clipper.clip([x / width, y / height, w / width, h / height], where)
        except TypeError:
            raise malformed(source, where, f"bbox {ann['bbox']!r} is not 4 numbers") from None
        if box is None:  # entirely outside the image: counted and dropped
            continue
        if not (box[0] >= 0.0 and box[1] >= 0.0 and box[2] >= 0.0 and box[3] >= 0.0
                and box[0] + box[2] <= 1.0 + 1e-6 and box[1] + box[3] <= 1.0 + 1e-6):  # fmt: skip
            box = list(Detection(bounding_box=box).bounding_box)  # NaN...: its own error
        label = _name(names, ann.get("category_id"))
        attrs = _extra(ann, extra_attrs)
        if include_id:
            attrs[ID_FIELD] = ann.get("id")
        dets.append(_detection_doc(label, [float(v) for v in box], ann.get("score"), attrs))
    return {"_cls": "Detections", "_id": ObjectId(), "tags": [], "detections": dets}


def to_polylines(anns: list[dict[str, Any]], names: dict[Any, str], width: float,
                 height: float, extra_attrs: Any = True,
                 rle: list[Any] | None = None, include_id: bool = False) -> Polylines:  # fmt: skip
    """The Polylines of one image's polygon segmentations; the ids of run-length
    (mask) segmentations, which are not polygons, are appended to ``rle``;
    ``include_id`` keeps each annotation's id as ``coco_id``."""
    lines = []
    for ann in anns:
        seg = ann.get("segmentation")
        if not seg:
            continue
        if not isinstance(seg, list):
            if rle is not None:
                rle.append(ann.get("id"))
            continue
        shapes = [[[poly[i] / width, poly[i + 1] / height] for i in range(0, len(poly) - 1, 2)]
                  for poly in seg if isinstance(poly, list) and len(poly) >= 6]  # fmt: skip
        attrs = _extra(ann, extra_attrs)
        if include_id:
            attrs[ID_FIELD] = ann.get("id")
        lines.append(Polyline(label=_name(names, ann.get("category_id")), points=shapes,
                              confidence=ann.get("score"), closed=False, filled=True,
                              **attrs))  # fmt: skip
    return Polylines(polylines=lines)


def _name(names: dict[Any, str], category: Any) -> str | None:
    """A category's name; an id the file does not name stays as its number, in text."""
    return names.get(category, None if category is None else str(category))


#: what each label type is read as
READERS = {"detections": to_detections, "segmentations": to_polylines}


#: annotation keys never read as attributes
_NOT_ATTRIBUTES = frozenset(COCO_KEYS) | frozenset(_RESERVED)


def _extra(ann: dict[str, Any], extra_attrs: Any) -> dict[str, Any]:
    if extra_attrs is False or extra_attrs is None:
        return {}
    # a file's "label" key (_RESERVED) must not clash with the label's own
    attrs = {k: v for k, v in ann.items() if k not in _NOT_ATTRIBUTES}
    if ann.get("iscrowd"):
        attrs["iscrowd"] = ann["iscrowd"]
    if extra_attrs is not True:
        wanted = {extra_attrs} if isinstance(extra_attrs, str) else set(extra_attrs)
        attrs = {k: v for k, v in attrs.items() if k in wanted}
    return attrs


EXPORTERS = {COCODetectionExporter.name: COCODetectionExporter}
PARSERS = {COCODetectionExporter.name: parse_coco}
