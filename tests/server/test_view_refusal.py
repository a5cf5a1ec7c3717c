"""A view MongoDB refuses is refused when it is set, from Python and from a
browser, with MongoDB's message in one line; the shown view stays as it was."""

from __future__ import annotations

import pytest

import dataset_core as dc
from dataset_core import F
from dataset_core.errors import ViewError
from tests.server.conftest import BASE_URL

#: the issue's typo: a misspelt operator that only MongoDB knows is wrong
TYPO = {"score": {"$gtt": 0.5}}
#: an expression that parses but fails on the first sample it meets
DIVIDE_BY_TEXT = {"$expr": {"$gt": [{"$divide": ["$score", "abc"]}, 1]}}


@pytest.fixture
def session(labelled, tmp_path, monkeypatch):
    from dataset_core.config import config

    monkeypatch.setattr(config, "home", tmp_path / "home")
    s = dc.launch_app(labelled, port=0)
    yield s
    s.close()


def one_line(text: str) -> bool:
    return "\n" not in text and 0 < len(text) <= 500


@pytest.mark.parametrize(("view", "stage", "says"), [
    (lambda ds: ds.match(TYPO), 0, "unknown operator: $gtt"),
    (lambda ds: ds.sort_by("score").match(TYPO).limit(3), 1, "unknown operator: $gtt"),
    (lambda ds: ds.match(DIVIDE_BY_TEXT), 0, "$divide only supports numeric types"),
])  # fmt: skip
def test_validate_names_the_stage_and_mongodbs_message(labelled, view, stage, says):
    with pytest.raises(ViewError) as e:
        view(labelled).validate()
    assert str(e.value).startswith(f"stages[{stage}] ") and says in str(e.value)
    assert one_line(str(e.value))


def test_validate_returns_a_good_view_unchanged(labelled):
    view = labelled.match(F("score") > 0.5).sort_by("score").limit(3)
    assert view.validate() is view
    assert labelled.view().validate().stages == ()


def test_session_refuses_a_view_mongodb_refuses_and_keeps_the_old_one(session, labelled):
    session.view = labelled.match({"ground_truth.label": "dog"})
    before = session._store.snapshot()
    with pytest.raises(ViewError) as e:
        session.view = labelled.match(TYPO)
    assert "stages[0]" in str(e.value) and "unknown operator: $gtt" in str(e.value)
    assert one_line(str(e.value))
    assert session._store.snapshot() == before  # no new version: browsers saw nothing
    assert len(session.view) == 5


def test_session_refuses_a_view_the_dashboard_could_not_show(session, labelled):
    # a raw query is for Python code; a browser may not send it back, so the
    # dashboard could never show it: refused when set, not on every request after
    with pytest.raises(ViewError, match="Match filter from the dashboard"):
        session.view = labelled.match({"$or": [{"score": 0.1}, {"score": 0.2}]})
    assert session.view is None


@pytest.mark.parametrize("bad", [[{"_cls": "Match", "kwargs": {"filter": DIVIDE_BY_TEXT}}],
                                 [{"_cls": "SortBy", "kwargs": {"field_or_expr": {
                                     "$toInt": "$filepath"}}}]])  # fmt: skip
def test_the_state_route_refuses_a_failing_view_with_a_400(client, store, labelled, bad):
    assert client.post("/api/state", json={"changes": {"dataset": "labelled"}}).status_code == 200
    version = store.version
    r = client.post("/api/state", json={"changes": {"view": bad}})
    assert r.status_code == 400
    msg = r.json()["error"]
    assert msg.startswith("stages[0] ") and "fails on MongoDB" in msg and one_line(msg)
    assert store.version == version and store.get("view") == []


def test_the_websocket_refuses_a_failing_view_and_answers_its_id(client, store, labelled):
    store.apply({"dataset": "labelled"})
    good = [{"_cls": "Limit", "kwargs": {"limit": 3}}]
    with client.websocket_connect(BASE_URL.replace("http", "ws") + "/ws/state") as ws:
        assert ws.receive_json()["type"] == "state"
        bad = [{"_cls": "Match", "kwargs": {"filter": DIVIDE_BY_TEXT}}]
        ws.send_json({"type": "update", "changes": {"view": bad}, "id": 7})
        reply = ws.receive_json()
        assert reply["type"] == "error" and reply["id"] == 7
        assert "$divide only supports numeric types" in reply["message"]
        assert store.get("view") == []
        ws.send_json({"type": "update", "changes": {"view": good}, "id": 8})
        state, ack = ws.receive_json(), ws.receive_json()  # the state first, then its ack
        assert state["type"] == "state" and state["state"]["view"] == good
        assert ack == {"type": "ack", "id": 8}


def test_a_malformed_body_answers_one_line_in_the_error_form(client, labelled):
    r = client.post("/api/count", json={"dataset": "labelled", "view": ["x"]})
    assert r.status_code == 422
    assert r.json()["error"].startswith("Malformed request: body.view.0: ")


def test_a_view_failing_on_a_later_sample_names_its_stage_when_read(labelled):
    # the check on set runs the view until one sample comes out; the reads meet the
    # failing sample, and their error names the stage as validate() does
    labelled.set_values("x", [1] * (len(labelled) - 1) + ["oops"])
    view = labelled.limit(20).match(F("score") / F("x") >= 0)
    assert view.validate() is view
    with pytest.raises(ViewError) as e:
        len(view)
    assert str(e.value).startswith("stages[1] Match(") and one_line(str(e.value))
    assert "$divide only supports numeric types" in str(e.value)
