"""Speed and quality of brain.embeddings: images/s per configuration, copy recall per size.

Usage::

    .venv/bin/python benchmarks/bench_embeddings.py [--n 400] [--sizes 224,160,128]
        [--device cpu|cuda] [--workers 0,1,2] [--threads 1,2] [--channels-last on,off]
        [--repeat 3] [--side 256] [--batch-size B]

It writes N JPEGs cut from the real photos that ship in the scikit-image and
scikit-learn wheels (random crops, flips and resizes, so the content is real),
plus an altered copy of each (90% crop, resize, JPEG quality 40). Then:

* speed: end-to-end ``embed_paths`` images/s over the grid of input size x
  channels_last x workers x torch threads x where the model runs (in the
  workers, one thread each, or in the main process beside decode-only
  workers), in interleaved rounds so that a noisy neighbour hits every config;
* quality per input size: copy recall@1, the fraction of images whose nearest
  neighbour by cosine, among all other originals and copies, is their own copy;
* draft: JPEG decode time of big photos with and without ``Image.draft``.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from brain.embeddings import embed_paths, load_image, normalize  # noqa: E402
from brain.models import DEFAULT_MODEL, EmbeddingModel, load_model, resolve_device  # noqa: E402

#: photos (not drawings, not tiny) from the scikit-image / scikit-learn wheels
PHOTOS = {
    "skimage": [
        "astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg", "camera.png",
        "motorcycle_left.png", "hubble_deep_field.jpg", "retina.jpg", "ihc.png", "coins.png",
        "moon.png", "page.png", "brick.png", "grass.png", "gravel.png",
    ],
    "sklearn": ["china.jpg", "flower.jpg"],
}  # fmt: skip
#: side of the generated images, like a typical web-sized dataset
IMAGE_SIDE = 256
#: the alteration of each copy: keep 90% of each side, save at JPEG quality 40
COPY_KEEP, COPY_QUALITY, COPY_SIDE = 0.9, 40, 224
#: the resolution the default model was trained at: the reference for class agreement
NATIVE_SIZE = 224
#: images the quality figures use (an O(n^2) similarity matrix; speed uses all N)
QUALITY_N = 1000
#: big photos for the draft measurement
BIG_SIDE, BIG_COUNT = 3000, 8


def photo_paths() -> list[Path]:
    """The real photos found in the installed wheels."""
    roots = {
        "skimage": ("skimage", "data"),
        "sklearn": ("sklearn", ("datasets", "images")),
    }
    found = []
    for key, names in PHOTOS.items():
        package, sub = roots[key]
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            continue
        folder = Path(spec.origin).parent.joinpath(*(sub if isinstance(sub, tuple) else (sub,)))
        found += [folder / n for n in names if (folder / n).exists()]
    if not found:
        sys.exit("No photos found: pip install scikit-image scikit-learn")
    return found


def make_images(
    folder: Path, n: int, side: int = IMAGE_SIDE, copies: bool = True, seed: int = 0
) -> tuple[list[str], list[str], np.ndarray]:
    """N distinct pieces of the photos as 256-px JPEGs, an altered copy of each, their photo.

    The pieces are the cells of a grid laid over each photo, so no two overlap:
    overlapping crops of one photo would be near-duplicates of each other and
    blur what copy recall measures. Beyond one grid's worth, the grid shifts.
    """
    rng = np.random.default_rng(seed)
    photos = [Image.open(p).convert("RGB") for p in photo_paths()]
    k = max(1, int(np.ceil(np.sqrt(n / len(photos)))))  # a k x k grid per photo
    cells = []
    for shift in range(-(-n // (k * k * len(photos)))):
        for p, photo in enumerate(photos):
            w, h = photo.size
            cw, ch = w // k, h // k
            off = (shift * cw // 3) % max(1, w - k * cw + 1) if shift else 0
            cells += [(p, (off + c * cw, r * ch, off + (c + 1) * cw, (r + 1) * ch))
                      for r in range(k) for c in range(k)]  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    originals, altered = [], []
    for i, (p, box) in enumerate(cells[:n]):
        img = photos[p].crop(box).resize((side, side), Image.Resampling.BICUBIC)
        path = folder / f"img_{i:05d}.jpg"
        img.save(path, quality=90)
        originals.append(str(path))
        if not copies:
            continue
        keep = int(side * COPY_KEEP)
        dx, dy = rng.integers(0, side - keep + 1, size=2)
        copy = img.crop((dx, dy, dx + keep, dy + keep)).resize((COPY_SIDE, COPY_SIDE))
        copy_path = folder / f"copy_{i:05d}.jpg"
        copy.save(copy_path, quality=COPY_QUALITY)
        altered.append(str(copy_path))
    return originals, altered, np.array([p for p, _ in cells[:n]])


def copy_recall(orig: np.ndarray, copies: np.ndarray) -> float:
    """Fraction of originals whose cosine nearest neighbour (all others) is their copy."""
    n = len(orig)
    x = normalize(np.concatenate([orig, copies]))
    sims = x[:n] @ x.T
    sims[np.arange(n), np.arange(n)] = -np.inf
    return float(np.mean(sims.argmax(axis=1) == np.arange(n) + n))


def photo_knn_accuracy(emb: np.ndarray, labels: np.ndarray) -> float:
    """Leave-one-out 1-NN accuracy (cosine) at telling which photo a piece came from.

    A cheap stand-in for the semantic quality that kNN label checks and
    uniqueness rely on.
    """
    x = normalize(emb)
    sims = x @ x.T
    np.fill_diagonal(sims, -np.inf)
    return float(np.mean(labels[sims.argmax(axis=1)] == labels))


def top1_classes(model: EmbeddingModel, emb: np.ndarray) -> np.ndarray:
    """ImageNet top-1 classes from pooled features, through the model's classifier."""
    import torch

    classifier = model.module.get_classifier()
    with torch.inference_mode():
        feats = torch.from_numpy(emb).to(model.device, model.dtype)
        return classifier(feats).argmax(1).cpu().numpy()


def bench_draft(folder: Path, size: int) -> tuple[float, float]:
    """Milliseconds per big JPEG decoded in full and with draft."""
    photo = Image.open(photo_paths()[0]).convert("RGB").resize((BIG_SIDE, BIG_SIDE * 2 // 3))
    paths = []
    for i in range(BIG_COUNT):
        p = folder / f"big_{i}.jpg"
        photo.rotate(i).save(p, quality=90)
        paths.append(str(p))
    times = []
    for draft in (None, size):
        t = time.perf_counter()
        for p in paths:
            load_image(p, draft)
        times.append((time.perf_counter() - t) / len(paths) * 1000)
    return times[0], times[1]


@dataclass(frozen=True)
class Config:
    """One timed configuration of embed_paths."""

    size: int
    channels_last: bool
    workers: int
    threads: int  # torch threads of the main process; 0: not applicable
    in_workers: bool  # the model runs in the workers (CPU) or in the main process


def grid(
    sizes: list[int], layouts: list[bool], workers: list[int], threads: list[int], on_gpu: bool
) -> list[Config]:
    """The configurations worth timing (no duplicates where a knob does not apply)."""
    out = []
    for size, cl, nw in itertools.product(sizes, layouts, workers):
        if on_gpu:
            out.append(Config(size, cl, nw, 0, False))
            continue
        if nw > 0:
            out.append(Config(size, cl, nw, 0, True))
        out += [Config(size, cl, nw, nt, False) for nt in threads]
    return out


def time_config(c: Config, paths: list[str], device: Any, batch_size: int | None) -> float:
    """End-to-end images/s of one configuration (model already loaded and warm)."""
    model = load_model(DEFAULT_MODEL, c.size, device)
    model.use_channels_last(c.channels_last)
    try:
        embed_paths(paths[:8], model=model, progress=False, num_workers=0)  # warm up
        r = embed_paths(
            paths, model=model, progress=False, num_workers=c.workers, batch_size=batch_size,
            num_threads=c.threads or None, model_in_workers=c.in_workers,
        )  # fmt: skip
    finally:
        model.use_channels_last(True)
    return r.images_per_second


def main() -> None:
    """Run the benchmark and print markdown tables."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--sizes", default="224,160,128")
    ap.add_argument("--device", default=None, help="cpu or cuda (default: cuda if available)")
    ap.add_argument("--workers", default=None, help="e.g. 0,1,2 (default: 0,1,2 CPU; 4,8,16 GPU)")
    ap.add_argument("--threads", default=None, help="torch threads on CPU, e.g. 1,2")
    ap.add_argument("--channels-last", default="on,off")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--side", type=int, default=IMAGE_SIDE, help="side of the timed JPEGs")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved rounds over the grid")
    args = ap.parse_args()

    device = resolve_device(args.device)
    on_gpu = device.type == "cuda"
    cores = len(os.sched_getaffinity(0))
    sizes = [int(s) for s in args.sizes.split(",")]
    workers = [int(w) for w in (args.workers or ("4,8,16" if on_gpu else "0,1,2")).split(",")]
    threads = [0] if on_gpu else [int(t) for t in (args.threads or f"1,{cores}").split(",")]
    layouts = [v == "on" for v in args.channels_last.split(",")]
    print(f"device={device} cores={cores} n={args.n} model={DEFAULT_MODEL}", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        q = min(args.n, QUALITY_N)
        qual_originals, copies, labels = make_images(folder / "quality", q)
        originals = qual_originals
        if args.n != q or args.side != IMAGE_SIDE:
            originals = make_images(folder / "speed", args.n, args.side, copies=False)[0]
        took = time.perf_counter() - t
        print(f"made {args.n} {args.side}-px JPEGs (+ {2 * q} for quality) in {took:.1f} s")

        print(f"\nquality on {q} pieces of {len(set(labels.tolist()))} photos + their copies")
        print("| size | copy recall@1 | photo 1-NN accuracy | ImageNet top-1 = at 224 px |")
        print("|---|---|---|---|")
        reference = None
        for size in sorted(set(sizes) | {NATIVE_SIZE}, reverse=True):
            model = load_model(DEFAULT_MODEL, size, device)
            kw = dict(model=model, progress=False, batch_size=args.batch_size)
            emb_o = embed_paths(qual_originals, **kw).embeddings
            top1 = top1_classes(model, emb_o)
            if size == NATIVE_SIZE:
                reference = top1
            if size not in sizes:
                continue
            emb_c = embed_paths(copies, **kw).embeddings
            recall, knn = copy_recall(emb_o, emb_c), photo_knn_accuracy(emb_o, labels)
            agree = float(np.mean(top1 == reference))
            print(f"| {size} | {recall:.3f} | {knn:.3f} | {agree:.3f} |", flush=True)

        configs = grid(sizes, layouts, workers, threads, on_gpu)
        print(f"\nspeed: {args.n} images, {len(configs)} configs, {args.repeat} interleaved rounds")
        runs: dict[Config, list[float]] = {c: [] for c in configs}
        for _ in range(args.repeat):
            for c in configs:
                runs[c].append(time_config(c, originals, device, args.batch_size))
        print("| size | channels_last | model runs in | workers | torch threads | images/s best "
              "| median |\n|---|---|---|---|---|---|---|")  # fmt: skip
        for c, speeds in runs.items():
            where = "workers" if c.in_workers else "main"
            threads_col = "1 each" if c.in_workers else (c.threads or "-")
            print(f"| {c.size} | {'on' if c.channels_last else 'off'} | {where} | {c.workers} | "
                  f"{threads_col} | {max(speeds):.1f} | {np.median(speeds):.1f} |")  # fmt: skip
        fastest = max(runs, key=lambda c: np.median(runs[c]))
        print(f"\nfastest by median: {fastest}: {np.median(runs[fastest]):.1f} images/s")

        full, drafted = bench_draft(folder, min(sizes))
        print(
            f"\nJPEG {BIG_SIDE}x{BIG_SIDE * 2 // 3} decode: {full:.1f} ms full, "
            f"{drafted:.1f} ms with draft to {min(sizes)} px ({full / drafted:.1f}x)"
        )


if __name__ == "__main__":
    main()
