"""Decoding images for the model: open, orient, convert, resize; the loader's items.

This runs in DataLoader workers (see :mod:`brain.embeddings`). How an image
becomes a model input: Pillow opens it (from memory when the file's bytes are
also hashed, so each file is read once); a JPEG is decoded at 1/2, 1/4 or 1/8
scale when that still covers the model input (``Image.draft``: the big win for
large photos); EXIF orientation is applied; any mode becomes RGB (transparency
over white, 16-bit scaled to 8); the whole image is then resized to a square,
without cropping. A plain resize keeps every pixel of the picture, which is
what duplicate detection wants (a center crop would hide edits at the
borders), and an image and its copies are distorted alike. Files that cannot
be read are reported with the reason, never raised.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch
    from PIL import Image

#: Pillow's two-step resize (integer reduce, then resample); 3.0 is, per its
#: docs, indistinguishable from a fair resample, and much faster on big images
RESIZE_REDUCING_GAP = 3.0
#: the side of :func:`gray_thumbnail`'s output
THUMBNAIL_SIZE = 32
#: what transparent pixels are composited over: a viewer's white page
BACKGROUND = (255, 255, 255, 255)
#: 8-bit from 16-bit: 65535 / 255
_SIXTEEN_TO_EIGHT = 257.0

_HIGH_BIT_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


def to_rgb(img: Image.Image) -> Image.Image:
    """Any Pillow mode as 8-bit RGB: alpha over white, 16-bit and float scaled to 8-bit."""
    from PIL import Image

    if img.mode == "RGB":
        return img
    if img.mode in _HIGH_BIT_MODES:
        arr = np.asarray(img, dtype=np.float32)
        peak = float(arr.max()) if arr.size else 0.0
        if img.mode == "F" and peak <= 1.0:
            arr = arr * 255.0  # float images in [0, 1]
        elif img.mode.startswith("I;16") or peak > 255.0:
            arr = arr / _SIXTEEN_TO_EIGHT
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L")
    if img.mode in _ALPHA_MODES or "transparency" in img.info:
        rgba = img.convert("RGBA")
        page = Image.new("RGBA", rgba.size, BACKGROUND)
        page.alpha_composite(rgba)
        return page.convert("RGB")
    return img.convert("RGB")


def load_image(
    path: str | os.PathLike[str] | IO[bytes], draft_size: int | None = None
) -> Image.Image:
    """Open an image as RGB, upright; a JPEG decoded small when ``draft_size`` allows.

    Args:
        path: the image file (or an open binary file).
        draft_size: the smallest side the caller needs; a JPEG is then decoded
            at the largest 1/2, 1/4 or 1/8 scale that still covers it.

    Raises:
        OSError: and Pillow's errors, for files that are missing or unreadable.
    """
    from PIL import Image, ImageOps

    with Image.open(path) as img:
        if draft_size and img.format == "JPEG":
            img.draft("RGB", (draft_size, draft_size))
        img.load()
        ImageOps.exif_transpose(img, in_place=True)
        rgb = to_rgb(img)
        return rgb.copy() if rgb is img else rgb


def gray_thumbnail(img: Image.Image, size: int = THUMBNAIL_SIZE) -> np.ndarray:
    """A ``(size, size)`` uint8 grayscale thumbnail, for pixel-level duplicate checks."""
    from PIL import Image

    small = img.convert("L").resize(
        (size, size), Image.Resampling.BILINEAR, reducing_gap=RESIZE_REDUCING_GAP
    )
    return np.array(small, dtype=np.uint8)


def square_pixels(img: Image.Image, side: int) -> np.ndarray:
    """The whole image resized to ``(side, side, 3)`` uint8, bilinear with antialiasing.

    torch's uint8 antialiased bilinear resize computes what Pillow's BILINEAR
    does (within one grey level) in less than half the time (0.24 vs 0.53 ms
    for 256 -> 160 px, 2026-12 on this VM): at ~350 images/s per core that is
    6% of the whole embedding pass.
    """
    import torch
    import torch.nn.functional as F

    arr = np.array(img.convert("RGB") if img.mode != "RGB" else img)
    if arr.shape[:2] == (side, side):
        return arr
    x = torch.from_numpy(arr).permute(2, 0, 1)[None]  # (1, 3, H, W), channels_last
    out = F.interpolate(x, size=(side, side), mode="bilinear", antialias=True, align_corners=False)
    return out[0].permute(1, 2, 0).numpy()


def _describe_error(path: str, err: Exception) -> str:
    try:
        if os.path.getsize(path) == 0:
            return "empty file"
    except (OSError, TypeError, ValueError):
        pass
    if isinstance(err, FileNotFoundError):
        return "file not found"
    return f"{type(err).__name__}: {err}"


#: what one item of :class:`ImageFileDataset` is: (index, pixels, extras, error, sha1)
Item = tuple[int, Any, Any, str | None, str | None]


class ImageFileDataset:
    """A map-style torch dataset over image files: item ``i`` is the decoded image ``i``.

    Each item is ``(i, pixels, extras, error, sha1)``: ``pixels`` a
    ``(S, S, 3)`` uint8 array and ``extras`` the outputs of the ``extras``
    functions (called on the decoded image before the resize), or ``None`` and
    ``None`` with the reason in ``error`` when the file cannot be read. With
    ``hash_files``, ``sha1`` is the hex sha1 of the file's bytes (also for
    files that do not decode; None when they cannot be read at all): each file
    is read once, hashed, and decoded from memory. Items never raise, so one bad
    file cannot stop a loader. Where workers are spawned rather than forked
    (macOS, Windows), ``extras`` functions must be module-level to reach them;
    :func:`embed_paths` otherwise decodes in its own process.
    """

    def __init__(
        self,
        paths: Sequence[str],
        image_size: int,
        extras: dict[str, Callable[[Image.Image], np.ndarray]] | None = None,
        hash_files: bool = False,
    ) -> None:
        self.paths = list(paths)
        self.image_size = int(image_size)
        self.extras = dict(extras or {})
        self.hash_files = hash_files

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> Item:

        path = self.paths[i]
        digest = None
        try:
            source: str | IO[bytes] = path
            if self.hash_files:
                with open(path, "rb") as f:
                    data = f.read()
                digest = hashlib.sha1(data).hexdigest()
                source = io.BytesIO(data)
            img = load_image(source, self.image_size)
            extras = {k: np.asarray(fn(img)) for k, fn in self.extras.items()}
            return i, square_pixels(img, self.image_size), extras, None, digest
        except Exception as e:  # noqa: BLE001 - any failure is reported, never raised
            return i, None, None, _describe_error(path, e), digest


@dataclass
class Batch:
    """What the loader yields: the images that decoded, and the ones that did not."""

    indices: list[int]
    images: torch.Tensor  # (B, S, S, 3) uint8; empty once embedded in a worker
    extras: dict[str, np.ndarray]
    failures: list[tuple[int, str]]
    features: np.ndarray | None = None  # (B, D) when a worker ran the model
    hashes: list[tuple[int, str]] = field(default_factory=list)  # (index, sha1) when hashing
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (index, why) left out

    def pin_memory(self) -> Batch:
        """Page-locked images for fast, asynchronous copies to a GPU."""
        self.images = self.images.pin_memory()
        return self


def collate(items: list[Item]) -> Batch:
    """Stack the decoded items of a batch; set the failures aside with their reasons."""
    import torch

    good = [it for it in items if it[3] is None]
    failures = [(it[0], it[3]) for it in items if it[3] is not None]
    if good:
        images = torch.from_numpy(np.stack([it[1] for it in good]))
        extras = {k: np.stack([it[2][k] for it in good]) for k in good[0][2]}
    else:
        images, extras = torch.empty((0, 0, 0, 3), dtype=torch.uint8), {}
    hashes = [(it[0], it[4]) for it in items if it[4] is not None]
    return Batch([it[0] for it in good], images, extras, failures, hashes=hashes)
