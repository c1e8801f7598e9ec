"""Tensor operations in a user's forward → the Tensor ops nodes (``netbuilder.core.layers.tensor_ops``).

Reductions over dims, indexing and slicing, chunk/split/unbind with their
items taken, matmul, attention, arithmetic with constants, comparisons inside
``torch.where`` / ``masked_fill``, expand, repeat and ``F.pad``: each handler
reads the call through :class:`~.calls.Call` and says which node it becomes,
or why not (in the user's terms, with what to write instead).
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import torch
import torch.fx as fx
import torch.nn.functional as F

from .calls import ALIAS, BATCH, PIECES, Call, Condition, Mapped, Rule, Unsupported, mentions_batch


def _rank(call: Call, name: str = "input") -> int:
    return call.meta(call.tensor(name)).rank


def _own_dim(call: Call, dim, rank: int, what: str) -> int:
    """A dimension as the user wrote it, checked: not the batch."""
    if not isinstance(dim, int) or not -rank <= dim < rank:
        raise Unsupported(f"dim={dim!r} is not a dimension of a {rank}-D tensor")
    if dim % rank == 0:
        raise Unsupported(f"{what} the batch dimension (dim 0); netbuilder keeps one value per sample")
    return dim


# -- reductions -------------------------------------------------------------------
def _reduction(layer: str) -> Callable[[Call], Mapped]:
    def handler(call: Call) -> Mapped:
        if call.value("dtype", None) is not None:
            raise Unsupported("dtype= is not supported")
        dims = call.value("dim", None)
        if dims is None:
            raise Unsupported("reduces every dimension, the batch included: give dim (e.g. x.mean(dim=(1, 2, 3)))")
        rank = _rank(call)
        dims = [_own_dim(call, d, rank, "reduces") for d in (dims if isinstance(dims, (list, tuple)) else [dims])]
        return Mapped(layer, {"dim": dims, "keepdim": bool(call.value("keepdim", False))}, [call.tensor("input")])

    return handler


def _spread(layer: str) -> Callable[[Call], Mapped]:
    """std / var: a reduction with a correction (``unbiased=False`` is correction 0)."""
    reduce = _reduction(layer)

    def handler(call: Call) -> Mapped:
        unbiased, correction = call.value("unbiased", None), call.value("correction", None)
        mapped = reduce(call)
        mapped.params["correction"] = int(correction if correction is not None else
                                          (1 if unbiased is None or unbiased else 0))
        return mapped

    return handler


def _values_only(index: int) -> int:
    if index == 0:
        return 0
    raise Unsupported("uses the indices of max/min; netbuilder's Amax/Amin give the values only (argmax: "
                      "compute it after the model)")


def _max_or_min(layer: str) -> Callable[[Call], Mapped]:
    reduce = _reduction(layer)

    def handler(call: Call) -> Mapped:
        if "dim" not in call.bound:
            raise Unsupported("without dim, max/min reduce every dimension, the batch included; use amax(dim=...)")
        if isinstance(call.bound.get("dim"), fx.Node) and call.meta(call.bound["dim"]) is not None:
            raise Unsupported("the elementwise maximum of two tensors has no node yet")
        mapped = reduce(call)
        mapped.parts = _values_only  # torch returns (values, indices)
        return mapped

    return handler


# -- dims and parts ---------------------------------------------------------------
def _squeeze(layer: str) -> Callable[[Call], Mapped]:
    def handler(call: Call) -> Mapped:
        if "dim" not in call.bound:
            raise Unsupported("squeezes every size-1 dimension, the batch included when it is 1: give dim")
        dim = call.value("dim")
        if isinstance(dim, (list, tuple)):
            raise Unsupported("squeezes several dimensions at once: squeeze one at a time")
        rank = _rank(call) + (layer == "Unsqueeze")
        return Mapped(layer, {"dim": _own_dim(call, dim, rank, "changes")}, [call.tensor("input")])

    return handler


def _transpose(call: Call) -> Mapped:
    rank = _rank(call)
    dims = [_own_dim(call, call.value(n), rank, "moves") for n in ("dim0", "dim1")]
    return Mapped("Transpose", {"dim0": dims[0], "dim1": dims[1]}, [call.tensor("input")])


def _chunk(call: Call) -> Mapped:
    rank, pieces = _rank(call), call.out_parts
    dim = _own_dim(call, call.value("dim", 0), rank, "cuts")
    if call.value("chunks") == len(pieces):
        return Mapped("Chunk", {"chunks": len(pieces), "dim": dim}, [call.tensor("input")], parts=_same_port)
    return Mapped("Split", {"sizes": [p.shape[dim] for p in pieces], "dim": dim}, [call.tensor("input")],
                  parts=_same_port)


def _split(call: Call) -> Mapped:
    rank = _rank(call)
    dim = _own_dim(call, call.value("dim", 0), rank, "cuts")
    sizes = [p.shape[dim] for p in call.out_parts]
    return Mapped("Split", {"sizes": sizes, "dim": dim}, [call.tensor("input")], parts=_same_port)


def _same_port(index: int) -> int:
    return index


def _unbind(call: Call) -> Mapped:
    dim = _own_dim(call, call.value("dim", 0), _rank(call), "unbinds")
    return Mapped(PIECES, {}, [call.tensor("input")], parts=lambda i: ("Select", {"dim": dim, "index": i}))


def _indexing(call: Call) -> Mapped:
    """``x[:, 0]``, ``x[..., :k]``, ``x[:, None]``: a Select, Slice or Unsqueeze per indexed dimension."""
    source, index = call.tensor("input"), call.value("index", allow_batch=True)
    items = list(index) if isinstance(index, tuple) else [index]
    rank = call.meta(source).rank
    if any(isinstance(i, (bool, list, tuple)) or not isinstance(i, (int, slice, type(None), type(...)))
           for i in items):
        raise Unsupported("indexes with a tensor or a list (advanced indexing), which has no node; use "
                          "slices and single positions")
    if mentions_batch(items):
        raise Unsupported("indexes with a number computed from the batch size")
    if items.count(...) > 1:
        raise Unsupported("uses ... twice")
    if ... in items:
        at = items.index(...)
        taken = sum(1 for i in items if i is not None and i is not ...)
        items[at:at + 1] = [slice(None)] * (rank - taken)
    steps, dim, current = [], 0, rank
    from_end = ... in (index if isinstance(index, tuple) else (index,))
    for item in items:
        if item is None:
            steps.append(("Unsqueeze", {"dim": dim}))
            dim, current = dim + 1, current + 1
            continue
        if dim == 0 and item != slice(None):
            raise Unsupported("indexes the batch dimension; netbuilder keeps one value per sample")
        written = dim - current if from_end and dim > 0 else dim
        if isinstance(item, int):
            steps.append(("Select", {"dim": written, "index": item}))
            current -= 1
        else:
            if item != slice(None):
                steps.append(("Slice", {"dim": written, "start": item.start, "end": item.stop,
                                        "step": 1 if item.step is None else item.step}))
            dim += 1
    if not steps:
        return Mapped(ALIAS, {}, [source])
    (layer, params), *rest = steps
    return Mapped(layer, params, [source], chain=rest)


def _cat_or_stack(layer: str) -> Callable[[Call], Mapped]:
    def handler(call: Call) -> Mapped:
        tensors = call.bound.get("tensors")
        if not isinstance(tensors, (list, tuple)) or not tensors:
            raise Unsupported("needs a list of tensors")
        if not all(isinstance(t, fx.Node) and call.meta(t) is not None for t in tensors):
            raise Unsupported("every item must be a tensor")
        rank = call.meta(tensors[0]).rank + (layer == "Stack")
        dim = _own_dim(call, call.value("dim", 0), rank, "joins along")
        return Mapped(layer, {"dim": dim}, list(tensors))

    return handler


# -- products and attention ---------------------------------------------------------
def _matmul(call: Call) -> Mapped:
    a, b = call.tensor("input"), call.tensor("other")
    if call.meta(a).rank != call.meta(b).rank or call.meta(a).rank < 3:
        raise Unsupported(f"multiplies {call.meta(a).shape} by {call.meta(b).shape}; netbuilder's MatMul takes two "
                          "tensors of the same rank, each with its batch first (for a weight matrix, use Linear)")
    return Mapped("MatMul", {}, [a, b])


def _attention(call: Call) -> Mapped:
    if call.value("attn_mask", None) is not None:
        raise Unsupported("attn_mask is not supported (is_causal=True is)")
    if call.value("dropout_p", 0.0) != 0.0:
        raise Unsupported("dropout_p other than 0 is not supported: dropout in attention has no node yet")
    if call.value("enable_gqa", False):
        raise Unsupported("enable_gqa is not supported")
    params = {"is_causal": bool(call.value("is_causal", False)), "scale": call.value("scale", None)}
    return Mapped("ScaledDotProductAttention", params, [call.tensor(n) for n in ("query", "key", "value")])


# -- arithmetic -----------------------------------------------------------------------
_OPS = {operator.add: "add", operator.sub: "sub", operator.mul: "mul", operator.truediv: "div",
        operator.pow: "pow", torch.add: "add", torch.sub: "sub", torch.mul: "mul", torch.div: "div",
        torch.pow: "pow", "add": "add", "sub": "sub", "mul": "mul", "div": "div", "pow": "pow",
        torch.subtract: "sub", torch.multiply: "mul", torch.divide: "div", "subtract": "sub", "multiply": "mul",
        "divide": "div", "true_divide": "div", operator.iadd: "add", operator.imul: "mul"}
_BINARY = {"add": "Add", "sub": "Subtract", "mul": "Multiply", "div": "Divide"}
_REVERSED = {"sub": "rsub", "div": "rdiv", "add": "add", "mul": "mul"}


def arithmetic(call: Call) -> Mapped:
    """``a + b`` of two tensors (broadcasting), or of a tensor and a number (Scalar)."""
    op = _OPS[call.node.target]
    if call.value("alpha", 1) != 1:
        raise Unsupported("alpha other than 1 is not supported")
    if call.value("rounding_mode", None) is not None:
        raise Unsupported("rounding_mode is not supported")
    left, right = call.bound.get("input"), call.bound.get("other")
    tensors = [isinstance(a, fx.Node) and call.meta(a) is not None for a in (left, right)]
    if all(tensors):
        if op not in _BINARY:
            raise Unsupported("raises a tensor to the power of a tensor; only a constant power has a node")
        ranks = {call.meta(left).rank, call.meta(right).rank}
        if len(ranks) != 1:
            raise Unsupported(f"operands {call.meta(left).shape} and {call.meta(right).shape} differ in rank; "
                              "netbuilder broadcasts tensors of one rank: unsqueeze the smaller one first")
        return Mapped(_BINARY[op], {}, [left, right])
    if not any(tensors):
        raise Unsupported("computes with values that are not tensors netbuilder has")
    tensor, constant = (left, right) if tensors[0] else (right, left)
    value = call.resolve(constant)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Unsupported(f"the other operand, {value!r}, is not a number (a tensor of the model's own?)")
    if not tensors[0]:
        if op not in _REVERSED:
            raise Unsupported("raises a constant to the power of a tensor, which has no node")
        op = _REVERSED[op]
    return Mapped("Scalar", {"op": op, "value": float(value)}, [tensor])


def _negate(call: Call) -> Mapped:
    return Mapped("Neg", {}, [call.tensor("input")])


def _clamp(call: Call) -> Mapped:
    low, high = call.value("min", None), call.value("max", None)
    if call.node.target in ("clamp_min", torch.clamp_min):
        low, high = call.value("min"), None
    if any(isinstance(v, fx.Node) for v in (low, high)):
        raise Unsupported("bounds that are tensors are not supported")
    return Mapped("Clamp", {"min": None if low is None else float(low), "max": None if high is None else float(high)},
                  [call.tensor("input")])


_COMPARE = {operator.gt: ">", operator.ge: ">=", operator.lt: "<", operator.le: "<=", operator.eq: "==",
            operator.ne: "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<=", "eq": "==", "ne": "!=",
            torch.gt: ">", torch.ge: ">=", torch.lt: "<", torch.le: "<=", torch.eq: "==", torch.ne: "!="}
_FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}  # 0 < x is x > 0
_NEGATED = {">": "<=", ">=": "<", "<": ">=", "<=": ">", "==": "!=", "!=": "=="}  # where the test fails


def comparison(call: Call) -> Condition:
    compare = _COMPARE[call.node.target]
    left, right = call.bound.get("input"), call.bound.get("other")
    if isinstance(right, fx.Node) and call.meta(right) is not None:
        if isinstance(left, fx.Node) and call.meta(left) is not None:
            raise Unsupported("compares two tensors; netbuilder compares a tensor with a constant only")
        left, right, compare = right, left, _FLIPPED[compare]
    value = call.resolve(right)
    if not (isinstance(left, fx.Node) and call.meta(left) is not None):
        raise Unsupported("compares values that are not tensors netbuilder has")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Unsupported("compares with something that is not a number")
    return Condition(left, compare, float(value))


def _condition(call: Call, name: str) -> Condition:
    condition = call.resolve(call.bound.get(name))
    if not isinstance(condition, Condition):
        raise Unsupported(f"{name} must be a comparison of a tensor with a number, written in the call "
                          "(mask == 0): a boolean tensor has no node")
    return condition


def _fill(call: Call, name: str) -> float:
    value = call.resolve(call.bound.get(name))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Unsupported(f"{name} must be a constant number")
    if value in (float("inf"), float("-inf")) or value != value:
        raise Unsupported(f"fills with {value}; netbuilder's Where takes a finite value: use -1e9 for -inf")
    return float(value)


def _where_node(condition: Condition, kept: fx.Node, fill: float, negate: bool) -> Mapped:
    compare = _NEGATED[condition.compare] if negate else condition.compare
    inputs = [kept] if condition.tensor is kept else [condition.tensor, kept]
    return Mapped("Where", {"compare": compare, "threshold": condition.threshold, "fill": fill}, inputs)


def _where(call: Call) -> Mapped:
    condition = _condition(call, "condition")
    chosen = [isinstance(call.bound.get(n), fx.Node) and call.meta(call.bound[n]) is not None
              for n in ("input", "other")]
    if chosen == [True, False]:
        return _where_node(condition, call.bound["input"], _fill(call, "other"), negate=False)
    if chosen == [False, True]:
        return _where_node(condition, call.bound["other"], _fill(call, "input"), negate=True)
    raise Unsupported("chooses between two tensors; netbuilder's Where keeps one and fills with a constant")


def _masked_fill(call: Call) -> Mapped:
    return _where_node(_condition(call, "mask"), call.tensor("input"), _fill(call, "value"), negate=True)


# -- sizes ---------------------------------------------------------------------------
def _expand(call: Call) -> Mapped:
    sizes = list(call.value("size", allow_batch=True))
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = list(sizes[0])
    if len(sizes) != _rank(call) or sizes[0] not in (BATCH, -1) or mentions_batch(sizes[1:]):
        raise Unsupported("expands to another rank or batch; netbuilder's Expand keeps both: "
                          "x.expand(x.shape[0], ...) or x.expand(-1, ...)")
    return Mapped("Expand", {"shape": list(call.out.shape[1:])}, [call.tensor("input")])


def _repeat(call: Call) -> Mapped:
    times = list(call.value("repeats"))
    if len(times) == 1 and isinstance(times[0], (tuple, list)):
        times = list(times[0])
    if len(times) != _rank(call) or times[0] != 1:
        raise Unsupported("repeats the batch or adds dimensions; give one count per dimension, 1 for the batch")
    return Mapped("Repeat", {"repeats": times[1:]}, [call.tensor("input")])


def _pad(call: Call) -> Mapped:
    pads = [int(p) for p in call.value("pad")]
    mode = call.value("mode", "constant")
    value = call.value("value", None)
    return Mapped("Pad", {"padding": pads, "mode": mode, "value": 0.0 if value is None else float(value)},
                  [call.tensor("input")])


# -- functional layers with the model's own weights --------------------------------------
_WEIGHTED = {F.layer_norm: ("weight", "bias"), F.group_norm: ("weight", "bias"), F.linear: ("weight", "bias")}


def takes_weights(user: fx.Node, tensor: fx.Node) -> bool:
    """Whether ``user`` is a functional layer given ``tensor`` as its weight or bias."""
    if user.op != "call_function" or user.target not in _WEIGHTED or (user.args and user.args[0] is tensor):
        return False
    return True


def _own_weights(call: Call, layer: str) -> dict[str, str]:
    """``{"weight": "ln.w", "bias": "ln.b"}``: the parameters the call passes, which its node takes over."""
    given = {name: call.bound.get(name) for name in ("weight", "bias")}
    if all(v is None for v in given.values()):
        return {}
    if not all(isinstance(v, fx.Node) and v.op == "get_attr" for v in given.values()):
        raise Unsupported(f"netbuilder's {layer} has a weight and a bias of its own, or neither: pass both as "
                          "parameters of the module (self.weight, self.bias)")
    return {name: node.target for name, node in given.items()}


def _layer_norm(call: Call) -> Mapped:
    source = call.tensor("input")
    shape = list(call.value("normalized_shape"))
    if list(call.meta(source).shape[-len(shape):]) != shape or len(shape) >= call.meta(source).rank:
        raise Unsupported(f"normalises over {tuple(shape)}, which are not the last sizes of one sample "
                          f"{call.meta(source).shape[1:]}")
    tensors = _own_weights(call, "LayerNorm")
    params = {"normalized_dims": len(shape), "eps": call.value("eps", 1e-5), "elementwise_affine": bool(tensors)}
    return Mapped("LayerNorm", params, [source], tensors=tensors)


def _group_norm(call: Call) -> Mapped:
    tensors = _own_weights(call, "GroupNorm")
    params = {"num_groups": call.value("num_groups"), "eps": call.value("eps", 1e-5), "affine": bool(tensors)}
    return Mapped("GroupNorm", params, [call.tensor("input")], tensors=tensors)


def _linear(call: Call) -> Mapped:
    """``F.linear(x, self.weight, self.bias)``: a Linear node that holds them."""
    weight, bias = call.bound.get("weight"), call.bound.get("bias")
    if not all(isinstance(t, fx.Node) and t.op == "get_attr" for t in (weight, bias) if t is not None) \
            or weight is None:
        raise Unsupported("netbuilder's Linear holds its weight (and bias): pass parameters of the module "
                          "(self.weight, self.bias)")
    tensors = {"weight": weight.target, **({"bias": bias.target} if bias is not None else {})}
    out_features = call.meta(weight).shape[0]
    return Mapped("Linear", {"out_features": out_features, "bias": bias is not None}, [call.tensor("input")],
                  tensors=tensors)


def _unary(layer: str) -> Callable[[Call], Mapped]:
    return lambda call: Mapped(layer, {}, [call.tensor("input")])


def register_all(add: Callable[[tuple, Rule], None]) -> None:
    """Add the rules of this module with ``add(targets, rule)``, :mod:`.function_table`'s own (this
    module does not import it: the table imports the rules)."""
    for layer, name in (("Mean", "mean"), ("Sum", "sum"), ("Amax", "amax"), ("Amin", "amin")):
        add((getattr(torch, name), name), Rule(layer, ("input", "dim", "keepdim", "dtype"), handler=_reduction(layer)))
    for layer, name in (("Std", "std"), ("Var", "var")):
        add((getattr(torch, name), name), Rule(layer, ("input", "dim", "unbiased", "keepdim", "correction"),
                                                handler=_spread(layer)))
    for layer, name in (("Amax", "max"), ("Amin", "min")):
        add((getattr(torch, name), name), Rule(layer, ("input", "dim", "keepdim"), handler=_max_or_min(layer)))
    add((torch.squeeze, "squeeze"), Rule("Squeeze", ("input", "dim"), handler=_squeeze("Squeeze")))
    add((torch.unsqueeze, "unsqueeze"), Rule("Unsqueeze", ("input", "dim"), handler=_squeeze("Unsqueeze")))
    add((torch.transpose, "transpose", torch.swapaxes, "swapaxes", torch.swapdims, "swapdims"),
         Rule("Transpose", ("input", "dim0", "dim1"), handler=_transpose))
    add((torch.chunk, "chunk"), Rule("Chunk", ("input", "chunks", "dim"), handler=_chunk))
    add((torch.split, "split"), Rule("Split", ("input", "split_size_or_sections", "dim"), handler=_split))
    add(("split",), Rule("Split", ("input", "split_size", "dim"), handler=_split))
    add((torch.tensor_split,), Rule("Split", ("input", "indices_or_sections", "dim"), handler=_split))
    add((torch.unbind, "unbind"), Rule("Select", ("input", "dim"), handler=_unbind))
    add((operator.getitem,), Rule("Select", ("input", "index"), handler=_indexing))
    add((torch.cat, torch.concat, torch.concatenate), Rule("Concat", ("tensors", "dim"), handler=_cat_or_stack(
        "Concat")))
    add((torch.stack,), Rule("Stack", ("tensors", "dim"), handler=_cat_or_stack("Stack")))
    add((torch.matmul, "matmul", torch.bmm, "bmm", operator.matmul),
         Rule("MatMul", ("input", "other"), handler=_matmul))
    add((F.scaled_dot_product_attention,), Rule("ScaledDotProductAttention", (
        "query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa"), handler=_attention))
    for target in _OPS:
        args = ("input", "other", "alpha") if target in (torch.add, torch.sub, "add", "sub", torch.subtract,
                                                         "subtract") else ("input", "other")
        if target in (torch.div, "div", torch.divide, "divide"):
            args = ("input", "other", "rounding_mode")
        add((target,), Rule("Scalar", args, handler=arithmetic))
    add((operator.neg, torch.neg, "neg", torch.negative, "negative"), Rule("Neg", ("input",), handler=_negate))
    add((torch.clamp, "clamp", torch.clip, "clip"), Rule("Clamp", ("input", "min", "max"), handler=_clamp))
    add((torch.clamp_min, "clamp_min"), Rule("Clamp", ("input", "min"), handler=_clamp))
    for target in _COMPARE:
        add((target,), Rule("Where", ("input", "other"), handler=comparison))
    add((torch.where,), Rule("Where", ("condition", "input", "other"), handler=_where))
    add(("masked_fill",), Rule("Where", ("input", "mask", "value"), handler=_masked_fill))
    add(("expand",), Rule("Expand", ("input", "*size"), handler=_expand))
    add(("repeat",), Rule("Repeat", ("input", "*repeats"), handler=_repeat))
    add((F.pad,), Rule("Pad", ("input", "pad", "mode", "value"), handler=_pad))
    add((F.linear,), Rule("Linear", ("input", "weight", "bias"), handler=_linear))
    add((F.layer_norm,), Rule("LayerNorm", ("input", "normalized_shape", "weight", "bias", "eps"),
                               handler=_layer_norm))
    add((F.group_norm,), Rule("GroupNorm", ("input", "num_groups", "weight", "bias", "eps"), handler=_group_norm))
    for layer in ("Exp", "Log", "Sqrt", "Rsqrt", "Abs", "Reciprocal"):
        name = layer.lower()
        add((getattr(torch, name), name), Rule(layer, ("input",), handler=_unary(layer)))
