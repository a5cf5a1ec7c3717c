"""Embeddings of images: decode in DataLoader workers, run a model in batches.

Every brain analysis that compares images by content (near-duplicates,
uniqueness, kNN label checks) starts here. :func:`embed_paths` works on file
paths and returns an :class:`EmbeddingResult`; :func:`compute_embeddings` does
the same for the samples of a dataset or view and can store the vectors as a
numpy-array field.

How an image becomes a model input is :mod:`brain.decode`'s job (its names
are re-exported here); files that cannot be read are reported with the reason
and get no embedding, never an exception.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .decode import Batch, ImageFileDataset, Item, collate
from .errors import EmbeddingsError
from .models import DEFAULT_MODEL, EmbeddingModel, load_model, resolve_device

if TYPE_CHECKING:
    import torch
    from PIL import Image

    from dataset_core.collection import SampleCollection

# Defaults measured with benchmarks/bench_embeddings.py and bench_dedup.py on 2
# shared CPU cores (2026-11-23 and 2026-12-01; tables in benchmarks/RESULTS.md).

#: input side for the default model. EfficientNet-Lite0 was trained at 224 px.
#: At 128 px (bfloat16, 2 cores) the whole dedup pipeline runs 3.0x fastdup's
#: images/s, 160 px 2.2x (1.9-2.0x counting interpreter start and imports).
#: What 128 keeps: near-duplicate F1 (0.938 vs 0.937 at 160), copy recall@1
#: (0.77 vs 0.74; downscaling hides JPEG artefacts), which-photo 1-NN (0.983
#: both) and a 10-NN vote's AUROC at flagging flipped labels (0.922 vs 0.931).
#: What it costs: class 1-NN on real photos 0.668 vs 0.704 (224 px: 0.735)
#: and ImageNet top-1 agreement with 224 px 0.42 vs 0.59. 128 also lets a
#: 256-px JPEG decode straight at half scale (Image.draft), with no resize.
#: Pass image_size=160 (or 224) where similarity-search semantics matter most.
DEFAULT_IMAGE_SIZE = 128
#: images per forward pass on CPU: one torch thread per worker does best on
#: small, cache-sized batches (16 beat 8 and 32 by 7-10% at 128 and 160 px)
DEFAULT_CPU_BATCH_SIZE = 16
#: images per forward pass on a GPU, large enough to keep it busy
DEFAULT_GPU_BATCH_SIZE = 256
#: on CPU, worker processes per core, each decoding *and* embedding its own
#: batches with one torch thread. At 128 px bfloat16 on 2 cores (400 images,
#: 2026-12-01): 404 images/s median, against 417 for 2 torch threads in one
#: process (decoding in turn) and 289 for 2 threads beside decode-only workers;
#: at 160 px 273 vs 244 and 204. Threads of one process wait for each other at
#: every layer, so they stall (down to ~30 images/s, measured 2026-11-23)
#: whenever another program takes a core; separate processes do not
CPU_WORKERS_PER_CORE = 1.0
#: with a GPU, decode workers per core: decoding is the bottleneck there
#: (H100, 16 cores, 160 px: 2,500 / 4,100 / 6,300 images/s with 4 / 8 / 16)
GPU_WORKERS_PER_CORE = 1.0
#: how many unreadable files a one-line report names
REPORT_EXAMPLES = 3


# -- running the model (in CPU workers too) ------------------------------------------


class EmbedInWorker:
    """A collate function that also runs the model, so CPU workers embed in parallel."""

    def __init__(self, model: EmbeddingModel) -> None:
        self.model = model

    def __call__(self, items: list[Item]) -> Batch:
        batch = collate(items)
        if batch.indices:
            batch.features = _embed_batch(self.model, batch.images)
            batch.images = batch.images[:0]  # no need to send pixels back
        return batch


def _embed_batch(model: EmbeddingModel, images: torch.Tensor) -> np.ndarray:
    # (B, S, S, 3) -> (B, 3, S, S) is a free, channels_last view
    return model.embed(images.permute(0, 3, 1, 2)).cpu().numpy()


# -- running the model ------------------------------------------------------------


@dataclass
class EmbeddingResult:
    """Embeddings of a list of images, aligned with it.

    Attributes:
        embeddings: ``(N, D)`` float32; rows of images that failed are NaN.
        ok: ``(N,)`` bool, whether image ``i`` was embedded.
        failures: index -> why that image could not be read.
        extras: name -> ``(N, ...)`` array of that extra's outputs (zeros
            where the image failed; ``(N, 0)`` when none decoded).
        seconds: wall time of the whole call.
        images_per_second: ``N / seconds``.
        file_hashes: with ``hash_files``, the sha1 (hex) of each file's bytes,
            None for files that could not be read; empty otherwise.
        image_size: the input side the model was fed.
        precision: what the model ran in (``"float32"``, ``"bfloat16"``...).
        skipped: for :func:`brain.crops.embed_crops`, row -> why that object
            was left out on purpose (smaller than ``min_size``); its row is NaN.
    """

    embeddings: np.ndarray
    ok: np.ndarray
    failures: dict[int, str] = field(default_factory=dict)
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0
    images_per_second: float = 0.0
    file_hashes: list[str | None] = field(default_factory=list)
    image_size: int = 0
    precision: str = ""
    skipped: dict[int, str] = field(default_factory=dict)


def _num_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _workers_can_start(*objects: Any) -> bool:
    """Whether worker processes can receive ``objects``: forked ones inherit them;
    spawned ones (macOS, Windows, Python 3.14's forkserver) need them to pickle,
    which a lambda among the extras does not."""
    import multiprocessing
    import pickle

    # the method DataLoader will use; the first listed is the platform's default
    method = multiprocessing.get_start_method(allow_none=True)
    if (method or multiprocessing.get_all_start_methods()[0]) == "fork":
        return True
    try:
        pickle.dumps(objects)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


@contextmanager
def _torch_threads(n: int | None) -> Iterator[None]:
    import torch

    old = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _resolve_model(
    model: str | Any | None, image_size: int | None, device: torch.device,
    precision: str | None = None,
) -> EmbeddingModel:  # fmt: skip
    if isinstance(model, EmbeddingModel):
        if image_size in (None, model.image_size) and precision in (None, model.precision):
            return model
        return model.variant(image_size, precision)
    if model is None or (isinstance(model, str) and model == DEFAULT_MODEL):
        return load_model(DEFAULT_MODEL, image_size or DEFAULT_IMAGE_SIZE, device,
                          precision=precision)  # fmt: skip
    return load_model(model, image_size, device, precision=precision)


@dataclass(frozen=True)
class _Plan:
    batch_size: int
    num_workers: int
    model_in_workers: bool
    num_threads: int | None  # torch threads of this process; None: leave as is


def _plan(
    n: int, on_gpu: bool, batch_size: int | None, num_workers: int | None,
    num_threads: int | None, model_in_workers: bool | None,
) -> _Plan:  # fmt: skip
    cores = _num_cores()
    batch_size = batch_size or (DEFAULT_GPU_BATCH_SIZE if on_gpu else DEFAULT_CPU_BATCH_SIZE)
    if num_workers is None:
        per_core = GPU_WORKERS_PER_CORE if on_gpu else CPU_WORKERS_PER_CORE
        num_workers = max(1, round(cores * per_core))
    num_batches = -(-n // batch_size)
    in_workers = not on_gpu and model_in_workers is not False
    # workers that embed need a batch each; workers that only decode need one
    # batch left for the model to overlap with; a lone batch gains nothing
    most = 0 if num_batches <= 1 else num_batches if in_workers else num_batches - 1
    num_workers = max(0, min(num_workers, most))
    return _Plan(
        batch_size, num_workers, in_workers and num_workers > 0,
        None if on_gpu else (num_threads or cores),
    )  # fmt: skip


def embed_paths(
    paths: Sequence[str],
    model: str | Any | None = None,
    batch_size: int | None = None,
    num_workers: int | None = None,
    device: str | torch.device | None = None,
    extras: dict[str, Callable[[Image.Image], np.ndarray]] | None = None,
    progress: bool = True,
    image_size: int | None = None,
    num_threads: int | None = None,
    model_in_workers: bool | None = None,
    hash_files: bool = False,
    precision: str | None = None,
) -> EmbeddingResult:
    """Embed image files in batches, decoding in DataLoader workers.

    On CPU each worker decodes and embeds whole batches with one torch
    thread, in parallel (see ``CPU_WORKERS_PER_CORE``); with a GPU the
    workers decode and this process runs the model in float16.

    Args:
        paths: image files.
        model: anything :func:`brain.models.load_model` accepts; default
            ``"efficientnet-lite0"`` (offline) at ``DEFAULT_IMAGE_SIZE`` (128).
        batch_size: images per forward pass; default 16 on CPU, 256 on GPU.
        num_workers: worker processes; default one per core. Never more than
            there are batches; none for a single batch (0: all in this process).
        device: ``"cpu"``, ``"cuda"``...; default CUDA when available.
        extras: name -> function of the decoded RGB image returning an array,
            computed in the same pass (e.g. ``{"thumb": gray_thumbnail}``).
        progress: show a progress bar with images/s.
        image_size: the model's input side; default the model's (128 for the
            default model).
        num_threads: torch threads of this process when it runs the model on
            CPU; default all cores (workers always use one each).
        model_in_workers: run the model in the workers (default on CPU);
            False keeps it in this process, workers only decoding.
        hash_files: also return the sha1 of each file's bytes
            (:attr:`EmbeddingResult.file_hashes`), from the one read that
            decodes it.
        precision: ``"float32"``, ``"bfloat16"`` or ``"float16"`` (GPU); default
            the model's (see :func:`brain.models.load_model`: bfloat16 for the
            default model on CPUs with native bfloat16, float16 on a GPU).

    Returns:
        An :class:`EmbeddingResult` aligned with ``paths``.

    Example:
        >>> result = embed_paths(["a.jpg", "b.png"], extras={"thumb": gray_thumbnail})
        >>> result.embeddings.shape, result.failures
        ((2, 1280), {})
    """
    from torch.utils.data import DataLoader

    from dataset_core.progress import progress_bar

    start = time.perf_counter()
    dev = resolve_device(device)
    net = _resolve_model(model, image_size, dev, precision)
    n = len(paths)
    plan = _plan(n, dev.type == "cuda", batch_size, num_workers, num_threads, model_in_workers)
    dataset = ImageFileDataset(paths, net.image_size, extras, hash_files)
    collate_fn = EmbedInWorker(net) if plan.model_in_workers else collate
    num_workers = plan.num_workers
    if num_workers and not _workers_can_start(dataset, collate_fn):
        num_workers = 0  # all in this process rather than fail to start workers
        collate_fn = collate
    loader = DataLoader(
        dataset,
        batch_size=plan.batch_size,
        num_workers=num_workers,
        collate_fn=collate_fn,
        pin_memory=dev.type == "cuda",
    )
    embeddings = np.full((n, net.dim), np.nan, dtype=np.float32)
    ok = np.zeros(n, dtype=bool)
    failures: dict[int, str] = {}
    hashes: list[str | None] = [None] * n if hash_files else []
    out_extras: dict[str, np.ndarray] = {}
    bar = progress_bar(
        total=n, desc="embeddings", unit="img", **({} if progress else {"disable": True})
    )
    with _torch_threads(plan.num_threads), bar:
        for batch in loader:
            failures.update(batch.failures)
            for i, digest in batch.hashes:
                hashes[i] = digest
            if batch.indices:
                idx = np.asarray(batch.indices)
                feats = batch.features
                embeddings[idx] = _embed_batch(net, batch.images) if feats is None else feats
                ok[idx] = True
                for name, values in batch.extras.items():
                    if name not in out_extras:
                        out_extras[name] = np.zeros((n, *values.shape[1:]), dtype=values.dtype)
                    out_extras[name][idx] = values
            bar.update(len(batch.indices) + len(batch.failures))
    for name in extras or {}:
        out_extras.setdefault(name, np.zeros((n, 0), dtype=np.float32))
    seconds = time.perf_counter() - start
    return EmbeddingResult(
        embeddings, ok, dict(sorted(failures.items())), out_extras, seconds,
        n / seconds if seconds > 0 else 0.0, hashes, net.image_size, net.precision,
    )  # fmt: skip


def embed_crops(paths: Sequence[str], boxes: Sequence[Sequence[Sequence[float]]],
                **kwargs: Any) -> EmbeddingResult:  # fmt: skip
    """Embed boxes cut out of image files; see :func:`brain.crops.embed_crops`."""
    from .crops import embed_crops as _embed_crops

    return _embed_crops(paths, boxes, **kwargs)


# -- datasets ----------------------------------------------------------------------


def normalize(x: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Rows scaled to unit L2 norm (NaN rows stay NaN; zero rows stay zero).

    Args:
        x: ``(N, D)`` embeddings.
        eps: the smallest norm divided by, so zero rows do not become NaN.
    """
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norms, eps)


def describe_failures(failures: dict[int, str], paths: Sequence[str], total: int) -> str:
    """One line for users: ``Skipped 2 of 10 images that could not be read: a.jpg (...)``."""
    examples = ", ".join(
        f"{paths[i]} ({reason})" for i, reason in list(failures.items())[:REPORT_EXAMPLES]
    )
    more = ", ..." if len(failures) > REPORT_EXAMPLES else ""
    return (
        f"Skipped {len(failures)} of {total} images that could not be read "
        f"(they get no embedding): {examples}{more}"
    )


def _precomputed(array: Any, n: int) -> np.ndarray:
    arr = np.asarray(array, dtype=np.float32)
    if arr.ndim != 2 or arr.shape[0] != n:
        raise EmbeddingsError(
            f"Precomputed embeddings must have shape (num_samples, dim) = ({n}, D); "
            f"got {arr.shape}. Pass one row per sample, in the collection's order."
        )
    return arr


def compute_embeddings(
    samples: SampleCollection,
    model: str | Any | None = None,
    batch_size: int | None = None,
    num_workers: int | None = None,
    embeddings_field: str | None = None,
    device: str | torch.device | None = None,
    progress: bool = True,
    image_size: int | None = None,
) -> np.ndarray:
    """Embed the images of a dataset or view, optionally storing them on the samples.

    Args:
        samples: a dataset or view.
        model: a model name or module (see :func:`brain.models.load_model`;
            default ``"efficientnet-lite0"``, offline), or precomputed
            embeddings, one row per sample in the collection's order.
        batch_size: images per forward pass (see :func:`embed_paths`).
        num_workers: worker processes (see :func:`embed_paths`).
        embeddings_field: if given, store each row as a numpy array in this
            field; samples whose image could not be read get ``None``.
        device: ``"cpu"``, ``"cuda"``...; default CUDA when available.
        progress: show a progress bar with images/s.
        image_size: the model's input side (see :func:`embed_paths`).

    Returns:
        ``(N, D)`` float32 raw (not normalised) embeddings aligned with
        ``samples.values("_id")``; rows of unreadable images are NaN. Those
        images are reported on one printed line.

    Raises:
        EmbeddingsError: precomputed embeddings of the wrong shape.
        SchemaError: an invalid ``embeddings_field`` name.

    Example:
        >>> emb = compute_embeddings(dataset, embeddings_field="embedding")
        >>> emb.shape
        (1000, 1280)
    """
    from dataset_core.fields import validate_field_name

    if embeddings_field is not None:
        validate_field_name(embeddings_field)
    ids = samples.values("_id")
    if model is not None and hasattr(model, "__array__") and not isinstance(model, str):
        embeddings = _precomputed(model, len(ids))
        ok = ~np.isnan(embeddings).any(axis=1)
    else:
        paths = samples.values("filepath")
        result = embed_paths(
            paths, model, batch_size=batch_size, num_workers=num_workers, device=device,
            progress=progress, image_size=image_size,
        )  # fmt: skip
        if result.failures:
            print(describe_failures(result.failures, paths, len(paths)))
        embeddings, ok = result.embeddings, result.ok
    if embeddings_field is not None:
        pairs = [
            (oid, row if good else None) for oid, row, good in zip(ids, embeddings, ok, strict=True)
        ]
        samples.dataset.set_values(embeddings_field, dict(pairs))
    return embeddings
