"""Tensor operations that compute: products, attention, constants, elementwise math.

Plain expressions like those of :mod:`.tensor_ops`: ``x = torch.matmul(q, k)``,
``x = x * 0.125``, ``x = x.clamp(min=0.0)``. Inputs that meet in one operation
broadcast as torch broadcasts them, with the same rank (each keeps its batch
dimension first): see :func:`.basic.broadcast`.
"""

from __future__ import annotations

import math

from ..params import Bool, Choice, Float
from . import register
from .basic import broadcast, same
from .spec import Emit, LayerSpec, TensorType, TokenIds
from .tensor_ops import CATEGORY


def _matmul(p, ins):
    a, b = ins
    if len(a.shape) < 2 or len(a.shape) != len(b.shape):
        raise ValueError(f"multiplies matrices in the last two dimensions of inputs of the same rank, 3-D or "
                         f"more with the batch: got {a.text()} and {b.text()}")
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"{a.text()} @ {b.text()}: the last size of the first ({a.shape[-1]}) must equal the "
                         f"second-to-last of the second ({b.shape[-2]})")
    lead = broadcast(p, [TensorType(a.shape[:-2] + (1, 1)), TensorType(b.shape[:-2] + (1, 1))])[0].shape[:-2]
    return [TensorType(lead + (a.shape[-2], b.shape[-1]))]


def _matmul_macs(p, ins, outs, module) -> int:
    return math.prod(outs[0].shape) * ins[0].shape[-1]


register(LayerSpec(
    "MatMul", CATEGORY, "Matrix product of the last two dimensions, batched over the rest: torch.matmul(a, b).",
    min_inputs=2, max_inputs=2, input_names=("a", "b"), rule=_matmul, macs=_matmul_macs,
    emit=lambda e: [f"{e.outs[0]} = torch.matmul({e.ins[0]}, {e.ins[1]})"],
))


def _attention(p, ins):
    q, k, v = ins
    if not len(q.shape) == len(k.shape) == len(v.shape) >= 2:
        raise ValueError(f"query, key and value must have the same rank, (N, …, L, E): got {q.text()}, "
                         f"{k.text()} and {v.text()}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"query {q.text()} and key {k.text()} must agree in their last size, key and value "
                         f"{v.text()} in their second-to-last")
    lead = broadcast(p, [TensorType(t.shape[:-2] + (1, 1)) for t in ins])[0].shape[:-2]
    return [TensorType(lead + (q.shape[-2], v.shape[-1]))]


def _attention_macs(p, ins, outs, module) -> int:
    q, k, v = ins
    return math.prod(outs[0].shape[:-1]) * k.shape[-2] * (q.shape[-1] + v.shape[-1])


def _attention_emit(e: Emit) -> list[str]:
    extra = ", is_causal=True" if e.params["is_causal"] else ""
    extra += f", scale={e.params['scale']!r}" if e.params["scale"] is not None else ""
    return [f"{e.outs[0]} = nn.functional.scaled_dot_product_attention({', '.join(e.ins)}{extra})"]


register(LayerSpec(
    "ScaledDotProductAttention", CATEGORY,
    "softmax(q·kᵀ·scale)·v, fused: F.scaled_dot_product_attention(q, k, v) on (N, heads, L, E).",
    params=(Bool("is_causal", False, "Each position attends only to itself and earlier ones.", key=True),
            Float("scale", None, "Factor of q·kᵀ; empty: 1/√E.", optional=True, minimum=0, above=True)),
    min_inputs=3, max_inputs=3, input_names=("query", "key", "value"), rule=_attention, macs=_attention_macs,
    emit=_attention_emit,
))

_SCALAR = {"mul": "{x} * {v}", "add": "{x} + {v}", "sub": "{x} - {v}", "div": "{x} / {v}", "pow": "{x} ** {v}",
           "rsub": "{v} - {x}", "rdiv": "{v} / {x}"}


def _scalar_rule(p, ins):
    if p["op"] in ("div",) and p["value"] == 0:
        raise ValueError("divides by zero")
    return [TensorType(ins[0].shape)]


register(LayerSpec(
    "Scalar", CATEGORY, "Arithmetic with a constant: x * 0.5, x + 1, 1 - x, x ** 2.",
    params=(Choice("op", list(_SCALAR), doc="mul, add, sub, div, pow; rsub is value - x, rdiv value / x.",
                   key=True),
            Float("value", 1.0, "The constant.", key=True)),
    rule=_scalar_rule, emit=lambda e: [f"{e.outs[0]} = " + _SCALAR[e.params["op"]].format(
        x=e.ins[0], v=repr(e.params["value"]))],
))


def _clamp(p, ins):
    low, high = p["min"], p["max"]
    if low is None and high is None:
        raise ValueError("give min, max or both")
    if low is not None and high is not None and low > high:
        raise ValueError(f"min {low:g} is above max {high:g}")
    return [ins[0]]


def _clamp_emit(e: Emit) -> list[str]:
    bounds = ", ".join(f"{k}={e.params[k]!r}" for k in ("min", "max") if e.params[k] is not None)
    return [f"{e.outs[0]} = {e.ins[0]}.clamp({bounds})"]


register(LayerSpec(
    "Clamp", CATEGORY, "Limits every value to [min, max]: x.clamp(min=0.0).",
    params=(Float("min", None, "Lower bound; empty: none.", optional=True, key=True),
            Float("max", None, "Upper bound; empty: none.", optional=True, key=True)),
    rule=_clamp, emit=_clamp_emit, token_ids=TokenIds.PASSED,
))

_COMPARE = (">", ">=", "<", "<=", "==", "!=")


def _where(p, ins):
    return [TensorType(broadcast(p, ins)[0].shape)]


def _where_emit(e: Emit) -> list[str]:
    test, value = e.ins[0], e.ins[-1]
    condition = f"{test} {e.params['compare']} {e.params['threshold']!r}"
    return [f"{e.outs[0]} = torch.where({condition}, {value}, {e.params['fill']!r})"]


register(LayerSpec(
    "Where", CATEGORY, "Replaces values by a constant where a test fails: torch.where(x > 0, x, 0.1); with two "
    "inputs the first is tested (a mask) and the second kept.",
    params=(Choice("compare", list(_COMPARE), doc="How the tested input is compared with the threshold.", key=True),
            Float("threshold", 0.0, "What it is compared with.", key=True),
            Float("fill", 0.0, "The value where the test fails.", key=True)),
    min_inputs=1, max_inputs=2, input_names=("test", "input"), rule=_where, emit=_where_emit,
    token_ids=TokenIds.PASSED,
))

for _name, _method, _doc in (
    ("Exp", "exp", "eˣ, elementwise."),
    ("Log", "log", "Natural logarithm, elementwise."),
    ("Sqrt", "sqrt", "Square root, elementwise."),
    ("Rsqrt", "rsqrt", "1 / √x, elementwise."),
    ("Abs", "abs", "|x|, elementwise."),
    ("Neg", "neg", "-x, elementwise."),
    ("Reciprocal", "reciprocal", "1 / x, elementwise."),
):
    register(LayerSpec(_name, CATEGORY, _doc, rule=same,
                       emit=lambda e, m=_method: [f"{e.outs[0]} = {e.ins[0]}.{m}()"]))
