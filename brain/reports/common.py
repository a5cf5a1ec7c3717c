"""What every gallery shares: its options, the samples it may show, slicing by label.

A gallery works on a dataset or a view: only the view's samples are shown
(a duplicate pair with one side outside the view is left out). Options follow
fastdup's gallery functions:

- ``num_images``: at most this many rows (or images, for grids); default 20;
- ``label_field``: the labels to print under each image; ``"auto"`` takes
  ``ground_truth`` when the dataset has it;
- ``slice``: show only rows that involve these labels (a label or a list), or
  ``"diff"`` / ``"same"``: rows whose images have different labels / one label;
- ``lazy_load``: thumbnails as files loaded lazily instead of inlined;
- ``max_width``: the thumbnail side in pixels (default 160).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dataset_core.collection import SampleCollection

from ..errors import ReportError
from . import html
from .html import DEFAULT_THUMB_SIZE, Thumbnails

#: gallery rows shown by default: fastdup's default ``num_images``
DEFAULT_NUM_IMAGES = 20
AUTO = "auto"
DEFAULT_LABEL_FIELD = "ground_truth"


@dataclass
class Gallery:
    """One gallery being written: the samples it may show and how to show them."""

    samples: SampleCollection
    save_path: str
    num_images: int = DEFAULT_NUM_IMAGES
    label_field: str | None = AUTO
    slice: str | Sequence[str] | None = None
    lazy_load: bool = False
    max_width: int | None = None
    ids: list[str] = field(default_factory=list)
    paths: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str | None] = field(default_factory=dict)
    thumbs: Thumbnails | None = None

    def __post_init__(self) -> None:
        if self.num_images is not None and self.num_images < 1:
            raise ReportError(f"num_images must be at least 1; got {self.num_images}")
        schema = self.samples.dataset.get_field_schema()
        if self.label_field == AUTO:
            self.label_field = DEFAULT_LABEL_FIELD if DEFAULT_LABEL_FIELD in schema else None
        if self.slice is not None and not self.label_field:
            raise ReportError(
                f"slice={self.slice!r} selects by label, but no label field is set; pass "
                "label_field= the field holding the labels"
            )
        self.ids = self.samples.values("id")
        self.paths = dict(zip(self.ids, self.samples.values("filepath"), strict=True))
        if self.label_field:
            from brain.classify import read_labels

            labels = read_labels(self.samples, self.label_field)
            self.labels = dict(zip(self.ids, labels, strict=True))
        self.save_path = os.path.abspath(os.fspath(self.save_path))
        size = int(self.max_width or DEFAULT_THUMB_SIZE)
        self.thumbs = Thumbnails(self.save_path, self.lazy_load, size)

    @property
    def has_labels(self) -> bool:
        """Whether labels are shown."""
        return bool(self.label_field)

    def __contains__(self, sample_id: object) -> bool:
        return sample_id in self.paths

    def keep(self, group: Iterable[str]) -> bool:
        """Whether a row of these samples passes ``slice``."""
        if self.slice is None:
            return True
        labels = {self.labels.get(s) for s in group} - {None}
        if self.slice == "diff":
            return len(labels) > 1
        if self.slice == "same":
            return len(labels) == 1
        wanted = {self.slice} if isinstance(self.slice, str) else set(self.slice)
        return bool(labels & wanted)

    def card(self, sample_id: str, lines: Iterable[str] = (), bad_label: bool = False) -> str:
        """The card of one sample (label shown when the gallery has labels)."""
        label = self.labels.get(sample_id) if self.has_labels else None
        if self.has_labels and label is None:
            label = "(no label)"
        return html.card(self.thumbs, sample_id, self.paths[sample_id], lines, label, bad_label)

    def write(self, filename: str, title: str, intro: str, body: str) -> str:
        """Write the page; returns its path."""
        size = self.thumbs.size if self.thumbs else DEFAULT_THUMB_SIZE
        return html.write(self.save_path, filename, html.page(title, intro, body, size))

    def describe_options(self) -> str:
        """A short HTML note of the view, label field and slice shown."""
        parts = [f"{len(self.ids)} samples in {html.esc(self.samples.describe())}"]
        if self.has_labels:
            parts.append(f"labels from <code>{html.esc(self.label_field)}</code>")
        if self.slice is not None:
            parts.append(f"slice {html.esc(self.slice)}")
        return "; ".join(parts)


def require_field(gallery: Gallery, field_name: str, how: str) -> None:
    """Raise a :class:`ReportError` saying how to compute ``field_name`` when it is missing."""
    if field_name not in gallery.samples.dataset.get_field_schema():
        raise ReportError(f"This gallery needs the field {field_name!r}; run {how} first")


def options(**kwargs: Any) -> dict[str, Any]:
    """The gallery options among ``kwargs`` (for create_report to pass along)."""
    names = ("num_images", "label_field", "slice", "lazy_load", "max_width")
    return {k: v for k, v in kwargs.items() if k in names}
