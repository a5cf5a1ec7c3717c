"""Speed and quality of brain.embeddings: images/s per configuration, quality per size.

Usage::

    .venv/bin/python benchmarks/bench_embeddings.py [--n 400] [--sizes 224,160,128]
        [--precisions float32,bfloat16] [--device cpu|cuda] [--workers 0,1,2]
        [--threads 1,2] [--channels-last on,off] [--repeat 3] [--side 256]
        [--batch-size B] [--corpus benchmarks/_data/corpus] [--skip-speed]

It writes N JPEGs cut from the real photos that ship in the scikit-image and
scikit-learn wheels (random crops, flips and resizes, so the content is real),
plus an altered copy of each (90% crop, resize, JPEG quality 40). Then:

* speed: end-to-end ``embed_paths`` images/s over the grid of input size x
  precision x channels_last x workers x torch threads x where the model runs
  (in the workers, one thread each, or in the main process beside decode-only
  workers), in interleaved rounds so that a noisy neighbour hits every config;
* quality per input size and precision: copy recall@1 (the fraction of images
  whose nearest neighbour by cosine, among all other originals and copies, is
  their own copy), photo 1-NN accuracy (which photo a piece came from), and
  ImageNet top-1 agreement with 224 px float32;
* semantics, when the near-duplicate corpus of ``corpus.py`` is built: on its
  tuxpaint stamps (real photos of animals, food, objects... in class folders;
  classes with 5+ stamps), class 1-NN accuracy and how well a 10-NN label vote
  flags 10% flipped labels (AUROC, 20 seeds): what similarity search and the
  label-mistake check see;
* draft: JPEG decode time of big photos with and without ``Image.draft``.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import itertools
import json
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

from brain.decode import load_image  # noqa: E402
from brain.embeddings import embed_paths, normalize  # noqa: E402
from brain.models import (  # noqa: E402
    DEFAULT_MODEL,
    EmbeddingModel,
    load_model,
    native_bfloat16,
    resolve_device,
)

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
#: the near-duplicate corpus (benchmarks/corpus.py), whose tuxpaint stamps have classes
CORPUS = Path(__file__).resolve().parent / "_data" / "corpus"


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

    classifier = model.module.classifier
    with torch.inference_mode():
        feats = torch.from_numpy(emb).to(model.device, model.dtype)
        return classifier(feats).argmax(1).cpu().numpy()


#: stamps per class for a tuxpaint class to count (fewer cannot vote)
MIN_CLASS_SIZE = 5
#: labels flipped in the label-mistake simulation, and its seeds
FLIP_FRACTION, FLIP_SEEDS, VOTERS = 0.1, 20, 10


def tuxpaint_stamps(corpus: Path) -> tuple[list[str], np.ndarray]:
    """The corpus's tuxpaint originals and their class (first two folder levels)."""
    origins = json.loads((corpus / "truth.json").read_text())["origins"]
    tux = {f: o.split(":", 1)[1] for f, o in origins.items() if o.startswith("tuxpaint")}
    files = sorted(tux)
    labels = np.array(["/".join(tux[f].split("/")[:-1][:2]) for f in files])
    counts = collections.Counter(labels.tolist())
    keep = np.array([counts[x] >= MIN_CLASS_SIZE for x in labels])
    return [str(corpus / "images" / f) for f, k in zip(files, keep, strict=True) if k], labels[keep]


def _auroc(scores: np.ndarray, positive: np.ndarray) -> float:
    ranks = np.empty(len(scores))
    ranks[np.argsort(scores, kind="stable")] = np.arange(1, len(scores) + 1)
    n1, n0 = int(positive.sum()), int((~positive).sum())
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def class_quality(emb: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Class 1-NN accuracy, and the AUROC of a 10-NN vote at flagging flipped labels."""
    x = normalize(emb)
    sims = x @ x.T
    np.fill_diagonal(sims, -np.inf)
    nn = np.argsort(-sims, axis=1)[:, :VOTERS]
    classes = sorted(set(labels.tolist()))
    aucs = []
    for seed in range(FLIP_SEEDS):
        rng = np.random.default_rng(seed)
        noisy, flip = labels.copy(), rng.random(len(labels)) < FLIP_FRACTION
        for i in np.flatnonzero(flip):
            noisy[i] = rng.choice([c for c in classes if c != labels[i]])
        agree = (noisy[nn] == noisy[:, None]).mean(1)  # neighbours that share the label
        aucs.append(_auroc(-agree, flip))
    return float(np.mean(labels[nn[:, 0]] == labels)), float(np.mean(aucs))


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
    precision: str
    channels_last: bool
    workers: int
    threads: int  # torch threads of the main process; 0: not applicable
    in_workers: bool  # the model runs in the workers (CPU) or in the main process


def grid(
    sizes: list[int], precisions: list[str], layouts: list[bool], workers: list[int],
    threads: list[int], on_gpu: bool,
) -> list[Config]:  # fmt: skip
    """The configurations worth timing (no duplicates where a knob does not apply)."""
    out = []
    for size, prec, cl, nw in itertools.product(sizes, precisions, layouts, workers):
        if on_gpu:
            out.append(Config(size, prec, cl, nw, 0, False))
            continue
        if nw > 0:
            out.append(Config(size, prec, cl, nw, 0, True))
        out += [Config(size, prec, cl, nw, nt, False) for nt in threads]
    return out


def time_config(c: Config, paths: list[str], device: Any, batch_size: int | None) -> float:
    """End-to-end images/s of one configuration (model already loaded and warm)."""
    model = load_model(DEFAULT_MODEL, c.size, device, precision=c.precision)
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


def default_precisions(on_gpu: bool) -> str:
    """float16 on a GPU; float32, and bfloat16 where this CPU has it natively."""
    if on_gpu:
        return "float16"
    return "float32,bfloat16" if native_bfloat16() else "float32"


def quality_table(
    sizes: list[int], precisions: list[str], device: Any, batch_size: int | None,
    originals: list[str], copies: list[str], labels: np.ndarray, corpus: Path | None,
) -> None:  # fmt: skip
    """Print quality per (size, precision) against 224 px float32 (see the module doc)."""
    stamps = tuxpaint_stamps(corpus) if corpus and (corpus / "truth.json").exists() else None
    extra = " | tuxpaint class 1-NN | label-flip AUROC" if stamps else ""
    about = ""
    if stamps:
        about = f"; {len(stamps[0])} tuxpaint stamps in {len(set(stamps[1].tolist()))} classes"
    print(f"\nquality on {len(originals)} pieces of {len(set(labels.tolist()))} photos + their "
          f"copies{about}")  # fmt: skip
    print(f"| size | precision | copy recall@1 | photo 1-NN accuracy | ImageNet top-1 = at 224 px "
          f"float32{extra} |\n|---|---|---|---|---|{'---|---|' if stamps else ''}")  # fmt: skip
    reference = None
    ref_prec = "float16" if device.type == "cuda" else "float32"
    for size, prec in [(NATIVE_SIZE, ref_prec)] + list(itertools.product(sizes, precisions)):
        model = load_model(DEFAULT_MODEL, size, device, precision=prec)
        kw = dict(model=model, progress=False, batch_size=batch_size)
        emb_o = embed_paths(originals, **kw).embeddings
        top1 = top1_classes(model, emb_o)
        if reference is None:
            reference = top1
            continue
        emb_c = embed_paths(copies, **kw).embeddings
        recall, knn = copy_recall(emb_o, emb_c), photo_knn_accuracy(emb_o, labels)
        row = f"| {size} | {prec} | {recall:.3f} | {knn:.3f} | {np.mean(top1 == reference):.3f} |"
        if stamps:
            acc, auc = class_quality(embed_paths(stamps[0], **kw).embeddings, stamps[1])
            row += f" {acc:.3f} | {auc:.3f} |"
        print(row, flush=True)


def main() -> None:
    """Run the benchmark and print markdown tables."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--sizes", default="224,160,128")
    ap.add_argument("--precisions", default=None, help="default: float32,bfloat16 on CPU")
    ap.add_argument("--device", default=None, help="cpu or cuda (default: cuda if available)")
    ap.add_argument("--workers", default=None, help="e.g. 0,1,2 (default: 0,1,2 CPU; 4,8,16 GPU)")
    ap.add_argument("--threads", default=None, help="torch threads on CPU, e.g. 1,2")
    ap.add_argument("--channels-last", default="on,off")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--side", type=int, default=IMAGE_SIDE, help="side of the timed JPEGs")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved rounds over the grid")
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="for the tuxpaint semantics")
    ap.add_argument("--skip-speed", action="store_true", help="quality tables only")
    args = ap.parse_args()

    device = resolve_device(args.device)
    on_gpu = device.type == "cuda"
    cores = len(os.sched_getaffinity(0))
    sizes = [int(s) for s in args.sizes.split(",")]
    precisions = (args.precisions or default_precisions(on_gpu)).split(",")
    workers = [int(w) for w in (args.workers or ("4,8,16" if on_gpu else "0,1,2")).split(",")]
    threads = [0] if on_gpu else [int(t) for t in (args.threads or f"1,{cores}").split(",")]
    layouts = [v == "on" for v in args.channels_last.split(",")]
    print(f"device={device} cores={cores} n={args.n} model={DEFAULT_MODEL} load average "
          f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)  # fmt: skip

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
        quality_table(sizes, precisions, device, args.batch_size, qual_originals, copies, labels,
                      args.corpus)  # fmt: skip
        if args.skip_speed:
            return

        configs = grid(sizes, precisions, layouts, workers, threads, on_gpu)
        print(f"\nspeed: {args.n} images, {len(configs)} configs, {args.repeat} interleaved rounds")
        runs: dict[Config, list[float]] = {c: [] for c in configs}
        for _ in range(args.repeat):
            for c in configs:
                runs[c].append(time_config(c, originals, device, args.batch_size))
        print("| size | precision | channels_last | model runs in | workers | torch threads | "
              "images/s best | median |\n|---|---|---|---|---|---|---|---|")  # fmt: skip
        for c, speeds in runs.items():
            where = "workers" if c.in_workers else "main"
            threads_col = "1 each" if c.in_workers else (c.threads or "-")
            print(f"| {c.size} | {c.precision} | {'on' if c.channels_last else 'off'} | {where} | "
                  f"{c.workers} | {threads_col} | {max(speeds):.1f} | "
                  f"{np.median(speeds):.1f} |")  # fmt: skip
        fastest = max(runs, key=lambda c: np.median(runs[c]))
        print(f"\nfastest by median: {fastest}: {np.median(runs[fastest]):.1f} images/s")

        full, drafted = bench_draft(folder, min(sizes))
        print(
            f"\nJPEG {BIG_SIDE}x{BIG_SIDE * 2 // 3} decode: {full:.1f} ms full, "
            f"{drafted:.1f} ms with draft to {min(sizes)} px ({full / drafted:.1f}x)"
        )


if __name__ == "__main__":
    main()
