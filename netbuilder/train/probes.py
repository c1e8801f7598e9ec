"""Per-node health statistics for the canvas: activations and gradients by node id.

The compiled model names each node's state after the node (``codegen``'s ``attr_of``):
forward hooks on the submodules see each layer's output, and the parameters
under each name (``conv1.weight``, or a Parameter node's own ``pos``) give its
gradient norm. Hooks cost time on every call, so a :class:`NodeProbe` is armed
for one batch per epoch only and removes them right after.

The update/weight ratio (``‖w_now − w_then‖ / ‖w_now‖`` over one epoch) says
whether a layer learns at all (≈0) or is being thrown about (≈1). It needs the
weights of the previous epoch: one copy of the trainable parameters, refreshed
when the epoch's numbers are collected, so it costs a copy per epoch and
nothing per batch.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class NodeProbe:
    """Output mean / std / share of zeros and parameter-gradient norm per node."""

    def __init__(self, model: nn.Module, attr_of: dict[str, str]):
        node_of = {attr: node for node, attr in attr_of.items()}
        children = dict(model.named_children())
        self._modules = {node: children[attr] for node, attr in attr_of.items() if attr in children}
        self._parameters: dict[str, list[nn.Parameter]] = {node: [] for node in attr_of}
        for name, p in model.named_parameters():
            owner = node_of.get(name.partition(".")[0])
            if owner is not None:
                self._parameters[owner].append(p)
        self._handles: list = []
        self._outputs: dict[str, torch.Tensor] = {}
        self._before = {node: [p.detach().clone() for p in ps if p.requires_grad]
                        for node, ps in self._parameters.items()}  # the weights the epoch started from

    def arm(self) -> None:
        """Watch the next forward pass."""
        self.disarm()
        for node, module in self._modules.items():
            self._handles.append(module.register_forward_hook(self._hook(node)))

    def disarm(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _hook(self, node: str):
        def record(module, inputs, output):
            value = output[0] if isinstance(output, (tuple, list)) else output
            if isinstance(value, torch.Tensor) and value.is_floating_point() and value.numel():
                with torch.no_grad():  # the norm is far cheaper than torch.var on a CPU
                    value = value.detach()
                    self._outputs[node] = (value.mean(), torch.linalg.vector_norm(value), torch.count_nonzero(value),
                                           value.numel())
        return record

    def collect(self) -> dict[str, dict]:
        """Disarm and return ``{node_id: {mean, std, zeros, grad_norm, update_ratio}}`` for
        the watched batch; gradients are those of its backward pass (still in ``.grad``),
        the update ratio is over the epoch since the previous call. Every number is
        computed on the tensors' device and fetched in one transfer."""
        self.disarm()
        values, owners = [], []
        for node, parameters in self._parameters.items():
            if node in self._outputs:
                mean, norm, nonzero, _ = self._outputs[node]
                values += [mean.float(), norm.float(), nonzero.float()]
                owners += [(node, "mean"), (node, "norm"), (node, "nonzero")]
            for p in parameters:
                if p.grad is not None:
                    values.append(torch.linalg.vector_norm(p.grad.float()))
                    owners.append((node, "grad"))
            trainable = [p for p in parameters if p.requires_grad]
            with torch.no_grad():
                for p, before in zip(trainable, self._before.get(node, [])):
                    values += [torch.linalg.vector_norm((p - before).float()), torch.linalg.vector_norm(p.float())]
                    owners += [(node, "step"), (node, "weight")]
                    before.copy_(p)
        numbers = torch.stack(values).tolist() if values else []
        stats = {node: {"mean": None, "std": None, "zeros": None, "grad_norm": None, "update_ratio": None}
                 for node in self._parameters}
        squares: dict[str, float] = {}
        steps: dict[str, list[float]] = {}  # node -> [sum of squared steps, sum of squared weights]
        for (node, kind), number in zip(owners, numbers):
            size = self._outputs[node][3] if node in self._outputs else 1
            if kind == "grad":
                squares[node] = squares.get(node, 0.0) + number * number
            elif kind in ("step", "weight"):
                pair = steps.setdefault(node, [0.0, 0.0])
                pair[kind == "weight"] += number * number
            elif kind == "mean":
                stats[node]["mean"] = number
            elif kind == "norm":  # std from the mean square and the mean
                stats[node]["std"] = math.sqrt(max(number * number / size - stats[node]["mean"] ** 2, 0.0))
            else:
                stats[node]["zeros"] = 1.0 - number / size
        for node, total in squares.items():
            stats[node]["grad_norm"] = math.sqrt(total)
        for node, (step, weight) in steps.items():
            stats[node]["update_ratio"] = math.sqrt(step / weight) if weight > 0 else None
        self._outputs.clear()
        return stats
