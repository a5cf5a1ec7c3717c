"""The review's server side: /api/review, keepers, delete-selected, undo, a crash mid-confirm."""

from __future__ import annotations

import os
import time

import pytest

import brain
from dataset_core import trash

DEDUP = "/api/operators/deduplicate_exact_duplicates"
DELETE = "/api/operators/delete_selected_samples"
BODY = {"dataset": "labelled", "view": []}


def _wait(client, job_id):
    for _ in range(600):
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] != "running":
            return job
        time.sleep(0.05)
    return job


def _confirm(client, name, params):
    """What the review's Confirm does: the preview, then its run; the finished job."""
    dry = client.post(f"{name}/preview", json={**BODY, "params": params})
    assert dry.status_code == 200, dry.json()
    run = client.post(f"{name}/run", json={**BODY, "params": params,
                                           "preview_id": dry.json()["preview_id"]})  # fmt: skip
    assert run.status_code == 200, run.json()
    return _wait(client, run.json()["id"])


@pytest.fixture
def found(labelled):
    brain.find_exact_duplicates(labelled, save_view=False)
    return labelled


def test_review_lists_each_group_with_the_keeper_of_the_rule(client, found):
    res = client.post("/api/review", json={**BODY, "kind": "exact", "keep": "first"}).json()
    plan = brain.deduplicate(found, kind="exact")
    assert [[s["id"] for s in g["samples"]] for g in res["groups"]] == plan.groups
    assert [g["keep"] for g in res["groups"]] == plan.keep_ids
    assert res["count"] == 14 and {s["name"] for s in res["groups"][0]["samples"]} == {
        "0.jpg", "0_copy.jpg"}  # fmt: skip
    bad = client.post("/api/review", json={**BODY, "kind": "exact", "keep": "sharpest"})
    assert bad.status_code == 400 and "run brain.compute_image_stats first" in bad.json()["error"]


def test_keepers_must_be_sample_ids(client, found):
    res = client.post(f"{DEDUP}/preview", json={**BODY, "params": {"keepers": [{"$gt": ""}]}})
    assert res.status_code == 400 and "list of sample ids" in res.json()["error"]
    assert len(found) == 14


def test_undo_restores_once_and_only_from_a_trash_folder(client, found):
    job = _confirm(client, DEDUP, {"move_files_to_trash": False})
    assert job["status"] == "done" and job["undo"] is False and len(found) == 12
    refused = client.post(f"/api/jobs/{job['id']}/undo")
    assert refused.status_code == 409 and "no trash folder" in refused.json()["error"]
    assert client.post("/api/jobs/nope/undo").status_code == 404


def test_undo_twice_is_refused(client, labelled):
    brain.find_exact_duplicates(labelled, save_view=False)
    job = _confirm(client, DEDUP, {"move_files_to_trash": True})
    assert job["undo"] is True and len(labelled) == 12
    first = client.post(f"/api/jobs/{job['id']}/undo")
    assert first.status_code == 200 and first.json()["restored_files"] == 2
    assert len(labelled) == 14
    again = client.post(f"/api/jobs/{job['id']}/undo")
    assert again.status_code == 409 and "undone already" in again.json()["error"]
    assert len(labelled) == 14


def test_a_delete_selected_preview_holds_only_for_the_selection_it_showed(client, store, labelled):
    ids = labelled.values("id")
    store.apply({"dataset": "labelled", "selected": ids[:2]})
    dry = client.post(f"{DELETE}/preview", json=BODY).json()
    assert dry["message"].startswith("Would remove 2 selected samples")
    store.select(ids[2:5], [])  # the selection changed after the dry run
    run = client.post(f"{DELETE}/run", json={**BODY, "preview_id": dry["preview_id"]})
    assert run.status_code == 400 and len(labelled) == 14
    store.apply({"selected": []})
    none = client.post(f"{DELETE}/preview", json=BODY)
    assert none.status_code == 400 and "nothing is selected" in none.json()["error"]


def test_a_crash_mid_confirm_loses_nothing_and_the_next_confirm_finishes_it(
    client, found, monkeypatch
):  # fmt: skip
    plan = brain.deduplicate(found, kind="exact")
    keepers = [g[1] for g in plan.groups]  # by hand: the copies
    removed = [g[0] for g in plan.groups]
    paths = dict(zip(found.values("id"), found.values("filepath"), strict=True))

    def crash(step, n):
        if step == "move" and n == 1:
            raise OSError("disk gone")  # stands in for a kill between two moves

    monkeypatch.setattr(trash, "progress_hook", crash)
    params = {"keepers": keepers, "move_files_to_trash": True}
    job = _confirm(client, DEDUP, params)
    assert job["status"] == "failed" and "disk gone" in job["error"]
    assert len(found) == 14  # samples go only after every file is in the trash
    [entry] = trash.list_trash()
    assert entry["state"] == "interrupted" and entry["in_trash"] == 1 and entry["files"] == 2
    monkeypatch.setattr(trash, "progress_hook", None)
    job = _confirm(client, DEDUP, params)  # the same Confirm again: the journal is finished
    assert job["status"] == "done"
    assert set(found.values("id")) == set(paths) - set(removed)
    assert not any(os.path.exists(paths[i]) for i in removed)
    assert all(os.path.exists(paths[i]) for i in keepers)
    assert [e["state"] for e in trash.list_trash()] == ["done"]
