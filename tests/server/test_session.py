"""launch_app and Session: a real server thread in this process, driven from Python."""

from __future__ import annotations

import json
import socket
import urllib.request

import pytest

import dataset_core as dc
from server import PortInUseError


@pytest.fixture
def session(labelled):
    s = dc.launch_app(labelled, port=0)
    yield s
    s.close()


def api(session, path: str) -> str:
    """An API URL of the session's server, carrying its token (as session.url does)."""
    return f"{session.base_url}{path}?token={session.token}"


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def test_launch_serves_the_dataset_and_prints_the_url(labelled, capsys):
    s = dc.launch_app(labelled, port=0)
    try:
        assert f"Dashboard: {s.url}" in capsys.readouterr().out
        assert _get(api(s, "api/state"))["dataset"] == "labelled"
        assert _get(api(s, "api/health"))["app"] == "dataset_core"
    finally:
        s.close()


def test_session_view_and_dataset_are_what_the_server_shows(session, labelled, database):
    session.view = labelled.match({"ground_truth.label": "dog"}).sort_by("score")
    state = _get(api(session, "api/state"))
    assert [s["_cls"] for s in state["view"]] == ["Match", "SortBy"]
    assert session.view.values("id") == labelled.match({"ground_truth.label": "dog"}).sort_by(
        "score"
    ).values("id")
    other = dc.Dataset("other")
    session.dataset = other
    assert _get(api(session, "api/state"))["dataset"] == "other" and session.view is None


def test_selection_made_elsewhere_is_seen_without_a_call(session, labelled):
    ids = labelled.limit(3).values("id")
    session._store.select(add=ids)  # what a browser's tick does
    assert session.selected == ids
    assert session.selected_view.values("id") == ids
    session.clear_selection()
    assert session.selected == [] and session.selected_view is None


def test_a_second_launch_on_the_same_port_reuses_the_server(session, labelled):
    again = dc.launch_app(labelled, port=session._server.port)
    assert again.url == session.url and again._store is session._store


def test_a_taken_port_is_a_clear_error():
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        port = other.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"Port {port} .* in use by another program"):
            dc.launch_app(port=port)


def test_refresh_bumps_the_state(session):
    before = session._store.get("refresh")
    session.refresh()
    assert _get(api(session, "api/state"))["refresh"] == before + 1
