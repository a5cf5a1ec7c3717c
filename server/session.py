"""Sessions: the dashboard in a browser, in sync with this Python process.

:func:`launch_app` starts the server in a background thread of this process
(or reuses the one already serving that port here) and returns a
:class:`Session`. The session and every browser share one state object
(``server.state.StateStore``): ``session.view = ...`` changes it and the
browsers follow within a moment; a tick in a browser changes it and
``session.selected`` says so at once, with no call to make.

This module sits on the top floor: it imports ``server`` inside functions, so
``import dataset_core`` stays light.
"""

from __future__ import annotations

import time
import webbrowser
from typing import TYPE_CHECKING, Any

from dataset_core.errors import DatasetCoreError

if TYPE_CHECKING:
    from dataset_core.dataset import Dataset
    from dataset_core.view import DatasetView
    from server import ServerThread, StateStore

#: the dashboard's port unless told otherwise (FiftyOne's, so muscle memory works)
DEFAULT_PORT = 5151
#: height of the inline dashboard in a notebook, in pixels
NOTEBOOK_HEIGHT = 800

#: servers started by this process, by (address, port)
_servers: dict[tuple[str, int], ServerThread] = {}


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class Session:
    """A dashboard kept in sync with Python; made by :func:`launch_app`.

    Attributes set here change what every browser shows; attributes read here
    reflect what browsers did (ticks, filters, the open sample).

    Example:
        >>> session = dc.launch_app(dataset)
        >>> session.view = dataset.sort_by("uniqueness")
        >>> dups = dataset.select(session.selected)
    """

    def __init__(self, server: ServerThread) -> None:
        self._server = server

    @property
    def _store(self) -> StateStore:
        return self._server.store

    # -- what is shown -----------------------------------------------------------

    @property
    def dataset(self) -> Dataset | None:
        """The dataset shown, or None."""
        from dataset_core.dataset import load_dataset

        name = self._store.get("dataset")
        return load_dataset(name) if name else None

    @dataset.setter
    def dataset(self, dataset: Dataset | None) -> None:
        self._store.apply({"dataset": dataset.name if dataset is not None else None})

    @property
    def view(self) -> DatasetView | None:
        """The view shown (with any filters added in the browser), or None for the
        whole dataset. A patches view is the one the dashboard shows (made once: see
        ``server/patches.py``), not a copy made anew at each read."""
        from .context import get_view

        name = self._store.get("dataset")
        stages = self._store.get("view")
        if name is None or not stages:
            return None
        return get_view(name, stages)

    @view.setter
    def view(self, view: DatasetView | Dataset | None) -> None:
        """Show ``view`` (a dataset: all of it; None: the whole current dataset).

        Raises:
            ViewError: the dashboard could not show the view: a stage MongoDB
                refuses (``{"$gtt": 0.5}``), or one a browser may not send (raw
                ``Mongo`` steps, raw queries); the message names the stage, and
                the session keeps showing what it showed.
        """
        if view is None:
            self._store.apply({"view": []})
            return
        from dataset_core.dataset import Dataset

        if isinstance(view, Dataset):
            self._store.apply({"dataset": view.name, "view": []})
            return
        from .context import shown_view

        d = shown_view(view).to_dict()  # refused here, not in every browser request
        self._store.apply({"dataset": d["dataset"], "view": d["stages"]})

    @property
    def selected(self) -> list[str]:
        """The ids of the samples ticked in the browser, in the order they were ticked."""
        return self._store.get("selected")

    @selected.setter
    def selected(self, ids: list[str]) -> None:
        self._store.apply({"selected": [str(i) for i in ids]})

    @property
    def selected_view(self) -> DatasetView | None:
        """A view of the ticked samples, or None when nothing is ticked."""
        dataset, ids = self.dataset, self.selected
        return dataset.select(ids, ordered=True) if dataset is not None and ids else None

    def clear_selection(self) -> None:
        """Untick everything."""
        self.selected = []

    # -- the browser -----------------------------------------------------------------

    @property
    def url(self) -> str:
        """The dashboard's address, carrying its token (``?token=...``) unless that is
        turned off; the browser keeps the token in a cookie once it has opened it."""
        return self._server.url

    @property
    def base_url(self) -> str:
        """The dashboard's address without the token (for building API URLs)."""
        return self._server.base_url

    @property
    def token(self) -> str | None:
        """The server's token (send it as ``?token=`` or ``Authorization: Bearer``), or None."""
        return self._server.token

    def refresh(self) -> None:
        """Make every browser re-read its samples and counts (after edits from Python);
        ticks of samples deleted meanwhile go, and so does a sample view showing one."""
        from .context import deleted_ids

        self._store.bump_refresh(gone=deleted_ids(self._store.snapshot()))

    def open(self) -> None:
        """Open the dashboard in the system's web browser."""
        webbrowser.open(self.url)

    def show(self, height: int = NOTEBOOK_HEIGHT) -> Any:
        """Show the dashboard inline in a Jupyter notebook (returns the IFrame)."""
        try:
            from IPython.display import IFrame, display
        except ImportError:
            raise DatasetCoreError(
                f"show() needs IPython (a notebook); open {self.url} in a browser instead"
            ) from None
        frame = IFrame(self.url, width="100%", height=height)
        display(frame)
        return frame

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the browser tabs have been closed (or ``timeout`` seconds).

        A negative ``timeout`` serves until Ctrl-C, whatever the tabs do (as in
        FiftyOne); Ctrl-C always returns early. Returns True when the last tab closed.
        """
        try:
            if timeout is not None and timeout < 0:
                while True:
                    time.sleep(3600)
            return self._store.wait_until_closed(timeout)
        except KeyboardInterrupt:
            return False

    def close(self) -> None:
        """Stop the server (browsers lose their connection)."""
        self._server.stop()
        _servers.pop((self._server.address, self._server.port), None)

    def __repr__(self) -> str:
        state = self._store.snapshot()
        return (
            f"Dashboard: {self.url}\nDataset:   {state['dataset'] or '-'}\n"
            f"Stages:    {len(state['view'])}\nSelected:  {len(state['selected'])}"
        )


def launch_app(
    dataset: Dataset | None = None, view: DatasetView | None = None, port: int = DEFAULT_PORT,
    address: str = "127.0.0.1", auto: bool = True, token: bool | None = None,
) -> Session:  # fmt: skip
    """Serve the dashboard and return a :class:`Session` in sync with it.

    Args:
        dataset: the dataset to show.
        view: a view to show instead (of ``dataset`` or any dataset).
        port: the port; 0 picks a free one. A server this process already runs
            on that port is reused.
        address: the interface to listen on; loopback unless told otherwise
            (``"0.0.0.0"`` exposes the dashboard and its images to the network).
        auto: in a notebook, show the dashboard inline.
        token: require the server's secret token (in ``session.url``); None follows
            ``DATASET_CORE_SERVER_TOKEN`` (on by default). Off the loopback
            address it is always required.

    Returns:
        The :class:`Session`; its URL is printed.

    Raises:
        PortInUseError: the port is taken by another process (the message says
            which and what to do).

    Example:
        >>> session = dc.launch_app(dataset)
        Dashboard: http://127.0.0.1:5151/?token=...
    """
    from server import ServerThread, StateStore

    server = _servers.get((address, port))
    if server is None or not server.running:
        server = ServerThread(StateStore(), address, port, token=token).start()
        _servers[(address, server.port)] = server
    session = Session(server)
    if view is not None:
        session.view = view
    elif dataset is not None:
        session.dataset = dataset
    print(f"Dashboard: {session.url}")
    if auto and _in_notebook():
        session.show()
    return session


#: FiftyOne's name for it, and a plainer one
launch_dashboard = launch_app
