"""dataset_core: image datasets in MongoDB, in the style of FiftyOne.

Example:
    >>> import dataset_core as dc
    >>> samples, classes = dc.parse_image_classification_dir_tree("/data/cifar")
    >>> dataset = dc.Dataset.from_image_classification_samples(samples, name="cifar")
    >>> print(dataset.summary())
"""

from __future__ import annotations

from .dataset import (
    Dataset,
    dataset_exists,
    delete_dataset,
    list_datasets,
    load_dataset,
)
from .errors import (
    DatabaseError,
    DatasetCoreError,
    DatasetExistsError,
    DatasetNotFoundError,
    DuplicateSampleError,
    FieldNotFoundError,
    MediaError,
    SampleNotFoundError,
    SchemaError,
    ViewError,
)
from .fields import Field
from .importers import parse_image_classification_dir_tree
from .labels import Classification, Detection, Detections, ImageMetadata, Label
from .media import compute_filehash
from .metadata import MetadataReport, compute_metadata
from .sample import Sample

__version__ = "0.1.0"

__all__ = [
    "Classification",
    "DatabaseError",
    "Dataset",
    "DatasetCoreError",
    "DatasetExistsError",
    "DatasetNotFoundError",
    "Detection",
    "Detections",
    "DuplicateSampleError",
    "Field",
    "FieldNotFoundError",
    "ImageMetadata",
    "Label",
    "MediaError",
    "MetadataReport",
    "Sample",
    "SampleNotFoundError",
    "SchemaError",
    "ViewError",
    "compute_filehash",
    "compute_metadata",
    "dataset_exists",
    "delete_dataset",
    "list_datasets",
    "load_dataset",
    "parse_image_classification_dir_tree",
]
