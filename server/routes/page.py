"""The dashboard's page, with its first screen inside.

``GET /`` serves ``app/index.html``. When the request passes every check a data
route makes (``server/security.py`` marks it), the page also carries what the
first screen needs, as a ``<script type="application/json" id="boot-data">``:
the session's dataset and view and that view's count and first page (the bodies
of ``/api/count`` and ``/api/samples``). ``main.js`` reads it as soon as the
modules run, asks for the first screen's thumbnails at once, and takes the rest
for its first load when the websocket's state shows the same dataset and view,
instead of waiting for the websocket and two requests before it asks for anything.
(Preload links for the thumbnails in the page itself were tried: they compete
with the ~20 modules for the server and the connections, and the first tile
came no sooner.)

The JSON is escaped for an HTML script element (``<``, ``>``, ``&`` as ``\\u``
escapes), since sample fields are user data. Anything that fails here (a
dataset deleted meanwhile, a view the database refuses, a dead database)
serves the page without its data: the page's own requests then say what is
wrong, where the user sees it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..context import get_view
from ..security import AUTHORIZED
from .samples import page_json

router = APIRouter(tags=["page"])

#: samples in the inlined first page (app/js/grid.js's PAGE)
FIRST_PAGE = 100
_HEAD_END = "</head>"


def _json_for_script(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def first_screen(state: dict[str, Any], refresh: Any) -> dict[str, Any] | None:
    """The state's dataset and view with their count and first page, or None when
    there is no dataset or the view is grouped (the grid asks for its groups)."""
    dataset, stages = state.get("dataset"), state.get("view") or []
    if not dataset or any(s.get("_cls") == "GroupBy" for s in stages if isinstance(s, dict)):
        return None
    count = get_view(dataset, stages).estimated_count()
    page = page_json(dataset, stages, 0, FIRST_PAGE, refresh)
    return {"dataset": dataset, "view": stages, "count": {"count": count}, "page": page}


def with_first_screen(page: str, boot: dict[str, Any]) -> str:
    """``page`` (index.html) with ``boot``'s data in its head."""
    data = f'  <script type="application/json" id="boot-data">{_json_for_script(boot)}</script>\n'
    return page.replace(_HEAD_END, data + _HEAD_END, 1)


def _template(folder: Path) -> str:
    return (folder / "index.html").read_text(encoding="utf-8")


@router.get("/", include_in_schema=False)
@router.get("/index.html", include_in_schema=False)
def index_page(request: Request) -> HTMLResponse:
    """The dashboard (see the module's docstring)."""
    page = _template(request.app.state.static_dir)
    headers = {"Cache-Control": "no-store"}  # it may hold the session's data
    if not request.scope.get(AUTHORIZED):
        return HTMLResponse(page, headers=headers)
    store = request.app.state.store
    try:
        boot = first_screen(store.snapshot(), store.get("refresh"))
    except Exception:  # noqa: BLE001 - the page's own requests report it (see above)
        boot = None
    if boot is None:
        return HTMLResponse(page, headers=headers)
    return HTMLResponse(with_first_screen(page, boot), headers=headers)
