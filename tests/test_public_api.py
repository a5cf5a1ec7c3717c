"""The public API of dataset_core and brain, pinned: a name added or dropped is a
decision, made here on purpose, not a side effect of a refactoring."""

from __future__ import annotations

import inspect

import pytest

import brain
import dataset_core as dc

pytestmark = pytest.mark.unit

DATASET_CORE = [
    "Aggregation", "Bounds", "Classification", "Count", "CountValues", "DatabaseError",
    "Dataset", "DatasetCoreError", "DatasetExistsError", "DatasetNotFoundError", "DatasetView",
    "Detection", "Detections", "Distinct", "DuplicateSampleError", "Exclude", "ExcludeFields",
    "Exists", "ExportError", "F", "Field", "FieldNotFoundError", "FilterLabels", "GroupBy",
    "HistogramValues", "ImageMetadata", "Label", "Limit", "Match", "MatchTags", "Mean",
    "MediaError", "MetadataReport", "Mongo", "Sample", "SampleNotFoundError",
    "SavedViewNotFoundError", "SchemaError", "Select", "SelectFields", "Session", "SetField",
    "Shuffle", "Skip", "SortBy", "Std", "Sum", "Take", "Values", "ViewError", "ViewExpression",
    "ViewField", "ViewStage", "compute_filehash", "compute_metadata", "dataset_exists",
    "delete_dataset", "launch_app", "launch_dashboard", "list_datasets", "load_dataset",
    "parse_image_classification_dir_tree", "types",
    # issue 13: FiftyOne's label types and label stages
    "Classifications", "ExcludeLabels", "Heatmap", "Keypoint", "Keypoints",
    "LabelValidationError", "MatchLabels", "Polyline", "Polylines", "Regression",
    "SelectLabels", "Segmentation",
    # issue 13: FiftyOne's typed fields, embedded documents, schema aggregations
    "ArrayField", "BooleanField", "DateField", "DateTimeField", "DictField",
    "DynamicEmbeddedDocument", "EmbeddedDocument", "EmbeddedDocumentField",
    "EmbeddedDocumentListField", "FieldValueError", "FloatField", "IntField", "ListField",
    "ListSchema", "ObjectIdField", "Schema", "StringField", "VectorField",
    # issue 13: dataset and sample semantics
    "SampleIndexError", "delete_non_persistent_datasets",
    # issue 13: FiftyOne's Min, Max and Quantiles aggregations
    "Max", "Min", "Quantiles",
    # issue 13: FiftyOne's VALUE (reduce), SampleView, FilterField/LimitLabels/MapLabels
    "FilterField", "LimitLabels", "MapLabels", "SampleView", "VALUE",
    # issue 13: FiftyOne's location label (GeoJSONDataset)
    "GeoLocation",
    # issue 13: FiftyOne's TemporalDetection (a plain label) and GeoLocations
    "GeoLocations", "TemporalDetection",
    # issue 15: FiftyOne's ToPatches stage (patches views as stages)
    "ToPatches",
]  # fmt: skip
#: what every dataset and view offers (FiftyOne's names), runs API included
COLLECTION = [
    "aggregate", "bounds", "clone", "count", "count_values", "dataset", "delete_brain_run",
    "delete_brain_runs", "describe", "distinct", "estimated_count", "exclude", "exclude_fields",
    "exists", "export", "filter_field", "filter_labels", "find_sample_doc", "first",
    "get_brain_info", "group_by", "has_brain_run", "head", "histogram_values", "iter_samples",
    "last", "limit",
    "list_brain_runs", "load_brain_results", "match", "match_tags", "max", "mean", "min",
    "mongo", "quantiles", "rename_brain_run", "select", "select_fields", "set_field",
    "set_values", "shuffle", "skip", "sort_by", "sort_by_similarity", "std", "sum",
    "tag_samples", "take", "untag_samples",
    "values", "view",
    # issue 13: FiftyOne's sample tag counts of any collection (patches views too)
    "count_sample_tags",
    # issue 14: where a sample opened by id sits in a view (the sample view's "n of N")
    "position_of",
    # issue 14: a view's ids in order without decoding (the grid's page index at 1M)
    "id_array", "id_batches",
]  # fmt: skip
#: detection evaluation every dataset and view offers (dataset_core/evaluation.py)
EVALUATION = [
    "evaluate_detections", "get_evaluation_info", "list_evaluations", "to_evaluation_patches",
]  # fmt: skip
#: label-level operations every dataset and view offers (dataset_core/label_ops.py)
LABEL_OPS = [
    "count_label_tags", "exclude_labels", "get_label_fields", "limit_labels", "map_labels",
    "match_labels", "select_labels",
    "set_label_values", "tag_labels", "to_patches", "untag_labels",
]  # fmt: skip
BRAIN = [
    "AnalysisResult", "BrainError", "BrainRunInfo", "BrainRunNotFoundError", "DedupPlan",
    "SimilarityIndex", "analyze", "compute_clusters", "compute_embeddings", "compute_image_stats",
    "compute_label_issues", "compute_leaks", "compute_outliers", "compute_similarity",
    "compute_uniqueness", "compute_visualization", "create_report", "deduplicate",
    "delete_brain_run", "delete_brain_runs", "embed_paths", "find_approximate_duplicates",
    "find_exact_duplicates", "find_top_components", "get_brain_info", "knn_classify",
    "list_brain_runs", "load_brain_results", "load_points", "load_similarity_index",
    "move_to_trash", "remove_all_duplicates", "remove_samples", "rename_brain_run",
    "restore_trash",
]  # fmt: skip


def test_dataset_core_names():
    assert sorted(dc.__all__) == sorted(DATASET_CORE)
    assert all(hasattr(dc, n) for n in DATASET_CORE)


def test_collection_methods():
    from dataset_core.aggregation_methods import AggregationMethodsMixin
    from dataset_core.collection import SampleCollection

    # the aggregation shortcuts live in their own mixin (dataset_core/aggregation_methods.py)
    names = {*vars(SampleCollection), *vars(AggregationMethodsMixin)}
    public = sorted(n for n in names if not n.startswith("_"))
    assert public == sorted(COLLECTION)


def test_label_operations():
    from dataset_core.label_ops import LabelsMixin

    public = sorted(n for n in vars(LabelsMixin) if not n.startswith("_"))
    assert public == sorted(LABEL_OPS)
    assert callable(dc.Dataset.delete_labels)


def test_evaluation_methods():
    from dataset_core.evaluation import EvaluationMixin

    public = sorted(n for n in vars(EvaluationMixin) if not n.startswith("_"))
    assert public == sorted(EVALUATION)
    assert issubclass(dc.Dataset, EvaluationMixin)


def test_brain_names_with_real_signatures():
    assert sorted(brain.__all__) == sorted(BRAIN)
    for name in BRAIN:
        obj = getattr(brain, name)
        if inspect.isfunction(obj):  # no *args/**kwargs wrappers hiding the parameters
            kinds = {p.kind for p in inspect.signature(obj).parameters.values()}
            assert inspect.Parameter.VAR_POSITIONAL not in kinds, name


def test_the_front_door_forwarders_have_the_front_doors_signatures():
    from server import cli, session

    assert inspect.signature(dc.launch_app) == inspect.signature(session.launch_app).replace(
        return_annotation=inspect.signature(dc.launch_app).return_annotation
    )
    assert list(inspect.signature(dc.main).parameters) == list(
        inspect.signature(cli.main).parameters
    )
