"""Adding samples to a dataset: one bulk, all-or-nothing insert.

:class:`AddSamplesMixin` gives :class:`~dataset_core.dataset.Dataset` its
``add_sample``/``add_samples``: each new (field, type) is checked against the
schema once per call, values of declared fields are converted to their stored
form, new fields are declared before the inserts under a recovery note (a
kill -9 leaves no undeclared values, and the next load removes half-added
samples), and on any error the inserted samples are removed again.
"""

from __future__ import annotations

import random
import weakref
from collections.abc import Iterable
from typing import Any

from bson import ObjectId
from pymongo.errors import BulkWriteError, DuplicateKeyError

from . import recovery
from .config import config
from .db import translate_errors
from .errors import DatasetCoreError, DuplicateSampleError, FieldValueError, SchemaError
from .fields import Field
from .progress import progress_bar
from .sample import Sample, _tag_list, utcnow
from .sample import _set_dataset as set_dataset
from .sample import _set_dirty as set_dirty
from .sample import _set_doc as set_doc
from .sample import _set_objects as set_objects
from .singletons import BIND_LIVE_MAX, PENDING_MAX
from .values import coerce

#: samples per insert_many call: large enough to amortise round trips, small
#: enough that a progress bar moves and memory stays bounded
INSERT_BATCH_SIZE = 10_000
#: ids per delete_many/$in query, far below MongoDB's 16 MB document limit
ID_CHUNK = 100_000
#: below this many samples a bulk call finishes too fast for a progress bar
PROGRESS_MIN_SAMPLES = 10_000


class AddSamplesMixin:
    """``add_sample`` and ``add_samples`` of :class:`~dataset_core.dataset.Dataset`."""

    def add_sample(self, sample: Sample, expand_schema: bool = True,
                   dynamic: bool = False, validate: bool = True) -> str:  # fmt: skip
        """Add one sample; it becomes bound to this dataset. Returns its id.

        ``expand_schema`` and ``dynamic`` are as in :meth:`add_samples`."""
        return self.add_samples([sample], expand_schema=expand_schema, dynamic=dynamic,
                                progress=False)[0]  # fmt: skip

    @translate_errors
    def add_samples(self, samples: Iterable[Sample], expand_schema: bool = True,
                    dynamic: bool = False, validate: bool = True,
                    progress: bool | None = None, num_samples: int | None = None,
                    ) -> list[str]:  # fmt: skip
        """Add samples in bulk. All or nothing: on any error, none are kept.

        Args:
            samples: :class:`Sample` objects; a sample already in a dataset is copied.
            expand_schema: declare new fields (False: a new field is an error).
            dynamic: also declare the attributes of embedded documents that the
                schema lacks (``ground_truth.detections.iscrowd``).
            validate: accepted for FiftyOne's signature; values are always checked
                against their declared types.
            progress: show a progress bar (default: when adding over 10,000).
            num_samples: accepted for FiftyOne's signature (a progress hint).

        Returns:
            The new sample ids, in order.

        Raises:
            DuplicateSampleError: a filepath is already in the dataset or repeated.
            SchemaError: a value conflicts with its field's type.
        """
        coll = self._sample_coll()
        now = utcnow()
        rand = random.random
        docs: list[dict[str, Any]] = []
        bind: list[Sample] = []
        fields: dict[str, Field] = {}
        seen_sigs: set[tuple[Any, ...]] = set()
        paths: set[str] = set()
        converted: dict[str, Field] = {}  # fields whose values are stored converted
        unique = self._doc.unique_filepaths
        for s in samples:
            if not isinstance(s, Sample):
                raise TypeError(f"add_samples takes Sample objects; got {type(s).__name__}")
            src = s.to_mongo_dict() if s._objects or s._dataset is not None else s._doc
            doc = {k: v for k, v in src.items() if k != "_id"} if "_id" in src else dict(src)
            dirty = s._dirty
            if dirty is not None and "tags" in dirty:  # set since construction: maybe invalid
                doc["tags"] = _tag_list(doc["tags"])
            doc["created_at"] = doc["last_modified_at"] = now
            doc["_rand"] = rand()
            for k, v in doc.items():
                t = type(v)
                sig = (k, t, v.get("_cls") if t is dict else None)
                if sig not in seen_sigs:
                    seen_sigs.add(sig)
                    if not k.startswith("_"):
                        found = self._check_value(k, v)
                        known = self._schema.get(k)
                        if known is not None and coerce(known, v) is not v:
                            converted[k] = known
                        if found is not None and k not in self._schema and not expand_schema:
                            raise FieldValueError(
                                f"Field {k!r} is not in the schema of dataset {self.name!r} "
                                "and expand_schema=False; declare it with add_sample_field"
                            )
                        if found is not None and k not in self._schema:
                            prev = fields.get(k)
                            if prev is None or found.accepts(prev):  # first, or int -> float
                                fields[k] = found
                            elif not prev.accepts(found):
                                raise SchemaError(
                                    f"Field {k!r} holds both {prev} and {found} values "
                                    "in this batch; use one type per field"
                                )
            for k, known in converted.items():
                if k in doc:
                    doc[k] = coerce(known, doc[k])
            if unique:
                fp = doc["filepath"]
                if fp in paths:
                    raise DuplicateSampleError(
                        f"{fp!r} is given twice; each filepath may appear once in dataset "
                        f"{self.name!r} (it was created with unique_filepaths=True)"
                    )
                paths.add(fp)
            docs.append(doc)
            bind.append(s)
        if not docs:
            return []
        ids = []
        for doc in docs:  # ids chosen here: a retried insert can tell what is stored
            doc["_id"] = oid = ObjectId()
            ids.append(oid)
        # declared before the inserts, with a note of the insert: a kill -9 leaves no
        # undeclared values, and the next open removes the half-added samples
        op = recovery.begin(
            self,
            "add",
            fields,
            created_at=now,
            first=min(d["_id"] for d in docs),
            last=max(d["_id"] for d in docs),
        )
        self._merge_schema(fields)
        show = len(docs) > PROGRESS_MIN_SAMPLES if progress is None else progress
        bar = progress_bar(
            total=len(docs), desc="Adding samples", unit="samples",
            disable=not (show and config.show_progress),
        )  # fmt: skip
        done = 0
        try:
            with bar:
                for start in range(0, len(docs), INSERT_BATCH_SIZE):
                    batch = docs[start : start + INSERT_BATCH_SIZE]
                    recovery.hook("add", start)
                    coll = recovery.insert_batch(self, coll, batch)
                    done = start + len(batch)
                    bar.update(len(batch))
        except (BulkWriteError, DuplicateKeyError) as e:
            self._rollback(docs[: done + INSERT_BATCH_SIZE])
            recovery.end(self, op)
            raise self._duplicate_error(paths, e) from None
        except BaseException:
            self._rollback(docs[: done + INSERT_BATCH_SIZE])
            recovery.end(self, op)
            raise
        recovery.end(self, op)
        live = len(bind) <= BIND_LIVE_MAX  # dataset[s.id] is s from now on; see singletons
        ref, note = weakref.ref, self._live.pending.append
        for s, doc in zip(bind, docs, strict=True):
            if s._dataset is None:  # bound through the slots' setters: no __setattr__ call
                set_doc(s, doc), set_dataset(s, self), set_dirty(s, None), set_objects(s, None)
                if live:
                    note(ref(s))
        if len(self._live.pending) >= PENDING_MAX:
            self._live.sweep()
        if dynamic:
            self._add_dynamic_of({k for sig in seen_sigs for k in sig[:1]})
        return [str(d["_id"]) for d in docs]

    def _add_dynamic_of(self, names: Iterable[str]) -> None:
        """Declare the dynamic attributes of the embedded documents in fields ``names``."""
        from .schema import document_of

        roots = [n for n in names if document_of(self._schema.get(n)) is not None]
        if roots:
            self.add_dynamic_sample_fields(fields=roots)

    def _rollback(self, docs: list[dict[str, Any]]) -> None:
        ids = [d["_id"] for d in docs if "_id" in d]
        try:
            for i in range(0, len(ids), ID_CHUNK):
                self._sample_coll().delete_many({"_id": {"$in": ids[i : i + ID_CHUNK]}})
        except Exception as e:  # the database died mid-import: the next open removes them
            raise DatasetCoreError(
                f"add_samples failed and its partly inserted samples could not be removed "
                f"yet ({type(e).__name__}); they are removed when the dataset is next loaded"
            ) from None
        for d in docs:
            d.pop("_id", None)

    def _duplicate_error(self, paths: set[str], err: Exception) -> DatasetCoreError:
        details = getattr(err, "details", None) or {}
        codes = {w.get("code") for w in details.get("writeErrors", [])}
        if isinstance(err, DuplicateKeyError) or 11000 in codes:
            existing = (
                self._sample_coll()
                .find({"filepath": {"$in": list(paths)[:ID_CHUNK]}}, {"filepath": 1})
                .limit(5)
            )
            shown = [d["filepath"] for d in existing]
            return DuplicateSampleError(
                f"Nothing was added: {len(shown)}+ filepaths are already in dataset "
                f"{self.name!r} (e.g. {shown[:3]}); remove them from the input or "
                "delete those samples first"
            )
        return DatasetCoreError(f"Nothing was added: the insert failed ({err})")
