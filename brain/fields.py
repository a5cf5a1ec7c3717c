"""Writing one value per sample into a field the analyses own.

``Dataset.set_values`` learns a new field's type from its values, so a
run where every value is None (no duplicates found, no image readable) could
not create the field. :func:`write_field` declares it first, so the field
exists (all None) and the sidebar, views and galleries can rely on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from dataset_core.collection import SampleCollection


def write_field(
    samples: SampleCollection, name: str, ids: Sequence[str], values: Iterable[Any],
    ftype: Any, document_type: Any = None,
) -> None:  # fmt: skip
    """Set ``name`` to ``values[i]`` on sample ``ids[i]``, declaring it as ``ftype`` when new."""
    dataset = samples.dataset
    if name not in dataset.get_field_schema():
        dataset.add_sample_field(name, ftype, document_type)
    dataset.set_values(name, dict(zip(ids, values, strict=True)))
