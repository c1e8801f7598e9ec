"""The graph document: the single source of truth for a network.

Views never hold state of their own: they subscribe with :meth:`GraphDocument.
subscribe` and redraw from the document by node id when a :class:`Change`
arrives. Every mutation goes through a method here, validates first and changes
nothing on refusal, so an undo command can always call the inverse mutation.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import EditError, ParamError
from .layers import get_spec

if TYPE_CHECKING:
    import networkx as nx

FORMAT = "netbuilder.graph"
VERSION = 1


@dataclass
class Node:
    """One layer instance. ``params`` holds only validated, JSON-plain values."""

    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    pos: tuple[float, float] = (0.0, 0.0)

    def to_dict(self) -> dict:
        """File form: only parameters that differ from the default (small diffs),
        in the layer's normal form (a value set alone by :meth:`GraphDocument.set_param`
        may not be in it yet)."""
        spec = get_spec(self.type)
        params = {
            k: v for k, v in spec.normalize(self.params).items()
            if spec.param(k) is None or spec.param(k).required or spec.param(k).key
            or v != spec.param(k).default
        }
        return {
            "id": self.id,
            "type": self.type,
            "params": dict(sorted(params.items())),
            "pos": [_round(self.pos[0]), _round(self.pos[1])],
        }


@dataclass(frozen=True, order=True)
class Edge:
    """A wire from an output port of ``source`` to an input port of ``target``."""

    source: str
    target: str
    source_port: int = 0
    target_port: int = 0

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"source": self.source, "target": self.target}
        if self.source_port:
            out["source_port"] = self.source_port
        if self.target_port:
            out["target_port"] = self.target_port
        return out


@dataclass(frozen=True)
class Change:
    """What changed, so a view can update just that.

    ``kind`` is one of ``node_added``, ``node_removed``, ``edge_added``,
    ``edge_removed``, ``params_changed``, ``moved``, ``renamed`` (``ids`` is
    ``(old, new)``), ``meta_changed`` and ``reset`` (everything changed).
    """

    kind: str
    ids: tuple[str, ...] = ()
    edge: Edge | None = None


def _round(value: float) -> float | int:
    value = round(float(value), 1)
    return int(value) if value.is_integer() else value


_ID_CHARS = re.compile(r"[^0-9A-Za-z_]+")


def sanitize_id(text: str) -> str:
    """A readable id made from ``text``: letters, digits and underscores."""
    base = _ID_CHARS.sub("_", text.strip()).strip("_").lower() or "node"
    return "n_" + base if base[0].isdigit() else base


class GraphDocument:
    """Nodes, edges and the optional ``training`` and ``meta`` objects."""

    def __init__(self, name: str = "untitled"):
        self.name = name
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.training: dict[str, Any] = {}
        self.meta: dict[str, Any] = {}
        self._listeners: list[Callable[[Change], None]] = []

    # -- observation --------------------------------------------------------
    def subscribe(self, listener: Callable[[Change], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Change], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, kind: str, ids: Iterable[str] = (), edge: Edge | None = None) -> None:
        change = Change(kind, tuple(ids), edge)
        for listener in list(self._listeners):
            listener(change)

    # -- queries ------------------------------------------------------------
    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise EditError(f"no node with id {node_id!r}") from None

    def in_edges(self, node_id: str) -> list[Edge]:
        return sorted((e for e in self.edges if e.target == node_id), key=lambda e: e.target_port)

    def out_edges(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.source == node_id]

    def to_networkx(self) -> nx.MultiDiGraph:
        """A networkx view (nodes in document order) for ordering and layout."""
        import networkx as nx  # about a second to import: only when asked for

        graph = nx.MultiDiGraph()
        graph.add_nodes_from(self.nodes)
        graph.add_edges_from((e.source, e.target) for e in self.edges)
        return graph

    def unique_id(self, base: str) -> str:
        """``base`` itself if free, else ``base_2``, ``base_3``…"""
        base = sanitize_id(base)
        if base not in self.nodes:
            return base
        stem = re.sub(r"_\d+$", "", base) or base
        n = 2
        while f"{stem}_{n}" in self.nodes:
            n += 1
        return f"{stem}_{n}"

    def default_id(self, layer_type: str) -> str:
        """A fresh id for a new node of ``layer_type`` (``conv2d_1``, ``relu_2``)."""
        stem = sanitize_id(layer_type)
        if layer_type == "Input":
            return self.unique_id("input")
        n = 1
        while f"{stem}_{n}" in self.nodes:
            n += 1
        return f"{stem}_{n}"

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
        if node_id is None:
            node_id = self.default_id(layer_type)
        elif not isinstance(node_id, str) or not node_id.strip():
            raise EditError("a node id must be a non-empty string")
        elif node_id in self.nodes:
            raise EditError(f"a node with id {node_id!r} already exists")
        clean = spec.validate_params(params or {})
        self.nodes[node_id] = Node(node_id, layer_type, clean, (float(pos[0]), float(pos[1])))
        self._emit("node_added", [node_id])
        return node_id

    def remove_node(self, node_id: str) -> tuple[Node, list[Edge]]:
        """Remove a node and its edges; returns both so an undo can restore them."""
        node = self.node(node_id)
        edges = [e for e in self.edges if node_id in (e.source, e.target)]
        for edge in edges:
            self.disconnect(edge)
        del self.nodes[node_id]
        self._emit("node_removed", [node_id])
        return node, edges

    def restore_node(self, node: Node, index: int | None = None) -> None:
        """Put back a node returned by :meth:`remove_node` at its old place
        in the document order (used by undo, so files come back identical)."""
        if node.id in self.nodes:
            raise EditError(f"a node with id {node.id!r} already exists")
        items = list(self.nodes.items())
        index = len(items) if index is None else index
        items.insert(index, (node.id, copy.deepcopy(node)))
        self.nodes = dict(items)
        self._emit("node_added", [node.id])

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
        self._emit("params_changed", [node_id])
        return old

    def move_node(self, node_id: str, pos: tuple[float, float]) -> None:
        self.node(node_id).pos = (float(pos[0]), float(pos[1]))
        self._emit("moved", [node_id])

    def rename_node(self, old: str, new: str) -> None:
        """Change a node's id, carrying its edges along."""
        node = self.node(old)
        new = new.strip() if isinstance(new, str) else new
        if not new or not isinstance(new, str):
            raise EditError("a node id must be a non-empty string")
        if new == old:
            return
        if new in self.nodes:
            raise EditError(f"a node with id {new!r} already exists")
        self.nodes = {(new if k == old else k): v for k, v in self.nodes.items()}
        node.id = new
        self.edges = [
            Edge(
                new if e.source == old else e.source,
                new if e.target == old else e.target,
                e.source_port,
                e.target_port,
            )
            for e in self.edges
        ]
        self._emit("renamed", [old, new])

    # -- edge mutations -----------------------------------------------------
    def check_edge(self, edge: Edge) -> None:
        """Raise :class:`EditError` saying why ``edge`` cannot be added."""
        src, dst = self.node(edge.source), self.node(edge.target)
        if edge.source == edge.target:
            raise EditError("a node cannot be connected to itself")
        n_out = len(get_spec(src.type).outputs)
        if not 0 <= edge.source_port < n_out:
            raise EditError(f"{src.type} '{src.id}' has no output port {edge.source_port}")
        max_in = get_spec(dst.type).max_inputs
        if edge.target_port < 0 or (max_in is not None and edge.target_port >= max_in):
            raise EditError(f"{dst.type} '{dst.id}' has no input port {edge.target_port}")
        if self._reaches(edge.target, edge.source):
            raise EditError(
                f"connecting '{edge.source}' to '{edge.target}' would make a cycle"
            )

    def _reaches(self, start: str, goal: str) -> bool:
        children: dict[str, list[str]] = {}
        for e in self.edges:
            children.setdefault(e.source, []).append(e.target)
        seen, stack = {start}, [start]
        while stack:
            current = stack.pop()
            if current == goal:
                return True
            for child in children.get(current, ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return False

    def connect(self, edge: Edge, index: int | None = None) -> Edge | None:
        """Add ``edge`` (at ``index`` in the edge list, default last); an edge
        already on that input port is replaced and returned."""
        self.check_edge(edge)
        if edge in self.edges:
            return None
        replaced = next(
            (e for e in self.edges if e.target == edge.target and e.target_port == edge.target_port),
            None,
        )
        if replaced is not None:
            self.disconnect(replaced)
        self.edges.insert(len(self.edges) if index is None else index, edge)
        self._emit("edge_added", [edge.source, edge.target], edge)
        return replaced

    def disconnect(self, edge: Edge) -> None:
        if edge not in self.edges:
            raise EditError(f"no edge from '{edge.source}' to '{edge.target}'")
        self.edges.remove(edge)
        self._emit("edge_removed", [edge.source, edge.target], edge)

    # -- whole-document operations ------------------------------------------
    def set_meta(self, key: str, value: Any) -> None:
        self.meta[key] = value
        self._emit("meta_changed")

    def set_training(self, training: dict[str, Any]) -> None:
        self.training = copy.deepcopy(training)
        self._emit("meta_changed")

    def to_dict(self) -> dict:
        """The file form: stable key and edge order so diffs stay small."""
        out: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "nodes": [n.to_dict() for n in self.nodes.values()],
            "edges": [e.to_dict() for e in self.edges],
        }
        if self.training:
            out["training"] = copy.deepcopy(self.training)
        if self.meta:
            out["meta"] = copy.deepcopy(self.meta)
        return out

    def replace_with(self, other: GraphDocument) -> None:
        """Take over another document's content (open, revert, big undo)."""
        self.name = other.name
        self.nodes = copy.deepcopy(other.nodes)
        self.edges = list(other.edges)
        self.training = copy.deepcopy(other.training)
        self.meta = copy.deepcopy(other.meta)
        self._emit("reset")

    def copy(self) -> GraphDocument:
        twin = GraphDocument(self.name)
        twin.nodes = copy.deepcopy(self.nodes)
        twin.edges = list(self.edges)
        twin.training = copy.deepcopy(self.training)
        twin.meta = copy.deepcopy(self.meta)
        return twin

    def idle_params(self, node_id: str) -> set[str]:
        """Parameters of ``node_id`` that change nothing as it is wired: those
        of an output port that feeds nothing while another port does (an LSTM's
        ``output`` choice when only its state is used).

        The model and its code are the same whatever their values, so code
        cannot carry them back; documents that differ only there are equal.
        """
        ported = [p for p in get_spec(self.nodes[node_id].type).params if p.port is not None]
        fed = {e.source_port for e in self.edges if e.source == node_id} if ported else set()
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
        from .fileformat import edge_from_dict, node_from_dict  # avoids a cycle

        taken = set(self.nodes)
        renames: dict[str, str] = {}
        nodes: list[Node] = []
        for i, raw in enumerate(fragment.get("nodes", [])):
            node = node_from_dict(raw, f"nodes[{i}]")
            new_id = _fresh(node.id, taken)
            taken.add(new_id)
            renames[node.id] = new_id
            nodes.append(
                Node(new_id, node.type, node.params, (node.pos[0] + offset[0], node.pos[1] + offset[1]))
            )
        edges = []
        for i, raw in enumerate(fragment.get("edges", [])):
            e = edge_from_dict(raw, f"edges[{i}]")
            if e.source in renames and e.target in renames:
                edges.append(Edge(renames[e.source], renames[e.target], e.source_port, e.target_port))
        return nodes, edges


def _fresh(node_id: str, taken: set[str]) -> str:
    if node_id not in taken:
        return node_id
    stem = re.sub(r"_\d+$", "", node_id) or node_id
    n = 2
    while f"{stem}_{n}" in taken:
        n += 1
    return f"{stem}_{n}"
