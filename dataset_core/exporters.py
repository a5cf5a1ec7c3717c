"""Writing a dataset or view to a folder: image trees, flat image folders, manifests.

Formats (:data:`EXPORT_TYPES`):

- ``image-classification-dir-tree``: ``<dir>/<label>/<image>``, one folder per
  class of a ``Classification`` field; samples without a label go to
  ``<dir>/_unlabeled/`` (the importer reads that folder back as "no label").
- ``images-dir``: every image, flat, in ``<dir>/``.
- ``manifest``: every field of every sample, losslessly; see :mod:`.manifest`.

Media are copied with ``shutil.copy2`` (``export_media=True``), symlinked
(``"symlink"``) or, for the manifest only, left where they are (``False``). Two
files with the same name bound for the same folder never overwrite each other:
the later one is renamed ``<stem>-1<ext>``, ``<stem>-2<ext>``... An existing,
non-empty export directory is refused unless ``overwrite=True``, which writes
into it without deleting anything it does not write.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ExportError, MediaError

if TYPE_CHECKING:
    from .collection import SampleCollection

#: folder of samples without a label in a classification tree (as in FiftyOne)
UNLABELED_DIR = "_unlabeled"
#: copying is I/O bound: more threads than cores keep the disk queue full
COPY_WORKERS = min(32, 4 * (os.cpu_count() or 1))
#: how many failed files an error message names
SHOWN = 5


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote.

    Attributes:
        export_dir: the absolute export directory.
        dataset_type: the format written.
        num_samples: samples exported.
        num_media: media files copied or linked.
        renamed: ``(source filepath, exported name)`` of files renamed to avoid
            a collision.
    """

    export_dir: str
    dataset_type: str
    num_samples: int
    num_media: int
    renamed: tuple[tuple[str, str], ...] = ()


class UniqueNames:
    """Assigns each exported file a name no other file of the export has.

    Names compare case-insensitively, so an export stays collision-free when
    copied to a case-insensitive filesystem.

    Example:
        >>> names = UniqueNames()
        >>> names.assign("cat", "/a/0.jpg"), names.assign("cat", "/b/0.jpg")
        ('cat/0.jpg', 'cat/0-1.jpg')
    """

    def __init__(self) -> None:
        self._taken: set[str] = set()
        self.renamed: list[tuple[str, str]] = []

    def assign(self, folder: str, filepath: str) -> str:
        """The export-relative path (``/`` separated) for ``filepath`` in ``folder``."""
        base = os.path.basename(filepath)
        stem, ext = os.path.splitext(base)
        prefix = f"{folder}/" if folder else ""
        name, k = base, 0
        while (prefix + name).lower() in self._taken:
            k += 1
            name = f"{stem}-{k}{ext}"
        rel = prefix + name
        self._taken.add(rel.lower())
        if k:
            self.renamed.append((filepath, rel))
        return rel


def media_mode(export_media: Any) -> str:
    """``"copy"``, ``"symlink"`` or ``"none"`` for an ``export_media`` argument.

    Raises:
        ExportError: any other value.
    """
    modes = {True: "copy", "copy": "copy", "symlink": "symlink", False: "none", "none": "none"}
    if isinstance(export_media, (bool, str)) and export_media in modes:
        return modes[export_media]
    raise ExportError(
        f"export_media={export_media!r} is not valid; use True (copy), 'symlink', or "
        "False (manifest only: keep the original filepaths)"
    )


def prepare_dir(export_dir: str | os.PathLike[str], overwrite: bool) -> str:
    """Create ``export_dir`` if needed; return it absolute.

    Raises:
        ExportError: it is a file, or a non-empty directory and ``overwrite`` is False.
    """
    root = os.path.abspath(os.path.expanduser(os.fspath(export_dir)))
    if os.path.isfile(root):
        raise ExportError(f"Export directory {root!r} is a file; pass a directory path")
    if os.path.isdir(root) and not overwrite:
        entries = sorted(os.listdir(root))
        if entries:
            raise ExportError(
                f"Export directory {root!r} exists and is not empty ({len(entries)} entries, "
                f"e.g. {entries[:3]}); choose a new or empty directory, or pass "
                "overwrite=True to write into it (files it does not write are kept)"
            )
    os.makedirs(root, exist_ok=True)
    return root


def write_media(jobs: list[tuple[str, str]], mode: str) -> int:
    """Copy or link each ``(source, destination)`` pair in a thread pool.

    Returns:
        How many files were written.

    Raises:
        MediaError: some sources are missing or unreadable (the others are written).
    """
    if mode == "none" or not jobs:
        return 0
    link = mode == "symlink"
    for folder in {os.path.dirname(dst) for _, dst in jobs}:
        os.makedirs(folder, exist_ok=True)

    def one(job: tuple[str, str]) -> str | None:
        src, dst = job
        try:
            _place(src, dst, link)
        except OSError as e:
            return f"{src} ({e.strerror or e})"
        return None

    with ThreadPoolExecutor(max_workers=COPY_WORKERS) as pool:
        failed = [f for f in pool.map(one, jobs) if f is not None]
    if failed:
        raise MediaError(
            f"{len(failed)} of {len(jobs)} media files could not be exported, e.g. "
            f"{failed[:SHOWN]}; fix or delete those samples and export again with "
            "overwrite=True"
        )
    return len(jobs)


def _place(src: str, dst: str, link: bool) -> None:
    if os.path.islink(dst):
        os.unlink(dst)  # a link we wrote before; never the file it points to
    elif os.path.exists(dst):
        if os.path.samefile(src, dst):
            return  # exporting a file onto itself: it is already there
        if link:
            os.unlink(dst)
    if link:
        if not os.path.exists(src):
            raise FileNotFoundError(2, "No such file or directory", src)
        os.symlink(os.path.abspath(src), dst)
    else:
        shutil.copy2(src, dst)


# -- the formats -----------------------------------------------------------------


class Exporter:
    """One export format: the constructor validates, :meth:`write` writes.

    Args:
        collection: the dataset or view to export.
        label_field: the label field, for formats that have one.
        mode: ``"copy"``, ``"symlink"`` or ``"none"`` (see :func:`media_mode`).

    Raises:
        ExportError: arguments the format cannot honour.
    """

    name = ""

    def __init__(self, collection: SampleCollection, label_field: str | None, mode: str) -> None:
        self.collection = collection
        self.label_field = label_field
        self.mode = mode

    def write(self, root: str) -> ExportReport:
        """Write the export into the (prepared) directory ``root``."""
        raise NotImplementedError

    def _media_only(self) -> None:
        if self.mode == "none":
            raise ExportError(
                f"{self.name} is made of the images themselves; pass export_media=True "
                "or 'symlink', or use dataset_type='manifest' to keep the original files"
            )


class ClassificationDirTreeExporter(Exporter):
    """``<root>/<label>/<image>``; samples without a label go to ``_unlabeled/``.

    ``label_field`` may be omitted when the dataset has exactly one
    Classification field.
    """

    name = "image-classification-dir-tree"

    def __init__(self, collection: SampleCollection, label_field: str | None, mode: str) -> None:
        super().__init__(collection, label_field, mode)
        self._media_only()
        schema = collection._dataset._schema
        found = [k for k, f in schema.items() if f.document_type == "Classification"]
        if label_field is None and len(found) == 1:
            label_field = found[0]
        field = schema.get(label_field) if label_field is not None else None
        if field is None or field.document_type != "Classification":
            what = "no label_field given" if label_field is None else f"{label_field!r} is {field}"
            raise ExportError(
                f"{self.name} needs a Classification field ({what}); Classification fields "
                f"of dataset {collection._dataset.name!r}: {found}"
            )
        self.label_field = label_field

    def write(self, root: str) -> ExportReport:
        names, jobs = UniqueNames(), []
        project = {"$project": {"filepath": 1, "label": f"${self.label_field}.label"}}
        for doc in self.collection._aggregate([project]):
            folder = _label_folder(doc.get("label"), doc["_id"])
            rel = names.assign(folder, doc["filepath"])
            jobs.append((doc["filepath"], os.path.join(root, rel)))
        written = write_media(jobs, self.mode)
        return ExportReport(root, self.name, len(jobs), written, tuple(names.renamed))


def _label_folder(label: Any, sample_id: Any) -> str:
    if label is None:
        return UNLABELED_DIR
    bad = (
        not isinstance(label, str)
        or label in ("", ".", "..", UNLABELED_DIR)
        or label.startswith(".")
        or any(c in label for c in ("/", "\\", "\0", os.sep))
    )
    if bad:
        raise ExportError(
            f"Label {label!r} of sample {sample_id} cannot be a folder name; labels must "
            "be non-empty strings without '/', '\\' or a leading '.', and not "
            f"{UNLABELED_DIR!r}. Rename the label, or export with dataset_type='manifest'"
        )
    return label


class ImagesDirExporter(Exporter):
    """Every image, flat, in ``<root>/``."""

    name = "images-dir"

    def __init__(self, collection: SampleCollection, label_field: str | None, mode: str) -> None:
        super().__init__(collection, label_field, mode)
        self._media_only()
        if label_field is not None:
            raise ExportError(
                f"{self.name} exports images only and has no place for labels; drop "
                "label_field, or use 'image-classification-dir-tree' or 'manifest'"
            )

    def write(self, root: str) -> ExportReport:
        names, jobs = UniqueNames(), []
        for doc in self.collection._aggregate([{"$project": {"filepath": 1}}]):
            jobs.append((doc["filepath"], os.path.join(root, names.assign("", doc["filepath"]))))
        written = write_media(jobs, self.mode)
        return ExportReport(root, self.name, len(jobs), written, tuple(names.renamed))


class ManifestExporter(Exporter):
    """Every field of every sample, losslessly; see :mod:`dataset_core.manifest`."""

    name = "manifest"

    def __init__(self, collection: SampleCollection, label_field: str | None, mode: str) -> None:
        super().__init__(collection, label_field, mode)
        if label_field is not None:
            raise ExportError(
                "A manifest holds every field, so label_field does not apply; drop it, or "
                "use dataset_type='image-classification-dir-tree'"
            )

    def write(self, root: str) -> ExportReport:
        from .manifest import write_manifest

        return write_manifest(self.collection, root, self.mode)


#: dataset_type -> exporter class
EXPORT_TYPES: dict[str, type[Exporter]] = {
    "image-classification-dir-tree": ClassificationDirTreeExporter,
    "classification-dir-tree": ClassificationDirTreeExporter,
    "images-dir": ImagesDirExporter,
    "images": ImagesDirExporter,
    "manifest": ManifestExporter,
}


def export_collection(
    collection: SampleCollection,
    export_dir: str | os.PathLike[str],
    dataset_type: str | None = None,
    label_field: str | None = None,
    export_media: bool | str = True,
    overwrite: bool = False,
) -> ExportReport:
    """Export ``collection`` to ``export_dir``; see ``SampleCollection.export``.

    Every argument is checked before anything is written.
    """
    if dataset_type is None:
        dataset_type = "image-classification-dir-tree" if label_field else "manifest"
    cls = EXPORT_TYPES.get(dataset_type) if isinstance(dataset_type, str) else None
    if cls is None:
        raise ExportError(
            f"Unknown dataset_type {dataset_type!r}; use one of {sorted(EXPORT_TYPES)}"
        )
    exporter = cls(collection, label_field, media_mode(export_media))
    return exporter.write(prepare_dir(export_dir, overwrite))
