"""Issue 12 figure: ``compute_uniqueness`` right after ``compute_similarity``
reuses the run (same samples, model, input size) instead of embedding again.

Run: ``.venv/bin/python benchmarks/bench_reuse.py [--n 400] [--keep DIR]``

Builds a folder of ``n`` real photos (random crops, flips and rescales of the
photos inside the scikit-image and scikit-learn wheels, 256-px JPEGs), imports
it twice, and times in one process, on a throw-away database:

1. ``compute_similarity(ds, brain_key="sim")``: the decode pass (embeddings,
   thumbnails, file hashes) and the kNN graph;
2. ``compute_uniqueness(ds)`` right after, no key: reuses run "sim";
3. ``compute_uniqueness(ds2)`` on the second import, which has no run: embeds
   every image again (what step 2 cost before issue 12).

Prints the ratios 2/1 and 2/3. ``--keep DIR`` leaves the folder there (for
``farm-bench`` runs of ``bench_dedup.py --ours-only DIR``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def build_folder(out: Path, n: int, seed: int = 0) -> Path:
    """``n`` 256-px JPEG crops of the photos that ship in the scikit-image/-learn wheels."""
    from PIL import Image, ImageOps

    from tests.brain.conftest import photo_sources

    photos = [Image.open(p).convert("RGB") for name, p in sorted(photo_sources().items())
              if p.suffix in (".png", ".jpg") and Image.open(p).size[0] >= 256]  # fmt: skip
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        img = photos[i % len(photos)]
        side = int(rng.integers(96, min(img.size) + 1))
        x, y = (int(rng.integers(0, d - side + 1)) for d in img.size)
        crop = img.crop((x, y, x + side, y + side)).resize((256, 256))
        if rng.random() < 0.5:
            crop = ImageOps.mirror(crop)
        crop.save(out / f"img_{i:05d}.jpg", quality=90)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400, help="images in the folder")
    parser.add_argument("--keep", type=Path, default=None, help="build the folder here, keep it")
    args = parser.parse_args()
    os.environ.setdefault("DATASET_CORE_SHOW_PROGRESS", "0")
    os.environ.setdefault("DATASET_CORE_DATABASE_DIR", tempfile.mkdtemp(prefix="dsc-bench-db-"))
    tmp = tempfile.TemporaryDirectory(prefix="bench-reuse-")
    folder = args.keep or Path(tmp.name) / "images"
    if not folder.exists() or len(os.listdir(folder)) < args.n:
        build_folder(folder, args.n)

    import brain
    import dataset_core as dc
    from dataset_core import db

    db.ensure_running()
    try:
        ds = dc.Dataset.from_images_dir(str(folder), name="bench-reuse", overwrite=True)
        ds2 = dc.Dataset.from_images_dir(str(folder), name="bench-reuse-2", overwrite=True)
        brain.compute_similarity(ds.limit(8), brain_key="warm", progress=False)  # model loaded
        t = time.perf_counter()
        brain.compute_similarity(ds, brain_key="sim", progress=False)
        sim = time.perf_counter() - t
        t = time.perf_counter()
        brain.compute_uniqueness(ds, progress=False)
        reuse = time.perf_counter() - t
        t = time.perf_counter()
        brain.compute_uniqueness(ds2, progress=False)
        fresh = time.perf_counter() - t
        print(f"{len(ds)} images, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
        print(f"compute_similarity:               {sim:7.2f} s")
        print(f"compute_uniqueness after it:      {reuse:7.2f} s  ({reuse / sim:.3f} of it)")
        print(f"compute_uniqueness, no run there: {fresh:7.2f} s  (reuse: {reuse / fresh:.3f} "
              "of this)")  # fmt: skip
        ds.delete(), ds2.delete()
    finally:
        if "DATASET_CORE_DATABASE_URI" not in os.environ:
            db.stop()
        tmp.cleanup()


if __name__ == "__main__":
    main()
