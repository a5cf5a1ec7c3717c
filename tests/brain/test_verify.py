"""brain._algos.verify: batched pixel checks agree with Pillow, view by view and pair by pair."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from brain._algos import verify
from tests.brain.conftest import photo_sources

pytestmark = pytest.mark.unit  # no mongod, no model, no browser

#: grey levels Pillow's 8-bit rounding may differ by from exact float resampling
ROUNDING = 1.0


@pytest.fixture(scope="module")
def thumbs() -> np.ndarray:
    """64-px grayscale thumbnails of real photos, their altered copies and a flat image."""
    src = photo_sources()
    out = []
    for name in ("chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg", "camera.png"):
        img = Image.open(src[name]).convert("L").resize((64, 64), Image.Resampling.BILINEAR)
        out.append(np.asarray(img))
    base = Image.fromarray(out[0])
    out.append(np.asarray(base.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))  # 5: mirror of 0
    out.append(np.asarray(base.crop((4, 4, 60, 60)).resize((64, 64))))  # 6: centre crop of 0
    out.append(np.asarray(Image.fromarray(out[1]).rotate(3, Image.Resampling.BILINEAR)))  # 7
    out.append(np.full((64, 64), 128, np.uint8))  # 8: flat
    return np.stack(out)


def _pil_view(thumb: np.ndarray, box=None) -> np.ndarray:
    img = Image.fromarray(thumb)
    size = (verify.COMPARE_SIZE, verify.COMPARE_SIZE)
    return np.asarray(img.resize(size, Image.Resampling.BILINEAR, box=box), dtype=np.float32)


def _reference_scores(thumbs: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """The check done one Pillow call at a time (the straightforward, slow way)."""

    def unit(v: np.ndarray) -> np.ndarray:
        v = v.reshape(len(v), -1) - v.reshape(len(v), -1).mean(1, keepdims=True)
        n = np.linalg.norm(v, axis=1, keepdims=True)
        return np.where(n >= verify.FLAT_NORM, v / np.maximum(n, 1e-6), 0.0)

    def variants(t: np.ndarray) -> np.ndarray:
        h, w = t.shape
        views = [_pil_view(t)]
        views += [_pil_view(np.asarray(Image.fromarray(t).rotate(a, Image.Resampling.BILINEAR)))
                  for a in verify.ROTATIONS]  # fmt: skip
        for f in verify.CROP_FRACTIONS:
            cw, ch = w * f, h * f
            for oy in verify.CROP_OFFSETS:
                for ox in verify.CROP_OFFSETS:
                    x0, y0 = (w - cw) * ox, (h - ch) * oy
                    views.append(_pil_view(t, (x0, y0, x0 + cw, y0 + ch)))
        views += [v[:, ::-1] for v in views]
        return unit(np.stack(views))

    whole = {i: unit(_pil_view(thumbs[i])[None])[0] for i in np.unique(pairs)}
    return np.array([max((variants(thumbs[a]) @ whole[b]).max(),
                         (variants(thumbs[b]) @ whole[a]).max()) for a, b in pairs])  # fmt: skip


def test_axis_weights_are_pillows_resize(thumbs: np.ndarray):
    x = thumbs[:4].astype(np.float32)
    for box in (None, (0.0, 0.0, 60.16, 60.16), (3.84, 1.92, 64.0, 62.08)):
        lo_x, lo_y, hi_x, hi_y = box or (0.0, 0.0, 64.0, 64.0)
        rows = verify._axis_weights(64, lo_y, hi_y)
        cols = verify._axis_weights(64, lo_x, hi_x)
        ours = verify._resample(x, rows, [cols])[:, 0]
        pil = np.stack([_pil_view(t, box) for t in thumbs[:4]])
        assert np.abs(ours - pil).max() <= ROUNDING


@pytest.mark.parametrize("angle", verify.ROTATIONS)
def test_rotation_samples_like_pillow(thumbs: np.ndarray, angle: float):
    idx, wts = verify._rotation_taps(64, 64, angle)
    flat = thumbs.reshape(len(thumbs), -1).astype(np.float32)
    ours = sum(flat[:, idx[t]] * wts[t] for t in range(4)).reshape(thumbs.shape)
    pil = np.stack([np.asarray(Image.fromarray(t).rotate(angle, Image.Resampling.BILINEAR))
                    for t in thumbs]).astype(np.float32)  # fmt: skip
    assert np.abs(ours - pil).max() <= ROUNDING


def test_pair_scores_match_the_one_call_at_a_time_check(thumbs: np.ndarray):
    n = len(thumbs)
    pairs = np.array([(a, b) for a in range(n) for b in range(a + 1, n)])
    ours = verify.pair_scores(thumbs, pairs)
    assert np.abs(ours - _reference_scores(thumbs, pairs)).max() < 0.01


def test_pair_scores_tell_copies_from_other_photos(thumbs: np.ndarray):
    copies = verify.pair_scores(thumbs, np.array([[0, 5], [0, 6], [1, 7]]))
    others = verify.pair_scores(thumbs, np.array([[0, 1], [2, 3], [3, 4]]))
    assert copies.min() > 0.97 and others.max() < 0.9
    flat_vs_photo, flat_vs_flat = verify.pair_scores(thumbs, np.array([[8, 0], [8, 8]]))
    assert flat_vs_flat == 0.0 and flat_vs_photo < 0.2  # only rotated corners have a pattern
    assert verify.pair_scores(thumbs, np.zeros((0, 2))).shape == (0,)


def test_chunks_do_not_change_the_scores(thumbs: np.ndarray, monkeypatch: pytest.MonkeyPatch):
    pairs = np.array([[0, 5], [6, 0], [1, 7], [2, 3], [4, 8], [5, 6]])
    whole = verify.pair_scores(thumbs, pairs)
    monkeypatch.setattr(verify, "VIEW_CHUNK", 2)
    np.testing.assert_allclose(verify.pair_scores(thumbs, pairs), whole, atol=1e-6)
