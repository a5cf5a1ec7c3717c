"""A dataset's class lists and mask targets, as FiftyOne's: ``classes``,
``default_classes``, ``mask_targets`` and ``default_mask_targets``.

``classes`` maps a label field name to its class list; ``default_classes`` is
the class list of every field without its own.

``mask_targets`` maps a field name to ``{pixel value: label}``;
``default_mask_targets`` is that map for every field without its own. Both are
checked when assigned and again by ``dataset.save()`` (the dicts may be edited
in place meanwhile), so a bad entry is one clear error and is never stored.
MongoDB keys are strings: pixel values are stored as ``"1"`` and read back as
``1``.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import FieldValueError

#: dataset-document entries this module owns
STORED = ("classes", "default_classes", "mask_targets", "default_mask_targets")


def check_class_list(value: Any, what: str = "default_classes") -> list[str]:
    """``value`` as a list of strings.

    Raises:
        FieldValueError: not a list of strings.
    """
    if not isinstance(value, (list, tuple)):
        raise FieldValueError(
            f"{what} is a list of strings; got {type(value).__name__} {value!r:.60}"
        )
    bad = [c for c in value if not isinstance(c, str)]
    if bad:
        raise FieldValueError(f"{what} holds strings only; got {bad[0]!r:.40} in {value!r:.80}")
    return value if isinstance(value, list) else list(value)


def check_field_classes(value: Any) -> dict[str, list[str]]:
    """``value`` as ``{field name: [class, ...]}``.

    Raises:
        FieldValueError: another shape.
    """
    if not isinstance(value, dict):
        raise FieldValueError(
            "classes maps label field names to class lists ({'ground_truth': ['cat']}); "
            f"got {type(value).__name__} {value!r:.60}"
        )
    for k, v in value.items():
        if not isinstance(k, str):
            raise FieldValueError(f"classes keys are label field names; got {k!r:.40}")
        check_class_list(v, f"classes[{k!r}]")
    return value


def check_targets(value: Any, what: str = "default_mask_targets") -> dict[int, str]:
    """``value`` as ``{pixel value (int >= 0): label (str)}``.

    Raises:
        FieldValueError: another shape.
    """
    if not isinstance(value, dict):
        raise FieldValueError(
            f"{what} maps pixel values to labels ({{1: 'cat'}}); got {type(value).__name__} "
            f"{value!r:.60}"
        )
    for k, v in value.items():
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise FieldValueError(
                f"{what} keys are pixel values (ints >= 0); got {k!r:.40} in {value!r:.80}"
            )
        if not isinstance(v, str):
            raise FieldValueError(f"{what} values are label strings; got {v!r:.40} for {k}")
    return value


def check_field_targets(value: Any) -> dict[str, dict[int, str]]:
    """``value`` as ``{field name: {pixel value: label}}``.

    Raises:
        FieldValueError: another shape.
    """
    if not isinstance(value, dict):
        raise FieldValueError(
            "mask_targets maps field names to {pixel value: label} dicts; got "
            f"{type(value).__name__} {value!r:.60}"
        )
    for k, v in value.items():
        if not isinstance(k, str):
            raise FieldValueError(f"mask_targets keys are field names; got {k!r:.40}")
        check_targets(v, f"mask_targets[{k!r}]")
    return value


def targets_to_stored(targets: dict[int, str]) -> dict[str, str]:
    return {str(k): v for k, v in targets.items()}


def targets_from_stored(stored: Any) -> dict[int, str]:
    return {int(k): v for k, v in (stored or {}).items()}


class ClassTargetsMixin:
    """``default_classes``, ``mask_targets`` and ``default_mask_targets`` of a Dataset.

    The live values are kept on the dataset object (edited in place by users),
    their stored forms in its document; :meth:`_class_targets_update` checks
    the live ones and returns the ``$set`` that ``save()`` writes.
    """

    def _live_targets(self) -> dict[str, Any]:
        live = self.__dict__.get("_targets")
        if live is None or live["doc"] is not self._doc:  # type: ignore[attr-defined]
            doc = self._doc  # type: ignore[attr-defined]
            stored_classes = doc.classes or {}
            default_classes = list(doc.default_classes or [])
            if not isinstance(stored_classes, dict):
                # written before ``classes`` became a dict: it held one list for
                # the whole dataset, which is what ``default_classes`` is now
                default_classes = default_classes or list(stored_classes)
                stored_classes = {}
            live = {
                "doc": doc,
                "classes": {f: list(c) for f, c in stored_classes.items()},
                "default_classes": default_classes,
                "mask_targets": {
                    f: targets_from_stored(t) for f, t in (doc.mask_targets or {}).items()
                },
                "default_mask_targets": targets_from_stored(doc.default_mask_targets),
            }
            self.__dict__["_targets"] = live
        return live

    @property
    def classes(self) -> dict[str, list[str]]:
        """``{label field: [class, ...]}``; call ``save()`` after editing.

        Raises:
            FieldValueError: (on assignment or save) another shape.
        """
        return self._live_targets()["classes"]

    @classes.setter
    def classes(self, value: dict[str, list[str]]) -> None:
        check_field_classes(value)
        self._live_targets()["classes"] = {f: list(c) for f, c in value.items()}

    def _field_classes(self, label_field: str | None) -> list[str]:
        """The class list of ``label_field``: its own, else ``default_classes``."""
        live = self._live_targets()
        return list((live["classes"].get(label_field) if label_field else None)
                    or live["default_classes"])  # fmt: skip

    def _import_classes(self, label_field: str | None, classes: list[str] | None) -> None:
        """Record the class list an importer read for ``label_field``: missing
        classes are appended to ``classes[label_field]``, and ``default_classes``
        is set if it was empty (FiftyOne's importers set it)."""
        if not classes:
            return
        live = self._live_targets()
        if label_field:
            own = live["classes"].setdefault(label_field, [])
            own.extend(c for c in classes if c not in own)
        if not live["default_classes"]:
            live["default_classes"] = list(classes)

    @property
    def default_classes(self) -> list[str]:
        """The class list of every label field without one of its own; call ``save()``
        after editing.

        Raises:
            FieldValueError: (on assignment or save) not a list of strings.
        """
        return self._live_targets()["default_classes"]

    @default_classes.setter
    def default_classes(self, value: list[str]) -> None:
        self._live_targets()["default_classes"] = list(check_class_list(value))

    @property
    def mask_targets(self) -> dict[str, dict[int, str]]:
        """``{field name: {pixel value: label}}`` for segmentation fields; call
        ``save()`` after editing.

        Raises:
            FieldValueError: (on assignment or save) another shape.
        """
        return self._live_targets()["mask_targets"]

    @mask_targets.setter
    def mask_targets(self, value: dict[str, dict[int, str]]) -> None:
        check_field_targets(value)
        self._live_targets()["mask_targets"] = {f: dict(t) for f, t in value.items()}

    @property
    def default_mask_targets(self) -> dict[int, str]:
        """``{pixel value: label}`` of every segmentation field without its own;
        call ``save()`` after editing.

        Raises:
            FieldValueError: (on assignment or save) another shape.
        """
        return self._live_targets()["default_mask_targets"]

    @default_mask_targets.setter
    def default_mask_targets(self, value: dict[int, str]) -> None:
        self._live_targets()["default_mask_targets"] = dict(check_targets(value))

    def _merge_class_targets(self, src: Any, overwrite: bool) -> None:
        """Take ``src``'s class lists and mask targets (``merge_samples`` and
        ``add_collection`` with ``include_info``): its per-field entries are added,
        replacing ours only if ``overwrite``; its defaults replace ours if
        ``overwrite`` or ours are empty."""
        mine, theirs = self._live_targets(), src._live_targets()
        for key in ("classes", "mask_targets"):
            for field, value in theirs[key].items():
                if overwrite or field not in mine[key]:
                    mine[key][field] = copy.deepcopy(value)
        for key in ("default_classes", "default_mask_targets"):
            if theirs[key] and (overwrite or not mine[key]):
                mine[key] = copy.deepcopy(theirs[key])

    def _class_targets_stored(self) -> dict[str, Any]:
        """The stored forms of the live values, checked.

        Raises:
            FieldValueError: a value edited into a bad shape.
        """
        live = self._live_targets()
        return {
            "classes": {f: list(c) for f, c in check_field_classes(live["classes"]).items()},
            "default_classes": list(check_class_list(live["default_classes"])),
            "mask_targets": {
                f: targets_to_stored(t)
                for f, t in check_field_targets(live["mask_targets"]).items()
            },
            "default_mask_targets": targets_to_stored(check_targets(live["default_mask_targets"])),
        }

    def _class_targets_load(self, stored: dict[str, Any]) -> None:
        """Put stored forms (as :meth:`_class_targets_stored` returns, or a
        document written before ``classes`` was a dict) in the document, checked;
        the live values are re-read from it.

        Raises:
            FieldValueError: an entry of another shape.
        """
        doc = self._doc  # type: ignore[attr-defined]
        for key in STORED:
            if key in stored:
                setattr(doc, key, stored[key])
        self.__dict__.pop("_targets", None)
        self._class_targets_stored()

    def _class_targets_update(self) -> dict[str, Any]:
        """Check the live values; put their stored forms in the document; the ``$set``."""
        stored = self._class_targets_stored()
        for key, value in stored.items():
            setattr(self._doc, key, value)  # type: ignore[attr-defined]
        return stored
