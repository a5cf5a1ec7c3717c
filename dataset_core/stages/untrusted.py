"""Views from outside the process (HTTP): stage dicts as data, never as MongoDB queries.

Python code may use every stage, raw query dicts and ``Mongo`` steps: the user
wrote them. A view that arrives over HTTP is built by :func:`view_from_untrusted`
instead, which

- accepts only the stages in :data:`SAFE_STAGES` (no ``Mongo``), whose
  arguments are field names, values and F expressions;
- accepts a ``Match`` filter only as an F expression (``{"$expr": ...}``) or as
  the dashboard sidebar's one-field filter ``{path: value}`` /
  ``{path: {"$in" | "$nin" | "$gte" | ...: values}}``, never a query of its own;
- refuses JSON nested deeper than :data:`MAX_DEPTH`;
- then compiles the view and checks every step against :data:`PIPELINE_STEPS`
  and every operator inside against :data:`QUERY_OPERATORS` and
  :data:`EXPRESSION_OPERATORS`: no ``$where``, ``$function``, ``$accumulator``,
  ``$lookup`` (except into this library's own id collections), ``$unionWith``
  (same), ``$graphLookup``, ``$out``, ``$merge``, ``$collStats``, ``$currentOp``...

:func:`check_no_writes` is what every view (from Python too) runs on raw steps:
``$out`` and ``$merge`` are refused anywhere in a view or a saved view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ViewError
from ..fields import DEFAULT_FIELDS
from . import idsets
from .base import ViewStage

if TYPE_CHECKING:
    from ..dataset import Dataset
    from ..view import DatasetView

#: how a stage that makes a collection (``ToPatches``) is applied: ``(view, stage) -> view``
LoadView = Callable[["DatasetView", ViewStage], "DatasetView"]

#: stages a view from HTTP may use
SAFE_STAGES = frozenset({
    "Match", "MatchTags", "Exists", "Select", "Exclude", "SortBy", "Limit", "Skip", "Take",
    "Shuffle", "GroupBy", "SelectFields", "ExcludeFields", "FilterLabels", "SelectLabels",
    "ExcludeLabels", "MatchLabels", "SetField", "FilterField", "LimitLabels", "MapLabels",
    "ToPatches",
})  # fmt: skip
#: deepest nesting of lists and dicts in a view from HTTP
MAX_DEPTH = 32
#: aggregation steps the safe stages compile to
PIPELINE_STEPS = frozenset({
    "$match", "$sort", "$skip", "$limit", "$project", "$addFields", "$set", "$unset",
    "$replaceRoot", "$unwind", "$lookup", "$unionWith",
})  # fmt: skip
#: steps that read another collection: allowed only into the id collections
_READS_OTHER = ("$lookup", "$unionWith")
#: query-language operators (inside ``$match``)
QUERY_OPERATORS = frozenset({
    "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$and", "$or", "$nor", "$not",
    "$exists", "$type", "$all", "$size", "$elemMatch", "$regex", "$options", "$mod", "$expr",
})  # fmt: skip
#: aggregation-expression operators (inside ``$expr``, ``$addFields``...)
EXPRESSION_OPERATORS = frozenset({
    # comparison and logic
    "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$cmp", "$and", "$or", "$not", "$in",
    "$cond", "$ifNull", "$switch", "$literal", "$let", "$type", "$isNumber", "$isArray",
    # arithmetic
    "$add", "$subtract", "$multiply", "$divide", "$mod", "$pow", "$abs", "$ceil", "$floor",
    "$round", "$trunc", "$sqrt", "$ln", "$log", "$log10", "$exp",
    # strings
    "$toLower", "$toUpper", "$toString", "$strLenCP", "$strLenBytes", "$substrCP", "$concat",
    "$regexMatch", "$trim", "$ltrim", "$rtrim", "$split", "$indexOfCP",
    # arrays and objects
    "$size", "$arrayElemAt", "$first", "$last", "$filter", "$map", "$reduce", "$slice",
    "$concatArrays", "$indexOfArray", "$reverseArray", "$setIntersection", "$setUnion",
    "$setDifference", "$setIsSubset", "$setEquals", "$anyElementTrue", "$allElementTrue",
    "$mergeObjects", "$max", "$min", "$sum", "$avg", "$range", "$zip",
    # conversion
    "$toInt", "$toLong", "$toDouble", "$toDecimal", "$toBool", "$toDate", "$toObjectId",
    "$convert", "$year", "$month", "$dayOfMonth", "$hour", "$minute",
})  # fmt: skip
#: operators the sidebar's one-field filter may use
FIELD_FILTER_OPERATORS = frozenset({"$in", "$nin", "$eq", "$ne", "$gt", "$gte", "$lt", "$lte",
                                    "$exists"})  # fmt: skip
#: steps that write: refused in every view
WRITE_STEPS = frozenset({"$out", "$merge"})


def view_from_untrusted(dataset: Dataset, stages: Any,
                        load_view: LoadView | None = None) -> DatasetView:  # fmt: skip
    """The view of ``dataset`` through ``stages`` (stage dicts from HTTP), checked.

    One ``ToPatches`` may appear: the stages before it are checked on ``dataset``,
    the patches are made (by ``load_view(view so far, stage)``: the server's
    cache; by default ``stage.load_view(view)``), and the stages after it are
    checked on the patches.

    Raises:
        ViewError: a stage, argument or operator a view from outside may not use;
            the message names it and says what is allowed.
        FieldNotFoundError: a stage names a field the dataset does not have.
    """
    from ..view import DatasetView

    if not isinstance(stages, list):
        raise ViewError(f"A view is a list of stage dicts; got {stages!r:.80}")
    _check_depth(stages, 0)
    for i, sd in enumerate(stages):
        name = sd.get("_cls") if isinstance(sd, dict) else None
        if isinstance(name, str) and name not in SAFE_STAGES:
            raise ViewError(
                f"stages[{i}]: {name} stages are not accepted from the dashboard; use "
                f"{sorted(SAFE_STAGES)} (raw MongoDB steps are for Python code)"
            )
        if name == "Match" and isinstance(sd.get("kwargs"), dict):
            _check_match_filter(sd["kwargs"].get("filter"), i)
        if name == "SetField" and isinstance(sd.get("kwargs"), dict):
            _check_set_field(sd["kwargs"], i)
    cuts = [i for i, sd in enumerate(stages)
            if isinstance(sd, dict) and sd.get("_cls") == "ToPatches"]  # fmt: skip
    if len(cuts) > 1:
        raise ViewError(f"stages[{cuts[1]}]: a view from the dashboard has one ToPatches at most")
    cut = cuts[0] if cuts else len(stages)
    view = DatasetView.from_dict(dataset, stages[:cut])
    _check_compiled(view, 0)
    if cut == len(stages):
        return view
    try:
        stage = ViewStage.from_dict(stages[cut])
    except ViewError as e:
        raise ViewError(f"stages[{cut}]: {e}") from None
    stage.validate(view)
    view = (load_view or _load_view)(view, stage)
    for i, sd in enumerate(stages[cut + 1 :], cut + 1):
        try:
            view = view._add_stage(ViewStage.from_dict(sd))
        except ViewError as e:
            raise ViewError(f"stages[{i}]: {e}") from None
    _check_compiled(view, cut + 1)
    return view


def _load_view(view: DatasetView, stage: ViewStage) -> DatasetView:
    return stage.load_view(view)


def _check_compiled(view: DatasetView, first: int) -> None:
    """Check the steps of each of ``view``'s own stages (numbered from ``first``)."""
    dataset = view.dataset
    steps: list[dict[str, Any]] = []
    for i, stage in enumerate(view.stages, first):
        compiled = stage.to_pipeline(dataset, first=not steps)
        try:
            check_pipeline(compiled, dataset._sample_coll().name)
        except ViewError as e:
            raise ViewError(f"stages[{i}] ({type(stage).__name__}): {e}") from None
        steps += compiled


def _check_set_field(kwargs: dict[str, Any], i: int) -> None:
    """A SetField from HTTP changes what the view shows of a user field, nothing else:
    never ``filepath``, ids, tags, metadata or private fields (the server trusts
    those), never a field the schema lacks."""
    field = kwargs.get("field")
    top = field.split(".", 1)[0].removesuffix("[]") if isinstance(field, str) else None
    if top is None or top in DEFAULT_FIELDS or top.startswith("_"):
        raise ViewError(
            f"stages[{i}]: a SetField from the dashboard sets a user field; got {field!r:.80} "
            f"(default fields {list(DEFAULT_FIELDS)} and private ones are read-only there)"
        )
    if kwargs.get("_allow_missing", False) is not False:
        raise ViewError(f"stages[{i}]: SetField _allow_missing is for Python code")


def _check_depth(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ViewError(f"The view nests deeper than {MAX_DEPTH} levels; simplify it")
    if isinstance(value, dict):
        for v in value.values():
            _check_depth(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _check_depth(v, depth + 1)


def _check_match_filter(f: Any, i: int) -> None:
    """A Match filter from HTTP: an F expression or the sidebar's one-field filter."""
    if isinstance(f, dict) and list(f) == ["$expr"]:
        return  # checked with the compiled pipeline
    ok = isinstance(f, dict) and len(f) == 1 and not str(next(iter(f))).startswith("$")
    if ok:
        cond = next(iter(f.values()))
        if isinstance(cond, dict) and not _is_extended_json(cond):
            ok = bool(cond) and all(
                k in FIELD_FILTER_OPERATORS and _is_value(v) for k, v in cond.items()
            )
        else:
            ok = _is_value(cond)
    if not ok:
        raise ViewError(
            f"stages[{i}]: a Match filter from the dashboard is an F expression "
            "({'$expr': ...}) or {field: value} / {field: {'$in'|'$gte'|...: values}}; "
            f"got {f!r:.100}"
        )


def _is_extended_json(d: dict[str, Any]) -> bool:
    return list(d) in (["$oid"], ["$date"])


def _is_value(v: Any) -> bool:
    """A plain value or a list of them (no operators inside)."""
    if isinstance(v, list):
        return all(_is_value(x) and not isinstance(x, list) for x in v)
    if isinstance(v, dict):
        return _is_extended_json(v)
    return v is None or isinstance(v, (bool, int, float, str))


def check_pipeline(steps: list[dict[str, Any]], samples: str) -> None:
    """Check compiled steps against the allow-lists; ``$lookup``/``$unionWith`` may
    read only the id collections and ``samples`` (the view's own sample collection).

    Raises:
        ViewError: a step or operator that is not allowed, named.
    """
    for step in steps:
        if not isinstance(step, dict) or len(step) != 1:
            raise ViewError(f"a step must be a dict with one operator; got {step!r:.80}")
        ((op, arg),) = step.items()
        if op not in PIPELINE_STEPS:
            raise ViewError(f"the step {op} is not allowed in a view from the dashboard")
        if op in _READS_OTHER:
            target = arg.get("from") if op == "$lookup" else arg.get("coll")
            if not (isinstance(target, str) and (target.startswith(idsets.PREFIX)
                                                 or target == samples)):  # fmt: skip
                raise ViewError(f"{op} of collection {target!r} is not allowed")
            check_pipeline(arg.get("pipeline") or [], samples)
            continue
        if op in ("$skip", "$limit"):
            if isinstance(arg, bool) or not isinstance(arg, int):
                raise ViewError(f"{op} takes an int; got {arg!r:.80}")
        elif op == "$match":
            _check_query(arg)
        elif op == "$sort":
            _check_names(arg)
        elif op == "$unset":
            if not all(isinstance(x, str) and not x.startswith("$") for x in
                       ([arg] if isinstance(arg, str) else arg)):  # fmt: skip
                raise ViewError(f"$unset takes field names; got {arg!r:.80}")
        elif op == "$unwind":
            if not (isinstance(arg, str) and arg.startswith("$") and not arg.startswith("$$")):
                raise ViewError(f"$unwind takes a field path; got {arg!r:.80}")
        elif op == "$replaceRoot":
            _check_expression(arg.get("newRoot") if isinstance(arg, dict) else arg)
        else:  # $project, $addFields, $set: field names to expressions
            _check_names(arg)
            for value in arg.values():
                _check_expression(value)


def _check_names(arg: Any) -> None:
    if not isinstance(arg, dict) or any(str(k).startswith("$") for k in arg):
        raise ViewError(f"expected field names; got {arg!r:.80}")


def _check_query(q: Any) -> None:
    if isinstance(q, list):
        for part in q:
            _check_query(part)
        return
    if not isinstance(q, dict):
        return
    for key, value in q.items():
        if key.startswith("$"):
            if key not in QUERY_OPERATORS:
                raise ViewError(f"the query operator {key} is not allowed from the dashboard")
            if key == "$expr":
                _check_expression(value)
                continue
        _check_query(value)


def _check_expression(e: Any) -> None:
    if isinstance(e, list):
        for part in e:
            _check_expression(part)
        return
    if not isinstance(e, dict):
        return
    for key, value in e.items():
        if key == "$literal":
            continue
        if key.startswith("$"):
            if key not in EXPRESSION_OPERATORS:
                raise ViewError(f"the expression operator {key} is not allowed from the dashboard")
        if key == "vars" and isinstance(value, dict):
            for v in value.values():
                _check_expression(v)
            continue
        _check_expression(value)


def check_no_writes(steps: Any, where: str) -> None:
    """Refuse ``$out`` and ``$merge`` anywhere in ``steps`` (sub-pipelines too).

    Raises:
        ViewError: naming the step; a view never writes.
    """
    if isinstance(steps, dict):
        for key, value in steps.items():
            if key in WRITE_STEPS:
                raise ViewError(
                    f"{where} holds a {key} step; a view never writes (it would replace a "
                    "collection whenever the view is read): use dataset.clone() or "
                    "dataset.aggregate() for that"
                )
            check_no_writes(value, where)
    elif isinstance(steps, list):
        for value in steps:
            check_no_writes(value, where)
