"""Writing a dataset or view to a folder: image trees, flat image folders, manifests.

Formats (:data:`EXPORT_TYPES`):

- ``image-classification-dir-tree``: ``<dir>/<label>/<image>``, one folder per
  class of a ``Classification`` field; samples without a label go to
  ``<dir>/_unlabeled/`` (the importer reads that folder back as "no label").
- ``images-dir``: every image, flat, in ``<dir>/``; with the ``label_field``
  of Detections, the object patches instead (:mod:`.formats.patch_images`),
  which the classification tree also writes, one folder per object label.
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

    def __init__(self, rel_dir: str | None = None, dedupe: bool = False) -> None:
        self._taken: set[str] = set()
        self.renamed: list[tuple[str, str]] = []
        self.rel_dir = None if rel_dir is None else os.path.abspath(os.path.expanduser(rel_dir))
        #: one source file, one exported file: a path shared by two samples is written once
        self._seen: dict[tuple[str, str], str] | None = {} if dedupe else None

    def assign(self, folder: str, filepath: str) -> str:
        """The export-relative path (``/`` separated) for ``filepath`` in ``folder``.

        With ``rel_dir``, a file under it keeps its path relative to it
        (``<folder>/<sub>/<name>``), as FiftyOne's ``rel_dir`` does.
        """
        if self._seen is not None and (folder, filepath) in self._seen:
            return self._seen[(folder, filepath)]
        base = os.path.basename(filepath)
        if self.rel_dir is not None:
            rel = os.path.relpath(filepath, self.rel_dir)
            if not rel.startswith(".."):
                base = rel.replace(os.sep, "/")
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
        if self._seen is not None:
            self._seen[(folder, filepath)] = rel
        return rel


def media_mode(export_media: Any) -> str:
    """``"copy"``, ``"symlink"`` or ``"none"`` for an ``export_media`` argument.

    Raises:
        ExportError: any other value; ``"move"`` is refused: an export never
            moves the user's files.
    """
    modes = {True: "copy", "copy": "copy", "symlink": "symlink", False: "none", "none": "none"}
    if isinstance(export_media, (bool, str)) and export_media in modes:
        return modes[export_media]
    if export_media == "move":
        raise ExportError(
            "export_media='move' is refused: an export never moves your images out of "
            "your dataset; use True (copy) or 'symlink', then delete the originals yourself"
        )
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


@dataclass(frozen=True)
class Layout:
    """Where an export writes.

    Attributes:
        root: the export directory, or None for a labels-only export.
        data_dir: the folder of the exported media, or None when none are written.
        labels_path: the labels file (formats that have one).
    """

    root: str | None
    data_dir: str | None
    labels_path: str | None = None


class Exporter:
    """One export format: the constructor validates, :meth:`write` writes.

    Args:
        collection: the dataset or view to export.
        label_field: the label field, for formats that have one.
        mode: ``"copy"``, ``"symlink"`` or ``"none"`` (see :func:`media_mode`).
        rel_dir: exported media keep their path relative to this folder.
        **options: the format's own options (:attr:`options` lists them).

    Raises:
        ExportError: arguments the format cannot honour.
    """

    name = ""
    #: "media": the images are the export (one folder); "labels": a labels file
    #: with optional media in ``data/``; "labels-dir": a folder of labels files
    #: (one per image) with optional media; "dir": a whole directory (manifest)
    kind = "media"
    #: the labels file's (or folder's) name under the export directory
    labels_name = ""
    #: the media folder's name under the export directory (kinds "labels*")
    data_name = "data"
    #: kind "labels": the labels are a folder of files (``labels_name`` is that folder)
    labels_is_dir = False
    #: format-specific keyword arguments and their defaults
    options: dict[str, Any] = {}

    def __init__(self, collection: SampleCollection, label_field: str | None, mode: str,
                 rel_dir: str | None = None, **options: Any) -> None:  # fmt: skip
        self.collection = collection
        self.label_field = label_field
        self.mode = mode
        self.rel_dir = rel_dir
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            raise ExportError(
                f"{self.name} does not take {unknown}; its options: {sorted(self.options)}"
            )
        self.opts = {**self.options, **options}

    def write(self, layout: Layout) -> ExportReport:
        """Write the export into the (prepared) ``layout``."""
        raise NotImplementedError

    def adds_to(self, root: str) -> bool:
        """Whether this export only adds to an existing export of its format in
        ``root`` (a new split), so a non-empty ``root`` is not refused."""
        return False

    def _media_only(self) -> None:
        if self.mode == "none":
            raise ExportError(
                f"{self.name} is made of the images themselves; pass export_media=True "
                "or 'symlink', or use dataset_type='manifest' to keep the original files"
            )


def label_fields_of(collection: SampleCollection, document_types: tuple[str, ...]) -> list[str]:
    """The top-level fields of ``collection`` holding one of ``document_types``, in schema order."""
    schema = collection._dataset._schema
    return [k for k, f in schema.items() if f.document_type in document_types]


def pick_label_field(collection: SampleCollection, label_field: str | None,
                     document_types: tuple[str, ...], fmt: str) -> str:  # fmt: skip
    """``label_field`` checked, or the first field of a fitting type (as FiftyOne picks).

    Raises:
        ExportError: no such field, or one of another type.
    """
    schema = collection._dataset._schema
    found = label_fields_of(collection, document_types)
    if label_field is None and found:
        return found[0]
    field = schema.get(label_field) if label_field is not None else None
    if field is None or field.document_type not in document_types:
        what = "no label_field given" if label_field is None else f"{label_field!r} is {field}"
        kinds = "/".join(document_types)
        raise ExportError(
            f"{fmt} needs a {kinds} field ({what}); {kinds} fields "
            f"of dataset {collection._dataset.name!r}: {found}"
        )
    return label_field


class ClassificationDirTreeExporter(Exporter):
    """``<root>/<label>/<image>``; samples without a label go to ``_unlabeled/``.

    ``label_field`` defaults to the first Classification field. An image of
    two samples is written once per sample (its folder is its label).
    """

    name = "image-classification-dir-tree"

    def __init__(self, collection: SampleCollection, label_field: str | None, mode: str,
                 rel_dir: str | None = None, **options: Any) -> None:  # fmt: skip
        super().__init__(collection, label_field, mode, rel_dir, **options)
        self._media_only()
        from .formats.patch_images import patch_field

        self.patches = patch_field(collection, label_field)
        if not self.patches:
            self.label_field = pick_label_field(collection, label_field, ("Classification",),
                                                self.name)  # fmt: skip

    def write(self, layout: Layout) -> ExportReport:
        root = layout.data_dir or ""
        names, jobs = UniqueNames(self.rel_dir), []
        if self.patches:  # one image per object, in the folder of its label
            from .formats.patch_images import write_patches

            assert self.label_field is not None
            by_label = lambda obj, sid: _label_folder(obj.get("label"), sid)  # noqa: E731
            count = write_patches(self.collection, self.label_field, root, names, by_label)
            return ExportReport(root, self.name, count, count, tuple(names.renamed))
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
    """Every image, flat, in ``<root>/``; an image of several samples is written once."""

    name = "images-dir"

    def __init__(self, collection: SampleCollection, label_field: str | None, mode: str,
                 rel_dir: str | None = None, **options: Any) -> None:  # fmt: skip
        super().__init__(collection, label_field, mode, rel_dir, **options)
        self._media_only()
        from .formats.patch_images import PATCH_TYPES, patch_field

        if label_field is not None and not patch_field(collection, label_field):
            raise ExportError(
                f"{self.name} exports images only and has no place for labels; with a "
                f"label_field it exports the object patches of a {'/'.join(PATCH_TYPES)} "
                f"field, and {label_field!r} is not one. Drop label_field, or use "
                "'image-classification-dir-tree' or 'manifest'"
            )

    def write(self, layout: Layout) -> ExportReport:
        root = layout.data_dir or ""
        names, jobs, count = UniqueNames(self.rel_dir, dedupe=True), {}, 0
        if self.label_field is not None:  # the object patches, one image each
            from .formats.patch_images import write_patches

            count = write_patches(self.collection, self.label_field, root, names,
                                  lambda obj, sid: "")  # fmt: skip
            return ExportReport(root, self.name, count, count, tuple(names.renamed))
        for doc in self.collection._aggregate([{"$project": {"filepath": 1}}]):
            count += 1
            jobs[doc["filepath"]] = os.path.join(root, names.assign("", doc["filepath"]))
        written = write_media(list(jobs.items()), self.mode)
        return ExportReport(root, self.name, count, written, tuple(names.renamed))


class ManifestExporter(Exporter):
    """Every field of every sample, losslessly; see :mod:`dataset_core.manifest`."""

    name = "manifest"
    kind = "dir"

    def __init__(self, collection: SampleCollection, label_field: str | None, mode: str,
                 rel_dir: str | None = None, **options: Any) -> None:  # fmt: skip
        super().__init__(collection, label_field, mode, rel_dir, **options)
        if label_field is not None:
            raise ExportError(
                "A manifest holds every field, so label_field does not apply; drop it, or "
                "use dataset_type='image-classification-dir-tree'"
            )

    def write(self, layout: Layout) -> ExportReport:
        from .manifest import write_manifest

        assert layout.root is not None  # kind "dir": export_collection requires it
        return write_manifest(self.collection, layout.root, self.mode, self.rel_dir)


#: dataset_type -> exporter class; :mod:`dataset_core.formats` registers the rest
EXPORT_TYPES: dict[str, type[Exporter]] = {
    "image-classification-dir-tree": ClassificationDirTreeExporter,
    "classification-dir-tree": ClassificationDirTreeExporter,
    "images-dir": ImagesDirExporter,
    "images": ImagesDirExporter,
    "manifest": ManifestExporter,
}


def _layout(exporter: Exporter, export_dir: Any, data_path: Any, labels_path: Any,
            overwrite: bool) -> Layout:  # fmt: skip
    """Resolve FiftyOne's ``export_dir``/``data_path``/``labels_path`` and prepare them."""

    def absolute(path: Any, base: str | None) -> str | None:
        if path is None:
            return None
        path = os.path.expanduser(os.fspath(path))
        return os.path.abspath(os.path.join(base, path) if base else path)

    root = absolute(export_dir, None)
    name = exporter.name
    if exporter.kind == "media":
        folder = root or absolute(data_path, None)
        if folder is None:
            raise ExportError(f"{name} needs export_dir (the folder the images go to)")
        return Layout(root, prepare_dir(folder, overwrite))
    if exporter.kind == "dir":
        if root is None:
            raise ExportError(f"{name} needs export_dir (a directory for the whole export)")
        return Layout(prepare_dir(root, overwrite), None)
    labels = absolute(labels_path if labels_path is not None else exporter.labels_name, root)
    if root is None and labels_path is None:
        raise ExportError(f"{name} needs export_dir, or labels_path for a labels-only export")
    data = None
    if exporter.mode != "none":
        data = absolute(data_path if data_path is not None else exporter.data_name, root)
        if root is None and data_path is None:
            raise ExportError(
                f"{name}: exporting media needs export_dir or data_path; pass "
                "export_media=False for labels only"
            )
    if root is not None:
        prepare_dir(root, overwrite or exporter.adds_to(root))
    assert labels is not None
    if exporter.kind == "labels-dir":
        if os.path.isfile(labels):
            raise ExportError(f"labels_path {labels!r} is a file; {name} writes a folder of "
                              "labels files, pass a directory path")  # fmt: skip
        prepare_dir(labels, overwrite or labels == data)  # labels beside the images: YOLOv4
        if data is not None:
            os.makedirs(data, exist_ok=True)
        return Layout(root, data, labels)
    if exporter.labels_is_dir:
        prepare_dir(labels, overwrite)
    elif os.path.exists(labels) and not overwrite:
        raise ExportError(
            f"Labels file {labels!r} exists; pass overwrite=True to replace it, or choose "
            "another labels_path"
        )
    if os.path.isdir(labels) and not exporter.labels_is_dir:
        raise ExportError(f"labels_path {labels!r} is a directory; pass a file path")
    os.makedirs(os.path.dirname(labels), exist_ok=True)
    if data is not None and os.path.abspath(data) != root:
        os.makedirs(data, exist_ok=True)
    return Layout(root, data, labels)


def export_collection(
    collection: SampleCollection,
    export_dir: str | os.PathLike[str] | None = None,
    dataset_type: Any = None,
    data_path: str | os.PathLike[str] | None = None,
    labels_path: str | os.PathLike[str] | None = None,
    export_media: bool | str | None = None,
    rel_dir: str | None = None,
    label_field: str | None = None,
    overwrite: bool = False,
    **kwargs: Any,
) -> ExportReport:
    """Export ``collection``; see ``SampleCollection.export``.

    Every argument is checked before anything is written.
    """
    from . import formats  # registers the formats of dataset_core.formats
    from .types import format_key

    formats.register()
    if dataset_type is None:
        dataset_type = "image-classification-dir-tree" if label_field else "manifest"
    cls = EXPORT_TYPES[format_key(dataset_type, EXPORT_TYPES)]
    if export_media is None:
        export_media = export_dir is not None or (cls.kind == "media" and data_path is not None)
    exporter = cls(collection, label_field, media_mode(export_media), rel_dir, **kwargs)
    return exporter.write(_layout(exporter, export_dir, data_path, labels_path, overwrite))
