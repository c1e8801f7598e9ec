"""Example inputs and results nested in tuples, as ``forward(self, x, hidden)`` takes and gives them.

A netbuilder graph has flat Input and Output nodes. A language model's
``forward(input, hidden)`` with ``hidden = (h, c)`` takes three tensors, so the
traced placeholder of a tuple argument is split into one placeholder per tensor
(``hidden_0``, ``hidden_1``: the Input nodes' ids), and a result such as
``return decoded, hidden`` is read as its tensors in order, one Output node each.
"""

from __future__ import annotations

import operator
from typing import Any

import torch
import torch.fx as fx

from ..core.errors import NetbuilderError

Structure = Any  # None for one tensor, a tuple of structures for a tuple


def flatten_examples(example_inputs) -> tuple[tuple[torch.Tensor, ...], tuple[Structure, ...]]:
    """The tensors of ``example_inputs`` in order, and the shape of each forward argument
    (``(tokens, (h0, c0))`` → three tensors and ``(None, (None, None))``)."""
    arguments = (example_inputs,) if isinstance(example_inputs, torch.Tensor) else tuple(example_inputs)
    tensors: list[torch.Tensor] = []

    def walk(value, depth: int) -> Structure:
        if isinstance(value, torch.Tensor):
            tensors.append(value)
            return None
        if isinstance(value, (tuple, list)) and value and depth < 4:
            return tuple(walk(v, depth + 1) for v in value)
        raise NetbuilderError("example_inputs must be a tensor or a tuple of tensors (tuples may nest: "
                              f"(tokens, (h0, c0))), got {type(value).__name__}")

    structure = tuple(walk(a, 1) for a in arguments)
    return tuple(tensors), structure


def nest(tensors, structure: tuple[Structure, ...]) -> tuple:
    """The arguments of forward from its flat tensors (the inverse of :func:`flatten_examples`)."""
    items = iter(tensors)

    def build(shape: Structure):
        return next(items) if shape is None else tuple(build(s) for s in shape)

    return tuple(build(s) for s in structure)


def flat_results(value) -> list:
    """``(decoded, (h, c))`` → ``[decoded, h, c]``."""
    if isinstance(value, (tuple, list)):
        return [item for v in value for item in flat_results(v)]
    return [value]


def split_tuple_placeholders(graph_module: fx.GraphModule, structure: tuple[Structure, ...]) -> None:
    """Replace the placeholder of each tuple argument by one placeholder per tensor in it.

    ``h, c = hidden`` (``hidden[0]``) then reads the new placeholder directly; a use of
    the tuple as a whole (``self.rnn(emb, hidden)``) gets the tuple of placeholders.
    """
    graph = graph_module.graph
    placeholders = [n for n in graph.nodes if n.op == "placeholder"]
    for node, shape in zip(placeholders, structure):
        if shape is None:
            continue
        with graph.inserting_before(node):
            parts = _placeholders(graph, node.target, shape, node)
        _substitute(graph, node, parts)
    graph_module.recompile()


def _substitute(graph: fx.Graph, node: fx.Node, parts) -> None:
    """Every use of ``node`` reads ``parts`` instead; ``node[i]`` reads ``parts[i]``."""
    if isinstance(parts, fx.Node):
        node.replace_all_uses_with(parts)
        graph.erase_node(node)
        return
    for user in list(node.users):
        index = user.args[1] if user.op == "call_function" and user.target is operator.getitem else None
        if isinstance(index, int) and user.args[0] is node and -len(parts) <= index < len(parts):
            _substitute(graph, user, parts[index])
        else:
            user.args = fx.node.map_arg(user.args, lambda n: parts if n is node else n)
            user.kwargs = fx.node.map_arg(user.kwargs, lambda n: parts if n is node else n)
    graph.erase_node(node)


def _placeholders(graph: fx.Graph, name: str, shape: tuple[Structure, ...], original: fx.Node) -> tuple:
    parts = []
    for i, item in enumerate(shape):
        if item is None:
            node = graph.placeholder(f"{name}_{i}")
            node.meta.update(original.meta)
            parts.append(node)
        else:
            parts.append(_placeholders(graph, f"{name}_{i}", item, original))
    return tuple(parts)
