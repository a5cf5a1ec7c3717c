"""COCO annotations onto an existing collection: :func:`add_coco_labels`
(FiftyOne's ``fiftyone.utils.coco.add_coco_labels``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import MediaError
from ..formats.boxes import Clipper, image_size
from ..formats.coco import annotations_by_image, category_names, to_detections
from ..formats.paths import read_json

if TYPE_CHECKING:
    from ..collection import SampleCollection

__all__ = ["add_coco_labels"]


def add_coco_labels(sample_collection: SampleCollection, label_field: str, labels_or_path: Any,
                    classes: Any = None, label_type: str = "detections",
                    coco_id_field: str | None = None, include_annotation_id: bool = False,
                    extra_attrs: Any = True) -> None:  # fmt: skip
    """Add COCO object boxes to the samples of a collection, as Detections.

    Args:
        sample_collection: the dataset or view the annotations belong to.
        label_field: the field the Detections go to (created if needed).
        labels_or_path: a list of COCO annotations, or a COCO JSON file (its
            ``annotations``, or the file itself when it is a list).
        classes: the class names by category id, for categories the file does
            not name: a list indexed by id (as FiftyOne's) or a dict. A file's
            own ``categories`` are used for the ids they list.
        label_type: ``"detections"`` (the only type read here).
        coco_id_field: the sample field holding each image's COCO id; None:
            an annotation's ``image_id`` is the 1-based position of its sample
            in ``sample_collection``.
        include_annotation_id: store each annotation's id as ``coco_id``.
        extra_attrs: keep the annotations' own keys as attributes: True, False,
            or the names to keep.

    Samples without annotations are left as they are.

    Raises:
        MediaError: another ``label_type``, a malformed file or annotation, or
            a category id that neither the file nor ``classes`` names.

    Example:
        >>> import dataset_core.utils.coco as fouc
        >>> fouc.add_coco_labels(dataset, "coco", "/tmp/export/labels.json", ["cat", "dog"])
    """
    if label_type != "detections":
        raise MediaError(f"label_type={label_type!r}: add_coco_labels reads 'detections' only")
    source = labels_or_path if isinstance(labels_or_path, str) else "the annotations given"
    names: dict[Any, str] = {}
    if isinstance(classes, dict):
        names.update({k: str(v) for k, v in classes.items()})
    elif classes is not None:
        names.update(dict(enumerate(str(c) for c in classes)))
    annotations = labels_or_path
    if isinstance(labels_or_path, str):
        content = read_json(labels_or_path, "COCO labels file")
        if isinstance(content, dict):
            names.update(category_names(content, labels_or_path))
            annotations = content.get("annotations") or []
        else:
            annotations = content
    by_image = annotations_by_image(annotations, source)
    for image_id, anns in by_image.items():
        for ann in anns:
            if ann.get("category_id") not in names:
                raise MediaError(
                    f"Annotation {ann.get('id')} of image {image_id} in {source} "
                    f"has category_id {ann.get('category_id')!r}, which neither "
                    "the file's categories nor classes name; pass classes="
                )
    project = {"$project": {"filepath": 1, "metadata": 1,
                            "key": f"${coco_id_field}" if coco_id_field else "$_id"}}  # fmt: skip
    docs = list(sample_collection._aggregate([project]))
    if coco_id_field is None:
        by_key = {i: d for i, d in enumerate(docs, 1)}
    else:
        by_key = {d.get("key"): d for d in docs if d.get("key") is not None}
    clipper = Clipper()
    values, unmatched = {}, []
    for image_id, anns in by_image.items():
        doc = by_key.get(image_id)
        if doc is None:
            unmatched.append(image_id)
            continue
        width, height = image_size(doc, "add_coco_labels")
        values[doc["_id"]] = to_detections(
            anns, names, width, height, extra_attrs, clipper, include_annotation_id, source
        )
    if unmatched:
        what = f"field {coco_id_field!r}" if coco_id_field else "positions (1-based image_id)"
        print(f"Skipped annotations of {len(unmatched)} image ids of {source} that match no "
              f"sample by {what} (e.g. {sorted(unmatched, key=str)[:3]})")  # fmt: skip
    clipper.report(source)
    if values:
        sample_collection.set_values(label_field, values)
