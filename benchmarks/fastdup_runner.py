"""Run fastdup on a near-duplicate corpus and score it against the corpus truth.

Run: ``.venv/bin/python benchmarks/fastdup_runner.py --corpus benchmarks/_data/corpus``

fastdup runs in its own virtualenv (``benchmarks/_envs/fastdup``, created with
``python3 -m venv`` + ``pip install fastdup`` when missing; its manylinux wheel
bundles its libraries and its feature model, so it needs no system packages and
runs offline) as a subprocess, with the default settings of its V1 API:
``fastdup.create(work_dir, input_dir).run()``. Telemetry is switched off with
``SENTRY_OPT_OUT=1``.

fastdup's notion of near-duplicates, both read from its work folder:

* **pairs** (the headline): ``similarity.csv``, the pairs among each image's
  ``nearest_neighbors_k=2`` nearest neighbours whose cosine similarity is at least
  ``threshold=0.9``; these are what ``fd.similarity()`` and its duplicates
  gallery show.
* **components**: ``connected_components.csv``, the clusters of the same kNN graph
  cut at ``ccthreshold=0.96``, scored as all pairs within each cluster.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import DATA_DIR, Evaluation, evaluate, evaluate_groups, load_corpus  # noqa: E402

ENV_DIR = Path(__file__).resolve().parent / "_envs" / "fastdup"
WORK_DIR = DATA_DIR / "fastdup_work"
# Pinned so that numbers stay comparable across runs; 2.54 is the release the
# first measurements used (Python 3.11, 2026-11).
FASTDUP_REQUIREMENT = "fastdup==2.54"

# Executed by the fastdup interpreter: argv = input_dir, work_dir, result.json.
# The clock covers run() only (features, kNN, components, stats), not the
# interpreter start or `import fastdup`, which the caller times separately.
_RUN_SCRIPT = """
import json, sys, time
import fastdup
input_dir, work_dir, result = sys.argv[1:4]
start = time.perf_counter()
fd = fastdup.create(work_dir=work_dir, input_dir=input_dir)
fd.run()
seconds = time.perf_counter() - start
with open(result, "w") as f:
    json.dump({"version": fastdup.__version__, "seconds": seconds, "config": fd.config},
              f, default=str)
"""


class FastdupError(RuntimeError):
    """fastdup could not be installed or did not produce its outputs."""


@dataclass(frozen=True)
class FastdupRun:
    """What one fastdup run reported, by image file name.

    Attributes:
        version: fastdup's version.
        n_images: images fastdup read (its features file).
        seconds: duration of ``run()`` (features, kNN, components, stats).
        process_seconds: the whole subprocess, with interpreter start and import.
        threshold: the similarity threshold of ``similarity.csv`` (default 0.9).
        cc_threshold: the connected-components threshold (default 0.96).
        pairs: unordered pairs from ``similarity.csv`` (similarity >= threshold).
        components: clusters of two or more images from ``connected_components.csv``.
        config: fastdup's recorded configuration (``fd.config``).
    """

    version: str
    n_images: int
    seconds: float
    process_seconds: float
    threshold: float
    cc_threshold: float
    pairs: list[tuple[str, str]]
    components: list[list[str]]
    config: dict[str, object]

    @property
    def images_per_second(self) -> float:
        """Images processed per second of ``run()``."""
        return self.n_images / self.seconds if self.seconds else 0.0


def ensure_fastdup_env(env_dir: Path = ENV_DIR) -> Path:
    """The fastdup virtualenv's interpreter, creating the env when missing.

    Raises:
        FastdupError: if the venv or the pip install fails.
    """
    python = env_dir / "bin" / "python"
    check = (
        subprocess.run([str(python), "-c", "import fastdup"], capture_output=True)
        if python.exists()
        else None
    )
    if check is not None and check.returncode == 0:
        return python
    for cmd in (
        ["python3", "-m", "venv", str(env_dir)],
        [str(python), "-m", "pip", "install", "-q", FASTDUP_REQUIREMENT],
    ):
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            raise FastdupError(f"`{' '.join(cmd)}` failed: {done.stderr.strip()[-500:]}")
    return python


def run_fastdup(images_dir: Path, work_dir: Path = WORK_DIR, env_dir: Path = ENV_DIR) -> FastdupRun:
    """Run fastdup with its default settings on a folder and read its outputs.

    Args:
        images_dir: folder of images (searched recursively by fastdup).
        work_dir: fastdup's work folder; emptied first. Its log is ``fastdup.log``.
        env_dir: the fastdup virtualenv.

    Raises:
        FastdupError: if fastdup fails or leaves no outputs.
    """
    python = ensure_fastdup_env(env_dir)
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    result = (work_dir / "runner_result.json").resolve()
    cmd = [
        str(python),
        "-c",
        _RUN_SCRIPT,
        str(images_dir.resolve()),
        str(work_dir.resolve()),
        str(result),
    ]
    env = dict(os.environ, SENTRY_OPT_OUT="1")
    start = time.perf_counter()
    with open(work_dir / "fastdup.log", "w") as log:
        done = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=work_dir)
    process_seconds = time.perf_counter() - start
    if done.returncode or not result.exists():
        raise FastdupError(f"fastdup exited with {done.returncode}; see {work_dir / 'fastdup.log'}")
    meta = json.loads(result.read_text())

    names = {
        row["index"]: Path(row["filename"]).name
        for row in _read_csv(work_dir / "atrain_features.dat.csv")
    }
    threshold = float(meta["config"]["threshold"])
    pairs = sorted(
        {
            tuple(sorted((names[row["from"]], names[row["to"]])))
            for row in _read_csv(work_dir / "similarity.csv")
            if float(row["distance"]) >= threshold
        }
    )
    clusters: dict[str, list[str]] = defaultdict(list)
    cc_file = work_dir / "connected_components.csv"
    for row in _read_csv(cc_file) if cc_file.exists() else []:
        clusters[row["component_id"]].append(names[row["__id"]])
    return FastdupRun(
        version=meta["version"],
        n_images=len(names),
        seconds=float(meta["seconds"]),
        process_seconds=process_seconds,
        threshold=threshold,
        cc_threshold=float(meta["config"]["fastdup_kwargs"]["turi_param"]["ccthreshold"]),
        pairs=[(a, b) for a, b in pairs],
        components=[sorted(c) for c in clusters.values() if len(c) > 1],
        config=meta["config"],
    )


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise FastdupError(f"fastdup left no {path.name} in {path.parent}; see fastdup.log there")
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def time_fastdup(
    images: Sequence[Path], n: int, work_dir: Path = WORK_DIR, env_dir: Path = ENV_DIR
) -> FastdupRun:
    """Time fastdup end to end on the first ``n`` of ``images`` (e.g. corpus JPEGs).

    The files are hard-linked (copied across file systems) into a scratch folder.
    Read ``.seconds`` and ``.images_per_second`` of the result.

    Raises:
        FastdupError: if fewer than ``n`` images are given, or fastdup fails.
    """
    if len(images) < n:
        raise FastdupError(f"Asked to time {n} images but got {len(images)}")
    with tempfile.TemporaryDirectory(prefix="fastdup-speed-") as tmp:
        folder = Path(tmp) / "images"
        folder.mkdir()
        for path in images[:n]:
            try:
                os.link(path, folder / path.name)
            except OSError:
                shutil.copy2(path, folder / path.name)
        return run_fastdup(folder, work_dir, env_dir)


@dataclass(frozen=True)
class FastdupBenchmark:
    """fastdup's run on a corpus and its scores (pairs and components)."""

    run: FastdupRun
    pairs: Evaluation
    components: Evaluation

    def report(self) -> str:
        """Markdown: config, P/R/F1 and per-transform recall for both notions, speed."""
        run = self.run
        lines = [
            f"fastdup {run.version}, default run(): threshold={run.threshold}, "
            f"nearest_neighbors_k={run.config.get('nearest_neighbors_k')}, "
            f"ccthreshold={run.cc_threshold}, model={Path(str(run.config.get('model_path'))).name}",
            "",
            self.pairs.table(f"fastdup pairs (similarity.csv >= {run.threshold})"),
            "",
            self.components.table(f"fastdup components (ccthreshold {run.cc_threshold})"),
            "",
            f"speed: {self.run.n_images} images, run() {self.run.seconds:.1f} s = "
            f"{self.run.images_per_second:.1f} images/s "
            f"(whole process incl. start and import {self.run.process_seconds:.1f} s)",
        ]
        return "\n".join(lines)


def benchmark_fastdup(
    corpus_dir: Path, work_dir: Path = WORK_DIR, env_dir: Path = ENV_DIR
) -> FastdupBenchmark:
    """Run fastdup on a corpus built by ``corpus.py`` and evaluate it."""
    corpus = load_corpus(corpus_dir)
    run = run_fastdup(corpus.images_dir, work_dir, env_dir)
    return FastdupBenchmark(
        run=run,
        pairs=evaluate(run.pairs, corpus.truth),
        components=evaluate_groups(run.components, corpus.truth),
    )


def main(argv: list[str] | None = None) -> None:
    """CLI: run fastdup on a corpus, print the tables, optionally save JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DATA_DIR / "corpus")
    parser.add_argument("--work", type=Path, default=WORK_DIR, help="fastdup work folder")
    parser.add_argument("--env", type=Path, default=ENV_DIR, help="fastdup virtualenv")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--speed", type=int, default=0, metavar="N", help="also time fastdup on N corpus JPEGs"
    )
    args = parser.parse_args(argv)
    result = benchmark_fastdup(args.corpus, args.work, args.env)
    print(result.report())
    if args.speed:
        paths = load_corpus(args.corpus).paths()
        speed = time_fastdup(paths, args.speed, args.work, args.env)
        print(
            f"speed run: {speed.n_images} JPEGs in {speed.seconds:.1f} s = "
            f"{speed.images_per_second:.1f} images/s (process {speed.process_seconds:.1f} s)"
        )
    if args.json:
        doc = {
            "run": {
                **asdict(result.run),
                "pairs": len(result.run.pairs),
                "components": len(result.run.components),
                "images_per_second": result.run.images_per_second,
            },
            "pairs": result.pairs.to_dict(),
            "components": result.components.to_dict(),
        }
        args.json.write_text(json.dumps(doc, indent=1, default=str))


if __name__ == "__main__":
    main()
