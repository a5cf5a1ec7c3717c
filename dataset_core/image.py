"""Read and write image files as numpy arrays (FiftyOne's ``fiftyone.utils.image``).

Arrays are ``(height, width)`` for one channel, ``(height, width, 3|4)`` RGB(A)
otherwise, as PIL reads them. Masks have their own helpers in
:mod:`dataset_core.segmentation`.

Example:
    >>> write(np.zeros((4, 4), dtype=np.uint8), "/tmp/mask.png")
    >>> read("/tmp/mask.png").shape
    (4, 4)
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from .errors import MediaError

#: what ``flag`` asks of :func:`read` (OpenCV's IMREAD_* values, which FiftyOne takes)
READ_UNCHANGED, READ_GRAYSCALE, READ_COLOR = -1, 0, 1


def read(path: str, flag: int | None = None) -> np.ndarray:
    """The image at ``path`` as an array.

    Args:
        path: an image file.
        flag: None or ``-1`` as stored, ``0`` one gray channel, ``1`` three RGB channels.

    Raises:
        MediaError: the file is missing or not an image PIL can read.
    """
    if flag not in (None, READ_UNCHANGED, READ_GRAYSCALE, READ_COLOR):
        raise ValueError(f"read() flag is None, -1, 0 or 1; got {flag!r}")
    try:
        with Image.open(path) as img:
            if flag == READ_GRAYSCALE:
                img = img.convert("L")
            elif flag == READ_COLOR:
                img = img.convert("RGB")
            elif img.mode == "P":  # a palette image: its colours, not the indices
                img = img.convert("RGBA" if "transparency" in img.info else "RGB")
            return np.asarray(img).copy()
    except (OSError, SyntaxError) as e:
        raise MediaError(f"Cannot read image {path!r}: {e}") from None


def write(img: np.ndarray, path: str) -> None:
    """Write the array ``img`` to ``path`` (format from the extension), creating its
    directory. Bool arrays are written as 0/255.

    Raises:
        MediaError: an array that is no image (wrong shape or dtype) or an unknown extension.
    """
    arr = np.asarray(img)
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    base = os.path.dirname(path)
    if base:
        os.makedirs(base, exist_ok=True)
    try:
        Image.fromarray(arr).save(path)
    except (TypeError, ValueError, KeyError, OSError) as e:
        raise MediaError(
            f"Cannot write an array of shape {arr.shape} and dtype {arr.dtype} to {path!r}: {e}"
        ) from None
