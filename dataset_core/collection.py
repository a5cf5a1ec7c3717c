"""What datasets and views share: reading samples through one pipeline.

A :class:`SampleCollection` is a dataset or a view of one. Everything it reads
(``len``, iteration, ``values``, ``first``...) runs the collection's single
aggregation pipeline (:meth:`_pipeline`) on the dataset's sample collection; a
dataset's pipeline is empty, which lets it take faster ``find`` paths.
"""

from __future__ import annotations

import copy
import os
import weakref
from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

import numpy as np
from bson import ObjectId, decode, decode_iter
from bson.errors import InvalidId
from bson.raw_bson import RawBSONDocument
from pymongo.errors import ConnectionFailure

from . import class_targets, exporters, runs
from .aggregation_methods import AggregationMethodsMixin
from .db import translate_errors
from .db.connection import database_error
from .errors import FieldValueError, SampleNotFoundError, ViewError
from .evaluation import EvaluationMixin
from .fields import Field
from .id_array import id_batches, ordered_ids
from .label_ops import LabelsMixin
from .labels import list_field_of
from .sample import Sample, utcnow
from .sample_view import SampleView
from .schema import resolve_path
from .schema_methods import CollectionSchemaMixin
from .singletons import PENDING_MAX
from .stages import (
    Exclude,
    ExcludeFields,
    Exists,
    FilterField,
    FilterLabels,
    GroupBy,
    Limit,
    Match,
    MatchTags,
    Mongo,
    Select,
    SelectFields,
    SetField,
    Shuffle,
    Skip,
    SortBy,
    Take,
    ViewStage,
)
from .stages.base import check_names

if TYPE_CHECKING:
    from pymongo.collection import Collection

    from .dataset import Dataset
    from .expressions import ViewExpression
    from .view import DatasetView

#: documents per round trip while iterating; big batches amortise latency
ITER_BATCH_SIZE = 10_000
#: a terminal ``$limit`` up to this is a page, read in one decoded batch
SMALL_RESULT = 1_000
#: ids per update_many when tagging a view: ~2 MB of BSON, far below the 16 MB limit
UPDATE_ID_CHUNK = 100_000


def _documents(batches: Iterator[bytes], codec_options: Any) -> Iterator[dict[str, Any]]:
    """The documents of raw BSON batches, each decoded when it is taken."""
    for batch in batches:
        yield from decode_iter(batch, codec_options)


def _decoded(docs: Iterator[RawBSONDocument], codec_options: Any) -> Iterator[dict[str, Any]]:
    """Undecoded documents, each decoded when it is taken."""
    for doc in docs:
        yield decode(doc.raw, codec_options)


class SampleCollection(AggregationMethodsMixin, LabelsMixin, CollectionSchemaMixin,
                       EvaluationMixin):  # fmt: skip
    """Base of :class:`Dataset` and its views: the read API over one pipeline."""

    # -- what subclasses provide ---------------------------------------------

    @property
    def _dataset(self) -> Dataset:
        raise NotImplementedError

    def _pipeline(self) -> list[dict[str, Any]]:
        """The aggregation steps that select and order this collection's samples."""
        raise NotImplementedError

    @property
    def dataset(self) -> Dataset:
        """The dataset this collection's samples belong to (a dataset is its own)."""
        return self._dataset

    # -- shared ---------------------------------------------------------------

    @property
    def _coll(self) -> Collection[dict[str, Any]]:
        return self._dataset._sample_coll()

    def _aggregate(self, extra: list[dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
        pipeline = self._pipeline() + (extra or [])
        return self._coll.aggregate(pipeline, allowDiskUse=True, batchSize=ITER_BATCH_SIZE)

    @translate_errors
    def estimated_count(self) -> int:
        """The number of samples: for a whole dataset, the collection's own count
        (metadata, no scan; for display and cache keys), for a view, :meth:`count`."""
        if not self._pipeline():
            return self._coll.estimated_document_count()
        return self.count()

    @translate_errors
    def find_sample_doc(
        self, sample_id: Any = None, filepath: str | None = None,
        fields: dict[str, int] | None = None,
    ) -> dict[str, Any] | None:  # fmt: skip
        """The stored document of one sample of this collection, found by id or
        filepath (``fields``: a projection), or None when there is none.

        Raw documents are for the server, which sends them to the browser as
        they are; everything else wants :class:`Sample` (``collection[id]``).
        """
        if (sample_id is None) == (filepath is None):
            raise ValueError("find_sample_doc takes a sample_id or a filepath")
        if sample_id is not None:
            try:
                query: dict[str, Any] = {"_id": ObjectId(sample_id)}
            except (InvalidId, TypeError):
                return None
        else:
            query = {"filepath": str(filepath)}
        if not self._pipeline():
            return self._coll.find_one(query, fields)
        steps: list[dict[str, Any]] = [{"$match": query}, {"$limit": 1}]
        docs = list(self._aggregate(steps + ([{"$project": fields}] if fields else [])))
        return docs[0] if docs else None

    @translate_errors
    def id_array(self) -> np.ndarray:
        """The ids of this collection's samples in its order, as one numpy array of
        12-byte values (dtype ``V12``), read from raw batches without decoding a
        document, so the time is the database's own (~4 s for 1,000,000 here;
        listing them decoded took 6.5 s).

        ``ObjectId(ids[i].tobytes())`` is one id. For servers that page through big
        views by position.
        """
        return ordered_ids(self._dataset._sample_coll(raw=True), self._pipeline())

    @translate_errors
    def id_batches(self) -> Iterator[np.ndarray]:
        """:meth:`id_array` a batch at a time (100,000 ids each), as the database
        sends them: a server can answer from the first batches while the rest
        come. Close the generator (or read it to the end) to free the cursor."""
        yield from id_batches(self._dataset._sample_coll(raw=True), self._pipeline())

    @translate_errors
    def position_of(self, sample_id: Any) -> int | None:
        """Where sample ``sample_id`` is in this collection's order (0-based), or
        None when it is not in it (or is not an id).

        One pass over the ids in order (:meth:`id_array`; a view has no index of
        positions), so it grows with the collection's size: for one sample
        opened by id, not for loops.

        Example:
            >>> dataset.sort_by("uniqueness").position_of(sample.id)
            41
        """
        try:
            wanted = ObjectId(sample_id)
        except (InvalidId, TypeError):
            return None
        found = np.flatnonzero(self.id_array() == np.void(wanted.binary))
        return int(found[0]) if len(found) else None

    def describe(self) -> str:
        """One line naming this collection, e.g. ``Dataset 'cifar'`` or a view's stages."""
        return self._describe()

    def __len__(self) -> int:
        return self.count()

    def __contains__(self, key: Any) -> bool:
        """Whether a sample (id, filepath or Sample) is in this collection."""
        try:
            self[key]
            return True
        except SampleNotFoundError:
            return False

    def __bool__(self) -> bool:
        return True  # a collection is an object, not a container test

    def iter_samples(self, progress: bool = False) -> Iterator[Sample]:
        """Yield the samples in order, as :class:`Sample` objects."""
        dataset = self._dataset
        pipeline = self._pipeline()
        coll = self._coll
        # batches come as raw BSON and are decoded one document at a time, as the
        # caller takes them: a decoded batch of 10,000 documents waiting in a
        # cursor outlives the garbage collector's young generations, and
        # promoting it made full collections (over every live object) take
        # half the time of an iteration
        last = pipeline[-1] if pipeline else None
        if last is not None and 0 < last.get("$limit", SMALL_RESULT + 1) <= SMALL_RESULT:
            # a page: one batch, decoded by the driver at once (no second pass)
            cursor = coll.aggregate(pipeline, allowDiskUse=True, batchSize=SMALL_RESULT)
        elif pipeline:
            # not aggregate_raw_batches: it asks for an empty first batch, which costs
            # every view (a 20-sample page too) one more round trip (getMore)
            raw = dataset._sample_coll(raw=True)
            found = raw.aggregate(pipeline, allowDiskUse=True, batchSize=ITER_BATCH_SIZE)
            cursor = _decoded(found, coll.codec_options)
        else:
            batches = coll.find_raw_batches({}, batch_size=ITER_BATCH_SIZE)
            cursor = _documents(batches, coll.codec_options)
        if progress:
            from .progress import progress_bar

            cursor = progress_bar(cursor, total=len(self), desc="samples")
        try:
            if self is not dataset:  # a view's samples are SampleViews, even with no stages
                view_doc, bind = SampleView._from_doc, SampleView._bind_view
                partial = bool(pipeline)
                for doc in cursor:
                    s = view_doc(doc, dataset, partial)
                    bind(s, self)
                    yield s
                return
            from_doc = Sample._from_doc
            # the dataset's: the live object when one is held, else a new one,
            # noted (not yet filed by id: that costs a Python-level hash) so that
            # dataset[id] and bulk writes find it later; see singletons.py
            live = dataset._live
            live.sweep(clean=True)  # no dead entries: with nothing held, refs stays empty
            refs, ref, note = live.refs, weakref.ref, live.pending.append
            docs = iter(cursor)
            while True:
                done = True
                for doc in islice(docs, PENDING_MAX):  # a sweep per chunk bounds pending
                    done = False
                    if refs:
                        r = refs.get(doc["_id"])
                        if r is not None:
                            s = r()
                            if s is not None:
                                yield s
                                continue
                    s = from_doc(doc, dataset, False)
                    note(ref(s))
                    yield s
                if done:
                    break
                live.sweep()
        except ConnectionFailure as e:
            raise database_error(e) from e

    def __iter__(self) -> Iterator[Sample]:
        return self.iter_samples()

    @translate_errors
    def first(self) -> Sample:
        """The first sample.

        Raises:
            ValueError: the collection is empty.
        """
        docs = list(self._aggregate([{"$limit": 1}]))
        if not docs:
            raise ValueError(f"{self._describe()} is empty")
        return self._make_sample(docs[0])

    @translate_errors
    def last(self) -> Sample:
        """The last sample.

        Raises:
            ValueError: the collection is empty.
        """
        if not self._pipeline():
            docs = list(self._coll.find({}).sort("$natural", -1).limit(1))
        else:  # keep only the last document server-side; $last follows input order
            groups = self._aggregate([{"$group": {"_id": None, "d": {"$last": "$$ROOT"}}}])
            docs = [g["d"] for g in groups]
        if not docs:
            raise ValueError(f"{self._describe()} is empty")
        return self._make_sample(docs[-1])

    @translate_errors
    def head(self, num_samples: int = 3) -> list[Sample]:
        """The first ``num_samples`` samples, as a list."""
        docs = self._aggregate([{"$limit": int(num_samples)}])
        return [self._make_sample(d) for d in docs]

    def _make_sample(self, doc: dict[str, Any]) -> Sample:
        """A sample of a document this collection returned: a dataset's is its live
        singleton; a view's is its own :class:`SampleView`."""
        if self is not self._dataset:
            return SampleView._of_view(doc, self, bool(self._pipeline()))  # type: ignore[arg-type]
        return self._dataset._sample_of(doc)

    @translate_errors
    def set_values(self, field: str, values: Any, key_field: str = "id",
                   dynamic: bool = False, expand_schema: bool = True,
                   validate: bool = True) -> None:  # fmt: skip
        """Set ``field`` on many samples in one bulk write.

        Args:
            field: the field (or dotted path into an existing field) to set.
            values: a list aligned with this collection's order, or a dict
                keyed by ``key_field`` values (ids by default).
            key_field: with a dict, the field its keys refer to.
            dynamic: also declare the attributes of the embedded documents set.
            expand_schema: allow a new field (False: a new field is an error).
            validate: accepted for FiftyOne's signature; values are always checked.

        Raises:
            ValueError: a list whose length differs from the collection's.
            SchemaError: values that conflict with the field's type.
            FieldValueError: a new field with ``expand_schema=False``.
        """
        dataset = self._dataset
        if isinstance(values, dict):
            if key_field in ("id", "_id"):
                pairs = [(ObjectId(k) if not isinstance(k, ObjectId) else k, v)
                         for k, v in values.items()]  # fmt: skip
            else:
                path = dataset._check_path(key_field)
                docs = self._aggregate([{"$project": {"_id": 1, "k": "$" + path}}])
                pairs = [(d["_id"], values[d["k"]]) for d in docs if d.get("k") in values]
        else:
            values = list(values)
            ids = self.values("_id")
            if len(ids) != len(values):
                raise ValueError(
                    f"set_values got {len(values)} values for {len(ids)} samples; "
                    "pass one value per sample, in order, or a dict keyed by id"
                )
            pairs = list(zip(ids, values, strict=True))
        top, _, rest = field.partition(".")
        schema_field = dataset._schema.get(top)
        items = list_field_of(schema_field.document_type) if schema_field else None
        per_label = bool(items and rest.startswith(items + "."))
        if rest:
            _check_declared(dataset, field, pairs, per_label)
        if per_label:
            self._set_label_values(field, pairs)  # one value per label the view shows
        elif items and rest in ("", items) and self._filters_labels(top):
            self._merge_label_values(field, pairs)  # hidden labels stay
        else:
            if not expand_schema and dataset.get_field(top) is None:
                # the same error as add_samples/merge_samples give for a new field
                raise FieldValueError(
                    f"Field {top!r} is not in the schema of dataset {dataset.name!r} and "
                    "expand_schema=False; declare it with add_sample_field"
                )
            dataset._set_values_by_id(field, pairs)
        if dynamic:
            dataset._add_dynamic_of([top])
        dataset._reload_samples([oid for oid, _ in pairs])

    def _filters_labels(self, name: str) -> bool:
        """Whether a stage of this view may hide some labels of ``name``."""
        dataset = self._dataset
        return any(name in s.hidden_label_fields(dataset) for s in self._view_stages())

    def _view_values(self, path: str, ids: list[Any]) -> dict[Any, Any]:
        """Sample id -> this collection's value at ``path`` (as the view shows it)."""
        out: dict[Any, Any] = {}
        wanted = set(ids)
        for d in self._aggregate([{"$project": {"_id": 1, "v": "$" + path}}]):
            if d["_id"] in wanted:
                out[d["_id"]] = d.get("v")
        return out

    def _merge_label_values(self, field: str, pairs: list[tuple[Any, Any]]) -> None:
        """``set_values`` of a whole Detections field through a view that filters its labels:
        each sample's stored list keeps the labels the view hid (merged by label id)."""
        from pymongo import UpdateOne

        from .partial import get_path, merge_labels
        from .values import to_mongo

        top = field.split(".", 1)[0]
        items = top + "." + (list_field_of(self._dataset._schema[top].document_type) or "")
        ids = [oid for oid, _ in pairs]
        shown = self._view_values(items, ids)
        now = utcnow()
        coll = self._coll
        ops = []
        for i in range(0, len(pairs), UPDATE_ID_CHUNK):
            chunk = pairs[i : i + UPDATE_ID_CHUNK]
            stored = {d["_id"]: get_path(d, items) for d in coll.find(
                {"_id": {"$in": [o for o, _ in chunk]}}, {items: 1})}  # fmt: skip
            for oid, value in chunk:
                new = to_mongo(value)
                if field == top and new is not None:
                    self._dataset._check_value(top, new)
                    new_list = new.get(items.split(".", 1)[1]) or []
                else:
                    new_list = new or []
                if oid not in stored:
                    continue
                if stored[oid] is None or new is None:  # nothing stored to merge with
                    update = {field: new if field == top else new_list}
                else:
                    update = {items: merge_labels(stored[oid], shown.get(oid) or [], new_list)}
                update["last_modified_at"] = now
                ops.append(UpdateOne({"_id": oid}, {"$set": update}))
        for i in range(0, len(ops), UPDATE_ID_CHUNK):
            coll.bulk_write(ops[i : i + UPDATE_ID_CHUNK], ordered=False)

    def _set_label_values(self, field: str, pairs: list[tuple[Any, Any]]) -> None:
        """``set_values("gt.detections.attr", ...)``: per sample, one value per label
        of the list as this collection shows it; each label is written by its id."""
        from pymongo import UpdateOne

        from .values import to_mongo

        top, _, rest = field.partition(".")
        list_field = list_field_of(self._dataset._schema[top].document_type) or ""
        attr = rest[len(list_field) + 1 :]
        ids = [oid for oid, _ in pairs]
        shown = self._view_values(f"{top}.{list_field}._id", ids)
        now = utcnow()
        ops = []
        for oid, values in pairs:
            label_ids = shown.get(oid) or []
            values = [] if values is None else list(values)
            if len(values) != len(label_ids):
                raise ValueError(
                    f"set_values({field!r}): sample {oid} shows {len(label_ids)} labels but got "
                    f"{len(values)} values; pass one value per label, in order"
                )
            for lid, v in zip(label_ids, values, strict=True):
                ops.append(UpdateOne(
                    {"_id": oid},
                    {"$set": {f"{top}.{list_field}.$[lab].{attr}": to_mongo(v),
                              "last_modified_at": now}},
                    array_filters=[{"lab._id": lid}],
                ))  # fmt: skip
        coll = self._coll
        for i in range(0, len(ops), UPDATE_ID_CHUNK):
            coll.bulk_write(ops[i : i + UPDATE_ID_CHUNK], ordered=False)

    @translate_errors
    def clone(self, name: str | None = None) -> Dataset:
        """A new dataset holding copies of these samples (same ids, same files).

        Example:
            >>> backup = dataset.clone("cifar-backup")
        """
        from .dataset import staged_dataset

        src = self._dataset
        # visible only once every sample is copied; a dataset holding a filepath
        # twice clones into one that allows it too
        with staged_dataset(name, unique_filepaths=src.unique_filepaths) as new:
            target = new._doc.sample_collection_name
            self._coll.aggregate(self._pipeline() + [{"$merge": {"into": target}}],
                                 allowDiskUse=True)  # fmt: skip
            new._merge_schema({k: f for k, f in src._schema.items() if k not in new._schema})
            new._doc.info = dict(src._doc.info)
            new._class_targets_load({k: copy.deepcopy(getattr(src._doc, k))
                                     for k in class_targets.STORED})  # fmt: skip
        return new

    # -- export (dataset_core/exporters.py) ---------------------------------------

    @translate_errors
    def export(
        self,
        export_dir: str | os.PathLike[str] | None = None,
        dataset_type: Any = None,
        data_path: str | os.PathLike[str] | None = None,
        labels_path: str | os.PathLike[str] | None = None,
        export_media: bool | str | None = None,
        rel_dir: str | None = None,
        label_field: str | None = None,
        overwrite: bool = False,
        **kwargs: Any,
    ) -> exporters.ExportReport:
        """Write these samples to disk in one format (FiftyOne's arguments).

        Args:
            export_dir: the directory; created if missing.
            dataset_type: a :mod:`dataset_core.types` class or instance
                (``ImageDirectory``, ``ImageClassificationDirectoryTree``,
                ``FiftyOneImageClassificationDataset``,
                ``FiftyOneImageDetectionDataset``, ``CSVDataset``,
                ``FiftyOneDataset``) or our key (``"images-dir"``,
                ``"image-classification-dir-tree"``, ``"manifest"``...).
                Default: the classification tree when ``label_field`` is
                given, else the manifest.
            data_path: where the media go (absolute, or relative to ``export_dir``).
            labels_path: the labels file (absolute, or relative to ``export_dir``);
                alone, a labels-only export.
            export_media: True (default with ``export_dir``) copies the images,
                ``"symlink"`` links them, False writes labels only and keeps
                the original paths. ``"move"`` is refused: an export never
                moves your files.
            rel_dir: exported media keep their path relative to this folder.
            label_field: the label field, for formats with one (default: the
                first field of a fitting type).
            overwrite: write into a non-empty ``export_dir`` (or over an
                existing labels file); files the export does not write are
                kept, never deleted.
            **kwargs: the format's own options (e.g. ``include_confidence``,
                ``abs_paths``, CSV ``fields``).

        Returns:
            An :class:`~dataset_core.exporters.ExportReport` (counts, renamed files).

        Raises:
            ExportError: an unknown type, a non-empty directory without
                ``overwrite``, a bad label field, or a value with no JSON form.
            MediaError: some images could not be copied (the message names them).

        Example:
            >>> dataset.export("/tmp/export", fo.types.ImageClassificationDirectoryTree,
            ...                label_field="ground_truth")
        """
        return exporters.export_collection(
            self, export_dir, dataset_type, data_path, labels_path, export_media, rel_dir,
            label_field, overwrite, **kwargs,
        )  # fmt: skip

    # -- end export -----------------------------------------------------------------

    # -- view stages (dataset_core/stages/, dataset_core/view.py) -------------------
    # Each method is one line over its stage; see the stage for the arguments.

    def _view_stages(self) -> tuple[ViewStage, ...]:
        return ()

    def _add_stage(self, stage: ViewStage) -> DatasetView:
        """A new view: this collection's stages plus ``stage``, checked against it."""
        from .view import DatasetView

        stage.validate(self)
        return DatasetView(self._dataset, (*self._view_stages(), stage))

    def view(self) -> DatasetView:
        """A view of every sample (of this collection)."""
        from .view import DatasetView

        return DatasetView(self._dataset, self._view_stages())

    def match(self, filter: dict[str, Any] | ViewExpression) -> DatasetView:
        """Samples matching a query dict or an F expression; see :class:`Match`."""
        return self._add_stage(Match(filter))

    def match_tags(self, tags: Any, bool: bool = True, all: bool = False) -> DatasetView:
        """Samples with (``bool=False``: without) any/all of ``tags``; see :class:`MatchTags`."""
        return self._add_stage(MatchTags(tags, bool=bool, all=all))

    def exists(self, field: str, bool: bool = True) -> DatasetView:
        """Samples whose ``field`` is set (``bool=False``: unset); see :class:`Exists`."""
        return self._add_stage(Exists(field, bool=bool))

    def select(self, sample_ids: Any, ordered: bool = False) -> DatasetView:
        """Samples with the given ids (or those of a view); see :class:`Select`."""
        return self._add_stage(Select(_ids_of(sample_ids), ordered=ordered))

    def exclude(self, sample_ids: Any) -> DatasetView:
        """Samples except those with the given ids (or a view's); see :class:`Exclude`."""
        return self._add_stage(Exclude(_ids_of(sample_ids)))

    def select_fields(self, field_names: Any = None) -> DatasetView:
        """Samples with only these (and the default) fields; see :class:`SelectFields`."""
        return self._add_stage(SelectFields(field_names))

    def exclude_fields(self, field_names: Any) -> DatasetView:
        """Samples without these fields; see :class:`ExcludeFields`."""
        return self._add_stage(ExcludeFields(field_names))

    def set_field(self, field: str, expr: Any, _allow_missing: bool = False) -> DatasetView:
        """Samples with ``field`` set to ``expr`` (not saved until ``view.save()``);
        see :class:`SetField`."""
        return self._add_stage(SetField(field, expr, _allow_missing=_allow_missing))

    def sort_by(self, field_or_expr: str | ViewExpression, reverse: bool = False) -> DatasetView:
        """Samples sorted by a field or an expression; see :class:`SortBy`."""
        return self._add_stage(SortBy(field_or_expr, reverse=reverse))

    def limit(self, limit: int) -> DatasetView:
        """The first ``limit`` samples; see :class:`Limit`."""
        return self._add_stage(Limit(limit))

    def skip(self, skip: int) -> DatasetView:
        """All but the first ``skip`` samples; see :class:`Skip`."""
        return self._add_stage(Skip(skip))

    def take(self, size: int, seed: int | None = None) -> DatasetView:
        """``size`` random samples, reproducible with ``seed``; see :class:`Take`."""
        return self._add_stage(Take(size, seed=seed))

    def shuffle(self, seed: int | None = None) -> DatasetView:
        """The samples in random order, reproducible with ``seed``; see :class:`Shuffle`."""
        return self._add_stage(Shuffle(seed=seed))

    def filter_labels(self, field: str, filter: Any, only_matches: bool = True,
                      trajectories: bool = False) -> DatasetView:  # fmt: skip
        """Samples whose ``field`` labels are filtered by ``filter``; see :class:`FilterLabels`."""
        return self._add_stage(FilterLabels(field, filter, only_matches, trajectories))

    def filter_field(self, field: str, filter: ViewExpression,
                     only_matches: bool = True) -> DatasetView:  # fmt: skip
        """Samples with ``field`` shown only where ``filter`` holds; see :class:`FilterField`."""
        return self._add_stage(FilterField(field, filter, only_matches))

    def group_by(self, field: str, order_by: str | None = None) -> DatasetView:
        """Samples ordered so equal ``field`` values are contiguous; see :class:`GroupBy`."""
        return self._add_stage(GroupBy(field, order_by=order_by))

    def mongo(self, pipeline: list[dict[str, Any]]) -> DatasetView:
        """Samples through raw aggregation steps; see :class:`Mongo`."""
        return self._add_stage(Mongo(pipeline))

    def _slice(self, key: slice) -> DatasetView:
        start, stop, step = key.start or 0, key.stop, key.step
        bad = [v for v in (start, stop) if v is not None and (not isinstance(v, int) or v < 0)]
        if bad or step not in (None, 1):
            raise ViewError(
                f"Slice views with non-negative ints and no step, like [10:20]; got {key}"
            )
        view = self.skip(start) if start else self.view()
        return view.limit(max(stop - start, 0)) if stop is not None else view

    def __getitem__(self, key: Any) -> Any:
        """``collection[a:b]``: a view of samples ``a`` to ``b - 1`` (skip, then limit)."""
        if isinstance(key, slice):
            return self._slice(key)
        raise TypeError(f"{type(self).__name__} indices are slices; got {key!r}")

    @translate_errors
    def count_sample_tags(self) -> dict[str, int]:
        """Tag -> number of this collection's samples carrying it.

        Example:
            >>> dataset.match_tags("train").count_sample_tags()
            {'hard': 3, 'train': 40}
        """
        docs = self._aggregate(
            [{"$unwind": "$tags"}, {"$group": {"_id": "$tags", "n": {"$sum": 1}}}]
        )
        return {d["_id"]: d["n"] for d in sorted(docs, key=lambda d: d["_id"])}

    @translate_errors
    def tag_samples(self, tags: str | list[str]) -> None:
        """Add ``tags`` to every sample of this collection, in bulk.

        Example:
            >>> dataset.match(F("uniqueness") < 0.1).tag_samples("dup")
        """
        tags = list(check_names(tags, "tag_samples tags", allow_empty=False))
        self._update_matching(
            {"tags": {"$not": {"$all": tags}}}, {"$addToSet": {"tags": {"$each": tags}}}
        )

    @translate_errors
    def untag_samples(self, tags: str | list[str]) -> None:
        """Remove ``tags`` from every sample of this collection, in bulk."""
        tags = list(check_names(tags, "tag_samples tags", allow_empty=False))
        self._update_matching({"tags": {"$in": tags}}, {"$pull": {"tags": {"$in": tags}}})

    def _update_matching(self, query: dict[str, Any], update: dict[str, Any]) -> None:
        """Apply ``update`` to this collection's samples that match ``query``."""
        update = {**update, "$set": {"last_modified_at": utcnow()}}
        coll = self._coll
        if not self._pipeline():
            coll.update_many(query, update)
            self._dataset._reload_samples()
            return
        docs = self._aggregate([{"$match": query}, {"$project": {"_id": 1}}])
        ids = [d["_id"] for d in docs]
        for i in range(0, len(ids), UPDATE_ID_CHUNK):
            coll.update_many({"_id": {"$in": ids[i : i + UPDATE_ID_CHUNK]}}, update)
        self._dataset._reload_samples(ids)

    # -- end view stages --------------------------------------------------------------

    def sort_by_similarity(
        self, query: Any, k: int | None = None, reverse: bool = False,
        dist_field: str | None = None, brain_key: str | None = None,
    ) -> DatasetView:  # fmt: skip
        """The ``k`` samples of this collection most similar to ``query``, nearest first.

        Uses the saved similarity index ``brain_key`` (``brain.compute_similarity``),
        or the dataset's only similarity run when no key is given, loaded for
        this collection as it is now: the result never holds a sample outside
        it. ``query`` is a sample id, a list of ids, an image path or a vector;
        ``reverse`` puts the farthest first (``k`` then counts from there).

        Raises:
            ViewError: no key given and zero or several similarity runs, or a
                key that is not a similarity run.
        """
        sims = self.list_brain_runs("similarity")
        if brain_key is None:
            if len(sims) != 1:
                what = "no similarity run" if not sims else f"several similarity runs: {sims}"
                raise ViewError(
                    f"sort_by_similarity needs brain_key: {self._describe()} has {what}; "
                    "compute one with brain.compute_similarity(...) or pass brain_key="
                )
            brain_key = sims[0]
        index = self.load_brain_results(brain_key)
        if not hasattr(index, "sort_by_similarity"):
            raise ViewError(f"Brain run {brain_key!r} is not a similarity index; those: {sims}")
        return index.sort_by_similarity(query, k=k, reverse=reverse, dist_field=dist_field)

    # -- brain runs (dataset_core/runs.py) ------------------------------------------

    def list_brain_runs(self, type: Any = None, method: str | None = None,  # noqa: A002
                        **kwargs: Any) -> list[str]:  # fmt: skip
        """The brain keys of the dataset, sorted; ``type`` (``"similarity"``...),
        ``method`` (``"umap"``...) and config values filter them (see runs)."""
        return runs.list_brain_runs(self, type, method, **kwargs)

    def has_brain_run(self, brain_key: str) -> bool:
        """Whether the dataset has a brain run ``brain_key``."""
        return runs.has_brain_run(self, brain_key)

    def get_brain_info(self, brain_key: str) -> runs.BrainRunInfo:
        """The record of brain run ``brain_key`` (method, config, time, view)."""
        return runs.get_brain_info(self, brain_key)

    def load_brain_results(self, brain_key: str, cache: bool = True, load_view: bool = True,
                           **kwargs: Any) -> Any:  # fmt: skip
        """The results of brain run ``brain_key``, for this collection as it is now
        (a similarity run: its index; a visualization: its points)."""
        return runs.load_brain_results(self, brain_key, cache, load_view, **kwargs)

    def rename_brain_run(self, brain_key: str, new_brain_key: str) -> None:
        """Rename brain run ``brain_key`` to ``new_brain_key``."""
        runs.rename_brain_run(self, brain_key, new_brain_key)

    def delete_brain_run(self, brain_key: str) -> None:
        """Delete brain run ``brain_key`` and its stored results (fields stay)."""
        runs.delete_brain_run(self, brain_key)

    def delete_brain_runs(self) -> None:
        """Delete every brain run of the dataset."""
        runs.delete_brain_runs(self)

    def _describe(self) -> str:
        return f"Dataset {self._dataset.name!r}"


def _check_declared(dataset: Dataset, field: str, pairs: list[tuple[Any, Any]],
                    per_label: bool) -> None:  # fmt: skip
    """Values for a declared path inside documents (``"gt.detections.iscrowd"``) must
    fit its field, as a whole field's values are checked on write."""
    declared = resolve_path(dataset._schema, field)
    if declared is None or type(declared) is Field:
        return
    try:
        for _, value in pairs:
            for v in (value or []) if per_label else (value,):
                declared.validate(v)
    except FieldValueError as e:
        raise FieldValueError(f"set_values({field!r}): {e}") from None


def _ids_of(samples: Any) -> Any:
    """The ids of a collection's samples; anything else as given (ids, samples)."""
    return samples.values("_id") if isinstance(samples, SampleCollection) else samples
