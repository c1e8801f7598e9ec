"""What a block's class says about its definition: its docstring and its constructor.

Values that differ between a class's instances become parameters in
:mod:`.block_definitions`; this module adds what the class itself declares,
so that a class written as netbuilder exports one (or by hand, the same way)
comes back as the definition it was:

- ``def __init__(self, channels=64, stride=1)``: the parameters and their
  defaults; a parameter passed straight on as a keyword,
  ``self.conv1 = nn.Conv2d(..., out_channels=channels)``, is the reference
  ``"$channels"`` on that node, and each instance's value is read off that node;
- the docstring (:mod:`~netbuilder.core.block_docstring`): the summary, each
  parameter's kind, bounds and doc, the Inputs' example shapes, the Outputs' ids.

The source is read with :mod:`ast`, never run.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..core.block_docstring import BlockDocstring, read_block_docstring
from ..core.layers import get_spec, has_spec

_KINDS = ((bool, "bool"), (int, "int"), (float, "float"), (str, "str"))


@dataclass
class ClassDeclares:
    """The parameters a block class declares and the node fields that take them."""

    docstring: BlockDocstring
    defaults: dict[str, Any] = field(default_factory=dict)  # parameter → its default, in signature order
    fields: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # parameter → (attribute, node param)


def _kind(value: Any) -> str | None:
    return next((kind for python, kind in _KINDS if isinstance(value, python)), None)


def _keywords_passed_on(init, names: set[str]) -> dict[str, list[tuple[str, str]]]:
    """``self.conv1 = X(..., out_channels=channels)`` → {"channels": [("conv1", "out_channels")]}."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return {}
    passed: dict[str, list[tuple[str, str]]] = {}
    for stmt in ast.walk(tree):
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.value, ast.Call)):
            continue
        target = stmt.targets[0]
        if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                and target.value.id == "self"):
            continue
        for keyword in stmt.value.keywords:
            if keyword.arg and isinstance(keyword.value, ast.Name) and keyword.value.id in names:
                passed.setdefault(keyword.value.id, []).append((target.attr, keyword.arg))
    return passed


@lru_cache(maxsize=128)
def class_declares(cls: type) -> ClassDeclares:
    """What ``cls`` declares (nothing for a class netbuilder cannot read, or one without a docstring of its own)."""
    declares = ClassDeclares(read_block_docstring(cls.__dict__.get("__doc__"), cls.__name__))
    init = cls.__dict__.get("__init__")
    if init is None:
        return declares
    try:
        signature = inspect.signature(init)
    except (TypeError, ValueError):
        return declares
    for name, param in list(signature.parameters.items())[1:]:
        if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY) and _kind(param.default):
            declares.defaults[name] = param.default
    declares.fields = _keywords_passed_on(init, set(declares.defaults))
    return declares


def node_field(node_type: str, param: str) -> bool:
    """Whether ``param`` is a parameter a node of ``node_type`` stores (so it can hold a reference)."""
    return has_spec(node_type) and any(p.name == param for p in get_spec(node_type).params)
