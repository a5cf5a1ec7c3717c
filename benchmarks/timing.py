"""Timing helpers the benchmarks share (standard library only: bench_fiftyone.py
also runs them in FiftyOne's own interpreter, where dataset_core is absent)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def median_ms(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """(median milliseconds over ``runs`` calls after one warm-up, the last result)."""
    result = fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), result


def iterate(view: Any) -> tuple[int, float]:
    """(samples, seconds) to iterate ``view`` as sample objects, touching each filepath."""
    t = time.perf_counter()
    count = sum(1 for s in view if s.filepath)
    return count, time.perf_counter() - t
