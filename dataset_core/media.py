"""Recognising image files by extension or, failing that, by content."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

#: extensions we take as images without opening the file
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
#: leading bytes of the formats above, for files with other or no extensions
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
_HASH_CHUNK = 1 << 20


def sniff_image_type(path: str) -> str | None:
    """The MIME type of an image judged by its first bytes, or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return None
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass
class ScanReport:
    """What a folder scan found: the images, and what it skipped and why."""

    images: list[str] = field(default_factory=list)
    not_images: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        """How many files were left out."""
        return len(self.not_images) + len(self.empty) + len(self.unreadable)

    def describe(self) -> str:
        """One line for users, e.g. ``Skipped 3 files: 2 not images (a.txt, ...)``."""
        parts = []
        for what, paths in (
            ("not images", self.not_images),
            ("empty", self.empty),
            ("unreadable", self.unreadable),
        ):
            if paths:
                eg = ", ".join(os.path.basename(p) for p in paths[:3])
                more = ", ..." if len(paths) > 3 else ""
                parts.append(f"{len(paths)} {what} ({eg}{more})")
        noun = "file" if self.skipped == 1 else "files"
        return f"Skipped {self.skipped} {noun}: " + "; ".join(parts) if parts else ""


def scan_images(root: str, recursive: bool = True) -> ScanReport:
    """Find the image files under ``root``, sorted by path.

    Images are recognised by extension, or by content for other files. Hidden
    files and folders (``.name``) are ignored; empty files are skipped.
    """
    report = ScanReport()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            report.unreadable.append(folder)
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    if recursive:
                        stack.append(entry.path)
                    continue
                if not entry.is_file():
                    continue
                ext = os.path.splitext(entry.name)[1].lower()
                if ext not in IMAGE_EXTENSIONS and sniff_image_type(entry.path) is None:
                    report.not_images.append(entry.path)
                elif entry.stat().st_size == 0:
                    report.empty.append(entry.path)
                else:
                    report.images.append(entry.path)
            except OSError:
                report.unreadable.append(entry.path)
    report.images.sort()
    return report


def compute_filehash(filepath: str, method: str = "sha1") -> str:
    """A stable hex digest of a file's bytes (never Python's ``hash()``).

    Args:
        filepath: the file.
        method: any hashlib algorithm name: ``sha1`` (default), ``md5``, ``sha256``...

    Example:
        >>> compute_filehash("/data/cat.jpg")
        'b2d5...'
    """
    try:
        h = hashlib.new(method)
    except (ValueError, TypeError):
        raise ValueError(
            f"Unknown hash method {method!r}; use one of {sorted(hashlib.algorithms_guaranteed)}"
        ) from None
    with open(filepath, "rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()
