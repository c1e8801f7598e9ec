"""Embeddings, recurrent layers and attention. Everything is batch-first."""

from __future__ import annotations

from ..params import Bool, Choice, Float, Int
from . import register
from .spec import Emit, LayerSpec

_OUTPUT = Choice("output", ["sequence", "last"], key=True, torch=False,
                 doc="Port 0 gives every step (N, L, H) or only the last step (N, H).")


def _recurrent_emit(e: Emit, lstm: bool) -> list[str]:
    """``out, h = self.lstm(x)``; then pick the last step / last layer's state."""
    seq, state = e.outs
    target = f"({state}, _)" if lstm and state != "_" else state
    lines = [f"{seq}, {target} = {e.mod}({e.ins[0]})"]
    if e.params["output"] == "last" and seq != "_":
        lines.append(f"{seq} = {seq}[:, -1]")
    if state != "_":
        if e.params["bidirectional"]:
            lines.append(f"{state} = torch.cat([{state}[-2], {state}[-1]], dim=1)")
        else:
            lines.append(f"{state} = {state}[-1]")
    return lines


def _recurrent(name: str, doc: str, *extra):
    register(LayerSpec(
        name, "Recurrent", doc,
        params=(
            Int("hidden_size", 64, "Features of the hidden state.", minimum=1, required=True, key=True),
            Int("num_layers", 1, "Stacked layers.", minimum=1),
            *extra,
            Bool("bidirectional", False, "Also run the sequence backwards (doubles the features)."),
            Float("dropout", 0.0, "Dropout between stacked layers.", minimum=0, maximum=1),
            Bool("bias", True, "Learn biases."),
            _OUTPUT,
        ),
        torch_class=name, ranks=(3,), expects="(N, L, features)",
        hint="add a Permute or Reshape to make a sequence", outputs=("output", "h_n"),
        infer_args=lambda p, ins: {"input_size": ins[0].shape[-1], "batch_first": True},
        emit=lambda e: _recurrent_emit(e, lstm=name == "LSTM"),
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
    torch_class="Embedding", hint="Embedding needs an int64 Input (token ids)",
))


def _attention_emit(e: Emit) -> list[str]:
    q, k, v = (list(e.ins) * 3)[:3] if len(e.ins) == 1 else (e.ins + e.ins[-1:])[:3]
    return [f"{e.outs[0]}, _ = {e.mod}({q}, {k}, {v}, need_weights=False)"]


def _attention_args(params, inputs):
    args = {"embed_dim": inputs[0].shape[-1], "batch_first": True}
    if len(inputs) > 1 and inputs[1].shape[-1] != inputs[0].shape[-1]:
        args["kdim"] = inputs[1].shape[-1]
        args["vdim"] = inputs[-1].shape[-1]
    return args


register(LayerSpec(
    "MultiheadAttention", "Attention",
    "Multi-head attention: self-attention with one input, or query / key / value inputs.",
    params=(
        Int("num_heads", 4, "Heads; must divide the feature size.", minimum=1, required=True, key=True),
        Float("dropout", 0.0, "Dropout on attention weights.", minimum=0, maximum=1),
        Bool("bias", True, "Learn biases."),
    ),
    torch_class="MultiheadAttention", min_inputs=1, max_inputs=3, input_names=("query", "key", "value"),
    ranks=(3,), expects="(N, L, features)", infer_args=_attention_args, emit=_attention_emit,
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
    infer_args=lambda p, ins: {"d_model": ins[0].shape[-1], "batch_first": True},
))
