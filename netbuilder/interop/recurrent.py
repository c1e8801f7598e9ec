"""Recurrent and attention modules: the call and the indexing after it are one node.

torch returns tuples from these modules; netbuilder's nodes have ports
instead. The code netbuilder generates (``out, (h, _) = self.lstm(x)``,
``out = out[:, -1]``, ``h = h[-1]``, ``attn, _ = self.attn(x, x, x,
need_weights=False)``) and the same idioms in hand-written models are read
back into the node's ``output`` parameter and its two ports. A use the node
cannot give (the cell state, every layer's hidden state, attention weights)
is refused with that reason at the line that uses it.

Patterns know nothing of the mapper: they return their refusals in the
:class:`Pattern`, and the mapper records them (this module imports no other
part of the mapper, so the two form no import cycle).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.fx as fx

from .calls import Unsupported

_NOT_INDEXING = object()
_LAST_STEP = ((slice(None), -1), (slice(None), -1, slice(None)))
_ATTENTION_INPUTS = ("query", "key", "value")
_ATTENTION_OPTIONS = ("need_weights", "average_attn_weights")  # they only change the weights we drop


@dataclass
class Pattern:
    """What a module call and its indexing map to."""

    inputs: list[fx.Node]
    params: dict[str, Any]
    ports: dict[fx.Node, int]  # fx node → output port of the module's node
    absorbed: set[fx.Node]  # indexing nodes that need no node of their own
    refusals: dict[fx.Node, str] = field(default_factory=dict)  # uses it cannot map → why, shown at their line


def _index(node: fx.Node) -> Any:
    if node.op == "call_function" and node.target is operator.getitem and not isinstance(node.args[1], fx.Node):
        return node.args[1]
    return _NOT_INDEXING


def _is_last_step(node: fx.Node) -> bool:
    return any(_index(node) == pattern for pattern in _LAST_STEP)


def recurrent_pattern(node: fx.Node, kind: str, params: dict) -> Pattern:
    if len(node.args) != 1 or node.kwargs:
        raise Unsupported("an initial hidden state is not supported: netbuilder's layer starts from zeros")
    pattern = Pattern([node.args[0]], dict(params), {}, set())
    sequences, states = [], []
    for user in node.users:
        index = _index(user)
        if index in (0, 1):
            (sequences if index == 0 else states).append(user)
            pattern.absorbed.add(user)
        else:
            pattern.refusals[user] = "uses the module's output tuple as a whole"
    last_steps = [use for seq in sequences for use in seq.users if _is_last_step(use)]
    if last_steps and any(not _is_last_step(use) for seq in sequences for use in seq.users):
        for use in last_steps:
            pattern.refusals[use] = (f"takes the last step of a sequence that is also used whole; "
                                    f"netbuilder's {kind} gives one or the other")
        last_steps = []
    pattern.params["output"] = "last" if last_steps else "sequence"
    pattern.ports.update({use: 0 for use in last_steps} or {seq: 0 for seq in sequences})
    pattern.absorbed.update(last_steps)
    hidden = _hidden_states(states, kind, pattern) if kind == "LSTM" else states
    for h in hidden:
        _final_state(h, params, pattern)
    return pattern


def _hidden_states(states: list[fx.Node], kind: str, pattern: Pattern) -> list[fx.Node]:
    """``(h, c)``: h goes on, c is refused where used."""
    hidden = []
    for state in states:
        for use in state.users:
            index = _index(use)
            if index == 0:
                hidden.append(use)
                pattern.absorbed.add(use)
            else:
                pattern.refusals[use] = (f"uses the cell state c_n, which netbuilder's {kind} does not output"
                                        if index == 1 else "uses the (h_n, c_n) tuple as a whole")
    return hidden


def _final_state(h: fx.Node, params: dict, pattern: Pattern) -> None:
    """Port 1 is the last layer's state: ``h[-1]``, or ``cat([h[-2], h[-1]], dim=1)`` both ways."""
    last = [-1, params["num_layers"] - 1]
    refusal = "uses h_n of every layer; netbuilder's node gives the last layer's state h_n[-1]"
    for use in h.users:
        index = _index(use)
        if not params["bidirectional"] and index in last:
            pattern.ports[use] = 1
            pattern.absorbed.add(use)
        elif params["bidirectional"] and index in (-1, -2) and _joins_directions(h, use):
            joined = next(iter(use.users))
            pattern.ports[joined] = 1
            pattern.absorbed.update((use, joined))
        else:
            pattern.refusals[use] = refusal + (" (both directions joined with torch.cat)" if params["bidirectional"]
                                              else "")


def _joins_directions(h: fx.Node, use: fx.Node) -> bool:
    if len(use.users) != 1:
        return False
    joined = next(iter(use.users))
    if joined.op != "call_function" or joined.target is not torch.cat:
        return False
    items = joined.args[0] if joined.args else joined.kwargs.get("tensors")
    dim = joined.args[1] if len(joined.args) > 1 else joined.kwargs.get("dim", 0)
    return (isinstance(items, (list, tuple)) and len(items) == 2 and dim in (1, -1)
            and all(isinstance(t, fx.Node) and t.args[0] is h for t in items)
            and [_index(t) for t in items] == [-2, -1])


def attention_pattern(node: fx.Node, params: dict, is_tensor: Callable[[fx.Node], bool]) -> Pattern:
    bound = dict(zip(_ATTENTION_INPUTS, node.args))
    bound.update({k: v for k, v in node.kwargs.items() if k in _ATTENTION_INPUTS})
    options = {k: v for k, v in node.kwargs.items()
               if k not in _ATTENTION_INPUTS and k not in _ATTENTION_OPTIONS and v not in (None, False)}
    if options or len(node.args) > 3:
        raise Unsupported(f"masks and other options are not supported ({', '.join(options) or 'extra arguments'})")
    if len(bound) != 3 or any(not is_tensor(bound[k]) for k in _ATTENTION_INPUTS):
        raise Unsupported("needs query, key and value tensors")
    query, key, value = (bound[k] for k in _ATTENTION_INPUTS)
    inputs = [query] if query is key is value else [query, key] if key is value else [query, key, value]
    pattern = Pattern(inputs, dict(params), {}, set())
    for user in node.users:
        index = _index(user)
        if index == 0:
            pattern.ports[user] = 0
            pattern.absorbed.add(user)
        else:
            pattern.refusals[user] = ("uses the attention weights, which netbuilder's MultiheadAttention does "
                                     "not output" if index == 1 else "uses the output tuple as a whole")
    return pattern
