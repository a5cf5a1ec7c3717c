"""A small labelled dataset of generated images, with exact copies, and a server on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import dataset_core as dc
from server import StateStore, create_app
from tests.conftest import write_image

#: where the TestClient says it is (its default, ``testserver``, is not an allowed Host)
BASE_URL = "http://127.0.0.1:5151"
#: class -> number of images
CLASSES = {"cat": 6, "dog": 4, "mountain": 2}


@pytest.fixture
def image_dir(tmp_path: Path) -> Path:
    """12 distinct images in class folders, plus exact copies of cat/0 and dog/0."""
    root = tmp_path / "images"
    seed = 0
    for label, n in CLASSES.items():
        for i in range(n):
            seed += 1
            write_image(root / label / f"{i}.jpg", size=(48, 40), seed=seed)
    shutil.copy(root / "cat" / "0.jpg", root / "cat" / "0_copy.jpg")
    shutil.copy(root / "dog" / "0.jpg", root / "dog" / "0_copy.jpg")
    return root


@pytest.fixture
def labelled(database, image_dir: Path) -> dc.Dataset:
    """14 samples: cat 7, dog 5, mountain 2, with a float field."""
    samples, _ = dc.parse_image_classification_dir_tree(str(image_dir))
    ds = dc.Dataset.from_image_classification_samples(samples, name="labelled")
    ds.set_values("score", [i / 10 for i in range(len(ds))])
    return ds


@pytest.fixture
def store() -> StateStore:
    return StateStore()


@pytest.fixture
def client(store: StateStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    from dataset_core.config import config

    monkeypatch.setattr(config, "home", tmp_path / "home")  # thumbnails go there
    app = create_app(store)
    # the legitimate path: an allowed Host, and the token from the URL, then its cookie
    with TestClient(app, base_url=BASE_URL) as c:
        assert c.get(f"/?token={app.state.security.token}").status_code == 200
        yield c
