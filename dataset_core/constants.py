"""Package constants with FiftyOne's names (``fiftyone.constants``)."""

from __future__ import annotations

from . import __version__

#: this package's version
VERSION = __version__
