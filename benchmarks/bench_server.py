"""Issue 5's figures: the dashboard on a 100,000-sample dataset, in real Chromium.

Run: ``.venv/bin/python benchmarks/bench_server.py [--n 100000]``

Builds (once, cached under benchmarks/_data/server/) 100,000 JPEG files as
hard links to 1,000 distinct small images, imports them as a labelled dataset
with a ``uniqueness`` float, starts the dashboard with ``dsc app launch`` in
its own process (so the client's work does not share the server's GIL), and
measures:

- first grid paint after navigation: tiles placed, and their thumbnails drawn
  (cold: thumbnails made on demand; warm: cached on disk and in the browser);
- a page of 100 samples from the API: p50/p95 over pages spread across the view;
- the sidebar after a label filter, in the browser (tick to re-rendered counts),
  and the /api/sidebar call alone;
- thumbnails served once cached, with 8 concurrent clients;
- in the browser: a jump to the middle of the grid until its thumbnails show;
- the baseline, same minute: raw pymongo ``$skip``/``$limit`` pages at the same offsets.

``--grid 1000000`` measures the justified grid on a dataset of that size instead
(photos of five shapes, metadata set, so rows fit each aspect ratio): the time to
build it (files, then ``add_samples``), first paint at 1400x900, and ten jumps of
the scrollbar (random positions, then the end) until the viewport is full of drawn
thumbnails.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dataset_core as dc  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

DATA = Path(__file__).resolve().parent / "_data" / "server"
CLASSES = [f"class_{i:02d}" for i in range(20)]
DISTINCT = 1000


def build_files(n: int) -> Path:
    """``n`` JPEGs in class folders: hard links to DISTINCT real files."""
    root = DATA / f"images_{n}"
    if (root / ".done").exists():
        return root
    base = DATA / "base"
    base.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(DISTINCT):
        p = base / f"{i}.jpg"
        if not p.exists():
            small = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
            img = Image.fromarray(small).resize((320, 240), Image.Resampling.BICUBIC)
            img.save(p, quality=85)
    for i in range(n):
        d = root / CLASSES[i % len(CLASSES)]
        d.mkdir(parents=True, exist_ok=True)
        dst = d / f"{i:06d}.jpg"
        if not dst.exists():
            os.link(base / f"{i % DISTINCT}.jpg", dst)
    (root / ".done").write_text("ok")
    return root


def build_dataset(n: int) -> dc.Dataset:
    name = f"bench-server-{n}"
    if dc.dataset_exists(name):
        ds = dc.load_dataset(name)
        if len(ds) == n:
            return ds
    root = build_files(n)
    # not parse_image_classification_dir_tree: it now skips hard links to a file it
    # has walked (all but DISTINCT of these), and the bench needs n samples
    samples = [(str(root / CLASSES[i % len(CLASSES)] / f"{i:06d}.jpg"), CLASSES[i % len(CLASSES)])
               for i in range(n)]  # fmt: skip
    ds = dc.Dataset.from_image_classification_samples(samples, name=name, overwrite=True)
    ds.set_values("uniqueness", np.random.default_rng(1).random(len(ds)).tolist())
    return ds


#: (width, height) of the big grid's photos: landscape, portrait, square, wide, tall
SHAPES = [(320, 240), (240, 320), (256, 256), (384, 192), (180, 320)]


def build_grid_dataset(n: int) -> tuple[dc.Dataset, dict[str, float]]:
    """``n`` samples with metadata (so the grid fits its rows), files as hard links to
    DISTINCT real images of SHAPES; returns the dataset and its build times."""
    name = f"bench-grid-{n}"
    times: dict[str, float] = {}
    if dc.dataset_exists(name):
        ds = dc.load_dataset(name)
        if len(ds) == n:
            return ds, times
    root = DATA / f"grid_{n}"
    base = DATA / "grid_base"
    t = time.perf_counter()
    if not (root / ".done").exists():
        base.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(0)
        for i in range(DISTINCT):
            p = base / f"{i}.jpg"
            if not p.exists():
                w, h = SHAPES[i % len(SHAPES)]
                small = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
                Image.fromarray(small).resize((w, h), Image.Resampling.BICUBIC).save(p, quality=85)
        for d in range(n // 1000 + 1):
            (root / f"{d:04d}").mkdir(parents=True, exist_ok=True)
        for i in range(n):
            dst = root / f"{i // 1000:04d}" / f"{i:07d}.jpg"
            if not dst.exists():
                os.link(base / f"{i % DISTINCT}.jpg", dst)
        (root / ".done").write_text("ok")
    times["grid_build_files_s"] = time.perf_counter() - t
    sizes = [(base / f"{i}.jpg").stat().st_size for i in range(DISTINCT)]

    def samples():
        for i in range(n):
            w, h = SHAPES[i % DISTINCT % len(SHAPES)]
            meta = dc.ImageMetadata(width=w, height=h, size_bytes=sizes[i % DISTINCT],
                                    mime_type="image/jpeg", num_channels=3)  # fmt: skip
            yield dc.Sample(filepath=str(root / f"{i // 1000:04d}" / f"{i:07d}.jpg"),
                            metadata=meta,
                            ground_truth=dc.Classification(
                                label=CLASSES[i % len(CLASSES)]))  # fmt: skip

    t = time.perf_counter()
    ds = dc.Dataset(name, overwrite=True)
    ds.add_samples(samples())
    times["grid_add_samples_s"] = time.perf_counter() - t
    times["grid_add_samples_per_s"] = n / times["grid_add_samples_s"]
    return ds, times


def grid_figures(url: str, jumps: int = 10) -> dict[str, float]:
    """First paint of the big grid, then jumps of the scrollbar to random positions
    and the end, each until the viewport is full of tiles with drawn thumbnails."""
    from playwright.sync_api import sync_playwright

    full = (
        "(atEnd) => { const g = document.querySelector('#grid');"
        " const r = g.getBoundingClientRect();"
        " const t = [...document.querySelectorAll('.tile')].filter(x => {"
        "  const b = x.getBoundingClientRect(); return b.bottom > r.top && b.top < r.bottom; });"
        " if (t.length < 10) return false;"
        " if (!t.every(x => { const i = x.querySelector('img'); return x.dataset.id &&"
        "  (atEnd === 'tiles' || (i && i.complete && i.naturalWidth > 0)); })) return false;"
        " const top = Math.min(...t.map(x => x.getBoundingClientRect().top));"
        " const bottom = Math.max(...t.map(x => x.getBoundingClientRect().bottom));"
        " return top <= r.top + 8 && bottom >= r.bottom - 8; }"
    )
    out: dict[str, float] = {}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = b.new_page(viewport={"width": 1400, "height": 900}, bypass_csp=True)
        # when the first filled tile appears, by the page's own clock (from navigation):
        # Playwright's polling lags behind it on a loaded machine
        page.add_init_script(
            "new MutationObserver((_, o) => { if (document.querySelector('.tile[data-id]')) {"
            " window.__firstTile = performance.now(); o.disconnect(); } })"
            ".observe(document, {subtree: true, childList: true, attributes: true});"
        )
        t = time.perf_counter()
        page.goto(url, wait_until="commit")  # not the load event: tiles show before it
        page.wait_for_selector(".tile[data-id]")
        out["grid_first_paint_tiles_s"] = time.perf_counter() - t
        out["grid_first_tile_in_page_s"] = page.evaluate("window.__firstTile") / 1e3
        page.wait_for_function(full, arg=False, timeout=60_000, polling=16)
        out["grid_first_paint_thumbs_s"] = time.perf_counter() - t
        out["grid_tiles_in_first_row"] = page.evaluate(
            "() => [...document.querySelectorAll('.tile')].filter(x => x.offsetTop === 6).length"
        )
        rng = np.random.default_rng(7)
        fractions = [*rng.random(jumps - 1).tolist(), 1.0]
        times, placed = [], []
        for f in fractions:
            t = time.perf_counter()
            page.evaluate("(f) => { const g = document.querySelector('#grid');"
                          " g.scrollTop = f * (g.scrollHeight - g.clientHeight); }", f)  # fmt: skip
            page.wait_for_function(full, arg="tiles", timeout=60_000, polling=16)
            placed.append(time.perf_counter() - t)  # samples in every tile
            page.wait_for_function(full, arg=f == 1.0, timeout=60_000, polling=16)
            times.append(time.perf_counter() - t)  # and their thumbnails drawn
        last = page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('.tile')].map(x => +x.dataset.index))"
        )
        out["grid_end_last_index"] = last
        each = zip(fractions, placed, times, strict=True)
        print(
            "jumps (fraction: tiles / thumbnails s):",
            ", ".join(f"{f:.2f}: {a:.2f}/{b:.2f}" for f, a, b in each),
        )
        out["grid_jump_tiles_median_s"] = statistics.median(placed)
        out["grid_jump_tiles_max_s"] = max(placed)
        out["grid_jump_median_s"] = statistics.median(times)
        out["grid_jump_max_s"] = max(times)
        out["grid_scroll_height_px"] = page.evaluate("document.querySelector('#grid').scrollHeight")
        page.close()
        b.close()
    return out


def start_server(name: str, port: int) -> tuple[subprocess.Popen, str]:
    """The server process and the URL it printed (with its ``?token=``, if any)."""
    dsc = Path(sys.executable).parent / "dsc"
    proc = subprocess.Popen([str(dsc), "app", "launch", name, "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    for line in proc.stdout:
        text = line.decode(errors="replace").strip()
        if text.startswith("Dashboard: "):
            return proc, text.split(" ", 1)[1]
    proc.kill()
    raise SystemExit("server did not start")


def client(url: str) -> httpx.Client:
    """An API client of the server at ``url`` (its token, if any, as a header)."""
    base, _, query = url.partition("?")
    token = query.partition("token=")[2]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=base, timeout=30, headers=headers)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def api_figures(url: str, name: str, n: int) -> dict[str, float]:
    out: dict[str, float] = {}
    with client(url) as c:
        body = {"dataset": name, "view": [], "limit": 100}
        c.post("/api/samples", json=body)  # warm up
        times = []
        for offset in np.linspace(0, n - 100, 60).astype(int).tolist():
            t = time.perf_counter()
            r = c.post("/api/samples", json={**body, "offset": offset})
            times.append(time.perf_counter() - t)
            assert len(r.json()["samples"]) == 100
        out["page_p50_ms"], out["page_p95_ms"] = pct(times, 50) * 1e3, pct(times, 95) * 1e3
        sort = [{"_cls": "SortBy", "kwargs": {"field_or_expr": "uniqueness", "reverse": True}}]
        times = []
        for offset in (0, 100, 5000, 50_000):
            t = time.perf_counter()
            c.post("/api/samples", json={**body, "view": sort, "offset": offset})
            times.append(time.perf_counter() - t)
        out["sorted_page_max_ms"] = max(times) * 1e3
        flt = [
            {"_cls": "Match", "kwargs": {"filter": {"ground_truth.label": {"$in": [CLASSES[3]]}}}}
        ]
        times = []
        for _ in range(5):
            t = time.perf_counter()
            c.post("/api/sidebar", json={"dataset": name, "view": flt})
            times.append(time.perf_counter() - t)
        out["sidebar_filtered_api_ms"] = statistics.median(times) * 1e3
        times = []
        for _ in range(3):
            t = time.perf_counter()
            c.post("/api/sidebar", json={"dataset": name, "view": []})
            times.append(time.perf_counter() - t)
        out["sidebar_full_api_ms"] = statistics.median(times) * 1e3
        ids = c.post("/api/ids", json={"dataset": name, "view": [], "limit": 2000}).json()["ids"]
    thumbs = [f"/thumb/{name}/{i}" for i in ids]

    def fetch_all(paths: list[str]) -> float:
        def one(chunk: list[str]) -> None:
            with client(url) as cc:
                for p in chunk:
                    assert cc.get(p).status_code == 200

        chunks = [paths[i::8] for i in range(8)]
        t = time.perf_counter()
        with ThreadPoolExecutor(8) as ex:
            list(ex.map(one, chunks))
        return len(paths) / (time.perf_counter() - t)

    out["thumbs_cold_per_s"] = fetch_all(thumbs)
    out["thumbs_cached_per_s"] = fetch_all(thumbs)
    return out


def baseline_figures(ds: dc.Dataset) -> dict[str, float]:
    """What the API's pages replace: pymongo ``$skip`` + ``$limit`` at the same offsets."""
    coll, times = ds._sample_coll(), []
    for offset in np.linspace(0, len(ds) - 100, 60).astype(int).tolist():
        t = time.perf_counter()
        docs = list(coll.aggregate([{"$skip": offset}, {"$limit": 100}]))
        times.append(time.perf_counter() - t)
        assert len(docs) == 100
    return {"baseline_pymongo_skip_p50_ms": pct(times, 50) * 1e3,
            "baseline_pymongo_skip_p95_ms": pct(times, 95) * 1e3}  # fmt: skip


def browser_figures(url: str, name: str) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    out: dict[str, float] = {}
    painted = (
        "() => { const t = [...document.querySelectorAll('.tile')];"
        " return t.length > 0 && t.filter(x => x.getBoundingClientRect().top < innerHeight)"
        ".every(x => { const i = x.querySelector('img');"
        " return i && i.complete && i.naturalWidth > 0; }); }"
    )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for label in ("first_paint_cold", "first_paint_warm"):
            # string predicates use eval(), which the app's CSP forbids
            page = b.new_page(viewport={"width": 1400, "height": 900}, bypass_csp=True)
            t = time.perf_counter()
            page.goto(url, wait_until="commit")  # not the load event: tiles show before it
            page.wait_for_selector(".tile[data-id]")
            out[f"{label}_tiles_s"] = time.perf_counter() - t
            page.wait_for_function(painted, timeout=60_000, polling=16)
            out[f"{label}_thumbs_s"] = time.perf_counter() - t
            if label == "first_paint_warm":
                times = []
                for cls in (CLASSES[5], CLASSES[6], CLASSES[7]):
                    before = page.text_content("#sidebar-count")
                    t = time.perf_counter()
                    page.check(f"[data-field=ground_truth] input[data-value='\"{cls}\"']")
                    page.wait_for_function(
                        f"document.querySelector('#sidebar-count') && "
                        f"document.querySelector('#sidebar-count').textContent !== '{before}'",
                        polling=8,
                    )
                    times.append(time.perf_counter() - t)
                out["sidebar_after_filter_browser_s"] = statistics.median(times)
                page.click("#clear-view")
                page.wait_for_function(
                    "document.querySelector('#count').dataset.count === '100000' || "
                    "document.querySelector('#count').dataset.count > 5000"
                )
                t = time.perf_counter()
                page.evaluate("() => { const g = document.querySelector('#grid');"
                              " g.scrollTop = g.scrollHeight / 2; }")  # fmt: skip
                page.wait_for_timeout(30)
                page.wait_for_function(
                    "() => { const g = document.querySelector('#grid'); const top = g.scrollTop;"
                    " const t = [...document.querySelectorAll('.tile[data-id]')].filter(x =>"
                    " x.offsetTop >= top && x.offsetTop < top + g.clientHeight);"
                    " return t.length > 10 && t.every(x => { const i = x.querySelector('img');"
                    " return i && i.complete && i.naturalWidth > 0; }); }",
                    timeout=60_000, polling=16,
                )  # fmt: skip
                out["jump_to_middle_s"] = time.perf_counter() - t
            page.close()
        b.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--port", type=int, default=5171)
    ap.add_argument("--grid", type=int, default=0, help="measure the grid on this many samples")
    args = ap.parse_args()
    if args.grid:
        main_grid(args.grid, args.port)
        return
    t = time.perf_counter()
    ds = build_dataset(args.n)
    print(f"dataset {ds.name}: {len(ds):,} samples ({time.perf_counter() - t:.1f} s to build)")
    # a new mtime gives every image a new thumbnail cache key: a cold start for
    # real, without deleting anybody's cache
    now = time.time()
    for base in (DATA / "base").iterdir():
        os.utime(base, (now, now))
    proc, url = start_server(ds.name, args.port)
    try:
        figures = browser_figures(url, ds.name)
        figures.update(api_figures(url, ds.name, len(ds)))
        figures.update(baseline_figures(ds))
    finally:
        proc.terminate()
        proc.wait(10)
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} CPUs")
    for k, v in figures.items():
        print(f"{k:32s} {v:10.3f}")


def main_grid(n: int, port: int) -> None:
    t = time.perf_counter()
    ds, figures = build_grid_dataset(n)
    print(f"dataset {ds.name}: {len(ds):,} samples ({time.perf_counter() - t:.1f} s to build)")
    now = time.time()
    for base in (DATA / "grid_base").iterdir():  # cold thumbnails, as in main()
        os.utime(base, (now, now))
    proc, url = start_server(ds.name, port)
    try:
        figures.update(grid_figures(url))
    finally:
        proc.terminate()
        proc.wait(10)
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} CPUs")
    for k, v in figures.items():
        print(f"{k:32s} {v:10.3f}")


if __name__ == "__main__":
    main()
