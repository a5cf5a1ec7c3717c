"""Issue 2 figures: cold start, add_samples, iteration, from_images_dir.

Run: ``.venv/bin/python benchmarks/bench_foundation.py [--n 100000]``

Each figure is measured beside a baseline taken in the same process a moment
earlier (raw pymongo on the same documents), since this machine is noisy. The
benchmark uses its own throw-away database folder and stops its mongod at the end.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# after PYTHONPATH: ``PYTHONPATH=/other/tree python benchmarks/...`` measures that tree
# (an A/B of two trees with one script); otherwise this script's own tree
sys.path.append(str(ROOT))


def cold_start(db_dir: Path) -> tuple[float, float]:
    """(seconds to first ping in a fresh process, of which import) with no server running."""
    code = (
        "import time; t0 = time.perf_counter(); import dataset_core as dc; "
        "t1 = time.perf_counter(); from dataset_core import db; db.get_db().command('ping'); "
        "print(time.perf_counter() - t0, t1 - t0)"
    )
    tree = os.environ.get("PYTHONPATH") or str(ROOT)  # the tree measured
    env = dict(os.environ, DATASET_CORE_DATABASE_DIR=str(db_dir), PYTHONPATH=tree)
    env.pop("DATASET_CORE_DATABASE_URI", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    total, imp = map(float, out.stdout.split())
    subprocess.run([sys.executable, "-c", "from dataset_core import db; db.stop()"], env=env)
    return total, imp


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}/s ({seconds:.2f} s)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=100_000)
    args = parser.parse_args()
    n = args.n

    tmp = Path(tempfile.mkdtemp(prefix="dsc-bench-"))
    os.environ["DATASET_CORE_DATABASE_DIR"] = str(tmp / "db")
    os.environ["DATASET_CORE_SHOW_PROGRESS"] = "0"
    os.environ.pop("DATASET_CORE_DATABASE_URI", None)

    rows: list[tuple[str, str, str]] = []
    colds = [cold_start(tmp / "db") for _ in range(3)]
    median = sorted(colds)[len(colds) // 2]
    rows.append(("cold start: import + start mongod + ping (median of 3)", f"{median[0]:.2f} s",
                 f"runs {', '.join(f'{c[0]:.2f}' for c in colds)}; "
                 f"import {median[1]:.2f} s"))  # fmt: skip

    import dataset_core as dc
    from dataset_core import db

    database = db.get_db()

    # add_samples vs raw insert_many of equivalent documents
    raw = database["bench_raw"]
    raw.drop()
    raw.create_index("filepath", unique=True)
    docs = [{"filepath": f"/data/img{i}.jpg", "tags": [], "metadata": None,
             "ground_truth": {"_cls": "Classification", "label": f"c{i % 100}"}}
            for i in range(n)]  # fmt: skip
    t = time.perf_counter()
    for i in range(0, n, 10_000):
        raw.insert_many(docs[i : i + 10_000])
    raw_insert = time.perf_counter() - t

    samples = [dc.Sample(f"/data/img{i}.jpg", ground_truth=dc.Classification(label=f"c{i % 100}"))
               for i in range(n)]  # fmt: skip
    ds = dc.Dataset("bench", overwrite=True)
    t = time.perf_counter()
    ds.add_samples(samples)
    ours_insert = time.perf_counter() - t
    rows.append((f"add_samples, {n:,} samples", rate(n, ours_insert),
                 f"raw insert_many (same docs, unique index) {rate(n, raw_insert)}"))  # fmt: skip

    t = time.perf_counter()
    count = sum(1 for _ in raw.find({}, batch_size=10_000))
    raw_iter = time.perf_counter() - t
    t = time.perf_counter()
    count2 = 0
    for s in ds:
        count2 += s.filepath is not None
    ours_iter = time.perf_counter() - t
    assert count == count2 == n
    rows.append((f"iterate {n:,} samples as Sample", rate(n, ours_iter),
                 f"raw pymongo find {rate(n, raw_iter)}"))  # fmt: skip
    t = time.perf_counter()
    labels = [s.ground_truth.label for s in ds]
    ours_labels = time.perf_counter() - t
    assert len(labels) == n
    rows.append(("  ... reading sample.ground_truth.label too", rate(n, ours_labels), ""))
    raw.drop()
    ds.delete()

    # from_images_dir over many small files (a real JPEG's bytes in each)
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format="JPEG")
    jpeg = buf.getvalue()
    folder = tmp / "images"
    per_dir = 1000
    for i in range(args.files):
        d = folder / f"d{i // per_dir:04d}"
        if i % per_dir == 0:
            d.mkdir(parents=True)
        (d / f"{i}.jpg").write_bytes(jpeg)
    os.sync()
    t = time.perf_counter()
    imported = dc.Dataset.from_images_dir(str(folder), name="bench-files", overwrite=True)
    files_s = time.perf_counter() - t
    assert len(imported) == args.files
    rows.append((f"from_images_dir, {args.files:,} files", rate(args.files, files_s),
                 f"{args.files // per_dir} folders (warm page cache)"))  # fmt: skip
    imported.delete()
    db.reset()
    db.stop()

    print(f"\nmachine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")  # fmt: skip
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name.ljust(width)}  {value:>24}  {note}")


if __name__ == "__main__":
    main()
