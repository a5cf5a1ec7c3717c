"""A whole dataset as one JSON-able dict: FiftyOne's ``Dataset.to_dict``,
``from_dict``, ``write_json`` and ``from_json``.

The dict holds the dataset's media type, info, class lists, mask targets,
field schema and every sample with its labels. Values MongoDB holds that JSON
lacks (ids, dates) are written in MongoDB's extended JSON (``{"$oid": ...}``,
``{"$date": ...}``) and read back as they were.
"""

from __future__ import annotations

import json
import os
from typing import Any

from bson import json_util

from .class_targets import STORED
from .errors import DatasetCoreError, MediaError

_JSON_OPTIONS = json_util.JSONOptions(json_mode=json_util.JSONMode.RELAXED)


def _to_json_safe(value: Any) -> Any:
    return json.loads(json_util.dumps(value, json_options=_JSON_OPTIONS))


def _from_json_safe(value: Any) -> Any:
    return json_util.loads(json.dumps(value))


def _rel(path: str, rel_dir: str | None) -> str:
    if rel_dir is None:
        return path
    root = os.path.abspath(os.path.expanduser(rel_dir))
    if os.path.isabs(path) and os.path.commonpath([root, path]) == root:
        return os.path.relpath(path, root)
    return path


def _abs(path: str, rel_dir: str | None) -> str:
    if rel_dir is None or os.path.isabs(path):
        return path
    return os.path.join(os.path.abspath(os.path.expanduser(rel_dir)), path)


class DatasetJSONMixin:
    """``to_dict``/``write_json`` of a Dataset and the ``from_dict``/``from_json``
    constructors."""

    def to_dict(self, rel_dir: str | None = None) -> dict[str, Any]:
        """The dataset as a JSON-able dict: ``name``, ``media_type``,
        ``num_samples``, ``sample_fields``, ``info``, ``classes``,
        ``default_classes``, ``mask_targets``, ``default_mask_targets`` and
        ``samples`` (each as :meth:`Sample.to_dict`).

        Args:
            rel_dir: filepaths under this folder are written relative to it.
        """
        samples = []
        for sample in self:  # type: ignore[attr-defined]
            d = sample.to_dict()
            d["filepath"] = _rel(d["filepath"], rel_dir)
            samples.append(_to_json_safe(d))
        schema = self._schema  # type: ignore[attr-defined]
        return {
            "name": self.name,  # type: ignore[attr-defined]
            "media_type": self.media_type,  # type: ignore[attr-defined]
            "num_samples": len(samples),
            "sample_fields": {k: f.to_dict() for k, f in schema.items()},
            "info": _to_json_safe(dict(self.info)),  # type: ignore[attr-defined]
            **self._class_targets_stored(),  # type: ignore[attr-defined]
            "samples": samples,
        }

    def write_json(self, json_path: str, rel_dir: str | None = None,
                   pretty_print: bool = False) -> None:  # fmt: skip
        """Write :meth:`to_dict` to ``json_path`` (folders created as needed)."""
        d = self.to_dict(rel_dir=rel_dir)
        os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
        with open(json_path, "w", encoding="utf-8") as f:
            json.dump(d, f, indent=4 if pretty_print else None)

    @classmethod
    def from_dict(cls, d: dict[str, Any], name: str | None = None,
                  rel_dir: str | None = None) -> Any:  # fmt: skip
        """A new dataset from a dict such as :meth:`to_dict` returns.

        Args:
            d: the dict.
            name: the new dataset's name (default: a new timestamp name, as
                FiftyOne, since ``d["name"]`` is usually taken).
            rel_dir: relative filepaths are taken relative to this folder.

        Raises:
            DatasetCoreError: ``d`` is not such a dict.
            FieldValueError: a bad class list, mask targets or sample.
        """
        from .dataset import staged_dataset
        from .fields import Field
        from .sample import Sample

        if not isinstance(d, dict) or not isinstance(d.get("samples", []), list):
            raise DatasetCoreError(
                f"Dataset.from_dict takes a dict as Dataset.to_dict returns; got {d!r:.80}"
            )
        samples = []
        for s in d.get("samples", []):
            s = _from_json_safe(s)
            if isinstance(s, dict) and isinstance(s.get("filepath"), str):
                s["filepath"] = _abs(s["filepath"], rel_dir)
            samples.append(Sample.from_dict(s))
        with staged_dataset(name) as dataset:
            fields = {k: Field.from_dict(v) for k, v in (d.get("sample_fields") or {}).items()}
            dataset._merge_schema(fields)
            dataset.add_samples(samples)
            dataset.info = _from_json_safe(d.get("info") or {})
            dataset._class_targets_load({k: d[k] for k in STORED if d.get(k)})
        return dataset

    @classmethod
    def from_json(cls, path_or_str: str, name: str | None = None,
                  rel_dir: str | None = None) -> Any:  # fmt: skip
        """A new dataset from a JSON file written by :meth:`write_json`, or such
        JSON as a string; see :meth:`from_dict`.

        Raises:
            MediaError: neither a readable file nor JSON.
        """
        text = path_or_str
        if os.path.isfile(path_or_str):
            with open(path_or_str, encoding="utf-8") as f:
                text = f.read()
        try:
            d = json.loads(text)
        except ValueError as e:
            raise MediaError(
                f"Dataset.from_json takes a JSON file or string; {path_or_str!r:.80} is "
                f"neither ({e})"
            ) from None
        return cls.from_dict(d, name=name, rel_dir=rel_dir)
