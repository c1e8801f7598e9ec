"""What each traced node computes on the example inputs: shapes, dtypes, numbers.

The importer decides from these whether ``x.view(-1, 320)`` keeps the batch
dimension, which dimension a transpose swaps, and what ``x.size(1)`` is. The
model runs in eval mode under ``no_grad`` so that recording changes nothing in
it (BatchNorm's running statistics stay as they were).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
import torch.fx as fx
from torch import nn

from ..core.errors import NetbuilderError
from ..core.layers import TensorType


@dataclass(frozen=True)
class TensorMeta:
    """Shape (batch first) and dtype name of a tensor value."""

    shape: tuple[int, ...]
    dtype: str

    @property
    def rank(self) -> int:
        return len(self.shape)

    def sample_type(self) -> TensorType:
        """netbuilder's view: the shape of one sample."""
        return TensorType(self.shape[1:], self.dtype)


def describe(value: Any) -> Any:
    """Tensors become :class:`TensorMeta`; containers are described item by item."""
    if isinstance(value, torch.Tensor):
        return TensorMeta(tuple(value.shape), str(value.dtype).removeprefix("torch."))
    if isinstance(value, torch.Size):
        return tuple(int(v) for v in value)
    if isinstance(value, (tuple, list)):
        return tuple(describe(v) for v in value)
    return value


@contextmanager
def training_mode(training: bool, *modules: nn.Module):
    """Set the mode for the block, then give every submodule its own flag back
    (a frozen BatchNorm left in eval mode stays so)."""
    flags = [(m, m.training) for module in modules for m in module.modules()]
    for module in modules:
        module.train(training)
    try:
        yield
    finally:
        for m, flag in flags:
            m.training = flag


@contextmanager
def evaluating(*modules: nn.Module):
    """Eval mode and no autograd for the block; training flags restored after."""
    with training_mode(False, *modules), torch.no_grad():
        yield


class _Recorder(fx.Interpreter):
    def __init__(self, module: fx.GraphModule, known: dict[nn.Module, Any]):
        super().__init__(module)
        self.values: dict[fx.Node, Any] = {}
        self.known = known

    def call_module(self, target, args, kwargs) -> Any:
        submodule = self.fetch_attr(target)
        return self.known[submodule] if submodule in self.known else super().call_module(target, args, kwargs)

    def run_node(self, node: fx.Node) -> Any:
        result = super().run_node(node)
        self.values[node] = describe(result)
        return result


def record_values(graph_module: fx.GraphModule, inputs: tuple[torch.Tensor, ...],
                  known: dict[nn.Module, Any] | None = None) -> dict[fx.Node, Any]:
    """Run the traced graph once and describe every node's value; a submodule in ``known``
    is not run again: its result there is used (the block importer knows each block's)."""
    recorder = _Recorder(graph_module, known or {})
    with evaluating(graph_module):
        try:
            recorder.run(*inputs)
        except Exception as err:
            shapes = ", ".join(str(tuple(t.shape)) for t in inputs)
            text = str(err).strip() or type(err).__name__
            raise NetbuilderError(f"{graph_module.__class__.__name__} fails on example input {shapes}: {text}") from err
    return recorder.values
