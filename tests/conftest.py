"""Shared fixtures: one real embedded mongod for the whole run, in a temporary
folder (never the user's own data), and a throw-away database per test."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("DATASET_CORE_SHOW_PROGRESS", "0")

import dataset_core as dc  # noqa: E402
from dataset_core import db  # noqa: E402
from dataset_core.config import config  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def mongod(tmp_path_factory: pytest.TempPathFactory):
    """The embedded mongod, started lazily by the first test that needs it."""
    old_dir, old_uri = config.database_dir, config.database_uri
    if not os.environ.get("DATASET_CORE_TEST_DATABASE_URI"):
        config.database_dir = tmp_path_factory.mktemp("mongod")
        config.database_uri = None
    else:
        config.database_uri = os.environ["DATASET_CORE_TEST_DATABASE_URI"]
    yield config
    db.reset()
    if config.database_uri is None:
        db.stop()
    config.database_dir, config.database_uri = old_dir, old_uri


@pytest.fixture
def database(mongod):
    """A fresh database for one test, dropped afterwards."""
    from dataset_core import dataset as dataset_module

    name = f"test_{uuid.uuid4().hex[:12]}"
    old = config.database_name
    config.database_name = name
    dataset_module._instances.clear()
    yield db.get_db()
    try:
        db.get_client().drop_database(name)
    finally:
        config.database_name = old
        dataset_module._instances.clear()


def write_image(path: Path, size=(32, 24), color=None, seed=0, fmt=None) -> Path:
    """Write a small real image (random noise, or a solid colour)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if color is None:
        rng = np.random.default_rng(seed)
        arr = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    else:
        arr = np.zeros((size[1], size[0], 3), dtype=np.uint8) + np.array(color, dtype=np.uint8)
    Image.fromarray(arr).save(path, format=fmt)
    return path


@pytest.fixture
def image_tree(tmp_path: Path) -> Path:
    """A classification tree: 2 classes x 3 images, plus a text file and an empty .jpg."""
    root = tmp_path / "tree"
    for c, label in enumerate(["apple", "mountain"]):
        for i in range(3):
            write_image(root / label / f"{i}.jpg", seed=10 * c + i)
    (root / "apple" / "notes.txt").write_text("not an image")
    (root / "mountain" / "empty.jpg").write_bytes(b"")
    return root


#: Debian's chromium (installed by scripts/setup.sh); Playwright's own browser
#: download is not used
CHROMIUM = os.environ.get("DATASET_CORE_CHROMIUM", "/usr/bin/chromium")
#: flags for a headless Chromium on a closed network, as root in a container
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """A real headless Chromium, driven by Playwright (one for the whole run)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; run scripts/setup.sh test (apt chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh browser page (own context: no shared storage between tests)."""
    # Playwright evaluates string predicates with eval(), which the app's CSP forbids;
    # tests/server/test_security.py checks the app under its real CSP
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="session")
def scenes(tmp_path_factory) -> tuple[Path, dict]:
    """The real-photo detection scenes of tests/brain/object_data.py: folder, layout."""
    from tests.brain.object_data import build_scenes

    root = tmp_path_factory.mktemp("scenes")
    return root, build_scenes(root)


@pytest.fixture
def objects(database, scenes) -> dc.Dataset:
    """The dataset ``"objects"`` of those scenes (Detections in ``ground_truth``)."""
    from tests.brain.object_data import scene_samples

    root, layout = scenes
    ds = dc.Dataset("objects")
    ds.add_samples(scene_samples(root, layout))
    return ds
