"""Views: a dataset seen through a chain of stages.

A :class:`DatasetView` is ``(dataset, (stage, stage, ...))`` and immutable: each
stage method returns a new view. Everything a view reads (``len``, iteration,
``values``, aggregations, the server's pages) runs the one pipeline that is the
concatenation of its stages' steps, compiled afresh on each call so that it
follows the dataset's schema.

Example:
    >>> view = dataset.match(F("uniqueness") > 0.8).sort_by("uniqueness", reverse=True)
    >>> view.limit(10).values("filepath")
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo.errors import ExecutionTimeout, OperationFailure

from . import view_writes
from .collection import SampleCollection
from .db import translate_errors
from .errors import SampleIndexError, SampleNotFoundError, ViewError
from .sample import Sample
from .sample_view import SampleView
from .stages import Exclude, ViewStage

#: largest id list whose exclusion is counted through the _id index (one $in query)
EXCLUDE_COUNT_MAX_IDS = 100_000
#: how long :meth:`DatasetView.validate` lets MongoDB look for a view's first sample:
#: parse errors come back in a millisecond, and a check must not cost a user a
#: second page load; a slower view is accepted unchecked (its pages still say
#: what fails, if anything does)
VALIDATE_TIME_MS = 250
#: how many samples (in stored order) :meth:`DatasetView.validate` runs the view on:
#: MongoDB parses the whole pipeline anyway, and a sort or a rare match then costs
#: a millisecond instead of a scan of every sample (90 ms on 100k for a sort)
VALIDATE_SAMPLES = 1000
#: steps MongoDB accepts only first in a pipeline (no sample limit before them)
_FIRST_ONLY = frozenset({"$geoNear", "$search", "$searchMeta", "$vectorSearch", "$collStats",
                         "$indexStats", "$documents", "$changeStream", "$currentOp"})  # fmt: skip
#: MongoDB's prefix on errors raised while running (not parsing) a pipeline
_RUNTIME_PREFIX = " :: caused by :: "

if TYPE_CHECKING:
    from .dataset import Dataset


class DatasetView(SampleCollection):
    """A read-only, chainable selection of a dataset's samples.

    Build views from a dataset (``dataset.view()``, ``dataset.match(...)``)
    rather than with this constructor, which does not validate its stages.

    Args:
        dataset: the dataset the view reads.
        stages: the stages, applied in order.
    """

    def __init__(self, dataset: Dataset, stages: Iterable[ViewStage] = ()):
        self._root = dataset
        self._stages: tuple[ViewStage, ...] = tuple(stages)
        self._name: str | None = None

    # -- identity ---------------------------------------------------------------

    @property
    def _dataset(self) -> Dataset:
        return self._root

    @property
    def dataset(self) -> Dataset:
        """The dataset this view reads."""
        return self._root

    @property
    def dataset_name(self) -> str:
        """The name of the dataset this view reads."""
        return self._root.name

    @property
    def name(self) -> str | None:
        """The saved view's name when loaded with ``load_saved_view``, else None.

        Read-only, as in FiftyOne: save a view under a name with
        ``dataset.save_view(name, view)``.
        """
        return self._name

    @property
    def is_saved(self) -> bool:
        """Whether this view was loaded from a saved view."""
        return self._name is not None

    @property
    def stages(self) -> tuple[ViewStage, ...]:
        """The view's stages, in order."""
        return self._stages

    def _view_stages(self) -> tuple[ViewStage, ...]:
        return self._stages

    def count(self, field: Any = None, expr: Any = None, safe: bool = False) -> int:
        """The number of samples (or of values of ``field``); see :class:`Count`."""
        if field is None and expr is None and len(self._stages) == 1:
            stage = self._stages[0]
            if type(stage) is Exclude and len(stage._ids) <= EXCLUDE_COUNT_MAX_IDS:
                # all but some ids: the total minus the ids present, both answered by
                # the _id index, instead of a $nin scan over every document
                return self._count_documents() - self._count_ids(list(stage._ids))
        return super().count(field, expr, safe=safe)

    @translate_errors
    def _count_ids(self, ids: list[ObjectId]) -> int:
        return self._coll.count_documents({"_id": {"$in": ids}})

    def _pipeline(self) -> list[dict[str, Any]]:
        steps: list[dict[str, Any]] = []
        for stage in self._stages:
            steps += stage.to_pipeline(self._root, first=not steps)
        return steps

    def view(self) -> DatasetView:
        """This view (views are immutable)."""
        return self

    @translate_errors
    def validate(self) -> DatasetView:
        """Check that MongoDB runs this view, cheaply: its pipeline, for one sample.

        MongoDB parses every step first, so a misspelt operator
        (``{"uniqueness": {"$gtt": 0.5}}``) or a bad argument fails here at once;
        an expression that fails on values (``$divide`` by a string) fails when a
        sample reaches it: the view runs on the first :data:`VALIDATE_SAMPLES`
        samples until one comes out, for at most :data:`VALIDATE_TIME_MS`, so
        the check costs about the same on any dataset (a failure on later
        samples is left to the reads, whose error names the stage too).

        Returns:
            This view, so that ``session.view = view.validate()`` reads.

        Raises:
            ViewError: one line naming the first stage that fails, as
                ``stages[i] <stage>``, and MongoDB's message.

        Example:
            >>> dataset.match({"uniqueness": {"$gtt": 0.5}}).validate()
            ViewError: stages[0] Match({'uniqueness': {'$gtt': 0.5}}) fails on MongoDB: ...
        """
        reason = self._failure(len(self._stages), whole=False) if self._stages else None
        if reason is not None:
            raise ViewError(self._failure_message(whole=False) or reason)
        return self

    def _failure_message(self, whole: bool) -> str | None:
        """``stages[i] <stage> fails on MongoDB: <why>`` for the first stage whose
        prefix of the view fails (``whole``: on every sample, else on the first one
        it passes), or None when every prefix runs. For failures only: one query
        per stage, each bounded by VALIDATE_TIME_MS."""
        for i, stage in enumerate(self._stages):
            reason = self._failure(i + 1, whole)
            if reason is not None:
                text = repr(stage) if len(repr(stage)) <= 100 else repr(stage)[:97] + "..."
                return f"stages[{i}] {text} fails on MongoDB: {reason}; fix or remove that stage"
        return None

    def _failure(self, n: int, whole: bool) -> str | None:
        """MongoDB's one-line message when the view's first ``n`` stages fail, or None."""
        steps: list[dict[str, Any]] = []
        for stage in self._stages[:n]:
            steps += stage.to_pipeline(self._root, first=not steps)
        tail = [{"$count": "n"}] if whole else [{"$limit": 1}, {"$project": {"_id": 1}}]
        if not whole and steps and next(iter(steps[0])) not in _FIRST_ONLY:
            steps = [{"$limit": VALIDATE_SAMPLES}, *steps]
        try:
            list(self._coll.aggregate(steps + tail, maxTimeMS=VALIDATE_TIME_MS,
                                      allowDiskUse=True))  # fmt: skip
        except ExecutionTimeout:
            return None  # slow, not known to be wrong
        except OperationFailure as e:
            if getattr(e, "timeout", False):
                return None
            text = str((e.details or {}).get("errmsg") or e).splitlines()[0]
            return text.rsplit(_RUNTIME_PREFIX, 1)[-1][:300]
        return None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DatasetView):
            return NotImplemented
        return self._root is other._root and self._stages == other._stages

    def __hash__(self) -> int:
        return hash((id(self._root), self._stages))

    # -- writing back (dataset_core/view_writes.py) --------------------------------

    @translate_errors
    def save(self, fields: Any = None) -> None:
        """Write the view's contents of its samples to the dataset: values set with
        ``set_field``, labels left after ``filter_labels``... become the stored ones.

        Samples outside the view are kept. With ``fields=None`` every field the
        view shows is written and the fields it leaves out (``exclude_fields``,
        ``select_fields``) are deleted from the dataset, as in FiftyOne; pass
        ``fields`` to write only those and delete nothing.

        Raises:
            FieldNotFoundError: a field in ``fields`` that the view does not show.

        Example:
            >>> dataset.set_field("gt.detections.label", F("label").upper()).save()
        """
        view_writes.save_view(self, fields)

    @translate_errors
    def keep_fields(self) -> None:
        """Delete from the dataset the fields this view leaves out (every sample)."""
        view_writes.keep_fields(self)

    # -- samples by id ------------------------------------------------------------

    def __getitem__(self, key: Any) -> Any:
        """A slice (``view[10:20]``), or the sample with that id or filepath in the view.

        Raises:
            SampleNotFoundError: no such sample in the view.
        """
        if isinstance(key, slice):
            return self._slice(key)
        if isinstance(key, int):
            raise SampleIndexError(
                f"Samples are not looked up by position (got {key!r}); use an id or a "
                f"filepath, or a slice such as view[{key}:{key + 1}]"
            )
        if isinstance(key, Sample):
            key = key.id
        if isinstance(key, ObjectId) or (isinstance(key, str) and ObjectId.is_valid(key)):
            query: dict[str, Any] = {"_id": ObjectId(key)}
        elif isinstance(key, str):
            query = {"filepath": key}
        else:
            raise SampleNotFoundError(f"Samples are looked up by id or filepath; got {key!r}")
        docs = list(translate_errors(self._aggregate)([{"$match": query}, {"$limit": 1}]))
        if not docs:
            raise SampleNotFoundError(f"No sample {key!r} in {self._describe()}")
        return SampleView._of_view(docs[0], self, partial=True)

    # -- description and JSON -----------------------------------------------------

    def _describe(self) -> str:
        return f"the view of dataset {self._root.name!r}"

    def summary(self) -> str:
        """The dataset's name, media type, number of samples, and the stages."""
        lines = [
            f"Dataset:     {self._root.name}",
            f"Media type:  {self._root.media_type}",
            f"Num samples: {len(self)}",
            "View stages:",
        ]
        lines += [f"    {i}. {stage!r}" for i, stage in enumerate(self._stages, 1)]
        if not self._stages:
            lines.append("    ---")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form ``{"dataset": name, "stages": [stage dicts]}``."""
        return {"dataset": self._root.name, "stages": [s.to_dict() for s in self._stages]}

    @classmethod
    def from_dict(cls, dataset: Dataset, d: Any) -> DatasetView:
        """Rebuild a view of ``dataset`` from :meth:`to_dict` output or a list of stage dicts.

        Each stage is validated against the view built so far, as when chaining;
        a ``ToPatches`` makes the patches of the view so far, and the stages after
        it apply to them (``patches.to_dict()`` round-trips). The ``"dataset"``
        entry is informational: the stages apply to ``dataset``.

        Raises:
            ViewError: a malformed view or stage dict.
            FieldNotFoundError: a stage names a field the dataset does not have.

        Example:
            >>> view = DatasetView.from_dict(dataset, json.loads(text))
        """
        stages = d.get("stages") if isinstance(d, dict) else d
        if not isinstance(stages, list):
            raise ViewError(
                "A view dict is {'dataset': name, 'stages': [stage dicts]} or a list of "
                f"stage dicts; got {d!r:.120}"
            )
        view = cls(dataset)
        for i, sd in enumerate(stages):
            try:
                stage = ViewStage.from_dict(sd)
            except ViewError as e:
                raise ViewError(f"stages[{i}]: {e}") from None
            view = stage.load_view(view)
        return view
