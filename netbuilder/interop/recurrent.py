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
    torch_layout: set[fx.Node] = field(default_factory=set)  # states recorded (layers, N, H), not batch first


def _index(node: fx.Node) -> Any:
    if node.op == "call_function" and node.target is operator.getitem and not isinstance(node.args[1], fx.Node):
        return node.args[1]
    return _NOT_INDEXING


def _is_last_step(node: fx.Node) -> bool:
    return any(_index(node) == pattern for pattern in _LAST_STEP)


def _initial_state(node: fx.Node, kind: str) -> list[fx.Node]:
    """``self.lstm(x, (h0, c0))`` / ``self.gru(x, h0)``: the state tensors given, if any."""
    hx = node.args[1] if len(node.args) > 1 else node.kwargs.get("hx")
    if len(node.args) > 2 or set(node.kwargs) - {"hx"}:
        raise Unsupported("takes arguments other than the input and an initial state")
    if hx is None:
        return []
    states = list(hx) if kind == "LSTM" and isinstance(hx, (tuple, list)) else [hx]
    if len(states) != (2 if kind == "LSTM" else 1) or not all(isinstance(s, fx.Node) for s in states):
        raise Unsupported("an initial hidden state must be " + ("(h_0, c_0)" if kind == "LSTM" else "h_0"))
    return [state_source(state) for state in states]


def recurrent_pattern(node: fx.Node, kind: str, params: dict) -> Pattern:
    initial = _initial_state(node, kind)
    pattern = Pattern([node.args[0], *initial], dict(params), {}, set())
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
    parts = _state_parts(states, kind, pattern)
    if any(_index(use) is _NOT_INDEXING for part in parts for use in part.users):
        _every_layer(parts, kind == "LSTM", pattern)  # a whole state goes on, as another layer's initial state
        return pattern
    hidden = [part for part in parts if kind != "LSTM" or _index(part) == 0]
    for cell in (part for part in parts if part not in hidden):
        for use in cell.users:
            pattern.refusals[use] = f"uses the cell state c_n, which netbuilder's {kind} does not output"
    for h in hidden:
        _final_state(h, params, pattern)
    return pattern


def _state_parts(states: list[fx.Node], kind: str, pattern: Pattern) -> list[fx.Node]:
    """The state values: h (and an LSTM's c, from ``(h, c)``); other uses of the pair are refused."""
    if kind != "LSTM":
        return states
    parts = []
    for state in states:
        for use in state.users:
            index = _index(use)
            if index in (0, 1):
                parts.append(use)
                pattern.absorbed.add(use)
            else:
                pattern.refusals[use] = "uses the (h_n, c_n) tuple as a whole"
    return sorted(parts, key=_index)


def _is_swap(node: fx.Node) -> bool:
    """``t.transpose(0, 1)``: between torch's (layers, N, H) state and netbuilder's (N, layers, H)."""
    return node.op == "call_method" and node.target == "transpose" and tuple(node.args[1:]) == (0, 1) \
        and not node.kwargs


def _is_contiguous(node: fx.Node) -> bool:
    return node.op == "call_method" and node.target == "contiguous" and len(node.args) == 1


def state_source(node: fx.Node) -> fx.Node:
    """The state an initial-state argument reads: netbuilder's code writes ``h.transpose(0, 1).contiguous()``."""
    if _is_contiguous(node):
        node = node.args[0]
    return node.args[0] if _is_swap(node) else node


def _every_layer(parts: list[fx.Node], lstm: bool, pattern: Pattern) -> None:
    """h_n (and c_n) of every layer, used whole: ports 1 (and 2), ``state`` "every layer".

    A state swapped to batch first at once (``h = h.transpose(0, 1)``, as netbuilder writes it) is the
    port's value itself; the swaps back that feed the next layer (``h.transpose(0, 1).contiguous()``)
    are part of that layer's call.
    """
    pattern.params["state"] = "every layer"
    for part in parts:
        port = 1 + _index(part) if lstm else 1
        if any(_index(use) is not _NOT_INDEXING for use in part.users):
            for use in part.users:
                pattern.refusals[use] = ("uses one layer's state of a state that also goes on whole; "
                                         "netbuilder's node gives one or the other")
        value = part
        if len(part.users) == 1 and _is_swap(next(iter(part.users))):
            value = next(iter(part.users))
            pattern.absorbed.add(value)
        else:
            pattern.torch_layout.add(value)
        pattern.ports[value] = port
        for swap in (use for use in value.users if _is_swap(use)):
            pattern.absorbed.add(swap)
            pattern.absorbed.update(use for use in swap.users if _is_contiguous(use))


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
