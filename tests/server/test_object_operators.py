"""The object analyses as operators (server/operators/objects.py): run through the
operators route, and from the dashboard in a real headless Chromium.

The dataset is tests/brain/object_data.py's: real photo crops pasted onto a real
background, with a duplicated object, a noise object, a tiny box and a flipped
label; the embeddings are the real model's.
"""

from __future__ import annotations

import gc

import pytest

import dataset_core as dc
from server import patches as patches_cache
from tests.brain.object_data import DUPLICATE, FLIPPED, NOISE, TINY
from tests.server.test_api import _wait, body

GT = "ground_truth"
TO_PATCHES = {"_cls": "ToPatches", "kwargs": {"field": GT}}
#: the real model embeds the crops on CPU; a loaded machine is slow
JOB_SECONDS = 240.0


@pytest.fixture(autouse=True)
def no_cached_patches(database):
    """Patches the server made are dropped while this test's database is current."""
    patches_cache.clear()
    yield
    patches_cache.clear()
    gc.collect()


def per_object(ds: dc.Dataset, attr: str) -> dict[str, object]:
    """Object name -> its label's ``attr``."""
    names = ds.values(f"{GT}.detections.name")
    values = ds.values(f"{GT}.detections.{attr}")
    return {n: v for ns, vs in zip(names, values, strict=True) for n, v in zip(ns, vs, strict=True)}


def run_op(client, ds, name, view=None, **params):
    """Run operator ``name`` through the route; its finished job."""
    res = client.post(f"/api/operators/{name}/run", json=body(ds, view, params=params)).json()
    assert "id" in res, res
    job = _wait(client, res["id"], timeout=JOB_SECONDS)
    assert job["status"] == "done", job["error"]
    return job


def shown(client, ds: dc.Dataset, store) -> tuple[list[dict], list[str]]:
    """The stages the dashboard was told to show, and the object names of the page the
    dashboard then reads (through the server's patches, as the grid does)."""
    stages = store.get("view")
    page = client.post(
        "/api/samples", json={"dataset": ds.name, "view": stages, "limit": 100}
    ).json()
    return stages, [s[GT]["name"] for s in page["samples"]]


def test_object_operators_write_into_the_labels_and_show_the_flagged_patches(
    client, objects, store
):
    listed = {op["name"]: op for op in client.get("/api/operators").json()}
    ops = ("find_duplicate_objects", "compute_object_outliers", "compute_object_label_issues",
           "compute_object_uniqueness", "compute_object_clusters")  # fmt: skip
    for name in ops:
        assert listed[name]["params"][0]["name"] == "patches_field"
        assert not listed[name]["destructive"]

    # the first one embeds the objects (run "ground_truth_sim"); the others reuse it
    job = run_op(client, objects, "find_duplicate_objects")
    assert "1 groups of near-duplicate objects in 'ground_truth'" in job["message"]
    groups = per_object(objects, "approx_dup_group_id")
    assert groups["rocket_1"] is not None and groups["rocket_1"] == groups[DUPLICATE]
    stages, names = shown(client, objects, store)
    assert stages[0] == TO_PATCHES and sorted(names) == sorted(["rocket_1", DUPLICATE])

    job = run_op(client, objects, "compute_object_outliers")
    assert "Tagged 1 outlier objects" in job["message"]
    scores = per_object(objects, "outlier_score")
    assert scores[TINY] is None and max(v for v in scores.values() if v) == scores[NOISE]
    # made after the duplicates' patches were: shows the labels as they are now
    assert shown(client, objects, store)[1] == [NOISE]

    job = run_op(client, objects, "compute_object_label_issues")
    assert per_object(objects, "suggested_label")[FLIPPED] == "horse"
    stages, names = shown(client, objects, store)
    assert FLIPPED in names[:2] and f"Tagged {len(names)} likely label mistakes" in job["message"]
    assert [s["_cls"] for s in stages] == ["ToPatches", "Match", "SortBy"]

    run_op(client, objects, "compute_object_uniqueness")
    names = shown(client, objects, store)[1]
    assert len(names) == 18 and names[0] == NOISE  # every patch, most unique first
    assert per_object(objects, "uniqueness")[NOISE] == pytest.approx(1.0)

    run_op(client, objects, "compute_object_clusters")
    assert sorted(shown(client, objects, store)[1]) == sorted(["rocket_1", DUPLICATE])
    assert objects.list_brain_runs(method="similarity") == [f"{GT}_sim"]  # one embedding pass


def test_object_operators_act_on_the_current_view(client, objects, store):
    # on a view of three images: only their objects are scored
    some = objects.match(dc.F("filepath").contains_str("planted") | dc.F("filepath").contains_str(
        "scene_0"))  # fmt: skip
    run_op(client, objects, "compute_object_uniqueness", some)
    scored = {n for n, v in per_object(objects, "uniqueness").items() if v is not None}
    assert scored == {n for ns in some.values(f"{GT}.detections.name") for n in ns} - {TINY}
    stages = store.get("view")
    assert stages[: len(some.to_dict()["stages"])] == some.to_dict()["stages"]
    # on the patches view itself: no second ToPatches, the field is the patches' own
    patches = body(objects)["view"] + [TO_PATCHES]
    res = client.post("/api/operators/compute_object_outliers/run",
                      json={"dataset": objects.name, "view": patches}).json()  # fmt: skip
    assert _wait(client, res["id"], timeout=JOB_SECONDS)["status"] == "done"
    stages, names = shown(client, objects, store)
    assert [s["_cls"] for s in stages].count("ToPatches") == 1 and names == [NOISE]


def test_a_dataset_without_detections_gets_one_line(client, database, tmp_path):
    from tests.conftest import write_image

    ds = dc.Dataset("plain")
    ds.add_sample(dc.Sample(filepath=str(write_image(tmp_path / "a.jpg", seed=1))))
    r = client.post("/api/operators/find_duplicate_objects/preview", json=body(ds))
    assert r.status_code == 400
    assert r.json()["error"] == (
        "Dataset 'plain' has no Detections field: the object operators work on the objects of one"
    )
    res = client.post("/api/operators/compute_object_outliers/run", json=body(ds)).json()
    job = _wait(client, res["id"])
    assert job["status"] == "failed" and "\n" not in job["error"]
    assert "has no Detections field" in job["error"]


def test_the_preview_counts_the_objects_of_the_default_field(client, objects):
    r = client.post("/api/operators/compute_object_uniqueness/preview", json=body(objects)).json()
    assert r["message"] == "Score the 18 objects of 'ground_truth' in the current view"
    objects.set_values("label", [dc.Classification(label="x")] * len(objects))
    for field in ("label", "nope"):
        r = client.post("/api/operators/compute_object_uniqueness/preview",
                        json=body(objects, params={"patches_field": field}))  # fmt: skip
        assert r.status_code == 400 and r.json()["error"] == (
            f"{field!r} is not a Detections field of dataset 'objects'; "
            "its Detections fields: ['ground_truth']"
        )


# -- the dashboard ----------------------------------------------------------------------------


def test_find_duplicate_objects_from_the_dashboard_shows_the_pair(page, objects, tmp_path,
                                                                  monkeypatch):  # fmt: skip
    from dataset_core.config import config

    monkeypatch.setattr(config, "home", tmp_path / "home")
    session = dc.launch_app(objects, port=0)
    try:
        page.goto(session.url)
        page.wait_for_selector(".tile[data-id] img")
        page.click("#open-operators")
        op = page.locator("[data-op=find_duplicate_objects]")
        op.locator("button.preview").click()
        assert "18 objects of 'ground_truth'" in op.locator(".preview-message").text_content()
        op.locator("button.confirm").click()
        op.locator(".done-message").wait_for(timeout=JOB_SECONDS * 1000)
        page.wait_for_function("document.querySelector('#count').dataset.count === '2'",
                               timeout=30_000)  # fmt: skip
        tiles = page.locator(".tile[data-id]")
        tiles.nth(1).locator("img").wait_for(timeout=30_000)
        ids = sorted(tiles.evaluate_all("ts => ts.map((t) => t.dataset.id)"))
        label_ids = dict(zip(*objects.to_patches(GT).values(["id", f"{GT}.name"]), strict=True))
        assert sorted(label_ids[i] for i in ids) == sorted(["rocket_1", DUPLICATE])
    finally:
        session.close()
