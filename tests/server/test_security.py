"""The dashboard answers only its user: attacks from other pages, names and requests.

A real uvicorn server (``launch_app``), raw HTTP and websocket clients with
forged headers, real Chromium for the page-origin cases, real mongod.
"""

from __future__ import annotations

import http.client
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

import dataset_core as dc
from dataset_core.config import config
from dataset_core.errors import ViewError
from tests.conftest import write_image


@pytest.fixture
def session(labelled, tmp_path, monkeypatch):
    monkeypatch.setattr(config, "home", tmp_path / "home")
    s = dc.launch_app(labelled, port=0, auto=False)
    yield s
    s.close()


def raw(session, method, path, headers=None, body=None, token=True):
    """One request on a fresh connection with exactly these headers."""
    port = session._server.port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    hdrs = {"Host": f"127.0.0.1:{port}", **(headers or {})}
    if token and session.token:
        hdrs.setdefault("Authorization", f"Bearer {session.token}")
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        hdrs["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=hdrs)
    r = conn.getresponse()
    out = r.status, r.read(), dict(r.getheaders())
    conn.close()
    return out


# -- Host (DNS rebinding) and Origin --------------------------------------------------


def test_a_rebound_host_name_is_refused(session):
    for path in ("/api/datasets", "/api/state", "/media/labelled/x"):
        status, body, _ = raw(
            session, "GET", path, {"Host": f"evil.example:{session._server.port}"}
        )
        assert status == 403 and "not this dashboard's address" in json.loads(body)["error"]
    assert raw(session, "GET", "/api/datasets")[0] == 200  # the legitimate Host


def test_a_destructive_operator_is_refused_under_a_rebound_name(session, labelled):
    evil = {"Host": f"evil.example:{session._server.port}"}
    status, _, _ = raw(session, "POST", "/api/operators/find_exact_duplicates/run", evil,
                       {"dataset": "labelled", "view": []})  # fmt: skip
    assert status == 403 and not labelled.has_saved_view("exact_dup_view")


def test_the_allow_listed_proxy_name_is_served(session, labelled, monkeypatch):
    monkeypatch.setattr(session._server.security, "allowed_hosts", ("dash.internal",))
    status, body, _ = raw(session, "GET", "/api/datasets", {"Host": "dash.internal"})
    assert status == 200 and "labelled" in body.decode()
    origin = {"Host": "dash.internal", "Origin": "https://dash.internal"}
    assert raw(session, "GET", "/api/datasets", origin)[0] == 200


def test_a_foreign_origin_or_referer_is_refused(session, store=None):
    port = session._server.port
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"},
                    {"Referer": "http://evil.example/page"},
                    {"Origin": f"http://localhost:{port}"}):  # fmt: skip
        status, body, _ = raw(session, "POST", "/api/state", headers,
                              {"changes": {"dataset": None}})  # fmt: skip
        assert status == 403 and "own origin" in json.loads(body)["error"], headers
    assert session._store.get("dataset") == "labelled"
    same = {"Origin": f"http://127.0.0.1:{port}"}
    assert raw(session, "GET", "/api/state", same)[0] == 200


def test_a_websocket_from_another_origin_is_refused(session):
    url = f"ws://127.0.0.1:{session._server.port}/ws/state?token={session.token}"
    with pytest.raises(InvalidStatus) as e:
        connect(url, origin="http://evil.example", open_timeout=5)
    assert e.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        connect(url, additional_headers={"Host": "evil.example"}, open_timeout=5)
    with connect(url, origin=f"http://127.0.0.1:{session._server.port}", open_timeout=5) as ws:
        assert json.loads(ws.recv(timeout=5))["state"]["dataset"] == "labelled"


# -- the token ---------------------------------------------------------------------------


def test_the_token_is_required_and_kept_in_a_cookie(session):
    assert "?token=" in session.url and len(session.token) >= 24
    status, body, _ = raw(session, "GET", "/api/datasets", token=False)
    assert status == 403 and "token" in json.loads(body)["error"]
    wrong = {"Authorization": "Bearer nope"}
    assert raw(session, "GET", "/api/datasets", wrong, token=False)[0] == 403
    status, _, headers = raw(session, "GET", f"/?token={session.token}", token=False)
    cookie = headers["set-cookie"]
    assert status == 200 and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert session.token in cookie
    name_value = cookie.split(";")[0]
    assert raw(session, "GET", "/api/datasets", {"Cookie": name_value}, token=False)[0] == 200
    # a wrong ?token= never earns the cookie
    _, _, headers = raw(session, "GET", "/?token=guess", token=False)
    assert "set-cookie" not in headers
    with pytest.raises(InvalidStatus):
        connect(f"ws://127.0.0.1:{session._server.port}/ws/state", open_timeout=5)


def test_the_token_can_be_turned_off_on_loopback_only(labelled):
    s = dc.launch_app(labelled, port=0, auto=False, token=False)
    try:
        assert s.token is None and "token" not in s.url
        assert raw(s, "GET", "/api/datasets", token=False)[0] == 200
    finally:
        s.close()
    with pytest.raises(ValueError, match="always needs its token"):
        dc.launch_app(labelled, port=0, address="0.0.0.0", auto=False, token=False)


# -- a page on another origin, in Chromium -----------------------------------------------

EVIL_PAGE = """<!doctype html><script>
const target = "%s";
window.results = [];
fetch(target + "api/state", {method: "POST", credentials: "include", mode: "no-cors",
  headers: {"Content-Type": "text/plain"},
  body: JSON.stringify({changes: {dataset: null}})}).then(() => results.push("posted"),
  () => results.push("post failed"));
const ws = new WebSocket(target.replace("http", "ws") + "ws/state");
ws.onopen = () => { ws.send(JSON.stringify({type: "update", changes: {dataset: null}}));
                    results.push("ws open"); };
ws.onerror = () => results.push("ws refused");
</script>"""


def test_a_page_on_another_origin_cannot_change_the_session(session, browser):
    class Evil(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            page = (EVIL_PAGE % session.base_url).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    evil = ThreadingHTTPServer(("127.0.0.1", 0), Evil)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(session.url)  # the user has the dashboard open: its cookie is set
        page.goto(f"http://localhost:{evil.server_address[1]}/")
        page.wait_for_function("() => window.results.length >= 2", timeout=10_000)
        assert "ws refused" in page.evaluate("window.results")
        assert session._store.get("dataset") == "labelled"
    finally:
        context.close()
        evil.shutdown()
        evil.server_close()


def test_the_app_runs_under_its_strict_csp(session, browser, labelled):
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # CSP enforced
    page = context.new_page()
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    try:
        response = page.goto(session.url)
        assert "default-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_selector(".tile[data-id] img")
        page.wait_for_selector("#sidebar .value input")
        page.click("#sidebar .value input")  # a sidebar filter: bars re-rendered
        page.wait_for_selector("#viewbar :text('Match')")
        page.click(".tile[data-id] img")  # the sample view
        page.wait_for_selector("#modal:not([hidden]) #modal-figure img")
        assert violations == []
    finally:
        context.close()


# -- views from HTTP are data ------------------------------------------------------------


def _count(session, stages):
    return raw(session, "POST", "/api/count", body={"dataset": "labelled", "view": stages})


@pytest.mark.parametrize(
    "stage, words",
    [
        ({"_cls": "Mongo", "kwargs": {"pipeline": [{"$lookup": {"from": "datasets",
          "pipeline": [], "as": "x"}}]}}, "not accepted"),
        ({"_cls": "Match", "kwargs": {"filter": {"$where": "sleep(100) || true"}}}, "Match filter"),
        ({"_cls": "Match", "kwargs": {"filter": {"score": {"$where": "1"}}}}, "Match filter"),
        ({"_cls": "Match", "kwargs": {"filter": {"$expr": {"$function": {
          "body": "function() { return true }", "args": [], "lang": "js"}}}}}, "$function"),
        ({"_cls": "SortBy", "kwargs": {"field_or_expr": {"$expr": {"$accumulator": {}}}}},
         "$accumulator"),
        ({"_cls": "FilterLabels", "kwargs": {"field": "ground_truth", "filter": {"$expr": {
          "$function": {"body": "1", "args": [], "lang": "js"}}}}}, "$function"),
    ],
)  # fmt: skip
def test_mongodb_queries_from_http_are_refused(session, stage, words):
    status, body, _ = _count(session, [stage])
    assert status == 400 and words in json.loads(body)["error"]


def test_the_sidebars_filters_and_f_expressions_still_work(session, labelled):
    label = {"_cls": "Match", "kwargs": {"filter": {"ground_truth.label": {"$in": ["dog"]}}}}
    expr = dc.F("score") > 0.3
    stages = [label, labelled.match(expr).to_dict()["stages"][0]]
    status, body, _ = _count(session, stages)
    expected = len(labelled.match({"ground_truth.label": "dog"}).match(expr))
    assert status == 200 and json.loads(body)["count"] == expected


def test_no_view_writes_even_from_python(labelled, database):
    with pytest.raises(ViewError, match=r"\$out"):
        labelled.mongo([{"$out": "datasets"}])
    with pytest.raises(ViewError, match=r"\$merge"):
        labelled.mongo([{"$facet": {"a": [{"$merge": {"into": "datasets"}}]}}])
    # a saved view written with $out behind the library's back is refused when read
    labelled.save_view("evil", labelled.limit(1))
    raw_doc = database["datasets"].find_one({"name": "labelled"})
    text = json.dumps(raw_doc["saved_views"], default=str).replace(
        '{\\"_cls\\": \\"Limit\\", \\"kwargs\\": {\\"limit\\": 1}}',
        '{\\"_cls\\": \\"Mongo\\", \\"kwargs\\": {\\"pipeline\\": [{\\"$out\\": \\"datasets\\"}]}}',
    )
    assert "$out" in text
    database["datasets"].update_one({"name": "labelled"},
                                    {"$set": {"saved_views": json.loads(text)}})  # fmt: skip
    from dataset_core import dataset as dataset_module

    dataset_module._instances.clear()
    with pytest.raises(ViewError, match=r"\$out"):
        list(dc.load_dataset("labelled").load_saved_view("evil"))
    assert "labelled" in dc.list_datasets()


# -- database errors, time and size -------------------------------------------------------


@pytest.mark.parametrize(
    "request_body",
    [
        {"view": [{"_cls": "Match", "kwargs": {"filter": {"$expr": {"$eq": [
          {"$divide": [1, 0]}, 1]}}}}]},
        {"view": [{"_cls": "SortBy", "kwargs": {"field_or_expr": {"$expr": {"$toInt":
          "$filepath"}}}}]},
        {"view": [{"_cls": "Limit", "kwargs": {"limit": 2**63}}]},
        {"view": [{"_cls": "Skip", "kwargs": {"skip": -1}}]},
        {"view": [{"_cls": "Match", "kwargs": {"filter": {"$expr": json.loads(
          "[" * 200 + "1" + "]" * 200)}}}]},
    ],
)  # fmt: skip
def test_database_errors_are_one_line_400s_and_the_connection_lives(session, request_body):
    port = session._server.port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Host": f"127.0.0.1:{port}", "Authorization": f"Bearer {session.token}",
               "Content-Type": "application/json"}  # fmt: skip
    conn.request("POST", "/api/samples", json.dumps({"dataset": "labelled", **request_body}),
                 headers)  # fmt: skip
    r = conn.getresponse()
    text = r.read()
    error = json.loads(text).get("error", text)
    assert r.status == 400 and "\n" not in error and len(error) < 400
    conn.request("GET", "/api/datasets", headers=headers)  # same keep-alive connection
    assert conn.getresponse().status == 200
    conn.close()


def test_a_slow_query_times_out_with_408(session, monkeypatch):
    monkeypatch.setattr(config, "query_timeout_ms", 200)
    slow = {"$expr": {"$gt": [{"$reduce": {"input": {"$range": [0, 3_000_000]},
            "initialValue": 0, "in": {"$add": ["$$value", 1]}}}, 0]}}  # fmt: skip
    status, body, _ = _count(session, [{"_cls": "Match", "kwargs": {"filter": slow}}])
    assert status == 408 and "DATASET_CORE_QUERY_TIMEOUT_MS" in json.loads(body)["error"]


def test_a_huge_body_is_413(session, monkeypatch):
    monkeypatch.setattr(config, "max_body_bytes", 1 << 20)
    ids = ["0" * 24] * 60_000  # ~1.6 MB of JSON
    stage = {"_cls": "Select", "kwargs": {"sample_ids": ids}}
    status, body, _ = _count(session, [stage])
    assert status == 413 and "MB" in json.loads(body)["error"]


def test_temporary_id_collections_are_dropped_after_the_request(session, labelled, database,
                                                                monkeypatch):  # fmt: skip
    from dataset_core.stages import idsets

    monkeypatch.setattr(idsets, "MAX_INLINE_IDS", 2)
    for n in (5, 6, 7):  # three different lists: three collections, each dropped
        stage = labelled.select(labelled.limit(n).values("id")).to_dict()["stages"][0]
        status, body, _ = _count(session, [stage])
        assert status == 200 and json.loads(body)["count"] == n, body
    assert [c for c in database.list_collection_names() if c.startswith("tmp.ids.")] == []


# -- destructive operators need their preview -------------------------------------------


def test_a_destructive_operator_needs_a_preview_of_the_same_view(client, labelled):
    body = {"dataset": "labelled", "view": []}
    job = client.post("/api/operators/find_exact_duplicates/run", json=body).json()
    _wait(client, job["id"])
    name = "/api/operators/deduplicate_exact_duplicates"
    lone = client.post(f"{name}/run", json=body)
    assert lone.status_code == 400 and "preview it first" in lone.json()["error"]
    dry = client.post(f"{name}/preview", json=body).json()
    other_view = {**body, "view": [{"_cls": "Limit", "kwargs": {"limit": 13}}]}
    assert client.post(f"{name}/run", json={**other_view, "preview_id": dry["preview_id"]}
                       ).status_code == 400  # fmt: skip
    other_params = {**body, "params": {"keep": "largest"}, "preview_id": dry["preview_id"]}
    assert client.post(f"{name}/run", json=other_params).status_code == 400
    assert len(labelled) == 14
    dry = client.post(f"{name}/preview", json=body).json()
    client.cookies.delete("dataset_core_client")  # another client with the same preview id
    assert client.post(f"{name}/run", json={**body, "preview_id": dry["preview_id"]}
                       ).status_code == 400  # fmt: skip
    assert len(labelled) == 14


def _wait(client, job_id):
    import time

    for _ in range(600):
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] != "running":
            return job
        time.sleep(0.05)
    return job


# -- media --------------------------------------------------------------------------------


def test_html_posing_as_an_image_is_never_served(client, labelled, tmp_path):
    fake = tmp_path / "evil.html"
    fake.write_bytes(b"GIF89a<script>fetch('/api/datasets')</script>")
    sample = dc.Sample(filepath=str(fake))
    labelled.add_sample(sample)
    r = client.get(f"/media/labelled/{sample.id}")
    assert r.status_code == 422 and "text/html" not in r.headers["content-type"]
    real = labelled.first()
    r = client.get(f"/media/labelled/{real.id}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"].startswith("sandbox")
    assert (
        client.get(f"/thumb/labelled/{real.id}")
        .headers["content-security-policy"]
        .startswith("sandbox")
    )


def colours(img) -> set[bytes]:
    """The distinct RGB triples of an image."""
    data = img.tobytes()
    return {data[i : i + 3] for i in range(0, len(data), 3)}


def test_images_past_the_pixel_limit_get_a_placeholder_thumbnail(client, labelled, tmp_path,
                                                                 monkeypatch):  # fmt: skip
    from io import BytesIO

    from PIL import Image

    from server import thumbnails

    big = write_image(tmp_path / "big.png", size=(400, 300), seed=3)
    sample = dc.Sample(filepath=str(big))
    labelled.add_sample(sample)
    monkeypatch.setattr(thumbnails, "MAX_DECODE_PIXELS", 100_000)  # 400x300 is past it
    r = client.get(f"/thumb/labelled/{sample.id}")
    assert r.status_code == 200
    img = Image.open(BytesIO(r.content)).convert("RGB")
    assert len(colours(img)) <= 4  # one flat colour (JPEG may shade it a little)
    small = labelled.first()
    img = Image.open(BytesIO(client.get(f"/thumb/labelled/{small.id}").content)).convert("RGB")
    assert len(colours(img)) > 100  # a real picture under the limit


def test_session_url_is_the_legitimate_path(session):
    parts = urlsplit(session.url)
    assert parts.query == f"token={session.token}" and Path(parts.path) == Path("/")
