"""The dataset zoo: CIFAR-10/100, MNIST and Fashion-MNIST, by FiftyOne's names.

``load_zoo_dataset("cifar10", split="test")`` gives the dataset
``"cifar10-test"``: one sample per image, its class in ``ground_truth`` (a
:class:`~dataset_core.labels.Classification`), its split as a tag. The images
are written once, as PNG (lossless, so byte-identical images stay identical),
under ``~/.dataset_core/zoo/<name>/<split>/data/``; a later call reuses them,
and reuses the dataset itself while it exists.

The official archive is read in place from the zoo folder (or ``dataset_dir=``).
When it is missing it is downloaded through torchvision, which knows the
official addresses and checksums; offline, the error names the file to fetch
and where to put it.

Example:
    >>> import dataset_core.zoo as foz
    >>> foz.list_zoo_datasets()
    ['cifar10', 'cifar100', 'fashion-mnist', 'mnist']
    >>> dataset = foz.load_zoo_dataset("cifar10", split="test")
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..config import config
from ..dataset import Dataset, dataset_exists, load_dataset
from ..errors import DatasetCoreError
from ..importers import Parsed, _build
from ..labels import Classification
from ..sample import Sample
from . import formats

__all__ = [
    "ZooDataset",
    "ZooDownloadError",
    "download_zoo_dataset",
    "get_zoo_dataset",
    "list_zoo_datasets",
    "load_zoo_dataset",
]

#: the sample files' names: 1-based, as FiftyOne names zoo images
_IMAGE_NAME = "{:06d}.png"
#: written beside a split's images once all of them are on disk
_COMPLETE = ".complete"


class ZooDownloadError(DatasetCoreError, FileNotFoundError):
    """A zoo dataset's official files are neither on disk nor downloadable."""


@dataclass(frozen=True)
class ZooDataset:
    """One dataset of the zoo: its splits and the official files they are read from.

    Attributes:
        name: the zoo name (``"cifar10"``).
        splits: the split names, FiftyOne's (``("test", "train")``).
        files: the official files (archives or IDX files) the splits are read from.
        description: one line for :func:`list_zoo_datasets` users.
    """

    name: str
    splits: tuple[str, ...]
    files: tuple[str, ...]
    description: str

    def files_for(self, split: str) -> list[str]:
        """The official files ``split`` is read from."""
        return list(self.files)

    def read(self, source: Path, split: str) -> formats.Split:
        """The images of ``split`` from the official files in ``source``."""
        raise NotImplementedError

    def downloads(self) -> list[tuple[list[str], str, str | None]]:
        """``(urls, filename, md5)`` of each official file (mirrors in turn), from torchvision."""
        raise NotImplementedError


@dataclass(frozen=True)
class _Cifar(ZooDataset):
    batches: dict[str, list[str]] | None = None
    meta: str = ""
    labels_key: str = ""
    names_key: str = ""
    torchvision_class: str = ""

    def read(self, source: Path, split: str) -> formats.Split:
        archive = formats.find_file(source, self.files[0])
        if archive is None or self.batches is None:
            raise ZooDownloadError(_offline_message(self, source, list(self.files)))
        return formats.read_cifar(archive, self.batches[split], self.meta, self.labels_key,
                                  self.names_key)  # fmt: skip

    def downloads(self) -> list[tuple[list[str], str, str | None]]:
        cls = getattr(_torchvision_datasets(), self.torchvision_class)
        return [([cls.url], cls.filename, cls.tgz_md5)]


@dataclass(frozen=True)
class _Idx(ZooDataset):
    torchvision_class: str = ""

    def files_for(self, split: str) -> list[str]:
        prefix = "train" if split == "train" else "t10k"
        return [f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"]

    def read(self, source: Path, split: str) -> formats.Split:
        images, labels = (formats.find_file(source, f) for f in self.files_for(split))
        if images is None or labels is None:
            raise ZooDownloadError(_offline_message(self, source, self.files_for(split)))
        return formats.read_idx_pair(images, labels, list(_IDX_CLASSES[self.name]))

    def downloads(self) -> list[tuple[list[str], str, str | None]]:
        cls = getattr(_torchvision_datasets(), self.torchvision_class)
        return [([m + name for m in cls.mirrors], name, md5) for name, md5 in cls.resources]


#: class names as torchvision (and so FiftyOne) give them
_IDX_CLASSES = {
    "mnist": [f"{i} - {w}" for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])],
    "fashion-mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Ankle boot"],
}  # fmt: skip

_IDX_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

_ZOO: dict[str, ZooDataset] = {
    d.name: d
    for d in (
        _Cifar("cifar10", ("test", "train"), ("cifar-10-python.tar.gz",),
               "CIFAR-10: 60,000 32x32 colour images in 10 classes",
               batches={"test": ["test_batch"],
                        "train": [f"data_batch_{i}" for i in range(1, 6)]},
               meta="batches.meta", labels_key="labels", names_key="label_names",
               torchvision_class="CIFAR10"),
        _Cifar("cifar100", ("test", "train"), ("cifar-100-python.tar.gz",),
               "CIFAR-100: 60,000 32x32 colour images in 100 fine classes",
               batches={"test": ["test"], "train": ["train"]}, meta="meta",
               labels_key="fine_labels", names_key="fine_label_names",
               torchvision_class="CIFAR100"),
        _Idx("mnist", ("test", "train"), _IDX_FILES,
             "MNIST: 70,000 28x28 grayscale handwritten digits", torchvision_class="MNIST"),
        _Idx("fashion-mnist", ("test", "train"), _IDX_FILES,
             "Fashion-MNIST: 70,000 28x28 grayscale articles of clothing in 10 classes",
             torchvision_class="FashionMNIST"),
    )
}  # fmt: skip


def _torchvision_datasets() -> Any:
    try:
        import torchvision.datasets as tvd
    except ImportError as err:  # pragma: no cover - torchvision is a dependency
        raise ZooDownloadError(f"Downloading zoo datasets needs torchvision ({err})") from err
    return tvd


def list_zoo_datasets() -> list[str]:
    """The names :func:`load_zoo_dataset` accepts, sorted."""
    return sorted(_ZOO)


def get_zoo_dataset(name: str) -> ZooDataset:
    """The zoo entry called ``name``.

    Raises:
        ValueError: no such zoo dataset (the message lists the names there are).
    """
    try:
        return _ZOO[name]
    except KeyError:
        raise ValueError(
            f"No zoo dataset {name!r}; available: {', '.join(list_zoo_datasets())}"
        ) from None


def _zoo_dir(name: str, dataset_dir: str | os.PathLike[str] | None) -> Path:
    if dataset_dir is not None:
        return Path(dataset_dir).expanduser().resolve()
    return config.home / "zoo" / name


def _missing(zoo: ZooDataset, folder: Path, split: str) -> list[str]:
    return [f for f in zoo.files_for(split) if formats.find_file(folder, f) is None]


def _download(zoo: ZooDataset, folder: Path, missing: list[str]) -> None:
    from torchvision.datasets.utils import download_url

    folder.mkdir(parents=True, exist_ok=True)
    wanted = set(missing)
    for urls, filename, md5 in zoo.downloads():
        if filename not in wanted:
            continue
        err: Exception | None = None
        for url in urls:
            try:
                download_url(url, str(folder), filename=filename, md5=md5)
                break
            except (OSError, RuntimeError, ValueError) as e:
                err = e
        else:
            raise ZooDownloadError(_offline_message(zoo, folder, missing, err))


def _offline_message(zoo: ZooDataset, folder: Path, missing: list[str], err: Any = None) -> str:
    why = f"download failed: {err}" if err is not None else "downloads are off"
    return (
        f"Zoo dataset {zoo.name!r} needs {', '.join(missing)} ({why}); fetch the official "
        f"file(s) and put them in {folder}, or pass dataset_dir=<folder holding them>"
    )


def download_zoo_dataset(
    name: str, split: str | None = None, splits: list[str] | None = None,
    dataset_dir: str | os.PathLike[str] | None = None, download_if_necessary: bool = True,
) -> Path:  # fmt: skip
    """Make sure the official files are on disk and the images of the splits written.

    Args:
        name: a zoo name (:func:`list_zoo_datasets`).
        split, splits: the split(s) to prepare; all by default.
        dataset_dir: the folder holding (or to receive) the official files and
            the written images; ``~/.dataset_core/zoo/<name>`` by default.
        download_if_necessary: download missing official files through torchvision.

    Returns:
        The zoo dataset's folder.

    Raises:
        ZooDownloadError: a file is missing and cannot be downloaded.
    """
    zoo = get_zoo_dataset(name)
    folder = _zoo_dir(name, dataset_dir)
    for s in _splits(zoo, split, splits):
        _prepare_split(zoo, folder, s, download_if_necessary)
    return folder


def _splits(zoo: ZooDataset, split: str | None, splits: list[str] | None) -> list[str]:
    if split is not None and splits is not None:
        raise ValueError("Pass split or splits, not both")
    chosen = [split] if split is not None else list(splits) if splits else list(zoo.splits)
    unknown = [s for s in chosen if s not in zoo.splits]
    if unknown:
        raise ValueError(
            f"Zoo dataset {zoo.name!r} has no split {unknown[0]!r}; splits: {list(zoo.splits)}"
        )
    return chosen


def _prepare_split(zoo: ZooDataset, folder: Path, split: str, download: bool) -> list[Path]:
    """The image files of ``split``, written from the official files unless already there."""
    data = folder / split / "data"
    marker = folder / split / _COMPLETE
    if marker.is_file():
        count = int(marker.read_text().strip() or 0)
        paths = [data / _IMAGE_NAME.format(i + 1) for i in range(count)]
        if all(p.is_file() for p in paths):
            return paths
    missing = _missing(zoo, folder, split)
    if missing:
        if not download:
            raise ZooDownloadError(_offline_message(zoo, folder, missing))
        _download(zoo, folder, missing)
    split_data = zoo.read(folder, split)
    data.mkdir(parents=True, exist_ok=True)
    paths, labels = [], []
    for i, (image, label) in enumerate(formats.iter_images(split_data)):
        path = data / _IMAGE_NAME.format(i + 1)
        if not path.is_file():  # a crash mid-way: the files already written are whole
            tmp = path.with_suffix(".tmp")
            Image.fromarray(image).save(tmp, format="PNG")
            os.replace(tmp, path)
        paths.append(path)
        labels.append(label)
    (folder / split / "labels.txt").write_text("\n".join(labels) + "\n")
    (folder / split / "classes.txt").write_text("\n".join(split_data.classes) + "\n")
    marker.write_text(f"{len(paths)}\n")  # last: the split is whole from here on
    return paths


def _split_lines(folder: Path, split: str, what: str) -> list[str]:
    """The ``labels`` (one per image) or ``classes`` written beside a split's images."""
    return (folder / split / f"{what}.txt").read_text().splitlines()


def _dataset_name(zoo: ZooDataset, chosen: list[str], max_samples: int | None) -> str:
    name = zoo.name
    if sorted(chosen) != sorted(zoo.splits):
        name += "-" + "-".join(chosen)
    if max_samples is not None:
        name += f"-{max_samples}"
    return name


def load_zoo_dataset(
    name: str, split: str | None = None, splits: list[str] | None = None,
    label_field: str = "ground_truth", dataset_name: str | None = None,
    dataset_dir: str | os.PathLike[str] | None = None, download_if_necessary: bool = True,
    drop_existing_dataset: bool = False, overwrite: bool = False,
    max_samples: int | None = None, shuffle: bool = False, seed: int | None = None,
) -> Dataset:  # fmt: skip
    """The zoo dataset ``name`` as a :class:`Dataset`, loaded or built from its images.

    Named as FiftyOne names it: ``"cifar10-test"`` for one split, ``"cifar10"``
    for all of them, with ``-<max_samples>`` when limited. An existing dataset of
    that name is returned as it is unless ``drop_existing_dataset`` is set.

    Args:
        name: a zoo name (:func:`list_zoo_datasets`).
        split, splits: the split(s) to load; all by default. Each sample is
            tagged with its split.
        label_field: the field that receives each image's ``Classification``.
        dataset_name: the dataset's name instead of the zoo's.
        dataset_dir: where the official files are (or go) and the images are
            written; ``~/.dataset_core/zoo/<name>`` by default.
        download_if_necessary: download missing official files (torchvision).
        drop_existing_dataset: rebuild the dataset even if one of that name exists.
        overwrite: re-read the official files and rewrite the images.
        max_samples: at most this many samples per split.
        shuffle, seed: which ``max_samples`` to take: a seeded random choice
            instead of the first ones.

    Raises:
        ValueError: an unknown zoo name or split.
        ZooDownloadError: offline and the official files are not on disk.
    """
    zoo = get_zoo_dataset(name)
    chosen = _splits(zoo, split, splits)
    if max_samples is not None and max_samples < 1:
        raise ValueError(f"max_samples must be at least 1, not {max_samples}")
    ds_name = dataset_name or _dataset_name(zoo, chosen, max_samples)
    if dataset_exists(ds_name) and not (drop_existing_dataset or overwrite):
        print(f"Loading existing dataset {ds_name!r} (drop_existing_dataset=True rebuilds it)")
        return load_dataset(ds_name)
    folder = _zoo_dir(name, dataset_dir)
    samples: list[Sample] = []
    classes: list[str] = []
    for s in chosen:
        if overwrite:
            (folder / s / _COMPLETE).unlink(missing_ok=True)
        paths = _prepare_split(zoo, folder, s, download_if_necessary)
        labels = _split_lines(folder, s, "labels")
        order = np.arange(len(paths))
        if shuffle:
            order = np.random.default_rng(seed).permutation(len(paths))
        if max_samples is not None:
            order = order[:max_samples]
        for i in order:
            label = Classification(label=labels[i])
            samples.append(Sample(str(paths[i]), tags=[s], **{label_field: label}))
        classes = classes or _split_lines(folder, s, "classes")
    # replaces a dropped dataset of that name (reached only when asked to)
    return _build(ds_name, samples, overwrite=True,
                  parsed=Parsed(samples, classes, label_field))  # fmt: skip
