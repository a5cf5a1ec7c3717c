"""Tests of dataset_core/storage.py, dataset_core/image.py and the FiftyOne module paths
that reach them (``core.storage``, ``utils.image``, ``core.labels``' mask helpers,
``constants``)."""

from __future__ import annotations

import os

import numpy as np
import pytest

import dataset_core as dc
import dataset_core.constants as foc
import dataset_core.core.storage as fos
import dataset_core.utils.image as foui
from dataset_core.core.labels import _read_mask, _write_mask

pytestmark = pytest.mark.unit


def test_temp_dir_exists_inside_the_block_only(tmp_path):
    with fos.TempDir(basedir=str(tmp_path / "base")) as tmp:
        assert os.path.isdir(tmp) and tmp.startswith(str(tmp_path / "base"))
        fos.copy_file(__file__, fos.join(tmp, "deep", "er", "copy.py"))  # makes the dirs
        assert fos.isfile(fos.join(tmp, "deep", "er", "copy.py"))
        assert fos.isdir(fos.join(tmp, "deep"))
    assert not os.path.exists(tmp)
    temp = fos.TempDir()
    path = temp.__enter__()
    temp.__exit__()  # FiftyOne's scripts call it with no arguments
    assert not os.path.exists(path)


def test_local_file_and_separators(tmp_path):
    target = str(tmp_path / "new" / "file.txt")
    with fos.LocalFile(target, "w") as local:
        with open(local, "w") as f:
            f.write("x")
    with open(target) as f:
        assert f.read() == "x"
    assert fos.sep(str(tmp_path)) == os.sep
    with pytest.raises(ValueError, match="mode is 'r' or 'w'"):
        fos.LocalFile(target, "a")


def test_images_round_trip_as_arrays(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 255, size=(6, 8, 3), dtype=np.uint8)
    path = str(tmp_path / "sub" / "img.png")
    foui.write(rgb, path)
    assert np.array_equal(foui.read(path), rgb)
    assert foui.read(path, flag=0).shape == (6, 8)  # gray, as OpenCV's IMREAD_GRAYSCALE
    assert dc.image.read is foui.read


def test_masks_round_trip_losslessly(tmp_path):
    mask = np.arange(25, dtype=np.uint8).reshape(5, 5)
    path = str(tmp_path / "mask.png")
    _write_mask(mask, path)
    assert np.array_equal(_read_mask(path), mask)
    _write_mask(mask > 12, path)  # bool masks are stored 0/255
    assert set(np.unique(_read_mask(path))) == {0, 255}
    with pytest.raises(dc.MediaError, match="Cannot read mask"):
        _read_mask(str(tmp_path / "missing.png"))


def test_bad_image_files_fail_with_one_clear_error(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    with pytest.raises(dc.MediaError, match="Cannot read image"):
        foui.read(str(bad))
    with pytest.raises(dc.MediaError, match="Cannot write an array of shape"):
        foui.write(np.zeros((2, 2, 7), dtype=np.uint8), str(tmp_path / "x.png"))


def test_constants_version():
    assert foc.VERSION == dc.__version__
