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

Each block definition becomes its own class, written before the model's
(innermost first), with its parameters as constructor arguments (see
:mod:`.block_code`); an instance is a submodule attribute and a repeated one
an ``nn.Sequential`` of copies, so ``state_dict`` keys are those of the same
network written by hand (``stage2.0.conv1.weight``).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from .block_code import (
    BlockClass,
    Use,
    fresh_class_name,
    innermost_first,
    made,
    new_class,
    sequence_class,
    state_of,
    structure,
    use_of,
    uses_by_block,
)
from .block_docstring import block_docstring
from .document import GraphDocument
from .errors import GraphError
from .layers import Emit
from .library import sequence_of
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
    block_classes: list[str] = field(default_factory=list)  # the classes written for blocks, before the model's


def _is_output(doc: GraphDocument, node_id: str) -> bool:
    return doc.spec_for(doc.nodes[node_id].type).is_output


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
    written = set(statements)
    for e in doc.edges:  # an Output that writes no alias (in a block's class) is read by return
        target = e.target if e.target in written or not _is_output(doc, e.target) else "return"
        readers.setdefault((e.source, e.source_port), []).append(target)
    for node_id in returned:
        if node_id in written:
            readers.setdefault((node_id, 0), []).append("return")
    last = "return" if len(returned) == 1 else None  # `return hidden, head` reads better than `return hidden, x`
    return {
        node_id for node_id, following in zip(statements, [*statements[1:], last])
        if not _is_output(doc, node_id) and readers.get((node_id, 0)) == [following]
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


def _claim_names(doc: GraphDocument, use: Use, class_name: str, statements: list[str]) -> _Names:
    """Names for the model's class, or for a block's: there the Output nodes write no
    alias (their ids are only port labels) and the streamed value is ``out`` when an
    input is called ``x``, as in a hand-written block."""
    names = Namespace({class_name})
    used_ports = {(e.source, e.source_port) for e in doc.edges} | {_value_of(doc, n, statements) for n in use.outputs}
    var = {(node_id, 0): names.claim(node_id) for node_id in use.inputs}
    attr_of: dict[str, str] = {}
    streamed = _streamed(doc, statements, use.outputs)
    in_block = doc.is_definition and "x" in var.values()
    stream = names.claim("out" if in_block else "x") if streamed else None
    for node_id in statements:
        spec = doc.spec_for(doc.nodes[node_id].type)
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


def _statement_order(doc: GraphDocument, use: Use, aliases: bool = True) -> list[str]:
    """The nodes that write a statement: used ones but the Inputs, Output aliases just
    before return (``aliases``; a block's class returns its Outputs' feeders directly)."""
    used = [n for n in use.order if use.infos[n].used and not doc.spec_for(doc.nodes[n].type).is_input]
    if not aliases:
        return [n for n in used if not _is_output(doc, n)]
    return sorted(used, key=lambda n: _is_output(doc, n))



def _forward_lines(doc: GraphDocument, use: Use, statements: list[str], names: _Names) -> list[Line]:
    """The ``forward`` lines of each node."""
    batch = f"{names.var[(use.inputs[0], 0)]}.shape[0]"  # an input's name is never rebound
    in_edges: dict[str, list] = {}
    for e in sorted(doc.edges, key=lambda e: e.target_port):
        in_edges.setdefault(e.target, []).append(e)
    forward_lines: list[Line] = []
    for node_id in statements:
        spec = doc.spec_for(doc.nodes[node_id].type)
        ins = tuple(names.var[(e.source, e.source_port)] for e in in_edges.get(node_id, ()))
        outs = tuple(names.var.get((node_id, port), "_")
                     for port in range(len(spec.output_names(use.params[node_id]))))
        base = names.attr_of.get(node_id)
        tag = node_tag(node_id) if node_id in names.streamed and not spec.has_state else ""
        for i, line in enumerate(spec.emit(Emit(ins, outs, f"self.{base}", use.params[node_id], batch,
                                                  use.infos[node_id].inputs))):
            forward_lines.append((node_id, line, "" if i else tag))
    return forward_lines


def _variant(doc: GraphDocument, use: Use, statements: list[str], names: _Names,
             classes: dict[int, BlockClass]) -> tuple:
    """What must be equal for two uses to share one class: the forward code, and what
    cannot be made an argument (the classes of inner instances, the state of a ``creates`` node)."""
    fixed = tuple(structure(made(doc, use, n, classes)) for n in statements
                  if doc.spec_for(doc.nodes[n].type).has_state)
    return tuple(line for _, line, _ in _forward_lines(doc, use, statements, names)), fixed


def _render_class(class_name: str, docstring: str | list[str], cls: BlockClass, init_lines: list[Line],
                  forward_lines: list[Line], inputs: list[str], outputs: list[str]) -> tuple[str, dict[int, str]]:
    """The class text, lines wrapped to fit, and the node id behind each line."""
    result = ", ".join(outputs)
    if len(outputs) > 1 and len(result) > LIMIT - 20:
        result = f"({result})"
    lines = docstring if isinstance(docstring, list) else (
        textwrap.wrap(docstring, LIMIT - 10, break_long_words=False, break_on_hyphens=False) or [""])
    text = [
        f"class {class_name}(nn.Module):",
        *([f'    """{lines[0]}"""'] if len(lines) == 1 else
          [f'    """{lines[0]}', *(f"    {line}".rstrip() for line in lines[1:]), '    """']),
        "",
        *fit(f"def __init__({cls.signature(render)}):", "    "),
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


def _write_class(doc: GraphDocument, uses: list[Use], cls: BlockClass, docstring: str | list[str],
                 statements: list[str], names: _Names, classes: dict[int, BlockClass]) -> tuple[str, dict[int, str]]:
    init_lines: list[Line] = []
    for node_id in statements:
        state = state_of(doc, cls, uses, node_id, classes)
        if state is not None:
            init_lines.append((node_id, f"self.{names.attr_of[node_id]} = {render(state)}", ""))
    forward_lines = _forward_lines(doc, uses[0], statements, names)
    inputs = [names.var[(n, 0)] for n in uses[0].inputs]
    outputs = [names.var[_value_of(doc, n, statements)] for n in uses[0].outputs]
    return _render_class(cls.name, docstring, cls, init_lines, forward_lines, inputs, outputs)


def _render_sequence_class(name: str, docstring: list[str]) -> str:
    """``class Stem(nn.Sequential)``: a named chain, nothing but its name and docstring of its own."""
    body = [f'    """{docstring[0]}', *(f"    {line}".rstrip() for line in docstring[1:]), '    """']
    return "\n".join([f"class {name}(nn.Sequential):", *body]) + "\n"


def _value_of(doc: GraphDocument, node_id: str, statements: list[str]) -> tuple[str, int]:
    """The (node, port) whose variable holds what ``node_id`` returns."""
    if node_id not in statements and _is_output(doc, node_id):
        feeder = doc.feeder(node_id, 0)
        return feeder.source, feeder.source_port
    return node_id, 0


# -- blocks --------------------------------------------------------------------------
def _block_classes(doc: GraphDocument, report: ShapeReport, taken: set[str]) -> tuple[list[str], dict]:
    """The source of every block class the model needs, and the class of each evaluation."""
    library = doc.library
    evaluations = uses_by_block(report)
    sources: list[str] = []
    classes: dict[int, BlockClass] = {}
    for name in innermost_first(doc, evaluations):
        definition = library.blocks[name]
        if sequence_of(definition) is not None:  # made where it is used, as an nn.Sequential or a subclass
            if sequence_class(name) == name and name in evaluations:
                sources.append(_render_sequence_class(name, block_docstring(name, definition, arguments=False)))
            continue
        uses = [use_of(definition, id(e), e.infos, e.order, e.inputs, e.outputs, e.args)
                for e in evaluations.get(name, [])]
        if not uses:
            continue
        statements = _statement_order(definition, uses[0], aliases=False)
        names = _claim_names(definition, uses[0], name, statements)
        variants: dict[tuple, list[Use]] = {}
        for use in uses:
            variants.setdefault(_variant(definition, use, statements, names, classes), []).append(use)
        for k, group in enumerate(variants.values()):
            class_name = name if k == 0 else fresh_class_name(f"{name}{k + 1}", taken)
            taken.add(class_name)
            cls = new_class(class_name, name, {p: spec.default for p, spec in definition.parameters.items()})
            for use in group:
                classes[use.key] = cls
            docstring = block_docstring(name, definition)
            source, _ = _write_class(definition, group, cls, docstring, statements, names, classes)
            sources.append(source)
    return sources, classes


def generate(doc: GraphDocument, class_name: str | None = None, report: ShapeReport | None = None) -> GeneratedModel:
    """Generate the model class for ``doc`` (after a class per block it uses); refuses graphs with errors.

    Nodes connected to nothing are left out (inference warns about them).
    Three steps per class: claim every name, write one statement per node, render the class.
    """
    report = report or infer_shapes(doc)
    if report.errors:
        raise GraphError([p.message for p in report.errors], doc.name)
    blocks = set(doc.library.blocks)
    if class_name is not None:
        class_name = check_class_name(class_name)
        if class_name in blocks:
            raise GraphError([f"class_name: {class_name!r} is the name of a block of the graph"], doc.name)
    else:
        class_name = class_name_for(doc.name)
        while class_name in blocks:
            class_name += "Model"
    block_sources, classes = _block_classes(doc, report, blocks | {class_name})
    args = {p: spec.default for p, spec in doc.parameters.items()}
    use = use_of(doc, 0, report.nodes, report.order, report.inputs, report.outputs, args)
    statements = _statement_order(doc, use)
    names = _claim_names(doc, use, class_name, statements)
    cls = new_class(class_name, "", {})
    docstring = f"{safe_text(doc.name, 60)}: generated by netbuilder."
    source, line_of = _write_class(doc, [use], cls, docstring, statements, names, classes)
    prefix = "".join(text + "\n\n" for text in block_sources)
    offset = prefix.count("\n")
    return GeneratedModel(
        class_name,
        prefix + source,
        list(report.inputs),
        [names.var[(n, 0)] for n in report.inputs],
        [report.value_type(n) for n in report.inputs],
        [names.var[(n, 0)] for n in report.outputs],
        names.attr_of,
        {line + offset: node for line, node in line_of.items()},
        list(dict.fromkeys(c.name for c in classes.values())),
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

