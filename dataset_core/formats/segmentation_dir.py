"""``ImageSegmentationDirectory``: ``data/<name>.<ext>`` and ``labels/<name>.png``.

Each labeled image has a mask image of class ids with the same relative path
and stem under ``labels/``. The exported field may be a Segmentation (its
mask, in the database or on disk), or Detections/Polylines, drawn into a
mask (see :func:`~dataset_core.segmentation.render_mask`). On import, a
sample's field is ``Segmentation(mask_path=...)``, or with
``load_masks=True`` the mask itself.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..errors import ExportError, MediaError
from ..exporters import Exporter, ExportReport, Layout, UniqueNames, pick_label_field, write_media
from ..importers import Parsed
from ..labels import Segmentation, decode
from ..sample import Sample
from ..segmentation import (
    MASK_EXT,
    MASK_TYPES,
    default_targets,
    image_size,
    read_mask,
    render_mask,
    write_mask,
)
from .paths import ImageIndex, resolve

if TYPE_CHECKING:
    from ..collection import SampleCollection

LABELS_DIR = "labels"
#: mask files read on import
_MASK_EXTS = (".png", ".tif", ".tiff", ".bmp")


class SegmentationDirExporter(Exporter):
    """One mask image per labeled sample; see the module docstring."""

    name = "image-segmentation-dir"
    kind = "labels"
    labels_name = LABELS_DIR
    labels_is_dir = True
    options = {"mask_targets": None, "abs_paths": False}

    def __init__(self, collection: SampleCollection, label_field: str | None, mode: str,
                 rel_dir: str | None = None, **options: Any) -> None:  # fmt: skip
        super().__init__(collection, label_field, mode, rel_dir, **options)
        self.label_field = pick_label_field(collection, label_field, MASK_TYPES,
                                            "ImageSegmentationDirectory")  # fmt: skip
        self.document_type = collection._dataset._schema[self.label_field].document_type
        targets = self.opts["mask_targets"]
        if targets is not None and (not isinstance(targets, dict) or not all(
                isinstance(k, int) for k in targets)):  # fmt: skip
            raise ExportError(f"mask_targets must be a dict of int class id -> label; "
                              f"got {targets!r:.80}")  # fmt: skip
        self.targets = targets

    def _mask(self, label: dict[str, Any], filepath: str) -> Any:
        if self.document_type == "Segmentation":
            mask = decode(label.get("mask"))
            if mask is None and label.get("mask_path"):
                mask = read_mask(label["mask_path"])
            return mask
        if self.targets is None:
            self.targets = default_targets(self.collection, self.label_field, self.document_type)
        return render_mask(label, *image_size(filepath), self.targets)

    def write(self, layout: Layout) -> ExportReport:
        assert layout.labels_path is not None and self.label_field is not None
        names = UniqueNames(self.rel_dir, dedupe=True)
        jobs: dict[str, str] = {}
        count = 0
        project = {"$project": {"filepath": 1, "label": f"${self.label_field}"}}
        for doc in self.collection._aggregate([project]):
            count += 1
            path = doc["filepath"]
            rel = names.assign("", path)
            if layout.data_dir is not None:
                jobs[path] = os.path.join(layout.data_dir, rel)
            label = doc.get("label")
            mask = self._mask(label, path) if label else None
            if mask is not None:
                write_mask(mask, os.path.join(layout.labels_path, os.path.splitext(rel)[0]
                                              + MASK_EXT))  # fmt: skip
        written = write_media(list(jobs.items()), self.mode)
        return ExportReport(layout.root or layout.labels_path, self.name, count, written,
                            tuple(names.renamed))  # fmt: skip


def parse_segmentation_dir(dataset_dir: str | None, data_path: str | None,
                           labels_path: str | None, label_field: str | None,
                           load_masks: bool = False, include_all_data: bool = False,
                           force_grayscale: bool = False) -> Parsed:  # fmt: skip
    """The samples of an ImageSegmentationDirectory.

    Args:
        load_masks: read the masks into the database (default: ``mask_path``).
        include_all_data: also add the images that have no mask.
        force_grayscale: keep the first channel of color masks.

    Raises:
        MediaError: no masks folder.
    """
    masks_dir = resolve(dataset_dir, labels_path, LABELS_DIR)
    if masks_dir is None or not os.path.isdir(masks_dir):
        raise MediaError(f"Masks folder {masks_dir!r} does not exist; pass dataset_dir "
                         "or labels_path=<the folder of mask images>")  # fmt: skip
    masks: dict[str, str] = {}
    for folder, _, files in os.walk(masks_dir):
        for name in files:
            stem, ext = os.path.splitext(name)
            if ext.lower() in _MASK_EXTS:
                rel = os.path.relpath(os.path.join(folder, stem), masks_dir)
                masks.setdefault(rel.replace(os.sep, "/"), os.path.join(folder, name))
    index = ImageIndex(resolve(dataset_dir, data_path, "data"))
    field = label_field or "ground_truth"
    samples = []
    for path in index.paths:
        rel = os.path.splitext(os.path.relpath(path, index.data_dir))[0].replace(os.sep, "/")
        mask_path = masks.get(rel)
        if mask_path is None:
            if include_all_data:
                samples.append(Sample(path))
            continue
        if load_masks:
            mask = read_mask(mask_path)
            if force_grayscale and mask.ndim == 3:
                mask = mask[..., 0]
            label = Segmentation(mask=mask)
        else:
            label = Segmentation(mask_path=os.path.abspath(mask_path))
        samples.append(Sample(path, **{field: label}))
    return Parsed(samples)


EXPORTERS = {SegmentationDirExporter.name: SegmentationDirExporter}
PARSERS = {SegmentationDirExporter.name: parse_segmentation_dir}
