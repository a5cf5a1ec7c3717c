"""The labeled formats of FiftyOne by their names, beyond the folder layouts.

One module per format family, each with its exporter (a
:class:`~dataset_core.exporters.Exporter`) and its parser (folder ->
:class:`~dataset_core.importers.Parsed`):

- :mod:`.labels_json`: ``FiftyOneImageClassificationDataset`` and
  ``FiftyOneImageDetectionDataset`` (``data/`` + ``labels.json``);
- :mod:`.coco`: ``COCODetectionDataset`` (``data/`` + COCO ``labels.json``, boxes);
- :mod:`.splits`: ``split=`` folders for COCO and VOC (``<export_dir>/<split>/``);
- :mod:`.voc`: ``VOCDetectionDataset`` (``data/`` + ``labels/<key>.xml``);
- :mod:`.kitti`: ``KITTIDetectionDataset`` (``data/`` + ``labels/<key>.txt``);
- :mod:`.yolo`: ``YOLOv4Dataset`` and ``YOLOv5Dataset`` (darknet text files);
- :mod:`.fastdup_csv`: ``FastdupAnnotationsDataset`` (``annotations.csv``, fastdup's columns);
- :mod:`.csv_format`: ``CSVDataset`` (``data/`` + ``labels.csv``);
- :mod:`.fiftyone_dataset`: ``FiftyOneDataset``, the lossless one;
- :mod:`.geojson`: ``GeoJSONDataset`` (``data/`` + a GeoJSON ``labels.json``);
- :mod:`.segmentation_dir`: ``ImageSegmentationDirectory`` (``data/`` + ``labels/`` masks);
- :mod:`.image_labels`, :mod:`.bdd`, :mod:`.cvat_image`: the formats of several
  label kinds per image (``FiftyOneImageLabelsDataset``, ``BDDDataset``,
  ``CVATImageDataset``; shared parts in :mod:`.multitask`).

:func:`register` adds them to the export and import registries; the
registries' users call it, so importing ``dataset_core`` stays light.
"""

from __future__ import annotations

_registered = False


def register() -> None:
    """Add this package's formats to ``EXPORT_TYPES``, ``PARSERS`` and ``LOSSLESS``."""
    global _registered
    if _registered:
        return
    from .. import exporters, importers
    from . import (
        bdd,
        coco,
        csv_format,
        cvat_image,
        fastdup_csv,
        fiftyone_dataset,
        geojson,
        image_labels,
        kitti,
        labels_json,
        segmentation_dir,
        voc,
        yolo,
    )

    modules = (labels_json, coco, voc, kitti, yolo, fastdup_csv, csv_format, fiftyone_dataset,
               geojson, segmentation_dir, image_labels, bdd, cvat_image)  # fmt: skip
    for module in modules:
        exporters.EXPORT_TYPES.update(module.EXPORTERS)
        importers.PARSERS.update(getattr(module, "PARSERS", {}))
        importers.LOSSLESS.update(getattr(module, "LOSSLESS", {}))
    _registered = True
