"""A small real detection dataset with planted answers, for the object-brain tests.

Fifteen objects, five classes x three different crops of one real photo each
(the crops of :mod:`tests.brain.health_data`, so a class's objects are each
other's nearest neighbours without being duplicates), pasted three to an image
onto a real background (scikit-image's brick wall), and a sixth image holding
the planted answers:

- ``DUPLICATE``: the crop of object ``rocket_1`` pasted again, elsewhere, in
  the sixth image (the same pixels inside two different images);
- ``NOISE``: random pixels, unlike any object (the outlier);
- ``TINY``: a 6 x 6 px box, under the 8-px minimum (skipped and counted);
- ``FLIPPED``: object ``horse_2`` labelled ``cat``.

:func:`build_scenes` writes the images; :func:`scene_samples` gives the
samples with their Detections in ``ground_truth``, each detection's ``name``
attribute saying which object it is. The fixtures ``scenes`` and ``objects``
(tests/conftest.py) build them for the brain's and the server's tests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

import dataset_core as dc
from tests.brain.conftest import photo_sources
from tests.brain.health_data import CLASSES, CROPS

#: the canvas of every image, and the side objects are pasted at
WIDTH, HEIGHT, SIDE = 480, 320, 128
#: left edges of the three slots of an image (all at the same height)
SLOTS = (16, 176, 336)
TOP = 96
DUPLICATE, NOISE, TINY, FLIPPED = "rocket_1_copy", "noise", "tiny", "horse_2"
TINY_SIDE = 6


def _object(photo: Image.Image, box: tuple[float, float, float, float]) -> Image.Image:
    w, h = photo.size
    part = photo.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    return part.resize((SIDE, SIDE))


def _rel(left: int, top: int, side: int) -> list[float]:
    return [left / WIDTH, top / HEIGHT, side / WIDTH, side / HEIGHT]


def build_scenes(root: Path) -> dict[str, list[tuple[str, str, list[float]]]]:
    """Write the six images under ``root``: file name -> ``[(object name, label, box)]``."""
    src = photo_sources()
    background = Image.open(src["brick.png"]).convert("RGB").resize((WIDTH, HEIGHT))
    objects = {}
    for cls, photo in CLASSES.items():
        img = Image.open(src[photo]).convert("RGB")
        for n, box in enumerate(CROPS):
            objects[f"{cls}_{n}"] = (cls, _object(img, box))
    # crop by crop, so every image mixes classes
    names = sorted(objects, key=lambda o: (o[-1], list(CLASSES).index(o[:-2])))
    layout: dict[str, list[tuple[str, str, list[float]]]] = {}
    for i in range(0, len(names), len(SLOTS)):
        canvas = background.copy()
        dets = []
        for left, name in zip(SLOTS, names[i : i + len(SLOTS)], strict=True):
            cls, pixels = objects[name]
            canvas.paste(pixels, (left, TOP))
            dets.append((name, "cat" if name == FLIPPED else cls, _rel(left, TOP, SIDE)))
        file = f"scene_{i // len(SLOTS)}.jpg"
        canvas.save(root / file, quality=92)
        layout[file] = dets
    canvas = background.copy()
    canvas.paste(objects["rocket_1"][1], (SLOTS[2], TOP - 64))  # another place, other bricks
    rng = np.random.default_rng(0)
    noise = Image.fromarray(rng.integers(0, 256, (SIDE, SIDE, 3), dtype=np.uint8))
    canvas.paste(noise, (SLOTS[0], TOP))
    canvas.save(root / "planted.jpg", quality=92)
    layout["planted.jpg"] = [
        (DUPLICATE, "rocket", _rel(SLOTS[2], TOP - 64, SIDE)),
        (NOISE, "noise", _rel(SLOTS[0], TOP, SIDE)),
        (TINY, "rocket", [200 / WIDTH, 20 / HEIGHT, TINY_SIDE / WIDTH, TINY_SIDE / HEIGHT]),
    ]
    return layout


def scene_samples(root: Path, layout: dict) -> list[dc.Sample]:
    """One sample per image, its objects in ``ground_truth`` (``name``: which one)."""
    out = []
    for file, dets in layout.items():
        labels = [dc.Detection(label=label, bounding_box=box, name=name)
                  for name, label, box in dets]  # fmt: skip
        out.append(dc.Sample(str(root / file), ground_truth=dc.Detections(detections=labels)))
    return out
