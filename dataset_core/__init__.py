"""dataset_core: image datasets in MongoDB, in the style of FiftyOne.

Example:
    >>> import dataset_core as dc
    >>> samples, classes = dc.parse_image_classification_dir_tree("/data/cifar")
    >>> dataset = dc.Dataset.from_image_classification_samples(samples, name="cifar")
    >>> print(dataset.summary())
"""

from __future__ import annotations

from .aggregations import (
    Aggregation,
    Bounds,
    Count,
    CountValues,
    Distinct,
    HistogramValues,
    Mean,
    Std,
    Sum,
    Values,
)
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
    ExportError,
    FieldNotFoundError,
    MediaError,
    SampleNotFoundError,
    SavedViewNotFoundError,
    SchemaError,
    ViewError,
)
from .expressions import F, ViewExpression, ViewField
from .fields import Field
from .importers import parse_image_classification_dir_tree
from .labels import Classification, Detection, Detections, ImageMetadata, Label
from .media import compute_filehash
from .metadata import MetadataReport, compute_metadata
from .sample import Sample
from .session import Session, launch_app, launch_dashboard
from .stages import (
    Exclude,
    ExcludeFields,
    Exists,
    FilterLabels,
    GroupBy,
    Limit,
    Match,
    MatchTags,
    Mongo,
    Select,
    SelectFields,
    Shuffle,
    Skip,
    SortBy,
    Take,
    ViewStage,
)
from .view import DatasetView

__version__ = "0.1.0"

__all__ = [
    "Aggregation",
    "Bounds",
    "Classification",
    "Count",
    "CountValues",
    "DatabaseError",
    "Dataset",
    "DatasetCoreError",
    "DatasetExistsError",
    "DatasetNotFoundError",
    "DatasetView",
    "Detection",
    "Detections",
    "Distinct",
    "DuplicateSampleError",
    "Exclude",
    "ExcludeFields",
    "Exists",
    "ExportError",
    "F",
    "Field",
    "FieldNotFoundError",
    "FilterLabels",
    "GroupBy",
    "HistogramValues",
    "ImageMetadata",
    "Label",
    "Limit",
    "Match",
    "MatchTags",
    "Mean",
    "MediaError",
    "MetadataReport",
    "Mongo",
    "Sample",
    "SampleNotFoundError",
    "SavedViewNotFoundError",
    "SchemaError",
    "Select",
    "Session",
    "SelectFields",
    "Shuffle",
    "Skip",
    "SortBy",
    "Std",
    "Sum",
    "Take",
    "Values",
    "ViewError",
    "ViewExpression",
    "ViewField",
    "ViewStage",
    "compute_filehash",
    "compute_metadata",
    "launch_app",
    "launch_dashboard",
    "dataset_exists",
    "delete_dataset",
    "list_datasets",
    "load_dataset",
    "parse_image_classification_dir_tree",
]
