"""The REST API against the real mongod: pages, sidebar, tags, views, media, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import dataset_core as dc
from dataset_core import F
from tests.conftest import write_image
from tests.server.conftest import BASE_URL


def body(ds, view=None, **extra):
    stages = view.to_dict()["stages"] if view is not None else []
    return {"dataset": ds.name, "view": stages, **extra}


def test_datasets_list_and_description(client, labelled):
    assert {"name": "labelled", "count": 14} in client.get("/api/datasets").json()
    info = client.get("/api/datasets/labelled").json()
    assert info["count"] == 14
    assert info["schema"]["ground_truth"]["document_type"] == "Classification"
    assert info["schema"]["score"]["ftype"] == "float"


def test_pages_walk_the_view_in_order(client, labelled):
    view = labelled.sort_by("score", reverse=True)
    seen, offset = [], 0
    while offset is not None:
        res = client.post("/api/samples", json=body(labelled, view, offset=offset, limit=5)).json()
        seen += [s["id"] for s in res["samples"]]
        offset = res["next_offset"]
    assert seen == view.values("id")
    first = client.post("/api/samples", json=body(labelled, view, limit=1)).json()["samples"][0]
    assert first["ground_truth"]["_cls"] == "Classification" and first["score"] == 1.3


def test_page_leaves_out_arrays(client, labelled):
    import numpy as np

    labelled.set_values("embedding", [np.ones(8, dtype=np.float32)] * len(labelled))
    sample = client.post("/api/samples", json=body(labelled, limit=1)).json()["samples"][0]
    assert "embedding" not in sample
    whole = client.get(f"/api/datasets/labelled/samples/{sample['id']}").json()
    assert whole["embedding"] == {"_cls": "ndarray"}


def test_sidebar_counts_agree_with_aggregations(client, labelled):
    view = labelled.match(F("score") > 0.3)
    side = client.post("/api/sidebar", json=body(labelled, view)).json()
    assert side["count"] == len(view) == 10
    fields = {f["name"]: f for f in side["fields"]}
    assert dict(map(tuple, fields["ground_truth"]["values"])) == view.count_values(
        "ground_truth.label"
    )
    lo, hi = view.bounds("score")
    assert fields["score"]["bounds"] == [lo, hi]
    # histograms and sliders span the whole dataset, so their axes stay put while filtering
    hist = fields["score"]["histogram"]
    full = labelled.bounds("score")
    assert fields["score"]["range"] == list(full)
    expected, edges = np.histogram(view.values("score"), bins=len(hist["counts"]), range=full)
    assert hist["counts"] == expected.tolist()
    assert hist["edges"] == pytest.approx(edges.tolist())


def test_a_filtered_sidebar_answers_fields_no_sample_sets_as_empty(client, labelled, tmp_path):
    # with the dataset's summary cached, a field that no sample sets is not asked
    # again for each filter: its answer must be what the query would have given
    labelled.add_sample_field("note", dc.StringField)
    labelled.add_sample_field("weight", dc.FloatField)
    stage = {"_cls": "Match", "kwargs": {"filter": {"ground_truth.label": {"$in": ["dog"]}}}}
    whole = client.post("/api/sidebar", json={"dataset": "labelled", "view": []}).json()
    side = client.post("/api/sidebar", json={"dataset": "labelled", "view": [stage]}).json()
    fields = {f["name"]: f for f in side["fields"]}
    assert side["count"] == 5 and side["total"] == 14
    assert {k: fields["note"][k] for k in ("count", "total", "values", "distinct")} == {
        "count": 0, "total": 0, "values": [], "distinct": 0}  # fmt: skip
    assert fields["weight"]["count"] == 0 and fields["weight"]["bounds"] == [None, None]
    assert "histogram" not in fields["weight"]
    assert dict(map(tuple, fields["ground_truth"]["values"])) == {"cat": 7, "dog": 5, "mountain": 2}
    # once a sample sets it, a change of the dataset's count brings it back
    new = write_image(tmp_path / "new.jpg", seed=99)
    labelled.add_sample(dc.Sample(filepath=str(new), note="x", weight=2.0,
                                  ground_truth=dc.Classification(label="dog")))  # fmt: skip
    side = client.post("/api/sidebar", json={"dataset": "labelled", "view": [stage]}).json()
    fields = {f["name"]: f for f in side["fields"]}
    assert fields["note"]["values"] == [["x", 1]] and fields["weight"]["bounds"] == [2.0, 2.0]
    assert whole["count"] == 14


def test_a_filter_stage_from_the_sidebar_gives_the_match_count(client, labelled):
    stage = {"_cls": "Match", "kwargs": {"filter": {"ground_truth.label": {"$in": ["dog"]}}}}
    res = client.post("/api/count", json={"dataset": "labelled", "view": [stage]}).json()
    assert res["count"] == len(labelled.match({"ground_truth.label": "dog"})) == 5


def test_tagging_ids_is_stored_and_clients_are_told(client, labelled, store):
    ids = labelled.limit(3).values("id")
    before = store.get("refresh")
    res = client.post("/api/tag", json=body(labelled, tags=["dup"], ids=ids)).json()
    assert res["count"] == 3
    assert sorted(labelled.match_tags("dup").values("id")) == sorted(ids)
    assert store.get("refresh") == before + 1
    client.post("/api/tag", json=body(labelled, tags=["dup"], ids=ids[:1], remove=True))
    assert len(labelled.match_tags("dup")) == 2


def test_saved_views_round_trip(client, labelled):
    view = labelled.match({"ground_truth.label": "cat"})
    r = client.post("/api/datasets/labelled/saved_views",
                    json={"name": "cats", "view": view.to_dict()["stages"]})  # fmt: skip
    assert r.status_code == 200
    listed = client.get("/api/datasets/labelled/saved_views").json()
    assert [v["name"] for v in listed] == ["cats"]
    assert len(dc.DatasetView.from_dict(labelled, listed[0]["stages"])) == 7
    again = client.post("/api/datasets/labelled/saved_views", json={"name": "cats", "view": []})
    assert again.status_code == 400 and "cats" in again.json()["error"]
    assert client.delete("/api/datasets/labelled/saved_views/cats").json()["saved_views"] == []


def test_thumbnails_are_small_cached_and_cacheable(client, labelled, tmp_path):
    from io import BytesIO

    from PIL import Image

    big = dc.Sample(filepath=str(write_image(tmp_path / "big.jpg", size=(900, 600), seed=5)))
    labelled.add_sample(big)
    assert Path(big.filepath).stat().st_size > 64 << 10  # past PASSTHROUGH_BYTES
    r = client.get(f"/thumb/labelled/{big.id}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert "max-age" in r.headers["cache-control"] and r.headers.get("etag")
    assert Image.open(BytesIO(r.content)).size == (256, 171)
    assert len(list((tmp_path / "home" / "thumbnails").rglob("*.jpg"))) == 1
    again = client.get(f"/thumb/labelled/{big.id}", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    # a source already small is its own thumbnail: its bytes, no copy on disk
    small = labelled.first()
    r = client.get(f"/thumb/labelled/{small.id}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.content == Path(small.filepath).read_bytes()
    assert len(list((tmp_path / "home" / "thumbnails").rglob("*.jpg"))) == 1
    again = client.get(f"/thumb/labelled/{small.id}", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    # ...unless it changes: a new ETag
    Image.new("RGB", (40, 30), (200, 10, 10)).save(small.filepath, "PNG")
    changed = client.get(
        f"/thumb/labelled/{small.id}", headers={"If-None-Match": r.headers["etag"]}
    )
    assert changed.status_code == 200 and changed.headers["content-type"] == "image/png"
    assert changed.headers["etag"] != r.headers["etag"]


def test_media_serves_only_the_datasets_own_files(client, labelled, tmp_path):
    sample = labelled.first()
    ok = client.get("/api/media", params={"dataset": "labelled", "filepath": sample.filepath})
    assert ok.status_code == 200 and ok.content == Path(sample.filepath).read_bytes()
    secret = tmp_path / "secret.txt"
    secret.write_text("not yours")
    for path in (str(secret), "/etc/passwd", sample.filepath + "/../../secret.txt"):
        r = client.get("/api/media", params={"dataset": "labelled", "filepath": path})
        assert r.status_code == 403 and "not the filepath" in r.json()["error"]
    assert client.get("/media/labelled/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get(f"/media/labelled/{sample.id}").content == ok.content


@pytest.mark.parametrize(
    "request_body, status, words",
    [
        ({"dataset": "nope", "view": []}, 404, "not found"),
        ({"dataset": "labelled", "view": [{"_cls": "Nope", "kwargs": {}}]}, 400, "Nope"),
        ({"dataset": "labelled", "view": [{"_cls": "SortBy", "kwargs":
          {"field_or_expr": "lable"}}]}, 400, "lable"),
        ({"dataset": "labelled", "view": [], "limit": 0}, 422, "limit"),
    ],
)  # fmt: skip
def test_bad_requests_say_what_was_wrong(client, labelled, request_body, status, words):
    r = client.post("/api/samples", json=request_body)
    assert r.status_code == status
    assert words in r.text


def test_state_over_rest_validates_views(client, labelled, store):
    bad = client.post("/api/state", json={"changes": {"dataset": "labelled", "view": [
        {"_cls": "SortBy", "kwargs": {"field_or_expr": "nope"}}]}})  # fmt: skip
    assert bad.status_code == 400 and "nope" in bad.json()["error"]
    assert store.version == 0
    ok = client.post("/api/state", json={"changes": {"dataset": "labelled"}}).json()
    assert ok["dataset"] == "labelled" and ok["version"] == 1


def test_websocket_sends_state_and_applies_changes_in_order(client, labelled, store):
    with client.websocket_connect(BASE_URL.replace("http", "ws") + "/ws/state") as ws:
        assert ws.receive_json()["state"]["version"] == 0
        ids = labelled.limit(2).values("id")
        ws.send_json({"type": "update", "changes": {"dataset": "labelled"}})
        assert ws.receive_json()["state"]["dataset"] == "labelled"
        ws.send_json({"type": "select", "add": ids})
        assert ws.receive_json()["state"]["selected"] == ids
        ws.send_json({"type": "update", "changes": {"view": [{"_cls": "Bad"}]}})
        assert ws.receive_json()["type"] == "error"
        store.apply({"sample": ids[0]})  # a change from Python reaches the browser
        assert ws.receive_json()["state"]["sample"] == ids[0]
    assert store.get("selected") == ids


def test_operators_preview_then_run(client, labelled, store):
    names = [op["name"] for op in client.get("/api/operators").json()]
    assert "find_exact_duplicates" in names and "deduplicate_exact_duplicates" in names
    run = client.post("/api/operators/find_exact_duplicates/run", json=body(labelled)).json()
    job = _wait(client, run["id"])
    assert job["status"] == "done" and "2 groups" in job["message"]
    assert labelled.has_saved_view("exact_dup_view")
    assert store.get("view_name") == "exact_dup_view"  # the dashboard shows what was found
    dry = client.post("/api/operators/deduplicate_exact_duplicates/preview",
                      json=body(labelled)).json()  # fmt: skip
    assert "Would remove 2 samples" in dry["message"] and len(labelled) == 14
    confirmed = body(labelled, preview_id=dry["preview_id"])
    job = _wait(client, client.post("/api/operators/deduplicate_exact_duplicates/run",
                                    json=confirmed).json()["id"])  # fmt: skip
    assert job["status"] == "done" and len(labelled) == 12


def test_operator_errors_are_reported_not_raised(client, labelled):
    r = client.post("/api/operators/deduplicate_exact_duplicates/preview", json=body(labelled))
    assert r.status_code == 400 and "find_exact_duplicates" in r.json()["error"]
    bad = client.post("/api/operators/find_approximate_duplicates/run",
                      json=body(labelled, params={"thresh": "close"})).json()  # fmt: skip
    assert "takes a float" in bad["error"]
    r = client.post("/api/operators/nope/run", json=body(labelled))
    assert r.status_code == 404 and "Unknown operator" in r.json()["error"]  # not a bad request
    assert client.get("/api/jobs/nope").status_code == 404


def _wait(client, job_id, timeout=60.0):
    import time

    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] != "running" or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def test_a_filtered_field_still_lists_its_other_values(client, labelled):
    stage = {"_cls": "Match", "kwargs": {"filter": {"ground_truth.label": {"$in": ["dog"]}}}}
    side = client.post("/api/sidebar", json={"dataset": "labelled", "view": [stage]}).json()
    assert side["count"] == 5
    gt = next(f for f in side["fields"] if f["name"] == "ground_truth")
    assert dict(map(tuple, gt["values"])) == {"cat": 7, "dog": 5, "mountain": 2}


def test_health_operators_write_what_they_say(client, labelled):
    import brain

    emb = np.random.default_rng(0).normal(size=(len(labelled), 8)).astype(np.float32)
    brain.compute_similarity(labelled, brain_key="sim", embeddings=emb)
    run = client.post("/api/operators/compute_outliers/run",
                      json=body(labelled, params={"lower_threshold": 0.2})).json()  # fmt: skip
    job = _wait(client, run["id"])
    assert job["status"] == "done", job["error"]
    n = len(labelled.match_tags("outlier"))
    assert 0 < n < len(labelled) and f"Tagged {n} outliers" in job["message"]
    job = _wait(client, client.post("/api/operators/compute_image_stats/run",
                                    json=body(labelled)).json()["id"])  # fmt: skip
    assert job["status"] == "done", job["error"]
    assert "quality_issues" in labelled.get_field_schema()


def test_a_pages_samples_vouch_for_their_thumbnails_only_in_their_dataset(client, labelled,
                                                                         tmp_path):  # fmt: skip
    # the grid's pages let their thumbnails skip a query each: never across datasets
    other = dc.Dataset("other")
    other.add_sample(dc.Sample(filepath=str(write_image(tmp_path / "o.jpg", seed=7))))
    page = client.post("/api/samples", json=body(labelled, limit=20)).json()["samples"]
    for s in page:
        assert client.get(f"/thumb/labelled/{s['id']}").status_code == 200
    assert client.get(f"/thumb/other/{page[0]['id']}").status_code == 404
    assert client.get(f"/media/other/{page[0]['id']}").status_code == 404
    oid = other.first().id
    assert client.get(f"/thumb/labelled/{oid}").status_code == 404
