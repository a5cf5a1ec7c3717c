"""Issue 6 figures: `dsc analyze` beside fastdup's run(), and label-issue detection.

Run: ``.venv/bin/python benchmarks/bench_analyze.py [--n 2000] [--skip-fastdup] [--json out.json]``

1. **Speed**: :func:`brain.analyze` (what ``dsc analyze DIR --report R`` runs:
   import, one decode pass for embeddings + thumbnails + image stats, kNN,
   pixel-confirmed near-duplicates, outliers, components, quality flags, the
   2-D map, the HTML report) on the near-duplicate corpus of
   ``benchmarks/corpus.py`` (reused when built), and fastdup's default
   ``run()`` (features, kNN, components, outliers, stats) on the same folder
   in the same run, through ``benchmarks/fastdup_runner.py``. images/s of each,
   ``uptime`` load before and after.
2. **Label issues**: a labelled set of real photos (the photo cut-outs of
   Debian's ``tuxpaint-stamps-default``, one class per stamp category with at
   least ``MIN_CLASS`` stamps, 256-px JPEGs) in which a seeded ``--flip``
   fraction of the labels is moved to another class. Ours: ``dsc analyze
   --labels dir-tree``'s ``label_issue_score``; fastdup: the ``score`` of its
   similarity gallery (``create_similarity_gallery(slice="label_score")``,
   0-100, low = suspicious) after ``run()`` with its defaults and with
   ``nearest_neighbors_k=10, threshold=0`` (so every image has neighbours).
   Precision and recall of the top-k flagged, k = the number flipped, and of
   each tool's own flagged set (ours: ``label_issue`` tags; fastdup: score < 50).
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
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from corpus import (  # noqa: E402
    DATA_DIR,
    TUXPAINT_EXCLUDE,
    TUXPAINT_ROOT,
    _open,
    _square_pad,
    build_corpus,
    fetch_debian_packages,
    load_corpus,
)

LABELLED_DIR = DATA_DIR / "labelled"
#: stamp categories (first two path levels for the big trees) with fewer stamps are left out
MIN_CLASS = 12
#: the big category trees, split one level further (birds vs mammals...)
SPLIT_DEEPER = ("animals", "food", "plants", "seasonal", "household", "hobbies")
LABEL_SIDE = 256

# Executed by fastdup's interpreter: argv = input_dir, work_dir, labels.json, k, threshold, out.
_FASTDUP_LABELS = """
import json, os, sys
import fastdup
input_dir, work_dir, labels_file, k, thr, out = sys.argv[1:7]
labels = json.load(open(labels_file))
# fastdup reports files relative to the working directory: key them both ways
labels.update({os.path.relpath(k): v for k, v in list(labels.items())})
fd = fastdup.create(work_dir=work_dir, input_dir=input_dir)
kw = {} if k == "default" else {"nearest_neighbors_k": int(k), "threshold": float(thr)}
fd.run(**kw)
df = fastdup.create_similarity_gallery(work_dir, work_dir + "/gallery", num_images=20,
        get_label_func=labels, slice="label_score", work_dir=work_dir, min_items=1)
rows = [] if df is None or isinstance(df, int) else df[["from", "score", "length"]].values.tolist()
json.dump({"rows": [[str(a), float(b), int(c)] for a, b, c in rows]}, open(out, "w"))
"""


def uptime() -> str:
    """The machine's load averages, as ``uptime`` prints them."""
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


# -- 1. speed ------------------------------------------------------------------------


def _ours_once(images_dir: Path) -> dict:
    import brain

    report = Path(tempfile.mkdtemp(prefix="bench-analyze-report-"))
    res = brain.analyze(str(images_dir), name="bench-analyze", overwrite=True,
                        report_dir=str(report), verbose=False, progress=False)  # fmt: skip
    out = {"n": res.num_images, "seconds": res.seconds,
           "images_per_second": res.images_per_second,
           "stages": {k: round(v, 2) for k, v in res.stages.items()},
           "counts": res.counts, "summary": res.summary}  # fmt: skip
    res.dataset.delete()
    shutil.rmtree(report, ignore_errors=True)
    return out


def run_speed(images_dir: Path, skip_fastdup: bool, repeat: int = 1) -> dict:
    """ours (brain.analyze with a report) and fastdup's run(), same folder, same run,
    alternating ``repeat`` times; the median round of each is reported."""
    out: dict = {"load_before": uptime(), "rounds": []}
    for _ in range(repeat):
        rnd = {"ours": _ours_once(images_dir)}
        if not skip_fastdup:
            from fastdup_runner import run_fastdup

            fd = run_fastdup(images_dir)
            rnd["fastdup"] = {"version": fd.version, "n": fd.n_images, "seconds": fd.seconds,
                              "process_seconds": fd.process_seconds,
                              "images_per_second": fd.images_per_second}  # fmt: skip
        rnd["load"] = uptime()
        out["rounds"].append(rnd)
    for tool in ("ours", "fastdup"):
        done = sorted((r[tool] for r in out["rounds"] if tool in r),
                      key=lambda r: r["images_per_second"])  # fmt: skip
        if done:
            out[tool] = done[len(done) // 2]
    if "fastdup" in out:
        out["ratio"] = out["ours"]["images_per_second"] / out["fastdup"]["images_per_second"]
    out["load_after"] = uptime()
    return out


# -- 2. label issues ------------------------------------------------------------------


def _category(rel: str) -> str:
    parts = rel.split("/")
    if parts[0] in SPLIT_DEEPER and len(parts) > 2:
        return f"{parts[0]}-{parts[1]}"
    return parts[0]


def build_labelled(dest: Path, flip: float, seed: int) -> dict:
    """The flipped-label set (see the module doc) under ``dest``; returns its truth."""
    roots = fetch_debian_packages(DATA_DIR, ["tuxpaint-stamps-default"])
    stamps = roots["tuxpaint-stamps-default"] / TUXPAINT_ROOT
    rels = {p: p.relative_to(stamps).as_posix() for p in sorted(stamps.rglob("*.png"))}
    files = [p for p, rel in rels.items() if not any(x in rel for x in TUXPAINT_EXCLUDE)]
    cats = {p: _category(p.relative_to(stamps).as_posix()) for p in files}
    counts = Counter(cats.values())
    keep = sorted(c for c, n in counts.items() if n >= MIN_CLASS)
    chosen = [p for p in files if cats[p] in keep]
    rng = random.Random(seed)
    flipped = set(rng.sample(range(len(chosen)), round(flip * len(chosen))))
    if dest.exists():
        shutil.rmtree(dest)
    truth = {"classes": keep, "files": {}, "flipped": []}
    for i, path in enumerate(chosen):
        true = cats[path]
        given = rng.choice([c for c in keep if c != true]) if i in flipped else true
        out = dest / given / f"{i:04d}.jpg"
        out.parent.mkdir(parents=True, exist_ok=True)
        _square_pad(_open(path), LABEL_SIDE).save(out, quality=90)
        truth["files"][str(out)] = {"true": true, "given": given, "source": path.name}
        if i in flipped:
            truth["flipped"].append(str(out))
    (dest.parent / "labelled_truth.json").write_text(json.dumps(truth, indent=1))
    return truth


def precision_recall(ranked: list[str], flagged: set[str], truth: set[str], k: int) -> dict:
    """P/R of the top ``k`` of ``ranked`` and of the ``flagged`` set against ``truth``."""
    top = set(ranked[:k])
    hit_top, hit_flag = len(top & truth), len(flagged & truth)
    return {
        "k": k, "precision_at_k": hit_top / k if k else 0.0, "recall_at_k": hit_top / len(truth),
        "flagged": len(flagged), "precision_flagged": hit_flag / len(flagged) if flagged else 0.0,
        "recall_flagged": hit_flag / len(truth),
    }  # fmt: skip


def run_labels(dest: Path, truth: dict, skip_fastdup: bool) -> dict:
    """Ours and fastdup's similarity-gallery score on the flipped-label set."""
    import brain

    flipped = set(truth["flipped"])
    k = len(flipped)
    res = brain.analyze(str(dest), name="bench-labels", labels="dir-tree", overwrite=True,
                        verbose=False, progress=False, visualization=None)  # fmt: skip
    ds = res.dataset
    scores = dict(zip(ds.values("filepath"), ds.values("label_issue_score"), strict=True))
    ranked = sorted((p for p, s in scores.items() if s is not None), key=lambda p: -scores[p])
    flagged = {s.filepath for s in ds.match_tags("label_issue")}
    out = {"n": len(ds), "classes": len(truth["classes"]), "flipped": k,
           "ours": precision_recall(ranked, flagged, flipped, k),
           "ours_seconds": res.seconds}  # fmt: skip
    ds.delete()
    if skip_fastdup:
        return out
    from fastdup_runner import ensure_fastdup_env

    python = ensure_fastdup_env()
    labels = {p: v["given"] for p, v in truth["files"].items()}
    for name, (kk, thr) in {"fastdup_default": ("default", "0"),
                            "fastdup_k10": ("10", "0.0")}.items():  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="fastdup-labels-") as tmp:
            lab = Path(tmp) / "labels.json"
            lab.write_text(json.dumps(labels))
            result = Path(tmp) / "out.json"
            work = Path(tmp) / "work"
            cmd = [str(python), "-c", _FASTDUP_LABELS, str(dest), str(work), str(lab), kk, thr,
                   str(result)]  # fmt: skip
            env = dict(os.environ, SENTRY_OPT_OUT="1")
            done = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if done.returncode or not result.exists():
                out[name] = {"error": done.stderr.strip()[-800:]}
                continue
            rows = json.loads(result.read_text())["rows"]
        fd_score = {os.path.abspath(r[0]): r[1] for r in rows}
        # images with no row have no neighbour above fastdup's threshold: no score, never flagged
        fd_ranked = sorted(fd_score, key=lambda p: fd_score[p])
        fd_flagged = {p for p, s in fd_score.items() if s < 50}
        out[name] = precision_recall(fd_ranked, fd_flagged, flipped, k)
        out[name]["scored"] = len(fd_score)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="files in the speed corpus")
    parser.add_argument("--corpus", type=Path, default=None, help="default benchmarks/_data/corpus")
    parser.add_argument("--flip", type=float, default=0.1, help="fraction of labels flipped")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-fastdup", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-labels", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="speed rounds, alternating tools")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args()

    os.environ.setdefault("DATASET_CORE_SHOW_PROGRESS", "0")
    if "DATASET_CORE_DATABASE_DIR" not in os.environ:
        os.environ["DATASET_CORE_DATABASE_DIR"] = tempfile.mkdtemp(prefix="dsc-bench-db-")
    results: dict = {"machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, "
                                f"Python {platform.python_version()}"}  # fmt: skip
    if not args.skip_speed:
        root = args.corpus or DATA_DIR / "corpus"
        if not (root / "truth.json").exists():
            build_corpus(root, n_distinct=round(args.n / 1.3))
        corpus = load_corpus(root)
        results["speed"] = speed = run_speed(corpus.images_dir, args.skip_fastdup, args.repeat)
        o = speed["ours"]
        print(f"load before: {speed['load_before']}")
        print(f"ours: {o['n']} images in {o['seconds']:.1f} s = {o['images_per_second']:.1f} "
              f"images/s; stages: {o['stages']}")  # fmt: skip
        print("\n".join("  " + line for line in o["summary"]))
        if "fastdup" in speed:
            f = speed["fastdup"]
            print(
                f"fastdup {f['version']} run(): {f['n']} images in {f['seconds']:.1f} s = "
                f"{f['images_per_second']:.1f} images/s (process {f['process_seconds']:.1f} s)"
            )
            print(f"ratio ours / fastdup: {speed['ratio']:.2f}x")  # fmt: skip
        for n, rnd in enumerate(speed["rounds"]):
            fd = rnd.get("fastdup", {}).get("images_per_second", float("nan"))
            print(f"round {n + 1}: ours {rnd['ours']['images_per_second']:.1f}, fastdup "
                  f"{fd:.1f} images/s; {rnd['load']}")  # fmt: skip
        print(f"load after: {speed['load_after']}")
    if not args.skip_labels:
        truth = build_labelled(LABELLED_DIR, args.flip, args.seed)
        results["labels"] = lab = run_labels(LABELLED_DIR, truth, args.skip_fastdup)
        print(f"\nlabel issues: {lab['n']} images, {lab['classes']} classes, {lab['flipped']} "
              f"flipped ({args.flip:.0%})")  # fmt: skip
        for name in ("ours", "fastdup_default", "fastdup_k10"):
            r = lab.get(name)
            if r is None:
                continue
            if "error" in r:
                print(f"  {name}: failed: {r['error']}")
                continue
            print(f"  {name}: top-{r['k']} precision {r['precision_at_k']:.3f} recall "
                  f"{r['recall_at_k']:.3f}; own flags {r['flagged']}: precision "
                  f"{r['precision_flagged']:.3f} recall {r['recall_flagged']:.3f}"
                  + (f" (scored {r['scored']})" if "scored" in r else ""))  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
