"""Tensor operations that move, select and reduce values: what models do between layers.

Each is a plain expression in the generated code (``x = x.transpose(1, 2)``,
``q, k, v = x.chunk(3, dim=-1)``), nothing learned and no module. Dimensions
count the batch as 0, as torch does on the batched tensor (and as Flatten and
Concat do); an operation that would change the batch dimension is refused
with why, since every value in a netbuilder graph is one tensor per sample.
"""

from __future__ import annotations

import math

from ..params import Bool, Choice, Dims, Float, Int, Shape
from . import register
from .spec import Emit, LayerSpec, TensorType, TokenIds

CATEGORY = "Tensor ops"
MAX_PARTS = 16  # output ports of a chunk or split


def sample_dim(dim: int, t: TensorType, name: str = "dim", extra: int = 0) -> int:
    """``dim`` as an index into the per-sample shape; the batch (0) is refused.

    ``extra`` is 1 where the operation adds a dimension (unsqueeze, stack), so
    one more position is valid."""
    rank = len(t.shape) + 1 + extra
    if not -rank <= dim < rank:
        raise ValueError(f"{name} {dim} is out of range for {t.text()}, whose dimensions are 0 to {rank - 1} "
                         "(0 is the batch)")
    if dim % rank == 0:
        raise ValueError(f"{name} 0 is the batch dimension, which stays as it is: use 1 or higher")
    return dim % rank - 1


def _dims_text(dims: list[int]) -> str:
    return str(dims[0]) if len(dims) == 1 else f"({', '.join(map(str, dims))})"


def _op(type_: str, doc: str, *params, rule, emit, inputs=1, tokens=TokenIds.PASSED, **kw) -> None:
    register(LayerSpec(type_, CATEGORY, doc, params=tuple(params), min_inputs=kw.pop("min_inputs", inputs),
                       max_inputs=kw.pop("max_inputs", inputs), rule=rule, emit=emit, token_ids=tokens, **kw))


# -- moving dimensions ------------------------------------------------------------
def _transpose(p, ins):
    t = ins[0]
    a, b = sample_dim(p["dim0"], t, "dim0"), sample_dim(p["dim1"], t, "dim1")
    shape = list(t.shape)
    shape[a], shape[b] = shape[b], shape[a]
    return [TensorType(tuple(shape), t.dtype)]


_op("Transpose", "Swaps two dimensions: x.transpose(1, 2) turns (N, C, L) into (N, L, C).",
    Int("dim0", 1, "One dimension (0 is the batch).", key=True), Int("dim1", 2, "The other.", key=True),
    rule=_transpose, emit=lambda e: [f"{e.outs[0]} = {e.ins[0]}.transpose({e.params['dim0']}, {e.params['dim1']})"])


def _squeeze(p, ins):
    t = ins[0]
    d = sample_dim(p["dim"], t)
    return [TensorType(t.shape[:d] + t.shape[d + 1:], t.dtype) if t.shape[d] == 1 else t]


def _squeeze_warn(p, ins):
    d = sample_dim(p["dim"], ins[0])
    if ins[0].shape[d] != 1:
        return [f"dimension {p['dim']} of {ins[0].text()} has size {ins[0].shape[d]}, not 1: squeeze leaves it"]
    return []


_op("Squeeze", "Removes a dimension of size 1: (N, C, 1) → (N, C).",
    Int("dim", -1, "The dimension to remove (0 is the batch).", key=True),
    rule=_squeeze, warn=_squeeze_warn, emit=lambda e: [f"{e.outs[0]} = {e.ins[0]}.squeeze({e.params['dim']})"])


def _unsqueeze(p, ins):
    t = ins[0]
    d = sample_dim(p["dim"], t, extra=1)
    return [TensorType(t.shape[:d] + (1,) + t.shape[d:], t.dtype)]


_op("Unsqueeze", "Inserts a dimension of size 1: (N, C) → (N, C, 1) with dim 2.",
    Int("dim", 1, "Where the new dimension goes (0 is the batch).", key=True),
    rule=_unsqueeze, emit=lambda e: [f"{e.outs[0]} = {e.ins[0]}.unsqueeze({e.params['dim']})"])


def _expand(p, ins):
    t, sizes = ins[0], p["shape"]
    if len(sizes) != len(t.shape):
        raise ValueError(f"shape {tuple(sizes)} must give one size per dimension of {t.text()} after the batch")
    out = []
    for i, (have, want) in enumerate(zip(t.shape, sizes), 1):
        if want != -1 and want < 1:
            raise ValueError(f"size {want} of dimension {i} must be positive, or -1 to keep it")
        if want not in (-1, have) and have != 1:
            raise ValueError(f"dimension {i} has size {have}: only a size-1 dimension expands (to {want})")
        out.append(have if want == -1 else want)
    return [TensorType(tuple(out), t.dtype)]


_op("Expand", "Repeats size-1 dimensions without copying: (N, 1, D) → (N, L, D); -1 keeps a size.",
    Dims("shape", [-1], "Size of every dimension after the batch; -1 keeps it.", required=True, key=True),
    rule=_expand, emit=lambda e: [f"{e.outs[0]} = {e.ins[0]}.expand(-1, {', '.join(map(str, e.params['shape']))})"])


def _repeat(p, ins):
    t, times = ins[0], p["repeats"]
    if len(times) != len(t.shape):
        raise ValueError(f"repeats {tuple(times)} must give one count per dimension of {t.text()} after the batch")
    return [TensorType(tuple(s * r for s, r in zip(t.shape, times)), t.dtype)]


_op("Repeat", "Tiles the tensor along its dimensions (copies): x.repeat(1, 2, 1) doubles dimension 1.",
    Shape("repeats", [1], "How many times, per dimension after the batch.", required=True, key=True),
    rule=_repeat, emit=lambda e: [f"{e.outs[0]} = {e.ins[0]}.repeat(1, {', '.join(map(str, e.params['repeats']))})"])


# -- reductions -----------------------------------------------------------------
def _reduced(p, ins):
    t = ins[0]
    dims = [sample_dim(d, t) for d in p["dim"]]
    if len(set(dims)) != len(dims):
        raise ValueError(f"dim {tuple(p['dim'])} names a dimension twice")
    if p["keepdim"]:
        return [TensorType(tuple(1 if i in dims else s for i, s in enumerate(t.shape)), t.dtype)]
    return [TensorType(tuple(s for i, s in enumerate(t.shape) if i not in dims), t.dtype)]


def _reduction(type_: str, method: str, doc: str, *extra, tokens=TokenIds.REFUSED) -> None:
    def emit(e: Emit) -> list[str]:
        keep = ", keepdim=True" if e.params["keepdim"] else ""
        keep += "".join(f", {p.name}={e.params[p.name]!r}" for p in extra if e.params[p.name] != p.default)
        return [f"{e.outs[0]} = {e.ins[0]}.{method}(dim={_dims_text(e.params['dim'])}{keep})"]

    _op(type_, doc, Dims("dim", [-1], "Dimensions to reduce (0 is the batch).", required=True, key=True),
        Bool("keepdim", False, "Keep them with size 1 (for broadcasting back).", key=True), *extra,
        rule=_reduced, emit=emit, tokens=tokens)


_reduction("Mean", "mean", "Averages over dimensions: x.mean(dim=(2, 3)) is global average pooling.")
_reduction("Sum", "sum", "Adds up over dimensions.")
_reduction("Amax", "amax", "The largest value over dimensions (x.max(dim) without the indices).",
           tokens=TokenIds.PASSED)
_reduction("Amin", "amin", "The smallest value over dimensions (x.min(dim) without the indices).",
           tokens=TokenIds.PASSED)
_CORRECTION = Int("correction", 1, "Subtracted from the count: 1 is the unbiased estimate, 0 the plain mean.",
                  minimum=0)
_reduction("Std", "std", "Standard deviation over dimensions.", _CORRECTION)
_reduction("Var", "var", "Variance over dimensions.", _CORRECTION)


# -- picking parts --------------------------------------------------------------
def _index_text(source: str, dim: int, item: str) -> str:
    """``x[:, 0]`` for dim 1, ``x[..., :4]`` for dim -1: indexing as people write it."""
    if dim >= 0:
        return f"{source}[{', '.join([':'] * dim + [item])}]"
    return f"{source}[{', '.join(['...', item] + [':'] * (-dim - 1))}]"


def _select(p, ins):
    t = ins[0]
    d = sample_dim(p["dim"], t)
    if not -t.shape[d] <= p["index"] < t.shape[d]:
        raise ValueError(f"index {p['index']} is out of range for dimension {p['dim']} of {t.text()}")
    return [TensorType(t.shape[:d] + t.shape[d + 1:], t.dtype)]


_op("Select", "Takes one position along a dimension and drops that dimension: x[:, 0] (a class token).",
    Int("dim", 1, "The dimension (0 is the batch).", key=True), Int("index", 0, "The position; -1 is the last.",
                                                                      key=True),
    rule=_select, emit=lambda e: [f"{e.outs[0]} = {_index_text(e.ins[0], e.params['dim'], str(e.params['index']))}"])


def _slice_text(p) -> str:
    start = "" if p["start"] is None else str(p["start"])
    end = "" if p["end"] is None else str(p["end"])
    return f"{start}:{end}" + (f":{p['step']}" if p["step"] != 1 else "")


def _slice(p, ins):
    t = ins[0]
    d = sample_dim(p["dim"], t)
    size = len(range(*slice(p["start"], p["end"], p["step"]).indices(t.shape[d])))
    if size == 0:
        raise ValueError(f"[{_slice_text(p)}] of dimension {p['dim']} (size {t.shape[d]}) would be empty")
    return [TensorType(t.shape[:d] + (size,) + t.shape[d + 1:], t.dtype)]


_op("Slice", "Keeps a range along a dimension: x[..., :k], x[:, 1:].",
    Int("dim", 1, "The dimension (0 is the batch).", key=True),
    Int("start", None, "First position kept; empty: from the start.", optional=True, key=True),
    Int("end", None, "Position where it stops (not kept); empty: to the end.", optional=True, key=True),
    Int("step", 1, "Keep every step-th position.", minimum=1),
    rule=_slice, emit=lambda e: [f"{e.outs[0]} = {_index_text(e.ins[0], e.params['dim'], _slice_text(e.params))}"])

_PARTS = tuple(f"part{i}" for i in range(1, MAX_PARTS + 1))


def _targets(e: Emit) -> str:
    return ", ".join(e.outs) + ("," if len(e.outs) == 1 else "")


def _pieces(t: TensorType, d: int, sizes: list[int]) -> list[TensorType]:
    return [TensorType(t.shape[:d] + (s,) + t.shape[d + 1:], t.dtype) for s in sizes]


def _chunk(p, ins):
    t = ins[0]
    d = sample_dim(p["dim"], t)
    size, chunks = t.shape[d], p["chunks"]
    step = math.ceil(size / chunks)
    made = math.ceil(size / step)
    if made != chunks:
        raise ValueError(f"dimension {p['dim']} of {t.text()} makes {made} chunks of {step}, not {chunks}: "
                         f"torch returns fewer; set chunks to {made}")
    return _pieces(t, d, [min(step, size - i * step) for i in range(chunks)])


_op("Chunk", "Cuts a dimension into equal pieces, one output each: q, k, v = x.chunk(3, dim=-1).",
    Int("chunks", 2, "How many pieces.", minimum=1, maximum=MAX_PARTS, key=True),
    Int("dim", 1, "The dimension (0 is the batch).", key=True),
    outputs=_PARTS, ports=lambda p: p["chunks"], rule=_chunk,
    emit=lambda e: [f"{_targets(e)} = {e.ins[0]}.chunk({e.params['chunks']}, dim={e.params['dim']})"])


def _split(p, ins):
    t, sizes = ins[0], p["sizes"]
    d = sample_dim(p["dim"], t)
    if len(sizes) > MAX_PARTS:
        raise ValueError(f"{len(sizes)} pieces are more than the {MAX_PARTS} outputs a node has")
    if sum(sizes) != t.shape[d]:
        raise ValueError(f"sizes {tuple(sizes)} add up to {sum(sizes)}, but dimension {p['dim']} of {t.text()} "
                         f"has {t.shape[d]}")
    return _pieces(t, d, sizes)


_op("Split", "Cuts a dimension into pieces of given sizes, one output each: x.split([16, 48], dim=1).",
    Shape("sizes", [1, 1], "Size of each piece; they add up to the dimension.", required=True, key=True),
    Int("dim", 1, "The dimension (0 is the batch).", key=True),
    outputs=_PARTS, ports=lambda p: len(p["sizes"]), rule=_split,
    emit=lambda e: [f"{_targets(e)} = {e.ins[0]}.split([{', '.join(map(str, e.params['sizes']))}], "
                    f"dim={e.params['dim']})"])


def _stack(p, ins):
    first = ins[0]
    for other in ins[1:]:
        if other.shape != first.shape:
            raise ValueError(f"inputs {first.text()} and {other.text()} must have the same shape to be stacked")
    d = sample_dim(p["dim"], first, extra=1)
    return [TensorType(first.shape[:d] + (len(ins),) + first.shape[d:], first.dtype)]


_op("Stack", "Stacks same-shaped inputs along a new dimension: torch.stack([a, b], dim=1).",
    Int("dim", 1, "Where the new dimension goes (0 is the batch).", key=True),
    rule=_stack, min_inputs=1, max_inputs=None,
    emit=lambda e: [f"{e.outs[0]} = torch.stack([{', '.join(e.ins)}], dim={e.params['dim']})"])


# -- padding --------------------------------------------------------------------
def _pad(p, ins):
    t, pads = ins[0], p["padding"]
    if len(pads) % 2 or len(pads) // 2 > len(t.shape):
        raise ValueError(f"padding {tuple(pads)} must be pairs (before, after) for at most the {len(t.shape)} "
                         f"dimension(s) of {t.text()} after the batch, last dimension first")
    if p["mode"] != "constant" and len(pads) // 2 > min(3, len(t.shape) - 1):
        raise ValueError(f"{p['mode']} padding pads at most the last {min(3, len(t.shape) - 1)} dimension(s) of "
                         f"{t.text()} (not the channels): give fewer pairs")
    shape = list(t.shape)
    for i in range(len(pads) // 2):
        d = len(shape) - 1 - i
        before, after = pads[2 * i], pads[2 * i + 1]
        if p["mode"] == "reflect" and max(before, after) >= shape[d]:
            raise ValueError(f"reflect padding of {max(before, after)} needs more than {max(before, after)} "
                             f"values in dimension {d + 1}, which has {shape[d]}")
        if p["mode"] != "constant" and min(before, after) < 0:
            raise ValueError("only constant padding may be negative (crop)")
        shape[d] += before + after
        if shape[d] < 1:
            raise ValueError(f"padding {tuple(pads)} leaves dimension {d + 1} of {t.text()} empty")
    return [TensorType(tuple(shape), t.dtype)]


def _pad_emit(e: Emit) -> list[str]:
    extra = "" if e.params["mode"] == "constant" else f", mode={e.params['mode']!r}"
    extra += f", value={e.params['value']!r}" if e.params["value"] != 0 else ""
    pads = ", ".join(map(str, e.params["padding"]))
    return [f"{e.outs[0]} = nn.functional.pad({e.ins[0]}, ({pads}){extra})"]


_op("Pad", "Pads (or, with negative sizes, crops) the last dimensions: F.pad(x, (left, right, top, bottom)).",
    Dims("padding", [1, 1], "Pairs (before, after), last dimension first.", required=True, key=True),
    Choice("mode", ["constant", "reflect", "replicate", "circular"], doc="What the new values are."),
    Float("value", 0.0, "The value of constant padding."),
    rule=_pad, emit=_pad_emit)
