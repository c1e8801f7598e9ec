"""Turning a document into PyTorch source: one readable line per node.

The same generated class is what :func:`build_model` executes and what
:func:`export_python` writes to disk, so the compiled and exported models are
the same code by construction: same ``state_dict`` keys, same outputs, same
speed as a hand-written module. Names, values and text are written by
:mod:`pysource`, so node ids and graph names cannot inject code.

Every id can be read back from the code (the importer does): a layer's from
its submodule or variable name, or a ``# node: <id>`` tag where the value is
called ``x``; an Output node's from the alias it writes before ``return``
(``scores = x``, then ``return scores``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .document import GraphDocument
from .errors import GraphError
from .layers import Emit, get_spec
from .pysource import (
    LIMIT,
    MODULE_ATTRS,
    Namespace,
    check_class_name,
    class_name_for,
    fit,
    node_tag,
    render,
    safe_text,
)
from .shapes import ShapeReport, infer_shapes
from .tokens import smallest_vocabulary


@dataclass
class GeneratedModel:
    """Source text of the model class plus what tools need to know about it."""

    class_name: str
    class_source: str
    input_ids: list[str]
    input_names: list[str]
    input_types: list
    output_names: list[str]
    attr_of: dict[str, str] = field(default_factory=dict)  # node id → attribute of its state (module, parameter)
    line_of: dict[int, str] = field(default_factory=dict)  # 1-based line of class_source → node id


def _streamed(doc: GraphDocument, statements: list[str], returned: list[str]) -> set[str]:
    """Nodes whose main output can be called ``x``, as in hand-written code.

    That is a value read exactly once, by the very next statement (or only by
    ``return`` after the last one). Rebinding ``x`` frees the previous tensor
    at once, as ``x = self.relu(x)`` does, where a name per node would keep
    every activation alive until forward returns (torch.fx assigns ``None``
    after a value's last use for the same reason). An Output node is never
    ``x``: its own name is what carries its id.
    """
    readers: dict[tuple[str, int], list[str]] = {}
    for e in doc.edges:
        readers.setdefault((e.source, e.source_port), []).append(e.target)
    for node_id in returned:
        readers.setdefault((node_id, 0), []).append("return")
    last = "return" if len(returned) == 1 else None  # `return hidden, head` reads better than `return hidden, x`
    return {
        node_id for node_id, following in zip(statements, [*statements[1:], last])
        if not doc.nodes[node_id].spec.is_output and readers.get((node_id, 0)) == [following]
    }


Line = tuple[str, str, str]  # (node id, statement, trailing comment)


@dataclass
class _Names:
    """Every identifier of the class, claimed from one namespace in a fixed order.

    Inputs first, then ``x`` if any value streams, then per statement its
    submodule and its used output ports: the order fixes which node gets a
    suffix when two ids sanitise alike, so it must not change.
    """

    var: dict[tuple[str, int], str]  # (node id, output port) → variable in forward
    attr_of: dict[str, str]  # node id → attribute of its state
    streamed: set[str]  # nodes whose main output is called ``x``


def _claim_names(doc: GraphDocument, report: ShapeReport, class_name: str, statements: list[str]) -> _Names:
    names = Namespace({class_name})
    used_ports = {(e.source, e.source_port) for e in doc.edges} | {(n, 0) for n in report.outputs}
    var = {(node_id, 0): names.claim(node_id) for node_id in report.inputs}
    attr_of: dict[str, str] = {}
    streamed = _streamed(doc, statements, report.outputs)
    stream = names.claim("x") if streamed else None
    for node_id in statements:
        spec = get_spec(doc.nodes[node_id].type)
        base = names.claim(node_id, avoid=MODULE_ATTRS) if spec.has_state else None
        if base is not None:
            attr_of[node_id] = base
        for port, port_name in enumerate(spec.output_names(doc.nodes[node_id].params)):
            if (node_id, port) not in used_ports:
                continue
            if port == 0:
                var[(node_id, port)] = stream if node_id in streamed else base or names.claim(node_id)
            else:
                var[(node_id, port)] = names.claim(f"{node_id}_{port_name}")
    return _Names(var, attr_of, streamed)


def _statements(doc: GraphDocument, report: ShapeReport, statements: list[str],
                names: _Names) -> tuple[list[Line], list[Line]]:
    """The ``__init__`` lines making each node's state and the ``forward`` lines using it."""
    batch = f"{names.var[(report.inputs[0], 0)]}.shape[0]"  # an input's name is never rebound
    in_edges: dict[str, list] = {}
    for e in sorted(doc.edges, key=lambda e: e.target_port):
        in_edges.setdefault(e.target, []).append(e)
    init_lines: list[Line] = []
    forward_lines: list[Line] = []
    for node_id in statements:
        node, spec = doc.nodes[node_id], get_spec(doc.nodes[node_id].type)
        ins = tuple(names.var[(e.source, e.source_port)] for e in in_edges.get(node_id, ()))
        outs = tuple(names.var.get((node_id, port), "_") for port in range(len(spec.output_names(node.params))))
        base = names.attr_of.get(node_id)
        state = spec.state(report.nodes[node_id].kwargs)
        if state is not None:
            init_lines.append((node_id, f"self.{base} = {render(state)}", ""))
        tag = node_tag(node_id) if node_id in names.streamed and state is None else ""
        for i, line in enumerate(spec.emit(Emit(ins, outs, f"self.{base}", node.params, batch,
                                                  report.nodes[node_id].inputs))):
            forward_lines.append((node_id, line, "" if i else tag))
    return init_lines, forward_lines


def _render_class(class_name: str, title: str, init_lines: list[Line], forward_lines: list[Line],
                  inputs: list[str], outputs: list[str]) -> tuple[str, dict[int, str]]:
    """The class text, lines wrapped to fit, and the node id behind each line."""
    result = ", ".join(outputs)
    if len(outputs) > 1 and len(result) > LIMIT - 20:
        result = f"({result})"
    text = [
        f"class {class_name}(nn.Module):",
        f'    """{safe_text(title, 60)}: generated by netbuilder."""',
        "",
        "    def __init__(self):",
        "        super().__init__()",
    ]
    line_of: dict[int, str] = {}

    def add_lines(lines_of_nodes: list[Line]) -> None:
        for node_id, statement, tag in lines_of_nodes:
            lines = fit(statement, " " * 8, len(tag))
            lines[0] += tag
            for line in lines:
                text.append(line)
                line_of[len(text)] = node_id  # 1-based line numbers, as in tracebacks

    add_lines(init_lines)
    text += ["", *fit(f"def forward(self, {', '.join(inputs)}):", "    ")]
    add_lines(forward_lines)
    text += fit(f"return {result}", " " * 8)
    return "\n".join(text) + "\n", line_of


def generate(doc: GraphDocument, class_name: str | None = None, report: ShapeReport | None = None) -> GeneratedModel:
    """Generate the model class for ``doc``; refuses graphs with errors.

    Nodes connected to nothing are left out (inference warns about them).
    Three steps: claim every name, write one statement per node, render the class.
    """
    report = report or infer_shapes(doc)
    if report.errors:
        raise GraphError([p.message for p in report.errors], doc.name)
    class_name = check_class_name(class_name) if class_name is not None else class_name_for(doc.name)
    used = [n for n in report.order if report.nodes[n].used and not doc.nodes[n].spec.is_input]
    statements = sorted(used, key=lambda n: doc.nodes[n].spec.is_output)  # Output aliases just before return
    names = _claim_names(doc, report, class_name, statements)
    init_lines, forward_lines = _statements(doc, report, statements, names)
    inputs = [names.var[(n, 0)] for n in report.inputs]
    outputs = [names.var[(n, 0)] for n in report.outputs]
    source, line_of = _render_class(class_name, doc.name, init_lines, forward_lines, inputs, outputs)
    return GeneratedModel(
        class_name,
        source,
        list(report.inputs),
        inputs,
        [report.value_type(n) for n in report.inputs],
        outputs,
        names.attr_of,
        line_of,
    )


def example_input_code(doc: GraphDocument, model: GeneratedModel, batch: int = 2) -> list[str]:
    """Expressions making one random batch for each model input."""
    exprs = []
    for node_id, t in zip(model.input_ids, model.input_types):
        shape = ", ".join(map(str, (batch, *t.shape)))
        if t.dtype == "int64":
            exprs.append(f"torch.randint(0, {smallest_vocabulary(doc, node_id)}, ({shape},))")
        else:
            exprs.append(f"torch.randn({shape})")
    return exprs

