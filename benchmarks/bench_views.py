"""Issue 3 figures: views on a big dataset.

Run: ``.venv/bin/python benchmarks/bench_views.py [--n 1000000]``

Builds N samples (filepath, a Classification among 100 classes, a float
``uniqueness``) with ``Dataset.add_samples``, indexes ``uniqueness``, then times:

- ``match(F("uniqueness") > 0.5).sort_by("uniqueness").limit(20)`` as a list
  (median of 20), beside the same match written as a query dict and as a raw
  ``$expr`` (what the F expression would cost without its query rewrite);
- ``len()`` of that match (median of 5), the same three ways;
- ``select()`` of 100,000 random ids (inline ``$in``) and of 200,000 (read from
  a temporary id collection), unordered and ordered, iterated as samples;
- ``take(20, seed=...)`` and ``exclude()`` of 100,000 ids, for scale.

Uses its own throw-away database folder and stops its mongod at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/timing.py
from timing import iterate, median_ms  # noqa: E402

# after PYTHONPATH: ``PYTHONPATH=/other/tree python benchmarks/...`` measures that tree
# (an A/B of two trees with one script); otherwise this script's own tree
sys.path.append(str(ROOT))

#: timed repetitions: medians resist this noisy 2-core machine's hiccups
FAST_RUNS = 20
SLOW_RUNS = 5
NUM_CLASSES = 100


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    args = parser.parse_args()
    n = args.n

    tmp = Path(tempfile.mkdtemp(prefix="dsc-bench-views-"))
    os.environ["DATASET_CORE_DATABASE_DIR"] = str(tmp / "db")
    os.environ["DATASET_CORE_SHOW_PROGRESS"] = "0"
    os.environ.pop("DATASET_CORE_DATABASE_URI", None)

    import dataset_core as dc
    from dataset_core import F, db

    rng = random.Random(0)
    t = time.perf_counter()
    samples = [
        dc.Sample(f"/data/img{i}.jpg", uniqueness=rng.random(),
                  ground_truth=dc.Classification(label=f"c{i % NUM_CLASSES}"))
        for i in range(n)
    ]  # fmt: skip
    ds = dc.Dataset("bench-views", overwrite=True)
    ids = ds.add_samples(samples)
    del samples
    build_s = time.perf_counter() - t
    ds.create_index("uniqueness")

    rows: list[tuple[str, str, str]] = [
        (f"build {n:,} samples (add_samples) + index", f"{build_s:.1f} s", "")
    ]

    def as_list(view: Any) -> Callable[[], list[Any]]:
        return lambda: list(view)

    expr = F("uniqueness") > 0.5
    query = {"uniqueness": {"$gt": 0.5}}
    forms = [
        ("F expression", ds.match(expr)),
        ("query dict", ds.match(query)),
        ("raw $expr (no rewrite)", ds.mongo([{"$match": {"$expr": expr.to_mongo()}}])),
    ]
    for name, matched in forms:
        top = matched.sort_by("uniqueness").limit(20)
        ms, got = median_ms(as_list(top), FAST_RUNS)
        assert len(got) == 20
        rows.append((f"match > 0.5, sort, limit(20), list: {name}", f"{ms:.1f} ms",
                     f"median of {FAST_RUNS}"))  # fmt: skip
    for name, matched in forms:
        ms, count = median_ms(lambda m=matched: len(m), SLOW_RUNS)
        rows.append((f"len(match > 0.5): {name}", f"{ms:.0f} ms",
                     f"{count:,} samples, median of {SLOW_RUNS}"))  # fmt: skip

    for size, ordered in [(100_000, False), (100_000, True), (200_000, False),
                          (200_000, True)]:  # fmt: skip
        if size > n:
            continue
        chosen = rng.sample(ids, size)
        view = ds.select(chosen, ordered=ordered)
        warm_n, warm_s = iterate(view)  # the first call also writes the id collection
        count, seconds = iterate(view)
        assert count == warm_n == size
        how = "inline $in" if "$unionWith" not in str(view._pipeline()[:2]) else "id collection"
        rows.append((f"select({size:,} ids{', ordered' if ordered else ''}) iterated",
                     f"{count / seconds:,.0f}/s",
                     f"{how}; {seconds:.2f} s (first call {warm_s:.2f} s)"))  # fmt: skip

    ms, got = median_ms(as_list(ds.take(20, seed=51)), SLOW_RUNS)
    rows.append(("take(20, seed=51), list", f"{ms:.0f} ms", f"median of {SLOW_RUNS}"))
    excluded = rng.sample(ids, min(100_000, n // 2))
    ms, got = median_ms(lambda: len(ds.exclude(excluded)), SLOW_RUNS)
    rows.append((f"len(exclude({len(excluded):,} ids))", f"{ms:.0f} ms",
                 f"{got:,} samples, median of {SLOW_RUNS}"))  # fmt: skip

    ds.delete()
    db.reset()
    db.stop()

    print(f"\nmachine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, {n:,} samples")  # fmt: skip
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name.ljust(width)}  {value:>12}  {note}")


if __name__ == "__main__":
    main()
