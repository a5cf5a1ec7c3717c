"""Image stats and quality flags on generated and real images, and on bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

import brain
import dataset_core as dc
from brain.quality import PIXEL_STATS, image_stats
from tests.brain.conftest import photo_sources

#: 50 megapixels, the issue's huge-image case
HUGE = (8000, 6250)


def _photo(name: str, side: int = 256) -> Image.Image:
    img = Image.open(photo_sources()[name]).convert("RGB")
    img.thumbnail((side, side))
    return img


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("quality")
    out = {}

    def save(name: str, img: Image.Image, **kw) -> None:
        out[name] = root / name
        img.save(out[name], **kw)

    save("black.png", Image.new("RGB", (64, 48), (0, 0, 0)))
    save("white.png", Image.new("RGB", (64, 48), (255, 255, 255)))
    save("photo.jpg", _photo("coffee.png"), quality=92)
    save("blurred.jpg", _photo("coffee.png").filter(ImageFilter.GaussianBlur(4)), quality=92)
    save("banner.jpg", _photo("astronaut.png", 512).crop((0, 200, 500, 300)), quality=92)
    save("tall.jpg", _photo("astronaut.png", 512).crop((200, 0, 300, 400)), quality=92)
    return out


@pytest.mark.parametrize(
    "name, flags",
    [
        ("black.png", ["dark", "low_information"]),
        ("white.png", ["bright", "low_information"]),
        ("photo.jpg", []),
        ("blurred.jpg", ["blurry"]),
        ("banner.jpg", ["odd_aspect_ratio"]),
        ("tall.jpg", ["odd_aspect_ratio"]),
    ],
)
def test_planted_images_get_their_flags(database, planted, name, flags):
    ds = dc.Dataset.from_images([str(p) for p in planted.values()], name="q")
    res = brain.compute_image_stats(ds)
    sample = ds.match({"filepath": str(planted[name])}).first()
    assert sample.quality_issues == flags
    assert res.counts["odd_aspect_ratio"] == 2 and res.counts["dark"] == 1


def test_stats_are_what_they_say(database, planted):
    ds = dc.Dataset.from_images([str(planted["photo.jpg"]), str(planted["blurred.jpg"]),
                                 str(planted["banner.jpg"])], name="q")  # fmt: skip
    brain.compute_image_stats(ds)
    photo, blurred, banner = (s.image_stats for s in ds)
    assert photo["width"] == 256 and photo["size_bytes"] == planted["photo.jpg"].stat().st_size
    assert blurred["blur"] < photo["blur"] / 10
    assert banner["aspect_ratio"] == pytest.approx(5.0)
    assert 0 <= photo["min"] < photo["mean"] < photo["max"] <= 255
    assert 0 < photo["contrast"] <= 1 and 5 < photo["entropy"] <= 8
    assert photo["unique_colors"] > blurred["unique_colors"] / 2
    info = brain.get_brain_info(ds, "image_stats")
    assert info.config["thresholds"]["blurry"] == brain.quality.BLUR_THRESHOLD
    assert len(ds.match({"quality_issues": "blurry"})) == 1


def test_thresholds_are_parameters(database, planted):
    ds = dc.Dataset.from_images([str(planted["photo.jpg"])], name="q")
    brain.compute_image_stats(ds, dark_threshold=255.0, blur_threshold=1e9)
    assert ds.first().quality_issues == ["dark", "blurry"]


def test_same_values_in_the_decode_pass_as_standalone(planted):
    from brain.decode import load_image

    img = load_image(str(planted["photo.jpg"]), 160)
    row = image_stats(img)
    assert row.shape == (len(PIXEL_STATS),) and row.dtype == np.float32
    np.testing.assert_allclose(row, image_stats(load_image(str(planted["photo.jpg"]), 160)))


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory) -> dict[str, Path]:
    """Every awkward kind of file the issue lists, each small except the 50 MP one."""
    root = tmp_path_factory.mktemp("bad")
    photo = _photo("chelsea.png")
    out = {name: root / name for name in (
        "cmyk.jpg", "sixteen.png", "palette.png", "rgba.png", "rotated.jpg", "huge.jpg",
        "tiny.png", "truncated.jpg", "empty.jpg", "text.jpg")}  # fmt: skip
    photo.convert("CMYK").save(out["cmyk.jpg"])
    gray16 = (np.asarray(photo.convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
    Image.fromarray(gray16).save(out["sixteen.png"])
    photo.convert("P", palette=Image.Palette.ADAPTIVE).save(out["palette.png"])
    rgba = photo.convert("RGBA")
    rgba.putalpha(128)
    rgba.save(out["rgba.png"])
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° to display
    photo.crop((0, 0, 240, 160)).save(out["rotated.jpg"], exif=exif)
    Image.linear_gradient("L").resize(HUGE).save(out["huge.jpg"], quality=50)
    Image.new("RGB", (4, 3), (40, 90, 200)).save(out["tiny.png"])
    full = root / "full.jpg"
    photo.save(full)
    out["truncated.jpg"].write_bytes(full.read_bytes()[:400])
    out["empty.jpg"].write_bytes(b"")
    out["text.jpg"].write_text("not an image at all")
    return out


def test_bad_input_is_measured_or_skipped_with_one_line(database, bad_inputs, capsys):
    ds = dc.Dataset.from_images([str(p) for p in bad_inputs.values()], name="bad")
    res = brain.compute_image_stats(ds)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("Image stats: skipped 3 images")
    assert res.skipped == 3
    stats = {Path(s.filepath).name: s.image_stats for s in ds}
    assert {n for n, s in stats.items() if s is None} == {"truncated.jpg", "empty.jpg", "text.jpg"}
    assert (stats["rotated.jpg"]["width"], stats["rotated.jpg"]["height"]) == (160, 240)
    assert (stats["huge.jpg"]["width"], stats["huge.jpg"]["height"]) == HUGE
    # 16 bits scaled to 8, not clipped to white: as bright as the 8-bit palette copy
    assert abs(stats["sixteen.png"]["mean"] - stats["palette.png"]["mean"]) < 5
    assert stats["rgba.png"]["mean"] > stats["cmyk.jpg"]["mean"]  # composited over white
    assert stats["tiny.png"]["unique_colors"] == 1
    assert ds.match({"filepath": str(bad_inputs["empty.jpg"])}).first().quality_issues is None
