"""Tests of dataset_core.expressions: compilation tables, errors, round trips.

All but the last test are pure compilation and need no database. The last
evaluates expressions in the real embedded mongod, in a throw-away database.
"""

from __future__ import annotations

import copy
import json
import math
from datetime import datetime
from typing import Any

import numpy as np
import pytest
from bson import ObjectId

from dataset_core.errors import ViewError
from dataset_core.expressions import ELEMENT_VAR, VALUE, F, ViewExpression, ViewField

OID = ObjectId("65a1b2c3d4e5f60718293a4b")
WHEN = datetime(2024, 1, 2, 3, 4, 5, 123000)  # millisecond precision, as BSON
GT_A1 = {"$gt": ["$a", 1]}
LT_B2 = {"$lt": ["$b", 2]}
EQ_C3 = {"$eq": ["$c", 3]}


def _in(value: Any, field: str) -> dict[str, Any]:
    return {"$in": [value, {"$ifNull": [field, []]}]}


def _regex(field: str, regex: str, options: str | None = None) -> dict[str, Any]:
    spec = {"input": field, "regex": regex}
    if options is not None:
        spec["options"] = options
    return {"$regexMatch": spec}


def _list_op(op: str, key: str, field: str, body: Any) -> dict[str, Any]:
    return {op: {"input": {"$ifNull": [field, []]}, "as": "this", key: body}}


SUCCESS = [
    # fields
    pytest.param(F("ground_truth.label"), "$ground_truth.label", id="field-dotted"),
    pytest.param(F(), "$$CURRENT", id="field-current"),
    pytest.param(F(""), "$$CURRENT", id="field-empty"),
    pytest.param(ViewField("a"), "$a", id="viewfield-alias"),
    # comparisons
    pytest.param(F("a") == 3, {"$eq": ["$a", 3]}, id="eq"),
    pytest.param(F("a") != "x", {"$ne": ["$a", "x"]}, id="ne"),
    pytest.param(F("a") < 1, {"$lt": ["$a", 1]}, id="lt"),
    pytest.param(F("a") <= 1.5, {"$lte": ["$a", 1.5]}, id="le"),
    pytest.param(F("a") > 1, GT_A1, id="gt"),
    pytest.param(F("a") >= 1, {"$gte": ["$a", 1]}, id="ge"),
    pytest.param(3 < F("a"), {"$gt": ["$a", 3]}, id="reflected-lt"),
    pytest.param(F("a") == F("b"), {"$eq": ["$a", "$b"]}, id="eq-two-fields"),
    pytest.param(F("a") == None, {"$eq": ["$a", None]}, id="eq-none"),  # noqa: E711
    pytest.param(F("a") == True, {"$eq": ["$a", True]}, id="eq-bool"),  # noqa: E712
    # logic
    pytest.param((F("a") > 1) & (F("b") < 2), {"$and": [GT_A1, LT_B2]}, id="and"),
    pytest.param((F("a") > 1) | (F("b") < 2), {"$or": [GT_A1, LT_B2]}, id="or"),
    pytest.param(~(F("a") > 1), {"$not": [GT_A1]}, id="not"),
    pytest.param(
        (F("a") > 1) & (F("b") < 2) & (F("c") == 3),
        {"$and": [GT_A1, LT_B2, EQ_C3]},
        id="and-flattened-left",
    ),
    pytest.param(
        (F("a") > 1) & ((F("b") < 2) & (F("c") == 3)),
        {"$and": [GT_A1, LT_B2, EQ_C3]},
        id="and-flattened-right",
    ),
    pytest.param(
        (F("a") > 1) | (F("b") < 2) | (F("c") == 3),
        {"$or": [GT_A1, LT_B2, EQ_C3]},
        id="or-flattened",
    ),
    pytest.param(
        ((F("a") > 1) & (F("b") < 2)) | (F("c") == 3),
        {"$or": [{"$and": [GT_A1, LT_B2]}, EQ_C3]},
        id="and-inside-or-kept",
    ),
    pytest.param(True & F("a"), {"$and": [True, "$a"]}, id="reflected-and"),
    pytest.param(False | F("a"), {"$or": [False, "$a"]}, id="reflected-or"),
    # arithmetic
    pytest.param(F("a") + 1, {"$add": ["$a", 1]}, id="add"),
    pytest.param(1 + F("a"), {"$add": [1, "$a"]}, id="radd"),
    pytest.param(F("a") - 1, {"$subtract": ["$a", 1]}, id="sub"),
    pytest.param(3 - F("a"), {"$subtract": [3, "$a"]}, id="rsub"),
    pytest.param(F("a") * 2, {"$multiply": ["$a", 2]}, id="mul"),
    pytest.param(2 * F("a"), {"$multiply": [2, "$a"]}, id="rmul"),
    pytest.param(F("a") / 2, {"$divide": ["$a", 2]}, id="div"),
    pytest.param(1 / F("a"), {"$divide": [1, "$a"]}, id="rdiv"),
    pytest.param(F("a") % 2, {"$mod": ["$a", 2]}, id="mod"),
    pytest.param(7 % F("a"), {"$mod": [7, "$a"]}, id="rmod"),
    pytest.param(F("a") ** 2, {"$pow": ["$a", 2]}, id="pow"),
    pytest.param(2 ** F("a"), {"$pow": [2, "$a"]}, id="rpow"),
    pytest.param(-F("a"), {"$multiply": [-1, "$a"]}, id="neg"),
    pytest.param(abs(F("a")), {"$abs": "$a"}, id="abs-builtin"),
    pytest.param(F("a").abs(), {"$abs": "$a"}, id="abs-method"),
    # Python's math functions and round() build expressions, as in FiftyOne
    pytest.param(math.ceil(F("a")), {"$ceil": "$a"}, id="math-ceil"),
    pytest.param(math.floor(F("a")), {"$floor": "$a"}, id="math-floor"),
    pytest.param(math.trunc(F("a")), {"$trunc": ["$a", 0]}, id="math-trunc"),
    pytest.param(F("a").trunc(2), {"$trunc": ["$a", 2]}, id="trunc-places"),
    pytest.param(round(F("a")), {"$round": ["$a", 0]}, id="round-builtin"),
    pytest.param(round(F("a"), 2), {"$round": ["$a", 2]}, id="round-builtin-places"),
    pytest.param(F("a").max(0), {"$max": ["$a", 0]}, id="max-value"),
    pytest.param(F("a").max(), {"$max": "$a"}, id="max-of-list"),
    pytest.param(F("a").min(F("b")), {"$min": ["$a", "$b"]}, id="min-value"),
    pytest.param(F("a").sum(), {"$sum": "$a"}, id="sum-of-list"),
    pytest.param(F("a").mean(), {"$avg": "$a"}, id="mean-of-list"),
    pytest.param(
        (F("a") + F("b")) * 2,
        {"$multiply": [{"$add": ["$a", "$b"]}, 2]},
        id="arithmetic-nested",
    ),
    pytest.param(F("a").round(), {"$round": ["$a", 0]}, id="round"),
    pytest.param(F("a").round(2), {"$round": ["$a", 2]}, id="round-places"),
    pytest.param(F("a").floor(), {"$floor": "$a"}, id="floor"),
    pytest.param(F("a").ceil(), {"$ceil": "$a"}, id="ceil"),
    pytest.param(F("a").sqrt(), {"$sqrt": "$a"}, id="sqrt"),
    pytest.param(F("a").log(10), {"$log": ["$a", 10]}, id="log-base"),
    pytest.param(F("a").log(), {"$ln": "$a"}, id="log-natural"),
    # membership and presence
    pytest.param(F("a").is_in([1, 2]), {"$in": ["$a", [1, 2]]}, id="is_in-list"),
    pytest.param(F("a").is_in(("x", "y")), {"$in": ["$a", ["x", "y"]]}, id="is_in-tuple"),
    pytest.param(F("a").is_in({3, 1, 2}), {"$in": ["$a", [1, 2, 3]]}, id="is_in-set"),
    pytest.param(F("a").is_in(F("b")), {"$in": ["$a", "$b"]}, id="is_in-expression"),
    pytest.param(F("tags").contains("x"), _in("x", "$tags"), id="contains-one"),
    pytest.param(F("tags").contains(F("b")), _in("$b", "$tags"), id="contains-expression"),
    pytest.param(
        F("tags").contains(["x", "y"]),
        {
            "$gt": [
                {"$size": {"$setIntersection": [{"$ifNull": ["$tags", []]}, ["x", "y"]]}},
                0,
            ]
        },
        id="contains-any",
    ),
    pytest.param(
        F("tags").contains(("x", "y"), all=True),
        {"$setIsSubset": [["x", "y"], {"$ifNull": ["$tags", []]}]},
        id="contains-all",
    ),
    pytest.param(F("a").exists(), {"$gt": ["$a", None]}, id="exists"),
    pytest.param(F("a").exists(False), {"$not": [{"$gt": ["$a", None]}]}, id="exists-false"),
    pytest.param(F("a").is_null(), {"$eq": ["$a", None]}, id="is_null"),
    pytest.param(F("a").type(), {"$type": "$a"}, id="type"),
    pytest.param(F("a").to_string(), {"$toString": "$a"}, id="to_string"),
    pytest.param(
        (F("a") > 1).if_else("big", F("b")),
        {"$cond": {"if": GT_A1, "then": "big", "else": "$b"}},
        id="if_else",
    ),
    # strings
    pytest.param(F("s").lower(), {"$toLower": "$s"}, id="lower"),
    pytest.param(F("s").upper(), {"$toUpper": "$s"}, id="upper"),
    pytest.param(F("s").strlen(), {"$strLenCP": {"$ifNull": ["$s", ""]}}, id="strlen"),
    pytest.param(F("s").starts_with("a.b"), _regex("$s", r"^(?:a\.b)"), id="starts_with"),
    pytest.param(F("s").contains_str("a.b"), _regex("$s", r"(?:a\.b)"), id="contains_str"),
    pytest.param(
        F("s").contains_str(["a", "b"], case_sensitive=False),
        _regex("$s", "(?:a|b)", "i"),
        id="contains_str-list-nocase",
    ),
    # reduce: VALUE is the value folded so far, F() paths are the element's
    pytest.param(
        F("d").reduce(VALUE + F("c"), init_val=0),
        {
            "$reduce": {
                "input": {"$ifNull": ["$d", []]},
                "initialValue": 0,
                "in": {"$add": ["$$value", "$$this.c"]},
            }
        },  # fmt: skip
        id="reduce-value",
    ),
    pytest.param(
        F("s").starts_with(["a", "b"], case_sensitive=False),
        _regex("$s", "^(?:a|b)", "i"),
        id="starts_with-list-nocase",
    ),
    pytest.param(F("s").ends_with(".png"), _regex("$s", r"(?:\.png)$"), id="ends_with"),
    pytest.param(
        F("s").ends_with([".jpg", ".png"], case_sensitive=False),
        _regex("$s", r"(?:\.jpg|\.png)$", "i"),
        id="ends_with-list-nocase",
    ),
    pytest.param(F("s").re_match(r"\d+"), _regex("$s", r"\d+"), id="re_match"),
    pytest.param(F("s").re_match("^a", "i"), _regex("$s", "^a", "i"), id="re_match-options"),
    pytest.param(F("s").matches_str("cat"), {"$eq": ["$s", "cat"]}, id="matches_str"),
    pytest.param(
        F("s").matches_str(["cat", "dog"]),
        {"$in": ["$s", ["cat", "dog"]]},
        id="matches_str-list",
    ),
    pytest.param(
        F("s").matches_str(["cat", "dog"], case_sensitive=False),
        _regex("$s", "^(?:cat|dog)$", "i"),
        id="matches_str-nocase",
    ),
    # lists
    pytest.param(F("tags")[0], {"$arrayElemAt": ["$tags", 0]}, id="index"),
    pytest.param(F("tags")[-1], {"$arrayElemAt": ["$tags", -1]}, id="index-negative"),
    pytest.param(F("tags").length(), {"$size": {"$ifNull": ["$tags", []]}}, id="length"),
    pytest.param(
        F("detections").filter(F("confidence") > 0.5),
        _list_op("$filter", "cond", "$detections", {"$gt": ["$$this.confidence", 0.5]}),
        id="filter",
    ),
    pytest.param(
        F("tags").filter(F() != "x"),
        _list_op("$filter", "cond", "$tags", {"$ne": ["$$this", "x"]}),
        id="filter-element-itself",
    ),
    pytest.param(
        F("detections").filter(F("confidence") > 0.5).length(),
        {
            "$size": {
                "$ifNull": [
                    _list_op("$filter", "cond", "$detections", {"$gt": ["$$this.confidence", 0.5]}),
                    [],
                ]
            }
        },
        id="filter-length",
    ),
    pytest.param(
        F("detections").map(F("label").upper()),
        _list_op("$map", "in", "$detections", {"$toUpper": "$$this.label"}),
        id="map",
    ),
    pytest.param(F("tags").map(1), _list_op("$map", "in", "$tags", 1), id="map-literal"),
    pytest.param(
        F("frames").map(F("dets").filter(F("c") > 0.5)),
        _list_op(
            "$map",
            "in",
            "$frames",
            _list_op("$filter", "cond", "$$this.dets", {"$gt": ["$$this.c", 0.5]}),
        ),
        id="filter-nested-in-map",
    ),
    # literals
    pytest.param(F("a") == "$5", {"$eq": ["$a", {"$literal": "$5"}]}, id="literal-dollar"),
    pytest.param(
        F("a").is_in(["$x", "y"]),
        {"$in": ["$a", [{"$literal": "$x"}, "y"]]},
        id="literal-dollar-in-list",
    ),
    pytest.param(
        F("a") == {"k": F("b"), "v": [1, "$z"]},
        {"$eq": ["$a", {"k": "$b", "v": [1, {"$literal": "$z"}]}]},
        id="literal-dict-with-expression",
    ),
    pytest.param(F("a") == WHEN, {"$eq": ["$a", WHEN]}, id="literal-datetime"),
    pytest.param(F("_id") == OID, {"$eq": ["$_id", OID]}, id="literal-objectid"),
    pytest.param(F("a") == np.int64(3), {"$eq": ["$a", 3]}, id="literal-numpy"),
    # raw, already-compiled forms
    pytest.param(ViewExpression(GT_A1), GT_A1, id="raw"),
    pytest.param(ViewExpression(GT_A1) & (F("b") < 2), {"$and": [GT_A1, LT_B2]}, id="raw-combined"),
    pytest.param(ViewExpression("$a") + 1, {"$add": ["$a", 1]}, id="raw-string-is-path"),
]


@pytest.mark.parametrize(("expr", "expected"), SUCCESS)
def test_to_mongo(expr: ViewExpression, expected: Any) -> None:
    assert expr.to_mongo() == expected


@pytest.mark.parametrize(("expr", "expected"), SUCCESS)
def test_to_match(expr: ViewExpression, expected: Any) -> None:
    assert expr.to_match() == {"$expr": expected}


@pytest.mark.parametrize(("expr", "expected"), SUCCESS)
def test_dict_round_trip_through_json(expr: ViewExpression, expected: Any) -> None:
    text = json.dumps(expr.to_dict())  # must be JSON-safe
    rebuilt = ViewExpression.from_dict(json.loads(text))
    assert rebuilt.to_mongo() == expected
    assert rebuilt.to_dict() == expr.to_dict()


def test_to_dict_encodes_bson_values_as_extended_json() -> None:
    expr = (F("_id") == OID) & (F("when") < WHEN)
    assert expr.to_dict() == {
        "$expr": {
            "$and": [
                {"$eq": ["$_id", {"$oid": str(OID)}]},
                {"$lt": ["$when", {"$date": "2024-01-02T03:04:05.123Z"}]},
            ]
        }
    }


def test_element_prefix_survives_round_trip() -> None:
    d = F("detections").filter(F("confidence") > 0.5).to_dict()
    assert d["$expr"]["$filter"]["as"] == ELEMENT_VAR == "this"
    assert d["$expr"]["$filter"]["cond"] == {"$gt": ["$$this.confidence", 0.5]}
    assert ViewExpression.from_dict(d).to_dict() == d


def test_dollar_field_is_bound_to_the_sample() -> None:
    # F("$x") names the sample's field at any depth; a prefix never rebinds it
    assert F("$uniqueness").to_mongo() == "$$ROOT.uniqueness"
    assert F("$uniqueness").to_mongo(prefix="$$this.") == "$$ROOT.uniqueness"
    inner = F("dets").map(F("$gt.label")).to_mongo()
    assert inner == _list_op("$map", "in", "$dets", "$$ROOT.gt.label")


def test_prefix_argument() -> None:
    assert (F("a") > 1).to_mongo(prefix="$$this.") == {"$gt": ["$$this.a", 1]}
    assert F().to_mongo(prefix="$$this.") == "$$this"


def test_repr() -> None:
    assert repr(F("a")) == "F('a')"
    assert repr(F()) == "F()"
    expr = (F("a") > 1) & F("b").is_in(["$x"])
    assert repr(expr) == (
        "ViewExpression({'$and': [{'$gt': ['$a', 1]}, {'$in': ['$b', [{'$literal': '$x'}]]}]})"
    )
    assert eval(repr(expr)).to_mongo() == expr.to_mongo()  # a raw rebuild


def test_value_is_the_reduce_accumulator_and_copies() -> None:
    assert repr(VALUE) == str(copy.deepcopy(VALUE)) == "VALUE"
    assert (VALUE * 2).to_mongo(prefix="$$this.") == {"$multiply": ["$$value", 2]}
    assert str(copy.deepcopy(F("$gt"))) == str(F("$gt"))


def test_expressions_are_reusable() -> None:
    big = F("a") > 1
    both = big & (F("b") < 2)
    assert (big | (F("c") == 3)).to_mongo() == {"$or": [GT_A1, EQ_C3]}
    assert both.to_mongo() == {"$and": [GT_A1, LT_B2]}
    assert big.to_mongo() == GT_A1


FAILURES = [
    pytest.param(lambda: bool(F("a")), TypeError, "no truth value", id="bool"),
    pytest.param(lambda: not F("a"), TypeError, "use & | ~", id="not-keyword"),
    pytest.param(lambda: F("a") and F("b"), TypeError, "use & | ~", id="and-keyword"),
    pytest.param(lambda: 1 < F("a") < 2, TypeError, "instead of a < F", id="chained-cmp"),
    pytest.param(lambda: F("a")["b"], TypeError, r"indexed by int.*F\('a\.b'\)", id="index-str"),
    pytest.param(lambda: F("a")[1.0], TypeError, "got 1.0 \\(float\\)", id="index-float"),
    pytest.param(lambda: F("a")[True], TypeError, "indexed by int", id="index-bool"),
    pytest.param(lambda: F("a")[0:2], TypeError, "indexed by int", id="index-slice"),
    pytest.param(lambda: list(F("a")), TypeError, "not iterable", id="iterate"),
    pytest.param(lambda: 1 in F("a"), TypeError, "not iterable", id="in-keyword"),
    pytest.param(lambda: {F("a")}, TypeError, "unhashable", id="hash"),
    pytest.param(lambda: F("a") == object(), TypeError, "of type object", id="literal-object"),
    pytest.param(lambda: F("a") + b"x", TypeError, "of type bytes", id="literal-bytes"),
    pytest.param(
        lambda: F("a").is_in([1, object()]), TypeError, "of type object", id="literal-nested"
    ),
    pytest.param(lambda: F("a") == {1: 2}, TypeError, "keys must be str", id="literal-dict-key"),
    pytest.param(lambda: ViewExpression(object()), TypeError, "of type object", id="raw-object"),
    pytest.param(lambda: F("a").is_in("abc"), TypeError, "list of values", id="is_in-str"),
    pytest.param(lambda: F("a").starts_with(3), TypeError, "starts_with", id="starts_with-int"),
    pytest.param(
        lambda: F("a").contains_str([]), TypeError, "contains_str", id="contains_str-empty"
    ),
    pytest.param(
        lambda: F("a").matches_str(F("b")), TypeError, "matches_str", id="matches_str-expression"
    ),
    pytest.param(lambda: F("a").ends_with([]), TypeError, "non-empty", id="ends_with-empty"),
    pytest.param(lambda: F(3), TypeError, "field name is a str", id="field-name-int"),
    pytest.param(lambda: F("$$a"), ValueError, "'\\$name'", id="field-name-double-dollar"),
    pytest.param(lambda: ViewExpression.from_dict({"a": 1}), ViewError, r"\$expr", id="from-dict"),
    pytest.param(lambda: ViewExpression.from_dict("x"), ViewError, r"\$expr", id="from-str"),
]


@pytest.mark.parametrize(("build", "error", "match"), FAILURES)
def test_failures(build: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        build()


# -- behaviour against a real MongoDB -------------------------------------------------

DOCS = [
    {
        "_id": 1,
        "label": "cat",
        "n": 1,
        "tags": ["train"],
        "detections": [{"label": "cat", "confidence": 0.9}, {"confidence": 0.3}],
        "filepath": "/data/a/1.PNG",
    },
    {
        "_id": 2,
        "label": "dog",
        "n": 5,
        "tags": ["train", "val"],
        "detections": [{"confidence": 0.6}, {"confidence": 0.7}],
        "filepath": "/data/b/2.jpg",
    },
    {"_id": 3, "label": "$5", "n": 10, "tags": [], "filepath": "/data/a/3.jpg"},
    {"_id": 4, "label": None, "n": -2, "tags": ["val"], "detections": [], "filepath": "/o/4.png"},
    {"_id": 5, "n": 2.5, "filepath": "/data/a/5.jpeg"},
    {
        "_id": 6,
        "label": "bird",
        "n": 7,
        "tags": ["test", "train"],
        "detections": [{"confidence": 0.95}],
        "filepath": "/data/c/6.png",
    },
]

BEHAVIOUR = [
    (F("n") > 4, {2, 3, 6}),
    ((F("n") >= 1) & (F("n") < 6), {1, 2, 5}),
    ((F("label") == "cat") | (F("n") < 0), {1, 4}),
    (~F("label").exists(), {4, 5}),
    (F("label").is_null(), {4}),
    (F("label").is_in(["cat", "$5"]), {1, 3}),
    (F("tags").contains("train"), {1, 2, 6}),
    (F("tags").contains(["val", "test"]), {2, 4, 6}),
    (F("tags").contains(["train", "val"], all=True), {2}),
    (F("tags").length() == 0, {3, 5}),
    (F("detections").filter(F("confidence") > 0.5).length() >= 1, {1, 2, 6}),
    (F("detections").filter(F("confidence") > 0.5).length() == 2, {2}),
    (F("filepath").starts_with("/data/a"), {1, 3, 5}),
    (F("filepath").ends_with(".png", case_sensitive=False), {1, 4, 6}),
    (F("filepath").re_match(r"/\d\.jpe?g$"), {2, 3, 5}),
    ((10 - F("n")) / 2 > 2, {1, 2, 4, 5}),
    (abs(F("n")) ** 2 > 20, {2, 3, 6}),
    # FiftyOne's spellings: math.ceil/floor/trunc and round() of a field, contains_str
    (math.ceil(F("n") / 2) == 3, {2}),
    (math.floor(F("n") / 2) == 1, {5}),
    (math.trunc(F("n") / -4) == 0, {1, 4, 5}),
    (round(F("n") / 4) == 1, {2, 5}),
    (F("filepath").contains_str("/a/"), {1, 3, 5}),
    (F("filepath").contains_str(["B/", "/C/"], case_sensitive=False), {2, 6}),
    # folding a list: sums of confidences, largest confidence, clipping
    (F("detections").reduce(VALUE + F("confidence"), init_val=0) > 1, {1, 2}),
    (F("detections").map(F("confidence")).max() > 0.8, {1, 6}),
    (F("detections").map(F("confidence")).sum() > 1.25, {2}),
    (F("detections").map(F("confidence")).mean() > 0.9, {6}),
    (F("n").max(3) == 3, {1, 4, 5}),
    (F("n").min(0) < 0, {4}),
    # F("$n") inside a list operation is the document's n, not the element's
    (F("detections").filter(F("$n") > 4).length() > 0, {2, 6}),
]


@pytest.mark.mongo
def test_expressions_evaluate_in_mongodb(database) -> None:
    coll = database["expression_docs"]
    coll.insert_many(DOCS)
    for expr, expected in BEHAVIOUR:
        # Through JSON too, as a saved view would store it.
        for e in (expr, ViewExpression.from_dict(json.loads(json.dumps(expr.to_dict())))):
            found = {d["_id"] for d in coll.aggregate([{"$match": e.to_match()}])}
            assert found == expected, f"{expr!r} matched {sorted(found)}"
