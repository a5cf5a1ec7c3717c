"""The exceptions of dataset_core: one root, each also the natural builtin.

Every message says what was wrong, what is there, and what to do, e.g.
``Field 'lable' not found; fields: ['filepath', 'label', 'tags']``.
"""

from __future__ import annotations


class DatasetCoreError(Exception):
    """Root of every error raised on purpose by dataset_core."""


class DatabaseError(DatasetCoreError, ConnectionError):
    """The database cannot be reached, started or used."""


class DatasetNotFoundError(DatasetCoreError, KeyError):
    """A dataset name that does not exist."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class DatasetExistsError(DatasetCoreError, ValueError):
    """A dataset name that is already taken."""


class SampleNotFoundError(DatasetCoreError, KeyError):
    """A sample id that is not in the dataset or view."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class FieldNotFoundError(DatasetCoreError, KeyError, AttributeError):
    """A field that is not in the schema (or not set on a sample)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class SchemaError(DatasetCoreError, TypeError):
    """A value whose type conflicts with its field, or a bad field name."""


class DuplicateSampleError(DatasetCoreError, ValueError):
    """Samples whose filepath is already in the dataset."""


class MediaError(DatasetCoreError, ValueError):
    """A missing directory, a directory without images, an unreadable image."""


class ViewError(DatasetCoreError, ValueError):
    """A malformed view stage or expression."""


class ExportError(DatasetCoreError, ValueError):
    """An export that cannot be written: an unknown format, a non-empty directory,
    a label that cannot be a folder name, a value with no JSON form."""


class SavedViewNotFoundError(DatasetCoreError, KeyError):
    """A saved-view name that the dataset does not have."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
