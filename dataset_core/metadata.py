"""Image metadata read from file headers, in parallel, failures recorded."""

from __future__ import annotations

import os
import struct
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PIL import Image, UnidentifiedImageError

from .labels import ImageMetadata
from .progress import progress_bar

if TYPE_CHECKING:
    from .collection import SampleCollection

#: header reads are I/O bound; a few threads per core keep the disk busy
DEFAULT_WORKERS_PER_CPU = 4
_MODE_CHANNELS = {"1": 1, "L": 1, "P": 1, "I": 1, "F": 1, "I;16": 1, "LA": 2, "RGB": 3,
                  "YCbCr": 3, "LAB": 3, "HSV": 3, "RGBA": 4, "CMYK": 4}  # fmt: skip


def read_image_metadata(filepath: str) -> ImageMetadata:
    """Width, height, channels, size and MIME type, from the header only.

    Raises:
        OSError: the file is missing, empty or not a readable image.
    """
    size = os.path.getsize(filepath)
    if size == 0:
        raise OSError("empty file")
    try:
        with Image.open(filepath) as img:
            width, height = img.size
            mime = Image.MIME.get(img.format or "", "application/octet-stream")
            channels = _MODE_CHANNELS.get(img.mode, len(img.getbands()))
    except UnidentifiedImageError:
        raise OSError("not an image Pillow can read") from None
    except Image.DecompressionBombError:
        raise OSError(_bomb_reason(filepath)) from None
    except (ValueError, SyntaxError, struct.error) as e:  # malformed headers
        raise OSError(f"a damaged image header ({e})") from None
    return ImageMetadata(
        size_bytes=size,
        mime_type=mime,
        width=width,
        height=height,
        num_channels=channels,
    )


_bomb_lock = threading.Lock()


def _bomb_reason(filepath: str) -> str:
    """What to say about a decompression bomb: its size, read from the header only."""
    with _bomb_lock:  # the limit is Pillow's global; only header reads run meanwhile
        old, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            with Image.open(filepath) as img:
                width, height = img.size
        except Exception:  # noqa: BLE001 - the size is a courtesy
            width = height = 0
        finally:
            Image.MAX_IMAGE_PIXELS = old
    limit = 2 * (Image.MAX_IMAGE_PIXELS or 0)
    return (f"decompression bomb: {width}x{height} = {width * height / 1e6:.0f} Mpx, over "
            f"Pillow's limit of {limit / 1e6:.0f} Mpx; not decoded")  # fmt: skip


@dataclass
class MetadataReport:
    """What ``compute_metadata`` did: how many it read, which failed and why."""

    computed: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # filepath -> reason

    def __str__(self) -> str:
        msg = f"Computed metadata for {self.computed} samples"
        if self.failures:
            eg = "; ".join(
                f"{os.path.basename(p)}: {r}" for p, r in list(self.failures.items())[:3]
            )
            msg += f"; {len(self.failures)} could not be read ({eg})"
        return msg


def compute_metadata(
    samples: SampleCollection, overwrite: bool = False, num_workers: int | None = None
) -> MetadataReport:
    """Store ``metadata`` (an :class:`ImageMetadata`) on every sample.

    Headers are read in a thread pool. A file that cannot be read keeps
    ``metadata=None`` and is listed in the returned report; nothing is raised.

    Args:
        samples: a dataset or view.
        overwrite: recompute samples that already have metadata.
        num_workers: threads (default: 4 per CPU).

    Returns:
        A :class:`MetadataReport`.
    """
    ids, paths = [], []
    for doc in samples._aggregate(
        ([] if overwrite else [{"$match": {"metadata": None}}]) + [{"$project": {"filepath": 1}}]
    ):
        ids.append(doc["_id"])
        paths.append(doc["filepath"])
    report = MetadataReport()
    workers = num_workers or DEFAULT_WORKERS_PER_CPU * (os.cpu_count() or 1)

    def read(path: str) -> Any:
        try:
            return read_image_metadata(path)
        except OSError as e:
            return e

    values: dict[Any, Any] = {}
    with ThreadPoolExecutor(workers) as pool:
        results = pool.map(read, paths, chunksize=64)
        for oid, path, res in progress_bar(
            zip(ids, paths, results, strict=True), total=len(paths), desc="Metadata", unit="images"
        ):
            if isinstance(res, Exception):
                report.failures[path] = getattr(res, "strerror", None) or str(res)
            else:
                values[oid] = res
                report.computed += 1
    if values:
        samples._dataset._set_values_by_id("metadata", values.items())
    return report
