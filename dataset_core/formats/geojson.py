"""``GeoJSONDataset``: ``data/`` and a ``labels.json`` GeoJSON FeatureCollection.

One feature per sample::

    {"type": "Feature",
     "geometry": {"type": "Point", "coordinates": [lon, lat]} or null,
     "properties": {"filename": "<name in data/>", ...}}

``properties`` name the image (``filename``, or ``filepath`` for a
labels-only export with ``abs_paths=True``) and hold whatever the export's
``property_makers`` (field -> function of the field's value) made. On
import, the geometry goes to ``location_field`` (default ``location``) as a
:class:`~dataset_core.geo.GeoLocation`; every other property becomes a field,
through ``property_parsers[name]`` when given.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ExportError, MediaError
from ..exporters import Exporter, ExportReport, Layout, UniqueNames, pick_label_field, write_media
from ..geo import from_geometry, to_geometry
from ..importers import Parsed
from ..labels import label_from_dict
from ..sample import Sample
from .paths import ImageIndex, read_json, report_missing, resolve, write_json_atomically

if TYPE_CHECKING:
    from ..collection import SampleCollection

LABELS_FILE = "labels.json"


def media_key(filepath: str, exported: str | None, rel_dir: str | None) -> str:
    """The name of an image in a labels file that keeps extensions: its exported
    path, else its path relative to ``rel_dir``, else its file name."""
    if exported is not None:
        return exported
    if rel_dir is not None:
        rel = os.path.relpath(filepath, os.path.abspath(os.path.expanduser(rel_dir)))
        if not rel.startswith(".."):
            return rel.replace(os.sep, "/")
    return os.path.basename(filepath)


class GeoJSONExporter(Exporter):
    """A GeoJSON FeatureCollection of the samples' locations; see the module docstring."""

    name = "geojson"
    kind = "labels"
    labels_name = LABELS_FILE
    options = {"property_makers": None, "abs_paths": False, "omit_none_fields": True}

    def __init__(self, collection: SampleCollection, label_field: str | None, mode: str,
                 rel_dir: str | None = None, **options: Any) -> None:  # fmt: skip
        super().__init__(collection, label_field, mode, rel_dir, **options)
        self.label_field = pick_label_field(collection, label_field, ("GeoLocation",),
                                            "GeoJSONDataset")  # fmt: skip
        makers = self.opts["property_makers"] or {}
        if not isinstance(makers, dict) or not all(callable(f) for f in makers.values()):
            raise ExportError(
                "property_makers must be a dict of field name -> function(value); "
                f"got {makers!r:.80}"
            )
        schema = collection._dataset._schema
        missing = sorted(set(makers) - set(schema))
        if missing:
            raise ExportError(f"property_makers name unknown fields {missing}; "
                              f"fields: {list(schema)}")  # fmt: skip
        self.makers: dict[str, Callable[[Any], Any]] = makers

    def write(self, layout: Layout) -> ExportReport:
        names = UniqueNames(self.rel_dir, dedupe=True)
        jobs: dict[str, str] = {}
        features = []
        fields = {"filepath": 1, self.label_field: 1, **dict.fromkeys(self.makers, 1)}
        for doc in self.collection._aggregate([{"$project": fields}]):
            exported = None
            if layout.data_dir is not None:
                exported = names.assign("", doc["filepath"])
                jobs[doc["filepath"]] = os.path.join(layout.data_dir, exported)
            if self.opts["abs_paths"] and exported is None:
                properties: dict[str, Any] = {"filepath": doc["filepath"]}
            else:
                properties = {"filename": media_key(doc["filepath"], exported, self.rel_dir)}
            for field, make in self.makers.items():
                value = make(_object(doc.get(field)))
                if value is not None or not self.opts["omit_none_fields"]:
                    properties[field] = value
            geometry = to_geometry(doc.get(self.label_field))
            features.append({"type": "Feature", "geometry": geometry, "properties": properties})
        written = write_media(list(jobs.items()), self.mode)
        assert layout.labels_path is not None
        write_json_atomically(layout.labels_path,
                              {"type": "FeatureCollection", "features": features})  # fmt: skip
        root = layout.root or os.path.dirname(layout.labels_path)
        return ExportReport(root, self.name, len(features), written, tuple(names.renamed))


def _object(value: Any) -> Any:
    return label_from_dict(value) if isinstance(value, dict) and "_cls" in value else value


def parse_geojson(dataset_dir: str | None, data_path: str | None, labels_path: str | None,
                  label_field: str | None, location_field: str | None = None,
                  property_parsers: dict[str, Callable[[Any], Any]] | None = None,
                  include_all_data: bool = False) -> Parsed:  # fmt: skip
    """The samples of a GeoJSONDataset; see the module docstring.

    Args:
        location_field: the field the geometry goes to (``label_field`` is a
            synonym; default ``location``).
        property_parsers: property name -> function turning its value into
            the field's value (e.g. a label).
        include_all_data: also add the images of ``data/`` no feature names.

    Raises:
        MediaError: no such file, or not a FeatureCollection.
    """
    labels_file = resolve(dataset_dir, labels_path, LABELS_FILE)
    content = read_json(labels_file, "GeoJSON file")
    if not isinstance(content, dict) or not isinstance(content.get("features"), list):
        raise MediaError(f"{labels_file!r} is not a GeoJSON FeatureCollection (no 'features')")
    assert labels_file is not None
    index = ImageIndex(resolve(dataset_dir, data_path, "data"))
    field = location_field or label_field or "location"
    parsers = property_parsers or {}
    samples, missing, seen = [], [], set()
    for feature in content["features"]:
        properties = dict(feature.get("properties") or {})
        key = properties.pop("filepath", None) or properties.pop("filename", None)
        properties.pop("filename", None)
        path = index.find(key) if isinstance(key, str) else None
        if path is None:
            missing.append(key)
            continue
        seen.add(os.path.abspath(path))
        values = {k: parsers[k](v) if k in parsers else v for k, v in properties.items()}
        values[field] = from_geometry(feature.get("geometry"))
        samples.append(Sample(path, **values))
    if include_all_data:
        samples.extend(Sample(p) for p in index.paths if os.path.abspath(p) not in seen)
    report_missing([str(m) for m in missing], labels_file, index.data_dir)
    return Parsed(samples)


EXPORTERS = {GeoJSONExporter.name: GeoJSONExporter}
PARSERS = {GeoJSONExporter.name: parse_geojson}
