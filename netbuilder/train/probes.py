"""Per-node health statistics for the canvas: activations and gradients by node id.

The compiled model names each submodule after its node (``codegen``'s ``attr_of``),
so forward hooks on those submodules see each node's output. Hooks cost time on
every call, so a :class:`NodeProbe` is armed for one batch per epoch only and
removes them right after.
"""

from __future__ import annotations

import torch
from torch import nn


class NodeProbe:
    """Output mean / std / share of zeros and parameter-gradient norm per node."""

    def __init__(self, model: nn.Module, attr_of: dict[str, str]):
        self._modules = {node: getattr(model, attr) for node, attr in attr_of.items() if hasattr(model, attr)}
        self._handles: list = []
        self._outputs: dict[str, torch.Tensor] = {}

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
                with torch.no_grad():
                    value = value.detach().float()
                    self._outputs[node] = torch.stack([value.mean(), value.std(unbiased=False),
                                                       (value == 0).float().mean()])
        return record

    def collect(self) -> dict[str, dict]:
        """Disarm and return ``{node_id: {mean, std, zeros, grad_norm}}`` for the watched
        batch; gradients are those of its backward pass (still in ``.grad``)."""
        self.disarm()
        stats = {}
        for node, module in self._modules.items():
            grads = [p.grad.detach().float().norm() for p in module.parameters() if p.grad is not None]
            grad_norm = float(torch.stack(grads).norm()) if grads else None
            mean, std, zeros = self._outputs[node].tolist() if node in self._outputs else (None, None, None)
            stats[node] = {"mean": mean, "std": std, "zeros": zeros, "grad_norm": grad_norm}
        self._outputs.clear()
        return stats
