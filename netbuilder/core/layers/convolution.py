"""Convolutions, pooling and upsampling.

Their shapes follow torch's own formulas, written out by hand: running these
layers on the meta device costs torch a one-off import of about a second
(sympy) and then a fraction of a millisecond per new parameter value, too slow
for the first keystroke. The agreement tests compare every rule, errors
included, with real torch.
"""

from __future__ import annotations

import math

from ..params import Bool, Choice, Float, Int, Ints
from . import register
from .spec import Emit, LayerSpec, TensorType, TokenIds, no_parameters


def in_channels(params, inputs):
    return {"in_channels": inputs[0].shape[0]}


def expand(value, dims: int) -> tuple[int, ...]:
    """``3`` → ``(3, 3)`` for 2-D layers; tuples pass through."""
    return tuple(value) if isinstance(value, (list, tuple)) else (value,) * dims


def _sizes(values) -> str:
    return " x ".join(map(str, values))


def _too_small(inputs: list[TensorType], out: list[int]) -> ValueError:
    return ValueError(f"the output would have size {_sizes(out)}: the input {inputs[0].text()} is too small "
                      "for this kernel_size, stride and padding")


def _conv_params(dims: int, transpose: bool = False):
    out = [
        Int("out_channels", 16, "Number of filters.", minimum=1, required=True, key=True),
        Ints("kernel_size", 3, "Size of each filter.", length=dims, required=True, key=True),
        Ints("stride", 1, "Step between filter positions.", length=dims),
        Ints("padding", 0, "Zeros added on each side.", length=dims, minimum=0),
    ]
    if transpose:
        out.append(Ints("output_padding", 0, "Extra size added to one side of the output.", length=dims, minimum=0))
    out += [
        Ints("dilation", 1, "Spacing between filter taps.", length=dims),
        Int("groups", 1, "Split channels into groups (depthwise when equal to channels).", minimum=1),
        Bool("bias", True, "Learn an additive bias."),
    ]
    return tuple(out)


def _check_groups(params, inputs) -> None:
    """What torch's constructor checks that the params cannot: both channel counts split into the groups."""
    groups = params["groups"]
    for name, count in (("in_channels", inputs[0].shape[0]), ("out_channels", params["out_channels"])):
        if count % groups:
            raise ValueError(f"{name} ({count}) must be divisible by groups ({groups})")


def _conv_rule(dims: int):
    def rule(params, inputs):
        _check_groups(params, inputs)
        k, s, p, d = (expand(params[n], dims) for n in ("kernel_size", "stride", "padding", "dilation"))
        padded = [size + 2 * p_ for size, p_ in zip(inputs[0].shape[1:], p)]
        spans = [d_ * (k_ - 1) + 1 for k_, d_ in zip(k, d)]
        if any(a < b for a, b in zip(padded, spans)):
            raise ValueError(f"the kernel ({_sizes(spans)}) is larger than the padded input ({_sizes(padded)}): "
                             "use a smaller kernel_size or more padding")
        out = [(a - b) // s_ + 1 for a, b, s_ in zip(padded, spans, s)]
        return [TensorType((params["out_channels"], *out))]
    return rule


def _transposed_rule(dims: int):
    def rule(params, inputs):
        _check_groups(params, inputs)
        k, s, p, d, extra = (expand(params[n], dims)
                             for n in ("kernel_size", "stride", "padding", "dilation", "output_padding"))
        if any(e >= s_ and e >= d_ for e, s_, d_ in zip(extra, s, d)):
            raise ValueError(f"output_padding {params['output_padding']} must be smaller than the stride "
                             f"{params['stride']} or the dilation {params['dilation']}")
        out = [(size - 1) * s_ - 2 * p_ + d_ * (k_ - 1) + e + 1
               for size, k_, s_, p_, d_, e in zip(inputs[0].shape[1:], k, s, p, d, extra)]
        if min(out) < 1:
            raise _too_small(inputs, out)
        return [TensorType((params["out_channels"], *out))]
    return rule


def _filter_bank(in_channels: int, out_channels: int, kernel_size, groups: int, dims: int) -> int:
    """Weights of a convolution: each output channel sees its group's input channels."""
    return out_channels * (in_channels // groups) * math.prod(expand(kernel_size, dims))


def _conv_params_count(dims: int):
    def count(kwargs) -> int:
        n_out = kwargs["out_channels"]
        weights = _filter_bank(kwargs["in_channels"], n_out, kwargs["kernel_size"], kwargs.get("groups", 1), dims)
        return weights + (n_out if kwargs.get("bias", True) else 0)
    return count


def _conv_macs(dims: int):
    def macs(params, inputs, outputs, module) -> int:
        """Every output position applies the whole filter bank once."""
        bank = _filter_bank(inputs[0].shape[0], params["out_channels"], params["kernel_size"], params["groups"], dims)
        return bank * math.prod(outputs[0].shape[1:])
    return macs


def _transposed_macs(dims: int):
    def macs(params, inputs, outputs, module) -> int:
        """Every *input* position is scattered through the whole filter bank once."""
        bank = _filter_bank(inputs[0].shape[0], params["out_channels"], params["kernel_size"], params["groups"], dims)
        return bank * math.prod(inputs[0].shape[1:])
    return macs


_LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}
_HINT = {1: "", 2: "did you mean Linear?"}

for _dims in (1, 2):
    _layout = _LAYOUT[_dims]
    register(LayerSpec(
        f"Conv{_dims}d", "Convolution",
        f"{_dims}-D convolution over {_layout} input: learns local filters.",
        params=_conv_params(_dims), torch_class=f"Conv{_dims}d", ranks=(_dims + 2,),
        expects=_layout, hint=_HINT[_dims], infer_args=in_channels, rule=_conv_rule(_dims),
        count_params=_conv_params_count(_dims), macs=_conv_macs(_dims),
    ))
    register(LayerSpec(
        f"ConvTranspose{_dims}d", "Convolution",
        f"Transposed {_dims}-D convolution: learnable upsampling of {_layout} input.",
        params=_conv_params(_dims, transpose=True), torch_class=f"ConvTranspose{_dims}d",
        ranks=(_dims + 2,), expects=_layout, infer_args=in_channels, rule=_transposed_rule(_dims),
        count_params=_conv_params_count(_dims), macs=_transposed_macs(_dims),
    ))


def _pool_params(dims: int, kind: str):
    out = [
        Ints("kernel_size", 2, "Window size.", length=dims, required=True, key=True),
        Ints("stride", None, "Window step (empty: the kernel size).", length=dims, optional=True),
        Ints("padding", 0, "Padding on each side.", length=dims, minimum=0),
    ]
    if kind == "Max":
        out.append(Ints("dilation", 1, "Spacing between window taps.", length=dims))
    out.append(Bool("ceil_mode", False, "Round the output size up instead of down."))
    if kind == "Max":
        out.append(Bool("return_indices", False, "Also output where each maximum was (port indices), for a "
                                                 "MaxUnpool."))
    return tuple(out)


def _with_indices(rule):
    """The pool's rule, plus the int64 indices of the maxima when they are asked for."""
    def with_indices(params, inputs):
        out = rule(params, inputs)
        return [*out, TensorType(out[0].shape, "int64")] if params.get("return_indices") else out
    return with_indices


def _pool_emit(e: Emit) -> list[str]:
    return [f"{', '.join(e.outs)} = {e.mod}({e.ins[0]})"]  # `x, indices = self.pool(x)` with return_indices


def _stride_defaults_to_kernel(params):
    """torch stores a missing stride as the kernel size, so a module cannot
    say which was written: an equal stride is stored empty, as one document."""
    if "stride" in params and params["stride"] == params.get("kernel_size"):
        return {**params, "stride": None}
    return params


def _pool_rule(dims: int):
    """torch's ``pooling_output_shape``: with ``ceil_mode`` the last window
    must still start inside the input or its left padding."""
    def rule(params, inputs):
        k, p, d = (expand(params.get(n, 1), dims) for n in ("kernel_size", "padding", "dilation"))
        s = expand(params["stride"] if params["stride"] is not None else params["kernel_size"], dims)
        if any(p_ > k_ // 2 for p_, k_ in zip(p, k)):
            raise ValueError(f"padding {params['padding']} must be at most half the kernel_size "
                             f"{params['kernel_size']}")
        ceil = params["ceil_mode"]
        out = []
        for size, k_, s_, p_, d_ in zip(inputs[0].shape[1:], k, s, p, d):
            n = (size + 2 * p_ - d_ * (k_ - 1) - 1 + (s_ - 1 if ceil else 0)) // s_ + 1
            if ceil and (n - 1) * s_ >= size + p_:
                n -= 1
            out.append(n)
        if min(out) < 1:
            raise _too_small(inputs, out)
        return [TensorType((inputs[0].shape[0], *out))]
    return rule


def _unpool_rule(dims: int):
    """torch's default output size: (size - 1) * stride - 2 * padding + kernel_size."""
    def rule(params, inputs):
        values, indices = inputs
        if indices.dtype != "int64" or indices.shape != values.shape:
            raise ValueError(f"indices {indices.text()} must be the int64 indices of the MaxPool that made "
                             f"{values.text()} (its return_indices port)")
        if values.dtype != "float32":
            raise ValueError("its first input is the pooled values, its second the indices")
        k, p = expand(params["kernel_size"], dims), expand(params["padding"], dims)
        s = expand(params["stride"] if params["stride"] is not None else params["kernel_size"], dims)
        out = [(n - 1) * s_ - 2 * p_ + k_ for n, k_, s_, p_ in zip(values.shape[1:], k, s, p)]
        if min(out) < 1:
            raise _too_small(inputs, out)
        return [TensorType((values.shape[0], *out))]
    return rule


def _adaptive_rule(dims: int):
    return lambda params, inputs: [TensorType((inputs[0].shape[0], *expand(params["output_size"], dims)))]


def _register_pool(dims: int, kind: str) -> None:
    is_max = kind == "Max"
    register(LayerSpec(
        f"{kind}Pool{dims}d", "Pooling",
        f"{'Maximum' if is_max else 'Average'} over sliding windows of {_LAYOUT[dims]} input.",
        params=_pool_params(dims, kind), torch_class=f"{kind}Pool{dims}d",
        ranks=(dims + 2,), expects=_LAYOUT[dims], rule=_with_indices(_pool_rule(dims)) if is_max else _pool_rule(dims),
        normalize=_stride_defaults_to_kernel, count_params=no_parameters,
        **({"outputs": ("out", "indices"), "ports": lambda p: 2 if p["return_indices"] else 1,
            "emit": _pool_emit} if is_max else {}),
    ))


def _register_unpool(dims: int) -> None:
    """The pool's indices are its second port: ``self.unpool(x, indices)``."""
    register(LayerSpec(
        f"MaxUnpool{dims}d", "Pooling", f"Undoes a MaxPool{dims}d: each maximum goes back where it was (from the "
        "pool's indices), zeros elsewhere.",
        params=(Ints("kernel_size", 2, "The pool's window size.", length=dims, required=True, key=True),
                Ints("stride", None, "The pool's step (empty: the kernel size).", length=dims, optional=True),
                Ints("padding", 0, "The pool's padding.", length=dims, minimum=0)),
        torch_class=f"MaxUnpool{dims}d", min_inputs=2, max_inputs=2, input_names=("input", "indices"),
        ranks=(dims + 2,), expects=_LAYOUT[dims], rule=_unpool_rule(dims), normalize=_stride_defaults_to_kernel,
        emit=lambda e: [f"{e.outs[0]} = {e.mod}({e.ins[0]}, {e.ins[1]})"], count_params=no_parameters,
        token_ids=TokenIds.PASSED,
    ))


for _dims in (1, 2):
    _layout = _LAYOUT[_dims]
    for _kind in ("Max", "Avg"):
        _register_pool(_dims, _kind)
    _register_unpool(_dims)
    for _kind in ("Avg", "Max"):
        register(LayerSpec(
            f"Adaptive{_kind}Pool{_dims}d", "Pooling",
            f"{'Average' if _kind == 'Avg' else 'Maximum'} pooling to a fixed output size, whatever the input size.",
            params=(Ints("output_size", 1, "Output size.", length=_dims, required=True, key=True),),
            torch_class=f"Adaptive{_kind}Pool{_dims}d", ranks=(_dims + 2,), expects=_layout,
            rule=_adaptive_rule(_dims), count_params=no_parameters,
        ))
_register_pool(3, "Max")  # by hand, unlike the other 3-D pools, for the indices MaxUnpool3d takes
_register_unpool(3)


def _upsample_rule(params, inputs):
    spatial = inputs[0].shape[1:]
    mode = params["mode"]
    needs = {"linear": 1, "bilinear": 2, "bicubic": 2}.get(mode, len(spatial))
    if needs != len(spatial):
        raise ValueError(f"mode {mode!r} needs {_LAYOUT[needs]} input, got {inputs[0].text()}")
    out = [math.floor(size * params["scale_factor"]) for size in spatial]
    if min(out) < 1:
        raise ValueError(f"scale_factor {params['scale_factor']:g} would shrink {inputs[0].text()} to nothing")
    return [TensorType((inputs[0].shape[0], *out))]


register(LayerSpec(
    "Upsample", "Pooling", "Upsamples (N, C, L) or (N, C, H, W) input by a scale factor.",
    params=(
        Float("scale_factor", 2.0, "Multiplier of the spatial size.", minimum=0.01, key=True),
        Choice("mode", ["nearest", "linear", "bilinear", "bicubic"], doc="Interpolation method."),
    ),
    torch_class="Upsample", ranks=(3, 4), expects="(N, C, L) or (N, C, H, W)", rule=_upsample_rule,
))
