"""Build MongoDB aggregation expressions (the ``$expr`` language) with Python operators.

``F("field")`` names a field; operators and methods on it build a :class:`ViewExpression`
whose :meth:`~ViewExpression.to_mongo` is the plain form for ``$match``, ``$addFields`` etc.::

    ((F("ground_truth.label") == "cat") & (F("uniqueness") > 0.5)).to_mongo()
    # {"$and": [{"$eq": ["$ground_truth.label", "cat"]}, {"$gt": ["$uniqueness", 0.5]}]}

The ``$$this`` convention: ``filter`` and ``map`` bind the list element to the variable
``this`` (``"as": "this"``), so inside them ``F("confidence")`` compiles to
``"$$this.confidence"`` and ``F()`` to ``"$$this"``; at top level ``F()`` is the whole
document, ``"$$CURRENT"``. A nested filter/map rebinds ``this`` to its own element, so the
outer element cannot be referenced from inside it.

Python values are literals: strings starting with ``$`` are wrapped in ``{"$literal": s}``
so they are never read as field paths.

``F("$name")`` is bound to the sample: ``"$$ROOT.name"`` at any depth, so a condition
on each label (``filter``, ``map``, ``filter_labels``, ``set_field``) can read a
field of the sample that holds it, as in FiftyOne.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from bson import ObjectId, json_util

from .errors import ViewError

ELEMENT_VAR = "this"
"""Name bound to the current list element by ``filter`` and ``map``."""

_ELEMENT_PREFIX = f"$${ELEMENT_VAR}."
#: what ``F("$name")`` compiles to: the sample's own field, even inside a list operation or
#: a stage that reads fields relative to a label (it survives the JSON round trip as is)
_ROOT_PREFIX = "$$ROOT."
_SCALARS = (type(None), bool, int, float, str, datetime, ObjectId)
Strs = str | Iterable[str]
"""A str, or a list, tuple or set of str."""


def _convert(value: Any, wrap_strings: bool) -> Any:
    """Validate ``value`` and make it a form: lists for tuples/sets, literals.

    Args:
        value: a Python value, possibly holding expressions in lists/dicts.
        wrap_strings: wrap strings starting with ``$`` in ``$literal`` (user
            values) or keep them verbatim (already compiled forms).

    Raises:
        TypeError: for a value MongoDB cannot store, e.g. an arbitrary object.
    """
    if isinstance(value, ViewExpression):
        return value
    if isinstance(value, str):
        return {"$literal": value} if wrap_strings and value[:1] == "$" else value
    if isinstance(value, _SCALARS):
        return value
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return _convert(value.item(), wrap_strings)  # numpy scalar
    if isinstance(value, (list, tuple)):
        return [_convert(v, wrap_strings) for v in value]
    if isinstance(value, (set, frozenset)):
        try:
            items = sorted(value)
        except TypeError:
            items = list(value)
        return [_convert(v, wrap_strings) for v in items]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError(f"Expression dict keys must be str, got {value!r}")
        return {k: _convert(v, wrap_strings) for k, v in value.items()}
    raise TypeError(
        f"Cannot use {value!r} of type {type(value).__name__} in an expression; "
        "use None, bool, int, float, str, datetime, ObjectId, or lists/dicts of them"
    )


def _compile(form: Any, prefix: str | None) -> Any:
    """Compile the expressions nested anywhere in ``form`` to plain data."""
    if isinstance(form, ViewExpression):
        return form.to_mongo(prefix=prefix)
    if isinstance(form, list):
        return [_compile(v, prefix) for v in form]
    if isinstance(form, dict):
        return {k: _compile(v, prefix) for k, v in form.items()}
    return form


def _strings(value: Strs, what: str) -> list[str]:
    """Return ``value`` as a non-empty list of strings or raise TypeError."""
    if isinstance(value, str):
        return [value]
    items = list(value) if isinstance(value, (list, tuple, set, frozenset)) else []
    if not items or not all(isinstance(s, str) for s in items):
        raise TypeError(f"{what} needs a str or a non-empty list of str, got {value!r}")
    return items


def _operator(op: str, reflected: bool = False) -> Callable[..., ViewExpression]:
    """Make the method of a binary Python operator that builds ``{op: [a, b]}``."""

    def method(self: ViewExpression, other: Any) -> ViewExpression:
        return self._rop(op, other) if reflected else self._op(op, other)

    method.__doc__ = f"Build ``{{{op!r}: [...]}}``."
    return method


class ViewExpression:
    """A MongoDB aggregation expression; combine with operators and methods.

    Build expressions from :data:`F`. ``ViewExpression(form)`` wraps an already-compiled
    form verbatim (``"$a"`` stays a field path); it is what :meth:`from_dict` returns.

    Example: ``ViewExpression({"$gt": ["$confidence", 0.5]}).to_match()``
    """

    __hash__ = None  # type: ignore[assignment]  # == builds an expression

    def __init__(self, form: Any = None) -> None:
        self._form = _convert(form, wrap_strings=False)

    def _op(self, op: str, *args: Any) -> ViewExpression:
        """Return ``{op: [self, *args]}`` with ``args`` as user literals."""
        return ViewExpression({op: [self, *(_convert(a, True) for a in args)]})

    def _rop(self, op: str, other: Any) -> ViewExpression:
        return ViewExpression({op: [_convert(other, True), self]})

    def _unary(self, op: str) -> ViewExpression:
        return ViewExpression({op: self})

    def _or_empty(self) -> ViewExpression:
        return ViewExpression({"$ifNull": [self, []]})

    # -- compilation and serialisation -------------------------------------

    def to_mongo(self, prefix: str | None = None) -> Any:
        """Return the MongoDB form as plain dicts, lists and scalars.

        Args:
            prefix: what replaces ``$`` before field names, e.g. ``"$$this."``
                inside a list operation; ``None`` for top level.

        Example: ``(F("a") + 1).to_mongo()`` gives ``{"$add": ["$a", 1]}``
        """
        return _compile(self._form, prefix)

    def to_match(self) -> dict[str, Any]:
        """Return the query of a ``$match`` stage: ``{"$expr": to_mongo()}``.

        Example: ``coll.aggregate([{"$match": (F("n") > 2).to_match()}])``
        """
        return {"$expr": self.to_mongo()}

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"$expr": form}`` in JSON-safe form (Extended JSON).

        Datetimes become ``{"$date": ...}`` (UTC, millisecond precision, as
        MongoDB stores them) and ObjectIds ``{"$oid": ...}``.

        Example: ``json.dumps((F("n") > 2).to_dict())``
        """
        text = json_util.dumps(self.to_mongo(), json_options=json_util.RELAXED_JSON_OPTIONS)
        return {"$expr": json.loads(text)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ViewExpression:
        """Rebuild an expression from :meth:`to_dict` output.

        Raises:
            ViewError: if ``d`` is not a dict with an ``"$expr"`` key.

        Example: ``ViewExpression.from_dict(json.loads(text))``
        """
        if not isinstance(d, dict) or set(d) != {"$expr"}:
            raise ViewError(f"An expression dict is {{'$expr': ...}}, got {d!r}")
        return cls(json_util.loads(json.dumps(d["$expr"])))

    def __repr__(self) -> str:
        return f"ViewExpression({self.to_mongo()!r})"

    # -- Python protocols that would silently do the wrong thing -----------

    def __bool__(self) -> bool:
        raise TypeError(
            "A ViewExpression has no truth value; use & | ~ instead of "
            "and/or/not, and (a < F('x')) & (F('x') < b) instead of a < F('x') < b"
        )

    def __iter__(self) -> Any:  # else __getitem__ would make it endlessly iterable
        raise TypeError("A ViewExpression is not iterable; use .contains(), .map()")

    def __getitem__(self, index: int) -> ViewExpression:
        """Return the list element at ``index`` (negative counts from the end).

        Example: ``F("tags")[0]`` gives ``{"$arrayElemAt": ["$tags", 0]}``
        """
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(
                f"Expressions can only be indexed by int, got {index!r} "
                f"({type(index).__name__}); write F('a.b') for a subfield"
            )
        return self._op("$arrayElemAt", index)

    # -- operators: Python operator -> MongoDB operator ---------------------
    # The reflected (r-) versions serve a Python value on the left: 3 - F("x").

    __eq__ = _operator("$eq")  # type: ignore[assignment]
    __ne__ = _operator("$ne")  # type: ignore[assignment]
    __lt__, __le__ = _operator("$lt"), _operator("$lte")
    __gt__, __ge__ = _operator("$gt"), _operator("$gte")
    __add__, __radd__ = _operator("$add"), _operator("$add", True)
    __sub__, __rsub__ = _operator("$subtract"), _operator("$subtract", True)
    __mul__, __rmul__ = _operator("$multiply"), _operator("$multiply", True)
    __truediv__, __rtruediv__ = _operator("$divide"), _operator("$divide", True)
    __mod__, __rmod__ = _operator("$mod"), _operator("$mod", True)
    __pow__, __rpow__ = _operator("$pow"), _operator("$pow", True)

    def __neg__(self) -> ViewExpression:
        return self._rop("$multiply", -1)

    def _args_of(self, op: str) -> list[Any]:
        """The operands of ``self`` if it is an ``op`` node, else ``[self]``."""
        form = self._form
        if type(self) is ViewExpression and isinstance(form, dict):
            if list(form) == [op] and isinstance(form[op], list):
                return list(form[op])
        return [self]

    def _logic(self, op: str, left: Any, right: Any) -> ViewExpression:
        """``{op: [...]}`` of both sides, flattening nested ``op`` nodes."""
        args = []
        for side in (left, right):
            side = _convert(side, True)
            args += side._args_of(op) if isinstance(side, ViewExpression) else [side]
        return ViewExpression({op: args})

    def __and__(self, other: Any) -> ViewExpression:
        return self._logic("$and", self, other)

    def __rand__(self, other: Any) -> ViewExpression:
        return self._logic("$and", other, self)

    def __or__(self, other: Any) -> ViewExpression:
        return self._logic("$or", self, other)

    def __ror__(self, other: Any) -> ViewExpression:
        return self._logic("$or", other, self)

    def __invert__(self) -> ViewExpression:
        return ViewExpression({"$not": [self]})

    # -- numbers ------------------------------------------------------------

    def __abs__(self) -> ViewExpression:
        return self.abs()

    def abs(self) -> ViewExpression:
        """Absolute value; ``abs(F("x"))`` does the same."""
        return self._unary("$abs")

    def round(self, places: int = 0) -> ViewExpression:
        """Round to ``places`` decimals (half to even, as MongoDB does)."""
        return self._op("$round", places)

    def floor(self) -> ViewExpression:
        """Largest integer less than or equal to the number."""
        return self._unary("$floor")

    def ceil(self) -> ViewExpression:
        """Smallest integer greater than or equal to the number."""
        return self._unary("$ceil")

    def trunc(self, places: int = 0) -> ViewExpression:
        """Drop the digits after ``places`` decimals (towards zero); a negative
        ``places`` zeroes digits left of the point."""
        return self._op("$trunc", places)

    # Python's math.floor/ceil/trunc and round() call these, as in FiftyOne:
    # math.ceil(F("x")) == 1 builds an expression instead of failing on a non-number
    def __floor__(self) -> ViewExpression:
        return self.floor()

    def __ceil__(self) -> ViewExpression:
        return self.ceil()

    def __trunc__(self) -> ViewExpression:
        return self.trunc()

    def __round__(self, places: int | None = None) -> ViewExpression:
        return self.round(places or 0)

    def sqrt(self) -> ViewExpression:
        """Square root."""
        return self._unary("$sqrt")

    def log(self, base: float | None = None) -> ViewExpression:
        """Logarithm in ``base``; the natural logarithm if ``base`` is None.

        Example: ``F("area").log(10)`` gives ``{"$log": ["$area", 10]}``
        """
        return self._unary("$ln") if base is None else self._op("$log", base)

    def max(self, value: Any = None) -> ViewExpression:
        """The larger of this and ``value``; without ``value``, the largest element
        of the list this expression is (None for an empty list).

        Example: ``F("n").max(0)`` clips negative values to 0
        """
        return self._unary("$max") if value is None else self._op("$max", value)

    def min(self, value: Any = None) -> ViewExpression:
        """The smaller of this and ``value``; without ``value``, the smallest element
        of the list this expression is (None for an empty list)."""
        return self._unary("$min") if value is None else self._op("$min", value)

    def sum(self) -> ViewExpression:
        """The sum of the numbers in the list this expression is (0 when empty)."""
        return self._unary("$sum")

    def mean(self) -> ViewExpression:
        """The mean of the numbers in the list this expression is (None when empty)."""
        return self._unary("$avg")

    # -- general ------------------------------------------------------------

    def exists(self, bool: bool = True) -> ViewExpression:
        """True when the value is present and not null (null counts as missing).

        Args:
            bool: ``False`` to test the opposite: missing or null.

        Example: ``F("ground_truth").exists()`` gives ``{"$gt": ["$ground_truth", None]}``
        """
        # In aggregation order missing < null < everything else.
        present = self._op("$gt", None)
        return present if bool else ~present

    def is_null(self) -> ViewExpression:
        """True when the value is present and null (a missing field is not)."""
        return self._op("$eq", None)

    def is_in(self, values: Iterable[Any] | ViewExpression) -> ViewExpression:
        """True when the value is one of ``values``.

        Example: ``F("label").is_in(["cat", "dog"])`` gives ``{"$in": ["$label", ["cat", "dog"]]}``
        """
        if isinstance(values, (str, bytes, dict)):
            raise TypeError(f"is_in() needs a list of values, got {values!r}")
        if not isinstance(values, ViewExpression):
            values = list(values)
        return self._op("$in", values)

    def if_else(self, true_expr: Any, false_expr: Any) -> ViewExpression:
        """``true_expr`` where this expression is true, else ``false_expr``.

        Example: ``(F("n") > 0).if_else("pos", "neg")``
        """
        then, other = _convert(true_expr, True), _convert(false_expr, True)
        return ViewExpression({"$cond": {"if": self, "then": then, "else": other}})

    def type(self) -> ViewExpression:
        """BSON type name of the value, e.g. ``"string"``, ``"missing"``."""
        return self._unary("$type")

    def to_string(self) -> ViewExpression:
        """The value converted to a string."""
        return self._unary("$toString")

    # -- strings ------------------------------------------------------------

    def lower(self) -> ViewExpression:
        """The string in lower case."""
        return self._unary("$toLower")

    def upper(self) -> ViewExpression:
        """The string in upper case."""
        return self._unary("$toUpper")

    def strlen(self) -> ViewExpression:
        """Number of characters in the string; 0 when missing or null."""
        return ViewExpression({"$strLenCP": {"$ifNull": [self, ""]}})

    def re_match(self, regex: str, options: str | None = None) -> ViewExpression:
        """True when the string matches ``regex`` (PCRE; null/missing: false).

        Args:
            regex: the pattern, matched anywhere unless anchored.
            options: MongoDB regex options, e.g. ``"i"`` for case-insensitive.

        Example: ``F("filepath").re_match(r"\\.png$", "i")``
        """
        spec = {"input": self, "regex": _convert(regex, True)}
        if options is not None:
            spec["options"] = options
        return ViewExpression({"$regexMatch": spec})

    def _match_any(self, strs: list[str], pattern: str, case: bool) -> ViewExpression:
        alternatives = "|".join(re.escape(s) for s in strs)
        return self.re_match(pattern.format(alternatives), None if case else "i")

    def starts_with(self, str_or_strs: Strs, case_sensitive: bool = True) -> ViewExpression:
        """True when the string starts with (any of) the given prefixes.

        Example: ``F("filepath").starts_with(["/data/a", "/data/b"])``
        """
        strs = _strings(str_or_strs, "starts_with()")
        return self._match_any(strs, "^(?:{})", case_sensitive)

    def ends_with(self, str_or_strs: Strs, case_sensitive: bool = True) -> ViewExpression:
        """True when the string ends with (any of) the given suffixes.

        Example: ``F("filepath").ends_with([".jpg", ".png"], case_sensitive=False)``
        """
        strs = _strings(str_or_strs, "ends_with()")
        return self._match_any(strs, "(?:{})$", case_sensitive)

    def contains_str(self, str_or_strs: Strs, case_sensitive: bool = True) -> ViewExpression:
        """True when the string contains (any of) the given substrings.

        Example: ``F("filepath").contains_str("/train/")``
        """
        strs = _strings(str_or_strs, "contains_str()")
        return self._match_any(strs, "(?:{})", case_sensitive)

    def matches_str(self, str_or_strs: Strs, case_sensitive: bool = True) -> ViewExpression:
        """True when the whole string equals (any of) the given strings.

        Example: ``F("label").matches_str(["Cat", "Dog"], case_sensitive=False)``
        """
        strs = _strings(str_or_strs, "matches_str()")
        if not case_sensitive:
            return self._match_any(strs, "^(?:{})$", False)
        return self == strs[0] if len(strs) == 1 else self.is_in(strs)

    # -- lists --------------------------------------------------------------

    def length(self) -> ViewExpression:
        """Number of elements of the list; 0 when missing or null.

        Example: ``F("tags").length()`` gives ``{"$size": {"$ifNull": ["$tags", []]}}``
        """
        return ViewExpression({"$size": self._or_empty()})

    def contains(self, value_or_values: Any, all: bool = False) -> ViewExpression:
        """True when the list holds the value, or any/all of a list of values.

        A list, tuple or set argument means several values; anything else
        (including an expression) is a single value. Missing lists hold nothing.

        Args:
            value_or_values: the value, or the values, to look for.
            all: with several values, require all of them instead of any.

        Example: ``F("tags").contains(["train", "val"], all=True)``
        """
        if not isinstance(value_or_values, (list, tuple, set, frozenset)):
            return ViewExpression({"$in": [_convert(value_or_values, True), self._or_empty()]})
        values = _convert(value_or_values, True)
        if all:
            return ViewExpression({"$setIsSubset": [values, self._or_empty()]})
        common = ViewExpression({"$setIntersection": [self._or_empty(), values]})
        return ViewExpression({"$size": common}) > 0

    def filter(self, expr: Any) -> ViewExpression:
        """The elements of the list for which ``expr`` is true.

        Inside ``expr``, ``F("x")`` is the element's field ``x`` (``"$$this.x"``)
        and ``F()`` the element itself (``"$$this"``).

        Example: ``F("detections").filter(F("confidence") > 0.5).length()``
        """
        spec = {"input": self._or_empty(), "as": ELEMENT_VAR, "cond": _Element(expr)}
        return ViewExpression({"$filter": spec})

    def map(self, expr: Any) -> ViewExpression:
        """The list with each element replaced by ``expr`` evaluated on it.

        Elements are referenced as in :meth:`filter`.

        Example: ``F("detections").map(F("label").upper())``
        """
        spec = {"input": self._or_empty(), "as": ELEMENT_VAR, "in": _Element(expr)}
        return ViewExpression({"$map": spec})

    def reduce(self, expr: Any, init_val: Any = 0) -> ViewExpression:
        """Fold the list into one value: ``expr`` combines the value so far,
        :data:`VALUE`, with each element in turn, starting from ``init_val``.

        Elements are referenced as in :meth:`filter`; an empty or missing list
        gives ``init_val``.

        Example: ``F("detections").reduce(VALUE + F("confidence"), init_val=0.0)``
        """
        spec = {"input": self._or_empty(), "initialValue": _convert(init_val, True),
                "in": _Element(expr)}  # fmt: skip
        return ViewExpression({"$reduce": spec})


class _Element(ViewExpression):
    """The body of a ``filter``/``map``: compiles fields as ``$$this.`` paths."""

    def __init__(self, expr: Any) -> None:
        super().__init__()
        self._form = _convert(expr, wrap_strings=True)

    def to_mongo(self, prefix: str | None = None) -> Any:
        return _compile(self._form, _ELEMENT_PREFIX)


class ViewField(ViewExpression):
    """A reference to a field, by dotted name; ``F()`` is the current element.

    Example::

        F("ground_truth.label").to_mongo()  # "$ground_truth.label"
        F().to_mongo()  # "$$CURRENT"
    """

    def __init__(self, name: str = "") -> None:
        if not isinstance(name, str):
            raise TypeError(f"A field name is a str, got {name!r}")
        if name.startswith("$$") or name == "$":
            raise ValueError(
                f"F({name!r}): write a field name, or '$name' for a field of the sample "
                "itself (e.g. F('$uniqueness'))"
            )
        super().__init__()
        self.name = name

    def to_mongo(self, prefix: str | None = None) -> str:
        if self.name.startswith("$"):  # bound to the sample, wherever it is used
            return f"{_ROOT_PREFIX}{self.name[1:]}"
        if prefix is None:
            return f"${self.name}" if self.name else "$$CURRENT"
        return f"{prefix}{self.name}" if self.name else prefix.rstrip(".")

    def __repr__(self) -> str:
        return f"F({self.name!r})" if self.name else "F()"


F = ViewField
"""Short alias of :class:`ViewField`: ``F("label") == "cat"``."""


class _Accumulator(ViewExpression):
    """The value folded so far inside :meth:`ViewExpression.reduce` (``$$value``)."""

    def to_mongo(self, prefix: str | None = None) -> str:
        return "$$value"  # MongoDB's name for it in $reduce, at any depth inside

    def __repr__(self) -> str:
        return "VALUE"


VALUE = _Accumulator()
"""The value accumulated so far in :meth:`ViewExpression.reduce` (FiftyOne's ``VALUE``)."""
