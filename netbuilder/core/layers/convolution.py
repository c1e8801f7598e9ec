"""Convolutions, pooling and upsampling; shapes come from torch on the meta device."""

from __future__ import annotations

from ..params import Bool, Choice, Float, Int, Ints
from . import register
from .spec import LayerSpec


def in_channels(params, inputs):
    return {"in_channels": inputs[0].shape[0]}


def _conv_params(dims: int, transpose: bool = False):
    size = dims if dims > 1 else None
    out = [
        Int("out_channels", 16, "Number of filters.", minimum=1, required=True, key=True),
        Ints("kernel_size", 3, "Size of each filter.", length=size, required=True, key=True),
        Ints("stride", 1, "Step between filter positions.", length=size),
        Ints("padding", 0, "Zeros added on each side.", length=size, minimum=0),
    ]
    if transpose:
        out.append(Ints("output_padding", 0, "Extra size added to one side of the output.", length=size, minimum=0))
    out += [
        Ints("dilation", 1, "Spacing between filter taps.", length=size),
        Int("groups", 1, "Split channels into groups (depthwise when equal to channels).", minimum=1),
        Bool("bias", True, "Learn an additive bias."),
    ]
    return tuple(out)


_LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)"}
_HINT = {1: "", 2: "did you mean Linear?"}

for _dims in (1, 2):
    _layout = _LAYOUT[_dims]
    register(LayerSpec(
        f"Conv{_dims}d", "Convolution",
        f"{_dims}-D convolution over {_layout} input: learns local filters.",
        params=_conv_params(_dims), torch_class=f"Conv{_dims}d", ranks=(_dims + 2,),
        expects=_layout, hint=_HINT[_dims], infer_args=in_channels,
    ))
    register(LayerSpec(
        f"ConvTranspose{_dims}d", "Convolution",
        f"Transposed {_dims}-D convolution: learnable upsampling of {_layout} input.",
        params=_conv_params(_dims, transpose=True), torch_class=f"ConvTranspose{_dims}d",
        ranks=(_dims + 2,), expects=_layout, infer_args=in_channels,
    ))


def _pool_params(dims: int, kind: str):
    size = dims if dims > 1 else None
    out = [
        Ints("kernel_size", 2, "Window size.", length=size, required=True, key=True),
        Ints("stride", None, "Window step (empty: the kernel size).", length=size, optional=True),
        Ints("padding", 0, "Padding on each side.", length=size, minimum=0),
    ]
    if kind == "Max":
        out.append(Ints("dilation", 1, "Spacing between window taps.", length=size))
    out.append(Bool("ceil_mode", False, "Round the output size up instead of down."))
    return tuple(out)


for _dims in (1, 2):
    _layout = _LAYOUT[_dims]
    for _kind in ("Max", "Avg"):
        register(LayerSpec(
            f"{_kind}Pool{_dims}d", "Pooling",
            f"{'Maximum' if _kind == 'Max' else 'Average'} over sliding windows of {_layout} input.",
            params=_pool_params(_dims, _kind), torch_class=f"{_kind}Pool{_dims}d",
            ranks=(_dims + 2,), expects=_layout,
        ))
    for _kind in ("Avg", "Max"):
        register(LayerSpec(
            f"Adaptive{_kind}Pool{_dims}d", "Pooling",
            f"{'Average' if _kind == 'Avg' else 'Maximum'} pooling to a fixed output size, whatever the input size.",
            params=(Ints("output_size", 1, "Output size.", length=_dims if _dims > 1 else None,
                         required=True, key=True),),
            torch_class=f"Adaptive{_kind}Pool{_dims}d", ranks=(_dims + 2,), expects=_layout,
        ))

register(LayerSpec(
    "Upsample", "Pooling", "Upsamples (N, C, L) or (N, C, H, W) input by a scale factor.",
    params=(
        Float("scale_factor", 2.0, "Multiplier of the spatial size.", minimum=0.01, key=True),
        Choice("mode", ["nearest", "linear", "bilinear", "bicubic"], doc="Interpolation method."),
    ),
    torch_class="Upsample", ranks=(3, 4), expects="(N, C, L) or (N, C, H, W)",
))
