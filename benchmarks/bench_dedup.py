"""Issue 4 figures: near-duplicate accuracy and end-to-end speed, beside fastdup.

Run: ``.venv/bin/python benchmarks/bench_dedup.py [--n 2000] [--skip-fastdup]``

1. Builds (or reuses) the corpus of ``benchmarks/corpus.py``: real photos that
   ship offline, with known injected copies.
2. Ours, end to end from the folder: import into a dataset, sha1 file hashes,
   embeddings (+ thumbnails in the same decode pass), uniqueness, near-duplicate
   groups written to the dataset. Timed as one figure, images/s.
3. fastdup's default ``run()`` on the same folder, in the same run.
4. Precision / recall / F1 of both, overall and per transform, for pairs and
   for groups (components).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from corpus import DATA_DIR, build_corpus, evaluate, evaluate_groups, load_corpus  # noqa: E402


def run_ours(images_dir: Path, name: str = "bench-dedup", image_size: int | None = None) -> dict:
    """The whole pipeline on a folder; returns timings and the found pairs/groups."""
    import brain
    import dataset_core as dc
    from brain import neardup

    stages = {}
    t0 = time.perf_counter()
    ds = dc.Dataset.from_images_dir(str(images_dir), name=name, overwrite=True)
    stages["import"] = time.perf_counter() - t0
    t = time.perf_counter()
    brain.find_exact_duplicates(ds)
    stages["file hashes"] = time.perf_counter() - t
    t = time.perf_counter()
    index = brain.compute_similarity(ds, brain_key="sim", progress=False, image_size=image_size)
    stages["embeddings"] = time.perf_counter() - t
    t = time.perf_counter()
    brain.compute_uniqueness(ds, brain_key="sim")
    stages["uniqueness"] = time.perf_counter() - t
    t = time.perf_counter()
    index = brain.find_approximate_duplicates(ds, brain_key="sim")
    stages["near-duplicate groups"] = time.perf_counter() - t
    total = time.perf_counter() - t0
    names = {sid: os.path.basename(p) for sid, p in zip(ds.values("id"), ds.values("filepath"),
                                                         strict=True)}  # fmt: skip
    found = neardup.find_pairs(index.embeddings, index.thumbs)
    pairs = [(names[index.sample_ids[a]], names[index.sample_ids[b]]) for a, b in found.pairs]
    groups = [[names[r]] + [names[d] for d, _ in dups] for r, dups in index.neighbors_map.items()]
    n = len(ds)
    ds.delete()
    return {"n": n, "seconds": total, "stages": stages, "pairs": pairs, "groups": groups,
            "images_per_second": n / total}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="files in the corpus")
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--skip-fastdup", action="store_true")
    parser.add_argument("--image-size", type=int, default=None, help="model input side")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args()

    os.environ.setdefault("DATASET_CORE_SHOW_PROGRESS", "0")
    if "DATASET_CORE_DATABASE_DIR" not in os.environ:
        os.environ["DATASET_CORE_DATABASE_DIR"] = tempfile.mkdtemp(prefix="dsc-bench-db-")
    root = args.corpus or DATA_DIR / f"corpus{args.n}"
    if not (root / "truth.json").exists():
        build_corpus(root, n_distinct=round(args.n / 1.3))
    corpus = load_corpus(root)
    truth = corpus.truth

    ours = run_ours(corpus.images_dir, image_size=args.image_size)
    results = {"ours": {k: v for k, v in ours.items() if k not in ("pairs", "groups")}}
    ev_pairs, ev_groups = evaluate(ours["pairs"], truth), evaluate_groups(ours["groups"], truth)
    results["ours"]["pairs"], results["ours"]["groups"] = ev_pairs.to_dict(), ev_groups.to_dict()
    fd = None
    if not args.skip_fastdup:
        from fastdup_runner import benchmark_fastdup

        fd = benchmark_fastdup(root)
        results["fastdup"] = {
            "seconds": fd.run.seconds,
            "images_per_second": fd.run.images_per_second,
            "pairs": fd.pairs.to_dict(),
            "components": fd.components.to_dict(),
        }

    print(f"\nmachine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs; corpus "
          f"{root} ({len(truth.files)} files, {len(truth.pairs)} injected pairs)\n")  # fmt: skip
    print(ev_pairs.table("ours: pairs"))
    print()
    print(ev_groups.table("ours: groups (connected components)"))
    print()
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in ours["stages"].items())
    print(f"ours: {ours['n']} images end to end in {ours['seconds']:.1f} s = "
          f"{ours['images_per_second']:.1f} images/s ({stages})")  # fmt: skip
    if fd is not None:
        print()
        print(fd.report())
        ratio = ours["images_per_second"] / fd.run.images_per_second
        print(f"\nspeed ratio ours / fastdup: {ratio:.2f}x; F1 pairs ours {ev_pairs.f1:.3f} vs "
              f"fastdup {fd.pairs.f1:.3f}; groups ours {ev_groups.f1:.3f} vs fastdup "
              f"{fd.components.f1:.3f}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
