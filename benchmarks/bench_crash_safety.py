"""What the crash safety costs: add_samples (notes, client-side ids) and dedup with file
moving (write-ahead journal), against the same operations of a tree without them.

Each figure alternates runs of the two trees in fresh child processes on one
embedded mongod (median of ``--runs``), so both see the same machine load.

    .venv/bin/python benchmarks/bench_crash_safety.py --baseline /path/to/old/tree
    # make an old tree with: git archive <commit> | tar -x -C /tmp/old

Prints a Markdown table for RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ADD = """
import time, dataset_core as dc
ds = dc.Dataset(overwrite=False)
samples = [dc.Sample(f"/data/{{i:07d}}.jpg", ground_truth=dc.Classification(label="cat"))
           for i in range({n})]
t = time.perf_counter()
ds.add_samples(samples, progress=False)
took = time.perf_counter() - t
ds.delete()
print("RESULT", took)
"""

DEDUP = """
import os, time, shutil, dataset_core as dc, brain
root = {root!r}
shutil.rmtree(root, ignore_errors=True)
os.makedirs(root)
samples = []
for i in range({n}):
    sub = os.path.join(root, f"{{i % 100:03d}}")
    os.makedirs(sub, exist_ok=True)
    path = os.path.join(sub, f"{{i:06d}}.png")
    with open(path, "wb") as f:
        f.write(b"img%d" % (i // 2))  # pairs of identical files
    samples.append(dc.Sample(path, file_hash=str(i // 2)))
ds = dc.Dataset()
ds.add_samples(samples, progress=False)
t = time.perf_counter()
brain.deduplicate(ds, kind="exact", keep="first", dry_run=False, delete_files=True)
took = time.perf_counter() - t
assert len(ds) == {n} // 2
ds.delete()
print("RESULT", took)
"""


def run(tree: str, code: str, env: dict[str, str]) -> float:
    out = subprocess.run([sys.executable, "-c", code], env={**env, "PYTHONPATH": tree},
                         capture_output=True, text=True, check=False)  # fmt: skip
    if out.returncode:
        raise SystemExit(f"child failed ({tree}): {out.stderr[-2000:]}")
    return float(out.stdout.split("RESULT", 1)[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", required=True, help="a source tree without journalling")
    parser.add_argument("--tree", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--add", type=int, default=100_000)
    parser.add_argument("--dedup", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_crash_"))
    env = dict(os.environ, DATASET_CORE_DATABASE_DIR=str(work / "db"),
               DATASET_CORE_HOME=str(work / "home"), DATASET_CORE_SHOW_PROGRESS="0",
               DATASET_CORE_DATABASE_NAME="bench_crash")  # fmt: skip
    env.pop("DATASET_CORE_DATABASE_URI", None)
    figures = {}
    try:
        for label, code in (
            (f"add_samples, {args.add:,} samples", ADD.format(n=args.add)),
            (f"deduplicate(delete_files=True), {args.dedup:,} samples, half removed",
             DEDUP.format(n=args.dedup, root=str(work / "files"))),
        ):  # fmt: skip
            times: dict[str, list[float]] = {"baseline": [], "ours": []}
            for _ in range(args.runs):
                times["baseline"].append(run(args.baseline, code, env))
                times["ours"].append(run(args.tree, code, env))
            figures[label] = {k: statistics.median(v) for k, v in times.items()}
    finally:
        subprocess.run([sys.executable, "-c", "from dataset_core import db; db.stop()"],
                       env={**env, "PYTHONPATH": args.tree}, check=False)  # fmt: skip
        shutil.rmtree(work, ignore_errors=True)
    print("| operation | without journal (s) | with journal (s) | cost |")
    print("|---|---|---|---|")
    for label, f in figures.items():
        print(f"| {label} | {f['baseline']:.3f} | {f['ours']:.3f} | "
              f"{100 * (f['ours'] / f['baseline'] - 1):+.1f} % |")  # fmt: skip
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
