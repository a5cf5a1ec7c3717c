"""The shape VOC, KITTI and YOLO share: one labels file per image, named by the
image's key (its exported path, or its path relative to ``rel_dir``, without
extension), in a labels folder beside an optional media folder.

:class:`PerImageExporter` walks the collection once, exports the media and
hands each image's objects to the format's :meth:`~PerImageExporter.render`;
:func:`parse_per_image` pairs labels files with images for the importers.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ExportError
from ..exporters import Exporter, ExportReport, Layout, UniqueNames, pick_label_field, write_media
from ..importers import Parsed
from ..labels import Detections
from ..sample import Sample
from .boxes import image_size, label_file_key, list_label_files, objects_of
from .paths import ImageIndex, report_missing, sample_key, write_text_atomically

if TYPE_CHECKING:
    from ..collection import SampleCollection

DETECTION_TYPES = ("Detections", "Detection")


class PerImageExporter(Exporter):
    """Base of the one-file-per-image formats.

    Subclasses set :attr:`ext`, :attr:`needs_size` and implement :meth:`render`;
    :attr:`classes` (see :meth:`pick_classes`) is known before the first
    :meth:`render`.
    """

    kind = "labels-dir"
    labels_name = "labels"
    #: the labels files' extension
    ext = ".txt"
    #: whether :meth:`render` needs the image size (pixel formats)
    needs_size = True
    #: whether an image whose label is None still gets a (empty) file
    write_unlabeled = False
    #: the label types the format writes
    label_types: tuple[str, ...] = DETECTION_TYPES

    def __init__(self, collection: SampleCollection, label_field: str | None, mode: str,
                 rel_dir: str | None = None, **options: Any) -> None:  # fmt: skip
        super().__init__(collection, label_field, mode, rel_dir, **options)
        fmt = type(self).__name__.replace("Exporter", "")
        self.label_field = pick_label_field(collection, label_field, self.label_types, fmt)
        self.classes: list[str] = []

    def render(self, objects: list[dict[str, Any]], image: dict[str, Any]) -> str:
        """The labels file of one image.

        Args:
            objects: the image's stored detection dicts.
            image: ``filepath``, ``exported`` (path in the media folder or None),
                ``exported_path`` (absolute, or None), ``channels`` (when known),
                ``width`` and ``height`` (when :attr:`needs_size`).
        """
        raise NotImplementedError

    def pick_classes(self, seen: list[str]) -> list[str]:
        """The class list: the ``classes`` option, the field's (else default) classes, or the
        sorted labels seen."""
        own = self.collection._dataset._field_classes(self.label_field)
        return list(self.opts.get("classes") or own or seen)

    def finish(self, layout: Layout, exported: list[str]) -> None:
        """Write the format's side files (class names, listings); ``exported``
        are the media written, relative to the media folder."""

    def write(self, layout: Layout) -> ExportReport:
        names = UniqueNames(self.rel_dir, dedupe=True)
        jobs: dict[str, str] = {}
        files: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
        owners: dict[str, str] = {}
        exported_list: list[str] = []
        count = 0
        project = {"$project": {"filepath": 1, "metadata": 1, "label": f"${self.label_field}"}}
        for doc in self.collection._aggregate([project]):
            count += 1
            path = doc["filepath"]
            exported = None
            if layout.data_dir is not None:
                exported = names.assign("", path)
                if path not in jobs:
                    exported_list.append(exported)
                jobs[path] = os.path.join(layout.data_dir, exported)
            key = sample_key(path, exported, self.rel_dir, abs_paths=False)
            if owners.setdefault(key.lower(), path) != path:
                raise ExportError(
                    f"{self.name}: {owners[key.lower()]!r} and {path!r} would share the labels "
                    f"file {key + self.ext!r}; pass rel_dir= (keeps subfolders) or rename "
                    "one of them"
                )
            objects = objects_of(doc.get("label"))
            if objects is None and not self.write_unlabeled:
                continue
            if key in files:  # an image of several samples: one file with all their objects
                files[key][1].extend(objects or [])
                continue
            image = {"filepath": path, "exported": exported,
                     "exported_path": jobs[path] if exported else None,
                     "channels": (doc.get("metadata") or {}).get("num_channels")}  # fmt: skip
            if self.needs_size:
                image["width"], image["height"] = image_size(doc, self.name)
            files[key] = (image, list(objects or []))
        seen = sorted({o.get("label") for _, objs in files.values() for o in objs} - {None})
        self.classes = self.pick_classes(seen)
        assert layout.labels_path is not None
        for key, (image, objects) in files.items():
            target = os.path.join(layout.labels_path, *key.split("/")) + self.ext
            os.makedirs(os.path.dirname(target), exist_ok=True)
            write_text_atomically(target, self.render(objects, image))
        written = write_media(list(jobs.items()), self.mode)
        self.finish(layout, exported_list)
        root = layout.root or layout.labels_path
        return ExportReport(root, self.name, count, written, tuple(names.renamed))


def parse_per_image(labels_dir: str | None, data_dir: str | None, ext: str,
                    read: Callable[[str, str | None], tuple[Detections, str | None]],
                    label_field: str | None, include_all_data: bool,
                    source: str) -> Parsed:  # fmt: skip
    """Samples from a folder of labels files and a folder of images.

    Args:
        labels_dir: the labels folder.
        data_dir: the images folder (a labels file's key names its image there).
        ext: the labels files' extension.
        read: ``(labels file, image path or None) -> (Detections, image path)``;
            it may find the image itself (VOC's ``<path>``) when the key does not.
        label_field: the field the labels go to (default ``ground_truth``).
        include_all_data: also add the images that have no labels file.
        source: the format's name, for messages.
    """
    index = ImageIndex(data_dir)
    field = label_field or "ground_truth"
    samples, missing, seen = [], [], set()
    for file in list_label_files(labels_dir, ext):
        assert labels_dir is not None
        image = index.find(label_file_key(labels_dir, file))
        detections, image = read(file, image)
        if image is None:
            missing.append(os.path.relpath(file, labels_dir))
            continue
        seen.add(os.path.abspath(image))
        samples.append(Sample(image, **{field: detections}))
    if include_all_data:
        samples.extend(Sample(p) for p in index.paths if os.path.abspath(p) not in seen)
    report_missing(missing, labels_dir or source, data_dir)
    return Parsed(samples)
