"""The exceptions of dataset_core: one root, each also the natural builtin.

Every message says what was wrong, what is there, and what to do, e.g.
``Field 'lable' not found; fields: ['filepath', 'label', 'tags']``.

Each class carries ``http_status``: whose fault it was, as the dashboard's
server answers it (one handler reads it; anything not a DatasetCoreError is a
bug and a 500). The brain's errors (``brain/errors.py``) and the server's hang
from the same root.
"""

from __future__ import annotations

from mongoengine.errors import ValidationError as _MongoValidationError


class DatasetCoreError(Exception):
    """Root of every error raised on purpose by dataset_core."""

    http_status = 400


class DatabaseError(DatasetCoreError, ConnectionError):
    """The database cannot be reached, started or used."""

    http_status = 503


class DatasetNotFoundError(DatasetCoreError, KeyError, ValueError):
    """A dataset name that does not exist, or a dataset used after it was deleted
    (also a ValueError, which FiftyOne raises for both)."""

    http_status = 404

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class DatasetExistsError(DatasetCoreError, ValueError):
    """A dataset name that is already taken."""

    http_status = 409


class SampleNotFoundError(DatasetCoreError, KeyError):
    """A sample id that is not in the dataset or view."""

    http_status = 404

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class FieldNotFoundError(DatasetCoreError, KeyError, AttributeError, ValueError):
    """A field that is not in the schema (or not set on a sample).

    A KeyError for ``sample["x"]``, an AttributeError for ``sample.x`` and a
    ValueError for setting a field that does not exist where creating one is
    not allowed (``sample.x = 1``, ``set_field(..., create=False)``), as FiftyOne.
    """

    http_status = 400

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class SchemaError(DatasetCoreError, TypeError, ValueError):
    """A value whose type conflicts with its field, or a bad field name (also a
    ValueError, which FiftyOne raises for these: deleting ``filepath``...)."""

    http_status = 400


class FieldValueError(SchemaError, ValueError, _MongoValidationError):
    """A value of the wrong type for its declared field (``"a"`` into an IntField).

    Also a ``ValueError`` and mongoengine's ``ValidationError``, which is what
    FiftyOne raises for these.
    """

    http_status = 400

    def __init__(self, message: str = "") -> None:
        _MongoValidationError.__init__(self, message)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class LabelValidationError(FieldValueError):
    """A label attribute of the wrong type (``Classification(label=100)``)."""


class SampleIndexError(DatasetCoreError, ValueError):
    """A sample looked up by position (``dataset[0]``) rather than id or filepath."""

    http_status = 400


class DuplicateSampleError(DatasetCoreError, ValueError):
    """Samples whose filepath is already in the dataset."""

    http_status = 409


class MediaError(DatasetCoreError, ValueError):
    """A missing directory, a directory without images, an unreadable image."""

    http_status = 400


class ViewError(DatasetCoreError, ValueError):
    """A malformed view stage or expression."""

    http_status = 400


class ExportError(DatasetCoreError, ValueError):
    """An export that cannot be written: an unknown format, a non-empty directory,
    a label that cannot be a folder name, a value with no JSON form."""

    http_status = 400


class SavedViewNotFoundError(DatasetCoreError, KeyError):
    """A saved-view name that the dataset does not have."""

    http_status = 404

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnsupportedError(DatasetCoreError, NotImplementedError):
    """A FiftyOne facility we deliberately do not have (usage logging, migrations);
    the message says why and what to do instead."""

    http_status = 501
