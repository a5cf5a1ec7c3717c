"""Speed of a COCO import and of its patches view (issue 15).

Usage::

    .venv/bin/python benchmarks/bench_coco.py [--images 20000] [--boxes 100000]
        [--repeat 3] [--profile] [--json out.json]

It builds, once, under ``benchmarks/_data/coco/<images>-<boxes>/``: a few dozen
small generated JPEGs in ``src/`` and ``data/`` holding ``--images`` hard links
to them (real files with real headers, no disk cost), and a COCO
``labels.json`` with ``--boxes`` random boxes spread over the images (image
sizes in the file, as COCO writes them). Then, per repetition, in a throw-away
database:

* ``from_dir``: ``Dataset.from_dir(dataset_type=COCODetectionDataset, ...)``
  end to end (parse the JSON, index ``data/``, build the samples, insert them):
  boxes/s, target >= 20,000;
* ``to_patches``: ``dataset.to_patches("ground_truth")``: seconds, target <= 1;
* ``first page``: the first 100 patches iterated as samples
  (``patches.limit(100)``), what the app shows first: milliseconds.

``--profile`` prints the top of a cProfile of one ``from_dir``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent.parent))

DATA = Path(__file__).resolve().parent / "_data" / "coco"
#: distinct source images the hard links point to (enough for varied sizes)
SOURCES = 48
#: the issue's targets
TARGET_BOXES_PER_S = 20_000
TARGET_PATCHES_S = 1.0
PAGE = 100


def build(images: int, boxes: int, seed: int = 0) -> Path:
    """The cached dataset folder for ``images`` and ``boxes`` (built if missing)."""
    from PIL import Image

    root = DATA / f"{images}-{boxes}"
    if (root / "labels.json").is_file():
        return root
    rng = random.Random(seed)
    src = root / "src"
    src.mkdir(parents=True, exist_ok=True)
    sizes = []
    for i in range(SOURCES):
        w, h = rng.choice([(64, 48), (48, 64), (80, 60), (64, 64)])
        img = Image.new("RGB", (w, h), tuple(rng.randrange(256) for _ in range(3)))
        img.save(src / f"s{i:02d}.jpg", quality=80)
        sizes.append((w, h))
    data = root / "data"
    data.mkdir(exist_ok=True)
    entries = []
    for i in range(images):
        k = i % SOURCES
        name = f"img_{i:06d}.jpg"
        if not (data / name).exists():
            os.link(src / f"s{k:02d}.jpg", data / name)
        entries.append({"id": i + 1, "file_name": name, "width": sizes[k][0],
                        "height": sizes[k][1]})  # fmt: skip
    annotations = []
    for n in range(boxes):
        image = entries[n % images]
        w, h = rng.uniform(4, image["width"] / 2), rng.uniform(4, image["height"] / 2)
        x, y = rng.uniform(0, image["width"] - w), rng.uniform(0, image["height"] - h)
        annotations.append({"id": n + 1, "image_id": image["id"],
                            "category_id": rng.randrange(1, 11), "bbox": [x, y, w, h],
                            "area": w * h, "iscrowd": 0})  # fmt: skip
    content = {"info": {}, "licenses": [],
               "categories": [{"id": c, "name": f"class{c}"} for c in range(1, 11)],
               "images": entries, "annotations": annotations}  # fmt: skip
    tmp = root / "labels.json.tmp"
    tmp.write_text(json.dumps(content))
    tmp.replace(root / "labels.json")
    return root


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=20_000)
    parser.add_argument("--boxes", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    root = build(args.images, args.boxes)
    tmp = Path(tempfile.mkdtemp(prefix="dsc-bench-coco-"))
    os.environ["DATASET_CORE_DATABASE_DIR"] = str(tmp / "db")
    os.environ["DATASET_CORE_SHOW_PROGRESS"] = "0"
    os.environ.pop("DATASET_CORE_DATABASE_URI", None)

    import dataset_core as dc
    from dataset_core import db

    kind = dc.types.COCODetectionDataset

    def load(name: str) -> dc.Dataset:
        return dc.Dataset.from_dir(str(root), kind, label_types="detections",
                                   label_field="ground_truth", name=name,
                                   overwrite=True)  # fmt: skip

    load("warm-up").delete()  # mongod started, modules imported, page cache warm
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        load("profiled").delete()
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)

    runs = []
    for r in range(args.repeat):
        load_before = os.getloadavg()[0]
        t = time.perf_counter()
        ds = load(f"coco-{r}")
        import_s = time.perf_counter() - t
        count = ds.count("ground_truth.detections")
        assert count == args.boxes, count
        t = time.perf_counter()
        patches = ds.to_patches("ground_truth")
        patches_s = time.perf_counter() - t
        t = time.perf_counter()
        page = [s.ground_truth.label for s in patches.limit(PAGE)]
        page_ms = (time.perf_counter() - t) * 1000
        assert len(page) == PAGE and len(patches) == args.boxes
        runs.append({"import_s": import_s, "boxes_per_s": args.boxes / import_s,
                     "patches_s": patches_s, "first_page_ms": page_ms,
                     "load_before": load_before, "load_after": os.getloadavg()[0]})  # fmt: skip
        del patches
        ds.delete()
        print(f"run {r + 1}: from_dir {import_s:.2f} s ({args.boxes / import_s:,.0f} boxes/s), "
              f"to_patches {patches_s:.2f} s, first {PAGE} patches {page_ms:.0f} ms "
              f"(load {load_before:.1f} -> {os.getloadavg()[0]:.1f})")  # fmt: skip

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    print(f"\n{platform.node()} ({os.cpu_count()} cores), {args.images:,} images, "
          f"{args.boxes:,} boxes, median of {len(runs)}:")  # fmt: skip
    print(f"  from_dir    {med('import_s'):.2f} s = {med('boxes_per_s'):,.0f} boxes/s "
          f"(target >= {TARGET_BOXES_PER_S:,})")  # fmt: skip
    print(f"  to_patches  {med('patches_s'):.2f} s (target <= {TARGET_PATCHES_S:g} s)")
    print(f"  first page  {med('first_page_ms'):.0f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps({"images": args.images, "boxes": args.boxes,
                                               "runs": runs}, indent=1))  # fmt: skip
    db.reset()
    db.stop()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
