"""The zoo: tiny archives in the official formats, loaded through the real path."""

from __future__ import annotations

import gzip
import io
import os
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import dataset_core as dc
import dataset_core.zoo as foz
from dataset_core.config import config
from dataset_core.errors import MediaError

CIFAR10_NAMES = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog",
                 b"horse", b"ship", b"truck"]  # fmt: skip


def _pickled(obj: object) -> bytes:
    return pickle.dumps(obj, protocol=2)


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _batch(rng: np.random.Generator, n: int, n_classes: int, key: bytes) -> dict:
    return {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            key: [int(x) for x in rng.integers(0, n_classes, n)]}  # fmt: skip


def make_cifar10(folder: Path, n_test: int = 12, n_train: int = 4) -> dict:
    """cifar-10-python.tar.gz as the official one is laid out (batches of pickled dicts)."""
    rng = np.random.default_rng(0)
    batches = {"test_batch": _batch(rng, n_test, 10, b"labels")}
    for i in range(1, 6):
        batches[f"data_batch_{i}"] = _batch(rng, n_train, 10, b"labels")
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / "cifar-10-python.tar.gz", "w:gz") as tar:
        _add(tar, "cifar-10-batches-py/batches.meta", _pickled({b"label_names": CIFAR10_NAMES}))
        for name, batch in batches.items():
            _add(tar, f"cifar-10-batches-py/{name}", _pickled(batch))
    return batches


def _idx(path: Path, arr: np.ndarray, magic: int) -> None:
    header = struct.pack(">I", magic) + struct.pack(f">{arr.ndim}I", *arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.astype(np.uint8).tobytes())


def make_mnist(folder: Path, n: int = 6) -> dict:
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for prefix in ("train", "t10k"):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        _idx(folder / f"{prefix}-images-idx3-ubyte.gz", images, 0x803)
        _idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels, 0x801)
        out[prefix] = (images, labels)
    return out


@pytest.fixture
def zoo_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(config, "home", tmp_path / "home")
    return tmp_path / "home" / "zoo"


def test_list_zoo_datasets_names_the_four():
    assert foz.list_zoo_datasets() == ["cifar10", "cifar100", "fashion-mnist", "mnist"]


def test_cifar10_test_split_from_the_official_archive(database, zoo_home: Path):
    batches = make_cifar10(zoo_home / "cifar10")
    dataset = foz.load_zoo_dataset("cifar10", split="test")
    assert dataset.name == "cifar10-test"
    assert len(dataset) == 12
    assert dataset.count_sample_tags() == {"test": 12}
    want = [CIFAR10_NAMES[t].decode() for t in batches["test_batch"][b"labels"]]
    assert dataset.values("ground_truth.label") == want
    assert dataset.default_classes == [n.decode() for n in CIFAR10_NAMES]
    assert dataset.classes == {"ground_truth": dataset.default_classes}
    first = dataset.first()
    assert Path(first.filepath) == zoo_home / "cifar10" / "test" / "data" / "000001.png"
    pixels = np.asarray(Image.open(first.filepath))
    expected = batches["test_batch"][b"data"][0].reshape(3, 32, 32).transpose(1, 2, 0)
    assert np.array_equal(pixels, expected)  # lossless: the archive's own pixels


def test_all_splits_are_one_dataset_tagged_by_split(database, zoo_home: Path):
    make_cifar10(zoo_home / "cifar10")
    dataset = foz.load_zoo_dataset("cifar10")
    assert dataset.name == "cifar10"
    assert dataset.count_sample_tags() == {"test": 12, "train": 20}


def test_images_are_written_once_and_the_dataset_reused(database, zoo_home: Path, capsys):
    make_cifar10(zoo_home / "cifar10")
    first = foz.load_zoo_dataset("cifar10", split="test")
    path = Path(first.first().filepath)
    before = path.stat().st_mtime_ns
    again = foz.load_zoo_dataset("cifar10", split="test")
    assert again.name == first.name and len(again) == 12
    assert "Loading existing dataset 'cifar10-test'" in capsys.readouterr().out
    (zoo_home / "cifar10" / "cifar-10-python.tar.gz").unlink()  # no archive needed now
    rebuilt = foz.load_zoo_dataset("cifar10", split="test", drop_existing_dataset=True)
    assert len(rebuilt) == 12 and path.stat().st_mtime_ns == before
    assert dc.list_datasets().count("cifar10-test") == 1


def test_max_samples_and_shuffle_name_and_choose(database, zoo_home: Path):
    make_cifar10(zoo_home / "cifar10")
    first5 = foz.load_zoo_dataset("cifar10", split="test", max_samples=5)
    assert first5.name == "cifar10-test-5" and len(first5) == 5
    assert [Path(p).name for p in first5.values("filepath")] == [
        f"{i:06d}.png" for i in range(1, 6)
    ]
    picked = foz.load_zoo_dataset("cifar10", split="test", max_samples=5, shuffle=True, seed=3,
                                  dataset_name="shuffled")  # fmt: skip
    names = sorted(Path(p).name for p in picked.values("filepath"))
    assert len(names) == 5 and names != [f"{i:06d}.png" for i in range(1, 6)]


def test_mnist_from_idx_files_in_dataset_dir(database, zoo_home: Path, tmp_path: Path):
    local = tmp_path / "my_mnist"
    arrays = make_mnist(local)
    dataset = foz.load_zoo_dataset("mnist", split="train", dataset_dir=local)
    assert dataset.name == "mnist-train" and len(dataset) == 6
    images, labels = arrays["train"]
    assert dataset.values("ground_truth.label") == [
        foz.get_zoo_dataset("mnist").read(local, "train").classes[t] for t in labels
    ]
    assert dataset.values("ground_truth.label")[0].split(" - ")[0] == str(labels[0])
    first = Path(dataset.first().filepath)
    assert first.parent == local / "train" / "data"
    assert np.array_equal(np.asarray(Image.open(first)), images[0])
    assert not (zoo_home / "mnist").exists()


def test_offline_names_the_file_and_dataset_dir(database, zoo_home: Path):
    with pytest.raises(foz.ZooDownloadError) as err:
        foz.load_zoo_dataset("cifar100", split="test", download_if_necessary=False)
    msg = str(err.value)
    assert "cifar-100-python.tar.gz" in msg and "dataset_dir=" in msg
    assert str(zoo_home / "cifar100") in msg
    assert "\n" not in msg
    assert not dc.dataset_exists("cifar100-test")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: foz.load_zoo_dataset("cifar11"), "available: cifar10, cifar100"),
        (lambda: foz.load_zoo_dataset("cifar10", split="val"), "splits: ['test', 'train']"),
        (lambda: foz.load_zoo_dataset("mnist", max_samples=0), "at least 1"),
    ],
)
def test_bad_arguments_say_what_is_valid(call, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        call()


class _Boom:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_a_pickle_that_runs_code_is_refused(database, zoo_home: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    folder = zoo_home / "cifar10"
    folder.mkdir(parents=True)
    with tarfile.open(folder / "cifar-10-python.tar.gz", "w:gz") as tar:
        _add(tar, "cifar-10-batches-py/batches.meta", _pickled({b"label_names": [_Boom()]}))
        _add(tar, "cifar-10-batches-py/test_batch", _pickled({b"data": b"", b"labels": []}))
    with pytest.raises(MediaError, match="not allowed"):
        foz.load_zoo_dataset("cifar10", split="test")
    assert not (tmp_path / "pwned").exists()
    assert not dc.dataset_exists("cifar10-test")


def test_a_truncated_idx_file_is_one_clear_line(database, zoo_home: Path, tmp_path: Path):
    local = tmp_path / "mnist"
    make_mnist(local)
    path = local / "t10k-images-idx3-ubyte.gz"
    data = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(data[: len(data) // 2]))
    with pytest.raises(MediaError, match="truncated"):
        foz.load_zoo_dataset("mnist", split="test", dataset_dir=local)
