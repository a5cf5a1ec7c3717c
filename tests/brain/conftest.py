"""Real photos (from the scikit-image and scikit-learn wheels) with planted copies."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

import dataset_core as dc

#: distinct real photos; the first two get planted copies
PHOTOS = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg", "camera.png",
          "horse.png", "brick.png", "moon.png", "china.jpg", "flower.jpg"]  # fmt: skip


def photo_sources() -> dict[str, Path]:
    out = {}
    for pkg, sub in (("skimage", "data"), ("sklearn", "datasets/images")):
        spec = importlib.util.find_spec(pkg)
        if spec and spec.origin:
            for p in (Path(spec.origin).parent / sub).glob("*"):
                out[p.name] = p
    return out


@pytest.fixture(scope="session")
def photo_dir(tmp_path_factory) -> Path:
    """10 distinct photos (256 px JPEGs), an exact copy of the first, a
    re-encoded + resized + mirrored copy of the second, and a noise image."""
    src = photo_sources()
    missing = [p for p in PHOTOS if p not in src]
    if missing:
        pytest.fail(f"photos missing from the scikit-image/scikit-learn wheels: {missing}")
    root = tmp_path_factory.mktemp("photos")
    for name in PHOTOS:
        img = Image.open(src[name]).convert("RGB")
        img.thumbnail((256, 256))
        img.save(root / f"{Path(name).stem}.jpg", quality=90)
    shutil.copy(root / "chelsea.jpg", root / "chelsea_copy.jpg")
    coffee = Image.open(root / "coffee.jpg")
    near = ImageOps.mirror(coffee.resize((coffee.width * 2 // 3, coffee.height * 2 // 3)))
    near.save(root / "coffee_near.jpg", quality=40)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (200, 200, 3), dtype=np.uint8)).save(root / "noise.png")
    return root


@pytest.fixture
def photos(database, photo_dir) -> dc.Dataset:
    return dc.Dataset.from_images_dir(str(photo_dir), name="photos")


def ids_by_name(dataset: dc.Dataset) -> dict[str, str]:
    return {Path(s.filepath).stem: s.id for s in dataset}


# -- the planted dataset-health corpus (brain/quality, outliers, clusters, ...) ----


@pytest.fixture(scope="session")
def health_tree(tmp_path_factory) -> Path:
    """See tests/brain/health_data.py: real photo crops with planted answers."""
    from tests.brain.health_data import build_health_tree

    return build_health_tree(tmp_path_factory.mktemp("health"))


@pytest.fixture(scope="session")
def health_arrays(health_tree):
    """The real model's embeddings of ``health_tree``, computed once per run."""
    from tests.brain.health_data import embed_tree

    return embed_tree(health_tree)


@pytest.fixture
def health(database, health_tree, health_arrays) -> dc.Dataset:
    """``health_tree`` as a dataset with its similarity run already saved."""
    from tests.brain.health_data import load_health

    return load_health(health_tree, health_arrays)
