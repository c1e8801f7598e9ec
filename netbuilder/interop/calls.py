"""The vocabulary of call mapping: bound arguments, what a call maps to, and refusals.

A traced ``call_function`` / ``call_method`` node is bound to argument names
(:func:`bind`), read through :class:`Call` (constants resolved, the batch size
tracked as :data:`BATCH`), and turned into a :class:`Mapped` layer by a
:class:`Rule` from :mod:`.function_table`, or refused with :class:`Unsupported`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch.fx as fx

from .values import TensorMeta


class Unsupported(Exception):
    """A rule's refusal; the message says why in the user's terms."""


class BatchDependent:
    """A number known only at run time because it depends on the batch size."""

    def __init__(self, what: str):
        self.what = what

    def __repr__(self) -> str:
        return f"<{self.what}>"


BATCH = BatchDependent("the batch size")  # dimension 0 of every tensor
ALIAS = "alias"  # the layer name of calls that pass their input through (``.contiguous()``)


PIECES = "pieces"  # the layer name of a call whose tuple's items become nodes of their own (``unbind``)


@dataclass
class Mapped:
    """The layer a call becomes: type, parameters, tensor inputs in port order.

    ``chain`` are layers applied after it, each to the one before, all for the
    same call (``x[:, 0, :4]`` is a Select, then a Slice). A call returning a
    tuple of tensors has ``parts``: for the item taken at an index, the output
    port of this node that gives it, or a ``(layer, params)`` node of its own
    fed by the call's input; it raises :class:`Unsupported` for an item
    netbuilder does not give (the indices of ``x.max(dim)``).
    """

    layer: str
    params: dict[str, Any]
    inputs: list[fx.Node]
    inplace: bool = False  # overwrites its input, so nothing else may read that input
    chain: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    parts: Callable[[int], int | tuple[str, dict[str, Any]]] | None = None
    tensors: dict[str, str] = field(default_factory=dict)  # the node's weights: attribute → the user's parameter


@dataclass(frozen=True)
class Condition:
    """``x > 0.5``: a comparison with a constant, kept as a value until ``torch.where``
    or ``masked_fill`` reads it (netbuilder has no boolean tensors)."""

    tensor: fx.Node
    compare: str
    threshold: float


@dataclass
class Call:
    """One traced call with its arguments bound by name.

    ``resolve`` turns an argument into a Python value (constants and shape
    arithmetic; :data:`BATCH` for the batch size) or raises
    :class:`Unsupported`; ``meta`` gives a tensor argument's recorded shape.
    """

    node: fx.Node
    bound: dict[str, Any]
    resolve: Callable[[Any], Any]
    meta: Callable[[Any], TensorMeta | None]
    recorded: Callable[[Any], Any] | None = None

    def value(self, name: str, default: Any = None, allow_batch: bool = False) -> Any:
        value = self.resolve(self.bound.get(name, default))
        if not allow_batch and mentions_batch(value):
            raise Unsupported(f"{name} depends on the batch size")
        return value

    def tensor(self, name: str) -> fx.Node:
        arg = self.bound.get(name)
        if not isinstance(arg, fx.Node) or self.meta(arg) is None:
            raise Unsupported(f"{name} must be a tensor, got {arg!r}")
        return arg

    @property
    def out(self) -> TensorMeta:
        return self.meta(self.node)

    @property
    def out_parts(self) -> tuple[TensorMeta, ...]:
        """The recorded items of a call that returns a tuple of tensors (chunk, split)."""
        value = self.recorded(self.node) if self.recorded else None
        if not isinstance(value, tuple) or not all(isinstance(v, TensorMeta) for v in value):
            raise Unsupported("returns something other than tensors")
        return value


def mentions_batch(value: Any) -> bool:
    if isinstance(value, (tuple, list)):
        return any(mentions_batch(v) for v in value)
    return isinstance(value, BatchDependent)


@dataclass(frozen=True)
class Rule:
    """A call → layer mapping; ``handler`` replaces the generic one when set."""

    layer: str
    args: tuple[str, ...]
    params: dict[str, str] = field(default_factory=dict)  # layer param → argument name
    defaults: dict[str, Any] = field(default_factory=dict)  # torch's defaults of those arguments
    fixed: dict[str, Any] = field(default_factory=dict)  # arguments that must keep these values
    handler: Callable[[Call], Mapped] | None = None


def bind(rule: Rule, node: fx.Node) -> dict[str, Any]:
    """Arguments by name; a trailing ``*name`` collects the remaining positionals."""
    names, args = rule.args, list(node.args)
    bound: dict[str, Any] = {}
    for i, name in enumerate(names):
        if name.startswith("*"):
            rest = args[i:]
            bound[name[1:]] = rest[0] if len(rest) == 1 and isinstance(rest[0], (tuple, list)) else rest
            args = []
            break
        if i < len(args):
            bound[name] = args[i]
    if len(args) > len(names):
        raise Unsupported(f"takes {len(names)} arguments here, got {len(args)}")
    for key, value in node.kwargs.items():
        if key not in names and f"*{key}" not in names:
            raise Unsupported(f"argument {key}={value!r} is not supported")
        bound[key] = value
    return bound


def generic(rule: Rule, call: Call) -> Mapped:
    for name, expected in rule.fixed.items():
        if name in call.bound and call.value(name) != expected:
            raise Unsupported(f"{name}={call.value(name)!r} is not supported (netbuilder's {rule.layer} "
                              f"needs {expected!r})")
    params = {}
    for param, arg in rule.params.items():
        if arg not in call.bound and arg not in rule.defaults:
            raise Unsupported(f"needs {arg}")
        params[param] = call.value(arg, rule.defaults.get(arg))
    return Mapped(rule.layer, params, [call.tensor(rule.args[0])])
