"""Merging samples into a dataset: FiftyOne's ``merge_samples`` and ``add_collection``.

:class:`MergeMixin` gives :class:`~dataset_core.dataset.Dataset` both methods.
A merge matches incoming samples to stored ones by a key field (the filepath by
default), writes the merged fields of matched samples in bulk, and adds the
unmatched ones. As in FiftyOne, None values of the incoming samples never
overwrite, list fields are merged element by element (labels by their id), and
values are checked against the schema before anything is written.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator
from typing import Any

from pymongo import UpdateOne

from .db import translate_errors
from .errors import DuplicateSampleError, FieldValueError
from .fields import Field
from .labels import list_field_of
from .sample import Sample, _new_label_ids, utcnow

#: updates per bulk_write round trip
MERGE_BATCH = 10_000
#: the fields a merge never copies: the destination keeps its own
_KEPT = frozenset({"_id", "filepath", "created_at", "last_modified_at", "_rand"})


def _docs_of(samples: Any, key_fcn: Callable[[Sample], Any] | None,
             key: str) -> Iterator[tuple[Any, dict[str, Any]]]:  # fmt: skip
    """``(key, stored document)`` of each incoming sample (as its view shows it)."""
    from .collection import SampleCollection

    if isinstance(samples, SampleCollection) and key_fcn is None:
        for d in samples._aggregate():
            yield d.get(key), d
        return
    if isinstance(samples, Sample):
        samples = [samples]
    for s in samples:
        if not isinstance(s, Sample):
            raise TypeError(f"merge_samples takes Samples or a collection; got {type(s).__name__}")
        d = s.to_mongo_dict()
        yield (key_fcn(s) if key_fcn is not None else d.get(key)), d


def _field_map(fields: Any, omit_fields: Any) -> tuple[dict[str, str] | None, set[str]]:
    if isinstance(fields, str):
        fields = [fields]
    mapping = None
    if fields is not None:
        mapping = dict(fields) if isinstance(fields, dict) else {f: f for f in fields}
    omit = {omit_fields} if isinstance(omit_fields, str) else set(omit_fields or ())
    return mapping, omit


def _merge_list(current: list[Any], new: list[Any], overwrite: bool) -> list[Any]:
    """Elements of ``new`` not in ``current`` appended; labels matched by id."""
    out = list(current)
    index = {v["_id"]: i for i, v in enumerate(out) if type(v) is dict and "_id" in v}
    for v in new:
        if type(v) is dict and "_id" in v and v["_id"] in index:
            if overwrite:
                out[index[v["_id"]]] = v
        elif v not in out:
            out.append(v)
    return out


def _merge_value(current: Any, new: Any, merge_lists: bool, overwrite: bool) -> Any:
    """The merged stored value of one field (``current`` None: the field is unset)."""
    if current is None:
        return new
    if merge_lists:
        if type(current) is list and type(new) is list:
            return _merge_list(current, new, overwrite)
        if type(current) is dict and type(new) is dict and current.get("_cls") == new.get("_cls"):
            items = list_field_of(new.get("_cls"))
            if items is not None:  # Detections & co: merge the label lists
                merged = dict(current if not overwrite else {**current, **new})
                merged[items] = _merge_list(current.get(items) or [], new.get(items) or [],
                                            overwrite)  # fmt: skip
                return merged
    return new if overwrite else current


class MergeMixin:
    """``merge_samples`` and ``add_collection`` of :class:`~dataset_core.dataset.Dataset`."""

    @translate_errors
    def merge_samples(self, samples: Any, key_field: str = "filepath",
                      skip_existing: bool = False, insert_new: bool = True,
                      fields: Any = None, omit_fields: Any = None, merge_lists: bool = True,
                      overwrite: bool = True, expand_schema: bool = True,
                      dynamic: bool = False, include_info: bool = True,
                      key_fcn: Callable[[Sample], Any] | None = None,
                      progress: bool | None = None) -> None:  # fmt: skip
        """Merge samples (a collection, or Samples) into this dataset by ``key_field``.

        Args:
            samples: a dataset, a view, or an iterable of :class:`Sample`.
            key_field: the field whose value identifies a sample (``"filepath"``,
                ``"id"`` or any other field).
            skip_existing: leave samples whose key is already here untouched.
            insert_new: add the samples whose key is not here.
            fields: only merge these fields (a list, or a dict renaming them).
            omit_fields: do not merge these fields.
            merge_lists: merge list fields element-wise (labels of list types
                such as Detections by label id) instead of replacing them.
            overwrite: replace existing values (False: only fill fields that
                are unset or None here).
            expand_schema: allow new fields (False: a new field is an error).
            key_fcn: instead of ``key_field``, a function of a sample giving its
                key (applied to the samples here and to the incoming ones).
            dynamic, include_info, progress: accepted for FiftyOne's signature.

        Raises:
            FieldValueError: a new field and ``expand_schema=False``.
            SchemaError: a value conflicting with the field's type here.

        Example:
            >>> dataset.merge_samples(predictions_dataset, fields=["predictions"])
        """
        mapping, omit = _field_map(fields, omit_fields)
        key = "_id" if key_field in ("id", "_id") else key_field
        stored_keys: dict[Any, Any] = {}  # key value -> stored id (the first, if repeated)
        if key_fcn is not None:
            for sample in self:
                stored_keys.setdefault(key_fcn(sample), sample._doc["_id"])
        else:
            if key != "_id":
                self._check_path(key)
            for d in self._sample_coll().find({}, {key: 1}):
                stored_keys.setdefault(d.get(key) if key != "_id" else d["_id"], d["_id"])
        updates: list[tuple[Any, dict[str, Any]]] = []
        inserts: list[dict[str, Any]] = []
        new_fields: dict[str, Field] = {}
        for value, src in _docs_of(samples, key_fcn, key):
            doc = {}
            for k, v in src.items():
                if k in _KEPT or v is None or k in omit:
                    continue
                if mapping is not None and k not in mapping:
                    continue
                name = mapping.get(k, k) if mapping is not None else k
                doc[name] = v
            dest = stored_keys.get(value) if value is not None else None
            if dest is not None:
                if not skip_existing:
                    updates.append((dest, doc))
            elif insert_new:
                if "filepath" not in src:
                    raise FieldValueError("merge_samples: an incoming sample has no filepath")
                doc["filepath"] = src["filepath"]
                # a new sample has every default field, whichever fields are merged
                doc.setdefault("tags", [])
                doc.setdefault("metadata", None)
                inserts.append(doc)
            for k, v in doc.items():
                if k not in self._schema and k not in new_fields:
                    f = self._check_value(k, v)
                    if f is not None:
                        new_fields[k] = f
                else:
                    self._check_value(k, v)
        if new_fields and not expand_schema:
            raise FieldValueError(
                f"merge_samples: fields {sorted(new_fields)} are not in the schema of dataset "
                f"{self.name!r} and expand_schema=False; declare them with add_sample_field"
            )
        self._merge_schema(new_fields)
        self._write_merged(updates, merge_lists, overwrite)
        if inserts:
            self.add_samples([Sample._from_doc(d, None) for d in inserts], progress=False)

    def _write_merged(self, updates: list[tuple[Any, dict[str, Any]]], merge_lists: bool,
                      overwrite: bool) -> None:  # fmt: skip
        coll = self._sample_coll()
        now = utcnow()
        touched = []
        for i in range(0, len(updates), MERGE_BATCH):
            chunk = updates[i : i + MERGE_BATCH]
            names = {k for _, d in chunk for k in d}
            stored = {d["_id"]: d for d in coll.find(
                {"_id": {"$in": [oid for oid, _ in chunk]}}, dict.fromkeys(names, 1))}  # fmt: skip
            ops = []
            for oid, doc in chunk:
                current = stored.get(oid, {})
                sets = {}
                for k, v in doc.items():
                    merged = _merge_value(current.get(k), v, merge_lists, overwrite)
                    if merged is not current.get(k) and merged != current.get(k):
                        sets[k] = merged
                if sets:
                    current.update(sets)  # a key repeated in the input merges again
                    sets["last_modified_at"] = now
                    ops.append(UpdateOne({"_id": oid}, {"$set": sets}))
                    touched.append(oid)
            if ops:
                coll.bulk_write(ops, ordered=False)
        self._reload_samples(touched)

    @translate_errors
    def add_collection(self, sample_collection: Any, include_info: bool = True,
                       overwrite_info: bool = False, new_ids: bool = False,
                       progress: bool | None = None) -> list[str]:  # fmt: skip
        """Add the samples of another dataset or view, keeping their ids unless ``new_ids``.

        Labels keep their ids too (new ones with ``new_ids``). With
        ``include_info``, the other dataset's classes and info entries this
        dataset lacks are taken over (``overwrite_info``: theirs win).

        Returns:
            The ids of the added samples.

        Raises:
            DuplicateSampleError: (without ``new_ids``) a sample id already here;
                nothing is added.
        """
        from .collection import SampleCollection

        if not isinstance(sample_collection, SampleCollection):
            raise TypeError(
                f"add_collection takes a dataset or a view; got {type(sample_collection).__name__}"
                "; use add_samples for Sample objects"
            )
        docs = [copy.deepcopy(d) for d in sample_collection._aggregate()]
        if new_ids:
            samples = [Sample._from_doc(_new_label_ids({k: v for k, v in d.items()
                                                         if k not in _KEPT or k == "filepath"}),
                                        None) for d in docs]  # fmt: skip
            ids = self.add_samples(samples, progress=False)
        else:
            ids = self._insert_with_ids(docs)
        if include_info:
            src = sample_collection._dataset
            self._merge_class_targets(src, overwrite_info)
            info = dict(src._doc.info) if overwrite_info else {}
            self._doc.info.update({**{k: v for k, v in src._doc.info.items()
                                      if k not in self._doc.info}, **info})  # fmt: skip
            self.save()
        return ids

    def _insert_with_ids(self, docs: list[dict[str, Any]]) -> list[str]:
        oids = [d["_id"] for d in docs]
        clash = list(self._sample_coll().find({"_id": {"$in": oids}}, {"_id": 1}).limit(3))
        if clash:
            raise DuplicateSampleError(
                f"Nothing was added: sample ids {[str(d['_id']) for d in clash]} are already in "
                f"dataset {self.name!r}; pass new_ids=True to add copies"
            )
        fields: dict[str, Field] = {}
        now = utcnow()
        for d in docs:
            for k, v in d.items():
                if not k.startswith("_"):
                    f = self._check_value(k, v)
                    if f is not None and k not in self._schema and k not in fields:
                        fields[k] = f
            d["created_at"] = d["last_modified_at"] = now
            d["_rand"] = random.random()
        self._merge_schema(fields)
        if docs and self.insert_documents(docs) != len(docs):
            raise DuplicateSampleError(
                f"Some samples were not added to dataset {self.name!r}: their filepaths are "
                "already here (it has unique_filepaths=True)"
            )
        return [str(o) for o in oids]
