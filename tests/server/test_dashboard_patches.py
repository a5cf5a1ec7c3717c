"""Objects in the dashboard: boxes drawn on tiles, and the patches mode (one tile per
object, cropped; the sidebar filters by label and object attributes), in a real
headless Chromium; and the ``ToPatches`` stage and crops through the REST API."""

from __future__ import annotations

import gc
import io
import threading
from pathlib import Path

import pytest
from PIL import Image

import dataset_core as dc
from dataset_core import F
from server import patches as patches_cache
from tests.conftest import write_image
from tests.server.test_dashboard import until

#: generous waits on a loaded machine; the assertions stay exact
WAIT_MS = 8000
#: image -> its objects: (label, box, confidence, area)
OBJECTS = [
    [("cat", [0.1, 0.1, 0.5, 0.4], 0.9, 40), ("dog", [0.5, 0.5, 0.4, 0.4], 0.4, 12)],
    [("cat", [0.0, 0.2, 0.25, 0.75], 0.7, 31)],
    [("dog", [0.2, 0.3, 0.5, 0.5], 0.8, 22), ("dog", [0.6, 0.1, 0.3, 0.3], 0.2, 5),
     ("bird", [0.1, 0.6, 0.2, 0.2], 0.6, 3)],
    [],
]  # fmt: skip
N_OBJECTS = sum(len(o) for o in OBJECTS)


@pytest.fixture
def detected(database, tmp_path: Path) -> dc.Dataset:
    """4 real JPEGs (96 x 64), 6 boxes in ``gt`` (cat 2, dog 3, bird 1), one image none."""
    ds = dc.Dataset("detected")
    samples = []
    for i, objects in enumerate(OBJECTS):
        path = write_image(tmp_path / "det" / f"{i}.jpg", size=(96, 64), seed=100 + i)
        dets = [dc.Detection(label=label, bounding_box=box, confidence=conf, area=area)
                for label, box, conf, area in objects]  # fmt: skip
        samples.append(dc.Sample(filepath=str(path), gt=dc.Detections(detections=dets)))
    ds.add_samples(samples)
    ds.compute_metadata()
    return ds


@pytest.fixture(autouse=True)
def no_cached_patches(database):
    """Each test starts without patches made by another (the cache is the server's),
    and its own are dropped while its database is current: a patches collection is
    dropped by a finalizer, which a later garbage collection would run in the middle
    of the next test's connection to its database."""
    patches_cache.clear()
    yield
    patches_cache.clear()
    gc.collect()


def body(ds, stages, **extra):
    return {"dataset": ds.name, "view": stages, **extra}


TO_PATCHES = {"_cls": "ToPatches", "kwargs": {"field": "gt"}}


# -- the stage through the API ----------------------------------------------------------------


def test_to_patches_views_travel_as_stages(client, detected):
    patches = detected.to_patches("gt")
    d = patches.match(F("gt.label") == "dog").to_dict()
    assert d["dataset"] == "detected" and d["stages"][0] == TO_PATCHES
    again = dc.DatasetView.from_dict(detected, d)
    assert sorted(again.values("gt.label")) == ["dog"] * 3
    res = client.post("/api/samples", json=body(detected, [TO_PATCHES], limit=100)).json()
    assert len(res["samples"]) == N_OBJECTS
    assert {s["id"] for s in res["samples"]} == set(patches.values("id"))
    first = res["samples"][0]
    assert first["gt"]["_cls"] == "Detection" and first["sample_id"] in detected.values("id")
    # the tile has the crop's shape: the box's width and height in pixels
    w, h = first["gt"]["bounding_box"][2:]
    assert first["aspect"] == pytest.approx(96 * w / (64 * h), abs=1e-3)


def test_stages_after_to_patches_work_from_http(client, detected):
    dogs = {"_cls": "Match", "kwargs": {"filter": {"gt.label": {"$in": ["dog"]}}}}
    by_conf = {"_cls": "SortBy", "kwargs": {"field_or_expr": "gt.confidence", "reverse": True}}
    stages = [TO_PATCHES, dogs, by_conf]
    res = client.post("/api/samples", json=body(detected, stages, limit=100)).json()
    assert [s["gt"]["confidence"] for s in res["samples"]] == [0.8, 0.4, 0.2]
    assert client.post("/api/count", json=body(detected, stages)).json() == {"count": 3}
    by_area = [TO_PATCHES, {"_cls": "Match", "kwargs": {"filter": {"gt.area": {"$gte": 20}}}}]
    assert client.post("/api/count", json=body(detected, by_area)).json() == {"count": 3}


def test_patches_are_made_once_for_every_request_of_a_page(client, detected, store):
    client.post("/api/count", json=body(detected, [TO_PATCHES]))
    made = list(patches_cache._cache.values())
    two = {"_cls": "Limit", "kwargs": {"limit": 2}}
    client.post("/api/samples", json=body(detected, [TO_PATCHES, two]))
    client.post("/api/sidebar", json=body(detected, [TO_PATCHES]))
    assert list(patches_cache._cache.values()) == made and len(made) == 1
    store.bump_refresh()  # the data changed: made again on the next request
    assert not patches_cache._cache


def test_the_first_page_and_count_do_not_wait_for_the_patches(client, detected, monkeypatch):
    release, made = threading.Event(), dc.ToPatches.load_view

    def slow(stage, collection):  # the patches of a big dataset, being made
        release.wait(10)
        return made(stage, collection)

    monkeypatch.setattr(dc.ToPatches, "load_view", slow)
    early = client.post("/api/samples", json=body(detected, [TO_PATCHES], limit=4)).json()
    assert client.post("/api/count", json=body(detected, [TO_PATCHES])).json() == {
        "count": N_OBJECTS
    }
    (build,) = patches_cache._cache.values()
    assert not build.done.is_set()  # both answered from the source samples
    release.set()
    build.done.wait(10)
    later = client.post("/api/samples", json=body(detected, [TO_PATCHES], limit=4)).json()
    assert early == later and early["next_offset"] == 4  # the same patches, in their order
    rest = client.post("/api/samples", json=body(detected, [TO_PATCHES], offset=4)).json()
    ids = [s["id"] for s in early["samples"] + rest["samples"]]
    assert ids == detected.to_patches("gt").values("id")


@pytest.mark.parametrize("field, says", [
    ("nope", "Field 'nope' not found"),
    ("filepath", "not a label field"),
    ("label", "to_patches works on Detections, Polylines or Keypoints"),
    ("", "must be a field name"),
])  # fmt: skip
def test_a_bad_field_in_to_patches_is_a_one_line_400(client, detected, field, says):
    detected.set_values("label", [dc.Classification(label="x")] * len(detected))
    stages = [{"_cls": "ToPatches", "kwargs": {"field": field}}]
    for url in ("/api/samples", "/api/count", "/api/sidebar"):
        r = client.post(url, json=body(detected, stages))
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert says in error and "\n" not in error
    assert not patches_cache._cache


def test_a_second_to_patches_is_refused(client, detected):
    r = client.post("/api/count", json=body(detected, [TO_PATCHES, TO_PATCHES]))
    assert r.status_code == 400 and "one ToPatches" in r.json()["error"]


def test_sidebar_of_patches_lists_labels_and_object_attributes(client, detected):
    side = client.post("/api/sidebar", json=body(detected, [TO_PATCHES])).json()
    fields = {f["name"]: f for f in side["fields"]}
    assert side["count"] == N_OBJECTS
    assert dict(map(tuple, fields["gt"]["values"])) == {"dog": 3, "cat": 2, "bird": 1}
    assert fields["gt.confidence"]["kind"] == "number"
    assert fields["gt.confidence"]["bounds"] == [0.2, 0.9]
    assert fields["gt.area"]["kind"] == "number" and fields["gt.area"]["integer"] is True
    assert "gt.bounding_box" not in fields


def test_crop_is_the_objects_box(client, detected):
    sample = detected.first()
    det = sample.gt.detections[0]  # [0.1, 0.1, 0.5, 0.4] of 96 x 64: 48 x 26 px
    r = client.get(f"/crop/detected/{sample.id}/{det.id}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.headers["content-security-policy"].startswith("sandbox")
    img = Image.open(io.BytesIO(r.content))
    assert img.size == (48, 26)
    src = Image.open(sample.filepath).convert("RGB").crop((10, 6, 58, 32))
    diff = sum(abs(a - b) for a, b in zip(img.convert("RGB").tobytes(), src.tobytes(), strict=True))
    assert diff / len(src.tobytes()) < 40  # the same pixels, through JPEG twice
    etag = r.headers["etag"]
    assert client.get(f"/crop/detected/{sample.id}/{det.id}",
                      headers={"If-None-Match": etag}).status_code == 304  # fmt: skip


@pytest.mark.parametrize("path", [
    "/crop/detected/{sid}/0123456789abcdef01234567",  # no such label
    "/crop/detected/0123456789abcdef01234567/{lid}",  # no such sample
    "/crop/detected/{sid}/not-an-id",
    "/crop/detected/{sid}/{lid}x",
    "/crop/nope/{sid}/{lid}",
])  # fmt: skip
def test_crop_of_a_bad_id_is_404(client, detected, path):
    sample = detected.first()
    r = client.get(path.format(sid=sample.id, lid=sample.gt.detections[0].id))
    assert r.status_code == 404 and "\n" not in r.json()["error"]


def test_crop_needs_the_token(client, detected):
    from fastapi.testclient import TestClient

    from tests.server.conftest import BASE_URL

    sample = detected.first()
    url = f"/crop/detected/{sample.id}/{sample.gt.detections[0].id}"
    with TestClient(client.app, base_url=BASE_URL) as stranger:  # no token, no cookie
        assert stranger.get(url).status_code == 403


# -- in the browser ---------------------------------------------------------------------------


@pytest.fixture
def det_session(detected, tmp_path, monkeypatch):
    from dataset_core.config import config

    monkeypatch.setattr(config, "home", tmp_path / "home")
    s = dc.launch_app(detected, port=0)
    yield s
    s.close()


@pytest.fixture
def det_dash(page, det_session):
    page.goto(det_session.url)
    page.wait_for_function("document.querySelectorAll('.tile[data-id] img').length === 4")
    return page


def count_is(page, n: int) -> None:
    page.wait_for_function(f"document.querySelector('#count').dataset.count === '{n}'",
                           timeout=WAIT_MS)  # fmt: skip


def test_boxes_are_drawn_on_tiles_with_their_labels(det_dash, detected):
    sample = detected.first()
    tile = f".tile[data-id='{sample.id}']"
    det_dash.wait_for_selector(f"{tile} .boxes .box", timeout=WAIT_MS)
    boxes = det_dash.query_selector_all(f"{tile} .boxes .box")
    assert [b.text_content() for b in boxes] == ["cat", "dog"]
    img = det_dash.eval_on_selector(f"{tile} img", "e => { const r = e.getBoundingClientRect(); "
                                    "return [r.x, r.y, r.width, r.height]; }")  # fmt: skip
    box = boxes[0].bounding_box()
    x, y, w, h = OBJECTS[0][0][1]
    assert box["x"] == pytest.approx(img[0] + x * img[2], abs=2)
    assert box["y"] == pytest.approx(img[1] + y * img[3], abs=2)
    assert box["width"] == pytest.approx(w * img[2], abs=2)
    assert box["height"] == pytest.approx(h * img[3], abs=2)
    assert len(det_dash.query_selector_all(".tile .boxes .box")) == N_OBJECTS
    # the toolbar's option hides them, and shows them again
    det_dash.uncheck("#show-boxes")
    assert not boxes[0].is_visible()
    det_dash.check("#show-boxes")
    assert boxes[0].is_visible()


def test_patches_mode_shows_one_cropped_tile_per_object_and_back(det_dash, det_session, detected):
    det_dash.select_option("#patches-field", "gt")
    count_is(det_dash, N_OBJECTS)
    det_dash.wait_for_function(
        f"document.querySelectorAll('.tile[data-id] img').length === {N_OBJECTS}", timeout=WAIT_MS
    )
    ids = {t.get_attribute("data-id") for t in det_dash.query_selector_all(".tile[data-id]")}
    assert ids == set(detected.to_patches("gt").values("id"))
    src = det_dash.get_attribute(".tile[data-id] img", "src")
    assert src.startswith("/crop/detected/")
    # every crop arrived and decoded (a 404 would leave naturalWidth 0)
    det_dash.wait_for_function(
        "[...document.querySelectorAll('.tile img')].every(i => i.complete && i.naturalWidth > 0)",
        timeout=WAIT_MS,
    )
    assert until(lambda: det_session.view is not None and len(det_session.view) == N_OBJECTS)
    assert "to_patches" in det_dash.text_content("#viewbar")
    # back to the images
    det_dash.select_option("#patches-field", "")
    count_is(det_dash, len(detected))
    assert det_session.view is None


def test_in_patches_mode_the_sidebar_filters_by_label_and_by_object_fields(det_dash, det_session):
    det_dash.select_option("#patches-field", "gt")
    count_is(det_dash, N_OBJECTS)
    # the sidebar of the patches (the image's gt takes no clicks until it is replaced)
    det_dash.wait_for_selector("#sidebar:not(.stale) [data-field='gt.confidence']", timeout=WAIT_MS)
    det_dash.check("[data-field=gt] input[data-value='\"dog\"']", timeout=WAIT_MS)
    count_is(det_dash, 3)
    det_dash.wait_for_function("document.querySelectorAll('.tile[data-id]').length === 3")
    box = det_dash.locator("[data-field='gt.confidence']")
    box.locator(".lo-n").fill("0.3")
    box.locator(".lo-n").dispatch_event("change")
    count_is(det_dash, 2)
    view = det_session.view
    assert sorted(view.values("gt.confidence")) == [0.4, 0.8]
    assert view.to_dict()["stages"][0] == TO_PATCHES
    # leaving patches mode drops the patches' filters with the patches
    det_dash.select_option("#patches-field", "")
    count_is(det_dash, 4)


def test_session_shows_a_patches_view_from_python(det_dash, det_session, detected):
    det_session.view = detected.to_patches("gt").match(F("gt.label") == "cat")
    count_is(det_dash, 2)
    assert det_dash.eval_on_selector("#patches-field", "e => e.value") == "gt"
    assert isinstance(det_session.view, type(detected.to_patches("gt")))
    assert sorted(det_session.view.values("gt.label")) == ["cat", "cat"]
    # read again, it is the same patches (the dashboard's), not 6 labels copied anew
    assert det_session.view.dataset is det_session.view.dataset


def test_a_patch_opens_in_the_sample_view_on_its_image_with_its_object(det_dash, detected):
    det_dash.select_option("#patches-field", "gt")
    count_is(det_dash, N_OBJECTS)
    patch = detected.to_patches("gt").match(F("gt.label") == "bird").first()
    det_dash.click(f".tile[data-id='{patch.id}'] img", timeout=WAIT_MS)
    det_dash.wait_for_function(
        "document.querySelector('#modal:not([hidden]) #modal-figure img')?.src"
        f".includes('/media/detected/{patch.sample_id}')",
        timeout=WAIT_MS,
    )
    det_dash.wait_for_selector("#modal-figure .overlay rect.box", timeout=WAIT_MS)
    assert len(det_dash.query_selector_all("#modal-figure .overlay rect.box")) == 1
    assert "bird" in det_dash.text_content("#modal-fields")


def test_the_mode_controls_leave_the_toolbar_one_row(page, det_session):
    from tests.server.test_dashboard_grid import toolbar_rows

    page.set_viewport_size({"width": 1000, "height": 900})
    page.goto(det_session.url)
    page.wait_for_selector(".tile[data-id] img")
    assert page.is_visible("#patches-field") and page.is_visible("#show-boxes")
    height, row, centres = toolbar_rows(page)
    assert centres == 1 and abs(height - row) <= 1, (height, row, centres)
