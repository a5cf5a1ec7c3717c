"""The seed walkthroughs (examples/), run end to end on real photos with a real
server, model and mongod."""

from __future__ import annotations

import hashlib
import itertools
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(name: str, argv: list[str]):
    sys.path.insert(0, str(EXAMPLES))
    try:
        module = runpy.run_path(str(EXAMPLES / name))
        return module["main"](argv)
    finally:
        sys.path.remove(str(EXAMPLES))


@pytest.fixture
def home(tmp_path, monkeypatch):
    from dataset_core.config import config

    monkeypatch.setattr(config, "home", tmp_path / "home")
    return tmp_path


def test_seed_001_dedup_walkthrough(database, home):
    export = home / "export"
    dataset = run_example("walkthrough_dedup.py", [
        "--data", str(home / "cifar"), "--export", str(export), "--auto", "--port", "0",
    ])  # fmt: skip
    hashes = dataset.values("file_hash")
    assert len(set(hashes)) == len(hashes) == len(dataset) == 18  # 21 photos, 3 exact copies
    exported = [p for p in export.rglob("*") if p.is_file()]
    assert len(exported) == len(dataset)
    digests = {hashlib.sha1(p.read_bytes()).hexdigest() for p in exported}
    assert digests == set(hashes)  # the export is the duplicate-free dataset
    assert (home / "cifar" / "animals" / "chelsea_copy.png").exists()  # no file deleted


def test_seed_000_uniqueness_walkthrough(database, home, capsys):
    import dataset_core as dc

    ten_best = run_example("walkthrough_uniqueness.py",
                           ["--data", str(home / "u"), "--auto", "--port", "0"])  # fmt: skip
    ranked = dc.load_dataset("flickr-images").sort_by("uniqueness", reverse=True)
    assert ranked.first().uniqueness == 1.0
    assert ten_best == ranked.limit(10).values("filepath")
    cifar = dc.load_dataset("cifar10-test")  # the zoo's name, from the local archive
    assert cifar.count_values("ground_truth.label") == {
        "animals": 3, "objects": 8, "people": 2, "scenes": 5, "textures": 3}  # fmt: skip
    dups = cifar.match_tags("dup").values("filepath")
    assert len(dups) == 2
    assert len(set(cifar.match_tags("dup").values("ground_truth.label"))) == 1  # one class
    images = {p: np.asarray(Image.open(p), dtype=float) for p in cifar.values("filepath")}
    assert images[dups[0]].shape == (32, 32, 3)
    gaps = [np.abs(images[a] - images[b]).mean() for a, b in itertools.combinations(images, 2)]
    pair = np.abs(images[dups[0]] - images[dups[1]]).mean()
    assert pair < np.median(gaps) / 2  # the two least unique images look alike (at 32x32)


def test_seed_002_dedup_plugin_operators(database, home):
    dataset = run_example("dedup_plugin.py", ["--data", str(home / "p"), "--port", "0"])
    assert {"exact_dup_view", "approx_dup_view", "approx_dup_groups_view"} <= set(
        dataset.list_saved_views()
    )
    names = sorted(Path(p).name for p in dataset.values("filepath"))
    assert "chelsea_copy.png" not in names and "chelsea.png" in names
    assert len(names) == 17  # 21 photos: 3 exact copies and the shrunk rocket go
    assert "rocket.jpg" in names  # keep="largest" keeps the big one
