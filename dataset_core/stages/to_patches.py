"""ToPatches: the stage form of ``collection.to_patches(field)``, so a patches view
serialises like any other view.

A patches view is not a pipeline over the source samples: it reads a temporary
dataset of one document per label (see :mod:`dataset_core.patches`). So
``ToPatches`` compiles to no steps; it *loads* a view instead
(:meth:`ToPatches.load_view`), and the stages after it apply to the patches.
``patches.to_dict()`` is the source's stages, then ``ToPatches``, then the
patches' own stages, and :meth:`DatasetView.from_dict` rebuilds it from that::

    dataset.to_patches("ground_truth").match(F("ground_truth.label") == "cat").to_dict()
    # {"dataset": "coco", "stages": [
    #     {"_cls": "ToPatches", "kwargs": {"field": "ground_truth"}},
    #     {"_cls": "Match", "kwargs": {"filter": {"$expr": ...}}}]}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import ViewError
from .base import Pipeline, ViewStage, check_name
from .labels import label_list_path

if TYPE_CHECKING:
    from ..collection import SampleCollection
    from ..dataset import Dataset

#: the label list types a patches view is made of, by their list attribute
PATCH_LISTS = {"detections": "Detection", "polylines": "Polyline", "keypoints": "Keypoint"}


def patches_field(dataset: Dataset, field: str) -> tuple[str, str]:
    """``(field, list attribute)`` of a field patches can be made of.

    Raises:
        FieldNotFoundError: no such field.
        ViewError: not a Detections, Polylines or Keypoints field; the message
            names its type and the label fields there are.
    """
    name, list_field = label_list_path(dataset, field)
    if list_field not in PATCH_LISTS:
        raise ViewError(
            f"to_patches works on Detections, Polylines or Keypoints fields; {field!r} is "
            f"{dataset._schema[field]}"
        )
    return name, list_field


class ToPatches(ViewStage):
    """One sample per label of a Detections, Polylines or Keypoints ``field``.

    Args:
        field: the label list field.

    Example:
        >>> ToPatches("ground_truth").load_view(dataset)  # == dataset.to_patches("ground_truth")
    """

    __slots__ = ("_field",)
    #: this stage makes a new collection (see :meth:`load_view`) instead of steps
    has_view: ClassVar[bool] = True

    def __init__(self, field: str):
        self._field = check_name(field, "ToPatches field")

    @property
    def field(self) -> str:
        """The label list field."""
        return self._field

    def _args(self) -> dict[str, Any]:
        return {"field": self._field}

    def validate(self, collection: SampleCollection) -> None:
        patches_field(collection._dataset, self._field)

    def load_view(self, collection: SampleCollection) -> Any:
        """The patches view of ``collection`` (``collection.to_patches(field)``)."""
        self.validate(collection)
        return collection.to_patches(self._field)  # type: ignore[attr-defined]

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        raise ViewError(
            "ToPatches makes a collection of patches, not steps of a pipeline: use "
            f"collection.to_patches({self._field!r}) or DatasetView.from_dict"
        )
