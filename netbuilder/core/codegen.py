"""Turning a document into PyTorch source: one readable line per node.

The same generated class is what :func:`build_model` executes and what
:func:`export_python` writes to disk, so the compiled and exported models are
the same code by construction: same ``state_dict`` keys, same outputs, same
speed as a hand-written module. Every name in the output comes from a
:class:`Namespace` (legal, unique, never a keyword or a name the code uses),
and every value is rendered from validated plain data, so node ids and names
cannot inject code.
"""

from __future__ import annotations

import builtins
import keyword
import re
from dataclasses import dataclass, field

from torch import nn

from .document import GraphDocument, sanitize_id
from .errors import GraphError, ParamError
from .layers import Emit, get_spec
from .shapes import ShapeReport, infer_shapes

_MODULE_ATTRS = frozenset(dir(nn.Module))  # a submodule named `forward` or `training` would break the model
_CODE_NAMES = {"self", "torch", "nn", "super", "model", "example", "output", "tensor"}
_RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins)) | _CODE_NAMES
_MAX_NAME = 40  # long ids make unreadable code; the namespace keeps shortened names unique
_LIMIT = 110  # wrap generated lines longer than this (the repo allows 120)


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


def fit(line: str, indent: str) -> list[str]:
    """``line`` indented, split black-style at its outer brackets or ``+``/``*`` when too long."""
    if len(indent) + len(line) <= _LIMIT:
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


def _render(value) -> str:
    """A Python literal for a validated parameter value."""
    if isinstance(value, (list, tuple)):
        items = [_render(v) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, (bool, int, float, str)) or value is None:
        return repr(value)
    raise TypeError(f"cannot render {type(value).__name__} in generated code")


def safe_text(text: str, limit: int = 80) -> str:
    """``text`` made harmless inside a docstring or comment: one printable line."""
    clean = "".join(c if c.isprintable() and c not in "\\\"'" else " " for c in str(text))
    return re.sub(r"\s+", " ", clean).strip()[:limit] or "untitled"


@dataclass
class GeneratedModel:
    """Source text of the model class plus what tools need to know about it."""

    class_name: str
    class_source: str
    input_ids: list[str]
    input_names: list[str]
    input_types: list
    output_names: list[str]
    attr_of: dict[str, str] = field(default_factory=dict)  # node id → submodule name
    line_of: dict[int, str] = field(default_factory=dict)  # 1-based line of class_source → node id


def generate(doc: GraphDocument, class_name: str | None = None, report: ShapeReport | None = None) -> GeneratedModel:
    """Generate the model class for ``doc``; refuses graphs with errors.

    Nodes connected to nothing are left out (inference warns about them).
    """
    report = report or infer_shapes(doc)
    if report.errors:
        raise GraphError([p.message for p in report.errors], doc.name)
    class_name = check_class_name(class_name) if class_name is not None else class_name_for(doc.name)
    names = Namespace({class_name})
    in_edges: dict[str, list] = {}
    for e in sorted(doc.edges, key=lambda e: e.target_port):
        in_edges.setdefault(e.target, []).append(e)
    used_ports = {(e.source, e.source_port) for e in doc.edges} | {(n, 0) for n in report.outputs}
    var: dict[tuple[str, int], str] = {}
    attr_of: dict[str, str] = {}
    for node_id in report.inputs:
        var[(node_id, 0)] = names.claim(node_id)

    init_lines: list[tuple[str, str]] = []  # (node id, statement)
    forward_lines: list[tuple[str, str]] = []
    for node_id in report.order:
        node, info = doc.nodes[node_id], report.nodes[node_id]
        spec = get_spec(node.type)
        if not info.used or node.type == "Input":
            continue
        ins = tuple(var[(e.source, e.source_port)] for e in in_edges.get(node_id, ()))
        if node.type == "Output":
            var[(node_id, 0)] = ins[0]
            continue
        base = names.claim(node_id, avoid=_MODULE_ATTRS) if spec.has_module else None
        outs = []
        for port, port_name in enumerate(spec.outputs):
            if (node_id, port) not in used_ports:
                outs.append("_")
                continue
            name = base if port == 0 and base else names.claim(node_id if port == 0 else f"{node_id}_{port_name}")
            var[(node_id, port)] = name
            outs.append(name)
        if spec.has_module:
            attr_of[node_id] = base
            args = ", ".join(f"{k}={_render(v)}" for k, v in info.kwargs.items())
            init_lines.append((node_id, f"self.{base} = nn.{spec.torch_class}({args})"))
        forward_lines += [(node_id, line) for line in spec.emit(Emit(ins, tuple(outs), f"self.{base}", node.params))]

    outputs = [var[(n, 0)] for n in report.outputs]
    returned = ", ".join(outputs)
    if len(outputs) > 1 and len(returned) > _LIMIT - 20:
        returned = f"({returned})"
    inputs = [var[(n, 0)] for n in report.inputs]
    text = [
        f"class {class_name}(nn.Module):",
        f'    """{safe_text(doc.name, 60)}: generated by netbuilder."""',
        "",
        "    def __init__(self):",
        "        super().__init__()",
    ]
    line_of: dict[int, str] = {}
    for section in (init_lines, None, forward_lines):
        if section is None:
            text += ["", *fit(f"def forward(self, {', '.join(inputs)}):", "    ")]
            continue
        for node_id, statement in section:
            for line in fit(statement, " " * 8):
                text.append(line)
                line_of[len(text)] = node_id  # 1-based line numbers, as in tracebacks
    text += fit(f"return {returned}", " " * 8)
    return GeneratedModel(
        class_name,
        "\n".join(text) + "\n",
        list(report.inputs),
        inputs,
        [report.value_type(n) for n in report.inputs],
        outputs,
        attr_of,
        line_of,
    )


def example_input_code(doc: GraphDocument, model: GeneratedModel, batch: int = 2) -> list[str]:
    """Expressions making one random batch for each model input."""
    exprs = []
    for node_id, t in zip(model.input_ids, model.input_types):
        shape = ", ".join(map(str, (batch, *t.shape)))
        if t.dtype == "int64":
            exprs.append(f"torch.randint(0, {_vocab_for(doc, node_id)}, ({shape},))")
        else:
            exprs.append(f"torch.randn({shape})")
    return exprs


def _vocab_for(doc: GraphDocument, input_id: str) -> int:
    """The smallest vocabulary an int64 input reaches, so random ids are valid."""
    sizes, seen, stack = [], {input_id}, [input_id]
    while stack:
        for edge in doc.out_edges(stack.pop()):
            node = doc.nodes[edge.target]
            if node.type == "Embedding":
                sizes.append(node.params["num_embeddings"])
            elif edge.target not in seen:
                seen.add(edge.target)
                stack.append(edge.target)
    return min(sizes, default=2)
