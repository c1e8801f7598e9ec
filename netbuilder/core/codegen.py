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
from .errors import GraphError
from .layers import Emit, get_spec
from .shapes import ShapeReport, infer_shapes

_MODULE_ATTRS = set(dir(nn.Module))
_CODE_NAMES = {"self", "torch", "nn", "super", "model", "example", "output", "outputs"}


class Namespace:
    """Hands out unique, legal Python identifiers (after torch.fx's _Namespace)."""

    def __init__(self, reserved=()):
        self._used = set(reserved) | set(keyword.kwlist) | set(keyword.softkwlist) | _CODE_NAMES

    def claim(self, wanted: str, avoid=frozenset()) -> str:
        base = sanitize_id(wanted)
        name, n = base, 1
        while name in self._used or name in avoid:
            n += 1
            name = f"{base}_{n}"
        self._used.add(name)
        return name


def class_name_for(text: str) -> str:
    """``digits cnn`` → ``DigitsCnn``; always a legal class name."""
    words = re.findall(r"[A-Za-z0-9]+", text)
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Net"
    if name[0].isdigit() or keyword.iskeyword(name) or hasattr(builtins, name):
        name = "Net" + name
    return name


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
    line_of: dict[int, str] = field(default_factory=dict)  # line in class_source → node id


def generate(doc: GraphDocument, class_name: str | None = None, report: ShapeReport | None = None) -> GeneratedModel:
    """Generate the model class for ``doc``; refuses graphs with errors."""
    report = report or infer_shapes(doc)
    if report.errors:
        raise GraphError([p.message for p in report.errors], doc.name)
    class_name = class_name or class_name_for(doc.name)
    names = Namespace({class_name})
    used_ports = {(e.source, e.source_port) for e in doc.edges} | {(n, 0) for n in report.outputs}
    var: dict[tuple[str, int], str] = {}
    attr_of: dict[str, str] = {}
    inputs = [n for n, node in doc.nodes.items() if node.type == "Input"]
    for node_id in inputs:
        var[(node_id, 0)] = names.claim(node_id)

    init_lines, forward_lines, line_of = [], [], {}
    for node_id in report.order:
        node, spec, info = doc.nodes[node_id], get_spec(doc.nodes[node_id].type), report.nodes[node_id]
        ins = tuple(var[(e.source, e.source_port)] for e in doc.in_edges(node_id))
        if node.type == "Output":
            var[(node_id, 0)] = ins[0]
            continue
        if node.type == "Input":
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
            init_lines.append(f"self.{base} = nn.{spec.torch_class}({args})")
        for line in spec.emit(Emit(ins, tuple(outs), f"self.{base}", node.params)):
            line_of[len(forward_lines)] = node_id
            forward_lines.append(line)

    outputs = [var[(n, 0)] for n in report.outputs]
    returned = outputs[0] if len(outputs) == 1 else ", ".join(outputs)
    doc_line = safe_text(doc.name)
    text = [
        f"class {class_name}(nn.Module):",
        f'    """{doc_line}: generated by netbuilder."""',
        "",
        "    def __init__(self):",
        "        super().__init__()",
        *[f"        {line}" for line in init_lines],
        "",
        f"    def forward(self, {', '.join(var[(n, 0)] for n in inputs)}):",
    ]
    first_forward_line = len(text) + 1
    text += [f"        {line}" for line in forward_lines]
    text.append(f"        return {returned}")
    return GeneratedModel(
        class_name,
        "\n".join(text) + "\n",
        inputs,
        [var[(n, 0)] for n in inputs],
        [report.value_type(n) for n in inputs],
        outputs,
        attr_of,
        {first_forward_line + i: node for i, node in line_of.items()},
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
    """The smallest vocabulary an int64 input feeds, so random ids are valid."""
    sizes = [doc.nodes[e.target].params["num_embeddings"] for e in doc.out_edges(input_id)
             if doc.nodes[e.target].type == "Embedding"]
    return min(sizes, default=2)
