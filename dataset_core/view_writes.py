"""Writing a view's contents back to its dataset: ``view.save(fields)`` and
``view.keep_fields()``, as FiftyOne does.

``save`` runs the view's pipeline in the server and ``$merge``s each sample's
fields, as the view shows them, into the stored sample with the same id: values
computed by ``set_field``, labels filtered out by ``filter_labels``... become
the stored ones. Samples outside the view are not touched and none is deleted.
A field the view leaves out (``exclude_fields``, ``select_fields``) is not
written; with ``fields=None`` it is deleted from the dataset, as FiftyOne warns
("excluded fields ... will be permanently deleted"), which is what
``keep_fields`` does alone. A field the view shows only in part
(``select_fields("gt.label")``) is never written: its label ids and the
attributes left out would be lost; ``fields=None`` leaves it as stored, and
naming it in ``fields`` is an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import FieldNotFoundError, ViewError
from .fields import DEFAULT_FIELDS
from .schema import clean_path, update_path
from .stages.base import check_names

if TYPE_CHECKING:
    from .view import DatasetView

#: fields ``save`` never writes: ids are the merge key; the time is set to now
_NOT_WRITTEN = ("id", "_id", "last_modified_at")


def save_view(view: DatasetView, fields: Any = None) -> None:
    """Write the view's values of ``fields`` (default: every field it shows) into
    the dataset's stored samples; see the module docstring.

    Raises:
        ViewError: ``fields`` is not a field name or a list of them.
        FieldNotFoundError: a field the dataset does not declare, or one the
            view leaves out.
    """
    dataset = view._dataset
    shown = view._view_field_schema()
    partial = {n for s in view._view_stages() for n in s.partial_fields()}
    if fields is None:
        paths = [n for n in shown if n not in _NOT_WRITTEN and n not in partial]
    else:
        paths = list(check_names(fields, "save fields", allow_empty=True))
        for path in paths:
            dataset._check_path(path)
            top = path.split(".", 1)[0]
            if top not in shown:
                raise FieldNotFoundError(
                    f"save(fields={path!r}): the view leaves {path!r} out; it shows {sorted(shown)}"
                )
            if top in partial:
                raise ViewError(
                    f"save(fields={path!r}): the view shows only part of {top!r} "
                    "(select_fields/exclude_fields of its attributes), and writing it would "
                    f"lose the rest; save from a view that shows all of {top!r}"
                )
        # an attribute of the labels of a list is written as the whole list
        paths = [clean_path(update_path(dataset._schema, p).split(".$[]", 1)[0])
                 for p in paths if p not in _NOT_WRITTEN]  # fmt: skip
        paths = list(dict.fromkeys(paths))
        paths = [p for p in paths if not any(p.startswith(q + ".") for q in paths)]
    if paths:
        coll = dataset._sample_coll()
        # a value the view does not hold (a missing attribute) leaves the stored one
        kept = {p: {"$cond": [{"$eq": [{"$type": f"$$new.{p}"}, "missing"]}, f"${p}",
                              f"$$new.{p}"]} for p in paths}  # fmt: skip
        steps = view._pipeline() + [
            {"$project": dict.fromkeys(paths, 1)},
            {"$merge": {"into": coll.name, "on": "_id", "whenNotMatched": "discard",
                        "whenMatched": [{"$set": {**kept, "last_modified_at": "$$NOW"}}]}},
        ]  # fmt: skip
        coll.aggregate(steps, allowDiskUse=True)
        dataset._reload_samples()  # live samples show the saved values
    if fields is None:
        keep_fields(view)


def keep_fields(view: DatasetView) -> None:
    """Delete from the dataset (every sample, and the schema) the fields the view
    leaves out."""
    dataset = view._dataset
    shown = view._view_field_schema()
    gone = [n for n in dataset._schema if n not in shown and n not in DEFAULT_FIELDS]
    if gone:
        dataset.delete_sample_fields(gone)
