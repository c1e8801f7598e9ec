"""The words and numbers a node card shows, as plain functions of the document.

Kept apart from the items so the wording can be tested without painting and
so every card, tooltip and popup says things the same way.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ...core.blockparams import REPEAT, reference
from ...core.layers import LayerSpec, TensorType
from ...core.library import BLOCK_CATEGORY
from ...core.params import BOOL, CHOICE, FLOAT, INTS, SHAPE, ParamSpec

if TYPE_CHECKING:
    from ...core.shapes import NodeInfo, Problem
    from .theme import CanvasTheme

# Short names keep the parameter line of a 140 px card to one readable line.
SHORT_NAMES = {
    "out_features": "out",
    "out_channels": "out",
    "kernel_size": "k",
    "padding": "pad",
    "dilation": "dil",
    "output_padding": "out pad",
    "hidden_size": "hidden",
    "num_layers": "layers",
    "num_heads": "heads",
    "nhead": "heads",
    "num_embeddings": "vocab",
    "embedding_dim": "dim",
    "unflattened_size": "size",
    "output_size": "size",
    "scale_factor": "scale",
    "negative_slope": "slope",
    "num_groups": "groups",
    "dim_feedforward": "ff",
    "normalized_dims": "dims",
    "bidirectional": "bidir",
    "start_dim": "start",
    "end_dim": "end",
    "num_parameters": "slopes",
}


def format_value(spec: ParamSpec, value: Any) -> str:
    if isinstance(value, list):
        if spec.kind in (SHAPE, INTS):
            return "×".join(map(str, value))
        return "(" + ", ".join(map(str, value)) + ")"
    if spec.kind == FLOAT:
        return f"{value:g}"
    return str(value)


def _describe(spec: ParamSpec, value: Any) -> str:
    name = SHORT_NAMES.get(spec.name, spec.name)
    if reference(value) is not None:  # a block parameter, inside its block
        return f"{name} {value}"
    if spec.kind == BOOL:
        return name if value else f"no {name}"
    if spec.kind == CHOICE:
        return str(value)
    return f"{name} {format_value(spec, value)}"


def param_summary(spec: LayerSpec, params: Mapping[str, Any]) -> str:
    """Key parameters, then any other parameter that differs from its default.

    ``Conv2d`` with padding 1 reads ``out 32 · k 3 · pad 1``: what a reader of
    the graph needs to tell two similar layers apart.
    """
    parts = []
    for p in spec.params:
        if p.name == REPEAT and spec.category == BLOCK_CATEGORY:
            continue  # the card's "× 6" badge says it
        value = params.get(p.name, p.default)
        if p.key or (value != p.default and value is not None):
            parts.append(_describe(p, value))
    return " · ".join(parts)


def count_text(n: int) -> str:
    """``320 params``, ``4.2k params``, ``138k params``, ``1.2M params``; empty for none."""
    if n <= 0:
        return ""
    for scale, suffix in ((1_000_000, "M"), (1000, "k")):
        if n >= scale:
            value = n / scale
            number = f"{value:.1f}".removesuffix(".0") if value < 10 else f"{value:.0f}"
            return f"{number}{suffix} params"
    return f"{n} params"


def shapes_text(outputs: Iterable[TensorType]) -> str:
    """Output shapes as PyTorch prints them, batch first: ``(N, 32, 8, 8)``."""
    texts = []
    for t in outputs:
        text = t.text()
        texts.append(text if t.dtype == "float32" else f"{text} {t.dtype}")
    return " · ".join(texts)


def input_port_count(spec: LayerSpec, used: Iterable[int]) -> int:
    """Ports to draw: every wired port plus one free one on variadic layers."""
    if spec.max_inputs == 0:
        return 0
    if spec.max_inputs == 1:
        return 1
    count = max(max(used, default=-1) + 2, spec.min_inputs, 1)
    return count if spec.max_inputs is None else min(count, spec.max_inputs)


_STAT_NAMES = (("mean", "mean"), ("std", "std"), ("zeros", "zeros"), ("grad_norm", "grad norm"))


def stats_text(stats: Mapping[str, Any]) -> str:
    """One line per training statistic, for the node's tooltip."""
    lines = []
    for key, name in _STAT_NAMES:
        value = stats.get(key)
        if value is None:
            continue
        lines.append(f"{name}: {value:.1%}" if key == "zeros" else f"{name}: {value:.4g}")
    return "\n".join(lines)


def node_tooltip(node_id: str, spec: LayerSpec, info: NodeInfo | None, problems: Iterable[Problem],
                 stats: Mapping[str, Any] | None, theme: CanvasTheme) -> str:
    """Rich text: id, type and size, then problems in their colour, the
    layer's description, and live training statistics when there are any."""
    head = f"<b>{html.escape(node_id)}</b> · {html.escape(spec.type)}"
    if info is not None and info.params:
        head += f" · {info.params:,} parameters"
    lines = [head]
    for problem in problems:
        colour = theme.error if problem.severity == "error" else theme.warning
        lines.append(f"<span style='color:{colour.name()}'>{html.escape(problem.message)}</span>")
    lines.append(f"<i>{html.escape(spec.doc)}</i>")
    if stats:
        lines.append(html.escape(stats_text(stats)).replace("\n", "<br>"))
    return "<br>".join(lines)
