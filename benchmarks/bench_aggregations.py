"""Benchmark the typed aggregations on a synthetic dataset.

Builds N samples (a filepath, a ``Classification`` among 100 classes in
``ground_truth``, a float ``uniqueness``) with ``add_samples`` in a separate
database, then times each aggregation (median of ``--repeat`` runs)::

    .venv/bin/python benchmarks/bench_aggregations.py --n 200000
    .venv/bin/python benchmarks/bench_aggregations.py --n 1000000 --keep

The figure to beat (issue 3): ``count_values("ground_truth.label")`` on
1,000,000 samples in at most 1 s (FiftyOne 1.22: 316 ms on 200,000).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

os.environ.setdefault("DATASET_CORE_SHOW_PROGRESS", "0")

import dataset_core as dc  # noqa: E402
from dataset_core.config import config  # noqa: E402

#: kept apart from the user's datasets
BENCH_DATABASE = "dataset_core_bench"
NUM_CLASSES = 100
#: add_samples batches: bounded memory while building a million samples
BUILD_CHUNK = 100_000


def build(n: int, rebuild: bool) -> dc.Dataset:
    """The benchmark dataset of ``n`` samples, reused when it already exists."""
    name = f"bench-aggregations-{n}"
    if dc.dataset_exists(name) and not rebuild:
        dataset = dc.load_dataset(name)
        if len(dataset) == n:
            print(f"reusing dataset {name!r} ({n:,} samples)")
            return dataset
    dataset = dc.Dataset(name, overwrite=True)
    rng = np.random.default_rng(0)
    labels = [f"class_{i:03d}" for i in range(NUM_CLASSES)]
    start = time.perf_counter()
    for lo in range(0, n, BUILD_CHUNK):
        hi = min(n, lo + BUILD_CHUNK)
        classes = rng.integers(0, NUM_CLASSES, hi - lo)
        scores = rng.random(hi - lo)
        dataset.add_samples(
            dc.Sample(
                f"/bench/{i:08d}.jpg",
                ground_truth=dc.Classification(label=labels[c]),
                uniqueness=float(u),
            )
            for i, c, u in zip(range(lo, hi), classes, scores, strict=True)
        )
    print(f"built {name!r}: {n:,} samples in {time.perf_counter() - start:.1f} s")
    return dataset


def timed(func: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(median, min) seconds of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200_000, help="number of samples")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the dataset")
    parser.add_argument("--keep", action="store_true", help="keep the dataset afterwards")
    args = parser.parse_args()

    config.database_name = BENCH_DATABASE
    dataset = build(args.n, args.rebuild)
    cases: list[tuple[str, Callable[[], Any]]] = [
        ('count_values("ground_truth.label")', lambda: dataset.count_values("ground_truth.label")),
        ('bounds("uniqueness")', lambda: dataset.bounds("uniqueness")),
        ('histogram_values("uniqueness", 50)', lambda: dataset.histogram_values("uniqueness", 50)),
        (
            'aggregate([Count(), Bounds("uniqueness")])',
            lambda: dataset.aggregate([dc.Count(), dc.Bounds("uniqueness")]),
        ),
        (
            "aggregate([CountValues(label), HistogramValues(u, 50, (0, 1))])",
            lambda: dataset.aggregate(
                [
                    dc.CountValues("ground_truth.label"),
                    dc.HistogramValues("uniqueness", 50, range=(0, 1)),
                ]
            ),
        ),
    ]
    print(
        f"\n{args.n:,} samples; median (min) of {args.repeat} runs; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs\n"
    )
    width = max(len(name) for name, _ in cases)
    print(f"{'aggregation'.ljust(width)}  median ms     min ms")
    print(f"{'-' * width}  ---------  ---------")
    for name, func in cases:
        func()  # warm the cache: the numbers are for a dataset in memory
        median, best, result = timed(func, args.repeat)
        print(f"{name.ljust(width)}  {median * 1e3:9.1f}  {best * 1e3:9.1f}")
        if name.startswith("count_values"):
            assert len(result) == NUM_CLASSES and sum(result.values()) == args.n, result
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\nload average after the run: {load} (other work on the machine adds noise)")
    if not args.keep:
        dataset.delete()


if __name__ == "__main__":
    main()
