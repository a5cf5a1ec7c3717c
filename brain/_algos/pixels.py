"""Image arrays as the second-stage pixel check compares them (see
:mod:`brain._algos.align`): Pillow's bilinear resampling as matrices (whole
axes and fractional boxes), the band-pass "detail" of an image, and normalised
cross-correlation (NCC) of many windows at once, with and without a band of rows.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

from .verify import FLAT_NORM

#: Gaussian sigmas (px of the compared image) of the band-pass "detail": the
#: first drops JPEG noise, the second the shading
DETAIL_SIGMAS = (0.7, 2.5)

#: thumbnails resampled (to float) at once, and whose coarse windows are held
THUMB_CHUNK = 2048


@lru_cache(maxsize=128)
def weights(size: int, out: int) -> np.ndarray:
    """``(out, size)``: Pillow's bilinear resize of a whole axis (antialiased)."""
    eye = Image.fromarray(np.eye(size, dtype=np.float32))
    resized = eye.resize((out, size), Image.Resampling.BILINEAR)
    return np.ascontiguousarray(np.asarray(resized, dtype=np.float32).T)


def resize(x: np.ndarray, out: int) -> np.ndarray:
    """``(N, out, out)`` float: images ``x`` ``(N, H, W)`` resized as Pillow does
    (in chunks of ``THUMB_CHUNK``, so that no float copy of all of ``x`` is made)."""
    n, h, w = x.shape
    if (h, w) == (out, out):
        return x.astype(np.float32, copy=False)
    rows, cols = weights(h, out), weights(w, out).T
    res = np.empty((n, out, out), np.float32)
    for start in range(0, n, THUMB_CHUNK):
        res[start : start + THUMB_CHUNK] = (
            rows @ x[start : start + THUMB_CHUNK].astype(np.float32) @ cols
        )
    return res


def box_weights(lo: np.ndarray, hi: np.ndarray, size: int, out: int) -> np.ndarray:
    """``(K, out, size)``: Pillow's bilinear resize of ``[lo[k], hi[k])`` of an axis.

    Pillow's rule, vectorised over fractional boxes: the triangle filter,
    widened by the scale when shrinking, normalised per output pixel.
    """
    lo, hi = np.asarray(lo, np.float32)[:, None], np.asarray(hi, np.float32)[:, None]
    scale = (hi - lo) / out
    support = np.maximum(scale, 1.0)[..., None]
    centre = (lo + (np.arange(out, dtype=np.float32) + 0.5) * scale)[..., None]  # (K, out, 1)
    w = np.abs(np.arange(size, dtype=np.float32) + 0.5 - centre)
    w /= support
    np.subtract(1.0, w, out=w)
    np.maximum(w, 0.0, out=w)
    w /= np.maximum(w.sum(axis=-1, keepdims=True), 1e-12)
    return w


@lru_cache(maxsize=8)
def blur(size: int, sigma: float) -> np.ndarray:
    """``(size, size)``: a Gaussian blur of one axis, renormalised at the borders."""
    d = np.arange(size)[:, None] - np.arange(size)[None, :]
    g = np.exp(-0.5 * (d / sigma) ** 2)
    return (g / g.sum(axis=1, keepdims=True)).astype(np.float32)


def detail(x: np.ndarray) -> np.ndarray:
    """Band-pass detail of images ``(N, S, S)``: a difference of two Gaussian blurs."""
    s = x.shape[-1]
    fine, coarse = (blur(s, sigma) for sigma in DETAIL_SIGMAS)
    return fine @ x @ fine.T - coarse @ x @ coarse.T


def unit(v: np.ndarray) -> np.ndarray:
    """Zero-mean, unit-norm rows along the last axis (zero rows for flat ones)."""
    v = v - v.mean(axis=-1, keepdims=True)
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.where(n >= FLAT_NORM, v / np.maximum(n, FLAT_NORM), 0.0).astype(np.float32)


def ncc(windows: np.ndarray, template: np.ndarray) -> np.ndarray:
    """NCC of windows ``(K, W, d)`` with unit zero-mean templates ``(K, d)``: ``(K, W)``.

    Against a zero-mean template the window's mean drops out of the dot product;
    it only enters the window's centred norm, from its sum and sum of squares.
    """
    d = windows.shape[-1]
    dots = np.matmul(windows, template[:, :, None])[..., 0]
    sq = np.einsum("kwd,kwd->kw", windows, windows) - windows.sum(axis=-1) ** 2 / d
    norms = np.sqrt(np.maximum(sq, 0.0))
    return np.where(norms >= FLAT_NORM, dots / np.maximum(norms, FLAT_NORM), 0.0)


def band_sums(x: np.ndarray, band: int) -> np.ndarray:
    """``(K, S - band + 1)``: sums of ``band`` consecutive entries of rows ``x`` ``(K, S)``."""
    c = np.concatenate([np.zeros((len(x), 1), x.dtype), np.cumsum(x, axis=1)], axis=1)
    return c[:, band:] - c[:, :-band]


def masked_ncc(a: np.ndarray, b: np.ndarray, band: int) -> np.ndarray:
    """NCC of images ``a``, ``b`` ``(K, S, S)`` without the ``band`` rows where they differ most.

    The rows are those with the largest squared difference of the standardised
    images: where a caption or watermark was written over one of them.
    """
    s = a.shape[1]
    za, zb = (
        (x - x.mean(axis=(1, 2), keepdims=True))
        / np.maximum(x.std(axis=(1, 2), keepdims=True), 1e-3)
        for x in (a, b)
    )
    top = band_sums(((za - zb) ** 2).sum(axis=2), band).argmax(axis=1)
    keep = np.abs(np.arange(s)[None] - (top[:, None] + (band - 1) / 2)) > (band - 1) / 2
    n = keep.sum(axis=1) * s
    sums = [(v * keep).sum(axis=1) for v in (za.sum(2), zb.sum(2), (za * za).sum(2),
                                               (zb * zb).sum(2), (za * zb).sum(2))]  # fmt: skip
    sa, sb, saa, sbb, sab = sums
    cov = sab - sa * sb / n
    var = np.maximum(saa - sa * sa / n, 0) * np.maximum(sbb - sb * sb / n, 0)
    return np.where(var > 0, cov / np.sqrt(np.maximum(var, 1e-12)), 0.0).astype(np.float32)
