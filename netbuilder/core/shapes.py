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

import heapq
from dataclasses import dataclass, field

from .document import Change, Edge, GraphDocument
from .layers import LayerSpec, TensorType, get_spec
from .oracle import ShapeError, evaluate_node

_INT_OK = {"Embedding", "Identity", "Reshape", "Permute", "Flatten", "Unflatten", "Output", "Concat"}
_STRUCTURE = {"node_added", "node_removed", "edge_added", "edge_removed", "renamed", "reset"}


@dataclass(frozen=True)
class Problem:
    """One error or warning; ``node_id`` is ``None`` for graph-level problems."""

    node_id: str | None
    severity: str  # "error" | "warning"
    message: str


@dataclass
class NodeInfo:
    """What inference knows about one node.

    ``used`` is False for a node connected to nothing: it gets a warning and
    is left out of the compiled model, so a freshly dropped node never blocks
    a model that is otherwise fine.
    """

    status: str = "unknown"  # ok | warning | error | unknown
    outputs: tuple[TensorType, ...] = ()
    problems: list[Problem] = field(default_factory=list)
    params: int = 0
    macs: int = 0
    kwargs: dict = field(default_factory=dict)  # torch constructor arguments
    inputs: tuple[TensorType, ...] = ()
    used: bool = True


@dataclass
class ShapeReport:
    """The result of inference over a whole document."""

    nodes: dict[str, NodeInfo]
    problems: list[Problem]
    order: list[str]
    outputs: list[str]  # ids of the nodes whose value the model returns
    inputs: list[str] = field(default_factory=list)  # ids of the Input nodes forward() takes, in order

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total_params(self) -> int:
        return sum(info.params for info in self.nodes.values() if info.used)

    @property
    def total_macs(self) -> int:
        return sum(info.macs for info in self.nodes.values() if info.used)

    def output_types(self) -> list[TensorType | None]:
        return [self.value_type(i, 0) for i in self.outputs]

    def value_type(self, node_id: str, port: int = 0) -> TensorType | None:
        info = self.nodes.get(node_id)
        if info is None or port >= len(info.outputs):
            return None
        return info.outputs[port]

    def edge_type(self, edge: Edge) -> TensorType | None:
        return self.value_type(edge.source, edge.source_port)


# -- one node in its graph ----------------------------------------------------
@dataclass
class _Wiring:
    """Edges by node, built once per structural change instead of per node."""

    in_edges: dict[str, list[Edge]]
    has_out: set[str]

    @classmethod
    def of(cls, doc: GraphDocument) -> _Wiring:
        in_edges: dict[str, list[Edge]] = {n: [] for n in doc.nodes}
        for e in doc.edges:
            in_edges[e.target].append(e)
        for edges in in_edges.values():
            edges.sort(key=lambda e: e.target_port)
        return cls(in_edges, {e.source for e in doc.edges})


def _check_inputs(spec: LayerSpec, inputs: list[TensorType]) -> str | None:
    """A precise message when the incoming tensors can never fit, else None."""
    if spec.ranks is not None:
        rank = len(inputs[0].shape) + 1
        if rank not in spec.ranks:
            got = inputs[0].text()
            msg = f"expects {spec.expects or ' or '.join(f'{r}-D' for r in spec.ranks)}, got {got}"
            return msg + (f" — {spec.hint}" if spec.hint else "")
    for t in inputs:
        if t.dtype == "int64" and spec.type not in _INT_OK:
            return f"gets int64 token ids {t.text()}; put an Embedding before it"
    if spec.type == "Embedding" and inputs[0].dtype != "int64":
        return "expects int64 token ids; set the Input's dtype to int64"
    return None


def _node_info(doc: GraphDocument, node_id: str, wiring: _Wiring, infos: dict[str, NodeInfo]) -> NodeInfo:
    """Everything about one node, given what its upstream nodes produce."""
    node = doc.nodes[node_id]
    spec = get_spec(node.type)
    label = f"{node.type} '{node_id}'"
    edges = wiring.in_edges[node_id]

    def error(message: str, inputs=()) -> NodeInfo:
        return NodeInfo("error", problems=[Problem(node_id, "error", f"{label}: {message}")], inputs=tuple(inputs))

    if not edges and node_id not in wiring.has_out:
        warning = Problem(node_id, "warning", f"{label}: is not connected to anything, so the model leaves it out")
        if spec.min_inputs == 0:  # an Input still shows its shape
            outputs = evaluate_node(node.type, node.params, [])[0]
            return NodeInfo("warning", outputs, [warning], used=False)
        return NodeInfo("warning", problems=[warning], used=False)
    if len(edges) < spec.min_inputs:
        what = "an input" if spec.min_inputs == 1 else f"{spec.min_inputs} inputs"
        return error(f"needs {what}, has {len(edges)}")
    for port, edge in enumerate(edges):
        if edge.target_port != port:
            return error(f"input {port + 1} ({spec.input_label(port)}) is not connected")
    inputs = []
    for edge in edges:
        upstream = infos.get(edge.source)
        if upstream is None or edge.source_port >= len(upstream.outputs):
            return NodeInfo("unknown")
        inputs.append(upstream.outputs[edge.source_port])
    problem = _check_inputs(spec, inputs) if inputs else None
    if problem:
        return error(problem, inputs)
    try:
        outputs, n_params, macs, kwargs, notes = evaluate_node(node.type, node.params, inputs)
    except ShapeError as err:
        return error(str(err), inputs)
    problems = [Problem(node_id, "warning", f"{label}: {note}") for note in notes]
    return NodeInfo("warning" if problems else "ok", outputs, problems, n_params, macs, kwargs, tuple(inputs))


# -- whole graph --------------------------------------------------------------
def topological_order(doc: GraphDocument) -> list[str]:
    """Kahn's algorithm, ties broken by document order (stable code).

    Nodes on a cycle are missing from the result.
    """
    position = {n: i for i, n in enumerate(doc.nodes)}
    indegree = dict.fromkeys(doc.nodes, 0)
    children: dict[str, list[str]] = {n: [] for n in doc.nodes}
    for e in doc.edges:
        indegree[e.target] += 1
        children[e.source].append(e.target)
    ready = [(position[n], n) for n, d in indegree.items() if d == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, current = heapq.heappop(ready)
        order.append(current)
        for child in children[current]:
            indegree[child] -= 1
            if indegree[child] == 0:
                heapq.heappush(ready, (position[child], child))
    return order


def output_nodes(doc: GraphDocument) -> list[str]:
    """What the model returns: its Output nodes, or else every dangling node.

    Nodes left out of the model (connected to nothing) are never outputs.
    """
    used = {e.source for e in doc.edges} | {e.target for e in doc.edges}
    marked = [n for n, node in doc.nodes.items() if node.type == "Output" and n in used]
    if marked:
        return marked
    feeding = {e.source for e in doc.edges}
    return [n for n, node in doc.nodes.items() if n in used and n not in feeding and node.type != "Input"]


def _graph_problems(doc: GraphDocument, wiring: _Wiring, order: list[str], outputs: list[str],
                    inputs: list[str]) -> list[Problem]:
    problems = []
    if not any(node.type == "Input" for node in doc.nodes.values()):
        problems.append(Problem(None, "error", "the graph has no Input node: add one and set its shape"))
    elif not outputs:
        problems.append(Problem(None, "error", "the model computes nothing yet: connect a layer to an Input"))
    elif not inputs:
        problems.append(Problem(None, "error", "no Input node is connected: the model would have no input"))
    if len(order) != len(doc.nodes):
        cycle = [n for n in doc.nodes if n not in set(order)]
        problems.append(Problem(None, "error", f"the graph has a cycle through {', '.join(map(repr, cycle[:5]))}"))
    if any(doc.nodes[n].type == "Output" for n in outputs):  # then a dangling layer's work is thrown away
        for node_id, node in doc.nodes.items():
            if node.type != "Output" and node_id not in wiring.has_out and wiring.in_edges[node_id]:
                problems.append(Problem(node_id, "warning", f"{node.type} '{node_id}': its result is not used: "
                                        "connect it to an Output"))
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
        self._infos: dict[str, NodeInfo] = {}
        self._dirty: set[str] = set(doc.nodes)
        self._order: list[str] | None = None
        self._wiring: _Wiring | None = None
        self._cyclic: set[str] = set()
        self._report: ShapeReport | None = None
        doc.subscribe(self._on_change)

    def close(self) -> None:
        self.doc.unsubscribe(self._on_change)

    def _on_change(self, change: Change) -> None:
        kind = change.kind
        if kind in ("moved", "meta_changed"):
            return
        self._report = None
        if kind in _STRUCTURE:
            self._order = self._wiring = None
        if kind == "reset":
            self._infos.clear()
            self._dirty = set(self.doc.nodes)
        elif kind == "node_removed":
            self._infos.pop(change.ids[0], None)
            self._dirty.discard(change.ids[0])
        elif kind == "renamed":
            old, new = change.ids
            if old in self._infos:  # keep the old result: downstream needs no work if it is unchanged
                self._infos[new] = self._infos.pop(old)
            self._dirty.discard(old)
            self._dirty.add(new)
        else:  # node_added, params_changed, edge_added/removed: both ends may change
            self._dirty.update(i for i in change.ids if i in self.doc.nodes)

    def refresh(self) -> ShapeReport:
        """Bring results up to date; cheap when nothing changed."""
        if self._report is not None and not self._dirty:
            return self._report
        doc = self.doc
        if self._order is None or self._wiring is None:
            self._order, self._wiring = topological_order(doc), _Wiring.of(doc)
            self._dirty |= self._cyclic & doc.nodes.keys()  # a cycle may have been broken
        order, wiring, infos = self._order, self._wiring, self._infos
        changed: set[str] = set()
        for node_id in order:
            if node_id in self._dirty or any(e.source in changed for e in wiring.in_edges[node_id]):
                old = infos.get(node_id)
                infos[node_id] = new = _node_info(doc, node_id, wiring, infos)
                if old is None or old.outputs != new.outputs:
                    changed.add(node_id)
        self._cyclic = doc.nodes.keys() - set(order)  # only a hand-edited document can have one
        for node_id in self._cyclic:
            infos[node_id] = NodeInfo("error", problems=[
                Problem(node_id, "error", f"{doc.nodes[node_id].type} '{node_id}': is part of a cycle")])
        self._dirty.clear()
        outputs = output_nodes(doc)
        inputs = [n for n, node in doc.nodes.items() if node.type == "Input" and infos[n].used]
        problems = _graph_problems(doc, wiring, order, outputs, inputs)
        for node_id in doc.nodes:
            problems.extend(infos[node_id].problems)
        self._report = ShapeReport(dict(infos), problems, list(order), outputs, inputs)
        return self._report

    @property
    def report(self) -> ShapeReport:
        return self.refresh()


def infer_shapes(doc: GraphDocument) -> ShapeReport:
    """Shapes, parameter counts and problems of every node of ``doc``."""
    inference = ShapeInference(doc)
    try:
        return inference.refresh()
    finally:
        inference.close()
