"""Safe extraction of tar and zip archives: nothing escapes, nothing is overwritten."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dataset_core.archives import extract_archive
from dataset_core.errors import MediaError
from tests.conftest import write_image


def _png(seed: int) -> bytes:
    buf = io.BytesIO()
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype="uint8")).save(buf, format="PNG")
    return buf.getvalue()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


@pytest.fixture
def evil_tar(tmp_path: Path) -> Path:
    path = tmp_path / "evil.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        _add(tar, "photos/a.png", _png(1))
        _add(tar, "photos/sub/b.png", _png(2))
        _add(tar, "../escaped.png", _png(3))
        _add(tar, "/tmp/absolute.png", _png(4))
        _add(tar, "photos/../../sneaky.png", _png(5))
        link = tarfile.TarInfo("photos/link.png")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
        hard = tarfile.TarInfo("photos/hard.png")
        hard.type, hard.linkname = tarfile.LNKTYPE, "photos/a.png"
        tar.addfile(hard)
        dev = tarfile.TarInfo("photos/dev")
        dev.type = tarfile.CHRTYPE
        tar.addfile(dev)
    return path


def test_tar_members_that_escape_or_link_are_skipped(evil_tar, tmp_path):
    dest = tmp_path / "out"
    report = extract_archive(str(evil_tar), str(dest))
    written = sorted(str(Path(p).relative_to(dest)) for p in report.extracted)
    assert written == ["photos/a.png", "photos/sub/b.png"]
    assert sorted(p.name for p in tmp_path.rglob("*.png")) == ["a.png", "b.png"]
    assert not Path("/tmp/absolute.png").exists()
    assert report.skipped["/tmp/absolute.png"] == "path outside the archive's folder"
    assert report.skipped["../escaped.png"] == "path outside the archive's folder"
    assert report.skipped["photos/../../sneaky.png"] == "path outside the archive's folder"
    assert report.skipped["photos/link.png"] == "a link"
    assert report.skipped["photos/hard.png"] == "a link"
    assert report.skipped["photos/dev"] == "not a regular file"
    line = report.describe()
    assert line.startswith("Archive: skipped 6 archive members") and "\n" not in line


def test_zip_with_escaping_names_and_links(tmp_path):
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("ok/a.png", _png(1))
        zf.writestr("../../outside.png", _png(2))
        zf.writestr("C:\\windows\\x.png", _png(3))
        link = zipfile.ZipInfo("ok/link.png")
        link.external_attr = 0o120777 << 16  # a symlink entry
        zf.writestr(link, "/etc/passwd")
    dest = tmp_path / "out"
    report = extract_archive(str(path), str(dest))
    assert [os.path.relpath(p, dest) for p in report.extracted] == ["ok/a.png"]
    assert set(report.skipped) == {"../../outside.png", "C:\\windows\\x.png", "ok/link.png"}
    assert not (tmp_path.parent / "outside.png").exists()


def test_existing_files_are_never_replaced(tmp_path):
    dest = tmp_path / "out"
    keep = write_image(dest / "a.png", seed=9, fmt="PNG")
    before = keep.read_bytes()
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.png", _png(1))
        zf.writestr("b.png", _png(2))
    report = extract_archive(str(path), str(dest))
    assert keep.read_bytes() == before and report.skipped == {"a.png": "listed twice"}
    assert [Path(p).name for p in report.extracted] == ["b.png"]


def test_truncated_archive_keeps_what_was_read(tmp_path):
    path = tmp_path / "t.tar"
    with tarfile.open(path, "w") as tar:
        for i in range(3):
            _add(tar, f"img{i}.png", _png(i) + b"\0" * 4000)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    report = extract_archive(str(path), str(tmp_path / "out"))
    assert 1 <= len(report.extracted) < 3
    assert "damaged" in report.describe()
    written = sorted(str(p) for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert written == sorted(report.extracted)  # no half-written file left behind


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("missing.zip", None, "does not exist"),
        ("bad.zip", b"PK not really", "not a readable zip archive"),
        ("bad.tar.gz", b"\x1f\x8b broken", "not a readable tar archive"),
        ("notes.txt", b"hello", "is not an archive"),
    ],
)
def test_bad_archives_raise_one_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(MediaError, match=message):
        extract_archive(str(path), str(tmp_path / "out"))
