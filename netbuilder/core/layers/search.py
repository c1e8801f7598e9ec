"""Finding a layer type among a hundred and more: words people use, ranking, tooltips.

Qt-free, so the palette and the canvas's quick-add field search the same way
and tests need no display. A person looks for "dense" or "upconv" as often as
for torch's name, so each type may have aliases; a query matches a type when
every word occurs in its name, aliases, category or description.
"""

from __future__ import annotations

from collections.abc import Iterable

from .spec import LayerSpec, TensorType

#: Other names people search by (Keras, papers, other frameworks).
ALIASES = {
    "Linear": ("dense", "fully connected", "fc", "mlp", "affine"),
    "Bilinear": ("bilinear form",),
    "Identity": ("noop", "placeholder", "pass through"),
    **{f"Conv{d}d": ("convolution", "filter", "cnn") for d in (1, 2, 3)},
    **{f"ConvTranspose{d}d": ("upconv", "deconv", "deconvolution", "transposed convolution", "learned upsampling")
       for d in (1, 2, 3)},
    "MultiheadAttention": ("attention", "self-attention", "cross-attention", "mha"),
    "TransformerEncoderLayer": ("attention", "transformer block", "encoder", "bert", "vit"),
    "TransformerDecoderLayer": ("attention", "cross-attention", "decoder"),
    "Transformer": ("attention", "seq2seq", "encoder decoder"),
    **{f"BatchNorm{d}d": ("bn", "batch normalization", "batchnorm") for d in (1, 2, 3)},
    "LayerNorm": ("ln", "layer normalization"),
    "RMSNorm": ("root mean square", "llama"),
    "GroupNorm": ("gn",),
    "Embedding": ("lookup", "token", "word vectors", "vocabulary"),
    "EmbeddingBag": ("lookup", "bag of words"),
    "SiLU": ("swish",),
    "Hardswish": ("hard swish",),
    "Upsample": ("resize", "interpolate"),
    "UpsamplingNearest2d": ("resize", "interpolate"),
    "UpsamplingBilinear2d": ("resize", "interpolate"),
    "PixelShuffle": ("subpixel", "depth to space", "upscale"),
    "PixelUnshuffle": ("space to depth", "downscale"),
    "Flatten": ("vectorize",),
    "Reshape": ("view",),
    "Permute": ("transpose",),
    "Add": ("residual", "skip connection", "sum"),
    "Multiply": ("gate", "product"),
    "Concat": ("cat", "join", "skip connection"),
    "AdaptiveAvgPool2d": ("global average pooling", "gap"),
    "AdaptiveMaxPool2d": ("global max pooling",),
    "MaxPool2d": ("downsample", "subsample"),
    "LSTM": ("rnn", "recurrent"),
    "GRU": ("rnn", "recurrent"),
    "Dropout": ("regularization",),
    "PairwiseDistance": ("euclidean", "norm"),
    "CosineSimilarity": ("distance", "angle"),
    "ChannelShuffle": ("shufflenet",),
    "Transpose": ("swap", "swapaxes"),
    "Squeeze": ("drop dimension",),
    "Unsqueeze": ("new axis", "expand_dims", "insert dimension"),
    "Mean": ("average", "reduce", "global average pooling"),
    "Sum": ("reduce", "total"),
    "Std": ("standard deviation", "reduce"),
    "Var": ("variance", "reduce"),
    "Amax": ("max", "maximum", "reduce"),
    "Amin": ("min", "minimum", "reduce"),
    "Select": ("index", "class token", "getitem"),
    "Slice": ("crop", "narrow", "getitem"),
    "Chunk": ("split", "qkv"),
    "Split": ("chunk",),
    "Stack": ("join",),
    "Pad": ("padding", "crop", "f.pad"),
    "MatMul": ("matmul", "bmm", "matrix product", "@", "einsum"),
    "ScaledDotProductAttention": ("attention", "sdpa", "flash attention"),
    "Scalar": ("mul", "add", "div", "scale", "constant", "arithmetic"),
    "Clamp": ("clip",),
    "Where": ("mask", "masked_fill", "select"),
    "Subtract": ("sub", "minus", "difference"),
    "Divide": ("div", "ratio"),
}

# What people reach for most comes first among equally good matches, so
# typing "conv" offers Conv2d before Conv1d.
POPULAR = (
    "Linear", "Conv2d", "ReLU", "MaxPool2d", "BatchNorm2d", "Dropout", "Flatten", "Input", "Output", "Add",
    "Concat", "LSTM", "GRU", "Embedding", "GELU", "LayerNorm", "Softmax", "Conv1d", "AdaptiveAvgPool2d",
    "MultiheadAttention", "TransformerEncoderLayer", "Sigmoid", "Tanh", "Reshape",
)


_HAYSTACKS: dict[str, str] = {}


def _haystack(spec: LayerSpec) -> str:
    if spec.type not in _HAYSTACKS:
        _HAYSTACKS[spec.type] = " ".join((spec.type, *ALIASES.get(spec.type, ()), spec.category, spec.doc)).lower()
    return _HAYSTACKS[spec.type]


def matches(spec: LayerSpec, words: list[str]) -> bool:
    """True if every word occurs in the layer's name, aliases, category or description."""
    haystack = _haystack(spec)
    return all(word in haystack for word in words)


def rank_layers(query: str, specs: Iterable[LayerSpec]) -> list[LayerSpec]:
    """Specs matching every word of ``query``, best first.

    Exact names first, then exact aliases ("dense" → Linear), names that start
    with the query, names that contain it, and finally matches elsewhere.
    """
    text = query.strip().lower()
    words = text.split()
    scored = []
    for order, spec in enumerate(specs):
        if not matches(spec, words):
            continue
        name = spec.type.lower()
        if not text:
            tier = 0
        elif name == text:
            tier = 0
        elif text in ALIASES.get(spec.type, ()):
            tier = 1
        else:
            tier = 2 if name.startswith(text) else 3 if text in name else 4
        popular = POPULAR.index(spec.type) if spec.type in POPULAR and text else len(POPULAR)
        scored.append((tier, popular, order, spec))
    scored.sort(key=lambda entry: entry[:3])
    return [entry[3] for entry in scored]


def _input_text(spec: LayerSpec) -> str:
    if spec.max_inputs == 0:
        return "no input"
    if spec.expects:
        return spec.expects
    if spec.ranks:
        return " or ".join(f"{rank}-D" for rank in spec.ranks)
    return "any rank"


def _output_text(spec: LayerSpec) -> str:
    """The output's rank from the fast shape rule on a sample input; without a rule torch
    decides, for the input the node gets (nothing runs torch for a tooltip)."""
    if spec.rule is None:
        return "shape from torch, shown on the node"
    rank = min(spec.ranks) if spec.ranks else 2
    sample = [TensorType((8,) * (rank - 1), "int64" if spec.vocabulary else "float32")] * max(spec.min_inputs, 0)
    try:
        outputs = spec.rule(spec.validate_params({}), sample)
    except Exception:  # a rule that needs particular sizes: say nothing rather than guess
        return "shape from its parameters"
    if spec.max_inputs != 0 and len(outputs) == 1 and outputs[0].shape == sample[0].shape:
        return "same shape as the input"
    return ", ".join(f"{len(t.shape) + 1}-D" for t in outputs)


def tooltip(spec: LayerSpec) -> str:
    """What a palette entry says: what the layer does, then what goes in and comes out."""
    return f"{spec.doc}\nInput: {_input_text(spec)}. Output: {_output_text(spec)}."
