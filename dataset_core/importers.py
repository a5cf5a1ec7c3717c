"""Building datasets from folders of images and classification trees.

Every importer scans first, reports what it skipped in one line, and adds the
samples into a :func:`~dataset_core.dataset.staged_dataset`: the dataset
appears under its name only once complete, so a failed or killed import
leaves no half-filled dataset behind, and running it again just works.
"""

from __future__ import annotations

import gc
import inspect
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
           parsed: Parsed | None = None, dynamic: bool = False) -> Dataset:  # fmt: skip
    with staged_dataset(name, overwrite=overwrite) as dataset:  # visible only when complete
        dataset.add_samples(samples, dynamic=dynamic)
        if parsed is not None:
            _add_classes(dataset, parsed)
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
    return _build(name, built, overwrite,
                  parsed=Parsed(built, classes or sorted(seen), label_field))  # fmt: skip


def from_image_classification_dir_tree(dataset_dir: str, name: str | None = None,
                                       **kwargs: Any) -> Dataset:  # fmt: skip
    """A dataset from a ``<class>/<image>`` tree, labels in ``ground_truth``."""
    samples, classes = parse_image_classification_dir_tree(dataset_dir)
    return from_image_classification_samples(samples, name=name, classes=classes, **kwargs)


#: dataset_type -> importer (the legacy string keys and their own arguments)
DATASET_TYPES: dict[str, Callable[..., Dataset]] = {
    "images": from_images_dir,
    "images-dir": from_images_dir,
    "image-classification-dir-tree": from_image_classification_dir_tree,
    "classification-dir-tree": from_image_classification_dir_tree,
    "manifest": from_manifest,
}


@dataclass
class Parsed:
    """What a format's parser read: samples not yet in any dataset, and the classes."""

    samples: list[Sample]
    #: the class list read, for ``label_field``
    classes: list[str] | None = None
    label_field: str | None = None
    #: ``{label field: [class]}`` read from a FiftyOneDataset export
    field_classes: dict[str, list[str]] | None = None


def _parse_images(dataset_dir: str | None, data_path: str | None, labels_path: str | None,
                  label_field: str | None, recursive: bool = True) -> Parsed:  # fmt: skip
    root = _check_dir(_data_dir(dataset_dir, data_path, "."))
    report = scan_images(root, recursive=recursive)
    _report(report)
    return Parsed([Sample(p) for p in report.images])


def _parse_tree(dataset_dir: str | None, data_path: str | None, labels_path: str | None,
                label_field: str | None) -> Parsed:  # fmt: skip
    pairs, classes = parse_image_classification_dir_tree(_data_dir(dataset_dir, data_path, "."))
    field = label_field or "ground_truth"
    samples = [Sample(p, **{field: None if lab is None else Classification(label=lab)})
               for p, lab in pairs]  # fmt: skip
    return Parsed(samples, classes)


def _data_dir(dataset_dir: str | None, data_path: str | None, default: str) -> str:
    """FiftyOne's rule: ``data_path`` is absolute, or relative to ``dataset_dir``."""
    if data_path is not None and os.path.isabs(os.path.expanduser(os.fspath(data_path))):
        return os.path.expanduser(os.fspath(data_path))
    if dataset_dir is None:
        if data_path is None:
            raise MediaError("Pass dataset_dir (or data_path) to say where the images are")
        return os.fspath(data_path)
    return os.path.join(os.fspath(dataset_dir), data_path if data_path is not None else default)


#: format key -> parser(dataset_dir, data_path, labels_path, label_field, **kwargs) -> Parsed;
#: :mod:`dataset_core.formats` registers the rest
PARSERS: dict[str, Callable[..., Parsed]] = {
    "images": _parse_images,
    "images-dir": _parse_images,
    "image-classification-dir-tree": _parse_tree,
    "classification-dir-tree": _parse_tree,
}
#: formats read whole, ids, runs and saved views included (no Parsed step)
LOSSLESS: dict[str, Callable[..., Dataset]] = {"manifest": from_manifest}


def _key(dataset_type: Any) -> str:
    from . import formats
    from .types import format_key

    formats.register()
    return format_key(dataset_type, set(PARSERS) | set(LOSSLESS))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a parser builds its samples.

    A labels file becomes hundreds of thousands of small dicts and lists, none in
    a reference cycle; each time they pass the collector's threshold it walks the
    whole growing heap again, which took more than half of a 100,000-box COCO
    parse (``benchmarks/bench_coco.py``). Reference counting still frees
    everything; the collector is back on (if it was) when the block ends.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def parse_dir(dataset_dir: str | None = None, dataset_type: Any = None,
              data_path: str | None = None, labels_path: str | None = None,
              label_field: str | None = None, tags: list[str] | None = None,
              **kwargs: Any) -> Parsed:  # fmt: skip
    """The samples of a folder in any format, not yet in a dataset (see :func:`from_dir`)."""
    key = _key("images-dir" if dataset_type is None else dataset_type)
    if key in LOSSLESS:
        from .formats.fiftyone_dataset import parse_lossless

        _check_options(parse_lossless, 1, key, kwargs)
        parsed = parse_lossless(dataset_dir, **kwargs)
    else:
        _check_options(PARSERS[key], 4, key, kwargs)
        with gc_paused():
            parsed = PARSERS[key](dataset_dir, data_path, labels_path, label_field, **kwargs)
        if parsed.classes and parsed.label_field is None:
            parsed.label_field = label_field or "ground_truth"
    if tags:
        for sample in parsed.samples:
            sample.tags = sorted(set(sample.tags) | set(tags))
    return parsed


def _check_options(parser: Callable[..., Any], skip: int, key: str,
                   kwargs: dict[str, Any]) -> None:  # fmt: skip
    """Refuse, in one line, options the format's parser does not take."""
    accepted = list(inspect.signature(parser).parameters)[skip:]
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise MediaError(f"Importing {key} does not take {unknown}; its options: {accepted}")


def from_dir(dataset_dir: str | None = None, dataset_type: Any = None,
             data_path: str | None = None, labels_path: str | None = None,
             name: str | None = None, label_field: str | None = None,
             tags: list[str] | None = None, overwrite: bool = False,
             dynamic: bool = False, **kwargs: Any) -> Dataset:  # fmt: skip
    """A dataset from a folder in one format (FiftyOne's ``Dataset.from_dir``).

    Args:
        dataset_dir: the folder of the dataset.
        dataset_type: a :mod:`dataset_core.types` class (or instance), or a key
            of :data:`DATASET_TYPES`; default: a folder of images.
        data_path: the media folder, absolute or relative to ``dataset_dir``.
        labels_path: the labels file, absolute or relative to ``dataset_dir``.
        name: the new dataset's name.
        label_field: the field the labels go to (default ``ground_truth``).
        tags: tags added to every sample.
        overwrite: replace an existing dataset called ``name``.
        dynamic: also declare the labels' own attributes (``age`` of a
            detection) in the schema, as ``add_samples(dynamic=True)`` does.
        **kwargs: the format's own options.

    Raises:
        ExportError: an unknown ``dataset_type`` (a ValueError).
        MediaError: a missing folder or file, or an unreadable labels file.

    Example:
        >>> ds = Dataset.from_dir("/tmp/pets", dataset_type=fo.types.FiftyOneDataset)
    """
    key = _key("images" if dataset_type is None else dataset_type)
    plain = (data_path is None and labels_path is None and label_field is None and not tags
             and not dynamic)  # fmt: skip
    if key in DATASET_TYPES and plain:  # the legacy importers, with their own kwargs
        return DATASET_TYPES[key](dataset_dir, name=name, overwrite=overwrite, **kwargs)
    if key in LOSSLESS:
        if label_field is not None or data_path is not None or labels_path is not None:
            raise MediaError(f"{key} holds every field as it was: label_field, data_path "
                             "and labels_path do not apply")  # fmt: skip
        dataset = LOSSLESS[key](dataset_dir, name=name, overwrite=overwrite, **kwargs)
        if tags:
            dataset.tag_samples(tags)
        if dynamic:
            dataset.add_dynamic_sample_fields()
        return dataset
    parsed = parse_dir(dataset_dir, key, data_path, labels_path, label_field, tags, **kwargs)
    return _build(name, parsed.samples, overwrite, parsed=parsed, dynamic=dynamic)


def add_dir(dataset: Dataset, dataset_dir: str | None = None, dataset_type: Any = None,
            data_path: str | None = None, labels_path: str | None = None,
            label_field: str | None = None, tags: list[str] | None = None,
            dynamic: bool = False, **kwargs: Any) -> list[str]:  # fmt: skip
    """Add the samples of a folder to ``dataset``; see ``Dataset.add_dir``.

    All or nothing, like ``add_samples``. Classes the dataset lacks are added.
    """
    parsed = parse_dir(dataset_dir, dataset_type, data_path, labels_path, label_field, tags,
                       **kwargs)  # fmt: skip
    ids = dataset.add_samples(parsed.samples, dynamic=dynamic)
    _add_classes(dataset, parsed)
    dataset.save()
    return ids


def merge_dir(dataset: Dataset, dataset_dir: str | None = None, dataset_type: Any = None,
              data_path: str | None = None, labels_path: str | None = None,
              label_field: str | None = None, tags: list[str] | None = None,
              insert_new: bool = True, dynamic: bool = False,
              **kwargs: Any) -> None:  # fmt: skip
    """Merge the samples of a folder into ``dataset`` by filepath; see ``Dataset.merge_dir``.

    A sample whose filepath is already there gets the imported fields (tags are
    added to its own); the others are added unless ``insert_new`` is False.
    Running it twice gives the same dataset as running it once.
    """
    parsed = parse_dir(dataset_dir, dataset_type, data_path, labels_path, label_field, tags,
                       **kwargs)  # fmt: skip
    ids_by_path = dict(zip(dataset.values("filepath"), dataset.values("id"), strict=True))
    new, updates = [], {}
    for sample in parsed.samples:
        sid = ids_by_path.get(sample.filepath)
        if sid is None:
            new.append(sample)
            continue
        for name, value in sample.to_dict().items():
            if name in ("id", "filepath", "created_at", "last_modified_at"):
                continue
            if name == "metadata" and value is None:
                continue
            updates.setdefault(name, {})[sid] = value
    new_tags = updates.pop("tags", {})
    for name, values in updates.items():
        dataset.set_values(name, {sid: _object(v) for sid, v in values.items()},
                           dynamic=dynamic)  # fmt: skip
    if new_tags:
        old = dict(zip(dataset.values("id"), dataset.values("tags"), strict=True))
        merged = {sid: sorted(set(old.get(sid) or []) | set(t)) for sid, t in new_tags.items()}
        dataset.set_values("tags", merged)
    if new and insert_new:
        dataset.add_samples(new, dynamic=dynamic)
    _add_classes(dataset, parsed)
    dataset.save()


def _object(value: Any) -> Any:
    from .labels import label_from_dict

    return label_from_dict(value) if isinstance(value, dict) and "_cls" in value else value


def _add_classes(dataset: Dataset, parsed: Parsed) -> None:
    """Classes the dataset lacks are added (not yet saved)."""
    dataset._import_classes(parsed.label_field, parsed.classes)
    for field, classes in (parsed.field_classes or {}).items():
        dataset._import_classes(field, classes)
