"""Saved views: named views stored in the dataset's document in MongoDB.

Each saved view is one entry of the dataset document's ``saved_views`` list::

    {"name": "exact_dup_view", "description": None,
     "created_at": datetime, "last_modified_at": datetime,
     "stages": '<view.to_dict() as extended JSON>'}

The stages are stored as an extended-JSON *string* (``bson.json_util``), as
FiftyOne does: a stage dict carries ``_cls``, which mongoengine would take for
a document class when it loads the dataset, and ``$`` keys of match filters
stay out of the stored document's field names. Every read and write goes to
the database, never to a cached copy, so a view saved by another process (the
app's server) is seen at once, and two processes cannot both create one name:
creation is a single conditional ``$push``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bson import json_util
from bson.errors import InvalidDocument

from .db import translate_errors
from .errors import DatasetNotFoundError, SavedViewNotFoundError, ViewError
from .manifest import JSON_OPTIONS
from .odm import DatasetDocument
from .sample import utcnow

if TYPE_CHECKING:
    from .dataset import Dataset

#: the fields of ``list_saved_views(info=True)`` entries
INFO_FIELDS = ("name", "description", "created_at", "last_modified_at")


def _collection() -> Any:
    return DatasetDocument._get_collection()


def _entries(dataset: Dataset) -> list[dict[str, Any]]:
    dataset._sample_coll()  # raises if the dataset was deleted
    doc = _collection().find_one({"_id": dataset._doc.id}, {"saved_views": 1})
    if doc is None:
        raise DatasetNotFoundError(f"Dataset {dataset.name!r} no longer exists")
    return list(doc.get("saved_views") or [])


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ViewError(f"A saved view's name must be a non-empty string; got {name!r}")
    return name


def _not_found(dataset: Dataset, name: str, entries: list[dict[str, Any]]) -> Exception:
    names = [e["name"] for e in entries]
    return SavedViewNotFoundError(
        f"Dataset {dataset.name!r} has no saved view {name!r}; saved views: {names}"
    )


def _find_unserialisable(value: Any, path: str) -> tuple[str, Any]:
    """The first nested part of ``value`` that has no extended-JSON form."""
    items: Any = ()
    if isinstance(value, dict):
        items = ((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    for sub_path, item in items:
        try:
            json_util.dumps(item, json_options=JSON_OPTIONS)
        except (TypeError, ValueError, InvalidDocument):
            return _find_unserialisable(item, sub_path)
    return path, value


def _serialise(name: str, view: Any) -> str:
    stages = view.to_dict()
    try:
        return json_util.dumps(stages, json_options=JSON_OPTIONS)
    except (TypeError, ValueError, InvalidDocument):
        where, bad = _find_unserialisable(stages, "")
        raise ViewError(
            f"Cannot save view {name!r}: {where or 'the view'} holds a "
            f"{type(bad).__name__} value {bad!r:.80}, which has no JSON form; use None, "
            "bool, int, float, str, datetime, ObjectId, or lists and dicts of them"
        ) from None


def save_view(
    dataset: Dataset,
    name: str,
    view: Any,
    description: str | None = None,
    overwrite: bool = False,
) -> None:
    """Store ``view`` under ``name``; see :meth:`Dataset.save_view`."""
    from .dataset import Dataset

    _check_name(name)
    if isinstance(view, Dataset) or not callable(getattr(view, "to_dict", None)):
        raise ViewError(
            f"save_view takes a view of dataset {dataset.name!r}, e.g. "
            f"dataset.match(...); got {type(view).__name__}"
        )
    owner = view._dataset
    if owner._doc.id != dataset._doc.id:
        raise ViewError(
            f"Cannot save a view of dataset {owner.name!r} on dataset {dataset.name!r}; "
            f"save it with dc.load_dataset({owner.name!r}).save_view(...)"
        )
    if description is not None and not isinstance(description, str):
        raise ViewError(f"description must be a string or None; got {description!r}")
    now = utcnow()
    entry = {
        "name": name,
        "description": description,
        "created_at": now,
        "last_modified_at": now,
        "stages": _serialise(name, view),
    }
    dataset._sample_coll()
    coll = _collection()
    created = coll.update_one(
        {"_id": dataset._doc.id, "saved_views.name": {"$ne": name}},
        {"$push": {"saved_views": entry}},
    )
    if created.matched_count:
        return
    if not overwrite:
        raise ViewError(
            f"Dataset {dataset.name!r} already has a saved view {name!r}; pass "
            "overwrite=True to replace it, or choose another name"
        )
    old = next((e for e in _entries(dataset) if e["name"] == name), None)
    entry["created_at"] = (old or {}).get("created_at", now)
    coll.update_one(
        {"_id": dataset._doc.id},
        {"$set": {"saved_views.$[v]": entry}},
        array_filters=[{"v.name": name}],
    )


def load_saved_view(dataset: Dataset, name: str) -> Any:
    """The view saved under ``name``; see :meth:`Dataset.load_saved_view`."""
    entries = _entries(dataset)
    entry = next((e for e in entries if e["name"] == _check_name(name)), None)
    if entry is None:
        raise _not_found(dataset, name, entries)
    from .view import DatasetView

    # plain JSON, not json_util: from_dict takes exactly what to_dict gave,
    # extended-JSON markers ({"$date": ...}) included
    stages = json.loads(entry["stages"])
    try:
        view = DatasetView.from_dict(dataset, stages)
        view._name = name
        return view
    except (ViewError, KeyError, ValueError, TypeError) as e:
        raise ViewError(
            f"Saved view {name!r} of dataset {dataset.name!r} no longer applies ({e}); "
            f"delete it with dataset.delete_saved_view({name!r}) or save it again"
        ) from e


def list_saved_views(dataset: Dataset, info: bool = False) -> list[Any]:
    """Names, or info dicts, of the saved views; see :meth:`Dataset.list_saved_views`."""
    entries = _entries(dataset)
    if not info:
        return [e["name"] for e in entries]
    return [{k: e.get(k) for k in INFO_FIELDS} for e in entries]


def has_saved_view(dataset: Dataset, name: str) -> bool:
    """Whether ``dataset`` has a saved view called ``name``."""
    return any(e["name"] == name for e in _entries(dataset))


def delete_saved_view(dataset: Dataset, name: str) -> None:
    """Delete the saved view ``name``; see :meth:`Dataset.delete_saved_view`."""
    _check_name(name)
    dataset._sample_coll()
    result = _collection().update_one(
        {"_id": dataset._doc.id, "saved_views.name": name},
        {"$pull": {"saved_views": {"name": name}}},
    )
    if not result.matched_count:
        raise _not_found(dataset, name, _entries(dataset))


class SavedViewsMixin:
    """The saved-view methods of :class:`~dataset_core.dataset.Dataset`."""

    @translate_errors
    def save_view(self, name: str, view: Any, description: str | None = None,
                  overwrite: bool = False) -> None:  # fmt: skip
        """Store a view of this dataset under ``name``, in the database.

        Saved views survive restarts and still load after fields are added.

        Raises:
            ViewError: ``name`` is taken (pass ``overwrite=True``), ``view`` is
                not a view of this dataset, or it holds a value with no JSON form.

        Example:
            >>> dataset.save_view("exact_dup_view", dup_view, description="same hash")
        """
        save_view(self, name, view, description=description, overwrite=overwrite)

    @translate_errors
    def load_saved_view(self, name: str) -> Any:
        """The view saved under ``name``, rebuilt on the current dataset.

        Raises:
            SavedViewNotFoundError: no such saved view (the message lists them).
        """
        return load_saved_view(self, name)

    @translate_errors
    def list_saved_views(self, info: bool = False) -> list[Any]:
        """The saved views' names, or dicts of name, description and times."""
        return list_saved_views(self, info=info)

    @translate_errors
    def has_saved_view(self, name: str) -> bool:
        """Whether a view is saved under ``name``."""
        return has_saved_view(self, name)

    @translate_errors
    def delete_saved_view(self, name: str) -> None:
        """Delete the saved view ``name`` (the samples are untouched).

        Raises:
            SavedViewNotFoundError: no such saved view (the message lists them).
        """
        delete_saved_view(self, name)
