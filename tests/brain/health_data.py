"""A planted dataset-health corpus from real photos, shared by the health tests.

Five classes, each three different crops of one real photo (so a class's
members are each other's nearest neighbours without being duplicates), in
``train/<class>/`` (two crops) and ``test/<class>/`` (one), plus planted
answers:

- ``test/cat/leak_copy.jpg``: a byte copy of ``train/cat/cat_0.jpg`` (a leak);
- ``train/horse/mislabelled.jpg``: a re-encoded copy of ``train/rocket/rocket_0.jpg``
  filed as a horse (a label issue, and a confusing pair);
- at the top level, unlabelled and in no split: ``black.png`` (dark),
  ``white.png`` (bright), ``blurred.jpg`` (a blurred copy of ``coffee_0``:
  blurry and a near-duplicate), ``banner.jpg`` (5:1, odd aspect ratio),
  ``noise.png`` (unlike anything: the outlier).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from tests.brain.conftest import photo_sources

#: class -> the photo its crops come from
CLASSES = {"cat": "chelsea.png", "coffee": "coffee.png", "rocket": "rocket.jpg",
           "horse": "horse.png", "astronaut": "astronaut.png"}  # fmt: skip
#: the three crop windows (left, top, right, bottom as fractions): different
#: parts of one photo, overlapping too little to be near-duplicates
CROPS = ((0.0, 0.0, 0.62, 0.62), (0.38, 0.38, 1.0, 1.0), (0.0, 0.38, 0.62, 1.0))
SIDE = 192


def _crop(img: Image.Image, box: tuple[float, float, float, float]) -> Image.Image:
    w, h = img.size
    part = img.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    return part.resize((SIDE, SIDE))


def build_health_tree(root: Path) -> Path:
    """Write the corpus described in the module doc under ``root``; returns ``root``."""
    src = photo_sources()
    for cls, photo in CLASSES.items():
        img = Image.open(src[photo]).convert("RGB")
        for n, box in enumerate(CROPS):
            split = "test" if n == 2 else "train"
            out = root / split / cls / f"{cls}_{n}.jpg"
            out.parent.mkdir(parents=True, exist_ok=True)
            _crop(img, box).save(out, quality=92)
    shutil.copy(root / "train/cat/cat_0.jpg", root / "test/cat/leak_copy.jpg")
    Image.open(root / "train/rocket/rocket_0.jpg").save(root / "train/horse/mislabelled.jpg",
                                                        quality=60)  # fmt: skip
    Image.new("RGB", (160, 120), (0, 0, 0)).save(root / "black.png")
    Image.new("RGB", (160, 120), (255, 255, 255)).save(root / "white.png")
    coffee = Image.open(root / "train/coffee/coffee_0.jpg")
    coffee.filter(ImageFilter.GaussianBlur(4)).save(root / "blurred.jpg", quality=92)
    astro = Image.open(src["astronaut.png"]).convert("RGB")
    astro.crop((0, 200, 500, 300)).save(root / "banner.jpg", quality=92)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (SIDE, SIDE, 3), dtype=np.uint8)).save(root / "noise.png")
    return root


def embed_tree(root: Path) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Real embeddings, 64-px thumbnails and image stats of every image under ``root``,
    from one decode pass: path -> (embedding, thumbnail, stats)."""
    from brain.decode import gray_thumbnail
    from brain.embeddings import embed_paths
    from brain.quality import image_stats
    from brain.similarity import THUMB_SIZE

    paths = sorted(str(p) for p in root.rglob("*") if p.is_file())
    res = embed_paths(paths, progress=False, extras={
        "thumb": lambda img: gray_thumbnail(img, THUMB_SIZE), "stats": image_stats,
    })  # fmt: skip
    return {p: (res.embeddings[i], res.extras["thumb"][i], res.extras["stats"][i])
            for i, p in enumerate(paths) if res.ok[i]}  # fmt: skip


def load_health(root: Path, arrays: dict) -> object:
    """The planted tree as a dataset (labels from folders, split tags) whose similarity
    run ``sim`` holds the precomputed embeddings: no model runs again."""
    from brain.similarity import SimilarityIndex
    from brain.sources import load_source

    ds, _ = load_source(str(root), name="health", labels="dir-tree")
    paths = ds.values("filepath")
    emb = np.stack([arrays[p][0] for p in paths])
    thumbs = np.stack([arrays[p][1] for p in paths])
    SimilarityIndex(ds, "sim", ds.values("id"), emb, thumbs, {"metric": "cosine"}).save()
    return ds


def by_name(ds, root: Path) -> dict[str, object]:  # noqa: ANN001
    """Path relative to ``root`` (``train/cat/cat_0.jpg``, ``noise.png``) -> sample."""
    return {str(Path(s.filepath).relative_to(root)): s for s in ds}
