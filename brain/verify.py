"""Pixel-level check of near-duplicate candidates.

Image embeddings from an ImageNet model find "the same kind of thing", not
"the same image": two different dogs can sit closer than a photo and its crop.
So candidate pairs are confirmed on the pixels themselves: the normalised
cross-correlation (NCC) of small grayscale thumbnails, which ignores
brightness/contrast changes, colour (grayscale copies), re-encoding and
resizing. It is made flip-aware (the mirrored thumbnail is tried too) and
crop-aware (crops of one image at a few scales and positions are tried against
the other), since those are the edits NCC alone misses.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

#: side of the thumbnails compared (24 px keeps texture out and layout in)
COMPARE_SIZE = 24
#: crop fractions tried (edits that crop keep 85-95 % of the side in practice)
CROP_FRACTIONS = (0.94, 0.88, 0.82)
#: crop positions tried per fraction, as fractions of the free margin
CROP_OFFSETS = (0.0, 0.5, 1.0)
#: small rotations tried (degrees): slightly rotated copies, e.g. re-scans
ROTATIONS = (-4.0, 4.0)


def _normalise(v: np.ndarray) -> np.ndarray:
    v = v.reshape(len(v), -1).astype(np.float32)
    v -= v.mean(axis=1, keepdims=True)
    n = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.maximum(n, 1e-6)


def _resize(img: np.ndarray, box: tuple[float, float, float, float] | None = None) -> np.ndarray:
    pil = Image.fromarray(img)
    out = pil.resize((COMPARE_SIZE, COMPARE_SIZE), Image.BILINEAR, box=box)
    return np.asarray(out, dtype=np.float32)


def thumbnail_vectors(thumbs: np.ndarray) -> np.ndarray:
    """Unit-norm, zero-mean ``COMPARE_SIZE``² vectors of whole thumbnails (N, d)."""
    return _normalise(np.stack([_resize(t) for t in thumbs]))


def _variants(thumb: np.ndarray) -> np.ndarray:
    """The whole image, slight rotations and crops, and their mirrors: (V, d) unit vectors."""
    h, w = thumb.shape
    views = [_resize(thumb)]
    pil = Image.fromarray(thumb)
    for angle in ROTATIONS:
        views.append(_resize(np.asarray(pil.rotate(angle, Image.BILINEAR))))
    for f in CROP_FRACTIONS:
        cw, ch = w * f, h * f
        for oy in CROP_OFFSETS:
            for ox in CROP_OFFSETS:
                x0, y0 = (w - cw) * ox, (h - ch) * oy
                views.append(_resize(thumb, (x0, y0, x0 + cw, y0 + ch)))
    views += [v[:, ::-1] for v in views]
    return _normalise(np.stack(views))


def pair_scores(thumbs: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """The best NCC of each pair over flips and crops (either side cropped).

    Args:
        thumbs: (N, T, T) uint8 grayscale thumbnails (T >= 24; 64 works well).
        pairs: (P, 2) row indices.

    Returns:
        (P,) scores in [-1, 1]; 1 means the same pixels up to brightness.
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if not len(pairs):
        return np.zeros(0, dtype=np.float32)
    used = np.unique(pairs)
    whole = {int(i): v for i, v in zip(used, thumbnail_vectors(thumbs[used]), strict=True)}
    variants = {int(i): _variants(thumbs[i]) for i in used}
    out = np.empty(len(pairs), dtype=np.float32)
    for p, (a, b) in enumerate(pairs):
        # b against every variant of a, and a against every variant of b
        out[p] = max(float((variants[a] @ whole[b]).max()), float((variants[b] @ whole[a]).max()))
    return out
