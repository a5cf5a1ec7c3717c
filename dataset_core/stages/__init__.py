"""View stages: small immutable value objects that compile to aggregation steps.

A stage's constructor validates and stores its arguments and never touches the
database. :meth:`ViewStage.validate` checks it against the collection it is
added to (field names against the schema), :meth:`ViewStage.to_pipeline`
compiles it, and :meth:`ViewStage.to_dict` / :meth:`ViewStage.from_dict`
round-trip it through JSON::

    SortBy("uniqueness", reverse=True).to_dict()
    # {"_cls": "SortBy", "kwargs": {"field_or_expr": "uniqueness", "reverse": True}}

Values in the JSON form are Extended JSON (``{"$oid": ...}``, ``{"$date": ...}``);
expressions are ``ViewExpression.to_dict()`` (``{"$expr": ...}``); sample ids are
plain strings. Scratch fields that stages add and remove start with ``_dc_``.

Modules: :mod:`.base` (the base class, argument checks), :mod:`.filtering`,
:mod:`.ordering`, :mod:`.shaping`, :mod:`.labels`, :mod:`.set_field`, :mod:`.rewrites`
(the stages), :mod:`.to_patches` (``ToPatches``, a stage that makes a new collection),
:mod:`.idsets` (id lists too big to inline), :mod:`.match_query` (``$expr`` to
index-friendly queries), :mod:`.untrusted` (views from HTTP: allow-lists of stages
and operators).
"""

from __future__ import annotations

from .base import ViewStage
from .filtering import Exclude, Exists, Match, MatchTags, Select
from .idsets import dropped_after
from .labels import ExcludeLabels, FilterLabels, MatchLabels, SelectLabels
from .ordering import GroupBy, Limit, Shuffle, Skip, SortBy, Take
from .rewrites import FilterField, LimitLabels, MapLabels
from .set_field import SetField
from .shaping import ExcludeFields, Mongo, SelectFields
from .to_patches import ToPatches
from .untrusted import view_from_untrusted

__all__ = [
    "Exclude",
    "ExcludeLabels",
    "ExcludeFields",
    "Exists",
    "FilterField",
    "FilterLabels",
    "GroupBy",
    "Limit",
    "LimitLabels",
    "MapLabels",
    "Match",
    "MatchLabels",
    "MatchTags",
    "Mongo",
    "Select",
    "SelectLabels",
    "SelectFields",
    "SetField",
    "Shuffle",
    "Skip",
    "SortBy",
    "Take",
    "ToPatches",
    "ViewStage",
    "dropped_after",
    "view_from_untrusted",
]
