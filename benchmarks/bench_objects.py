"""Object-level duplicates and label issues beside fastdup's bounding-box mode.

Run: ``.venv/bin/python benchmarks/bench_objects.py [--images 350] [--rounds 3]``

It needs the corpus of :mod:`benchmarks.corpus` (built with ``--dup-fraction 0``
when missing: ``benchmarks/_data/corpus``) and fastdup's venv of
:mod:`benchmarks.fastdup_runner` (created when missing).

**The detection dataset** (cached in ``benchmarks/_data/objects/``, seeded):
``--images`` corpus wallpaper tiles, upscaled to 512 px, are the backgrounds;
2-5 objects are pasted into each without overlap, 72-176 px squares resized
from the other corpus images. An object's class is its **source set**: the
top-level Tux Paint stamp category (``animals``, ``food``, ``plants``...), the
wallpaper package of a tile (``mate``, ``plasma``, ``ukui``, ``lomiri``) or
``photo`` (opencv-doc, darknet, wheel photos). ``--dup-fraction`` of the
objects are pasted a second time into another image, resized by 0.85-1.15
(the planted duplicate pairs); then 10 % of all objects get another class,
chosen at random (the flipped labels). The same boxes are written as a COCO
``labels.json``, as ``annotations.csv`` (``filename,col_x,row_y,width,height,
label``: :class:`FastdupAnnotationsDataset`, which fastdup reads too);
``truth.json`` holds the pairs and the flipped objects.

**Ours**: ``Dataset.from_dir(FastdupAnnotationsDataset)``, then
``brain.compute_similarity(patches_field=)`` (the object embedding pass, timed
alone), ``brain.find_approximate_duplicates(patches_field=)`` (default threshold,
cosine distance 0.1) and ``brain.compute_label_issues(patches_field=)``
(``label_issue_score``). Duplicate pairs are all pairs within each
``approx_dup_group_id`` group.

**fastdup** 2.54 (free version): ``fastdup.create(work_dir, input_dir).run(
annotations=df, data_type="bbox")`` with ``df`` = ``annotations.csv`` (2.54 wants
the ``col_x,row_y,width,height`` columns: its docstring's ``bbox_*`` names fail an
assertion), which crops every box to a JPEG and runs its pipeline on the crops,
with its defaults (``nearest_neighbors_k=2``, ``threshold=0.9``) and as
``fastdup-k20`` (``nearest_neighbors_k=20``, ``threshold=0.5``).
Duplicate pairs: its ``similarity()`` rows at similarity >= 0.9. Mislabels: its
similarity gallery's ``label_score`` (the share of an object's similarity rows
whose other object has the same label), ranked from the lowest; objects without
a similarity row are ranked last.

Both report objects/s: the embedding pass alone (ours: compute_similarity;
fastdup: its whole ``run()``, which includes cropping, features and kNN) and end
to end (ours: import + the three brain calls; fastdup: ``create`` + ``run`` +
reading its outputs), and CPU seconds. Rounds alternate ours/fastdup.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from functools import partial
from itertools import combinations
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
from corpus import DATA_DIR, load_corpus  # noqa: E402
from fastdup_runner import ensure_fastdup_env  # noqa: E402

OBJ_DIR = DATA_DIR / "objects"
BG_SIDE = 512
OBJ_SIDES = (72, 176)
FIELD = "ground_truth"
FLIP_FRACTION = 0.10

_FASTDUP_SCRIPT = r"""
import json, sys, time
t0 = time.perf_counter()
import fastdup
import pandas as pd
input_dir, work_dir, ann, out, kwargs = sys.argv[1:6]
t1 = time.perf_counter()
df = pd.read_csv(ann)
fd = fastdup.create(work_dir=work_dir, input_dir=input_dir)
fd.run(annotations=df, data_type="bbox", overwrite=True, **json.loads(kwargs))
t2 = time.perf_counter()
sim = fd.similarity()
files = fd.annotations()
t3 = time.perf_counter()
cols = [c for c in ("filename", "col_x", "row_y", "width", "height", "label", "crop_filename",
                    "index", "is_valid") if c in files.columns]
json.dump({
    "version": fastdup.__version__, "import_s": t1 - t0, "run_s": t2 - t1, "read_s": t3 - t2,
    "sim_columns": list(sim.columns), "ann_columns": list(files.columns),
    "sim": sim[[c for c in ("from", "to", "distance") if c in sim.columns]].values.tolist(),
    "annotations": files[cols].astype(str).values.tolist(), "ann_cols": cols,
}, open(out, "w"))
"""


# --------------------------------------------------------------------------- dataset


def _class_of(origin: str) -> str:
    source, _, path = origin.partition(":")
    if source == "tuxpaint-stamps-default":
        return path.split("/")[0]
    if source == "wallpaper":
        package = path.split(":")[0]
        return "lomiri" if package.startswith("lomiri") else package.split("-")[0]
    return "photo"


def build_dataset(images: int, dup_fraction: float, seed: int, out: Path = OBJ_DIR) -> dict:
    """Build (or reuse) the detection dataset; returns its truth."""
    truth_path = out / "truth.json"
    params = {"images": images, "dup_fraction": dup_fraction, "seed": seed, "version": 2}
    if truth_path.exists():
        truth = json.loads(truth_path.read_text())
        if truth["params"] == params:
            return truth
    corpus_dir = DATA_DIR / "corpus"
    if not (corpus_dir / "truth.json").exists():
        script = str(Path(__file__).parent / "corpus.py")
        subprocess.run([sys.executable, script, "--out", str(corpus_dir), "--n", "1500",
                        "--dup-fraction", "0"], check=True)  # fmt: skip
    corpus = load_corpus(corpus_dir)
    rng = random.Random(seed)
    names = sorted(corpus.truth.origins)
    rng.shuffle(names)
    walls = [n for n in names if corpus.truth.origins[n].startswith("wallpaper:")]
    backgrounds = walls[:images]
    pool = [n for n in names if n not in set(backgrounds)]
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    objects: list[dict] = []  # id, image, box (x, y, w, h px), source, label, true_label
    per_image: dict[str, list[tuple[int, int, int, int]]] = defaultdict(list)
    image_names = [f"scene_{i:04d}.jpg" for i in range(len(backgrounds))]
    canvases = {
        name: Image.open(corpus.images_dir / bg).convert("RGB").resize((BG_SIDE, BG_SIDE))
        for name, bg in zip(image_names, backgrounds, strict=True)
    }

    def place(image: str, side: int) -> tuple[int, int] | None:
        for _ in range(50):
            x, y = rng.randrange(0, BG_SIDE - side), rng.randrange(0, BG_SIDE - side)
            if all(x + side <= bx or bx + bw <= x or y + side <= by or by + bh <= y
                   for bx, by, bw, bh in per_image[image]):  # fmt: skip
                return x, y
        return None

    def paste(image: str, source: str, side: int) -> bool:
        spot = place(image, side)
        if spot is None:
            return False
        crop = Image.open(corpus.images_dir / source).convert("RGB").resize((side, side))
        canvases[image].paste(crop, spot)
        per_image[image].append((spot[0], spot[1], side, side))
        label = _class_of(corpus.truth.origins[source])
        objects.append({"id": len(objects), "image": image, "box": [*spot, side, side],
                        "source": source, "label": label, "true_label": label})  # fmt: skip
        return True

    sources = iter(pool)
    for image in image_names:
        for _ in range(rng.randint(2, 5)):
            source = next(sources, None)
            if source is not None:
                paste(image, source, rng.randint(*OBJ_SIDES))
    originals = list(objects)
    pairs = []
    for obj in rng.sample(originals, round(dup_fraction * len(originals))):
        side = min(OBJ_SIDES[1], round(obj["box"][2] * rng.uniform(0.85, 1.15)))
        for _ in range(10):
            image = rng.choice(image_names)
            if image != obj["image"] and paste(image, obj["source"], side):
                pairs.append([obj["id"], objects[-1]["id"]])
                break
    classes = sorted({o["label"] for o in objects})
    flipped = rng.sample(range(len(objects)), round(FLIP_FRACTION * len(objects)))
    for i in flipped:
        objects[i]["label"] = rng.choice([c for c in classes if c != objects[i]["true_label"]])
    for name, canvas in canvases.items():
        canvas.save(data / name, quality=90)
    by_image = defaultdict(list)
    for o in objects:
        by_image[o["image"]].append(o)
    with open(out / "annotations.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["filename", "col_x", "row_y", "width", "height", "label"])
        for o in objects:
            w.writerow([o["image"], *o["box"], o["label"]])
    coco = {
        "images": [
            {"id": i + 1, "file_name": n, "width": BG_SIDE, "height": BG_SIDE}
            for i, n in enumerate(image_names)
        ],  # fmt: skip
        "categories": [{"id": i + 1, "name": c} for i, c in enumerate(classes)],
        "annotations": [
            {
                "id": o["id"] + 1,
                "image_id": image_names.index(o["image"]) + 1,
                "category_id": classes.index(o["label"]) + 1,
                "bbox": o["box"],
                "area": o["box"][2] * o["box"][3],
                "iscrowd": 0,
            }
            for o in objects
        ],  # fmt: skip
    }
    (out / "labels.json").write_text(json.dumps(coco))
    origins = {o["source"]: corpus.truth.origins[o["source"]] for o in objects}
    truth = {"params": params, "origins": origins, "classes": classes, "objects": objects,
             "pairs": pairs, "flipped": sorted(flipped)}  # fmt: skip
    truth_path.write_text(json.dumps(truth))
    return truth


# --------------------------------------------------------------------------- scoring


def _key(image: str, box: list[float] | tuple[float, ...]) -> tuple[str, int, int]:
    return os.path.basename(image), round(float(box[0])), round(float(box[1]))


def pair_scores(found: set[tuple[int, int]], truth: dict) -> dict:
    true = {tuple(sorted(p)) for p in truth["pairs"]}
    tp = len(found & true)
    objs = truth["objects"]
    fps = found - true
    same_source = sum(objs[a]["source"] == objs[b]["source"] for a, b in fps)
    photo = {o["id"]: truth["origins"][o["source"]].split("#")[0] for o in objs}
    same_photo = sum(photo[a] == photo[b] for a, b in fps)
    p = tp / len(found) if found else 0.0
    r = tp / len(true) if true else 0.0
    return {"found": len(found), "true": len(true), "tp": tp, "precision": p, "recall": r,
            "f1": 2 * p * r / (p + r) if p + r else 0.0, "fp_same_photo": same_photo,
            "fp_same_source": same_source}  # fmt: skip


def precision_at_k(ranked: list[int], truth: dict) -> dict:
    flipped = set(truth["flipped"])
    k = len(flipped)
    hits = len(set(ranked[:k]) & flipped)
    return {"k": k, "hits": hits, "precision_at_k": hits / k if k else 0.0}


# --------------------------------------------------------------------------- ours


def _cpu_seconds() -> float:
    """CPU seconds of this process and its reaped children (the DataLoader workers,
    which on CPU decode and embed)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _attr(label, name: str):
    return label.get_field(name) if label.has_field(name) else None


def run_ours(truth: dict, out: Path = OBJ_DIR) -> dict:
    import brain
    import dataset_core as dc

    by_key = {_key(o["image"], o["box"]): o["id"] for o in truth["objects"]}
    n = len(truth["objects"])
    c0 = _cpu_seconds()
    t0 = time.perf_counter()
    ds = dc.Dataset.from_dir(dataset_type=dc.types.FastdupAnnotationsDataset,
                             data_path=str(out / "data"),
                             labels_path=str(out / "annotations.csv"), label_field=FIELD,
                             name="bench-objects", overwrite=True)  # fmt: skip
    t1 = time.perf_counter()
    brain.compute_similarity(ds, patches_field=FIELD, brain_key=f"{FIELD}_sim", progress=False)
    t2 = time.perf_counter()
    brain.find_approximate_duplicates(ds, patches_field=FIELD)
    t3 = time.perf_counter()
    brain.compute_label_issues(ds, patches_field=FIELD)
    t4 = time.perf_counter()
    cpu = _cpu_seconds() - c0
    paths, dets = ds.values(["filepath", f"{FIELD}.detections"])
    groups: dict[str, list[int]] = defaultdict(list)
    scored: list[tuple[float, int]] = []
    for path, objs in zip(paths, dets, strict=True):
        for d in objs or ():
            x, y, _, _ = d.bounding_box
            oid = by_key[_key(path, (x * BG_SIDE, y * BG_SIDE))]
            group = _attr(d, "approx_dup_group_id")
            if group is not None:
                groups[group].append(oid)
            score = _attr(d, "label_issue_score")
            scored.append((-1.0 if score is None else float(score), oid))
    ds.delete()
    found = {tuple(sorted(p)) for g in groups.values() for p in combinations(g, 2)}
    ranked = [oid for _, oid in sorted(scored, key=lambda t: (-t[0], t[1]))]
    return {
        "tool": "ours", "objects": n, "import_s": t1 - t0, "embed_s": t2 - t1,
        "duplicates_s": t3 - t2, "label_issues_s": t4 - t3, "total_s": t4 - t0, "cpu_s": cpu,
        "embed_objects_per_s": n / (t2 - t1), "total_objects_per_s": n / (t4 - t0),
        "duplicates": pair_scores(found, truth), "label_issues": precision_at_k(ranked, truth),
    }  # fmt: skip


# --------------------------------------------------------------------------- fastdup


#: fastdup configurations: its defaults, and its kNN widened to the k=20 neighbours
#: that our label check votes with (similarity rows down to 0.5; duplicate pairs
#: are still the rows at similarity >= 0.9)
FASTDUP_CONFIGS = {
    "fastdup": {},
    "fastdup-k20": {"nearest_neighbors_k": 20, "threshold": 0.5},
}
FASTDUP_DUP_SIMILARITY = 0.9


def run_fastdup(truth: dict, out: Path = OBJ_DIR, config: str = "fastdup") -> dict:
    python = ensure_fastdup_env()
    work = out / "fastdup_work"
    result = out / "fastdup_result.json"
    script = out / "fastdup_script.py"
    script.write_text(_FASTDUP_SCRIPT)
    shutil.rmtree(work, ignore_errors=True)  # a fresh run each round
    env = {**os.environ, "SENTRY_OPT_OUT": "1"}
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([str(python), str(script), str(out / "data"), str(work),
                           str(out / "annotations.csv"), str(result),
                           json.dumps(FASTDUP_CONFIGS[config])],
                          capture_output=True, text=True, env=env)  # fmt: skip
    wall = time.perf_counter() - t0
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime  # the whole child process
    if done.returncode:
        raise RuntimeError(f"fastdup failed: {done.stderr.strip()[-1500:]}")
    res = json.loads(result.read_text())
    n = len(truth["objects"])
    by_key = {_key(o["image"], o["box"]): o["id"] for o in truth["objects"]}
    cols = res["ann_cols"]
    index_to_obj: dict[str, int] = {}
    for row in res["annotations"]:
        r = dict(zip(cols, row, strict=True))
        oid = by_key[_key(r["filename"], (r["col_x"], r["row_y"]))]
        index_to_obj[str(int(float(r["index"])))] = oid
    labels = {o["id"]: o["label"] for o in truth["objects"]}
    found, neigh = set(), defaultdict(list)
    for a, b, sim in res["sim"]:
        oa, ob = index_to_obj.get(str(int(a))), index_to_obj.get(str(int(b)))
        if oa is None or ob is None or oa == ob:
            continue
        if sim >= FASTDUP_DUP_SIMILARITY:
            found.add(tuple(sorted((oa, ob))))
        neigh[oa].append(ob)
    # fastdup's label_score: % of an object's similarity rows with its own label
    score = {o: 100.0 * sum(labels[b] == labels[o] for b in bs) / len(bs)
             for o, bs in neigh.items()}  # fmt: skip
    ranked = sorted(score, key=lambda o: (score[o], o)) + sorted(set(labels) - set(score))
    return {
        "tool": config, "kwargs": FASTDUP_CONFIGS[config], "version": res["version"], "objects": n,
        "embed_s": res["run_s"], "total_s": res["run_s"] + res["read_s"], "wall_s": wall,
        "cpu_s": cpu,
        "import_s": res["import_s"], "embed_objects_per_s": n / res["run_s"],
        "total_objects_per_s": n / (res["run_s"] + res["read_s"]),
        "objects_with_sim_rows": len(score),
        "duplicates": pair_scores(found, truth), "label_issues": precision_at_k(ranked, truth),
    }  # fmt: skip


# --------------------------------------------------------------------------- main


def _line(r: dict) -> str:
    d, li = r["duplicates"], r["label_issues"]
    return (f"{r['tool']:8s} embed {r['embed_objects_per_s']:7.1f} obj/s  total "
            f"{r['total_objects_per_s']:7.1f} obj/s  dup P {d['precision']:.3f} R "
            f"{d['recall']:.3f} F1 {d['f1']:.3f} ({d['found']} found, FP same photo "
            f"{d['fp_same_photo']})  flipped P@{li['k']} "
            f"{li['precision_at_k']:.3f}  CPU {r['cpu_s']:.1f} s")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=350)
    parser.add_argument("--dup-fraction", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-fastdup", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    truth = build_dataset(args.images, args.dup_fraction, args.seed)
    print(f"{args.images} images, {len(truth['objects'])} objects, {len(truth['pairs'])} planted "
          f"pairs, {len(truth['flipped'])} flipped labels, classes {truth['classes']}")  # fmt: skip
    rounds = []
    for i in range(args.rounds):
        tools = [run_ours] + (
            [] if args.no_fastdup else [partial(run_fastdup, config=c) for c in FASTDUP_CONFIGS]
        )
        if i % 2:
            tools.reverse()
        for tool in tools:
            r = tool(truth)
            r["round"], r["load"] = i, os.getloadavg()[0]
            rounds.append(r)
            print(f"round {i} load {r['load']:.2f} {_line(r)}", flush=True)
    for tool in ("ours", *FASTDUP_CONFIGS):
        rs = [r for r in rounds if r["tool"] == tool]
        if rs:
            med = {k: statistics.median(r[k] for r in rs)
                   for k in ("embed_objects_per_s", "total_objects_per_s", "cpu_s")}  # fmt: skip
            print(f"median {tool}: embed {med['embed_objects_per_s']:.1f} obj/s, total "
                  f"{med['total_objects_per_s']:.1f} obj/s, CPU {med['cpu_s']:.1f} s")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(rounds, indent=1))


if __name__ == "__main__":
    main()
