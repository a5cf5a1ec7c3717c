"""SampleView: a sample as a view shows it (FiftyOne's ``fiftyone.core.sample.SampleView``).

Iterating a view, or ``view.first()``, ``view.last()``, ``view.head()``,
``view[id]``, gives :class:`SampleView` objects; a dataset gives plain
:class:`~dataset_core.sample.Sample` objects. A SampleView is a Sample (so
everything that takes samples takes it) that also knows its view: it reports the
fields the view selects or excludes and refuses to read a field the view leaves
out, instead of pretending it is None. ``save()`` writes what the view shows
back to the dataset, as for any sample read through a view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import FieldNotFoundError
from .fields import DEFAULT_FIELDS, PRIVATE_FIELDS
from .sample import Sample
from .stages import ExcludeFields, SelectFields

if TYPE_CHECKING:
    from .view import DatasetView


def get_default_sample_fields(include_private: bool = False,
                              use_db_fields: bool = False) -> tuple[str, ...]:  # fmt: skip
    """The fields every sample has: FiftyOne's name for the default fields.

    Args:
        include_private: add the stored bookkeeping fields (``_id``, ``_rand``).
        use_db_fields: name the id as stored (``_id``) rather than ``id``.
    """
    names = DEFAULT_FIELDS
    if use_db_fields:
        names = tuple("_id" if n == "id" else n for n in names)
    if include_private:
        names += tuple(n for n in PRIVATE_FIELDS if n not in names)
    return names


class SampleView(Sample):
    """A sample read through a :class:`~dataset_core.view.DatasetView`.

    Build them by reading a view, not with a constructor.

    Example:
        >>> sample = dataset.exclude_fields("predictions").first()
        >>> sample.excluded_field_names
        {'predictions'}
    """

    __slots__ = ("_view",)

    @classmethod
    def _of_view(cls, doc: dict[str, Any], view: DatasetView, partial: bool) -> SampleView:
        """Wrap a document the view returned (``partial``: the view reshapes documents)."""
        s = cls._from_doc(doc, view._dataset, partial)
        _set_view(s, view)
        return s

    #: ``_bind_view(sample, view)``: what :meth:`_of_view` does after wrapping, for
    #: iteration to call directly (one Python frame less per sample)
    _bind_view: Any = None

    @property
    def selected_field_names(self) -> set[str] | None:
        """The top-level fields the view shows when it selects fields
        (``select_fields``; default and private fields included), else None."""
        view = self._view
        if not any(isinstance(s, SelectFields) for s in view._view_stages()):
            return None
        return set(view._view_field_schema()) | set(PRIVATE_FIELDS)

    @property
    def excluded_field_names(self) -> set[str] | None:
        """The dataset's top-level fields the view leaves out when it excludes
        fields (``exclude_fields``), else None."""
        view = self._view
        if not any(isinstance(s, ExcludeFields) for s in view._view_stages()):
            return None
        return set(view._dataset._schema) - set(view._view_field_schema())

    def _hidden(self, name: str) -> bool:
        """Whether ``name`` is a field of the dataset that the view leaves out."""
        view = self._view
        return name in view._dataset._schema and name not in view._view_field_schema()

    @property
    def field_names(self) -> tuple[str, ...]:
        """The names of the fields this sample has as the view shows it."""
        names = ["id"] + [k for k in self._doc if not k.startswith("_")]
        return tuple(names + [n for n in self._view._view_field_schema() if n not in names])

    def has_field(self, name: str) -> bool:
        """Whether ``name`` is set on the sample or shown by its view."""
        return name == "id" or name in self._doc or name in self._view._view_field_schema()

    def __getitem__(self, name: str) -> Any:
        # the stored fields take the plain path; only a field missing from the
        # document asks the view whether it hides it
        if name not in self._doc and name != "id" and self._hidden(name):
            raise FieldNotFoundError(
                f"Field {name!r} is not in this view (it selects or excludes fields); "
                f"fields: {list(self.field_names)}"
            )
        return Sample.__getitem__(self, name)

    def __repr__(self) -> str:
        return "<SampleView" + super().__repr__().removeprefix("<Sample")


#: sets the ``_view`` slot without going through Sample.__setattr__ (which takes
#: other attribute names as fields)
_set_view = SampleView.__dict__["_view"].__set__
SampleView._bind_view = staticmethod(_set_view)
