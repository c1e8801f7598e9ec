"""Weights moved between two versions of a graph by node id.

A model's ``state_dict`` keys start with the attribute codegen gave each node
(``attr_of``: ``conv1.weight``, a Parameter node's own ``pos``, a block
instance's ``stage1.0.conv1.weight``). Two versions of a graph may name the same
node differently (a rename elsewhere can change which id gets a suffix), so keys
are first turned into ``(node id, rest of the key)`` and matched on that.

A node keeps its tensors only when it has exactly the same tensors, each of the
same shape, in both versions; otherwise every tensor of it starts fresh. That one
rule serves the live preview (random weights stay put while the user edits
other nodes), loading the weights of an earlier run into an edited graph, and
resuming an edited run (:func:`optimizer_state_by_node` does the same for the
optimizer's per-parameter state).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn


@dataclass(frozen=True)
class Transplant:
    """Which nodes with weights kept the old ones and which start fresh."""

    kept: list[str] = field(default_factory=list)
    reset: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One sentence for the user."""
        if not self.reset:
            return f"all {len(self.kept)} layers with weights kept theirs" if self.kept else "no layer has weights"
        reset = ", ".join(self.reset)
        if not self.kept:
            return f"no weights fit: every layer starts fresh ({reset})"
        return f"kept the weights of {', '.join(self.kept)}; new or reshaped, so initialised afresh: {reset}"


def _key(attr: str, rest: str) -> str:
    return f"{attr}.{rest}" if rest else attr


def states_by_node(state: dict, attr_of: dict[str, str]) -> dict[str, dict[str, torch.Tensor]]:
    """``{node id: {rest of key: tensor}}`` for the keys that belong to a node."""
    node_of = {attr: node for node, attr in attr_of.items()}
    grouped: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in state.items():
        attr, _, rest = key.partition(".")
        node = node_of.get(attr)
        if node is not None:
            grouped.setdefault(node, {})[rest] = value
    return grouped


def _fits(old: dict[str, torch.Tensor] | None, new: dict[str, torch.Tensor]) -> bool:
    return old is not None and old.keys() == new.keys() and all(
        tuple(old[k].shape) == tuple(new[k].shape) for k in new)


def plan(target_state: dict, target_attr_of: dict[str, str], source_state: dict,
         source_attr_of: dict[str, str]) -> tuple[dict, Transplant]:
    """The target's state with every fitting node's tensors taken from the source
    (only those keys), and what was kept and reset."""
    target = states_by_node(target_state, target_attr_of)
    source = states_by_node(source_state, source_attr_of)
    taken: dict = {}
    kept, reset = [], []
    for node, tensors in target.items():
        old = source.get(node)
        if _fits(old, tensors):
            kept.append(node)
            taken.update({_key(target_attr_of[node], rest): old[rest] for rest in tensors})
        else:
            reset.append(node)
    return taken, Transplant(kept, reset)


def transplant(model: nn.Module, attr_of: dict[str, str], source_state: dict,
               source_attr_of: dict[str, str]) -> Transplant:
    """Copy into ``model`` (in place) the tensors of every node that fits."""
    taken, result = plan(model.state_dict(), attr_of, source_state, source_attr_of)
    with torch.no_grad():
        own = model.state_dict()
        for key, value in taken.items():
            own[key].copy_(value.to(own[key].device, own[key].dtype))
    return result


def optimizer_state_by_node(optimizer: torch.optim.Optimizer, model: nn.Module, attr_of: dict[str, str],
                            source_optimizer_state: dict, source_names: list[str],
                            source_attr_of: dict[str, str], kept: list[str]) -> None:
    """Give each parameter of a kept node the optimizer state (Adam's moments, a
    momentum buffer) it had in the source run. ``source_optimizer_state`` is the
    source optimizer's ``state_dict()``, ``source_names`` its parameters' names in
    the order the optimizer holds them. Parameters of reset nodes start with none."""
    kept_nodes = set(kept)
    source_node_of = {attr: node for node, attr in source_attr_of.items()}
    by_name: dict[tuple[str, str], dict] = {}
    old_state = source_optimizer_state.get("state", {})
    for index, name in enumerate(source_names):
        attr, _, rest = name.partition(".")
        node = source_node_of.get(attr)
        if node in kept_nodes and index in old_state:
            by_name[(node, rest)] = old_state[index]
    node_of = {attr: node for node, attr in attr_of.items()}
    optimized = {id(p) for group in optimizer.param_groups for p in group["params"]}  # a frozen node's are not
    for name, param in model.named_parameters():
        attr, _, rest = name.partition(".")
        saved = by_name.get((node_of.get(attr), rest))
        if saved is not None and id(param) in optimized:
            optimizer.state[param] = {k: v.clone().to(param.device) if torch.is_tensor(v) else v
                                      for k, v in saved.items()}
