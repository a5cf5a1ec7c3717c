"""Reading, saving and deleting a dataset's samples, one by one or in bulk.

:class:`SampleStoreMixin` gives :class:`~dataset_core.dataset.Dataset` its
``dataset[id]``, ``delete_samples``, ``clear`` and ``insert_documents``, and the
save path of :meth:`Sample.save` (whole documents, or the edited paths of a
sample read through a view). Samples handed out are the dataset's live
singletons (singletons.py); deleted ones leave the dataset.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

import numpy as np
from bson import ObjectId
from bson.errors import InvalidId
from pymongo.errors import BulkWriteError

from .adding import ID_CHUNK
from .collection import SampleCollection
from .db import translate_errors
from .errors import DatasetCoreError, SampleIndexError, SampleNotFoundError
from .fields import Field
from .sample import Sample, utcnow
from .singletons import detach_samples, reload_samples
from .values import field_of_mongo


class SampleStoreMixin:
    """Sample reads, saves and deletes of :class:`~dataset_core.dataset.Dataset`."""

    @translate_errors
    def _get_doc(self, oid: Any) -> dict[str, Any]:
        doc = self._sample_coll().find_one({"_id": oid})
        if doc is None:
            raise SampleNotFoundError(f"No sample with id '{oid}' in dataset {self.name!r}")
        return doc

    def _save_sample(self, sample: Sample, changed: set[str]) -> None:
        doc = sample._doc
        fields = {}
        orig = sample._orig or {}
        for name in changed:
            was = orig.get(name)
            if isinstance(was, dict) and "_cls" not in was and name in self._schema:
                continue  # a projected part of a stored field: diffed path by path below
            found = self._check_value(name, doc.get(name))
            if found is not None:
                fields[name] = found
        doc["last_modified_at"] = utcnow()
        self._merge_schema(fields)  # declared first: a crash never leaves undeclared values
        if sample._partial:
            self._save_partial(sample, changed)
            return
        update = {name: doc.get(name) for name in changed}
        update["last_modified_at"] = doc["last_modified_at"]
        res = translate_errors(self._sample_coll().update_one)(
            {"_id": doc["_id"]}, {"$set": update}
        )
        if res.matched_count == 0:
            raise SampleNotFoundError(
                f"Sample {sample.id} is no longer in dataset {self.name!r}; it was deleted"
            )

    @translate_errors
    def _save_partial(self, sample: Sample, changed: set[str]) -> None:
        """Save a sample read through a view: only edited paths, label lists merged by id."""
        from .partial import MERGE_RETRIES, diff, get_path, merge_labels
        from .sample import _ABSENT

        doc, orig = sample._doc, sample._orig or {}
        sets: dict[str, Any] = {"last_modified_at": doc["last_modified_at"]}
        unsets: set[str] = set()
        merges: dict[str, tuple[list[Any], list[Any]]] = {}
        for name in changed:
            old = orig.get(name, _ABSENT)
            if old is _ABSENT:  # not in the view's document: the edit is the whole value
                sets[name] = doc.get(name)
            else:
                diff(name, old, doc.get(name), sets, unsets, merges)
        coll = self._sample_coll()
        for _ in range(MERGE_RETRIES):
            query: dict[str, Any] = {"_id": doc["_id"]}
            all_sets = dict(sets)
            if merges:
                stored = coll.find_one(query, dict.fromkeys(merges, 1))
                if stored is None:
                    break
                for path, (old, new) in merges.items():
                    current = get_path(stored, path)
                    query[path] = current  # unchanged since read, or retry
                    all_sets[path] = merge_labels(current, old, new)
            update: dict[str, Any] = {"$set": all_sets}
            if unsets:
                update["$unset"] = dict.fromkeys(unsets, "")
            if coll.update_one(query, update).matched_count:
                return
            if not merges:
                break
        else:
            raise DatasetCoreError(
                f"Sample {sample.id}: its labels kept changing under this save; reload and retry"
            )
        raise SampleNotFoundError(
            f"Sample {sample.id} is no longer in dataset {self.name!r}; it was deleted"
        )

    def __getitem__(self, key: Any) -> Any:
        """``dataset[id]`` or ``dataset[filepath]``: the sample (the live object, if
        one is held); ``dataset[a:b]``: a view.

        Raises:
            SampleNotFoundError: no such sample.
            SampleIndexError: a number (samples are looked up by id or filepath).
        """
        if isinstance(key, slice):  # dataset[:10] is a view
            return self._slice(key)
        if isinstance(key, Sample):
            key = key.id
        if isinstance(key, str) and ObjectId.is_valid(key):
            key = ObjectId(key)
        if isinstance(key, ObjectId):
            return self._sample_of(self._get_doc(key))
        if isinstance(key, str):
            doc = translate_errors(self._sample_coll().find_one)({"filepath": key})
            if doc is None:
                raise SampleNotFoundError(
                    f"No sample with id or filepath {key!r} in dataset {self.name!r}"
                )
            return self._sample_of(doc)
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            raise SampleIndexError(
                f"Samples are not looked up by position (got {key!r}); use an id or a "
                f"filepath, a slice such as dataset[{key}:{key + 1}], or dataset.skip({key})"
                ".first()"
            )
        raise SampleNotFoundError(f"Samples are looked up by id or filepath; got {key!r}")

    def _sample_of(self, doc: dict[str, Any]) -> Sample:
        """The live sample of a stored document, or a new one, registered."""
        live = self._live.get(doc["_id"])
        if live is not None:
            return live
        sample = Sample._from_doc(doc, self)
        self._live.refs[doc["_id"]] = weakref.ref(sample)
        return sample

    def _reload_samples(self, ids: Iterable[Any] | None = None) -> None:
        """Refresh the live samples of ``ids`` (ObjectIds; all when None) after a bulk write."""
        reload_samples(self, ids)

    def __delitem__(self, key: Any) -> None:
        self.delete_samples([key])

    @translate_errors
    def delete_samples(self, samples_or_ids: Any) -> int:
        """Delete samples from the dataset (never their files). Returns how many.

        Args:
            samples_or_ids: an id, a Sample, a list of either, or a view.
        """
        items = samples_or_ids
        if isinstance(items, (str, ObjectId, Sample)):
            items = [items]
        if isinstance(items, SampleCollection):
            oids = items.values("_id")
            items = []
        else:
            items = list(items)
            oids = []
            for item in items:
                raw = item.id if isinstance(item, Sample) else item
                try:
                    oids.append(raw if isinstance(raw, ObjectId) else ObjectId(raw))
                except (InvalidId, TypeError):
                    raise SampleNotFoundError(
                        f"{raw!r} is not a sample id (24 hex characters)"
                    ) from None
        deleted = 0
        coll = self._sample_coll()
        for i in range(0, len(oids), ID_CHUNK):
            deleted += coll.delete_many({"_id": {"$in": oids[i : i + ID_CHUNK]}}).deleted_count
        gone = [s for s in items if isinstance(s, Sample) and s._dataset is self]
        detach_samples(self, gone + self._live.alive(oids))
        return deleted

    @translate_errors
    def insert_documents(self, docs: list[dict[str, Any]]) -> int:
        """Put back stored sample documents as they were (ids kept), e.g. from the trash.

        Documents whose id or filepath is already in the dataset are skipped, so
        calling it twice inserts nothing twice. Returns how many were inserted.
        """
        if not docs:
            return 0
        fields: dict[str, Field] = {}
        for doc in docs:
            for k, v in doc.items():
                if not k.startswith("_") and k not in self._schema and k not in fields:
                    found = field_of_mongo(v)
                    if found is not None:
                        fields[k] = found
        self._merge_schema(fields)
        try:
            res = self._sample_coll().insert_many(docs, ordered=False)
            return len(res.inserted_ids)
        except BulkWriteError as e:
            return int(e.details.get("nInserted", 0))

    @translate_errors
    def clear(self) -> None:
        """Delete every sample (never their files); live samples leave the dataset."""
        self._sample_coll().delete_many({})
        detach_samples(self)
