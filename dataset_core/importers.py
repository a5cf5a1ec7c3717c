"""Building datasets from folders of images and classification trees.

Every importer scans first, reports what it skipped in one line, and adds the
samples into a :func:`~dataset_core.dataset.staged_dataset`: the dataset
appears under its name only once complete, so a failed or killed import
leaves no half-filled dataset behind, and running it again just works.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from .dataset import Dataset, staged_dataset
from .errors import MediaError
from .exporters import UNLABELED_DIR
from .labels import Classification
from .manifest import from_manifest
from .media import ScanReport, scan_images
from .sample import Sample


def _check_dir(path: str) -> str:
    path = os.path.abspath(os.path.expanduser(os.fspath(path)))
    if not os.path.exists(path):
        raise MediaError(f"Directory {path!r} does not exist; check the path")
    if not os.path.isdir(path):
        raise MediaError(f"{path!r} is a file, not a directory")
    return path


def _report(report: ScanReport) -> None:
    line = report.describe()
    if line:
        print(line)


def _build(name: str | None, samples: list[Sample], overwrite: bool = False,
           classes: list[str] | None = None) -> Dataset:  # fmt: skip
    with staged_dataset(name, overwrite=overwrite) as dataset:  # visible only when complete
        dataset.add_samples(samples)
        if classes:
            dataset.classes = classes
    return dataset


def from_images(paths: Iterable[str], name: str | None = None, tags: list[str] | None = None,
                overwrite: bool = False) -> Dataset:  # fmt: skip
    """A dataset with one sample per image path."""
    samples = [Sample(p, tags=tags) for p in paths]
    return _build(name, samples, overwrite)


def from_images_dir(images_dir: str, recursive: bool = True, name: str | None = None,
                    tags: list[str] | None = None, overwrite: bool = False) -> Dataset:  # fmt: skip
    """A dataset of every image under ``images_dir``.

    Images are recognised by extension (jpg, jpeg, png, bmp, gif, tif, tiff,
    webp) or content; other and empty files are skipped and reported.

    Raises:
        MediaError: the folder is missing or holds no images.

    Example:
        >>> flickr = Dataset.from_images_dir("data", recursive=True, name="flickr-images")
    """
    root = _check_dir(images_dir)
    report = scan_images(root, recursive=recursive)
    _report(report)
    if not report.images:
        raise MediaError(
            f"No images found in {root!r}"
            + (f" ({report.describe()})" if report.skipped else "")
            + ("" if recursive else "; pass recursive=True to look in subfolders")
        )
    return from_images(report.images, name=name, tags=tags, overwrite=overwrite)


def parse_image_classification_dir_tree(
    dataset_dir: str,
) -> tuple[list[tuple[str, str | None]], list[str]]:
    """Read a tree ``<dataset_dir>/<class>/<image>`` into ``(filepath, label)`` pairs.

    Images in nested folders under a class folder belong to that class; images
    in ``_unlabeled/`` (where exports put samples without a label) get None.

    Returns:
        ``(samples, classes)``: the pairs sorted by path, and the sorted class names.

    Raises:
        MediaError: the folder is missing or no class folder holds images.
    """
    root = _check_dir(dataset_dir)
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
    samples: list[tuple[str, str | None]] = []
    total = ScanReport()
    for folder in classes:
        report = scan_images(os.path.join(root, folder), recursive=True)
        label = None if folder == UNLABELED_DIR else folder
        samples.extend((p, label) for p in report.images)
        total.merge(report)
    _report(total)
    if not samples:
        raise MediaError(
            f"No images in class folders under {root!r}; expected <class>/<image> "
            f"(found {len(classes)} folders)"
        )
    return samples, [c for c in classes if c != UNLABELED_DIR]


def from_image_classification_samples(
    samples: Iterable[tuple[str, Any]], name: str | None = None,
    label_field: str = "ground_truth", classes: list[str] | None = None,
    overwrite: bool = False,
) -> Dataset:  # fmt: skip
    """A dataset from ``(filepath, label)`` pairs, labels stored as Classification.

    A label may be a class name, or an int index into ``classes``. The
    dataset's ``classes`` are ``classes`` if given, else the sorted labels seen.
    """
    built = []
    seen: set[str] = set()
    for path, target in samples:
        if isinstance(target, int) and not isinstance(target, bool) and classes:
            target = classes[target]
        label = None if target is None else Classification(label=str(target))
        built.append(Sample(path, **{label_field: label}))
        if label is not None:
            seen.add(label.label)
    return _build(name, built, overwrite, classes=classes or sorted(seen))


def from_image_classification_dir_tree(dataset_dir: str, name: str | None = None,
                                       **kwargs: Any) -> Dataset:  # fmt: skip
    """A dataset from a ``<class>/<image>`` tree, labels in ``ground_truth``."""
    samples, classes = parse_image_classification_dir_tree(dataset_dir)
    return from_image_classification_samples(samples, name=name, classes=classes, **kwargs)


#: dataset_type -> importer; issue formats register here
DATASET_TYPES: dict[str, Callable[..., Dataset]] = {
    "images": from_images_dir,
    "images-dir": from_images_dir,
    "image-classification-dir-tree": from_image_classification_dir_tree,
    "classification-dir-tree": from_image_classification_dir_tree,
    "manifest": from_manifest,
}


def from_dir(dataset_dir: str, dataset_type: str = "images", name: str | None = None,
             **kwargs: Any) -> Dataset:  # fmt: skip
    """A dataset from a folder in one of the layouts of :data:`DATASET_TYPES`.

    Raises:
        ValueError: an unknown ``dataset_type``.
    """
    try:
        importer = DATASET_TYPES[dataset_type]
    except KeyError:
        raise ValueError(
            f"Unknown dataset_type {dataset_type!r}; use one of {sorted(DATASET_TYPES)}"
        ) from None
    return importer(dataset_dir, name=name, **kwargs)
