"""``import_module``: a traceable ``nn.Module`` becomes an editable graph plus its weights.

The steps: trace with torch.fx (:mod:`.tracing`), drop computations whose
results are never used, run the example inputs through the trace to learn
every shape (:mod:`.values`), plan one netbuilder node per layer
(:mod:`.mapper`), then build the document, lay it out, and prove the result:
the document's own compiled model, given the imported weights, must
reproduce the original module's outputs on the examples, or the import fails.

Ids follow the code so that netbuilder's own models come back unchanged. A
model compiled by netbuilder says which node wrote each line; otherwise
inputs keep the argument names, layers their submodule paths
(``layer1.0.conv1`` → ``layer1_0_conv1``), and other operations a
``# node: <id>`` comment on their line, or the name they are assigned to when
that name is assigned only once (``add_1 = a + b``). Output nodes are the
aliases forward returns (``scores = x``, then ``return scores``), as
netbuilder writes them.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field

import torch
import torch.fx as fx
from torch import nn

from ..core.codegen import generate
from ..core.compiler import build_model
from ..core.document import Edge, GraphDocument
from ..core.errors import NetbuilderError
from ..core.layout import layered_positions
from ..core.pysource import MODULE_ATTRS, Namespace, class_name_for
from ..core.shapes import infer_shapes
from .errors import UnsupportedModelError, UnsupportedOp
from .mapper import GraphMapper, MappedGraph, Planned, describe
from .structure import flat_results, flatten_examples, nest, split_tuple_placeholders
from .tracing import generated_id_of, returned_names, source_of, statement_of, trace
from .values import evaluating, record_values

_DTYPES = (torch.float32, torch.int64)
_PLUMBING = (getattr, operator.getitem, "size", "dim")  # unused look-ups (``a, _ = …``) are not worth a note
_KEEP_UNSUPPORTED = ("keep_unsupported was asked for, but netbuilder's layer library has no opaque node type "
                     "yet, so these operations cannot be kept on the canvas. Rewrite them with supported layers.")
_REWRITE = "Rewrite these with supported layers, or import a traceable submodule on its own."


@dataclass
class ImportedModel:
    """The graph of an imported module and the weights that go with it.

    ``state_dict`` uses the keys of ``build_model(document)``; ``notes`` are
    things the user should know that did not stop the import.
    """

    document: GraphDocument
    state_dict: dict[str, torch.Tensor]
    notes: list[str] = field(default_factory=list)

    def build(self) -> nn.Module:
        """The compiled netbuilder model with the imported weights loaded."""
        model = build_model(self.document)
        model.load_state_dict(self.state_dict)
        return model


def import_module(module: nn.Module, example_inputs, keep_unsupported: bool = False) -> ImportedModel:
    """Trace ``module`` on ``example_inputs`` (a tensor or a tuple, batch first; a tuple
    argument such as ``(tokens, (h0, c0))`` becomes one Input per tensor) and return it
    as a netbuilder graph with its weights.

    Raises :class:`~.errors.UnsupportedModelError` listing every operation
    netbuilder cannot represent (with its source line), or
    :class:`~.errors.TraceError` when torch.fx cannot trace the code.
    """
    flat, structure = flatten_examples(example_inputs)
    inputs = _examples(flat)
    name = type(module).__name__
    _check_float32(module)
    graph_module = trace(module, len(structure))
    split_tuple_placeholders(graph_module, structure)
    notes, lost_mutations = _drop_unused(graph_module)
    mapped = GraphMapper(graph_module, record_values(graph_module, inputs)).run()
    notes += mapped.notes
    unsupported = lost_mutations + mapped.unsupported
    if unsupported:
        raise UnsupportedModelError(name, unsupported, _KEEP_UNSUPPORTED if keep_unsupported else _REWRITE)
    doc = _document(name, mapped, graph_module, returned_names(module))
    notes += _check_shapes(doc, mapped, graph_module)
    weights = _weights(doc, mapped, graph_module)
    _verify(module, doc, weights, inputs, structure)
    return ImportedModel(doc, weights, notes)


def _examples(example_inputs) -> tuple[torch.Tensor, ...]:
    inputs = (example_inputs,) if isinstance(example_inputs, torch.Tensor) else tuple(example_inputs)
    if not inputs or not all(isinstance(t, torch.Tensor) for t in inputs):
        raise NetbuilderError("example_inputs must be a tensor or a tuple of tensors")
    for i, tensor in enumerate(inputs):
        if tensor.dtype not in _DTYPES or tensor.dim() < 2:
            raise NetbuilderError(f"example input {i} is a {tensor.dim()}-D {tensor.dtype} tensor; netbuilder "
                                  "inputs are float32 or int64 with the batch dimension first")
    if len({t.shape[0] for t in inputs}) != 1:
        if len({t.shape[1] for t in inputs}) == 1:
            shapes = ", ".join(str(tuple(t.shape)) for t in inputs)
            raise NetbuilderError(
                f"the example inputs {shapes} agree in dimension 1, not 0: they look sequence-first, as tokens "
                "(T, N) and LSTM states (layers, N, hidden) are. netbuilder's graphs keep the batch first and cannot "
                "take such inputs yet; import a batch-first variant (batch_first=True, starting from the zero state: "
                "self.rnn(x) without a hidden argument)")
        raise NetbuilderError("the example inputs have different batch sizes")
    return inputs


def _check_float32(module: nn.Module) -> None:
    for key, tensor in module.state_dict().items():
        if tensor.is_floating_point() and tensor.dtype != torch.float32:
            raise NetbuilderError(f"{key} is {tensor.dtype}; netbuilder models are float32 (call module.float())")


def _mutates(node: fx.Node, root: nn.Module) -> bool:
    """``y.relu_()``, ``F.relu(y, inplace=True)``, ``nn.ReLU(inplace=True)``: the input changes."""
    if node.op == "call_module":
        return bool(getattr(root.get_submodule(node.target), "inplace", False))
    in_place_method = node.op == "call_method" and node.target.endswith("_") and not node.target.startswith("_")
    return in_place_method or node.kwargs.get("inplace") is True


def _drop_unused(graph_module: fx.GraphModule) -> tuple[list[str], list[UnsupportedOp]]:
    """Remove what the outputs do not depend on and note any layer or call dropped.

    An unused call that works in place is the exception: it matters through its
    input, which netbuilder's layers never change, so it is reported instead.
    """
    graph = graph_module.graph
    output = next(n for n in graph.nodes if n.op == "output")
    live, stack = {output}, [output]
    while stack:
        for source in stack.pop().all_input_nodes:
            if source not in live:
                live.add(source)
                stack.append(source)
    notes, mutations = [], []
    for node in reversed(list(graph.nodes)):
        if node in live or node.op == "placeholder":
            continue
        if _mutates(node, graph_module):
            mutations.append(UnsupportedOp(describe(node, graph_module), "changes its input in place and its "
                                           "result is not used; write y = f(y) instead", source_of(node)))
        elif node.op == "call_module" or (node.op in ("call_function", "call_method")
                                          and node.target not in _PLUMBING):
            where = f" at {source_of(node)}" if source_of(node) else ""
            notes.append(f"{describe(node, graph_module)}{where}: its result is never used, so it was left out")
        graph.erase_node(node)
    graph_module.recompile()
    return notes[::-1], mutations[::-1]


# -- the document -----------------------------------------------------------------
def _id_for(code_name: str, avoid: frozenset) -> str:
    """The id that codegen writes as ``code_name``: ``input_`` is node ``input``
    (codegen adds the underscore to names that would shadow a builtin)."""
    stem = code_name[:-1]
    return stem if code_name.endswith("_") and stem and Namespace().claim(stem, avoid) == code_name else code_name


def _choose_ids(planned: list[Planned], graph: fx.Graph, class_name: str) -> None:
    """A model netbuilder compiled says each node's id; otherwise inputs come
    first, then layers by module path, then the rest by assigned name.

    Each wanted name goes through codegen's own :class:`Namespace`, so the ids
    are exactly those whose generated code names are the ones read here.
    """
    last_of_statement = {statement_of(n).key: n for n in graph.nodes if statement_of(n)}
    names = Namespace({class_name})
    known = {p: generated_id_of(p.node) for p in planned if generated_id_of(p.node)}
    if len(set(known.values())) == len(known):
        for p, node_id in known.items():
            p.id = node_id
            names.claim(node_id, MODULE_ATTRS if p.state else frozenset())

    def claim(p: Planned, wanted: str, avoid: frozenset = frozenset()) -> None:
        p.id = p.id or _id_for(names.claim(wanted, avoid), avoid)

    for p in (p for p in planned if p.spec.is_input):
        claim(p, p.node.target)
    for p in (p for p in planned if p.state):
        claim(p, p.state, MODULE_ATTRS)
    for p in (p for p in planned if not p.spec.is_input and not p.state):
        statement = statement_of(p.node)
        named = statement and statement.name and last_of_statement[statement.key] is p.node
        claim(p, statement.name if named else p.node.name)


def _needs_output_nodes(mapped: MappedGraph, names: tuple[str | None, ...]) -> bool:
    """Without Output nodes a graph returns its dangling nodes; is that what the module returns?

    Results returned through plain aliases (``out = h; return out``) get Output nodes named so.
    """
    if any(names):
        return True
    consumed = {id(source) for p in mapped.planned for source, _ in p.inputs}
    dangling = {id(p) for p in mapped.planned if not p.spec.is_input and id(p) not in consumed}
    returned = [id(p) for p, _ in mapped.outputs]
    plain = all(port == 0 for _, port in mapped.outputs) and len(set(returned)) == len(returned)
    return not (plain and set(returned) == dangling)


def _document(name: str, mapped: MappedGraph, graph_module: fx.GraphModule,
              output_names: tuple[str | None, ...]) -> GraphDocument:
    _choose_ids(mapped.planned, graph_module.graph, class_name_for(name))
    names = output_names if len(output_names) == len(mapped.outputs) else ()
    outputs_as_nodes = _needs_output_nodes(mapped, names)
    returned = [p for p, _ in mapped.outputs]
    order = mapped.planned if outputs_as_nodes else [p for p in mapped.planned if p not in returned] + returned
    doc = GraphDocument(name)
    for p in order:
        doc.add_node(p.layer, p.params, node_id=p.id)
    for p in order:
        for target_port, (source, port) in enumerate(p.inputs):
            doc.connect(Edge(source.id, p.id, port, target_port))
    if outputs_as_nodes:
        for (source, port), wanted in zip(mapped.outputs, names or [None] * len(mapped.outputs)):
            node_id = doc.add_node("Output", {}, node_id=doc.unique_id(_id_for(wanted, frozenset()) if wanted
                                                                        else "output"))
            doc.connect(Edge(source.id, node_id, port, 0))
    for node_id, pos in layered_positions(doc).items():
        doc.nodes[node_id].pos = pos
    return doc


def _check_shapes(doc: GraphDocument, mapped: MappedGraph, graph_module: fx.GraphModule) -> list[str]:
    """netbuilder's own shape inference must accept the graph; its warnings become notes."""
    report = infer_shapes(doc)
    by_id = {p.id: p for p in mapped.planned}
    if report.errors:
        ops = []
        for problem in report.errors:
            node = by_id[problem.node_id].node if problem.node_id in by_id else None
            what = describe(node, graph_module) if node is not None else "graph"
            ops.append(UnsupportedOp(what, problem.message, source_of(node) if node is not None else None))
        raise UnsupportedModelError(doc.name, ops, _REWRITE)
    return [f"netbuilder warns: {w.message}" for w in report.warnings]


def _weights(doc: GraphDocument, mapped: MappedGraph, graph_module: fx.GraphModule) -> dict[str, torch.Tensor]:
    """The module's tensors under the keys of the imported graph's model: what each
    planned node holds (``enc.conv.weight``, or a parameter ``pos`` itself) moves
    to its node's attribute (``enc_conv.weight``, ``pos``)."""
    attr_of = generate(doc).attr_of
    state = graph_module.state_dict()
    weights = {}
    for p in mapped.planned:
        for name, path in p.tensors.items():  # F.layer_norm(x, shape, self.w, self.b): LayerNorm's weight, bias
            weights[f"{attr_of[p.id]}.{name}"] = state[path].detach().clone()
        if p.state:
            for key, tensor in state.items():
                if key == p.state or key.startswith(p.state + "."):
                    weights[attr_of[p.id] + key[len(p.state):]] = tensor.detach().clone()
    return weights


def _verify(module: nn.Module, doc: GraphDocument, weights: dict, inputs: tuple[torch.Tensor, ...],
            structure: tuple | None = None) -> None:
    """The imported graph must compute what the module computes (both in eval mode);
    results nested in tuples are compared tensor by tensor, in order."""
    model = build_model(doc).to(inputs[0].device)
    model.load_state_dict(weights)
    by_id = dict(zip((i for i, node in doc.nodes.items() if doc.spec_for(node.type).is_input), inputs))
    with evaluating(module, model):
        arguments = nest(inputs, structure) if structure is not None else inputs
        expected = flat_results(module(*arguments))
        got = flat_results(model(*(by_id[i] for i in model.netbuilder_inputs)))
    if len(expected) != len(got):
        raise NetbuilderError(f"the imported graph returns {len(got)} values, {doc.name} returns {len(expected)}")
    for i, (a, b) in enumerate(zip(expected, got)):
        if not isinstance(a, torch.Tensor) or a.shape != b.shape or not torch.allclose(a, b, rtol=1e-5, atol=1e-6):
            diff = (a - b).abs().max().item() if isinstance(a, torch.Tensor) and a.shape == b.shape else "shape"
            raise NetbuilderError(
                f"the imported graph does not reproduce output {i} of {doc.name} (difference: {diff}). "
                "Its forward may depend on self.training or on random numbers (F.dropout without "
                "training=self.training), or change tensors in place; a fixed graph cannot follow that.")
