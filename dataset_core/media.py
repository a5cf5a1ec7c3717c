"""Recognising image files by extension or, failing that, by content."""

from __future__ import annotations

import hashlib
import os
import stat
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
    #: FIFOs, sockets, devices: never opened (reading a FIFO would hang)
    special: list[str] = field(default_factory=list)
    #: symlinks to a folder being walked (``loop -> .``), not followed
    loops: list[str] = field(default_factory=list)
    #: symlinks or second paths to files or folders already walked, not added twice
    links_seen: list[str] = field(default_factory=list)
    #: symlinks whose target does not exist
    broken_links: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        """How many files were left out."""
        return (len(self.not_images) + len(self.empty) + len(self.unreadable)
                + len(self.special) + len(self.loops) + len(self.links_seen)
                + len(self.broken_links))  # fmt: skip

    def merge(self, other: ScanReport) -> None:
        """Add ``other``'s skipped entries to this report (not its images)."""
        for name in ("not_images", "empty", "unreadable", "special", "loops", "links_seen",
                     "broken_links"):  # fmt: skip
            getattr(self, name).extend(getattr(other, name))

    def describe(self) -> str:
        """One line for users, e.g. ``Skipped 3 files: 2 not images (a.txt, ...)``."""
        parts = []
        for what, paths in (
            ("not images", self.not_images),
            ("empty", self.empty),
            ("unreadable", self.unreadable),
            ("special files (FIFOs, sockets, devices)", self.special),
            ("symlink loops, not followed", self.loops),
            ("links to files or folders already walked", self.links_seen),
            ("broken symlinks", self.broken_links),
        ):
            if paths:
                eg = ", ".join(os.path.basename(p) or p for p in paths[:3])
                more = ", ..." if len(paths) > 3 else ""
                parts.append(f"{len(paths)} {what} ({eg}{more})")
        noun = "file" if self.skipped == 1 else "files"
        return f"Skipped {self.skipped} {noun}: " + "; ".join(parts) if parts else ""


def _readable(path: str) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return False
    os.close(fd)
    return True


def scan_images(root: str, recursive: bool = True) -> ScanReport:
    """Find the image files under ``root``, sorted by path.

    Images are recognised by extension, or by content for other files. Hidden
    files and folders (``.name``) are ignored. Symlinks are followed only to
    real files and folders not seen before (by device and inode), so a loop
    (``loop -> .``) or a second link to a walked folder adds nothing; loops,
    special files, unreadable, empty and broken entries are reported.
    """
    report = ScanReport()
    try:
        st = os.stat(root)
        seen_dirs = {(st.st_dev, st.st_ino)}
    except OSError:
        report.unreadable.append(root)
        return report
    seen_files: set[tuple[int, int]] = set()
    stack = [(root, frozenset(seen_dirs))]
    while stack:
        folder, ancestors = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            report.unreadable.append(folder)
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                try:
                    st = entry.stat()  # follows symlinks
                except FileNotFoundError:
                    report.broken_links.append(entry.path)
                    continue
                key = (st.st_dev, st.st_ino)
                if stat.S_ISDIR(st.st_mode):
                    if not recursive:
                        continue
                    if key in ancestors:
                        report.loops.append(entry.path)
                    elif key in seen_dirs:
                        report.links_seen.append(entry.path)
                    else:
                        seen_dirs.add(key)
                        stack.append((entry.path, ancestors | {key}))
                    continue
                if not stat.S_ISREG(st.st_mode):
                    report.special.append(entry.path)
                    continue
                if key in seen_files:
                    report.links_seen.append(entry.path)
                    continue
                seen_files.add(key)
                ext = os.path.splitext(entry.name)[1].lower()
                if not _readable(entry.path):
                    report.unreadable.append(entry.path)
                elif ext not in IMAGE_EXTENSIONS and sniff_image_type(entry.path) is None:
                    report.not_images.append(entry.path)
                elif st.st_size == 0:
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
