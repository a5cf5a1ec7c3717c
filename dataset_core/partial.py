"""Writing back edits made through a view: only the edited paths, labels merged by id.

A sample read through a view holds the view's projection, not the stored
document: ``filter_labels`` hides labels, ``select_fields``/``exclude_fields``
hide fields or sub-fields. Writing such a document back whole would delete
what the view hid. Instead :func:`diff` compares the view's value of a field
before the edit with the edited one and yields ``$set``/``$unset`` of the
changed paths only; a list of labels (dicts with ``_id``) becomes a merge,
applied to the stored list by :func:`merge_labels`: edited labels replace
their stored version, labels removed in the view are removed, new ones are
appended, and labels the view never showed stay as they are.
"""

from __future__ import annotations

from typing import Any

#: how often a merge is retried when another writer changed the list meanwhile
MERGE_RETRIES = 5


def is_label_list(value: Any) -> bool:
    """Whether ``value`` is a list of label documents (dicts with an ``_id``)."""
    return isinstance(value, list) and all(isinstance(v, dict) and "_id" in v for v in value)


def diff(
    path: str, old: Any, new: Any, sets: dict[str, Any], unsets: set[str],
    merges: dict[str, tuple[list[Any], list[Any]]],
) -> None:  # fmt: skip
    """Record the writes that turn the view's ``old`` value at ``path`` into ``new``."""
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict) and old.get("_cls") == new.get("_cls"):
        for key, value in new.items():
            if key in old:
                diff(f"{path}.{key}", old[key], value, sets, unsets, merges)
            else:
                sets[f"{path}.{key}"] = value
        unsets.update(f"{path}.{key}" for key in old if key not in new)
        return
    if is_label_list(old) and is_label_list(new) and (old or new):
        merges[path] = (old, new)
        return
    sets[path] = new


def merge_labels(stored: list[Any] | None, old: list[Any], new: list[Any]) -> list[Any]:
    """The stored label list with the view's edits (``old`` -> ``new``) applied by id."""
    new_by_id = {lab["_id"]: lab for lab in new}
    removed = {lab["_id"] for lab in old} - new_by_id.keys()
    out, seen = [], set()
    for lab in stored or []:
        lid = lab.get("_id") if isinstance(lab, dict) else None
        seen.add(lid)
        if lid in removed:
            continue
        out.append(new_by_id.get(lid, lab))
    out += [lab for lab in new if lab["_id"] not in seen]
    return out


def get_path(doc: dict[str, Any] | None, path: str) -> Any:
    """The value at a dotted path of a stored document, or None."""
    value: Any = doc
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
