"""The editor: a document, its undo stack and its live shape inference.

Views never change the document directly: they call the methods here, each of
which validates first (raising ``EditError``/``ParamError`` with a message for
the user) and then pushes one undo command. Views listen to
:attr:`Editor.documentChanged` for what to redraw and :attr:`Editor.
shapesChanged` for new shapes and problems.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from ..core import collector
from ..core.document import Change, Edge, GraphDocument, Node
from ..core.errors import ParamError
from ..core.layout import layered_positions
from ..core.report import ShapeReport
from . import commands


class Editor(QObject):
    documentChanged = Signal(object)  # core.document.Change
    shapesChanged = Signal(object)  # core.shapes.ShapeReport

    def __init__(self, doc: GraphDocument | None = None, parent: QObject | None = None, load_core: bool = True):
        super().__init__(parent)
        self.doc = doc or GraphDocument()
        self.undo_stack = QUndoStack(self)
        self.shapes = None  # core.shapes.ShapeInference, once PyTorch is loaded
        self.doc.subscribe(self._relay)
        self.undo_stack.indexChanged.connect(self._announce_shapes)
        if load_core:
            self.load_core()

    def load_core(self) -> None:
        """Load shape inference (and with it PyTorch, about a second) and announce the
        shapes. The app shows its window first and calls this after the first paint; until
        then :attr:`report` is a pending one. Anything that needs real shapes calls it first."""
        if self.shapes is None:
            from ..core.shapes import ShapeInference

            self.shapes = ShapeInference(self.doc)
            self._announce_shapes()

    @property
    def core_loaded(self) -> bool:
        return self.shapes is not None

    # -- plumbing -------------------------------------------------------------
    def _relay(self, change: Change) -> None:
        self.documentChanged.emit(change)

    def _announce_shapes(self, *_):
        self.shapesChanged.emit(self.report)

    @property
    def report(self) -> ShapeReport:
        return self.shapes.refresh() if self.shapes is not None else ShapeReport.pending(self.doc.nodes)

    def load(self, doc: GraphDocument) -> None:
        """Show another document (open, new, recover); clears undo history."""
        with collector.paused():  # every view builds its items for the new document now
            self.undo_stack.clear()
            self.doc.replace_with(doc)
            self.undo_stack.setClean()
            self._announce_shapes()

    def push(self, command) -> None:
        self.undo_stack.push(command)

    # -- edits ----------------------------------------------------------------
    def add_node(self, layer_type: str, pos: tuple[float, float], params: dict | None = None,
                 node_id: str | None = None) -> str:
        spec = self.doc.spec_for(layer_type)
        node_id = self.doc.check_new_id(node_id) if node_id else self.doc.default_id(layer_type)
        clean = spec.validate_params(params or {})
        self.push(commands.AddNodesCommand(self.doc, [Node(node_id, layer_type, clean, tuple(pos))],
                                           text=f"Add {layer_type}"))
        return node_id

    def add_connected_node(self, layer_type: str, pos: tuple[float, float], source: str, source_port: int = 0) -> str:
        """Add a node fed by ``source`` as one undo step (wire dropped on empty canvas)."""
        self.undo_stack.beginMacro(f"Add {layer_type}")
        try:
            node_id = self.add_node(layer_type, pos)
            self.connect_ports(source, source_port, node_id, 0)
        finally:
            self.undo_stack.endMacro()
        return node_id

    def remove_nodes(self, node_ids) -> None:
        ids = [n for n in node_ids if n in self.doc.nodes]
        if ids:
            what = ids[0] if len(ids) == 1 else f"{len(ids)} nodes"
            self.push(commands.RemoveNodesCommand(self.doc, ids, f"Delete {what}"))

    def connect_ports(self, source: str, source_port: int, target: str, target_port: int) -> Edge:
        edge = Edge(source, target, source_port, target_port)
        self.doc.check_edge(edge)
        if not self.doc.has_edge(edge):
            self.push(commands.ConnectCommand(self.doc, edge))
        return edge

    def next_free_port(self, target: str) -> int:
        """The first input port of ``target`` with no wire (for variadic merges)."""
        taken = {e.target_port for e in self.doc.in_edges(target)}
        port = 0
        while port in taken:
            port += 1
        limit = self.doc.spec_for(self.doc.node(target).type).max_inputs
        return min(port, limit - 1) if limit else port

    def disconnect(self, edge: Edge) -> None:
        if self.doc.has_edge(edge):
            self.push(commands.DisconnectCommand(self.doc, edge))

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        spec = self.doc.spec_for(self.doc.node(node_id).type).param(name)
        if spec is None:
            raise ParamError(name, "unknown parameter")
        clean = spec.validate(value)
        if self.doc.nodes[node_id].params.get(name) != clean:
            self.push(commands.SetParamCommand(self.doc, node_id, name, clean))

    def move_nodes(self, moves: dict[str, tuple[tuple[float, float], tuple[float, float]]]) -> None:
        moves = {n: (tuple(a), tuple(b)) for n, (a, b) in moves.items() if n in self.doc.nodes and tuple(a) != tuple(b)}
        if moves:
            self.push(commands.MoveNodesCommand(self.doc, moves))

    def rename_node(self, old: str, new: str) -> None:
        new = self.doc.check_rename(old, new)
        if new == old:
            return
        self.push(commands.RenameNodeCommand(self.doc, old, new))

    def paste(self, fragment: dict, offset: tuple[float, float] = (40.0, 40.0)) -> list[str]:
        nodes, edges = self.doc.plan_paste(fragment, offset)
        if nodes:
            self.push(commands.AddNodesCommand(self.doc, nodes, edges, f"Paste {len(nodes)} nodes"))
        return [n.id for n in nodes]

    def auto_layout(self) -> None:
        origin = min((n.pos for n in self.doc.nodes.values()), default=(0.0, 0.0))
        new = layered_positions(self.doc, origin, wrap=True)
        moves = {n: (self.doc.nodes[n].pos, p) for n, p in new.items() if self.doc.nodes[n].pos != p}
        if moves:
            self.push(commands.MoveNodesCommand(self.doc, moves, "Auto-layout", merge=False))

    def set_training(self, training: dict) -> None:
        if training != self.doc.training:
            self.push(commands.SetTrainingCommand(self.doc, training))
