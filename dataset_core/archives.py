"""Safe extraction of tar and zip archives of images.

Archives from the internet may hold members that escape the destination
(``../../etc/x``, ``/abs/path``), links pointing anywhere, device files, or a
truncated tail. :func:`extract_archive` writes only regular files whose
normalised path stays inside the destination, never follows or creates links,
never overwrites an existing file, and reports everything it skipped; a
truncated archive keeps what was read before the damage.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import zipfile
from dataclasses import dataclass, field

from .errors import MediaError

#: suffixes read as archives
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".zip")
#: a member larger than this is skipped: no image is that big, a zip bomb is
MAX_MEMBER_BYTES = 2 << 30
#: how many skipped names a one-line report shows
REPORT_EXAMPLES = 3
_COPY_CHUNK = 1 << 20


def is_archive(path: str) -> bool:
    """Whether ``path`` is a file named like a tar or zip archive."""
    return os.path.isfile(path) and path.lower().endswith(ARCHIVE_SUFFIXES)


@dataclass
class ExtractReport:
    """What :func:`extract_archive` wrote and what it skipped, with reasons."""

    dest: str
    extracted: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # member name -> reason
    truncated: str | None = None

    def describe(self) -> str:
        """One line for users, or '' when nothing was skipped."""
        parts = []
        if self.skipped:
            eg = ", ".join(f"{n} ({r})" for n, r in list(self.skipped.items())[:REPORT_EXAMPLES])
            more = ", ..." if len(self.skipped) > REPORT_EXAMPLES else ""
            parts.append(f"skipped {len(self.skipped)} archive members: {eg}{more}")
        if self.truncated:
            parts.append(f"the archive is damaged after {len(self.extracted)} files "
                         f"({self.truncated}); kept what was read")  # fmt: skip
        return ("Archive: " + "; ".join(parts)) if parts else ""


def _safe_target(dest: str, name: str) -> str | None:
    """The path ``name`` extracts to, or None when it would leave ``dest``."""
    if not name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return None
    norm = os.path.normpath(name.replace("\\", "/"))
    if norm.startswith("..") or os.path.isabs(norm) or norm in (".", ""):
        return None
    target = os.path.realpath(os.path.join(dest, norm))
    root = os.path.realpath(dest)
    return target if target.startswith(root + os.sep) else None


def _write(src, target: str) -> None:  # noqa: ANN001 - a binary file object
    os.makedirs(os.path.dirname(target), exist_ok=True)
    # "x": never replace a file already there (an archive listing a name twice)
    with open(target, "xb") as out:
        shutil.copyfileobj(src, out, _COPY_CHUNK)


def _extract_tar(path: str, report: ExtractReport) -> None:
    try:
        tar = tarfile.open(path, "r:*")
    except (tarfile.TarError, OSError, EOFError, zlib_error()) as e:
        raise MediaError(f"{path!r} is not a readable tar archive ({e}); check the file") from None
    with tar:
        try:
            for m in tar:
                _tar_member(tar, m, report)
        except (tarfile.TarError, EOFError, OSError, zlib_error()) as e:
            report.truncated = f"{type(e).__name__}: {e}"


def zlib_error() -> type[Exception]:
    """zlib's error class (raised by truncated .tar.gz archives)."""
    import zlib

    return zlib.error


def _member_target(report: ExtractReport, name: str, size: int) -> str | None:
    """Where member ``name`` of ``size`` bytes may be written, or None (and why, in
    the report): outside the folder, too big for an image, or listed twice."""
    target = _safe_target(report.dest, name)
    if target is None:
        report.skipped[name] = "path outside the archive's folder"
    elif size > MAX_MEMBER_BYTES:
        report.skipped[name] = f"{size} bytes, larger than any image"
    elif os.path.lexists(target):
        report.skipped[name] = "listed twice"
    else:
        return target
    return None


def _write_member(src, target: str) -> None:  # noqa: ANN001 - a binary file object
    """:func:`_write`, removing our own half-written file when the archive breaks."""
    try:
        with src:
            _write(src, target)
    except BaseException:
        if os.path.exists(target):
            os.remove(target)  # our own half-written file, never the user's
        raise


def _tar_member(tar: tarfile.TarFile, m: tarfile.TarInfo, report: ExtractReport) -> None:
    if m.isdir():
        return
    if not m.isreg():
        kind = "a link" if (m.issym() or m.islnk()) else "not a regular file"
        report.skipped[m.name] = kind
        return
    target = _member_target(report, m.name, m.size)
    if target is None:
        return
    src = tar.extractfile(m)
    if src is None:
        report.skipped[m.name] = "unreadable"
        return
    _write_member(src, target)  # a damaged tail stops the loop: see _extract_tar
    report.extracted.append(target)


def _extract_zip(path: str, report: ExtractReport) -> None:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise MediaError(f"{path!r} is not a readable zip archive ({e}); check the file") from None
    with zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                report.skipped[info.filename] = "a link"
                continue
            target = _member_target(report, info.filename, info.file_size)
            if target is None:
                continue
            try:  # a zip's members are independent: one bad member skips only itself
                _write_member(zf.open(info), target)
            except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, zlib_error()) as e:
                report.skipped[info.filename] = f"unreadable ({type(e).__name__})"
                continue
            report.extracted.append(target)


def extract_archive(path: str, dest: str) -> ExtractReport:
    """Extract the regular files of a tar or zip archive into ``dest``, safely.

    Args:
        path: a ``.tar``, ``.tar.gz``/``.tgz``, ``.tar.bz2``, ``.tar.xz`` or ``.zip`` file.
        dest: the folder to write into (created); existing files are never replaced.

    Returns:
        An :class:`ExtractReport`.

    Raises:
        MediaError: the file is missing or not an archive of a known kind.

    Example:
        >>> report = extract_archive("photos.zip", "/data/photos")
        >>> print(report.describe())
    """
    path = os.path.abspath(os.path.expanduser(os.fspath(path)))
    if not os.path.isfile(path):
        raise MediaError(f"Archive {path!r} does not exist; check the path")
    os.makedirs(dest, exist_ok=True)
    report = ExtractReport(os.path.abspath(dest))
    if path.lower().endswith(".zip"):
        _extract_zip(path, report)
    elif path.lower().endswith(ARCHIVE_SUFFIXES):
        _extract_tar(path, report)
    else:
        raise MediaError(f"{path!r} is not an archive; expected one of {list(ARCHIVE_SUFFIXES)}")
    return report
