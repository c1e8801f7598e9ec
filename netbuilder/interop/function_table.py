"""Functional calls and tensor methods that map onto netbuilder layers.

Each rule names the layer, the call's arguments in positional order and which
of them become layer parameters; everything else a call passes must keep the
value the layer implies (``dtype=None``, ``return_indices=False``…) or the
call is reported as unsupported with the offending argument. Calls whose
meaning depends on shapes (``view``, ``transpose``, ``+``, ``torch.cat``) have
small handlers that read the recorded shapes through :class:`~.calls.Call`;
those of the Tensor ops nodes are in :mod:`.tensor_calls`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.fx as fx
import torch.nn.functional as F

from .calls import ALIAS, BATCH, Call, Condition, Mapped, Rule, Unsupported, bind, generic, mentions_batch
from .tensor_calls import register_all

_IGNORED = {"inplace", "_stacklevel"}  # inplace is checked by the mapper, which sees the users


# -- handlers for calls whose layer depends on shapes ----------------------------
def _dim(call: Call, name: str, rank: int) -> int:
    dim = call.value(name)
    if not isinstance(dim, int) or not -rank <= dim < rank:
        raise Unsupported(f"{name}={dim!r} is not a dimension of a {rank}-D tensor")
    return dim % rank


def _reshape(call: Call) -> Mapped:
    """view/reshape keeping the batch: first size is the batch size, or -1 with the rest per sample."""
    source = call.tensor("input")
    sizes = list(call.value("shape", allow_batch=True))
    before, after = call.meta(source), call.out
    if not sizes or mentions_batch(sizes[1:]):
        raise Unsupported("only the first size may be the batch size")
    keeps_batch = sizes[0] is BATCH or (sizes[0] == -1 and math.prod(before.shape[1:]) == math.prod(after.shape[1:]))
    if not keeps_batch or after.rank < 2:
        raise Unsupported(f"reshapes {before.shape} to {after.shape} without keeping the batch dimension first "
                          "(write x.reshape(x.shape[0], ...) or x.view(-1, ...))")
    return Mapped("Reshape", {"shape": list(after.shape[1:])}, [source])


def _flatten(call: Call) -> Mapped:
    source = call.tensor("input")
    rank = call.meta(source).rank
    if "start_dim" not in call.bound or _dim(call, "start_dim", rank) == 0:
        raise Unsupported("flattens the batch dimension too (start_dim 0): use torch.flatten(x, 1)")
    return Mapped("Flatten", {"start_dim": call.value("start_dim"), "end_dim": call.value("end_dim", -1)}, [source])


def _permute(call: Call) -> Mapped:
    source = call.tensor("input")
    dims = [int(d) for d in call.value("dims")]
    if not dims or dims[0] % len(dims) != 0:
        raise Unsupported(f"moves the batch dimension (dims {tuple(dims)}); netbuilder keeps it first")
    return Mapped("Permute", {"dims": dims}, [source])


def _dropout(layer: str) -> Callable[[Call], Mapped]:
    def handler(call: Call) -> Mapped:
        if not call.value("training", True):
            return Mapped("Identity", {}, [call.tensor("input")])  # dropout switched off: a no-op
        return Mapped(layer, {"p": call.value("p", 0.5)}, [call.tensor("input")])

    return handler


def _contiguous(call: Call) -> Mapped:
    if call.value("memory_format", torch.contiguous_format) != torch.contiguous_format:
        raise Unsupported("memory_format is not supported")
    return Mapped(ALIAS, {}, [call.tensor("input")])


# -- the tables -----------------------------------------------------------------
FUNCTIONS: dict[Any, Rule] = {}
METHODS: dict[str, Rule] = {}


def _add(targets, rule: Rule) -> None:
    for target in targets:
        (METHODS if isinstance(target, str) else FUNCTIONS)[target] = rule


def _activation(layer: str, targets, *args: str, defaults: dict | None = None, fixed: dict | None = None) -> None:
    params = {a: a for a in args if a not in _IGNORED and a not in (fixed or {})}
    _add(targets, Rule(layer, ("input", *args), params, defaults or {}, fixed or {}))


_activation("ReLU", (F.relu, torch.relu, "relu"), "inplace")
_activation("ReLU6", (F.relu6,), "inplace")
_activation("LeakyReLU", (F.leaky_relu,), "negative_slope", "inplace", defaults={"negative_slope": 0.01})
_activation("ELU", (F.elu,), "alpha", "inplace", defaults={"alpha": 1.0})
_activation("SELU", (F.selu, torch.selu), "inplace")
_activation("GELU", (F.gelu,), "approximate", defaults={"approximate": "none"})
_activation("SiLU", (F.silu,), "inplace")
_activation("Mish", (F.mish,), "inplace")
_activation("Sigmoid", (F.sigmoid, torch.sigmoid, "sigmoid"))
_activation("Tanh", (F.tanh, torch.tanh, "tanh"))
_activation("Softplus", (F.softplus,), "beta", "threshold", defaults={"beta": 1.0, "threshold": 20.0})
_activation("Hardswish", (F.hardswish,), "inplace")
_activation("Hardtanh", (F.hardtanh,), "min_val", "max_val", "inplace", defaults={"min_val": -1.0, "max_val": 1.0})
_activation("Softsign", (F.softsign,))
for _layer, _f, _method in (("Softmax", F.softmax, "softmax"), ("LogSoftmax", F.log_softmax, "log_softmax")):
    _activation(_layer, (_f,), "dim", "_stacklevel", "dtype", fixed={"dtype": None})
    _activation(_layer, (getattr(torch, _method), _method), "dim", "dtype", fixed={"dtype": None})

for _d in (1, 2):
    _window = ("kernel_size", "stride", "padding")
    _pool = {n: n for n in (*_window, "ceil_mode")}
    _add((getattr(F, f"max_pool{_d}d"),), Rule(
        f"MaxPool{_d}d", ("input", *_window, "dilation", "ceil_mode", "return_indices"),
        {**_pool, "dilation": "dilation"}, {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False},
        {"return_indices": False}))
    _extra = ("count_include_pad", "divisor_override") if _d == 2 else ("count_include_pad",)  # torch's signatures
    _add((getattr(F, f"avg_pool{_d}d"),), Rule(
        f"AvgPool{_d}d", ("input", *_window, "ceil_mode", *_extra), _pool,
        {"stride": None, "padding": 0, "ceil_mode": False},
        {"count_include_pad": True, "divisor_override": None}))
    _add((getattr(F, f"adaptive_avg_pool{_d}d"),),
         Rule(f"AdaptiveAvgPool{_d}d", ("input", "output_size"), {"output_size": "output_size"}))
    _add((getattr(F, f"adaptive_max_pool{_d}d"),),
         Rule(f"AdaptiveMaxPool{_d}d", ("input", "output_size", "return_indices"),
              {"output_size": "output_size"}, fixed={"return_indices": False}))

_add((F.interpolate, F.upsample), Rule(
    "Upsample", ("input", "size", "scale_factor", "mode", "align_corners", "recompute_scale_factor", "antialias"),
    {"scale_factor": "scale_factor", "mode": "mode"}, {"mode": "nearest"},
    {"size": None, "align_corners": None, "recompute_scale_factor": None, "antialias": False}))
for _layer, _f in (("Dropout", F.dropout), ("Dropout2d", F.dropout2d), ("AlphaDropout", F.alpha_dropout)):
    _add((_f,), Rule(_layer, ("input", "p", "training", "inplace"), handler=_dropout(_layer)))

_add((torch.flatten, "flatten"), Rule("Flatten", ("input", "start_dim", "end_dim"), handler=_flatten))
_add(("view", "reshape"), Rule("Reshape", ("input", "*shape"), handler=_reshape))
_add((torch.reshape,), Rule("Reshape", ("input", "shape"), handler=_reshape))
_add(("permute",), Rule("Permute", ("input", "*dims"), handler=_permute))
_add((torch.permute,), Rule("Permute", ("input", "dims"), handler=_permute))
_add(("contiguous",), Rule(ALIAS, ("input", "memory_format"), handler=_contiguous))
register_all(_add)


def rule_for(node: fx.Node) -> Rule | None:
    if node.op == "call_method":
        return METHODS.get(node.target)
    if node.op == "call_function":
        try:
            return FUNCTIONS.get(node.target)
        except TypeError:  # an unhashable target
            return None
    return None


def map_call(node: fx.Node, resolve, meta, recorded=None) -> Mapped | Condition:
    """The layer ``node`` becomes (a :class:`Condition` for a comparison), or
    :class:`Unsupported` saying why not. ``recorded`` gives a node's recorded value
    (a call returning a tuple of tensors reads its items' shapes)."""
    rule = rule_for(node)
    if rule is None:
        raise Unsupported("has no netbuilder layer")
    call = Call(node, bind(rule, node), resolve, meta, recorded)
    mapped = rule.handler(call) if rule.handler else generic(rule, call)
    if isinstance(mapped, Condition):
        return mapped
    mapped.inplace = bool(call.value("inplace", False))
    return mapped
