"""Writing one value per sample into a field the analyses own.

``Dataset._set_values_by_id`` learns a new field's type from its values, so a
run where every value is None (no duplicates found, no image readable) could
not create the field. :func:`write_field` declares it first, so the field
exists (all None) and the sidebar, views and galleries can rely on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bson import ObjectId

from dataset_core.collection import SampleCollection


def write_field(
    samples: SampleCollection, name: str, ids: Sequence[str], values: Iterable[Any],
    ftype: Any, document_type: Any = None,
) -> None:  # fmt: skip
    """Set ``name`` to ``values[i]`` on sample ``ids[i]``, declaring it as ``ftype`` when new."""
    dataset = samples._dataset
    if name not in dataset._schema:
        dataset.add_sample_field(name, ftype, document_type)
    oids = (ObjectId(i) for i in ids)
    dataset._set_values_by_id(name, list(zip(oids, values, strict=True)))
