"""Dataset formats by FiftyOne's names: ``fo.types.ImageDirectory`` and the rest.

Each format is a class (as in FiftyOne); ``export(dataset_type=...)`` and
``Dataset.from_dir(dataset_type=...)`` take the class, an instance of it, or
our short string for it (``"images-dir"``, ``"fiftyone-dataset"``...).
The classes only name a format: the code that reads and writes it lives in
:mod:`dataset_core.exporters`, :mod:`dataset_core.importers` and
:mod:`dataset_core.formats`, registered under the class's ``key``.

Example:
    >>> import dataset_core as fo
    >>> dataset.export("/tmp/pets", dataset_type=fo.types.FiftyOneDataset)
    >>> copy = fo.Dataset.from_dir("/tmp/pets", fo.types.FiftyOneDataset, name="pets-copy")
"""

from __future__ import annotations

from typing import Any, ClassVar

from .errors import ExportError


class Dataset:
    """Base of every dataset format."""

    #: the format's key in the import and export registries ("" = abstract)
    key: ClassVar[str] = ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class UnlabeledDataset(Dataset):
    """Media without labels."""


class LabeledDataset(Dataset):
    """Media with labels."""


class UnlabeledImageDataset(UnlabeledDataset):
    """Images without labels."""


class LabeledImageDataset(LabeledDataset):
    """Images with labels."""


class ImageClassificationDataset(LabeledImageDataset):
    """Images with one Classification each."""


class ImageDetectionDataset(LabeledImageDataset):
    """Images with Detections."""


class ImageDirectory(UnlabeledImageDataset):
    """A folder of images, flat (nested folders are read on import)."""

    key = "images-dir"


class ImageClassificationDirectoryTree(ImageClassificationDataset):
    """``<dir>/<class>/<image>``; images without a label in ``_unlabeled/``."""

    key = "image-classification-dir-tree"


class FiftyOneImageClassificationDataset(ImageClassificationDataset):
    """``data/`` and ``labels.json``: ``{"classes": [...], "labels": {uuid: target}}``."""

    key = "fiftyone-image-classification"


class FiftyOneImageDetectionDataset(ImageDetectionDataset):
    """``data/`` and ``labels.json``: ``{"classes": [...], "labels": {uuid: [objects]}}``."""

    key = "fiftyone-image-detection"


class COCODetectionDataset(ImageDetectionDataset):
    """``data/`` and a COCO ``labels.json`` of object boxes and polygons (``split=``:
    ``<dir>/<split>/`` per split; ``include_id``/``coco_id=`` keep COCO ids)."""

    key = "coco-detection"


class VOCDetectionDataset(ImageDetectionDataset):
    """``data/`` and ``labels/``: one Pascal VOC XML file of pixel boxes per image
    (``split=``: ``<dir>/<split>/`` per split)."""

    key = "voc-detection"


class KITTIDetectionDataset(ImageDetectionDataset):
    """``data/`` and ``labels/``: one KITTI text file (a line per object) per image."""

    key = "kitti-detection"


class YOLOv4Dataset(ImageDetectionDataset):
    """``obj.names``, ``images.txt`` and ``data/`` with a YOLO ``.txt`` beside each image."""

    key = "yolov4"


class YOLOv5Dataset(ImageDetectionDataset):
    """``dataset.yaml`` and ``images/<split>/`` + ``labels/<split>/`` (YOLOv5/v8 layout;
    YOLOv8 segmentation lines as Polylines)."""

    key = "yolov5"


class FastdupAnnotationsDataset(ImageDetectionDataset):
    """``data/`` and ``annotations.csv`` in fastdup's box columns (not a FiftyOne type):
    ``filename,col_x,row_y,width,height,label[,split,confidence]``, a row per object;
    ``labels_path`` may be a pandas DataFrame in those columns (fastdup's annotations)."""

    key = "fastdup-annotations"


class CSVDataset(LabeledImageDataset):
    """``data/`` and ``labels.csv``: one row per sample, one column per chosen field."""

    key = "csv"


class FiftyOneDataset(LabeledImageDataset):
    """Every field, id, saved view and brain run of a dataset, losslessly.

    Written as our manifest (``dataset.json``, ``manifest.jsonl``, ``data/``)
    plus ``views.json`` and ``brain/``; see :mod:`dataset_core.formats.fiftyone_dataset`.
    """

    key = "fiftyone-dataset"


class ImageSegmentationDataset(LabeledImageDataset):
    """Images with a semantic Segmentation each."""


class ImageLabelsDataset(LabeledImageDataset):
    """Images with labels of several kinds (attributes, objects, polylines...)."""


class ImageSegmentationDirectory(ImageSegmentationDataset):
    """``data/`` and ``labels/``: one mask image ``labels/<name>.png`` per image."""

    key = "image-segmentation-dir"


class FiftyOneImageLabelsDataset(ImageLabelsDataset):
    """``data/``, ``labels/<name>.json`` (one per image) and a ``manifest.json`` index."""

    key = "fiftyone-image-labels"


class BDDDataset(ImageLabelsDataset):
    """``data/`` and a Berkeley DeepDrive ``labels.json`` (attributes, boxes, polygons)."""

    key = "bdd"


class CVATImageDataset(ImageLabelsDataset):
    """``data/`` and a CVAT for images ``labels.xml`` (boxes, polygons, points, tags)."""

    key = "cvat-image"


class GeoJSONDataset(LabeledImageDataset):
    """``data/`` and a GeoJSON ``labels.json``: one feature per image, its location."""

    key = "geojson"


class LegacyFiftyOneDataset(FiftyOneDataset):
    """FiftyOne's older name of the lossless format; ours writes and reads one format."""

    key = "fiftyone-dataset"


#: every concrete format, by class name (what ``dataset_type`` strings may also say)
FORMATS: dict[str, type[Dataset]] = {
    c.__name__: c
    for c in (
        ImageDirectory,
        ImageClassificationDirectoryTree,
        FiftyOneImageClassificationDataset,
        FiftyOneImageDetectionDataset,
        COCODetectionDataset,
        VOCDetectionDataset,
        KITTIDetectionDataset,
        YOLOv4Dataset,
        YOLOv5Dataset,
        FastdupAnnotationsDataset,
        CSVDataset,
        FiftyOneDataset,
        LegacyFiftyOneDataset,
        ImageSegmentationDirectory,
        FiftyOneImageLabelsDataset,
        BDDDataset,
        CVATImageDataset,
        GeoJSONDataset,
    )
}


def format_key(dataset_type: Any, known: Any) -> str:
    """The registry key of ``dataset_type``: a format class, an instance, or a string.

    Args:
        dataset_type: e.g. ``fo.types.ImageDirectory``, ``ImageDirectory()``,
            ``"ImageDirectory"`` or ``"images-dir"``.
        known: the keys the caller accepts (for the error message and checks).

    Raises:
        ExportError: anything else, or a format the caller does not handle.
    """
    key = None
    if isinstance(dataset_type, type) and issubclass(dataset_type, Dataset):
        key = dataset_type.key or None
    elif isinstance(dataset_type, Dataset):
        key = type(dataset_type).key or None
    elif isinstance(dataset_type, str):
        cls = FORMATS.get(dataset_type) or FORMATS.get(dataset_type.rsplit(".", 1)[-1])
        key = cls.key if cls is not None else dataset_type
    if key is None or key not in known:
        raise ExportError(
            f"Unknown dataset_type {dataset_type!r}; use one of {sorted(FORMATS)} "
            f"(as dataset_core.types.<Name>) or {sorted(known)}"
        )
    return key
