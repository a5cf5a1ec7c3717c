"""Progress bars for long operations (tqdm), switched off by configuration.

Besides the terminal bar, a thread can ask to be told how its long operations
advance (:func:`report_progress`): the dashboard's operators use it to show
"embeddings 340/2000" while a brain call runs in a worker thread. The listener
is captured when a bar is made, so updates from other threads still reach it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from tqdm.auto import tqdm

from .config import config

T = TypeVar("T")

#: called as ``listener(description, done, total)``; total is None when unknown
ProgressListener = Callable[[str, int, "int | None"], None]

_local = threading.local()


@contextmanager
def report_progress(listener: ProgressListener) -> Iterator[None]:
    """Send the progress of every bar this thread makes to ``listener``.

    Example:
        >>> with report_progress(lambda desc, n, total: print(desc, n, total)):
        ...     brain.compute_uniqueness(dataset)
    """
    old = getattr(_local, "listener", None)
    _local.listener = listener
    try:
        yield
    finally:
        _local.listener = old


class _ReportingBar:
    """A tqdm bar that also tells a listener, even when the bar itself is hidden."""

    def __init__(self, listener: ProgressListener, **kwargs: Any) -> None:
        self._bar = tqdm(**kwargs)
        self._listener = listener
        self._desc = str(kwargs.get("desc") or "")
        self._total = kwargs.get("total")
        self._done = 0
        listener(self._desc, 0, self._total)

    def update(self, n: float | None = 1) -> bool | None:
        self._done += int(n or 0)
        self._listener(self._desc, self._done, self._total)
        return self._bar.update(n)

    def close(self) -> None:
        self._bar.close()

    def __enter__(self) -> _ReportingBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:  # set_postfix, n, ...: the bar's own
        return getattr(self._bar, name)


def _counted(bar: _ReportingBar, iterable: Iterable[T]) -> Iterator[T]:
    with bar:
        for item in iterable:
            yield item
            bar.update(1)


def progress_bar(iterable: Iterable[T] | None = None, **kwargs: Any) -> Any:
    """A tqdm bar, silent when ``DATASET_CORE_SHOW_PROGRESS=0``."""
    kwargs.setdefault("disable", not config.show_progress)
    kwargs.setdefault("leave", False)
    kwargs.setdefault("dynamic_ncols", True)
    listener = getattr(_local, "listener", None)
    if listener is None:
        return tqdm(iterable, **kwargs)
    if iterable is not None:
        if kwargs.get("total") is None and hasattr(iterable, "__len__"):
            kwargs["total"] = len(iterable)  # type: ignore[arg-type]
        return _counted(_ReportingBar(listener=listener, **kwargs), iterable)
    return _ReportingBar(listener=listener, **kwargs)
