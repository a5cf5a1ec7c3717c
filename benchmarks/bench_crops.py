"""Speed of brain's object crops: objects/s of ``embed_crops`` on real photos.

Usage::

    .venv/bin/python benchmarks/bench_crops.py [--images 75] [--boxes 4] [--repeat 3]
        [--json out.json]

It writes ``--images`` JPEGs at the photos' own size (the scikit-image and
scikit-learn photos, 427-640 px, each flipped or not and re-encoded), with
``--boxes`` random boxes each (10-40 % of a side), and times
``embed_crops(paths, boxes)`` two ways:

* ``dataset``: one path per image with its boxes (what a dataset's
  ``Detections`` give);
* ``patches``: one path per object, the image's path repeated (what a
  patches view gives).

The embedding function is whichever ``brain`` is on ``PYTHONPATH``
(``brain.crops.embed_crops`` where it exists, else
``brain.embeddings.embed_crops``), so two trees can be compared by running
this script with each, alternately.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

sys.path.append(str(Path(__file__).resolve().parent.parent))  # after PYTHONPATH: see above

PHOTOS = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg", "camera.png",
          "horse.png", "brick.png", "moon.png", "china.jpg", "flower.jpg"]  # fmt: skip


def build(root: Path, images: int, boxes: int, seed: int = 0) -> tuple[list[str], list]:
    from tests.brain.conftest import photo_sources

    src = photo_sources()
    rng = np.random.default_rng(seed)
    paths, all_boxes = [], []
    for i in range(images):
        img = Image.open(src[PHOTOS[i % len(PHOTOS)]]).convert("RGB")
        if (i // len(PHOTOS)) % 2:
            img = ImageOps.mirror(img)
        path = root / f"img_{i:04d}.jpg"
        img.save(path, quality=int(rng.integers(80, 95)))
        paths.append(str(path))
        file_boxes = []
        for _ in range(boxes):
            w, h = rng.uniform(0.1, 0.4, 2)
            x, y = rng.uniform(0, 1 - w), rng.uniform(0, 1 - h)
            file_boxes.append([float(x), float(y), float(w), float(h)])
        all_boxes.append(file_boxes)
    return paths, all_boxes


def embedder():
    try:
        from brain.crops import embed_crops

        return embed_crops, "brain.crops"
    except ImportError:
        from brain.embeddings import embed_crops

        return embed_crops, "brain.embeddings"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=75)
    ap.add_argument("--boxes", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    fn, where = embedder()
    with tempfile.TemporaryDirectory(prefix="bench_crops_") as tmp:
        paths, boxes = build(Path(tmp), args.images, args.boxes)
        n = sum(len(b) for b in boxes)
        layouts = {
            "dataset": (paths, boxes),
            "patches": (
                [p for p, bs in zip(paths, boxes, strict=True) for _ in bs],
                [[b] for bs in boxes for b in bs],
            ),  # fmt: skip
        }
        fn(paths[:2], boxes[:2], progress=False)  # warm-up: model load, first import
        out: dict[str, list[float]] = {k: [] for k in layouts}
        for _ in range(args.repeat):
            for name, (p, b) in layouts.items():
                t = time.perf_counter()
                res = fn(p, b, progress=False)
                out[name].append(n / (time.perf_counter() - t))
                assert int(res.ok.sum()) == n, "every box should embed"
    load = os.getloadavg()[0]
    summary = {name: round(statistics.median(v), 1) for name, v in out.items()}
    print(f"{where}: {n} objects in {args.images} images, objects/s (median of "
          f"{args.repeat}): {summary}; load average {load:.1f} on {os.cpu_count()} "
          "cores")  # fmt: skip
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"impl": where, "objects": n, "objects_per_s": summary,
                       "runs": out, "load": load}, f, indent=2)  # fmt: skip


if __name__ == "__main__":
    main()
