"""The graph document: the single source of truth for a network.

Views never hold state of their own: they subscribe with :meth:`GraphDocument.
subscribe` and redraw from the document by node id when a :class:`Change`
arrives. Every mutation goes through a method here, validates first and changes
nothing on refusal, so an undo command can always call the inverse mutation.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .blockparams import REPEAT, declaration, reference
from .errors import EditError, GraphError, ParamError
from .library import BlockScope, snake_case
from .records import STRUCTURAL, Change, ChangeKind, Edge, Node, check_node_id, fresh_id, sanitize_id
from .search_space import renamed_targets, space_problems, targets_of_node

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["FORMAT", "VERSION", "Change", "ChangeKind", "Edge", "GraphDocument", "Node", "STRUCTURAL",
           "sanitize_id"]

FORMAT = "netbuilder.graph"
VERSION = 2
WEIGHTS_IDS = "weights_ids"  # in meta: {current id: id when the weights were made}


def _key(edge: Edge) -> tuple[int, int]:
    """An edge's key in :attr:`GraphDocument.graph`: two wires between the same
    nodes differ by their ports."""
    return edge.source_port, edge.target_port


DEFAULT_NAME = "untitled"  # a graph nobody named; it takes its file's name when first saved


class GraphDocument(BlockScope):
    """Nodes, edges, block definitions and the optional ``training`` and ``meta`` objects.

    Node types resolve through :meth:`spec_for` (a layer type or a block of
    :attr:`blocks`); see :mod:`netbuilder.core.library` for the block side.

    ``edges`` keeps the file's order (stable diffs); a networkx graph of the
    same wiring (:attr:`graph`) answers lookups by node, ordering and cycle
    checks, so no query scans every edge.
    """

    def __init__(self, name: str = DEFAULT_NAME):
        self.name = name
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.training: dict[str, Any] = {}
        self.search: dict[str, Any] = {}  # what a study may vary (netbuilder.core.search_space)
        self.meta: dict[str, Any] = {}
        self._graph: nx.MultiDiGraph | None = None  # the connectivity graph, once built
        self._indexed = (0, 0)  # len(nodes), len(edges) the graph was kept in step with
        self._listeners: list[Callable[[Change], None]] = []
        self._init_blocks()

    # -- observation --------------------------------------------------------
    def subscribe(self, listener: Callable[[Change], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Change], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, kind: ChangeKind, ids: Iterable[str] = (), edge: Edge | None = None) -> None:
        change = Change(kind, tuple(ids), edge)
        self._notify(change)
        if self.library is not self:  # an edit inside a block definition: every instance changes
            self.library._definition_changed(self.name, change)

    def _notify(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    # -- the connectivity graph ---------------------------------------------
    @property
    def graph(self) -> nx.MultiDiGraph:
        """The document's connectivity as a networkx graph: one node per layer,
        one edge per wire (keyed by its ports, data ``edge`` the :class:`Edge`).

        Ordering, cycle checks and layout all read it. Built on first use
        (3 ms for 1,000 nodes), then kept in step by every mutation; rebuilt if
        ``nodes`` or ``edges`` were changed behind the document's back (their
        sizes no longer match), so a hand-edited document is still seen as it is.
        """
        if self._graph is None or self._indexed != (len(self.nodes), len(self.edges)):
            import networkx as nx  # here: the window paints before the core loads it

            graph = nx.MultiDiGraph()
            graph.add_nodes_from(self.nodes)
            graph.add_edges_from((e.source, e.target, _key(e), {"edge": e}) for e in self.edges)
            self._graph = graph
            self._indexed = (len(self.nodes), len(self.edges))
        return self._graph

    def _kept_in_step(self) -> None:
        """Record that a mutation updated the graph along with ``nodes`` and ``edges``."""
        self._indexed = (len(self.nodes), len(self.edges))

    def _forget_wiring(self) -> None:
        self._graph = None

    # -- queries ------------------------------------------------------------
    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise EditError(f"no node with id {node_id!r}") from None

    def in_edges(self, node_id: str) -> list[Edge]:
        """Edges into ``node_id``, by input port."""
        return sorted(self._edges_at(node_id, incoming=True), key=lambda e: e.target_port)

    def out_edges(self, node_id: str) -> list[Edge]:
        return self._edges_at(node_id, incoming=False)

    def _edges_at(self, node_id: str, incoming: bool) -> list[Edge]:
        graph = self.graph
        if node_id not in graph:
            return []
        edges = graph.in_edges(node_id, data="edge") if incoming else graph.out_edges(node_id, data="edge")
        return [edge for _, _, edge in edges]

    def in_degree(self, node_id: str) -> int:
        return self.graph.in_degree(node_id) if node_id in self.graph else 0

    def out_degree(self, node_id: str) -> int:
        return self.graph.out_degree(node_id) if node_id in self.graph else 0

    def predecessors(self, node_id: str) -> list[str]:
        """The nodes feeding ``node_id`` (one per edge, in no particular order)."""
        return [e.source for e in self._edges_at(node_id, incoming=True)]

    def feeder(self, node_id: str, port: int) -> Edge | None:
        """The edge into input ``port`` of ``node_id``, if one is connected."""
        return next((e for e in self._edges_at(node_id, incoming=True) if e.target_port == port), None)

    def topological_order(self) -> list[str]:
        """Layers in dependency order, ties broken by document order (stable
        code: networkx's lexicographical sort with the position as key).

        Nodes on a cycle, and those after one, are missing from the result (so
        is a wire's end that is no node, in a hand-edited document).
        """
        import networkx as nx

        graph = self.graph
        position = {n: i for i, n in enumerate(self.nodes)}
        if not nx.is_directed_acyclic_graph(graph):
            blocked = set()
            for component in nx.strongly_connected_components(graph):
                if len(component) > 1:
                    blocked |= component
            for node in list(blocked):
                blocked |= nx.descendants(graph, node)
            graph = graph.subgraph(n for n in graph if n not in blocked)
        order = nx.lexicographical_topological_sort(graph, key=lambda n: position.get(n, len(position)))
        return [n for n in order if n in position]

    def has_edge(self, edge: Edge) -> bool:
        return edge in self._edges_at(edge.source, incoming=False)

    def unique_id(self, base: str) -> str:
        """``base`` itself if free, else ``base_2``, ``base_3``…"""
        return fresh_id(sanitize_id(base), self.nodes)

    def default_id(self, layer_type: str) -> str:
        """A fresh id for a new node of ``layer_type`` (``conv2d_1``, ``relu_2``)."""
        stem = snake_case(layer_type) if self.is_block(layer_type) else sanitize_id(layer_type)
        if self.spec_for(layer_type).is_input:
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
        node_id = self.default_id(layer_type) if node_id is None else self.check_new_id(node_id)
        clean = self.validate_node_params(layer_type, params or {}, node_id=node_id)
        self.restore_node(Node(node_id, layer_type, clean, (float(pos[0]), float(pos[1]))))
        return node_id

    def remove_node(self, node_id: str) -> tuple[Node, list[Edge]]:
        """Remove a node and its edges; returns both so an undo can restore them."""
        node = self.node(node_id)
        edges = [e for e in self.edges if node_id in (e.source, e.target)]
        for edge in edges:
            self.disconnect(edge)
        del self.nodes[node_id]
        if self._graph is not None:
            self._graph.remove_node(node_id)
            self._kept_in_step()
        self._emit(ChangeKind.NODE_REMOVED, [node_id])
        return node, edges

    def restore_node(self, node: Node, index: int | None = None) -> None:
        """Put a node (one returned by :meth:`remove_node`) at ``index`` in the
        document order, default last (used by undo, so files come back identical)."""
        self.check_new_id(node.id)
        self.check_instance(node.type)
        node = copy.deepcopy(node)
        if index is None or index >= len(self.nodes):
            self.nodes[node.id] = node
        else:
            items = list(self.nodes.items())
            items.insert(index, (node.id, node))
            self.nodes = dict(items)
        if self._graph is not None:
            self._graph.add_node(node.id)
            self._kept_in_step()
        self._emit(ChangeKind.NODE_ADDED, [node.id])

    def node_index(self, node_id: str) -> int:
        return list(self.nodes).index(node_id)

    def set_param(self, node_id: str, name: str, value: Any) -> Any:
        """Set one parameter; returns the previous value (``None`` if unset)."""
        node = self.node(node_id)
        spec = self.spec_for(node.type).param(name)
        if spec is None:
            raise ParamError(name, f"{node.type} has no parameter {name!r}")
        if reference(value) is None:
            clean = spec.validate(value)
        else:  # "$name" in a block definition: checked against its declared parameters
            clean = self.validate_node_params(node.type, {**node.params, name: value}, "params",
                                              node_id=node_id)[name]
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
        - ``training.freeze``, the ids of frozen nodes (``Block/node`` in the library's, for a
          node of a definition);
        - ``training.gan``'s roles, the Output nodes naming the generator and the
          discriminator (a role that is its default name is not written);
        - ``search`` targets (``conv1.out_channels``; ``Block/conv1.out_channels`` in the
          top document when ``self`` is a block definition), see :mod:`.search_space`;
        - ``meta.weights_ids``: the id each renamed node had when its weights
          were made (a weights file's ``state_dict`` keys come from those ids),
          so that :func:`netbuilder.interop.weights.remap_to_current` can
          still match weights to nodes. It is saved only beside ``meta.weights``.
        """
        self.edges = [e.renamed(old, new) for e in self.edges]
        freeze = self.training.get("freeze")
        if isinstance(freeze, list):
            self.training["freeze"] = [new if i == old else i for i in freeze]
        self._rename_gan_roles(old, new)
        if self.is_definition:
            self.library.rename_frozen(f"{self.name}/{old}", f"{self.name}/{new}")
        self.search = renamed_targets(self.search, old, new)
        if self.library is not self:
            self.library.search = renamed_targets(self.library.search, old, new, block=self.name)
        saved_ids = dict(self.meta.get(WEIGHTS_IDS) or {})
        saved = saved_ids.pop(old, old)
        if saved != new:
            saved_ids[new] = saved
        if saved_ids:
            self.meta[WEIGHTS_IDS] = dict(sorted(saved_ids.items()))
        else:
            self.meta.pop(WEIGHTS_IDS, None)

    def _rename_gan_roles(self, old: str, new: str) -> None:
        if self.training.get("recipe") != "gan":
            return
        gan = dict(self.training.get("gan") or {})
        for role in ("generator", "discriminator"):
            if gan.get(role, role) == old:
                gan[role] = new
            if gan.get(role) == role:
                del gan[role]
        if gan:
            self.training["gan"] = gan
        else:
            self.training.pop("gan", None)

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
        n_out = len(self.spec_for(src.type).output_names(src.params))
        if not 0 <= edge.source_port < n_out:
            raise EditError(f"{src.type} '{src.id}' has no output port {edge.source_port}")
        max_in = self.spec_for(dst.type).max_inputs
        if edge.target_port < 0 or (max_in is not None and edge.target_port >= max_in):
            raise EditError(f"{dst.type} '{dst.id}' has no input port {edge.target_port}")

    def reaches(self, start: str, goal: str) -> bool:
        """Whether a path of wires leads from ``start`` to ``goal``."""
        import networkx as nx

        graph = self.graph
        return start in graph and goal in graph and nx.has_path(graph, start, goal)

    def connect(self, edge: Edge, index: int | None = None) -> Edge | None:
        """Add ``edge`` (at ``index`` in the edge list, default last); an edge
        already on that input port is replaced and returned."""
        self.check_edge(edge)
        if self.has_edge(edge):
            return None
        replaced = self.feeder(edge.target, edge.target_port)
        if replaced is not None:
            self.disconnect(replaced)
        graph = self.graph
        self.edges.insert(len(self.edges) if index is None else index, edge)
        graph.add_edge(edge.source, edge.target, _key(edge), edge=edge)
        self._kept_in_step()
        self._emit(ChangeKind.EDGE_ADDED, [edge.source, edge.target], edge)
        return replaced

    def disconnect(self, edge: Edge) -> None:
        if not self.has_edge(edge):
            raise EditError(f"no edge from '{edge.source}' to '{edge.target}'")
        self.graph.remove_edge(edge.source, edge.target, _key(edge))
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
            "nodes": self._node_dicts(self.nodes.values()),
            "edges": [e.to_dict() for e in self.edges],
        }
        if self.blocks:
            out["blocks"] = {name: definition.definition_dict() for name, definition in self.blocks.items()}
        if self.search:
            out["search"] = copy.deepcopy(self.search)
        if self.training:
            out["training"] = copy.deepcopy(self.training)
        meta = {k: v for k, v in self.meta.items() if k != WEIGHTS_IDS or "weights" in self.meta}
        if meta:
            out["meta"] = copy.deepcopy(meta)
        return out

    def _node_dicts(self, nodes: Iterable[Node]) -> list[dict]:
        out = []
        for node in nodes:
            spec = self.spec_for(node.type)
            form = node.to_dict(spec)
            if self.is_block(node.type) and spec.param(REPEAT) is None and form["params"].get(REPEAT) == 1:
                del form["params"][REPEAT]  # the block stopped being a chain (one input, one output)
            out.append(form)
        return out

    def definition_dict(self) -> dict:
        """The file form of this document as a block definition (an entry of ``blocks``)."""
        out: dict[str, Any] = {}
        if self.doc:
            out["doc"] = self.doc
        if self.parameters:
            out["parameters"] = {name: declaration(p) for name, p in self.parameters.items()}
        out["nodes"] = self._node_dicts(self.nodes.values())
        out["edges"] = [e.to_dict() for e in self.edges]
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
        twin.parameters = dict(self.parameters)
        twin.doc = self.doc
        twin.blocks = {}
        for name, definition in self.blocks.items():
            inner = definition.copy()
            inner.library = twin
            twin.blocks[name] = inner
        twin._specs.clear()
        twin.block_cache.clear()
        twin._forget_wiring()

    def idle_params(self, node_id: str) -> set[str]:
        """Parameters of ``node_id`` that change nothing as it is wired: those
        of an output port that feeds nothing while another port does (an LSTM's
        ``output`` choice when only its state is used).

        The model and its code are the same whatever their values, so code
        cannot carry them back; documents that differ only there are equal.
        """
        ported = [p for p in self.spec_for(self.nodes[node_id].type).params if p.port is not None]
        fed = {e.source_port for e in self.out_edges(node_id)} if ported else set()
        return {p.name for p in ported if fed and p.port not in fed}

    def __eq__(self, other: object) -> bool:
        """Same file form, up to :meth:`idle_params`."""
        return isinstance(other, GraphDocument) and self._compared() == other._compared()

    def _compared(self) -> dict:
        data = self.to_dict()
        for document, form in [(self, data), *((d, data["blocks"][n]) for n, d in self.blocks.items())]:
            for node in form["nodes"]:
                for name in document.idle_params(node["id"]):
                    node["params"].pop(name, None)
        return data

    __hash__ = None  # type: ignore[assignment]

    # -- fragments (copy/paste) ---------------------------------------------
    def fragment(self, node_ids: Iterable[str]) -> dict:
        """Plain data for the given nodes and the edges among them (clipboard)."""
        ids = [i for i in self.nodes if i in set(node_ids)]
        chosen = set(ids)
        out = {
            "format": FORMAT + ".fragment",
            "version": VERSION,
            "nodes": self._node_dicts(self.nodes[i] for i in ids),
            "edges": [e.to_dict() for e in self.edges if e.source in chosen and e.target in chosen],
        }
        used = {self.nodes[i].type for i in ids if self.is_block(self.nodes[i].type)}
        for name in list(used):
            used |= self.blocks_used_by(name)
        if used:  # a paste into another document brings them (netbuilder.core.blocks.plan_fragment_blocks)
            out["blocks"] = {n: d.definition_dict() for n, d in self.library.blocks.items() if n in used}
        return out

    def plan_paste(self, fragment: dict, offset: tuple[float, float] = (40, 40)) -> tuple[list[Node], list[Edge]]:
        """Nodes and edges a paste of ``fragment`` would add: fresh ids, offset.

        Nothing is changed: the caller (an undo command) adds them, so undo and
        redo re-create exactly the same ids.
        """
        taken = set(self.nodes)
        renames: dict[str, str] = {}
        nodes: list[Node] = []
        for i, raw in enumerate(fragment.get("nodes", [])):
            node = Node.from_dict(raw, f"nodes[{i}]", self)
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
