"""One node at a time: torch as the oracle of shapes, parameters and errors.

Every node's state (its module, or its parameter) is made on the ``meta``
device from the same :class:`~netbuilder.core.layers.Construct` the generated code
runs, so torch itself validates the arguments (with its own error text),
counts the parameters and allocates nothing. Output shapes come from each
layer's hand-written rule where it has one, because torch's meta kernels cost up to 80 ms a call plus a one-off
second of imports; the agreement tests hold every rule to real torch. A layer
without a rule is run on meta tensors. A layer that can count its parameters
from its arguments (``LayerSpec.count_params``) is not built at all. Results are cached per (type, params,
input types): a big graph repeats few distinct layers.

PyTorch itself is imported on the first node that needs it (:func:`_torch`): a
graph of layers that have both a rule and a parameter count (the examples, most
CNNs and MLPs) is inferred without it, so the window shows its shapes while
PyTorch is still loading for the rest of the app (issue 12's "shapes shown").
"""

from __future__ import annotations

import math
import re
import warnings
from functools import lru_cache
from typing import TYPE_CHECKING

from .layers import Construct, Emit, LayerSpec, TensorType, get_spec

if TYPE_CHECKING:
    from torch import nn

_BATCH = 2  # the meta batch size; any value > 1 works (BatchNorm needs 2)


def _torch():
    """``torch``, imported on first use (about a second, once)."""
    import torch

    return torch


class ShapeError(Exception):
    """Raised by evaluation; the message is shown on the node."""


def _freeze(value):
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value


@lru_cache(maxsize=512)
def _compiled_forward(code: str, n_in: int, n_out: int):
    """A function ``f(m, x0, …) -> (o0, …)`` running the emitted statements."""
    args = ", ".join(["m"] + [f"x{i}" for i in range(n_in)])
    rets = ", ".join(f"o{i}" for i in range(n_out))
    body = "\n".join("    " + line for line in code.splitlines()) or "    pass"
    source = f"def forward({args}):\n{body}\n    return ({rets},)\n"
    namespace = {"torch": _torch()}
    exec(compile(source, "<netbuilder shape oracle>", "exec"), namespace)  # our own generated code
    return namespace["forward"]


_REWORDINGS = (
    (re.compile(r"Calculated padded input size per channel: \((.*?)\)\. Kernel size: \((.*?)\)\..*"),
     r"the kernel (\2) is larger than the padded input (\1): use a smaller kernel_size or more padding"),
    (re.compile(r".*Invalid computed output size: (-?\d+).*"),
     r"the output would have size \1: the input is too small for this kernel_size, stride and padding"),
    (re.compile(r".*[Oo]utput size is too small.*"),
     "the output would be empty: the input is too small for this kernel_size, stride and padding"),
)


def _plain(err: Exception | Warning) -> str:
    """torch's message in plain words: first meaningful line, known ones reworded."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    text = re.sub(r"\s+", " ", text)
    for pattern, better in _REWORDINGS:
        if pattern.fullmatch(text):
            text = pattern.sub(better, text)
            break
    return text if len(text) < 300 else text[:297] + "…"


def _macs(spec: LayerSpec, params: dict, inputs: list[TensorType], outputs: list[TensorType], module) -> int:
    if spec.macs is not None:
        return spec.macs(params, inputs, outputs, module)
    if module is None:  # counted without a module: it has no weight matrix (see LayerSpec.count_params)
        return 0
    weights = sum(p.numel() for p in module.parameters() if p.dim() > 1)
    return weights * math.prod(outputs[0].shape[:-1]) if outputs[0].shape else 0


@lru_cache(maxsize=8192)
def _evaluate_cached(layer_type: str, frozen_params, inputs: tuple[TensorType, ...]):
    spec = get_spec(layer_type)
    params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in frozen_params}
    return _evaluate(spec, params, list(inputs))


@lru_cache(maxsize=1)
def _skip_init_on_meta() -> type:
    """A torch function mode under which ``torch.nn.init`` leaves meta tensors alone:
    initialising one computes nothing, but ``init.normal_`` on one makes torch
    import its reference kernels (a second, once). Made on first use, with torch."""
    torch = _torch()

    class SkipInitOnMeta(torch.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if getattr(func, "__module__", None) == "torch.nn.init":
                tensor = args[0] if args else kwargs.get("tensor")
                if isinstance(tensor, torch.Tensor) and tensor.is_meta:
                    return tensor
            return func(*args, **kwargs)

    return SkipInitOnMeta


def build_on_meta(spec: LayerSpec, kwargs: dict) -> nn.Module | nn.Parameter:
    """What a ``spec`` node creates (:meth:`LayerSpec.state`), made on the meta
    device: torch checks the arguments with its own messages and allocates
    nothing. Raises what torch raises; the importer also compares the result
    with a user's module."""
    with _torch().device("meta"), _skip_init_on_meta()():
        return _made(spec.state(kwargs))


def _made(value):
    """``value`` with every :class:`Construct` in it run, as the generated code runs it."""
    if not isinstance(value, Construct):
        return value
    root, *path = value.func.split(".")
    torch = _torch()
    func = {"torch": torch, "nn": torch.nn}[root]
    for name in path:
        func = getattr(func, name)
    return func(*map(_made, value.args), **{k: _made(v) for k, v in value.kwargs.items()})


def _parameter_count(state) -> int:
    """Parameters of a node's state, counted as the model holds it: as an
    attribute of a module, where a submodule and a parameter register alike."""
    holder = _torch().nn.Module()
    holder.state = state
    return sum(p.numel() for p in holder.parameters())


def _evaluate(spec: LayerSpec, params: dict, inputs: list[TensorType]):
    """(outputs, param count, macs, kwargs, warnings) or raise ShapeError."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            kwargs = spec.torch_kwargs(params, inputs) if spec.has_state else {}
            counted = spec.rule is not None and spec.count_params is not None
            state = build_on_meta(spec, kwargs) if spec.has_state and not counted else None
            if spec.rule is not None:
                outputs = spec.rule(params, inputs)
            else:
                outputs = _run_on_meta(spec, params, state, inputs)
            notes = list(spec.warn(params, inputs)) if spec.warn else []
            if counted:
                n_params = spec.count_params(kwargs)
            else:
                n_params = _parameter_count(state) if state is not None else 0
            macs = _macs(spec, params, inputs, outputs, state) if spec.has_state or spec.macs else 0
        except ShapeError:
            raise
        except Exception as err:  # torch validates its own arguments; rules raise ValueError
            raise ShapeError(_plain(err)) from None
    for warning in caught:  # torch's own advice, e.g. RNN dropout with a single layer
        if issubclass(warning.category, UserWarning) and _plain(warning.message) not in notes:
            notes.append(_plain(warning.message))
    return tuple(outputs), n_params, macs, kwargs, tuple(notes)


def _run_on_meta(spec, params, module, inputs) -> list[TensorType]:
    names = tuple(f"x{i}" for i in range(len(inputs)))
    outs = tuple(f"o{i}" for i in range(len(spec.output_names(params))))
    code = "\n".join(spec.emit(Emit(names, outs, "m", params, str(_BATCH), tuple(inputs))))
    forward = _compiled_forward(code, len(inputs), len(outs))
    torch = _torch()
    tensors = [
        torch.empty((_BATCH, *t.shape), dtype=getattr(torch, t.dtype), device="meta") for t in inputs
    ]
    results = forward(module, *tensors)
    types = []
    for value in results:
        if value.dim() == 0 or value.shape[0] != _BATCH:
            raise ShapeError("the batch dimension would not stay first")
        types.append(TensorType(tuple(value.shape[1:]), str(value.dtype).removeprefix("torch.")))
    return types


def evaluate_node(layer_type: str, params: dict, inputs: list[TensorType]):
    """Public, cached: outputs, param count, MACs, kwargs and warnings of a node.

    The cache holds one ``kwargs`` dict for every node with equal params; each
    caller gets its own copy, so editing one node's kwargs never changes another's
    (their values are numbers, strings, tuples or flat lists: copying the lists
    is a deep copy, at a fraction of ``copy.deepcopy``'s cost for every node).
    """
    outputs, n_params, macs, kwargs, notes = _evaluate_cached(layer_type, _freeze(params), tuple(inputs))
    return outputs, n_params, macs, {k: list(v) if isinstance(v, list) else v for k, v in kwargs.items()}, notes


def clear_caches() -> None:
    """Forget every cached evaluation (benchmarks measure a cold start with it)."""
    _evaluate_cached.cache_clear()
    _compiled_forward.cache_clear()
