"""Pixel-level check of near-duplicate candidates.

Image embeddings from an ImageNet model find "the same kind of thing", not
"the same image": two different dogs can sit closer than a photo and its crop.
So candidate pairs are confirmed on the pixels themselves: the normalised
cross-correlation (NCC) of small grayscale thumbnails, which ignores
brightness/contrast changes, colour (grayscale copies), re-encoding and
resizing. It is made flip-aware (the mirrored thumbnail is tried too) and
crop-aware (crops of one image at a few scales and positions are tried against
the other), since those are the edits NCC alone misses.

Every view (the whole thumbnail, a crop, a slight rotation) is a linear map of
the thumbnail's pixels, so all of them are computed for a whole batch of
thumbnails at once with matrix products: the resampling weights are Pillow's
own (bilinear, read off by resizing an identity image), and rotations sample
like Pillow's ``rotate(angle, BILINEAR)``. Work and memory are bounded per
chunk of thumbnails, whatever their number; chunks run in parallel threads,
each with single-threaded BLAS.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from .knn import single_threaded_blas

if TYPE_CHECKING:
    import torch

#: side of the thumbnails compared (24 px keeps texture out and layout in)
COMPARE_SIZE = 24
#: crop fractions tried (edits that crop keep 85-95 % of the side in practice;
#: deeper crops, to 70 %, are searched for by the second stage, brain._algos.align)
CROP_FRACTIONS = (0.94, 0.88, 0.82)
#: crop positions tried per fraction, as fractions of the free margin
CROP_OFFSETS = (0.0, 0.5, 1.0)
#: small rotations tried (degrees): slightly rotated copies, e.g. re-scans
ROTATIONS = (-4.0, 4.0)
#: thumbnails whose views are held at once (each: 30 views x 576 floats, 69 KB)
VIEW_CHUNK = 256
#: a view whose pixels deviate from their mean by less than this in all (L2 norm,
#: grey levels) is flat: it gets a zero vector (NCC 0), not amplified float noise
FLAT_NORM = 0.5


@lru_cache(maxsize=64)
def _axis_weights(size: int, lo: float, hi: float) -> np.ndarray:
    """``(COMPARE_SIZE, size)``: Pillow's bilinear resampling of ``[lo, hi)`` of one axis.

    Resizing an identity image (mode "F", one axis only) returns the weights
    themselves: output column j of row r is the weight of input pixel r in j.
    """
    eye = Image.fromarray(np.eye(size, dtype=np.float32))
    out = eye.resize((COMPARE_SIZE, size), Image.Resampling.BILINEAR, box=(lo, 0, hi, size))
    return np.ascontiguousarray(np.asarray(out, dtype=np.float32).T)


@lru_cache(maxsize=8)
def _rotation_taps(h: int, w: int, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Source pixel indices and weights ``(4, h*w)`` of ``Image.rotate(angle, BILINEAR)``.

    Pillow maps each output pixel centre through the inverse rotation about the
    image centre, samples bilinearly (edge pixels clamped) and leaves pixels
    that fall outside the source black.
    """
    rad = -math.radians(angle)
    a, b = round(math.cos(rad), 15), round(math.sin(rad), 15)
    d, e = -b, a
    cx, cy = w / 2.0, h / 2.0
    c = a * -cx + b * -cy + cx
    f = d * -cx + e * -cy + cy
    y, x = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5
    xin, yin = a * x + b * y + c, d * x + e * y + f
    inside = (xin >= 0) & (xin < w) & (yin >= 0) & (yin < h)
    xs, ys = xin - 0.5, yin - 0.5
    x0, y0 = np.floor(xs).astype(np.int64), np.floor(ys).astype(np.int64)
    dx, dy = xs - x0, ys - y0
    c0, c1 = np.clip(x0, 0, w - 1), np.clip(x0 + 1, 0, w - 1)
    r0 = np.clip(y0, 0, h - 1)
    r1 = np.where((y0 + 1 >= 0) & (y0 + 1 < h), y0 + 1, r0)
    idx = np.stack([r0 * w + c0, r0 * w + c1, r1 * w + c0, r1 * w + c1]).reshape(4, -1)
    wts = np.stack([(1 - dx) * (1 - dy), dx * (1 - dy), (1 - dx) * dy, dx * dy])
    wts = (wts * inside).reshape(4, -1).astype(np.float32)
    return idx, wts


def _threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _normalise(v: np.ndarray) -> np.ndarray:
    """Zero-mean, unit-norm rows along the last axis (zero rows for flat views)."""
    v = v - v.mean(axis=-1, keepdims=True)
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.where(n >= FLAT_NORM, v / np.maximum(n, FLAT_NORM), 0.0).astype(np.float32)


def _resample(x: np.ndarray, rows: np.ndarray, cols: list[np.ndarray]) -> np.ndarray:
    """``(N, len(cols), S, S)``: ``rows @ x[n] @ col.T`` for each column matrix."""
    n, h, w = x.shape
    tall = (rows @ x.transpose(1, 0, 2).reshape(h, n * w)).reshape(len(rows), n, w)
    out = tall.transpose(1, 0, 2).reshape(n * len(rows), w) @ np.concatenate(cols).T
    return out.reshape(n, len(rows), len(cols), len(rows)).transpose(0, 2, 1, 3)


def _whole(x: np.ndarray) -> np.ndarray:
    """``(N, S, S)`` float views of whole float images ``x`` ``(N, H, W)``."""
    _, h, w = x.shape
    return _resample(x, _axis_weights(h, 0.0, float(h)), [_axis_weights(w, 0.0, float(w))])[:, 0]


def thumbnail_vectors(thumbs: np.ndarray) -> np.ndarray:
    """Unit-norm, zero-mean ``COMPARE_SIZE``² vectors of whole thumbnails (N, d)."""
    thumbs = np.asarray(thumbs)
    out = np.empty((len(thumbs), COMPARE_SIZE * COMPARE_SIZE), dtype=np.float32)
    with single_threaded_blas():
        for start in range(0, len(thumbs), VIEW_CHUNK * 16):
            part = thumbs[start : start + VIEW_CHUNK * 16].astype(np.float32)
            out[start : start + len(part)] = _normalise(_whole(part).reshape(len(part), -1))
    return out


@lru_cache(maxsize=8)
def _rotation_matrix(h: int, w: int, angle: float) -> torch.Tensor:
    """``(h*w, h*w)`` sparse: Pillow's ``rotate(angle, BILINEAR)`` of a flattened image.

    Four taps per output pixel; a sparse product reads each image once, where
    gathering the taps reads it four times (10x slower on 1,000 thumbnails) and
    a dense (576, 4096) rotate-and-resample matrix does 30x the arithmetic.
    """
    import torch

    idx, wts = _rotation_taps(h, w, angle)
    rows = np.tile(np.arange(h * w), 4)
    at = torch.from_numpy(np.stack([rows, idx.ravel()]))
    return torch.sparse_coo_tensor(at, torch.from_numpy(wts.ravel()), (h * w, h * w),
                                   check_invariants=True).coalesce()  # fmt: skip


def rotate(x: np.ndarray, angle: float) -> np.ndarray:
    """Images ``x`` ``(K, S, S)`` rotated as Pillow's ``rotate(angle, BILINEAR)``."""
    import torch

    k, h, w = x.shape
    flat = torch.from_numpy(np.ascontiguousarray(x.reshape(k, h * w).T, dtype=np.float32))
    return torch.sparse.mm(_rotation_matrix(h, w, angle), flat).numpy().T.reshape(k, h, w)


def _raw_views(thumbs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(N, V, d)`` views (whole, rotations, crops; not mirrored) and their centred norms."""
    x = np.asarray(thumbs, dtype=np.float32)
    n, h, w = x.shape
    views = [_whole(x).reshape(n, 1, -1)]
    views += [_whole(rotate(x, a)).reshape(n, 1, -1) for a in ROTATIONS]
    for f in CROP_FRACTIONS:
        cw, ch = w * f, h * f
        cols = [_axis_weights(w, (w - cw) * o, (w - cw) * o + cw) for o in CROP_OFFSETS]
        for oy in CROP_OFFSETS:
            y0 = (h - ch) * oy
            views.append(_resample(x, _axis_weights(h, y0, y0 + ch), cols).reshape(n, 3, -1))
    v = np.concatenate(views, axis=1)
    return v, np.linalg.norm(v - v.mean(axis=-1, keepdims=True), axis=-1)


def pair_scores(thumbs: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """The best NCC of each pair over flips, rotations and crops (either side altered).

    NCC of a view ``u`` with a whole, zero-mean, unit vector ``w`` is
    ``u . w / |u - mean(u)|`` (the mean drops out against a zero-mean ``w``),
    and a mirrored view against ``w`` is the view against mirrored ``w``: so
    raw views are compared with both ``w`` and its mirror, never copied.

    Args:
        thumbs: (N, T, T) uint8 grayscale thumbnails (T >= 24; 64 works well).
        pairs: (P, 2) row indices.

    Returns:
        (P,) scores in [-1, 1]; 1 means the same pixels up to brightness.
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if not len(pairs):
        return np.zeros(0, dtype=np.float32)
    used, pos = np.unique(pairs, return_inverse=True)
    pos = pos.reshape(-1, 2)
    whole = thumbnail_vectors(thumbs[used])
    side_len = COMPARE_SIZE
    mirrored = whole.reshape(-1, side_len, side_len)[:, :, ::-1].reshape(len(used), -1)
    both = np.stack([whole, mirrored], axis=1)  # (U, 2, d)
    # each pair gets one score per side, written by the chunk that holds that side
    best = np.full((2, len(pairs)), -np.inf, dtype=np.float32)
    orders = [np.argsort(pos[:, side], kind="stable") for side in (0, 1)]
    bounds = [np.searchsorted(pos[o, side], np.arange(len(used) + 1)) for side, o in
              enumerate(orders)]  # fmt: skip

    def score_chunk(start: int) -> None:
        views, norms = _raw_views(thumbs[used[start : start + VIEW_CHUNK]])
        inv = np.where(norms < FLAT_NORM, 0.0, 1.0 / np.maximum(norms, FLAT_NORM))
        inv = inv.astype(np.float32)
        for side in (0, 1):  # this side's altered views against the other's whole
            for local in range(len(views)):
                u = start + local
                sel = orders[side][bounds[side][u] : bounds[side][u + 1]]
                if not len(sel):
                    continue
                other = both[pos[sel, 1 - side]].reshape(-1, views.shape[-1])  # (2k, d)
                s = (views[local] @ other.T) * inv[local][:, None]  # (V, 2k)
                best[side, sel] = s.reshape(len(s), len(sel), 2).max(axis=(0, 2))

    with single_threaded_blas(), ThreadPoolExecutor(_threads()) as pool:
        list(pool.map(score_chunk, range(0, len(used), VIEW_CHUNK)))
    return best.max(axis=0)
