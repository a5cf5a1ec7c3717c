"""The dataset document: one mongoengine document per dataset.

It describes a dataset (name, where its samples live, its field schema, saved
views, brain runs, app config); samples themselves are plain documents written
with pymongo in the collection named by ``sample_collection_name``.
"""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    DynamicField,
    ListField,
    StringField,
)

from .db.connection import register_document


@register_document
class DatasetDocument(Document):
    """The stored description of a dataset."""

    meta = {
        "collection": "datasets",
        "strict": False,
        "indexes": [{"fields": ["name"], "unique": True}],
    }

    name = StringField(required=True)
    sample_collection_name = StringField(required=True)
    media_type = StringField(default="image")
    created_at = DateTimeField(required=True)
    last_loaded_at = DateTimeField()
    persistent = BooleanField(default=True)
    #: one sample per filepath (a unique index); datasets made before the option had it
    unique_filepaths = BooleanField(default=True)
    #: field name -> Field.to_dict()
    sample_fields = DictField()
    #: [{"name", "description", "stages" (JSON), "created_at", ...}]
    saved_views = ListField(DictField())
    #: brain key -> run description
    brain_runs = DictField()
    #: eval key -> the fields and parameters of an evaluation (evaluation.py)
    evaluations = DictField()
    app_config = DictField()
    info = DictField()
    #: see class_targets.py: {label field: [class]} (a plain list in datasets
    #: written before it became a dict); pixel values stored as string keys
    classes = DynamicField()
    default_classes = ListField(StringField())
    mask_targets = DictField()
    default_mask_targets = DictField()
