"""Object similarity: a similarity index whose rows are the labels of a field, not samples.

``compute_similarity(dataset, patches_field="ground_truth")`` embeds every label
of a label list field (the crop of each box, or embeddings given per sample) and
saves an index keyed by label id, the ids of the patches of
``dataset.to_patches("ground_truth")``. Sorting the patches view by similarity
orders patches; sorting the dataset (or a view of it) keeps the ``k`` nearest
labels and orders their samples by their nearest label, as in FiftyOne.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from dataset_core.labels import list_field_of

from .errors import BrainError

if TYPE_CHECKING:
    from dataset_core.collection import SampleCollection
    from dataset_core.view import DatasetView


def label_list_field(samples: SampleCollection, field: str) -> str:
    """The list attribute of label field ``field`` (``"detections"``...), or a BrainError."""
    schema = samples.get_field_schema()
    doc_type = getattr(schema.get(field), "document_type", None)
    list_field = list_field_of(doc_type) if doc_type is not None else None
    if list_field is None:
        labels = sorted(n for n, f in schema.items()
                        if list_field_of(getattr(f, "document_type", None)))  # fmt: skip
        raise BrainError(
            f"patches_field must be a label list field (Detections, Polylines...); "
            f"{field!r} is {schema.get(field)}; label list fields: {labels}"
        )
    return list_field


def is_patches_of(samples: SampleCollection, field: str) -> bool:
    """Whether ``samples`` is a patches view of ``field`` (its sample ids are label ids)."""
    return getattr(samples, "patches_field", None) == field


def label_rows(samples: SampleCollection, field: str) -> tuple[list[str], list[str]]:
    """``(label ids, their sample ids)`` of ``field``'s labels, sample by sample, in order."""
    if is_patches_of(samples, field):
        ids = samples.values("id")
        return ids, [str(s) for s in samples.values("sample_id")]
    list_field = label_list_field(samples, field)
    sample_ids, per_sample = samples.values(["id", f"{field}.{list_field}.id"])
    labels, owners = [], []
    for sid, lids in zip(sample_ids, per_sample, strict=True):
        for lid in lids or ():
            labels.append(lid)
            owners.append(sid)
    return labels, owners


def present_label_ids(samples: SampleCollection, field: str) -> set[str]:
    """The ids of the labels of ``field`` that ``samples`` shows now."""
    return set(label_rows(samples, field)[0])


def patch_embeddings(samples: SampleCollection, field: str, label_ids: list[str],
                     owners: list[str], embeddings: Any) -> np.ndarray:  # fmt: skip
    """Given embeddings as one ``(N_labels, D)`` array in row order, or as FiftyOne's
    ``{sample_id: (labels of that sample, D)}``, as one array aligned with ``label_ids``."""
    if isinstance(embeddings, dict):
        counts: dict[str, int] = {}
        for sid in owners:
            counts[sid] = counts.get(sid, 0) + 1
        parts = []
        for sid in dict.fromkeys(owners):
            arr = np.asarray(embeddings.get(sid, np.zeros((0, 0))), dtype=np.float32)
            if arr.ndim != 2 or len(arr) != counts[sid]:
                raise BrainError(
                    f"embeddings[{sid!r}] must be ({counts[sid]}, D), one row per label of "
                    f"{field!r} of that sample; got shape {arr.shape}"
                )
            parts.append(arr)
        dims = {p.shape[1] for p in parts}
        if len(dims) > 1:
            raise BrainError(f"embeddings of different sizes {sorted(dims)}; give one D")
        return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)
    emb = np.asarray(embeddings, dtype=np.float32)
    if emb.ndim != 2 or len(emb) != len(label_ids):
        raise BrainError(
            f"embeddings must be ({len(label_ids)}, D), one row per label of {field!r}; "
            f"got shape {emb.shape}"
        )
    return emb


def crop_boxes(samples: SampleCollection, field: str) -> tuple[list[str], list[list[Any]]]:
    """``(filepaths, boxes per file)`` of the labels of a Detections field, row order.

    A patches view gives one path per object (its image's, repeated):
    :func:`brain.crops.embed_crops` groups them, so each image is decoded once."""
    schema = samples.get_field_schema()
    patches = is_patches_of(samples, field)  # one Detection per patch
    if getattr(schema.get(field), "document_type", None) != ("Detection" if patches else
                                                             "Detections"):  # fmt: skip
        raise BrainError(
            f"Embedding crops needs boxes: {field!r} is not a Detections field; pass "
            "embeddings= (one row per label) for other label types"
        )
    if patches:
        paths, boxes = samples.values(["filepath", f"{field}.bounding_box"])
        return paths, [[b] for b in boxes]
    paths, boxes = samples.values(["filepath", f"{field}.detections.bounding_box"])
    return paths, [list(b or ()) for b in boxes]


def sort_samples_by_labels(samples: SampleCollection, field: str, label_ids: list[str],
                           owners: dict[str, str]) -> DatasetView:  # fmt: skip
    """``samples`` showing only the labels ``label_ids`` (nearest first), each sample
    placed by its nearest label."""
    order = list(dict.fromkeys(owners[i] for i in label_ids))
    return samples.select(order, ordered=True).select_labels(ids=label_ids, fields=field)
