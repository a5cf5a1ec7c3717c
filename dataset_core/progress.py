"""Progress bars for long operations (tqdm), switched off by configuration."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from tqdm.auto import tqdm

from .config import config

T = TypeVar("T")


def progress_bar(iterable: Iterable[T] | None = None, **kwargs: Any) -> Any:
    """A tqdm bar, silent when ``DATASET_CORE_SHOW_PROGRESS=0``."""
    kwargs.setdefault("disable", not config.show_progress)
    kwargs.setdefault("leave", False)
    kwargs.setdefault("dynamic_ncols", True)
    return tqdm(iterable, **kwargs)
