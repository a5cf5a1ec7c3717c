"""Masks and maps of labels, in memory or on disk: the ``get_mask`` /
``import_mask`` / ``export_mask`` methods of :class:`~dataset_core.labels.Detection`
and :class:`~dataset_core.labels.Segmentation`, and the ``*_map`` ones of
:class:`~dataset_core.labels.Heatmap`.

A label holds its array in the database (``mask``, ``map``) or the path of an
image on disk (``mask_path``, ``map_path``), or both. Images are PNGs of the
array's values (see :func:`dataset_core.segmentation.write_mask`).
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import numpy as np

from .errors import FieldValueError

#: the 8-bit range a float heatmap is written in (what an image viewer shows)
_MAP_IMAGE_RANGE = [0, 255]


def _read_image(path: str) -> np.ndarray:
    """The mask image at ``path`` (``~`` expanded) as an array."""
    from .segmentation import read_mask  # segmentation imports labels, which import this

    return read_mask(os.path.expanduser(path))


def _write_image(mask: np.ndarray, path: str) -> None:
    """Write ``mask`` as a PNG at ``path`` (``~`` expanded; folders created)."""
    from .segmentation import write_mask

    write_mask(mask, os.path.expanduser(path))


def get_array(label: Any, attr: str, path_attr: str) -> np.ndarray | None:
    """``label.<attr>``, else the image at ``label.<path_attr>`` read, else None."""
    value = label.__dict__.get(attr)
    if value is not None:
        return value
    path = label.__dict__.get(path_attr)
    return None if path is None else _read_image(path)


def import_array(label: Any, attr: str, path_attr: str, update: bool) -> None:
    """Read ``label.<path_attr>`` into ``label.<attr>`` (and forget the path if ``update``)."""
    what = f"{type(label).__name__}.import_{attr}"
    path = label.__dict__.get(path_attr)
    if path is None:
        if label.__dict__.get(attr) is not None:
            return  # already in the database
        raise FieldValueError(f"{what}: the label has no {path_attr} to import")
    array = _read_image(path)
    if attr == "mask" and type(label).__name__ == "Detection":
        array = array.astype(bool)  # an instance mask: in or out of the object
    label[attr] = array
    if update:
        label[path_attr] = None


def export_array(label: Any, attr: str, path_attr: str, outpath: str, update: bool,
                 overwrite_path: bool) -> None:  # fmt: skip
    """Write the label's array (or copy its image) to ``outpath``.

    The in-database array is written when the label has no path, or when
    ``overwrite_path`` says to replace the image at its path with it; otherwise
    the image at the path is copied. With ``update`` the label then points at
    ``outpath`` and holds no array in the database.

    Raises:
        FieldValueError: there is nothing to export, or ``overwrite_path`` is set
            but the label holds no array in the database.
    """
    what = f"{type(label).__name__}.export_{attr}"
    d = label.__dict__
    array, path = d.get(attr), d.get(path_attr)
    outpath = os.path.abspath(os.path.expanduser(outpath))
    if overwrite_path and array is None:
        raise FieldValueError(f"{what}(overwrite_path=True) needs a {attr} in the database; "
                              f"the label has only {path_attr}={path!r}")  # fmt: skip
    if array is None and path is None:
        raise FieldValueError(f"{what}: the label has neither a {attr} nor a {path_attr}")
    if array is not None and (path is None or overwrite_path):
        _write_image(_map_image(label, array) if attr == "map" else array, outpath)
    else:
        src = os.path.abspath(os.path.expanduser(path))
        if src != outpath:
            os.makedirs(os.path.dirname(outpath), exist_ok=True)
            shutil.copyfile(src, outpath)
    if update:
        if attr == "map" and array is not None and array.dtype.kind == "f":
            label["range"] = list(_MAP_IMAGE_RANGE)
        label[attr] = None
        label[path_attr] = outpath


def _map_image(label: Any, array: np.ndarray) -> np.ndarray:
    """A heatmap as image values: integers as they are, floats scaled from the
    label's ``range`` (default ``[0, 1]``) to 0-255."""
    if array.dtype.kind != "f":
        return array
    lo, hi = label.__dict__.get("range") or (0.0, 1.0)
    scaled = (np.asarray(array, dtype=float) - lo) / ((hi - lo) or 1.0)
    return np.clip(np.round(scaled * _MAP_IMAGE_RANGE[1]), *_MAP_IMAGE_RANGE).astype(np.uint8)


class MaskMethods:
    """``has_mask``, ``get_mask``, ``import_mask``, ``export_mask`` of the labels with a
    ``mask`` array or a ``mask_path`` image ."""

    @property
    def has_mask(self) -> bool:
        """Whether the label has a mask, in the database or on disk."""
        d = self.__dict__
        return d.get("mask") is not None or d.get("mask_path") is not None

    def get_mask(self) -> np.ndarray | None:
        """The mask: ``mask``, else the image at ``mask_path`` read, else None."""
        return get_array(self, "mask", "mask_path")

    def import_mask(self, update: bool = False) -> None:
        """Read the image at ``mask_path`` into ``mask`` (``update``: and clear the path)."""
        import_array(self, "mask", "mask_path", update)

    def export_mask(self, outpath: str, update: bool = False,
                    overwrite_path: bool = False) -> None:  # fmt: skip
        """Write the mask to the image ``outpath`` (or copy the one at ``mask_path``).

        Args:
            outpath: the PNG to write.
            update: then point ``mask_path`` at ``outpath`` and clear ``mask``.
            overwrite_path: write the in-database ``mask`` even when the label
                has a ``mask_path`` (to replace that image: pass it as ``outpath``).

        Raises:
            FieldValueError: no mask at all, or ``overwrite_path`` without a ``mask``.

        Example:
            >>> det.export_mask("/masks/det1.png", update=True)
        """
        export_array(self, "mask", "mask_path", outpath, update, overwrite_path)


class MapMethods:
    """``has_map``, ``get_map``, ``import_map``, ``export_map`` of
    :class:`~dataset_core.labels.Heatmap`: a ``map`` array or a ``map_path`` image."""

    @property
    def has_map(self) -> bool:
        """Whether the label has a map, in the database or on disk."""
        return self.map is not None or self.map_path is not None

    def get_map(self) -> np.ndarray | None:
        """The map: ``map``, else the image at ``map_path`` read, else None."""
        return get_array(self, "map", "map_path")

    def import_map(self, update: bool = False) -> None:
        """Read the image at ``map_path`` into ``map`` (``update``: and clear the path)."""
        import_array(self, "map", "map_path", update)

    def export_map(self, outpath: str, update: bool = False,
                   overwrite_path: bool = False) -> None:  # fmt: skip
        """Write the map to the image ``outpath`` (or copy the one at ``map_path``), as
        :meth:`MaskMethods.export_mask` does; float maps are scaled from ``range``
        (default ``[0, 1]``) to 0-255, and ``update`` sets ``range`` to ``[0, 255]``."""
        export_array(self, "map", "map_path", outpath, update, overwrite_path)
