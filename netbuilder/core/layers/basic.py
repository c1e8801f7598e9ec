"""Graph boundaries, dense layers, normalisation, dropout, reshaping, merges."""

from __future__ import annotations

import math

from ..params import Bool, Choice, Dims, Float, Int, Shape
from . import register
from .spec import Construct, Emit, LayerSpec, Role, TensorType, TokenIds, no_parameters


def same(params, inputs):
    """Shape rule of every elementwise layer: the output is the input."""
    return [inputs[0]]


def channels(params, inputs):
    return {"num_features": inputs[0].shape[0]}


def _nothing(e: Emit) -> list[str]:
    return []


# -- Input / Output -----------------------------------------------------------
register(LayerSpec(
    "Input", "Input/Output", "A model input: one tensor per sample, shape without the batch dimension.",
    params=(
        Shape("shape", [1, 8, 8], "Shape of one sample, without the batch dimension.", key=True, torch=False),
        Choice("dtype", ["float32", "int64"], doc="int64 for token ids that feed an Embedding.", torch=False),
    ),
    min_inputs=0, max_inputs=0, emit=_nothing, role=Role.INPUT,
    rule=lambda p, _: [TensorType(tuple(p["shape"]), p["dtype"])],
))
register(LayerSpec(
    "Output", "Input/Output", "Marks a model output; several Output nodes make the model return a tuple.",
    emit=lambda e: [f"{e.outs[0]} = {e.ins[0]}"],  # an alias named after the node, so its id is in the code
    rule=same, role=Role.OUTPUT, token_ids=TokenIds.PASSED,
))

# -- Core ---------------------------------------------------------------------
def _linear_warn(params, inputs):
    if len(inputs[0].shape) >= 3:
        return [f"gets a {len(inputs[0].shape) + 1}-D tensor {inputs[0].text()}: Linear then acts on the "
                "last dimension only; add a Flatten before it to use all features"]
    return []


def _linear_rule(params, inputs):
    return [TensorType(inputs[0].shape[:-1] + (params["out_features"],))]


def _linear_params(kwargs) -> int:
    n_in, n_out = kwargs["in_features"], kwargs["out_features"]
    return n_in * n_out + (n_out if kwargs.get("bias", True) else 0)


def _linear_macs(params, inputs, outputs, module) -> int:
    """The weight matrix applied once per position of the output."""
    return inputs[0].shape[-1] * params["out_features"] * math.prod(outputs[0].shape[:-1])


register(LayerSpec(
    "Linear", "Core", "Fully connected layer: y = x·Wᵀ + b on the last dimension.",
    params=(
        Int("out_features", 10, "Size of each output sample.", minimum=1, required=True, key=True),
        Bool("bias", True, "Learn an additive bias."),
    ),
    torch_class="Linear", ranks=(2, 3, 4, 5), expects="(N, *, features)",
    infer_args=lambda p, ins: {"in_features": ins[0].shape[-1]},
    rule=_linear_rule, warn=_linear_warn, count_params=_linear_params, macs=_linear_macs,
))
register(LayerSpec("Identity", "Core", "Passes its input through unchanged (a placeholder).",
                   torch_class="Identity", rule=same, token_ids=TokenIds.PASSED, count_params=no_parameters))


def _parameter(kwargs) -> Construct:
    """``nn.Parameter(torch.zeros(3, 4))``: a tensor the optimiser trains, kept under the node's id."""
    return Construct("nn.Parameter", (Construct(f"torch.{kwargs['init']}", tuple(kwargs["shape"])),))


def _parameter_emit(e: Emit) -> list[str]:
    """The same tensor for every sample: a view with the batch dimension in front
    (no copy), so it adds, multiplies or concatenates with any value of the model."""
    sizes = e.params["sample_shape"] or e.params["shape"]
    return [f"{e.outs[0]} = {e.mod}.expand({e.batch}, {', '.join(map(str, sizes))})"]


def _parameter_rule(params, inputs):
    """The value is ``sample_shape`` per sample (``shape`` when empty); the tensor as
    stored (``shape``) must expand to it, lined up from the right as torch does:
    a (1, 197, 768) position embedding gives (197, 768), a (768,) layer scale (1, 768)."""
    stored, sample = tuple(params["shape"]), tuple(params["sample_shape"] or params["shape"])
    target = (1, *sample)  # the batch: a stored size there must be 1
    if len(stored) > len(target) or any(have not in (1, want) for have, want in zip(stored[::-1], target[::-1])):
        raise ValueError(f"a tensor of shape {stored} cannot give every sample a copy of shape {sample}: sizes "
                         "line up from the right and must be equal, or 1 in the tensor")
    return [TensorType(sample)]


register(LayerSpec(
    "Parameter", "Core", "A learned tensor, the same for every sample (a position embedding, a class token).",
    params=(
        Shape("shape", [8], "Shape of the tensor, without the batch dimension.", key=True),
        Choice("init", ["zeros", "ones", "randn"], doc="Initial values; randn draws from N(0, 1).", key=True),
        Shape("sample_shape", None, "What each sample gets, when the tensor is kept in another shape: (197, 768) "
              "from a (1, 197, 768) tensor; empty: its shape.", optional=True, torch=False),
    ),
    min_inputs=0, max_inputs=0, creates=_parameter, emit=_parameter_emit, macs=lambda *_: 0,
    rule=_parameter_rule,
))

# -- Normalization ------------------------------------------------------------
_eps = Float("eps", 1e-5, "Added to the variance for numerical stability.", minimum=0, above=True)
_momentum = Float("momentum", 0.1, "Running statistics update rate.", minimum=0, maximum=1)
_affine = Bool("affine", True, "Learn a scale and shift.")


def _batch_norm_params(kwargs) -> int:
    """A scale and a shift per channel (the running statistics are buffers)."""
    return 2 * kwargs["num_features"] if kwargs.get("affine", True) else 0


register(LayerSpec(
    "BatchNorm1d", "Normalization", "Batch normalisation over features of (N, C) or (N, C, L) input.",
    params=(_eps, _momentum, _affine), torch_class="BatchNorm1d", ranks=(2, 3),
    expects="(N, C) or (N, C, L)", infer_args=channels, rule=same, count_params=_batch_norm_params,
))
register(LayerSpec(
    "BatchNorm2d", "Normalization", "Batch normalisation over the channels of images.",
    params=(_eps, _momentum, _affine), torch_class="BatchNorm2d", ranks=(4,),
    expects="(N, C, H, W)", hint="use BatchNorm1d for flat features", infer_args=channels, rule=same,
    count_params=_batch_norm_params,
))
NORMALIZED_DIMS = Int("normalized_dims", 1, "How many trailing dimensions to normalise over.", minimum=1, maximum=4,
                      torch=False)


def normalized_shape_args(params, inputs):
    """``normalized_shape`` from the input: its last ``normalized_dims`` sizes (LayerNorm, RMSNorm)."""
    dims, shape = params["normalized_dims"], inputs[0].shape
    if dims > len(shape):
        raise ValueError(f"normalized_dims {dims} is more than the {len(shape)} non-batch dimension(s) of "
                         f"{inputs[0].text()}")
    return {"normalized_shape": list(shape[-dims:])}


register(LayerSpec(
    "LayerNorm", "Normalization", "Normalises over the last dimension(s) of each sample.",
    params=(
        NORMALIZED_DIMS, _eps, Bool("elementwise_affine", True, "Learn a scale and shift."),
    ),
    torch_class="LayerNorm", infer_args=normalized_shape_args, rule=same,
))
register(LayerSpec(
    "GroupNorm", "Normalization", "Normalises groups of channels; works with any batch size.",
    params=(Int("num_groups", 8, "Number of channel groups; must divide the channels.", minimum=1,
                required=True, key=True), _eps, _affine),
    torch_class="GroupNorm", ranks=(3, 4, 5), expects="(N, C, *)",
    infer_args=lambda p, ins: {"num_channels": ins[0].shape[0]}, rule=same,
))
def _instance_norm_rule(params, inputs):
    if math.prod(inputs[0].shape[1:]) == 1:  # torch refuses it in every forward, not only on the meta device
        raise ValueError(f"normalises each channel over its pixels and needs more than one, got {inputs[0].text()}; "
                         "move it before the pooling that shrinks the image to 1×1")
    return same(params, inputs)


register(LayerSpec(
    "InstanceNorm2d", "Normalization", "Normalises each channel of each image on its own (style transfer).",
    params=(_eps, _momentum, Bool("affine", False, "Learn a scale and shift.")),
    torch_class="InstanceNorm2d", ranks=(4,), expects="(N, C, H, W)", infer_args=channels, rule=_instance_norm_rule,
))

# -- Regularization -----------------------------------------------------------
_p = Float("p", 0.5, "Probability of zeroing an element.", minimum=0, maximum=1, key=True)
register(LayerSpec("Dropout", "Regularization", "Randomly zeroes elements while training.",
                   params=(_p,), torch_class="Dropout", rule=same, count_params=no_parameters))
register(LayerSpec("Dropout2d", "Regularization", "Randomly zeroes whole channels of images while training.",
                   params=(_p,), torch_class="Dropout2d", ranks=(4,), expects="(N, C, H, W)", rule=same,
                   count_params=no_parameters))
register(LayerSpec("AlphaDropout", "Regularization", "Dropout that keeps SELU's self-normalisation.",
                   params=(_p,), torch_class="AlphaDropout", rule=same, count_params=no_parameters))

def _drop_path_emit(e: Emit) -> list[str]:
    """One keep-or-drop per sample, scaled as dropout scales: F.dropout of a ones tensor of
    shape (N, 1, …, 1), so that the line needs nothing but PyTorch and reads back on import."""
    ones = ", ".join([f"{e.ins[0]}.shape[0]"] + ["1"] * len(e.types[0].shape))
    return [f"{e.outs[0]} = {e.ins[0]} * nn.functional.dropout({e.ins[0]}.new_ones({ones}), {e.params['p']!r}, "
            "self.training)"]


register(LayerSpec("DropPath", "Regularization", "Stochastic depth: while training, drops a residual branch for "
                   "whole samples at random (x times 0 or 1/(1-p) per sample).",
                   params=(Float("p", 0.1, "Probability of dropping a sample's branch.", minimum=0, maximum=1,
                                 key=True),),
                   rule=same, emit=_drop_path_emit, count_params=no_parameters))

# -- Reshape ------------------------------------------------------------------
def dim_index(dim: int, t: TensorType, name: str = "dim") -> int:
    """``dim`` as an index into (N, *shape), refusing what torch refuses."""
    rank = len(t.shape) + 1
    if not -rank <= dim < rank:
        raise ValueError(f"{name} {dim} is out of range for {t.text()}, whose dimensions are 0 to {rank - 1} "
                         "(0 is the batch)")
    return dim % rank


def _flatten_rule(params, inputs):
    full = (0, *inputs[0].shape)
    start = dim_index(params["start_dim"], inputs[0], "start_dim")
    end = dim_index(params["end_dim"], inputs[0], "end_dim")
    if start == 0:
        raise ValueError("start_dim 0 would flatten the batch dimension; use 1")
    if start > end:
        raise ValueError(f"start_dim {params['start_dim']} comes after end_dim {params['end_dim']}")
    merged = math.prod(full[start:end + 1])
    return [TensorType(full[1:start] + (merged,) + full[end + 1:], inputs[0].dtype)]


register(LayerSpec(
    "Flatten", "Reshape", "Flattens dimensions start_dim…end_dim into one (images → feature vectors).",
    params=(Int("start_dim", 1, "First dimension to flatten (0 is the batch)."),
            Int("end_dim", -1, "Last dimension to flatten.")),
    torch_class="Flatten", ranks=(2, 3, 4, 5, 6), rule=_flatten_rule, token_ids=TokenIds.PASSED,
    count_params=no_parameters,
))
register(LayerSpec(
    "Unflatten", "Reshape", "Splits one dimension into several (feature vector → image).",
    params=(Int("dim", 1, "Dimension to split (0 is the batch).", minimum=1, key=True),
            Shape("unflattened_size", [1, 8, 8], "Sizes the dimension is split into.", required=True, key=True)),
    torch_class="Unflatten", token_ids=TokenIds.PASSED,
))


def _reshape_rule(params, inputs):
    target = tuple(params["shape"])
    if math.prod(target) != math.prod(inputs[0].shape):
        raise ValueError(f"cannot reshape {inputs[0].text()} ({math.prod(inputs[0].shape)} values per sample) "
                         f"to (N, {', '.join(map(str, target))}) ({math.prod(target)} values)")
    return [TensorType(target, inputs[0].dtype)]


register(LayerSpec(
    "Reshape", "Reshape", "Reshapes each sample to the given shape (batch dimension kept).",
    params=(Shape("shape", [64], "New shape of one sample, without the batch dimension.", required=True, key=True),),
    emit=lambda e: [f"{e.outs[0]} = {e.ins[0]}.reshape({e.ins[0]}.shape[0], "
                    f"{', '.join(map(str, e.params['shape']))})"],
    rule=_reshape_rule, token_ids=TokenIds.PASSED,
))


def _permute_rule(params, inputs):
    dims, rank = params["dims"], len(inputs[0].shape) + 1
    in_range = all(-rank <= d < rank for d in dims)
    if len(dims) != rank or not in_range or sorted(d % rank for d in dims) != list(range(rank)):
        raise ValueError(f"dims {tuple(dims)} must list each of the {rank} dimensions of "
                         f"{inputs[0].text()} once")
    if dims[0] % rank != 0:
        raise ValueError("the batch dimension must stay first: dims must start with 0")
    full = (0, *inputs[0].shape)
    return [TensorType(tuple(full[d] for d in dims[1:]), inputs[0].dtype)]


register(LayerSpec(
    "Permute", "Reshape", "Reorders dimensions (0 is the batch and stays first), e.g. (0, 2, 1).",
    params=(Dims("dims", [0, 2, 1], "New order of all dimensions, batch included.", required=True, key=True),),
    emit=lambda e: [f"{e.outs[0]} = {e.ins[0]}.permute({', '.join(map(str, e.params['dims']))})"],
    rule=_permute_rule, token_ids=TokenIds.PASSED,
))

# -- Merge --------------------------------------------------------------------
def broadcast(params, inputs):
    """Shape rule of elementwise operations on several inputs: torch's broadcasting
    between tensors of one rank (each has its batch first, so sizes line up by
    position): in each dimension the sizes are equal or 1, and the result takes
    the larger. A squeeze-excitation gate (N, C, 1, 1) times (N, C, H, W) is (N, C, H, W)."""
    first = inputs[0]
    shape = list(first.shape)
    for other in inputs[1:]:
        if len(other.shape) != len(shape):
            raise ValueError(f"inputs {first.text()} and {other.text()} differ in rank: insert a dimension of size 1 "
                             "(Unsqueeze) where one is missing")
        for i, size in enumerate(other.shape):
            if size != shape[i] and 1 not in (size, shape[i]):
                raise ValueError(f"inputs {first.text()} and {other.text()} differ in dimension {i + 1} "
                                 f"({shape[i]} and {size}); sizes must be equal or 1 to broadcast")
            shape[i] = max(size, shape[i])
    return [TensorType(tuple(shape), first.dtype)]


def _join(symbol):
    return lambda e: [f"{e.outs[0]} = {f' {symbol} '.join(e.ins)}"]


_BROADCASTS = " Sizes of 1 broadcast: (N, C, 1, 1) and (N, C, H, W) give (N, C, H, W)."
register(LayerSpec("Add", "Merge", "Adds its inputs elementwise (residual connections)." + _BROADCASTS,
                   min_inputs=2, max_inputs=None, emit=_join("+"), rule=broadcast))
register(LayerSpec("Multiply", "Merge", "Multiplies its inputs elementwise (gating, squeeze-excitation)."
                   + _BROADCASTS, min_inputs=2, max_inputs=None, emit=_join("*"), rule=broadcast))
register(LayerSpec("Subtract", "Merge", "The first input minus the second, elementwise." + _BROADCASTS,
                   min_inputs=2, max_inputs=2, emit=_join("-"), rule=broadcast))
register(LayerSpec("Divide", "Merge", "The first input divided by the second, elementwise." + _BROADCASTS,
                   min_inputs=2, max_inputs=2, emit=_join("/"), rule=broadcast))


def _concat_rule(params, inputs):
    rank = len(inputs[0].shape) + 1
    dim = dim_index(params["dim"], inputs[0])
    if dim == 0:
        raise ValueError("dim 0 would join samples along the batch: use 1 (channels or features) or higher")
    total = 0
    for other in inputs:
        if len(other.shape) + 1 != rank or any(
            a != b for i, (a, b) in enumerate(zip(inputs[0].shape, other.shape), 1) if i != dim
        ):
            raise ValueError(f"inputs {inputs[0].text()} and {other.text()} must match in every dimension "
                             f"but {dim} (the one joined)")
        total += other.shape[dim - 1]
    shape = list(inputs[0].shape)
    shape[dim - 1] = total
    return [TensorType(tuple(shape), inputs[0].dtype)]


register(LayerSpec(
    "Concat", "Merge", "Concatenates its inputs along a dimension (1: channels or features); one input passes "
    "as it is (a dense block's first step).",
    params=(Int("dim", 1, "Dimension to join along (0 is the batch).", key=True),),
    min_inputs=1, max_inputs=None,
    emit=lambda e: [f"{e.outs[0]} = torch.cat([{', '.join(e.ins)}], dim={e.params['dim']})"],
    rule=_concat_rule, token_ids=TokenIds.PASSED,
))
