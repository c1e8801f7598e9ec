"""Writing Python source safely: names, literals, comments and line breaks.

Every identifier in generated code comes from a :class:`Namespace` (legal,
unique, shadowing nothing, after torch.fx's ``_Namespace``), every value is
rendered from validated plain data and every free text is flattened by
:func:`safe_text`, so node ids and graph names cannot inject code. :func:`fit`
breaks long statements the way black would, so the output stays ruff-clean.
"""

from __future__ import annotations

import builtins
import keyword
import re

from torch import nn

from .document import sanitize_id
from .errors import ParamError
from .layers import Construct

MODULE_ATTRS = frozenset(dir(nn.Module()))  # a submodule named `forward` or `training` breaks the model
_CODE_NAMES = {"self", "torch", "nn", "super", "model", "example", "output", "tensor", "Path", "weights"}
_RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins)) | _CODE_NAMES
_MAX_NAME = 40  # long ids make unreadable code; the namespace keeps shortened names unique
LIMIT = 110  # wrap generated lines longer than this (the repo allows 120)


class Namespace:
    """Hands out unique, legal identifiers that shadow nothing (after torch.fx's ``_Namespace``).

    A wanted name is sanitised (``Conv 1`` → ``conv_1``) and shortened; a
    keyword, builtin or name the generated code uses gets PEP 8's trailing
    underscore (``class_``, ``input_``); a name already handed out gets a
    number (``relu_2``).
    """

    def __init__(self, reserved=()):
        self._used = set(reserved)

    def claim(self, wanted: str, avoid=frozenset()) -> str:
        base = sanitize_id(wanted)[:_MAX_NAME].rstrip("_") or "node"
        if base in _RESERVED or base in avoid:
            base += "_"
        name, n = base, 1
        while name in self._used or name in avoid or name in _RESERVED:
            n += 1
            name = f"{base.rstrip('_')}_{n}"
        self._used.add(name)
        return name


def class_name_for(text: str) -> str:
    """``digits cnn`` → ``DigitsCnn``; always a legal class name."""
    words = re.findall(r"[A-Za-z0-9]+", text)
    name = "".join(w[:1].upper() + w[1:] for w in words)[:_MAX_NAME] or "Net"
    if name[0].isdigit() or name in _RESERVED:
        name = "Net" + name
    return name


def check_class_name(name: str) -> str:
    """``name`` if it can name the exported class without shadowing anything the file uses."""
    if not (isinstance(name, str) and name.isascii() and name.isidentifier()) or name in _RESERVED \
            or name.startswith("__"):
        raise ParamError("class_name", f"{name!r} is not usable: give an ASCII Python identifier that is not a "
                         "keyword, a builtin or torch/nn")
    return name


def _split_commas(text: str) -> list[str]:
    """Top-level comma-separated items of ``text`` (generated code has no strings with commas)."""
    items, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    tail = text[start:].strip()
    return items + [tail] if tail else items


def _outer_brackets(line: str) -> tuple[int, int] | None:
    """Where the first bracket after any ``=`` opens and closes, if only ``,):`` follow it."""
    start = line.find(" = ") + 1
    depth, opened = 0, None
    for i in range(start, len(line)):
        if line[i] in "([":
            opened = i if depth == 0 and opened is None else opened
            depth += 1
        elif line[i] in ")]":
            depth -= 1
            if depth == 0 and opened is not None:
                return (opened, i) if not line[i + 1:].strip(",):") else None
    return None


def fit(line: str, indent: str, reserve: int = 0) -> list[str]:
    """``line`` indented, split black-style at its outer brackets or ``+``/``*`` when too long;
    ``reserve`` keeps room on the first line for a trailing comment."""
    if len(indent) + len(line) + reserve <= LIMIT:
        return [indent + line]
    inner = indent + "    "
    brackets = _outer_brackets(line)
    if brackets is not None:
        opened, closed = brackets
        out = [indent + line[:opened + 1]]
        for item in _split_commas(line[opened + 1:closed]):
            out += fit(item + ",", inner)
        return out + [indent + line[closed:]]
    target, _, value = line.partition(" = ")
    for op in (" + ", " * "):
        if value and op in value:
            first, *rest = value.split(op)
            return [f"{indent}{target} = (", inner + first, *(f"{inner}{op.strip()} {part}" for part in rest),
                    indent + ")"]
    return [indent + line]  # cannot happen with capped names; correct if long


class Expr(str):
    """Source text :func:`render` writes as it is: a name the generated code defines
    (a block's constructor argument), never text from a file."""


def render(value) -> str:
    """A Python literal for a validated parameter value, or the source of a :class:`Construct`."""
    if isinstance(value, Expr):
        return str(value)
    if isinstance(value, Construct):
        args = [render(v) for v in value.args] + [f"{k}={render(v)}" for k, v in value.kwargs.items()]
        return f"{value.func}({', '.join(args)})"
    if isinstance(value, (list, tuple)):
        items = [render(v) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, (bool, int, float, str)) or value is None:
        return repr(value)
    raise TypeError(f"cannot render {type(value).__name__} in generated code")


_TAGGABLE = re.compile(r"[^\s#]{1,40}")


def node_tag(node_id: str) -> str:
    """``  # node: <id>`` for a statement whose variable cannot carry the id
    (``x = x + skip``), so a tool reading the code back recovers it; nothing
    for ids a one-word comment cannot hold exactly."""
    return f"  # node: {node_id}" if _TAGGABLE.fullmatch(node_id) and node_id.isprintable() else ""


def safe_text(text: str, limit: int = 80) -> str:
    """``text`` made harmless inside a docstring or comment: one printable line."""
    clean = "".join(c if c.isprintable() and c not in "\\\"'" else " " for c in str(text))
    return re.sub(r"\s+", " ", clean).strip()[:limit] or "untitled"
