"""Thumbnails (and thumbnails of crops: a patch's object) made on demand and cached on disk.

A thumbnail is a JPEG whose longer side is at most ``MAX_THUMBNAIL_SIZE``,
keyed by the source's path, size and modification time, so an edited image
gets a new one. The cache lives under ``~/.dataset_core/thumbnails`` (or
``$DATASET_CORE_HOME``); deleting it is always safe.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataset_core.config import config
from dataset_core.errors import DatasetCoreError

#: the grid shows tiles up to ~200 CSS px; 256 covers them on most screens
MAX_THUMBNAIL_SIZE = 256
#: JPEG quality of thumbnails: visually clean at tile size, ~10 KB each
THUMBNAIL_QUALITY = 82
#: bytes of thumbnails kept in memory: ~6,000 tiles of ~10 KB, a few screens' worth
MEMORY_CACHE_BYTES = 64 << 20
#: files per cache sub-folder level, so no folder holds a million entries
_FANOUT_CHARS = 2
#: full decodes at once: each may hold up to MAX_DECODE_PIXELS * 4 bytes
DECODE_SLOTS = 2
#: pixels a thumbnail's decode may hold (after a JPEG's draft scaling); bigger images
#: get a placeholder thumbnail, so the server's memory stays bounded (~100 MB a slot)
MAX_DECODE_PIXELS = 25_000_000
#: the placeholder's colour (mid grey: visibly "no preview")
PLACEHOLDER_RGB = (128, 128, 128)
#: a source at most this many bytes, and at most twice the thumbnail's size on its
#: longer side, is served as its own thumbnail: decoding, resizing and encoding it
#: again (~3 ms of the server's CPU for a 320x240 JPEG) saves the browser nothing
PASSTHROUGH_BYTES = 64 << 10
#: ...if it is in one of these formats (by its bytes), which every browser draws
PASSTHROUGH_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}

Box = tuple[float, float, float, float]
"""A crop: ``(x, y, width, height)`` relative to the image, as a bounding box."""

_make_lock = threading.Lock()
_decode_slots = threading.BoundedSemaphore(DECODE_SLOTS)


def _decode_pixels(filepath: str, size: int | None) -> int:
    """How many pixels decoding ``filepath`` for a ``size`` thumbnail (None: whole)
    would hold."""
    from PIL import Image

    with Image.open(filepath) as img:  # reads the header only
        if img.format == "JPEG" and size is not None:
            img.draft("RGB", (size, size))
        return img.size[0] * img.size[1]


class ThumbnailError(DatasetCoreError, OSError):
    """The source image cannot be read (missing, corrupt, not an image)."""

    http_status = 422


def cache_dir() -> Path:
    """Where thumbnails are kept."""
    return config.home / "thumbnails"


def cache_path(filepath: str, size: int, box: Box | None = None) -> Path:
    """The cached thumbnail of ``filepath`` (of its crop to ``box``) at ``size``,
    whether or not it exists yet.

    Raises:
        ThumbnailError: the source file is missing.
    """
    try:
        st = os.stat(filepath)
    except OSError as e:
        raise ThumbnailError(f"Image {filepath} cannot be read: {e.strerror}") from None
    crop = "" if box is None else "\0" + ",".join(repr(float(v)) for v in box)
    key = f"{filepath}\0{st.st_size}\0{st.st_mtime_ns}\0{size}{crop}".encode()
    digest = hashlib.sha1(key).hexdigest()
    return cache_dir() / digest[:_FANOUT_CHARS] / f"{digest}.jpg"


def _crop_rect(box: Box, width: int, height: int) -> tuple[int, int, int, int]:
    """``box`` (relative ``[x, y, w, h]``) as a pixel rectangle inside the image, at
    least one pixel each way (a box off the image or of zero size still crops)."""
    x, y, w, h = (min(1.0, max(0.0, float(v))) for v in box)
    left = min(round(x * width), width - 1)
    top = min(round(y * height), height - 1)
    right = max(left + 1, min(width, round((x + w) * width)))
    bottom = max(top + 1, min(height, round((y + h) * height)))
    return left, top, right, bottom


def thumbnail(filepath: str, size: int = MAX_THUMBNAIL_SIZE, box: Box | None = None) -> Path:
    """The path of a cached thumbnail of ``filepath``, made now if missing; with
    ``box`` (relative ``[x, y, w, h]``, as a Detection's ``bounding_box``), of that
    crop of it. A crop is decoded at full size (a small object drafted to 1/8 would
    be a few pixels).

    Raises:
        ThumbnailError: the source cannot be decoded.
    """
    size = max(16, min(int(size), MAX_THUMBNAIL_SIZE))
    path = cache_path(filepath, size, box)
    if path.exists():
        return path
    from PIL import Image

    from brain.decode import RESIZE_REDUCING_GAP, load_image  # upright RGB, JPEGs drafted

    draft = size if box is None else None
    try:
        if _decode_pixels(filepath, draft) > MAX_DECODE_PIXELS:
            img = Image.new("RGB", (size, size), PLACEHOLDER_RGB)
        else:
            with _decode_slots:
                img = load_image(filepath, draft_size=draft)
                if box is not None:
                    img = img.crop(_crop_rect(box, *img.size))
                img.thumbnail((size, size), Image.Resampling.BILINEAR,
                              reducing_gap=RESIZE_REDUCING_GAP)  # fmt: skip
    except Exception as e:  # noqa: BLE001 - any decoder failure is the same to a viewer
        raise ThumbnailError(f"Image {filepath} cannot be decoded: {e}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
    img.save(tmp, "JPEG", quality=THUMBNAIL_QUALITY)
    os.replace(tmp, path)  # atomic: a concurrent reader sees the whole file or none
    return path


@dataclass(frozen=True)
class CachedThumbnail:
    """A thumbnail's bytes, with what says whether its source has changed since."""

    data: bytes
    etag: str
    source: str
    source_stat: tuple[int, int]  # (size, mtime_ns) of the source when made
    media_type: str = "image/jpeg"

    def fresh(self) -> bool:
        """Whether the source image is unchanged (one stat call)."""
        try:
            st = os.stat(self.source)
        except OSError:
            return False
        return (st.st_size, st.st_mtime_ns) == self.source_stat


def load(filepath: str, size: int = MAX_THUMBNAIL_SIZE, box: Box | None = None) -> CachedThumbnail:
    """The thumbnail of ``filepath`` (of its crop to ``box``) as bytes, made and
    cached on disk if missing.

    Raises:
        ThumbnailError: the source is missing or cannot be decoded.
    """
    small = _passthrough(filepath, size) if box is None else None
    if small is not None:
        return small
    path = thumbnail(filepath, size, box)  # raises for a missing source
    st = os.stat(filepath)
    return CachedThumbnail(path.read_bytes(), f'"{path.stem}"', filepath,
                           (st.st_size, st.st_mtime_ns))  # fmt: skip


def _passthrough(filepath: str, size: int) -> CachedThumbnail | None:
    """The source itself as the thumbnail, if it is small enough (see
    :data:`PASSTHROUGH_BYTES`); None otherwise, or when it cannot be read (the
    full path then says why)."""
    from PIL import Image

    try:
        st = os.stat(filepath)
        if st.st_size > PASSTHROUGH_BYTES:
            return None
        with open(filepath, "rb") as f:
            data = f.read(PASSTHROUGH_BYTES + 1)
        with Image.open(io.BytesIO(data)) as img:  # the header only
            fmt, (w, h) = img.format, img.size
    except Exception:  # noqa: BLE001 - not readable as an image here: thumbnail() says why
        return None
    if fmt not in PASSTHROUGH_TYPES or max(w, h) > 2 * size or len(data) != st.st_size:
        return None
    key = f"{filepath}\0{st.st_size}\0{st.st_mtime_ns}\0source".encode()
    return CachedThumbnail(data, f'"{hashlib.sha1(key).hexdigest()}"', filepath,
                           (st.st_size, st.st_mtime_ns), PASSTHROUGH_TYPES[fmt])  # fmt: skip


class MemoryCache:
    """The most recently served thumbnails, in memory: a hit costs no database
    query, no thread hop and no file read."""

    def __init__(self, max_bytes: int) -> None:
        self._items: OrderedDict[Any, CachedThumbnail] = OrderedDict()
        self._bytes = 0
        self._max = max_bytes
        self._lock = threading.Lock()

    def get(self, key: Any) -> CachedThumbnail | None:
        """The entry for ``key`` if its source is unchanged."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
        return hit if hit is not None and hit.fresh() else None

    def put(self, key: Any, item: CachedThumbnail) -> None:
        """Keep ``item``, dropping the least recently used beyond the byte budget."""
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes -= len(old.data) if old else 0
            self._items[key] = item
            self._bytes += len(item.data)
            while self._bytes > self._max and len(self._items) > 1:
                _, gone = self._items.popitem(last=False)
                self._bytes -= len(gone.data)
