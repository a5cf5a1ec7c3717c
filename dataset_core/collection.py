"""What datasets and views share: reading samples through one pipeline.

A :class:`SampleCollection` is a dataset or a view of one. Everything it reads
(``len``, iteration, ``values``, ``first``...) runs the collection's single
aggregation pipeline (:meth:`_pipeline`) on the dataset's sample collection; a
dataset's pipeline is empty, which lets it take faster ``find`` paths.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo.errors import ConnectionFailure

from .db import translate_errors
from .db.connection import database_error
from .fields import from_mongo
from .sample import Sample

if TYPE_CHECKING:
    from pymongo.collection import Collection

    from .dataset import Dataset

#: documents per round trip while iterating; big batches amortise latency
ITER_BATCH_SIZE = 10_000


class SampleCollection:
    """Base of :class:`Dataset` and its views: the read API over one pipeline."""

    # -- what subclasses provide ---------------------------------------------

    @property
    def _dataset(self) -> Dataset:
        raise NotImplementedError

    def _pipeline(self) -> list[dict[str, Any]]:
        """The aggregation steps that select and order this collection's samples."""
        raise NotImplementedError

    # -- shared ---------------------------------------------------------------

    @property
    def _coll(self) -> Collection[dict[str, Any]]:
        return self._dataset._sample_coll()

    def _aggregate(self, extra: list[dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
        pipeline = self._pipeline() + (extra or [])
        return self._coll.aggregate(pipeline, allowDiskUse=True, batchSize=ITER_BATCH_SIZE)

    @translate_errors
    def count(self, field: str | None = None) -> int:
        """The number of samples, or of non-None values of ``field``."""
        if field is None:
            if not self._pipeline():
                return self._coll.count_documents({})
            docs = list(self._aggregate([{"$count": "n"}]))
            return docs[0]["n"] if docs else 0
        self._dataset._check_path(field)
        docs = list(self._aggregate([{"$match": {field: {"$ne": None}}}, {"$count": "n"}]))
        return docs[0]["n"] if docs else 0

    def __len__(self) -> int:
        return self.count()

    def __bool__(self) -> bool:
        return True  # a collection is an object, not a container test

    def iter_samples(self, progress: bool = False) -> Iterator[Sample]:
        """Yield the samples in order, as :class:`Sample` objects."""
        dataset = self._dataset
        pipeline = self._pipeline()
        if pipeline:
            cursor = self._aggregate()
        else:
            cursor = self._coll.find({}, batch_size=ITER_BATCH_SIZE)
        if progress:
            from .progress import progress_bar

            cursor = progress_bar(cursor, total=len(self), desc="samples")
        from_doc = Sample._from_doc
        try:
            for doc in cursor:
                yield from_doc(doc, dataset)
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
        return Sample._from_doc(docs[0], self._dataset)

    @translate_errors
    def last(self) -> Sample:
        """The last sample.

        Raises:
            ValueError: the collection is empty.
        """
        if not self._pipeline():
            docs = list(self._coll.find({}).sort("$natural", -1).limit(1))
        else:
            docs = list(self._aggregate())[-1:]
        if not docs:
            raise ValueError(f"{self._describe()} is empty")
        return Sample._from_doc(docs[-1], self._dataset)

    @translate_errors
    def head(self, num_samples: int = 3) -> list[Sample]:
        """The first ``num_samples`` samples, as a list."""
        docs = self._aggregate([{"$limit": int(num_samples)}])
        return [Sample._from_doc(d, self._dataset) for d in docs]

    @translate_errors
    def values(self, field: str) -> list[Any]:
        """The value of ``field`` (a dotted path is fine) for every sample, in order.

        Example:
            >>> labels = dataset.values("ground_truth.label")
        """
        if field in ("id", "_id"):
            docs = self._aggregate([{"$project": {"_id": 1}}])
            ids = [d["_id"] for d in docs]
            return ids if field == "_id" else [str(i) for i in ids]
        path = self._dataset._check_path(field)
        docs = self._aggregate([{"$project": {"_id": 0, "v": "$" + path}}])
        if "." in path:
            return [d.get("v") for d in docs]
        return [from_mongo(d.get("v")) for d in docs]

    @translate_errors
    def set_values(self, field: str, values: Any, key_field: str = "id") -> None:
        """Set ``field`` on many samples in one bulk write.

        Args:
            field: the field (or dotted path into an existing field) to set.
            values: a list aligned with this collection's order, or a dict
                keyed by ``key_field`` values (ids by default).
            key_field: with a dict, the field its keys refer to.

        Raises:
            ValueError: a list whose length differs from the collection's.
            SchemaError: values that conflict with the field's type.
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
        dataset._set_values_by_id(field, pairs)

    @translate_errors
    def clone(self, name: str | None = None) -> Dataset:
        """A new dataset holding copies of these samples (same ids, same files).

        Example:
            >>> backup = dataset.clone("cifar-backup")
        """
        from .dataset import Dataset

        src = self._dataset
        new = Dataset(name)
        target = new._doc.sample_collection_name
        self._coll.aggregate(self._pipeline() + [{"$merge": {"into": target}}], allowDiskUse=True)
        new._merge_schema({k: f for k, f in src._schema.items() if k not in new._schema})
        new._doc.classes = list(src._doc.classes)
        new._doc.info = dict(src._doc.info)
        new.save()
        return new

    def _describe(self) -> str:
        return f"Dataset {self._dataset.name!r}"
