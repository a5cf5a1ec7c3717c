"""brain._algos.verify: batched pixel checks agree with Pillow, view by view and pair by pair;
its second stage (brain._algos.align) confirms crops, rotations and captions and
rejects tiles of one photo."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont, ImageOps

from brain._algos import neardup, verify
from brain.decode import gray_thumbnail
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


# ----------------------------------------------- the second stage (brain._algos.align)
# Copies made as benchmarks/corpus.py makes them (256-px squares, JPEG q90) and
# thumbnails as the decode pass makes them (brain.decode.gray_thumbnail).

#: a cosine distance between the pairs' embeddings: candidates (<= 0.45), but
#: neither close enough to confirm a pair (0.02) nor to support a lower NCC (0.2)
CANDIDATE_DISTANCE = 0.3


def _square(name: str, size: int = 256) -> Image.Image:
    img = Image.open(photo_sources()[name]).convert("RGB")
    return ImageOps.fit(img, (size, size), Image.Resampling.LANCZOS)


def _jpeg(img: Image.Image, quality: int = 90) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _crop(img: Image.Image, fraction: float, fx: float, fy: float) -> Image.Image:
    """A square ``fraction`` of the side, at ``fx``, ``fy`` of the free margin."""
    w = round(img.width * fraction)
    x, y = round((img.width - w) * fx), round((img.height - w) * fy)
    return img.crop((x, y, x + w, y + w))


def _rotate(img: Image.Image, degrees: float) -> Image.Image:
    return img.rotate(degrees, Image.Resampling.BICUBIC, fillcolor=(0, 0, 0))


def _caption(img: Image.Image) -> Image.Image:
    out = img.copy()
    font = ImageFont.load_default(size=36)
    ImageDraw.Draw(out).text((10, 100), "TOP SECRET", font=font, fill="white", stroke_width=2,
                             stroke_fill="black")  # fmt: skip
    return out


def _tile(name: str, row: int, col: int, side: int = 200) -> Image.Image:
    """A non-overlapping ``side``-px tile of a photo, as the corpus cuts wallpapers."""
    img = Image.open(photo_sources()[name]).convert("RGB")
    return img.crop((col * side, row * side, (col + 1) * side, (row + 1) * side))


def _thumbs(*images: Image.Image) -> np.ndarray:
    return np.stack([gray_thumbnail(img, 64) for img in images])


def _pair_embeddings(distance: float = CANDIDATE_DISTANCE) -> np.ndarray:
    """Two unit vectors ``distance`` apart (cosine)."""
    angle = math.acos(1 - distance)
    return np.array([[1.0, 0.0, 0.0], [math.cos(angle), math.sin(angle), 0.0]], np.float32)


COPIES = {  # each fails the first stage (pair_scores 0.45-0.96, under 0.975)
    "crop to 70 % at the top-left corner": ("astronaut.png", lambda im: _crop(im, 0.70, 0, 0)),
    "crop to 70 % at the centre": ("coffee.png", lambda im: _crop(im, 0.70, 0.5, 0.5)),
    "crop to 70 % at the bottom-right corner": ("rocket.jpg", lambda im: _crop(im, 0.70, 1, 1)),
    "crop to 80 % off centre": ("chelsea.png", lambda im: _crop(im, 0.80, 0.2, 0.7)),
    "rotation by 2.5 degrees": ("chelsea.png", lambda im: _rotate(im, 2.5)),
    "rotation by -2 degrees": ("coins.png", lambda im: _rotate(im, -2)),
    "caption written over it": ("rocket.jpg", _caption),
}


@pytest.mark.parametrize("name", COPIES)
def test_find_pairs_confirms_crops_rotations_and_captions(name: str):
    photo, edit = COPIES[name]
    original = _square(photo)
    thumbs = _thumbs(original, _jpeg(edit(original)))
    assert verify.pair_scores(thumbs, np.array([[0, 1]]))[0] < 0.975  # the first stage misses it
    found = neardup.find_pairs(_pair_embeddings(), thumbs)
    assert found.pairs.tolist() == [[0, 1]]
    assert found.aligned.tolist() == [True]


def test_find_pairs_confirms_a_5_degree_rotation():
    """pair_scores' own ±4 degree views catch 5 degrees (the second stage need not)."""
    original = _square("astronaut.png")
    thumbs = _thumbs(original, _jpeg(_rotate(original, 5)))
    assert neardup.find_pairs(_pair_embeddings(), thumbs).pairs.tolist() == [[0, 1]]


LOOKALIKES = {
    "neighbouring tiles of one photo": (("china.jpg", 0, 0), ("china.jpg", 0, 1)),
    "tiles one above the other": (("china.jpg", 0, 1), ("china.jpg", 1, 1)),
    "diagonal neighbours": (("china.jpg", 0, 0), ("china.jpg", 1, 1)),
    "two photos": ("astronaut.png", "coffee.png"),
    "two photos of animals": ("chelsea.png", "horse.png"),
}


@pytest.mark.parametrize("name", LOOKALIKES)
def test_second_stage_rejects_tiles_of_one_photo_and_other_photos(name: str):
    from brain._algos import align  # the second stage (absent before issue 15)

    a, b = (_tile(*x) if isinstance(x, tuple) else _square(x) for x in LOOKALIKES[name])
    thumbs = _thumbs(_jpeg(a), _jpeg(b))
    pairs = np.array([[0, 1]])
    first = verify.pair_scores(thumbs, pairs)
    found = align.aligned_scores(thumbs, pairs, first, np.array([CANDIDATE_DISTANCE]))
    assert not found.accepted().any()
    assert not len(neardup.find_pairs(_pair_embeddings(), thumbs).pairs)


def test_box_weights_are_pillows_resize(thumbs: np.ndarray):
    from brain._algos import align, pixels

    x = thumbs[:4].astype(np.float32)
    for box in ((0.0, 0.0, 64.0, 64.0), (3.25, 7.5, 50.75, 55.0), (10.5, 0.25, 40.3, 29.9)):
        lo_x, lo_y, hi_x, hi_y = box
        rows = pixels.box_weights(np.full(4, lo_y), np.full(4, hi_y), 64, align.COMPARE_SIDE)
        cols = pixels.box_weights(np.full(4, lo_x), np.full(4, hi_x), 64, align.COMPARE_SIDE)
        ours = rows @ x @ cols.transpose(0, 2, 1)
        size = (align.COMPARE_SIDE, align.COMPARE_SIDE)
        pil = np.stack([np.asarray(Image.fromarray(t).resize(size, Image.Resampling.BILINEAR,
                                                              box=box), np.float32)
                        for t in thumbs[:4]])  # fmt: skip
        assert np.abs(ours - pil).max() <= ROUNDING


@pytest.mark.parametrize("angle", [-2.5, 1.5, *verify.ROTATIONS])
def test_sparse_rotation_is_pillows_rotate(thumbs: np.ndarray, angle: float):
    ours = verify.rotate(thumbs.astype(np.float32), angle)
    pil = np.stack([np.asarray(Image.fromarray(t).rotate(angle, Image.Resampling.BILINEAR))
                    for t in thumbs]).astype(np.float32)  # fmt: skip
    assert np.abs(ours - pil).max() <= ROUNDING


def test_second_stage_on_no_pairs(thumbs: np.ndarray):
    from brain._algos import align

    found = align.aligned_scores(thumbs, np.zeros((0, 2), np.int64))
    assert found.accepted().shape == (0,)
