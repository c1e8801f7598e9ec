"""The graph document: the single source of truth for a network.

Views never hold state of their own: they subscribe with :meth:`GraphDocument.
subscribe` and redraw from the document by node id when a :class:`Change`
arrives. Every mutation goes through a method here, validates first and changes
nothing on refusal, so an undo command can always call the inverse mutation.
"""

from __future__ import annotations

import copy
import heapq
from collections.abc import Callable, Iterable
from typing import Any

from .errors import EditError, GraphError, ParamError
from .layers import get_spec
from .records import STRUCTURAL, Change, ChangeKind, Edge, Node, check_node_id, fresh_id, sanitize_id
from .search_space import renamed_targets, space_problems, targets_of_node

__all__ = ["FORMAT", "VERSION", "Change", "ChangeKind", "Edge", "GraphDocument", "Node", "STRUCTURAL",
           "sanitize_id"]

FORMAT = "netbuilder.graph"
VERSION = 1
WEIGHTS_IDS = "weights_ids"  # in meta: {current id: id when the weights were made}


DEFAULT_NAME = "untitled"  # a graph nobody named; it takes its file's name when first saved


class GraphDocument:
    """Nodes, edges and the optional ``training`` and ``meta`` objects.

    ``edges`` keeps the file's order (stable diffs); an index of the edges
    into and out of each node (:meth:`_wiring`) answers lookups by node and
    cycle checks, so no query scans every edge.
    """

    def __init__(self, name: str = DEFAULT_NAME):
        self.name = name
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.training: dict[str, Any] = {}
        self.search: dict[str, Any] = {}  # what a study may vary (netbuilder.core.search_space)
        self.meta: dict[str, Any] = {}
        self._ins: dict[str, list[Edge]] | None = None  # node id -> edges into it, once indexed
        self._outs: dict[str, list[Edge]] = {}  # node id -> edges out of it
        self._indexed = (0, 0)  # len(nodes), len(edges) the index was kept in step with
        self._listeners: list[Callable[[Change], None]] = []

    # -- observation --------------------------------------------------------
    def subscribe(self, listener: Callable[[Change], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Change], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, kind: ChangeKind, ids: Iterable[str] = (), edge: Edge | None = None) -> None:
        change = Change(kind, tuple(ids), edge)
        for listener in list(self._listeners):
            listener(change)

    # -- the wiring index ---------------------------------------------------
    def _wiring(self) -> tuple[dict[str, list[Edge]], dict[str, list[Edge]]]:
        """The edges into and out of every node.

        Built on first use, then kept in step by every mutation; rebuilt if
        ``nodes`` or ``edges`` were changed behind the document's back (their
        sizes no longer match), so a hand-edited document is still seen as it
        is. Plain dicts of lists: a networkx graph cost a tenth of a second to
        build for 1,000 nodes, and networkx itself a fifth to import.
        """
        if self._ins is None or self._indexed != (len(self.nodes), len(self.edges)):
            ins: dict[str, list[Edge]] = {n: [] for n in self.nodes}
            outs: dict[str, list[Edge]] = {n: [] for n in self.nodes}
            for e in self.edges:
                ins.setdefault(e.target, []).append(e)
                outs.setdefault(e.source, []).append(e)
            self._ins, self._outs = ins, outs
            self._indexed = (len(self.nodes), len(self.edges))
        return self._ins, self._outs

    def _kept_in_step(self) -> None:
        """Record that a mutation updated the index along with ``nodes`` and ``edges``."""
        self._indexed = (len(self.nodes), len(self.edges))

    def _forget_wiring(self) -> None:
        self._ins = None

    # -- queries ------------------------------------------------------------
    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise EditError(f"no node with id {node_id!r}") from None

    def in_edges(self, node_id: str) -> list[Edge]:
        """Edges into ``node_id``, by input port."""
        return sorted(self._wiring()[0].get(node_id, ()), key=lambda e: e.target_port)

    def out_edges(self, node_id: str) -> list[Edge]:
        return list(self._wiring()[1].get(node_id, ()))

    def in_degree(self, node_id: str) -> int:
        return len(self._wiring()[0].get(node_id, ()))

    def out_degree(self, node_id: str) -> int:
        return len(self._wiring()[1].get(node_id, ()))

    def predecessors(self, node_id: str) -> list[str]:
        """The nodes feeding ``node_id`` (one per edge, in no particular order)."""
        return [e.source for e in self._wiring()[0].get(node_id, ())]

    def feeder(self, node_id: str, port: int) -> Edge | None:
        """The edge into input ``port`` of ``node_id``, if one is connected."""
        return next((e for e in self.in_edges(node_id) if e.target_port == port), None)

    def topological_order(self) -> list[str]:
        """Kahn's algorithm over the wiring, ties broken by document order
        (stable code; networkx's own sort does not promise an order).

        Nodes on a cycle are missing from the result (so is a wire's end that
        is no node, in a hand-edited document).
        """
        ins, outs = self._wiring()
        position = {n: i for i, n in enumerate(self.nodes)}
        indegree = {n: len(ins[n]) for n in self.nodes}
        ready = [(position[n], n) for n, degree in indegree.items() if degree == 0]  # sorted, so a heap
        order = []
        while ready:
            _, current = heapq.heappop(ready)
            order.append(current)
            for edge in outs[current]:
                child = edge.target
                if child in indegree:
                    indegree[child] -= 1
                    if indegree[child] == 0:
                        heapq.heappush(ready, (position[child], child))
        return order

    def has_edge(self, edge: Edge) -> bool:
        return edge in self._wiring()[1].get(edge.source, ())

    def unique_id(self, base: str) -> str:
        """``base`` itself if free, else ``base_2``, ``base_3``…"""
        return fresh_id(sanitize_id(base), self.nodes)

    def default_id(self, layer_type: str) -> str:
        """A fresh id for a new node of ``layer_type`` (``conv2d_1``, ``relu_2``)."""
        stem = sanitize_id(layer_type)
        if get_spec(layer_type).is_input:
            return self.unique_id("input")
        n = 1
        while f"{stem}_{n}" in self.nodes:
            n += 1
        return f"{stem}_{n}"

    def check_new_id(self, node_id: str) -> str:
        """``node_id`` if a new node may take it, else :class:`EditError` saying why."""
        check_node_id(node_id)
        if node_id in self.nodes:
            raise EditError(f"a node with id {node_id!r} already exists")
        return node_id

    # -- node mutations -----------------------------------------------------
    def add_node(
        self,
        layer_type: str,
        params: dict[str, Any] | None = None,
        pos: tuple[float, float] = (0.0, 0.0),
        node_id: str | None = None,
    ) -> str:
        """Add a node; params not given take their defaults. Returns its id."""
        spec = get_spec(layer_type)
        node_id = self.default_id(layer_type) if node_id is None else self.check_new_id(node_id)
        clean = spec.validate_params(params or {})
        self.restore_node(Node(node_id, layer_type, clean, (float(pos[0]), float(pos[1]))))
        return node_id

    def remove_node(self, node_id: str) -> tuple[Node, list[Edge]]:
        """Remove a node and its edges; returns both so an undo can restore them."""
        node = self.node(node_id)
        edges = [e for e in self.edges if node_id in (e.source, e.target)]
        for edge in edges:
            self.disconnect(edge)
        del self.nodes[node_id]
        if self._ins is not None:
            self._ins.pop(node_id, None)
            self._outs.pop(node_id, None)
            self._kept_in_step()
        self._emit(ChangeKind.NODE_REMOVED, [node_id])
        return node, edges

    def restore_node(self, node: Node, index: int | None = None) -> None:
        """Put a node (one returned by :meth:`remove_node`) at ``index`` in the
        document order, default last (used by undo, so files come back identical)."""
        self.check_new_id(node.id)
        node = copy.deepcopy(node)
        if index is None or index >= len(self.nodes):
            self.nodes[node.id] = node
        else:
            items = list(self.nodes.items())
            items.insert(index, (node.id, node))
            self.nodes = dict(items)
        if self._ins is not None:
            self._ins.setdefault(node.id, [])
            self._outs.setdefault(node.id, [])
            self._kept_in_step()
        self._emit(ChangeKind.NODE_ADDED, [node.id])

    def node_index(self, node_id: str) -> int:
        return list(self.nodes).index(node_id)

    def set_param(self, node_id: str, name: str, value: Any) -> Any:
        """Set one parameter; returns the previous value (``None`` if unset)."""
        node = self.node(node_id)
        spec = get_spec(node.type).param(name)
        if spec is None:
            raise ParamError(name, f"{node.type} has no parameter {name!r}")
        clean = spec.validate(value)
        old = node.params.get(name)
        node.params[name] = clean
        self._emit(ChangeKind.PARAMS_CHANGED, [node_id])
        return old

    def move_node(self, node_id: str, pos: tuple[float, float]) -> None:
        self.node(node_id).pos = (float(pos[0]), float(pos[1]))
        self._emit(ChangeKind.MOVED, [node_id])

    def check_rename(self, old: str, new: str) -> str:
        """The id ``old`` would get (``new`` stripped), or :class:`EditError`."""
        self.node(old)
        new = new.strip() if isinstance(new, str) else new
        return new if new == old else self.check_new_id(new)

    def rename_node(self, old: str, new: str) -> None:
        """Change a node's id and every reference to it, in one step.

        An id is also the node's submodule name, so it is referred to from
        more than the edges: :meth:`_rewrite_references` lists every place.
        """
        new = self.check_rename(old, new)
        if new == old:
            return
        node = self.nodes[old]
        self.nodes = {(new if k == old else k): v for k, v in self.nodes.items()}
        node.id = new
        self._rewrite_references(old, new)
        self._forget_wiring()
        self._emit(ChangeKind.RENAMED, [old, new])

    def _rewrite_references(self, old: str, new: str) -> None:
        """Every place a document stores a node id, rewritten from ``old`` to ``new``.

        - edges;
        - ``training.freeze``, the ids of frozen nodes;
        - ``search`` targets (``conv1.out_channels``), see :mod:`.search_space`;
        - ``meta.weights_ids``: the id each renamed node had when its weights
          were made (a weights file's ``state_dict`` keys come from those ids),
          so that :func:`netbuilder.interop.weights.remap_to_current` can
          still match weights to nodes. It is saved only beside ``meta.weights``.
        """
        self.edges = [e.renamed(old, new) for e in self.edges]
        freeze = self.training.get("freeze")
        if isinstance(freeze, list):
            self.training["freeze"] = [new if i == old else i for i in freeze]
        self.search = renamed_targets(self.search, old, new)
        saved_ids = dict(self.meta.get(WEIGHTS_IDS) or {})
        saved = saved_ids.pop(old, old)
        if saved != new:
            saved_ids[new] = saved
        if saved_ids:
            self.meta[WEIGHTS_IDS] = dict(sorted(saved_ids.items()))
        else:
            self.meta.pop(WEIGHTS_IDS, None)

    # -- edge mutations -----------------------------------------------------
    def check_edge(self, edge: Edge) -> None:
        """Raise :class:`EditError` saying why ``edge`` cannot be added."""
        self.check_ports(edge)
        if self.reaches(edge.target, edge.source):
            raise EditError(
                f"connecting '{edge.source}' to '{edge.target}' would make a cycle"
            )

    def check_ports(self, edge: Edge) -> None:
        """What :meth:`check_edge` checks except cycles: both ends exist and have those ports."""
        src, dst = self.node(edge.source), self.node(edge.target)
        if edge.source == edge.target:
            raise EditError("a node cannot be connected to itself")
        n_out = len(get_spec(src.type).outputs)
        if not 0 <= edge.source_port < n_out:
            raise EditError(f"{src.type} '{src.id}' has no output port {edge.source_port}")
        max_in = get_spec(dst.type).max_inputs
        if edge.target_port < 0 or (max_in is not None and edge.target_port >= max_in):
            raise EditError(f"{dst.type} '{dst.id}' has no input port {edge.target_port}")

    def reaches(self, start: str, goal: str) -> bool:
        """Whether a path of wires leads from ``start`` to ``goal``."""
        outs = self._wiring()[1]
        seen, todo = {start}, [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            for e in outs.get(node, ()):
                if e.target not in seen:
                    seen.add(e.target)
                    todo.append(e.target)
        return False

    def connect(self, edge: Edge, index: int | None = None) -> Edge | None:
        """Add ``edge`` (at ``index`` in the edge list, default last); an edge
        already on that input port is replaced and returned."""
        self.check_edge(edge)
        if self.has_edge(edge):
            return None
        replaced = self.feeder(edge.target, edge.target_port)
        if replaced is not None:
            self.disconnect(replaced)
        ins, outs = self._wiring()
        self.edges.insert(len(self.edges) if index is None else index, edge)
        ins.setdefault(edge.target, []).append(edge)
        outs.setdefault(edge.source, []).append(edge)
        self._kept_in_step()
        self._emit(ChangeKind.EDGE_ADDED, [edge.source, edge.target], edge)
        return replaced

    def disconnect(self, edge: Edge) -> None:
        if not self.has_edge(edge):
            raise EditError(f"no edge from '{edge.source}' to '{edge.target}'")
        ins, outs = self._wiring()
        ins[edge.target].remove(edge)
        outs[edge.source].remove(edge)
        self.edges.remove(edge)
        self._kept_in_step()
        self._emit(ChangeKind.EDGE_REMOVED, [edge.source, edge.target], edge)

    # -- whole-document operations ------------------------------------------
    def set_meta(self, key: str, value: Any) -> None:
        self.meta[key] = value
        self._emit(ChangeKind.META_CHANGED)

    def set_training(self, training: dict[str, Any]) -> None:
        self.training = copy.deepcopy(training)
        self._emit(ChangeKind.META_CHANGED)

    def set_search(self, search: dict[str, Any]) -> None:
        """Replace the search section (one undoable change: the caller keeps the old one).
        Raises :class:`GraphError` listing every problem, changing nothing."""
        problems = space_problems(search, self)
        if problems:
            raise GraphError(problems)
        before = set(self._varying_nodes())
        self.search = copy.deepcopy(search)
        self._emit(ChangeKind.META_CHANGED, sorted(before | set(self._varying_nodes())))

    def _varying_nodes(self) -> list[str]:
        return [n for n in self.nodes if targets_of_node(self.search, n)]

    def to_dict(self) -> dict:
        """The file form: stable key and edge order so diffs stay small."""
        out: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "nodes": [n.to_dict() for n in self.nodes.values()],
            "edges": [e.to_dict() for e in self.edges],
        }
        if self.search:
            out["search"] = copy.deepcopy(self.search)
        if self.training:
            out["training"] = copy.deepcopy(self.training)
        meta = {k: v for k, v in self.meta.items() if k != WEIGHTS_IDS or "weights" in self.meta}
        if meta:
            out["meta"] = copy.deepcopy(meta)
        return out

    def replace_with(self, other: GraphDocument) -> None:
        """Take over another document's content (open, revert, big undo)."""
        other._copy_into(self)
        self._emit(ChangeKind.RESET)

    def copy(self) -> GraphDocument:
        twin = GraphDocument(self.name)
        self._copy_into(twin)
        return twin

    def _copy_into(self, twin: GraphDocument) -> None:
        twin.name = self.name
        twin.nodes = copy.deepcopy(self.nodes)
        twin.edges = list(self.edges)
        twin.training = copy.deepcopy(self.training)
        twin.search = copy.deepcopy(self.search)
        twin.meta = copy.deepcopy(self.meta)
        twin._forget_wiring()

    def idle_params(self, node_id: str) -> set[str]:
        """Parameters of ``node_id`` that change nothing as it is wired: those
        of an output port that feeds nothing while another port does (an LSTM's
        ``output`` choice when only its state is used).

        The model and its code are the same whatever their values, so code
        cannot carry them back; documents that differ only there are equal.
        """
        ported = [p for p in get_spec(self.nodes[node_id].type).params if p.port is not None]
        fed = {e.source_port for e in self.out_edges(node_id)} if ported else set()
        return {p.name for p in ported if fed and p.port not in fed}

    def __eq__(self, other: object) -> bool:
        """Same file form, up to :meth:`idle_params`."""
        return isinstance(other, GraphDocument) and self._compared() == other._compared()

    def _compared(self) -> dict:
        data = self.to_dict()
        for node in data["nodes"]:
            for name in self.idle_params(node["id"]):
                node["params"].pop(name, None)
        return data

    __hash__ = None  # type: ignore[assignment]

    # -- fragments (copy/paste) ---------------------------------------------
    def fragment(self, node_ids: Iterable[str]) -> dict:
        """Plain data for the given nodes and the edges among them (clipboard)."""
        ids = [i for i in self.nodes if i in set(node_ids)]
        chosen = set(ids)
        return {
            "format": FORMAT + ".fragment",
            "version": VERSION,
            "nodes": [self.nodes[i].to_dict() for i in ids],
            "edges": [e.to_dict() for e in self.edges if e.source in chosen and e.target in chosen],
        }

    def plan_paste(self, fragment: dict, offset: tuple[float, float] = (40, 40)) -> tuple[list[Node], list[Edge]]:
        """Nodes and edges a paste of ``fragment`` would add: fresh ids, offset.

        Nothing is changed: the caller (an undo command) adds them, so undo and
        redo re-create exactly the same ids.
        """
        taken = set(self.nodes)
        renames: dict[str, str] = {}
        nodes: list[Node] = []
        for i, raw in enumerate(fragment.get("nodes", [])):
            node = Node.from_dict(raw, f"nodes[{i}]")
            new_id = fresh_id(node.id, taken)
            taken.add(new_id)
            renames[node.id] = new_id
            nodes.append(
                Node(new_id, node.type, node.params, (node.pos[0] + offset[0], node.pos[1] + offset[1]))
            )
        edges = []
        for i, raw in enumerate(fragment.get("edges", [])):
            e = Edge.from_dict(raw, f"edges[{i}]")
            if e.source in renames and e.target in renames:
                edges.append(Edge(renames[e.source], renames[e.target], e.source_port, e.target_port))
        return nodes, edges
