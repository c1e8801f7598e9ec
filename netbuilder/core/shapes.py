"""Live shape inference and validation of a whole graph.

Each node is evaluated by :mod:`oracle` (torch builds its module on the meta
device; cached, so a 1,000-node graph infers in milliseconds); this module
adds what only the graph knows: inputs that can never fit, missing or
unconnected inputs, cycles, what the model takes and returns, and "unknown"
below an error instead of errors of their own. :class:`ShapeInference` keeps
results between edits and recomputes only edited nodes and those downstream
whose inputs changed.
"""

from __future__ import annotations

import math

from .block_shapes import Binding, instance_info
from .blockparams import has_references, resolve
from .document import STRUCTURAL, Change, ChangeKind, GraphDocument
from .errors import ParamError
from .layers import LayerSpec, TensorType, TokenIds
from .library import BlockSpec
from .oracle import ShapeError, evaluate_node
from .report import NodeInfo, Problem, Severity, ShapeReport, Status

#: Above this many parameters ``check`` warns (about 1 GB of float32 weights).
LARGE_MODEL_PARAMS = 250_000_000
#: A node whose output holds more values than this per sample (1 GiB of float32) is refused:
#: torch could not allocate it for a batch, or overflows computing its size.
MAX_OUTPUT_VALUES = 2**28


# -- one node in its graph ----------------------------------------------------
def _check_inputs(spec: LayerSpec, inputs: list[TensorType]) -> str | None:
    """A precise message when the incoming tensors can never fit, else None."""
    if spec.ranks is not None:
        rank = len(inputs[0].shape) + 1
        if rank not in spec.ranks:
            got = inputs[0].text()
            msg = f"expects {spec.expects or ' or '.join(f'{r}-D' for r in spec.ranks)}, got {got}"
            return msg + (f" — {spec.hint}" if spec.hint else "")
    for t in inputs:
        if t.dtype == "int64" and spec.token_ids is TokenIds.REFUSED:
            return f"gets int64 token ids {t.text()}; put an Embedding before it"
    if spec.token_ids is TokenIds.REQUIRED and inputs[0].dtype != "int64":
        return "expects int64 token ids; set the Input's dtype to int64"
    return None


def defaults_of(doc: GraphDocument) -> Binding:
    """A document on its own: a definition's parameters at their defaults, its Inputs' example shapes."""
    return Binding({name: p.default for name, p in doc.parameters.items()})


def _node_info(doc: GraphDocument, node_id: str, infos: dict[str, NodeInfo], binding: Binding) -> NodeInfo:
    """Everything about one node, given what its upstream nodes produce."""
    node = doc.nodes[node_id]
    spec = doc.spec_for(node.type)
    label = f"{node.type} '{node_id}'"
    params = node.params
    edges = doc.in_edges(node_id)
    feeds = doc.out_degree(node_id) > 0

    def error(message: str, inputs=()) -> NodeInfo:
        problem = Problem(node_id, Severity.ERROR, f"{label}: {message}")
        return NodeInfo(Status.ERROR, problems=[problem], inputs=tuple(inputs))

    if has_references(params):
        try:
            params = spec.validate_params(resolve(params, binding.args))
        except ParamError as err:
            field = err.field.removeprefix("params.")
            return error(f"{field}: {err.detail} (set by {node.params.get(field)})")
    if spec.is_input and binding.inputs is not None and node_id in binding.inputs:
        return NodeInfo(Status.OK, (binding.inputs[node_id],), used=bool(feeds))
    if not edges and not feeds:
        warning = Problem(node_id, Severity.WARNING,
                          f"{label}: is not connected to anything, so the model leaves it out")
        if spec.min_inputs == 0:  # a source (Input, Parameter) still shows its shape
            outputs = evaluate_node(node.type, params, [])[0]
            return NodeInfo(Status.WARNING, outputs, [warning], used=False)
        return NodeInfo(Status.WARNING, problems=[warning], used=False)
    if spec.is_output:
        fed = [e.target for e in doc.out_edges(node_id) if not doc.spec_for(doc.nodes[e.target].type).is_output]
        if fed:
            reader = doc.nodes[fed[0]]
            return error(f"an Output ends the model and feeds only other Outputs, not {reader.type} '{reader.id}': "
                         "connect that node to the layer before the Output")
    if len(edges) < spec.min_inputs:
        what = "an input" if spec.min_inputs == 1 else f"{spec.min_inputs} inputs"
        return error(f"needs {what}, has {len(edges)}")
    for port, edge in enumerate(edges):
        if edge.target_port != port:
            return error(f"input {port + 1} ({spec.input_label(port)}) is not connected")
    inputs = []
    for edge in edges:
        upstream = infos.get(edge.source)
        if upstream is None or not upstream.outputs:
            return NodeInfo(Status.UNKNOWN)
        if edge.source_port >= len(upstream.outputs):  # a chunk made into fewer pieces than it was
            return error(f"input {edge.target_port + 1} reads output {edge.source_port + 1} of "
                         f"'{edge.source}', which has {len(upstream.outputs)}: connect another output")
        inputs.append(upstream.outputs[edge.source_port])
    if len(edges) > len(spec.input_names) and isinstance(spec, BlockSpec):
        return error(f"has {len(edges)} inputs wired, but block {spec.type} has {len(spec.input_names)} input(s) "
                     f"({', '.join(spec.input_names)})")
    problem = _check_inputs(spec, inputs) if inputs else None
    if problem:
        return error(problem, inputs)
    if isinstance(spec, BlockSpec):
        if params.get("repeat", 1) != 1 and not spec.repeatable:
            return error(f"repeats {params['repeat']} times, but block {spec.type} no longer has one input and one "
                         "output to chain: set repeat to 1", inputs)
        return instance_info(doc, node, spec, params, inputs, label, _node_info)
    try:
        outputs, n_params, macs, kwargs, notes = evaluate_node(node.type, params, inputs)
    except ShapeError as err:
        return error(str(err), inputs)
    for out in outputs:
        if math.prod(out.shape) > MAX_OUTPUT_VALUES:
            return error(f"its output {out.text()} would hold {math.prod(out.shape):,} values per sample, more "
                         f"than a batch of it could take in memory (at most {MAX_OUTPUT_VALUES:,})", inputs)
    problems = [Problem(node_id, Severity.WARNING, f"{label}: {note}") for note in notes]
    status = Status.WARNING if problems else Status.OK
    return NodeInfo(status, outputs, problems, n_params, macs, kwargs, tuple(inputs))


def is_output(doc: GraphDocument, node_id: str) -> bool:
    return doc.spec_for(doc.nodes[node_id].type).is_output


def is_input(doc: GraphDocument, node_id: str) -> bool:
    return doc.spec_for(doc.nodes[node_id].type).is_input


# -- whole graph --------------------------------------------------------------
def output_nodes(doc: GraphDocument) -> list[str]:
    """What the model returns: its Output nodes, or else every dangling node.

    Nodes left out of the model (connected to nothing) are never outputs.
    """
    used = [n for n in doc.nodes if doc.in_degree(n) or doc.out_degree(n)]
    marked = [n for n in used if is_output(doc, n)]
    if marked:
        return marked
    return [n for n in used if not doc.out_degree(n) and not is_input(doc, n)]


def _graph_problems(doc: GraphDocument, order: list[str], outputs: list[str], inputs: list[str],
                    total_params: int) -> list[Problem]:
    problems = []

    def error(text: str) -> None:
        problems.append(Problem(None, Severity.ERROR, text))

    if not any(is_input(doc, n) for n in doc.nodes):
        error("the graph has no Input node: add one and set its shape")
    elif not outputs:
        error("the model computes nothing yet: connect a layer to an Input")
    elif not inputs:
        error("no Input node is connected: the model would have no input")
    if len(order) != len(doc.nodes):
        ordered = set(order)
        cycle = [n for n in doc.nodes if n not in ordered]
        error(f"the graph has a cycle through {', '.join(map(repr, cycle[:5]))}")
    if any(is_output(doc, n) for n in outputs):  # then a dangling layer's work is thrown away
        for node_id, node in doc.nodes.items():
            if not is_output(doc, node_id) and not doc.out_degree(node_id) and doc.in_degree(node_id):
                problems.append(Problem(node_id, Severity.WARNING, f"{node.type} '{node_id}': its result is not "
                                        "used: connect it to an Output"))
    if total_params > LARGE_MODEL_PARAMS:
        problems.append(Problem(None, Severity.WARNING, f"the model has {total_params:,} parameters "
                                f"({total_params * 4 / 2**30:,.1f} GiB as float32): building or training it "
                                "may not fit in memory"))
    return problems


class ShapeInference:
    """Incremental inference bound to a document.

    Subscribes to the document; a change marks only the nodes it touches as
    dirty. :meth:`refresh` walks the (cached) topological order and recomputes
    a node when it is dirty or when an input's type really changed, so an edit
    whose effect dies out (a Dropout rate, a conv whose output shape stays the
    same) costs a handful of evaluations whatever the size of the graph.
    """

    def __init__(self, doc: GraphDocument):
        self.doc = doc
        self._binding = defaults_of(doc)
        self._infos: dict[str, NodeInfo] = {}
        self._dirty: set[str] = set(doc.nodes)
        self._order: list[str] | None = None
        self._cyclic: set[str] = set()
        self._report: ShapeReport | None = None
        doc.subscribe(self._on_change)

    def close(self) -> None:
        self.doc.unsubscribe(self._on_change)

    def _on_change(self, change: Change) -> None:
        kind = change.kind
        if kind in (ChangeKind.MOVED, ChangeKind.META_CHANGED):
            return
        if kind == ChangeKind.BLOCKS_CHANGED:
            if change.inner is not None and change.inner.kind in (ChangeKind.MOVED, ChangeKind.META_CHANGED):
                return
            self._report = None
            if change.inner is None:  # a definition added, replaced, renamed or given new parameters
                self._binding = defaults_of(self.doc)
                self._dirty = set(self.doc.nodes)
            else:
                self._dirty.update(n for n, node in self.doc.nodes.items() if self.doc.is_block(node.type))
            return
        self._report = None
        if kind in STRUCTURAL:
            self._order = None
        if kind == ChangeKind.RESET:
            self._infos.clear()
            self._dirty = set(self.doc.nodes)
        elif kind == ChangeKind.NODE_REMOVED:
            self._infos.pop(change.ids[0], None)
            self._dirty.discard(change.ids[0])
        elif kind == ChangeKind.RENAMED:
            old, new = change.ids
            if old in self._infos:  # keep the old result: downstream needs no work if it is unchanged
                self._infos[new] = self._infos.pop(old)
            self._dirty.discard(old)
            self._dirty.add(new)
            self._dirty.update(self.doc.predecessors(new))  # an Output's error names what it feeds
        else:  # node_added, params_changed, edge_added/removed: both ends may change
            self._dirty.update(i for i in change.ids if i in self.doc.nodes)

    def refresh(self) -> ShapeReport:
        """Bring results up to date; cheap when nothing changed."""
        if self._report is not None and not self._dirty:
            return self._report
        doc = self.doc
        if self._order is None:
            self._order = doc.topological_order()
            self._dirty |= self._cyclic & doc.nodes.keys()  # a cycle may have been broken
        order, infos = self._order, self._infos
        changed: set[str] = set()
        for node_id in order:
            if node_id in self._dirty or any(source in changed for source in doc.predecessors(node_id)):
                old = infos.get(node_id)
                infos[node_id] = new = _node_info(doc, node_id, infos, self._binding)
                if old is None or old.outputs != new.outputs:
                    changed.add(node_id)
        self._cyclic = doc.nodes.keys() - set(order)  # only a hand-edited document can have one
        for node_id in self._cyclic:
            infos[node_id] = NodeInfo(Status.ERROR, problems=[
                Problem(node_id, Severity.ERROR, f"{doc.nodes[node_id].type} '{node_id}': is part of a cycle")])
        self._dirty.clear()
        outputs = output_nodes(doc)
        inputs = [n for n in doc.nodes if is_input(doc, n) and infos[n].used]
        total = sum(info.params for info in infos.values() if info.used)
        problems = _graph_problems(doc, order, outputs, inputs, total)
        returned = _returning(doc, outputs) if doc.training else set()  # a graph to train: a loss gets it
        for node_id in doc.nodes:
            mine = infos[node_id].problems
            problems.extend(_errors_at_output(doc, node_id, infos[node_id], mine) if node_id in returned else mine)
        self._report = ShapeReport(dict(infos), problems, list(order), outputs, inputs)
        return self._report

    @property
    def report(self) -> ShapeReport:
        return self.refresh()


def _returning(doc: GraphDocument, outputs: list[str]) -> set[str]:
    """The nodes whose value the model returns (an Output node's is its feeder's)."""
    found = set()
    for node_id in outputs:
        feeder = doc.feeder(node_id, 0) if is_output(doc, node_id) else None
        found.add(feeder.source if feeder is not None else node_id)
    return found


def _errors_at_output(doc: GraphDocument, node_id: str, info: NodeInfo, problems: list[Problem]) -> list[Problem]:
    """A layer's own warning (a Linear fed a feature map) is an error where its value is the
    output of a graph that has training settings: the extra dimensions would reach the loss,
    which is always a mistake there. A graph without them (a sketch, a test) keeps the warning."""
    node = doc.nodes[node_id]
    spec = doc.spec_for(node.type)
    if spec.warn is None or not info.inputs or has_references(node.params):
        return problems
    label = f"{node.type} '{node_id}'"
    own = {f"{label}: {note}" for note in spec.warn(node.params, list(info.inputs))}
    return [Problem(node_id, Severity.ERROR, p.message + " (its output is the model's output)")
            if p.severity == Severity.WARNING and p.message in own else p for p in problems]


def infer_shapes(doc: GraphDocument) -> ShapeReport:
    """Shapes, parameter counts and problems of every node of ``doc``."""
    inference = ShapeInference(doc)
    try:
        return inference.refresh()
    finally:
        inference.close()
