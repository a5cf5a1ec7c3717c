"""Embeddings of objects: boxes cut out of their images, each image decoded once.

:func:`embed_crops` embeds the boxes of a list of files the way
:func:`brain.embeddings.embed_paths` embeds whole images: DataLoader workers
decode (and on CPU also embed) whole batches. What is particular to objects:

- **one decode per file.** Rows that name the same file (a patches view lists
  one row per object) are grouped by path first, so a photo with ten objects
  is opened, decoded and oriented once, and its ten crops are cut from that
  one decode. A batch holds whole files, never half of one.
- **a context margin**, off by default. ``margin=0.1`` widens each box on
  every side by 10 % of its own width and height (clipped to the image) before
  it is cut, so a crop shows what the object stands on. Measured on
  tests/brain/object_data.py (real photo objects pasted on a brick wall,
  2026-12-06), context hurts finding the *same object in two images*, the
  object-level near-duplicate: the pasted copy's cosine distance to its
  original was 0.000 / 0.077 / 0.161 at margin 0 / 0.05 / 0.1 (the embedding
  threshold for duplicates is 0.1), the next-nearest object's 0.117 / 0.210 /
  0.216, and a noise patch's nearest neighbour fell from 0.88 to 0.51 as the
  shared wall filled the crops. So the default is FiftyOne's bare box; pass a
  margin where boxes are tight and the surroundings belong to the object.
- **a minimum size.** Objects whose box is smaller than ``min_size`` pixels on
  a side (in the decoded image, before the margin) are skipped: blown up to the
  model's input they are mostly interpolation, and their neighbours are noise.
  They are counted and named in :attr:`EmbeddingResult.skipped`, as
  unreadable files are in ``failures``; both get NaN embeddings.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import decode
from .decode import Batch
from .embeddings import (
    DEFAULT_CPU_BATCH_SIZE,
    DEFAULT_GPU_BATCH_SIZE,
    EmbeddingResult,
    _embed_batch,
    _plan,
    _resolve_model,
    _torch_threads,
    _workers_can_start,
)
from .models import EmbeddingModel, resolve_device

if TYPE_CHECKING:
    import torch

#: context added on each side of a box, as a fraction of its width and height:
#: none, as FiftyOne (the module doc has the measurements against 0.05 and 0.1)
DEFAULT_MARGIN = 0.0
#: boxes smaller than this (pixels, either side) are skipped: an 8-px object is
#: 256 model pixels at 128 px input, 16x upsampled, whose embedding says little
DEFAULT_MIN_SIZE = 8

#: one box to cut: (row of the result, [x, y, width, height] relative)
Box = tuple[int, Sequence[float]]


def pixel_box(box: Sequence[float], width: int, height: int) -> tuple[int, int, int, int]:
    """``[x, y, w, h]`` relative -> ``(left, top, right, bottom)`` pixels, clipped."""
    x, y, bw, bh = (float(v) for v in box)
    left, top = max(0, round(x * width)), max(0, round(y * height))
    right, bottom = min(width, round((x + bw) * width)), min(height, round((y + bh) * height))
    return left, top, right, bottom


def widen(rect: tuple[int, int, int, int], margin: float, width: int,
          height: int) -> tuple[int, int, int, int]:  # fmt: skip
    """``rect`` grown by ``margin`` of its own size on each side, clipped to the image."""
    left, top, right, bottom = rect
    dx, dy = round(margin * (right - left)), round(margin * (bottom - top))
    return max(0, left - dx), max(0, top - dy), min(width, right + dx), min(height, bottom + dy)


class CropFileDataset:
    """A map-style torch dataset whose item ``c`` is batch ``c`` of crops, as a :class:`Batch`.

    ``files[c]`` lists the files of batch ``c`` as ``(path, [(row, box), ...])``:
    each file is decoded once (:func:`brain.decode.load_image`) and all its
    boxes are cut from that decode. A file that cannot be read fails all its
    rows; an empty box fails its row; a box smaller than ``min_size`` pixels
    goes to :attr:`Batch.skipped`. Items never raise.
    """

    def __init__(
        self, files: list[list[tuple[str, list[Box]]]], image_size: int,
        margin: float = DEFAULT_MARGIN, min_size: int = DEFAULT_MIN_SIZE,
    ) -> None:  # fmt: skip
        self.files = files
        self.image_size = int(image_size)
        self.margin = float(margin)
        self.min_size = int(min_size)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, c: int) -> Batch:
        import torch

        rows: list[int] = []
        pixels: list[np.ndarray] = []
        failures: list[tuple[int, str]] = []
        skipped: list[tuple[int, str]] = []
        for path, boxes in self.files[c]:
            try:
                # looked up on the module at call time, so tests can count decodes
                img = decode.load_image(path)
            except Exception as e:  # noqa: BLE001 - reported per row, never raised
                reason = decode._describe_error(path, e)
                failures += [(row, reason) for row, _ in boxes]
                continue
            w, h = img.size
            for row, box in boxes:
                rect = pixel_box(box, w, h)
                side = min(rect[2] - rect[0], rect[3] - rect[1])
                if side <= 0:
                    failures.append((row, f"empty box {list(box)} in {path}"))
                elif side < self.min_size:
                    skipped.append((row, f"{side} px object (< {self.min_size} px) in {path}"))
                else:
                    crop = img.crop(widen(rect, self.margin, w, h))
                    rows.append(row)
                    pixels.append(decode.square_pixels(crop, self.image_size))
        s = self.image_size
        images = (torch.from_numpy(np.stack(pixels)) if pixels else
                  torch.empty((0, s, s, 3), dtype=torch.uint8))  # fmt: skip
        return Batch(rows, images, {}, failures, skipped=skipped)


def _as_is(batch: Batch) -> Batch:
    """The loader's collate function: an item already is a batch."""
    return batch


class EmbedCropsInWorker:
    """Runs the model on a batch of crops in the worker that cut them (CPU)."""

    def __init__(self, model: EmbeddingModel, batch_size: int) -> None:
        self.model = model
        self.batch_size = batch_size

    def __call__(self, batch: Batch) -> Batch:
        if batch.indices:
            batch.features = _embed_all(self.model, batch.images, self.batch_size)
            batch.images = batch.images[:0]  # no need to send pixels back
        return batch


def _embed_all(model: EmbeddingModel, images: torch.Tensor, batch_size: int) -> np.ndarray:
    """``images`` embedded ``batch_size`` at a time (a file with many objects makes a
    batch larger than ``batch_size``)."""
    parts = [_embed_batch(model, images[i : i + batch_size])
             for i in range(0, len(images), batch_size)]  # fmt: skip
    return np.concatenate(parts)


def plan_batches(paths: Sequence[str], boxes: Sequence[Sequence[Sequence[float]]],
                 batch_size: int) -> list[list[tuple[str, list[Box]]]]:  # fmt: skip
    """Rows grouped by file (first appearance order), files grouped into batches of
    at least ``batch_size`` boxes (the last one may hold fewer)."""
    by_path: dict[str, list[Box]] = {}
    row = 0
    for path, file_boxes in zip(paths, boxes, strict=True):
        for box in file_boxes or ():
            by_path.setdefault(path, []).append((row, box))
            row += 1
    batches: list[list[tuple[str, list[Box]]]] = [[]]
    count = 0
    for path, rows in by_path.items():
        if count >= batch_size:
            batches.append([])
            count = 0
        batches[-1].append((path, rows))
        count += len(rows)
    return batches if batches[0] else []


def embed_crops(
    paths: Sequence[str],
    boxes: Sequence[Sequence[Sequence[float]]],
    model: str | Any | None = None,
    batch_size: int | None = None,
    num_workers: int | None = None,
    device: str | torch.device | None = None,
    image_size: int | None = None,
    precision: str | None = None,
    progress: bool = True,
    margin: float = DEFAULT_MARGIN,
    min_size: int = DEFAULT_MIN_SIZE,
    num_threads: int | None = None,
    model_in_workers: bool | None = None,
) -> EmbeddingResult:
    """Embed boxes cut out of image files, each file decoded once, in DataLoader workers.

    Args:
        paths: image files; a path may appear more than once (one row per
            object, as a patches view lists them): its boxes are still cut
            from one decode.
        boxes: per path, its boxes as ``[x, y, width, height]`` relative to
            the image (``Detection.bounding_box``); rows come out path by path,
            box by box, in the order given.
        model, batch_size, num_workers, device, image_size, precision,
        num_threads, model_in_workers: as for
            :func:`brain.embeddings.embed_paths` (``batch_size`` counts crops;
            a batch holds whole files).
        progress: show a progress bar with crops/s.
        margin: context added on each side, as a fraction of the box's width
            and height (default 0: the bare box, as FiftyOne; see the module doc).
        min_size: skip boxes smaller than this many pixels on a side (default 8).

    Returns:
        An :class:`~brain.embeddings.EmbeddingResult` with one row per box;
        ``failures`` maps the rows of files that cannot be read (and of empty
        boxes) to the reason, ``skipped`` the rows of objects under
        ``min_size``; both rows are NaN. ``images_per_second`` counts boxes.

    Raises:
        BrainError: a negative ``margin`` or ``min_size``.

    Example:
        >>> res = embed_crops(["a.jpg"], [[[0.1, 0.1, 0.5, 0.5], [0.7, 0.7, 0.01, 0.01]]])
        >>> res.embeddings.shape, len(res.skipped)
        ((2, 1280), 1)
    """
    from torch.utils.data import DataLoader

    from dataset_core.progress import progress_bar

    from .errors import BrainError

    if margin < 0 or min_size < 0:
        raise BrainError(
            f"margin and min_size must be >= 0 (a fraction of the box, pixels); got "
            f"margin={margin}, min_size={min_size}"
        )
    start = time.perf_counter()
    dev = resolve_device(device)
    on_gpu = dev.type == "cuda"
    net = _resolve_model(model, image_size, dev, precision)
    n = sum(len(b or ()) for b in boxes)
    batch_size = batch_size or (DEFAULT_GPU_BATCH_SIZE if on_gpu else DEFAULT_CPU_BATCH_SIZE)
    batches = plan_batches(paths, boxes, batch_size)
    plan = _plan(len(batches) * batch_size, on_gpu, batch_size, num_workers, num_threads,
                 model_in_workers)  # fmt: skip
    dataset = CropFileDataset(batches, net.image_size, margin, min_size)
    collate_fn: Any = EmbedCropsInWorker(net, batch_size) if plan.model_in_workers else _as_is
    workers = plan.num_workers
    if workers and not _workers_can_start(dataset, collate_fn):
        workers, collate_fn = 0, _as_is
    loader = DataLoader(dataset, batch_size=None, num_workers=workers, collate_fn=collate_fn,
                        pin_memory=on_gpu)  # fmt: skip
    embeddings = np.full((n, net.dim), np.nan, dtype=np.float32)
    ok = np.zeros(n, dtype=bool)
    failures: dict[int, str] = {}
    skipped: dict[int, str] = {}
    bar = progress_bar(total=n, desc="crop embeddings", unit="crop",
                       **({} if progress else {"disable": True}))  # fmt: skip
    with _torch_threads(plan.num_threads), bar:
        for batch in loader:
            failures.update(batch.failures)
            skipped.update(batch.skipped)
            if batch.indices:
                idx = np.asarray(batch.indices)
                feats = batch.features
                embeddings[idx] = (_embed_all(net, batch.images, batch_size) if feats is None
                                   else feats)  # fmt: skip
                ok[idx] = True
            bar.update(len(batch.indices) + len(batch.failures) + len(batch.skipped))
    seconds = time.perf_counter() - start
    return EmbeddingResult(
        embeddings, ok, dict(sorted(failures.items())), {}, seconds,
        n / seconds if seconds > 0 else 0.0, [], net.image_size, net.precision,
        skipped=dict(sorted(skipped.items())),
    )  # fmt: skip
