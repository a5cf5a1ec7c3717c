"""Issue 15's figure: ``to_patches`` on a 100,000-box dataset and its first page in
the dashboard (bound: 1 s).

Run: ``nice -n 19 .venv/bin/python benchmarks/bench_patches.py [--images 20000 --boxes 5]``

Builds (once, cached under benchmarks/_data/patches/) ``--images`` JPEGs as hard
links to DISTINCT real 640x480 photos, with ``--boxes`` COCO-like boxes each in
``ground_truth`` (80 classes, ``confidence``, ``area``, ``iscrowd``), metadata set,
in a database of its own (``--db``, default a folder beside the data: never the
user's), and measures:

- ``dataset.to_patches("ground_truth")`` in Python (median of 3);
- through the API, patches cache emptied: the first ``/api/samples`` page of
  ``[ToPatches]`` and ``/api/count`` (both read from the source while the
  patches are made in the background), when the patches are made, then
  ``/api/sidebar`` on them, and a page again (from the patches);
- in Chromium, from picking "Patches: ground_truth" until the first screen's
  tiles all show their crops (and until the sidebar's numbers arrived): cold
  (patches made, crops made), crops cached on disk (patches made again), and
  patches cached (a second visit).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DATA = Path(__file__).resolve().parent / "_data" / "patches"
#: distinct photos behind the hard links: enough that the first page's crops differ
DISTINCT = 200
CLASSES = [f"class_{i:02d}" for i in range(80)]
SIZE = (640, 480)


def build(n_images: int, boxes: int):
    import dataset_core as dc

    name = f"bench-patches-{n_images}x{boxes}"
    if dc.dataset_exists(name):
        ds = dc.load_dataset(name)
        if len(ds) == n_images:
            return ds, 0.0
    t = time.perf_counter()
    base, root = DATA / "base", DATA / f"images_{n_images}"
    base.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(DISTINCT):
        p = base / f"{i}.jpg"
        if not p.exists():
            small = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
            Image.fromarray(small).resize(SIZE, Image.Resampling.BICUBIC).save(p, quality=85)
    root.mkdir(parents=True, exist_ok=True)
    size = (base / "0.jpg").stat().st_size
    rng = np.random.default_rng(1)

    def samples():
        for i in range(n_images):
            dst = root / f"{i:06d}.jpg"
            if not dst.exists():
                os.link(base / f"{i % DISTINCT}.jpg", dst)
            xy = rng.random((boxes, 2)) * 0.7
            wh = 0.05 + rng.random((boxes, 2)) * 0.25
            dets = [dc.Detection(label=CLASSES[int(rng.integers(80))],
                                 bounding_box=[*xy[k].tolist(), *wh[k].tolist()],
                                 confidence=float(rng.random()),
                                 area=float(wh[k, 0] * wh[k, 1] * SIZE[0] * SIZE[1]),
                                 iscrowd=int(rng.random() < 0.05))
                    for k in range(boxes)]  # fmt: skip
            meta = dc.ImageMetadata(width=SIZE[0], height=SIZE[1], size_bytes=size,
                                    mime_type="image/jpeg", num_channels=3)  # fmt: skip
            yield dc.Sample(filepath=str(dst), metadata=meta,
                            ground_truth=dc.Detections(detections=dets))  # fmt: skip

    ds = dc.Dataset(name, overwrite=True)
    ds.add_samples(samples())
    return ds, time.perf_counter() - t


def api_figures(ds) -> dict[str, float]:
    from fastapi.testclient import TestClient

    from server import StateStore, create_app
    from server import patches as cache

    app = create_app(StateStore())
    out: dict[str, float] = {}
    stages = [{"_cls": "ToPatches", "kwargs": {"field": "ground_truth"}}]
    body = {"dataset": ds.name, "view": stages}
    with TestClient(app, base_url="http://127.0.0.1:5151") as c:
        c.get(f"/?token={app.state.security.token}")
        cache.clear()
        start = time.perf_counter()
        for name, url, extra in [("first_page_cold", "/api/samples", {"limit": 100}),
                                 ("count_cold", "/api/count", {}),
                                 ("patches_made", None, {}),
                                 ("sidebar", "/api/sidebar", {}),
                                 ("page_again", "/api/samples", {"limit": 100})]:  # fmt: skip
            t = time.perf_counter()
            if url is None:  # the background copy of every label into the patches
                next(iter(cache._cache.values())).done.wait()
                out["api_patches_made_after_ms"] = (time.perf_counter() - start) * 1000
                continue
            r = c.post(url, json={**body, **extra})
            out[f"api_{name}_ms"] = (time.perf_counter() - t) * 1000
            assert r.status_code == 200, r.text
    cache.clear()
    return out


FIRST_SCREEN = (
    "n => document.querySelector('#count').dataset.count === String(n) &&"
    " [...document.querySelectorAll('.tile')].length > 0 &&"
    " [...document.querySelectorAll('.tile')].every(t => { const i = t.querySelector('img');"
    " return i && i.src.includes('/crop/') && i.complete && i.naturalWidth > 0; })"
)


def browser_figures(ds, n_patches: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    import dataset_core as dc
    from server import patches as cache
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    out: dict[str, float] = {}
    session = dc.launch_app(ds, port=0)
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            # the predicates are evaluated strings, which the app's CSP refuses
            ctx = b.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
            page = ctx.new_page()
            with page.expect_response("**/api/sidebar", timeout=60_000) as side:
                page.goto(session.url)  # the images' grid, and their sidebar after it
            side.value.finished()
            for label, keep in [("cold", False), ("crops_cached", False),
                                ("patches_cached", True)]:  # fmt: skip
                if not keep:
                    cache.clear()
                t = time.perf_counter()
                # the sidebar's numbers come after the tiles; the next round waits for
                # them, so that it does not share the database with this one's
                with page.expect_response("**/api/sidebar", timeout=60_000) as side:
                    page.select_option("#patches-field", "ground_truth")
                    page.wait_for_function(FIRST_SCREEN, arg=n_patches, timeout=60_000)
                    out[f"browser_{label}_ms"] = (time.perf_counter() - t) * 1000
                side.value.finished()
                out[f"browser_{label}_sidebar_ms"] = (time.perf_counter() - t) * 1000
                out["tiles_on_first_screen"] = page.evaluate(
                    "document.querySelectorAll('.tile').length"
                )
                with page.expect_response("**/api/sidebar", timeout=60_000) as side:
                    page.select_option("#patches-field", "")
                side.value.finished()
            b.close()
    finally:
        session.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=20_000)
    ap.add_argument("--boxes", type=int, default=5, help="boxes per image")
    ap.add_argument("--db", default=str(DATA / "db"), help="DATASET_CORE_DATABASE_DIR")
    args = ap.parse_args()
    os.environ["DATASET_CORE_DATABASE_DIR"] = args.db
    os.environ.setdefault("DATASET_CORE_SHOW_PROGRESS", "0")
    from dataset_core.config import config

    config.home = DATA / "home"  # thumbnails and crops of this bench only
    from dataset_core import db

    try:
        ds, build_s = build(args.images, args.boxes)
        print(f"dataset: {len(ds)} images, {args.boxes} boxes each (built in {build_s:.1f} s)")
        times = []
        for _ in range(3):
            t = time.perf_counter()
            patches = ds.to_patches("ground_truth")
            times.append(time.perf_counter() - t)
            n = len(patches)
            del patches
        print(f"to_patches: {n} patches, median {statistics.median(times) * 1000:.0f} ms "
              f"({', '.join(f'{x * 1000:.0f}' for x in times)})")  # fmt: skip
        for k, v in api_figures(ds).items():
            print(f"{k}: {v:.0f}")
        for k, v in browser_figures(ds, n).items():
            print(f"{k}: {v:.0f}")
    finally:
        db.reset()
        db.stop()


if __name__ == "__main__":
    main()
