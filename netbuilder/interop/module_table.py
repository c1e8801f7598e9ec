"""torch.nn modules read back into netbuilder layers: the layer library reversed.

A module maps when its exact class is a layer's ``torch_class``. Parameters
are read from the module's constructor attributes under torch's own names
(the library uses them), then checked the strict way: netbuilder rebuilds the
module from those parameters and the incoming shapes, on the meta device, and
every plain attribute (``in_features``, ``padding_mode``, ``batch_first``…)
and every weight shape must come out the same. Whatever differs is reported,
so a ``Conv2d(padding_mode="reflect")`` is refused instead of quietly losing
its padding mode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ..core.layers import LayerSpec, TensorType, all_specs
from ..core.oracle import build_on_meta
from ..core.params import BOOL, INTS

_BY_CLASS: dict[type, LayerSpec] = {
    getattr(nn, spec.torch_class): spec for spec in all_specs() if spec.torch_class and hasattr(nn, spec.torch_class)
}
_NOT_COMPARED = {"training", "inplace"}  # inplace only changes memory use; the mapper checks it is safe
_TEL_ACTIVATIONS = {1: "relu", 2: "gelu"}  # TransformerEncoderLayer.activation_relu_or_gelu


_DROP_PATHS = ("DropPath", "StochasticDepth")  # timm's and torchvision's names for stochastic depth


def drop_path_rate(module: nn.Module) -> float | None:
    """A user's stochastic-depth module (timm's DropPath, torchvision's StochasticDepth in
    "row" mode): its drop rate, read without tracing its random numbers; else None."""
    if type(module).__name__ not in _DROP_PATHS or getattr(module, "mode", "row") != "row":
        return None
    rate = getattr(module, "drop_prob", getattr(module, "p", None))
    return float(rate) if isinstance(rate, (int, float)) and not isinstance(rate, bool) else None


def spec_for(module: nn.Module) -> LayerSpec | None:
    """The layer of exactly this class (a user subclass may change forward)."""
    return _BY_CLASS.get(type(module))


def _encoder_layer(module: nn.TransformerEncoderLayer) -> dict[str, Any]:
    return {
        "nhead": module.self_attn.num_heads,
        "dim_feedforward": module.linear1.out_features,
        "dropout": module.dropout.p,
        "activation": _TEL_ACTIVATIONS.get(module.activation_relu_or_gelu, "a custom function"),
    }


def _transformer_layer(layer: nn.Module) -> dict[str, Any]:
    """What a Transformer encoder or decoder layer was built with, read off its parts."""
    return {
        "nhead": layer.self_attn.num_heads,
        "dim_feedforward": layer.linear1.out_features,
        "dropout": layer.dropout.p,
        "layer_norm_eps": layer.norm1.eps,
        "norm_first": layer.norm_first,
        "bias": layer.linear1.bias is not None,
    }


_SPECIAL: dict[str, Callable[[nn.Module], dict[str, Any]]] = {
    "LayerNorm": lambda m: {"normalized_dims": len(m.normalized_shape)},
    "MultiheadAttention": lambda m: {"bias": m.in_proj_bias is not None},
    "TransformerEncoderLayer": _encoder_layer,
    "TransformerDecoderLayer": _transformer_layer,
    "TransformerEncoder": lambda m: _transformer_layer(m.layers[0]),  # the layer it stacks, then its own
    "TransformerDecoder": lambda m: _transformer_layer(m.layers[0]),
}


def _param_value(kind: str, value: Any) -> Any:
    """A constructor attribute in the file's plain form."""
    if kind == BOOL and (value is None or isinstance(value, torch.Tensor)):
        return value is not None  # ``bias`` is stored as the tensor itself
    if isinstance(value, (tuple, list)):
        value = list(value)
        return value[0] if kind == INTS and len(value) == 1 else value
    return value


def read_params(spec: LayerSpec, module: nn.Module) -> dict[str, Any]:
    """Raw parameters of ``module`` (validated later by the spec)."""
    special = _SPECIAL.get(spec.type, lambda m: {})(module)
    params = {}
    for param in spec.params:
        if param.name in special:
            params[param.name] = special[param.name]
        elif param.torch:
            params[param.name] = _param_value(param.kind, getattr(module, param.name))
    return params


def _plain(value: Any) -> bool:
    if isinstance(value, (tuple, list)):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def _same(a: Any, b: Any) -> bool:
    """Equal as torch uses them: ``(1, 1)`` is ``1`` for a 2-D pool, a list is a tuple."""
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (tuple, list)) != isinstance(b, (tuple, list)):
        items, scalar = (a, b) if isinstance(a, (tuple, list)) else (b, a)
        return all(_same(x, scalar) for x in items)
    return a == b


def _attributes(module: nn.Module) -> dict[str, Any]:
    return {k: v for k, v in vars(module).items()
            if not k.startswith("_") and k not in _NOT_COMPARED and _plain(v)}


def differences(spec: LayerSpec, params: dict, module: nn.Module, inputs: list[TensorType]) -> list[str]:
    """What netbuilder's module, built from ``params``, would do differently."""
    try:
        rebuilt = build_on_meta(spec, spec.torch_kwargs(params, inputs))
    except Exception as err:  # torch validates its own arguments
        return [f"netbuilder cannot rebuild it: {err}"]
    ours, theirs = dict(rebuilt.named_modules()), dict(module.named_modules())
    if {k: type(v) for k, v in ours.items()} != {k: type(v) for k, v in theirs.items()}:
        return ["its submodules differ from the standard ones"]
    problems = []
    for path, original in theirs.items():
        mine, prefix = _attributes(ours[path]), f"{path}." if path else ""
        for key, value in _attributes(original).items():
            if key in mine and not _same(mine[key], value):
                problems.append(f"{prefix}{key}={value!r} (netbuilder would use {mine[key]!r})")
    shapes = {k: tuple(v.shape) for k, v in rebuilt.state_dict().items()}
    for key, tensor in module.state_dict().items():
        if shapes.pop(key, None) != tuple(tensor.shape):
            problems.append(f"weight {key} {tuple(tensor.shape)} has no counterpart of that shape")
    problems += [f"netbuilder would add weight {key}" for key in shapes]
    return problems
