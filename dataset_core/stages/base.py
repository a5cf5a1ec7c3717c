"""The stage base class, and the argument checks and JSON forms stages share."""

from __future__ import annotations

import inspect
import json
import random
import reprlib
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from bson import ObjectId, json_util
from bson.errors import BSONError

from ..errors import ViewError
from ..expressions import ViewExpression

if TYPE_CHECKING:
    from ..collection import SampleCollection
    from ..dataset import Dataset
    from ..fields import Field

Pipeline = list[dict[str, Any]]
"""Aggregation steps."""

_INT64 = 2**63

_repr = reprlib.Repr()
_repr.maxlist = _repr.maxtuple = 4
_repr.maxdict = 8
_repr.maxstring = 80
_repr.maxother = 200
_repr.maxlevel = 6


class ViewStage:
    """Base of every view stage: validation, compilation, JSON round trip.

    Subclasses take their arguments in ``__init__``, return them by name from
    :meth:`_args`, and compile in :meth:`to_pipeline`. Each registers itself
    under its class name for :meth:`from_dict`.
    """

    __slots__ = ()
    _registry: ClassVar[dict[str, type[ViewStage]]] = {}
    #: whether the stage makes a new collection (:meth:`load_view`) instead of
    #: steps over its input (``ToPatches``)
    has_view: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):  # private bases are not stages
            ViewStage._registry[cls.__name__] = cls

    # -- what subclasses provide ----------------------------------------------

    def _args(self) -> dict[str, Any]:
        """The constructor's arguments by name, as given (after normalising)."""
        raise NotImplementedError

    def to_pipeline(self, dataset: Dataset, first: bool = False) -> Pipeline:
        """The aggregation steps of this stage.

        Args:
            dataset: the dataset the view runs on (schema, collection names).
            first: whether the stage's input is the whole dataset, which lets
                a big selection start from its ids instead of every sample.
        """
        raise NotImplementedError

    def load_view(self, collection: SampleCollection) -> Any:
        """``collection`` through this stage: a new view with it appended (a stage
        that :attr:`has_view` returns the collection it makes instead)."""
        return collection._add_stage(self)

    def validate(self, collection: SampleCollection) -> None:
        """Check the stage against the collection it is added to.

        Raises:
            FieldNotFoundError: a field the schema does not have.
            ViewError: anything else that does not fit the collection.
        """

    def field_schema(self, schema: dict[str, Field], dataset: Dataset) -> dict[str, Field]:
        """The top-level field schema of the samples this stage outputs, given the
        schema of its input (stages that select or exclude fields change it)."""
        return schema

    def partial_fields(self) -> tuple[str, ...]:
        """The top-level fields whose documents this stage shows only in part
        (``select_fields("gt.label")``): writing them back would lose the rest."""
        return ()

    def hidden_label_fields(self, dataset: Dataset) -> tuple[str, ...]:
        """The label fields some of whose labels this stage may leave out."""
        return ()

    @classmethod
    def _decode(cls, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The constructor's arguments from their JSON form."""
        return {k: from_json(v) for k, v in kwargs.items()}

    # -- shared ---------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JSON-safe form ``{"_cls": "Match", "kwargs": {...}}``."""
        return {"_cls": type(self).__name__,
                "kwargs": {k: to_json(v) for k, v in self._args().items()}}  # fmt: skip

    @staticmethod
    def from_dict(d: Any) -> ViewStage:
        """Rebuild a stage from :meth:`to_dict` output.

        Raises:
            ViewError: not a stage dict, an unknown ``_cls``, missing or unknown
                kwargs, or arguments the stage rejects; the message lists what
                is valid.

        Example:
            >>> ViewStage.from_dict({"_cls": "Limit", "kwargs": {"limit": 10}})
            Limit(10)
        """
        stages = sorted(ViewStage._registry)
        if not isinstance(d, dict) or "_cls" not in d or set(d) - {"_cls", "kwargs"}:
            raise ViewError(
                f"A stage dict is {{'_cls': <stage>, 'kwargs': {{...}}}}; got {d!r:.120}"
            )
        name, kwargs = d["_cls"], d.get("kwargs", {})
        cls = ViewStage._registry.get(name) if isinstance(name, str) else None
        if cls is None:
            raise ViewError(f"Unknown stage {name!r}; stages: {stages}")
        names = [p.name for p in params(cls)]
        if not isinstance(kwargs, dict):
            raise ViewError(f"{name} kwargs must be a dict of {names}; got {kwargs!r:.120}")
        unknown = sorted(set(kwargs) - set(names))
        missing = [p.name for p in params(cls) if p.default is p.empty and p.name not in kwargs]
        if unknown or missing:
            what = f"unknown kwargs {unknown}" if unknown else f"missing kwargs {missing}"
            raise ViewError(f"{name} stage dict has {what}; {name} takes {names}")
        try:
            return cls(**cls._decode(kwargs))
        except (TypeError, ValueError, BSONError) as e:
            if isinstance(e, ViewError):
                raise
            raise ViewError(f"Bad {name} stage dict {kwargs!r:.120}: {e}") from None

    def _key(self) -> Any:
        return json.dumps(self.to_dict(), sort_keys=True)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ViewStage):
            return NotImplemented
        return type(self) is type(other) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def __repr__(self) -> str:
        args, parts = self._args(), []
        for i, p in enumerate(params(type(self))):
            value = args[p.name]
            if i == 0:
                parts.append(_repr.repr(value))
            elif not (type(value) is type(p.default) and value == p.default):
                parts.append(f"{p.name}={_repr.repr(value)}")
        return f"{type(self).__name__}({', '.join(parts)})"


# -- argument checks and JSON ----------------------------------------------


def nothing() -> dict[str, Any]:
    """A step that matches no sample, at once, through the _id index (``$limit: 0``
    is not allowed)."""
    return {"$match": {"_id": {"$in": []}}}


@cache
def params(cls: type[ViewStage]) -> tuple[inspect.Parameter, ...]:
    """A stage class's constructor parameters, in order (``self`` left out)."""
    return tuple(inspect.signature(cls.__init__).parameters.values())[1:]


def to_json(value: Any) -> Any:
    """A stage argument in JSON form: expressions as ``{"$expr": ...}``, BSON types as
    Extended JSON."""
    if isinstance(value, ViewExpression):
        return value.to_dict()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return json.loads(json_util.dumps(value, json_options=json_util.RELAXED_JSON_OPTIONS))


def from_json(value: Any) -> Any:
    """Inverse of :func:`to_json` for everything but expressions."""
    return json_util.loads(json.dumps(value))


def from_json_expr(value: Any) -> Any:
    """Inverse of :func:`to_json`: ``{"$expr": ...}`` becomes a ViewExpression."""
    if isinstance(value, dict) and list(value) == ["$expr"]:
        return ViewExpression.from_dict(value)
    return from_json(value)


def plain(value: Any, where: str) -> Any:
    """``value`` as data MongoDB and JSON can both hold, or a ViewError naming the bad part."""
    if value is None or isinstance(value, (bool, str, float, ObjectId, datetime)):
        return value
    if isinstance(value, int):
        if not -_INT64 <= value < _INT64:
            raise ViewError(f"{where} = {value} does not fit in 64 bits")
        return value
    if isinstance(value, ViewExpression):
        return value.to_mongo()
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        return plain(value.item(), where)
    if isinstance(value, (list, tuple)):
        return [plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise ViewError(f"{where} has a key {bad[0]!r} that is not a str")
        return {k: plain(v, f"{where}.{k}") for k, v in value.items()}
    raise ViewError(
        f"{where} is {value!r:.60} of type {type(value).__name__}, which a view cannot "
        "hold; use None, bool, int, float, str, datetime, ObjectId, or lists and dicts of them"
    )


def is_name(value: Any) -> bool:
    """Whether ``value`` is a non-empty string."""
    return isinstance(value, str) and bool(value)


def check_name(value: Any, what: str) -> str:
    """``value`` if it is a field name, else a ViewError about ``what``."""
    if not is_name(value):
        raise ViewError(f"{what} must be a field name (a non-empty str); got {value!r:.80}")
    return value


def check_names(value: Any, what: str, allow_empty: bool) -> tuple[str, ...]:
    """A str, or a list/tuple/set of them, as a tuple without repeats."""
    items = [value] if isinstance(value, str) else value
    if isinstance(items, (set, frozenset)):
        items = sorted(items, key=str)
    ok = isinstance(items, (list, tuple)) and all(is_name(s) for s in items)
    if not ok or (not items and not allow_empty):
        raise ViewError(
            f"{what} must be a str or a {'' if allow_empty else 'non-empty '}list of str; "
            f"got {value!r:.80} ({type(value).__name__})"
        )
    return tuple(dict.fromkeys(items))


def check_flag(value: Any, what: str) -> bool:
    """``value`` if it is a bool (not merely truthy), else a ViewError."""
    if not isinstance(value, bool):
        raise ViewError(f"{what} must be True or False; got {value!r:.80}")
    return value


def check_count(value: Any, what: str) -> int:
    """``value`` if it is an int >= 0 (not a bool), else a ViewError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ViewError(f"{what} must be an int >= 0; got {value!r:.80}")
    return value


def check_seed(value: Any, stage: str) -> int:
    """An int seed; None draws one now, so the stage keeps it from call to call."""
    if value is None:
        return random.randrange(2**31)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ViewError(f"{stage} seed must be an int or None; got {value!r:.80}")
    return value
