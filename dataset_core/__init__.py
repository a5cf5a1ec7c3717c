"""dataset_core: image datasets in MongoDB, in the style of FiftyOne.

Example:
    >>> import dataset_core as dc
    >>> samples, classes = dc.parse_image_classification_dir_tree("/data/cifar")
    >>> dataset = dc.Dataset.from_image_classification_samples(samples, name="cifar")
    >>> print(dataset.summary())
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import types
from .aggregations import (
    Aggregation,
    Bounds,
    Count,
    CountValues,
    Distinct,
    HistogramValues,
    ListSchema,
    Max,
    Mean,
    Min,
    Quantiles,
    Schema,
    Std,
    Sum,
    Values,
)
from .dataset import (
    Dataset,
    dataset_exists,
    delete_dataset,
    delete_non_persistent_datasets,
    list_datasets,
    load_dataset,
)
from .documents import DynamicEmbeddedDocument, EmbeddedDocument
from .errors import (
    DatabaseError,
    DatasetCoreError,
    DatasetExistsError,
    DatasetNotFoundError,
    DuplicateSampleError,
    ExportError,
    FieldNotFoundError,
    FieldValueError,
    LabelValidationError,
    MediaError,
    SampleIndexError,
    SampleNotFoundError,
    SavedViewNotFoundError,
    SchemaError,
    ViewError,
)
from .expressions import VALUE, F, ViewExpression, ViewField
from .fields import (
    ArrayField,
    BooleanField,
    DateField,
    DateTimeField,
    DictField,
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    Field,
    FloatField,
    IntField,
    ListField,
    ObjectIdField,
    StringField,
    VectorField,
)
from .geo import GeoLocation, GeoLocations
from .importers import parse_image_classification_dir_tree
from .labels import (
    Classification,
    Classifications,
    Detection,
    Detections,
    Heatmap,
    ImageMetadata,
    Keypoint,
    Keypoints,
    Label,
    Polyline,
    Polylines,
    Regression,
    Segmentation,
    TemporalDetection,
)
from .media import compute_filehash
from .metadata import MetadataReport, compute_metadata
from .sample import Sample
from .sample_view import SampleView
from .stages import (
    Exclude,
    ExcludeFields,
    ExcludeLabels,
    Exists,
    FilterField,
    FilterLabels,
    GroupBy,
    Limit,
    LimitLabels,
    MapLabels,
    Match,
    MatchLabels,
    MatchTags,
    Mongo,
    Select,
    SelectFields,
    SelectLabels,
    SetField,
    Shuffle,
    Skip,
    SortBy,
    Take,
    ToPatches,
    ViewStage,
)
from .view import DatasetView

if TYPE_CHECKING:
    from server.session import Session

__version__ = "0.1.0"


# -- the front doors: thin lazy forwarders ------------------------------------------
# The session and the CLI sit above ``server`` and ``brain`` (server/session.py,
# server/cli.py); these forward to them on use, so ``import dataset_core`` stays
# light and no module of the data layer imports an upper floor.


def launch_app(
    dataset: Dataset | None = None, view: DatasetView | None = None, port: int = 5151,
    address: str = "127.0.0.1", auto: bool = True, token: bool | None = None,
) -> Session:  # fmt: skip
    """Open the dashboard on ``dataset`` or ``view``; see :func:`server.session.launch_app`."""
    from server.session import launch_app as _launch

    return _launch(dataset, view=view, port=port, address=address, auto=auto, token=token)


#: FiftyOne's name for it, and a plainer one
launch_dashboard = launch_app


def main(argv: list[str] | None = None) -> int:
    """The ``dsc`` command line; see :func:`server.cli.main`."""
    from server.cli import main as _main

    return _main(argv)


def __getattr__(name: str):  # noqa: ANN202
    if name == "Session":  # the class of what launch_app returns
        from server.session import Session

        return Session
    if name == "core":  # FiftyOne's module paths (fo.core.labels), loaded on first use
        import importlib

        return importlib.import_module(".core", __name__)
    raise AttributeError(f"module 'dataset_core' has no attribute {name!r}")


__all__ = [
    "Aggregation",
    "ArrayField",
    "BooleanField",
    "Bounds",
    "Classification",
    "Classifications",
    "Count",
    "CountValues",
    "DatabaseError",
    "Dataset",
    "DatasetCoreError",
    "DatasetExistsError",
    "DatasetNotFoundError",
    "DatasetView",
    "DateField",
    "DateTimeField",
    "Detection",
    "Detections",
    "DictField",
    "Distinct",
    "DuplicateSampleError",
    "DynamicEmbeddedDocument",
    "EmbeddedDocument",
    "EmbeddedDocumentField",
    "EmbeddedDocumentListField",
    "Exclude",
    "ExcludeFields",
    "ExcludeLabels",
    "Exists",
    "ExportError",
    "F",
    "Field",
    "FieldNotFoundError",
    "FieldValueError",
    "FilterField",
    "FilterLabels",
    "FloatField",
    "GroupBy",
    "Heatmap",
    "HistogramValues",
    "ImageMetadata",
    "IntField",
    "Keypoint",
    "Keypoints",
    "Label",
    "LabelValidationError",
    "ListSchema",
    "Limit",
    "LimitLabels",
    "MapLabels",
    "ListField",
    "Match",
    "MatchLabels",
    "MatchTags",
    "Max",
    "Mean",
    "Min",
    "MediaError",
    "MetadataReport",
    "Mongo",
    "ObjectIdField",
    "Polyline",
    "Polylines",
    "Regression",
    "Sample",
    "SampleIndexError",
    "SampleNotFoundError",
    "SampleView",
    "SavedViewNotFoundError",
    "Schema",
    "SchemaError",
    "Segmentation",
    "Select",
    "SelectFields",
    "SelectLabels",
    "Session",
    "SetField",
    "Shuffle",
    "Skip",
    "SortBy",
    "Std",
    "StringField",
    "Sum",
    "Take",
    "ToPatches",
    "Quantiles",
    "Values",
    "VectorField",
    "ViewError",
    "ViewExpression",
    "VALUE",
    "ViewField",
    "ViewStage",
    "compute_filehash",
    "compute_metadata",
    "dataset_exists",
    "delete_dataset",
    "delete_non_persistent_datasets",
    "launch_app",
    "launch_dashboard",
    "list_datasets",
    "load_dataset",
    "parse_image_classification_dir_tree",
    "types",
    "GeoLocation",
    "GeoLocations",
    "TemporalDetection",
]
