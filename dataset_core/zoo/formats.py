"""Readers for the official archives of the zoo's datasets, read in place.

CIFAR's "python version" archives hold pickled dicts; a pickle can run any
code, so they are read with an unpickler that builds only plain containers and
numpy arrays (:class:`_ArrayUnpickler`). MNIST and Fashion-MNIST come as IDX
files (gzipped or not). Nothing is extracted to disk: the members a split needs
are read straight from the archive.
"""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MediaError

#: the only globals a CIFAR pickle may name: numpy's array reconstruction
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),  # how Python 3 pickles bytes at protocol 2
}


class _ArrayUnpickler(pickle.Unpickler):
    """Refuses every global but numpy's array reconstruction (no code runs)."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a CIFAR batch")
        return super().find_class(module, name)


@dataclass(frozen=True)
class Split:
    """One split read from an archive: ``images`` is N x H x W (x 3), uint8."""

    images: np.ndarray
    targets: np.ndarray
    classes: list[str]


def _unpickle(data: bytes, where: str) -> dict[Any, Any]:
    try:
        obj = _ArrayUnpickler(io.BytesIO(data), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as err:
        raise MediaError(f"{where} is not a CIFAR batch ({err}); fetch the archive again") from err
    if not isinstance(obj, dict):
        raise MediaError(f"{where} is not a CIFAR batch (a {type(obj).__name__}, not a dict)")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in obj.items()}


def _member(tar: tarfile.TarFile, archive: Path, basename: str) -> bytes:
    for info in tar.getmembers():
        if info.isfile() and info.name.rsplit("/", 1)[-1] == basename:
            f = tar.extractfile(info)
            if f is not None:
                return f.read()
    raise MediaError(f"{archive} has no member {basename!r}; is it the official archive?")


def _names(values: Any) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def read_cifar(archive: Path, batches: list[str], meta: str, labels_key: str,
               names_key: str) -> Split:  # fmt: skip
    """The images of ``batches`` (member names) of a CIFAR python archive.

    Args:
        archive: ``cifar-10-python.tar.gz`` or ``cifar-100-python.tar.gz``.
        batches: the members to read, in order (``data_batch_1``..., ``test``).
        meta: the member with the class names (``batches.meta``, ``meta``).
        labels_key: the key of the targets (``labels``, ``fine_labels``).
        names_key: the key of the class names (``label_names``, ``fine_label_names``).
    """
    try:
        with tarfile.open(archive, "r:*") as tar:
            meta_dict = _unpickle(_member(tar, archive, meta), f"{archive}:{meta}")
            images, targets = [], []
            for name in batches:
                batch = _unpickle(_member(tar, archive, name), f"{archive}:{name}")
                data = np.asarray(batch["data"], dtype=np.uint8)
                images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
                targets.append(np.asarray(batch[labels_key], dtype=np.int64))
            classes = _names(meta_dict[names_key])
    except (tarfile.TarError, OSError, EOFError) as err:
        raise MediaError(f"Cannot read {archive} ({err}); fetch the archive again") from err
    except KeyError as err:
        raise MediaError(
            f"{archive} lacks the key {err} in a batch; is it the official archive?"
        ) from None
    return Split(np.concatenate(images), np.concatenate(targets), classes)


#: IDX magic numbers: unsigned bytes with 3 dimensions (images) or 1 (labels)
_IDX_IMAGES, _IDX_LABELS = 0x00000803, 0x00000801


def _read_idx(path: Path, magic: int) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as err:
        raise MediaError(f"Cannot read {path} ({err}); fetch the file again") from err
    ndim = magic & 0xFF
    if len(data) < 4 + 4 * ndim or struct.unpack(">I", data[:4])[0] != magic:
        raise MediaError(f"{path} is not an IDX file of {ndim} dimension(s); fetch it again")
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise MediaError(f"{path} is truncated ({body.size} of {int(np.prod(shape))} bytes)")
    return body.reshape(shape)


def find_file(folder: Path, name: str) -> Path | None:
    """``name`` in ``folder`` (or one level below), also without its ``.gz``."""
    stem = name[:-3] if name.endswith(".gz") else name
    for candidate in (name, stem):
        for path in (folder / candidate, *folder.glob(f"*/{candidate}")):
            if path.is_file():
                return path
    return None


def read_idx_pair(images: Path, labels: Path, classes: list[str]) -> Split:
    """An MNIST-style split from its images and labels IDX files."""
    arr = _read_idx(images, _IDX_IMAGES)
    targets = _read_idx(labels, _IDX_LABELS).astype(np.int64)
    if len(arr) != len(targets):
        raise MediaError(f"{images} has {len(arr)} images but {labels} has {len(targets)} labels")
    return Split(arr, targets, classes)


def iter_images(split: Split) -> Iterator[tuple[np.ndarray, str]]:
    """``(image, class name)`` for each image of ``split``."""
    n = len(split.classes)
    for image, target in zip(split.images, split.targets, strict=True):
        if not 0 <= target < n:
            raise MediaError(f"label {int(target)} is outside the {n} classes of the archive")
        yield image, split.classes[int(target)]
