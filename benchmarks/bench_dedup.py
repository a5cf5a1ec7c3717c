"""Issue 4 figures: near-duplicate accuracy and end-to-end speed, beside fastdup.

Run: ``.venv/bin/python benchmarks/bench_dedup.py [--n 2000] [--rounds 3] [--skip-fastdup]
[--baseline CHECKOUT]`` (``--baseline``: another checkout's pipeline in the same
rounds, e.g. main's worktree, to compare a branch against it on the same load)

1. Builds (or reuses) the corpus of ``benchmarks/corpus.py``: real photos that
   ship offline, with known injected copies.
2. Ours, end to end from the folder, each round in a fresh Python process:
   import into a dataset, one decode pass (embeddings, thumbnails, sha1 file
   hashes), exact-duplicate groups, uniqueness, near-duplicate groups written
   to the dataset.
3. fastdup's default ``run()`` on the same folder (its own process), right
   after ours in each round, so that both see the same machine load.
4. Precision / recall / F1 of both, overall and per transform, for pairs and
   for groups (components).

Two clocks per tool: *run* (fastdup: ``run()`` alone; ours: everything after
the libraries are imported, the model build included) and *process* (the
whole subprocess: interpreter start, imports, the work). MongoDB is started
once before the rounds, as it runs in a user's session.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from corpus import DATA_DIR, build_corpus, evaluate, evaluate_groups, load_corpus  # noqa: E402


def run_ours(images_dir: Path, name: str = "bench-dedup", image_size: int | None = None) -> dict:
    """The whole pipeline on a folder, in this process; timings and the found pairs/groups."""
    stages = {}
    t = time.perf_counter()
    import torch  # noqa: F401 - imported by the first embedding call; timed on its own

    import brain
    import dataset_core as dc
    from brain._algos import neardup

    stages["import torch"] = time.perf_counter() - t
    t0 = time.perf_counter()
    ds = dc.Dataset.from_images_dir(str(images_dir), name=name, overwrite=True)
    stages["import images"] = time.perf_counter() - t0
    t = time.perf_counter()
    index = brain.compute_similarity(ds, brain_key="sim", progress=False, image_size=image_size)
    stages["decode pass: embeddings, thumbnails, file hashes"] = time.perf_counter() - t
    t = time.perf_counter()
    brain.find_exact_duplicates(ds)
    stages["exact groups"] = time.perf_counter() - t
    t = time.perf_counter()
    brain.compute_uniqueness(ds, brain_key="sim")
    stages["uniqueness"] = time.perf_counter() - t
    t = time.perf_counter()
    index = brain.find_approximate_duplicates(ds, brain_key="sim")
    stages["near-duplicate groups"] = time.perf_counter() - t
    run = time.perf_counter() - t0
    finished = time.time()  # the parent's process clock stops here, before scoring
    names = {sid: os.path.basename(p) for sid, p in zip(ds.values("id"), ds.values("filepath"),
                                                         strict=True)}  # fmt: skip
    found = index.pairs or neardup.find_pairs(index.embeddings, index.thumbs)
    pairs = [(names[index.sample_ids[a]], names[index.sample_ids[b]]) for a, b in found.pairs]
    groups = [[names[r]] + [names[d] for d, _ in dups] for r, dups in index.neighbors_map.items()]
    n = len(ds)
    ds.delete()
    return {"n": n, "seconds": run, "stages": stages, "pairs": pairs, "groups": groups,
            "images_per_second": n / run, "config": index.config, "finished": finished}  # fmt: skip


def ours_in_subprocess(
    images_dir: Path, image_size: int | None, script: Path = Path(__file__)
) -> dict:
    """:func:`run_ours` in a fresh interpreter, timed from its start to the end of the work.

    ``script``: the ``bench_dedup.py`` to run, whose checkout's code is measured
    (it puts its own tree first on ``sys.path``).
    """
    with tempfile.TemporaryDirectory(prefix="bench-dedup-") as tmp:
        out = Path(tmp) / "ours.json"
        cmd = [sys.executable, str(script), "--ours-only", str(images_dir), "--json", str(out)]
        if image_size:
            cmd += ["--image-size", str(image_size)]
        start = time.time()
        subprocess.run(cmd, check=True)
        result = json.loads(out.read_text())
    result["process_seconds"] = result["finished"] - start
    return result


def _load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _cpu_times() -> tuple[int, int]:
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    return fields[3] + fields[4], sum(fields)  # idle + iowait, total


def busy_cores(seconds: float = 2.0) -> float:
    """How many cores other programs keep busy, measured over ``seconds`` (Linux)."""
    idle0, total0 = _cpu_times()
    time.sleep(seconds)
    idle1, total1 = _cpu_times()
    return (os.cpu_count() or 1) * (1 - (idle1 - idle0) / max(1, total1 - total0))


class OtherLoad:
    """How many cores *other* programs used while a block ran (Linux).

    All CPU time the machine spent (``/proc/stat``) minus what this process's
    finished children (the tool under test and its workers) and the benchmark's
    mongod used, divided by the wall time: the noise a measurement carried.
    """

    def __init__(self, mongod_pid: int | None) -> None:
        self.mongod_pid = mongod_pid
        self.cores = 0.0

    def _sample(self) -> tuple[float, float, float, float]:
        tick = os.sysconf("SC_CLK_TCK")
        idle, total = _cpu_times()
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        mongod = 0.0
        if self.mongod_pid:
            try:
                with open(f"/proc/{self.mongod_pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                mongod = (int(fields[11]) + int(fields[12])) / tick
            except OSError:
                pass
        return (total - idle) / tick, ru.ru_utime + ru.ru_stime, mongod, time.perf_counter()

    def __enter__(self) -> OtherLoad:
        self._start = self._sample()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._sample()
        busy, mine, mongod, wall = (b - a for a, b in zip(self._start, end, strict=True))
        self.cores = max(0.0, (busy - mine - mongod) / wall) if wall > 0 else 0.0


def wait_for_quiet(max_busy: float, timeout: float) -> float:
    """Wait (up to ``timeout`` s) until at most ``max_busy`` cores are busy; return that."""
    deadline = time.monotonic() + timeout
    busy = busy_cores()
    while busy > max_busy and time.monotonic() < deadline:
        busy = busy_cores()
    return busy


def main() -> None:
    """Rounds of ours then fastdup; accuracy tables and per-round speed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="files in the corpus")
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=3, help="ours + fastdup, alternating")
    parser.add_argument("--skip-fastdup", action="store_true")
    parser.add_argument("--image-size", type=int, default=None, help="model input side")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("--quiet", type=float, default=None, metavar="CORES",
                        help="before each round, wait until other programs use at most "
                        "this many cores (the machine is shared)")  # fmt: skip
    parser.add_argument("--quiet-timeout", type=float, default=300.0, help="seconds")
    parser.add_argument("--baseline", type=Path, default=None, metavar="CHECKOUT",
                        help="another checkout of this repository (e.g. main's worktree) whose "
                        "pipeline also runs in each round, alternating with ours")  # fmt: skip
    parser.add_argument("--ours-only", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    os.environ.setdefault("DATASET_CORE_SHOW_PROGRESS", "0")
    if args.ours_only:  # the child process of ours_in_subprocess
        args.json.write_text(json.dumps(run_ours(args.ours_only, image_size=args.image_size)))
        return
    own_db = "DATASET_CORE_DATABASE_DIR" not in os.environ
    if own_db:
        os.environ["DATASET_CORE_DATABASE_DIR"] = tempfile.mkdtemp(prefix="dsc-bench-db-")
    from dataset_core import db

    db.ensure_running()
    mongod_pid = db.status().get("pid")
    root = args.corpus or DATA_DIR / f"corpus{args.n}"
    if not (root / "truth.json").exists():
        build_corpus(root, n_distinct=round(args.n / 1.3))
    corpus = load_corpus(root)
    truth = corpus.truth

    rounds = []
    fd = None
    for r in range(args.rounds):
        busy = (
            busy_cores() if args.quiet is None else wait_for_quiet(args.quiet, args.quiet_timeout)
        )
        load_before = f"{_load()}; {busy:.2f} cores busy"
        row = {"load_before": load_before}
        # with a baseline checkout, its pipeline runs in each round too, first in
        # every other round, so that both see the same drift of the machine's load
        for who in ["baseline", "ours"] if r % 2 == 0 else ["ours", "baseline"]:
            if who == "baseline" and not args.baseline:
                continue
            script = (
                Path(__file__) if who == "ours" else args.baseline / "benchmarks/bench_dedup.py"
            )
            with OtherLoad(mongod_pid) as during:
                row[who] = ours_in_subprocess(corpus.images_dir, args.image_size, script)
            row[f"others_during_{who}"] = during.cores
        ours = row["ours"]
        if not args.skip_fastdup:
            from fastdup_runner import benchmark_fastdup

            with OtherLoad(None) as during_fd:
                fd = benchmark_fastdup(root)
            row["fastdup"] = {"seconds": fd.run.seconds, "process_seconds": fd.run.process_seconds,
                              "images_per_second": fd.run.images_per_second}  # fmt: skip
            row["others_during_fastdup"] = during_fd.cores
        row["load_after"] = _load()
        rounds.append(row)
        if args.baseline:
            base = row["baseline"]
            print(f"round {r + 1}: baseline {base['images_per_second']:.1f} images/s "
                  f"({base['seconds']:.2f} s, near-duplicates "
                  f"{base['stages']['near-duplicate groups']:.2f} s, others "
                  f"{row['others_during_baseline']:.2f} cores); ours near-duplicates "
                  f"{ours['stages']['near-duplicate groups']:.2f} s", flush=True)  # fmt: skip
        print(f"round {r + 1}: ours {ours['images_per_second']:.1f} images/s"
              + (f", fastdup {fd.run.images_per_second:.1f}" if fd else "")
              + f" ({row['load_before']})", flush=True)  # fmt: skip
    if own_db:  # its own database, in a folder of its own: nothing of it is kept
        db.stop()
        shutil.rmtree(os.environ["DATASET_CORE_DATABASE_DIR"], ignore_errors=True)

    ours = rounds[0]["ours"]
    ev_pairs, ev_groups = evaluate(ours["pairs"], truth), evaluate_groups(ours["groups"], truth)
    print(f"\nmachine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs; corpus "
          f"{root} ({len(truth.files)} files, {len(truth.pairs)} injected pairs); "
          f"ours: {ours['config']}\n")  # fmt: skip
    print(ev_pairs.table("ours: pairs"))
    print()
    print(ev_groups.table("ours: groups (connected components)"))
    if fd is not None:
        print()
        print(fd.report())
    print(
        "\n| round | other programs' cores: before / during ours / during fastdup | ours run s "
        "| ours process s | fastdup run() s | fastdup process s | ratio (run) | ratio (process) |"
        "\n|---|---|---|---|---|---|---|---|"
    )
    ratios = []
    for r, row in enumerate(rounds, 1):
        o, f = row["ours"], row.get("fastdup")
        others = f"{row['load_before'].split()[-3]} / {row['others_during_ours']:.2f}"
        cells = [f"{o['seconds']:.1f}", f"{o['process_seconds']:.1f}"]
        if f:
            others += f" / {row['others_during_fastdup']:.2f}"
            ratio = f["seconds"] / o["seconds"]
            ratios.append((ratio, f["process_seconds"] / o["process_seconds"]))
            cells += [f"{f['seconds']:.1f}", f"{f['process_seconds']:.1f}", f"{ratio:.2f}x",
                      f"{ratios[-1][1]:.2f}x"]  # fmt: skip
        print(f"| {r} | {others} | " + " | ".join(cells) + " |")
    n = ours["n"]
    stage_names = list(ours["stages"])
    med = {k: statistics.median(r["ours"]["stages"][k] for r in rounds) for k in stage_names}
    print(f"\nours, {n} images, median stages: "
          + ", ".join(f"{k} {v:.2f} s" for k, v in med.items()))  # fmt: skip
    if ratios:
        print(f"median speed ratio ours / fastdup: {statistics.median(r for r, _ in ratios):.2f}x "
              f"(run), {statistics.median(p for _, p in ratios):.2f}x (process); F1 pairs ours "
              f"{ev_pairs.f1:.3f} vs fastdup {fd.pairs.f1:.3f}; groups ours {ev_groups.f1:.3f} "
              f"vs fastdup {fd.components.f1:.3f}")  # fmt: skip
    if args.json:

        def light(run: dict) -> dict:
            return {k: v for k, v in run.items() if k not in ("pairs", "groups")}

        doc = {"rounds": [{**row, **{who: light(row[who]) for who in ("ours", "baseline")
                                     if who in row}} for row in rounds],
               "ours_pairs": ev_pairs.to_dict(), "ours_groups": ev_groups.to_dict()}  # fmt: skip
        if fd is not None:
            doc["fastdup_pairs"] = fd.pairs.to_dict()
            doc["fastdup_components"] = fd.components.to_dict()
        args.json.write_text(json.dumps(doc, indent=1, default=str))


if __name__ == "__main__":
    main()
