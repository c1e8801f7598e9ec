"""Embeddings, recurrent layers and attention. Everything is batch-first.

Shapes are hand-written rules: torch's recurrent and attention kernels take
5–80 ms per call on the meta device, far too slow for live inference.
"""

from __future__ import annotations

from ..params import Bool, Choice, Float, Int
from . import register
from .basic import same
from .spec import Emit, LayerSpec, TensorType, TokenIds

_BATCH_FIRST = (("batch_first", True),)  # every tensor in netbuilder is (N, …)
_OUTPUT = Choice("output", ["sequence", "last"], key=True, torch=False, port=0,
                 doc="Port 0 gives every step (N, L, H) or only the last step (N, H).")


_STATE = Choice("state", ["last layer", "every layer"], torch=False, port=1,
                doc="h_n (and an LSTM's c_n) of the last layer (N, D·H), or of every layer (N, layers·D, H), "
                    "as an initial state takes it.")


def _torch_state(name: str) -> str:
    """A per-sample state (N, layers·D, H) as torch takes it: (layers·D, N, H)."""
    return f"{name}.transpose(0, 1).contiguous()"


def _recurrent_emit(e: Emit, lstm: bool) -> list[str]:
    """``out, h = self.lstm(x)`` (``x, (h0, c0)`` with an initial state); then pick the last step
    and the last layer's state, or give every layer's state batch first."""
    seq, state, *cell = e.outs
    every = e.params.get("state") == "every layer"
    cell_name = cell[0] if cell and cell[0] != "_" else "_"
    target = f"({state}, {cell_name})" if lstm and (state != "_" or cell_name != "_") else state
    initial = [_torch_state(name) for name in e.ins[1:]]
    given = f", ({', '.join(initial)})" if lstm and initial else f", {initial[0]}" if initial else ""
    lines = [f"{seq}, {target} = {e.mod}({e.ins[0]}{given})"]
    if e.params["output"] == "last" and seq != "_":
        lines.append(f"{seq} = {seq}[:, -1]")
    if every:
        lines += [f"{name} = {name}.transpose(0, 1)" for name in (state, cell_name) if name != "_"]
    elif state != "_":
        if e.params["bidirectional"]:
            lines.append(f"{state} = torch.cat([{state}[-2], {state}[-1]], dim=1)")
        else:
            lines.append(f"{state} = {state}[-1]")
    return lines


def _recurrent_macs(params, inputs, outputs, module) -> int:
    """Every step multiplies by each layer's input and hidden weights."""
    weights = sum(p.numel() for name, p in module.named_parameters() if name.startswith("weight"))
    return inputs[0].shape[0] * weights


def _recurrent_rule(lstm: bool):
    def rule(params, inputs):
        """Batch-first output (L, D·H) or its last step (D·H,); the state of the last layer (D·H,)
        or of every layer (layers·D, H), the shape an initial state must have."""
        directions = 2 if params["bidirectional"] else 1
        width = params["hidden_size"] * directions
        sequence = (width,) if params["output"] == "last" else (inputs[0].shape[0], width)
        every = (params["num_layers"] * directions, params["hidden_size"])
        if len(inputs) == 2 and lstm:
            raise ValueError("an LSTM's initial state is h_0 and c_0: connect both, or neither")
        for name, given in zip(("h_0", "c_0"), inputs[1:]):
            if given.shape != every or given.dtype != "float32":
                raise ValueError(f"{name} {given.text()} must be the state of every layer, (N, {every[0]}, "
                                 f"{every[1]}): another recurrent layer's h_n with state 'every layer'")
        if params.get("state") == "every layer":
            state = TensorType(every)
            return [TensorType(sequence), state, state] if lstm else [TensorType(sequence), state]
        return [TensorType(sequence), TensorType((width,))]  # c_n is a port of every layer's state only
    return rule


def _recurrent(name: str, doc: str, *extra):
    lstm = name == "LSTM"
    register(LayerSpec(
        name, "Recurrent", doc,
        params=(
            Int("hidden_size", 64, "Features of the hidden state.", minimum=1, required=True, key=True),
            Int("num_layers", 1, "Stacked layers (at most 1000: each is built in Python).", minimum=1, maximum=1000),
            *extra,
            Bool("bidirectional", False, "Also run the sequence backwards (doubles the features)."),
            Float("dropout", 0.0, "Dropout between stacked layers.", minimum=0, maximum=1),
            Bool("bias", True, "Learn biases."),
            _OUTPUT,
            _STATE,
        ),
        torch_class=name, ranks=(3,), expects="(N, L, features)", max_inputs=3 if lstm else 2,
        input_names=("input", "h_0", "c_0") if lstm else ("input", "h_0"),
        hint="add a Permute or Reshape to make a sequence",
        outputs=("output", "h_n", "c_n") if lstm else ("output", "h_n"),
        ports=(lambda p: 3 if p["state"] == "every layer" else 2) if lstm else None,
        infer_args=lambda p, ins: {"input_size": ins[0].shape[-1]}, fixed_args=_BATCH_FIRST,
        emit=lambda e: _recurrent_emit(e, lstm=lstm), rule=_recurrent_rule(lstm), macs=_recurrent_macs,
    ))


_recurrent("RNN", "Elman recurrent layer over (N, L, features) sequences.",
           Choice("nonlinearity", ["tanh", "relu"], doc="Activation of the recurrence."))
_recurrent("LSTM", "Long short-term memory layer over (N, L, features) sequences.")
_recurrent("GRU", "Gated recurrent unit layer over (N, L, features) sequences.")

register(LayerSpec(
    "Embedding", "Recurrent", "Looks up a learned vector for each integer token id.",
    params=(
        Int("num_embeddings", 100, "Vocabulary size (ids run from 0 to this − 1).", minimum=1, required=True, key=True),
        Int("embedding_dim", 32, "Size of each vector.", minimum=1, required=True, key=True),
        Int("padding_idx", None, "Id whose vector stays zero (optional).", optional=True),
    ),
    torch_class="Embedding", hint="Embedding needs an int64 Input (token ids)", macs=lambda *_: 0,
    token_ids=TokenIds.REQUIRED, vocabulary="num_embeddings",
    rule=lambda p, ins: [TensorType((*ins[0].shape, p["embedding_dim"]))],
))


def _query_key_value(inputs):
    """Query, key and value from 1 input (self-attention), 2 (value = key) or 3;
    used on types and on variable names alike, so shapes and code agree."""
    query = inputs[0]
    key = inputs[1] if len(inputs) > 1 else query
    return query, key, inputs[-1] if len(inputs) > 1 else query


def _attention_emit(e: Emit) -> list[str]:
    query, key, value = _query_key_value(e.ins)
    return [f"{e.outs[0]}, _ = {e.mod}({query}, {key}, {value}, need_weights=False)"]


def _check_heads(features: int, heads: int, what: str) -> None:
    if features % heads:
        raise ValueError(f"{features} features cannot be split into {heads} heads: {what} must divide {features}")


def _attention_args(params, inputs):
    query, key, value = _query_key_value(inputs)
    _check_heads(query.shape[-1], params["num_heads"], "num_heads")
    args = {"embed_dim": query.shape[-1]}
    if key.shape[-1] != query.shape[-1] or value.shape[-1] != query.shape[-1]:
        args["kdim"] = key.shape[-1]
        args["vdim"] = value.shape[-1]
    return args


def _attention_rule(params, inputs):
    query, key, value = _query_key_value(inputs)
    for name, t in (("key", key), ("value", value)):
        if len(t.shape) != 2:
            raise ValueError(f"expects the {name} as (N, L, features), got {t.text()}")
    if key.shape[0] != value.shape[0]:
        raise ValueError(f"key {key.text()} and value {value.text()} must have the same length (dimension 1)")
    return [query]


def _attention_macs(params, inputs, outputs, module) -> int:
    """Four projections plus the two (L × S) products of scores and values."""
    query, key, value = _query_key_value(inputs)
    (lq, e), ls = query.shape[-2:], key.shape[0]
    return lq * e * e * 2 + ls * e * (key.shape[-1] + value.shape[-1]) + 2 * lq * ls * e


def _encoder_args(params, inputs):
    _check_heads(inputs[0].shape[-1], params["nhead"], "nhead")
    return {"d_model": inputs[0].shape[-1]}


def _encoder_macs(params, inputs, outputs, module) -> int:
    """Self-attention (as above) plus the two feed-forward matrices, per step."""
    length, d = inputs[0].shape[-2:]
    return 4 * length * d * d + 2 * length * length * d + 2 * length * d * params["dim_feedforward"]


register(LayerSpec(
    "MultiheadAttention", "Attention",
    "Multi-head attention: self-attention with one input, or query / key / value inputs.",
    params=(
        Int("num_heads", 4, "Heads; must divide the feature size.", minimum=1, required=True, key=True),
        Float("dropout", 0.0, "Dropout on attention weights.", minimum=0, maximum=1),
        Bool("bias", True, "Learn biases."),
    ),
    torch_class="MultiheadAttention", min_inputs=1, max_inputs=3, input_names=("query", "key", "value"),
    ranks=(3,), expects="(N, L, features)", infer_args=_attention_args, fixed_args=_BATCH_FIRST, emit=_attention_emit,
    rule=_attention_rule, macs=_attention_macs,
))
register(LayerSpec(
    "TransformerEncoderLayer", "Attention", "Self-attention plus feed-forward block with residuals and norms.",
    params=(
        Int("nhead", 4, "Attention heads; must divide the feature size.", minimum=1, required=True, key=True),
        Int("dim_feedforward", 2048, "Width of the feed-forward part.", minimum=1),
        Float("dropout", 0.1, "Dropout rate.", minimum=0, maximum=1),
        Choice("activation", ["relu", "gelu"], doc="Feed-forward activation."),
        Bool("norm_first", False, "Pre-norm (often trains more stably)."),
    ),
    torch_class="TransformerEncoderLayer", ranks=(3,), expects="(N, L, features)",
    infer_args=_encoder_args, fixed_args=_BATCH_FIRST, rule=same, macs=_encoder_macs,
))
