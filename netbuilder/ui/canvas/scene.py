"""The scene: a view of the editor's document, kept in step by node id.

It listens to ``Editor.documentChanged`` and ``Editor.shapesChanged`` and
touches only the items a change names. It never writes the document itself
except through :meth:`commit_moves`, which hands finished drags to the editor.
"""

from __future__ import annotations

from collections import defaultdict

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsScene

from ...core.document import Change, Edge
from ...core.layers import get_spec
from ...core.report import Problem, ShapeReport
from ..editor import Editor
from . import labels
from .background import draw_grid
from .edge_item import EdgeItem
from .node_item import PORT_REACH, NodeItem, PortRef
from .theme import DARK, CanvasTheme

SNAP = 10.0
EXTENT = 100_000.0


class GraphScene(QGraphicsScene):
    def __init__(self, editor: Editor, parent=None):
        super().__init__(parent)
        self.editor = editor
        self.theme: CanvasTheme = DARK
        self.snap_to_grid = False
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[Edge, EdgeItem] = {}
        self._touching: dict[str, set[Edge]] = defaultdict(set)  # node id -> its edges
        self._shown: dict[str, tuple] = {}  # node id -> (NodeInfo, problems) last drawn
        self._problems: dict[str, tuple[Problem, ...]] = {}
        self._activity: dict[str, dict] = {}
        self._report: ShapeReport | None = None
        self._pending_moves: set[str] = set()
        self._syncing = False
        # Moving an item re-inserts it into the BSP tree and every wire on it
        # too; with a linear index a drag stays cheap however big the graph.
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setSceneRect(-EXTENT, -EXTENT, 2 * EXTENT, 2 * EXTENT)
        editor.documentChanged.connect(self._on_change)
        editor.shapesChanged.connect(self._on_shapes)
        self._rebuild()

    @property
    def doc(self):
        return self.editor.doc

    # -- document changes ---------------------------------------------------
    def _on_change(self, change: Change) -> None:
        kind = change.kind
        if kind == "reset":
            self._rebuild()
        elif kind == "node_added":
            self._add_node(change.ids[0])
        elif kind == "node_removed":
            self._remove_node(change.ids[0])
        elif kind == "edge_added":
            self._add_edge(change.edge)
        elif kind == "edge_removed":
            self._remove_edge(change.edge)
        elif kind == "params_changed":
            for node_id in change.ids:
                self._show_content(node_id)
        elif kind == "moved":
            self._follow_moves(change.ids)
        elif kind == "renamed":
            self._rename(*change.ids)

    def _rebuild(self) -> None:
        """Everything changed (open, revert): build all items in one pass."""
        self._report = None  # the old document's shapes must not label the new wires
        self.clear()
        self.nodes.clear()
        self.edges.clear()
        self._touching.clear()
        self._shown.clear()
        self._problems.clear()
        self._activity.clear()
        self._pending_moves.clear()
        self._syncing = True
        try:
            for node_id in self.doc.nodes:
                self._add_node(node_id, wire=False)
            for edge in self.doc.edges:
                self._add_edge(edge, wire=False)
            for node_id in self.nodes:
                self._show_ports(node_id)
        finally:
            self._syncing = False
        self._apply_report(self.editor.report)

    def _add_node(self, node_id: str, wire: bool = True) -> None:
        node = self.doc.nodes[node_id]
        item = NodeItem(node_id)
        self.nodes[node_id] = item
        self._show_content(node_id)
        if wire:
            self._show_ports(node_id)
        item.setPos(QPointF(*node.pos))
        self.addItem(item)

    def _remove_node(self, node_id: str) -> None:
        item = self.nodes.pop(node_id, None)
        if item is not None:
            self.removeItem(item)
        for table in (self._touching, self._shown, self._problems, self._activity):
            table.pop(node_id, None)
        self._pending_moves.discard(node_id)

    def _add_edge(self, edge: Edge, wire: bool = True) -> None:
        item = EdgeItem(edge)
        self.edges[edge] = item
        self._touching[edge.source].add(edge)
        self._touching[edge.target].add(edge)
        if wire:
            self._show_ports(edge.source)
            self._show_ports(edge.target)
        self._place_edge(item)
        self.addItem(item)
        self._label_wires(edge.source, edge.source_port)

    def _remove_edge(self, edge: Edge) -> None:
        item = self.edges.pop(edge, None)
        if item is not None:
            self.removeItem(item)
        for node_id in (edge.source, edge.target):
            self._touching[node_id].discard(edge)
            if node_id in self.nodes:
                self._show_ports(node_id)
        self._label_wires(edge.source, edge.source_port)

    def _follow_moves(self, node_ids) -> None:
        self._syncing = True
        try:
            for node_id in node_ids:
                item = self.nodes.get(node_id)
                pos = QPointF(*self.doc.nodes[node_id].pos)
                if item is not None and item.pos() != pos:
                    item.setPos(pos)
        finally:
            self._syncing = False

    def _rename(self, old: str, new: str) -> None:
        for table in (self.nodes, self._touching, self._shown, self._problems, self._activity):
            if old in table:
                table[new] = table.pop(old)
        for edge in list(self._touching.get(new, ())):
            renamed = Edge(new if edge.source == old else edge.source, new if edge.target == old else edge.target,
                           edge.source_port, edge.target_port)
            item = self.edges.pop(edge)
            item.edge = renamed
            self.edges[renamed] = item
            for node_id in {edge.source, edge.target}:
                self._touching[new if node_id == old else node_id].discard(edge)
                self._touching[new if node_id == old else node_id].add(renamed)
        self._show_content(new)
        self._show_ports(new)

    # -- what each item shows -------------------------------------------------
    def _show_content(self, node_id: str) -> None:
        node = self.doc.nodes[node_id]
        spec = get_spec(node.type)
        self.nodes[node_id].set_content(node_id, node.type, spec.category,
                                        labels.param_summary(spec, node.params), self._tooltip(node_id))

    def _show_ports(self, node_id: str) -> None:
        spec = get_spec(self.doc.nodes[node_id].type)
        touching = self._touching.get(node_id, ())
        used = {e.target_port for e in touching if e.target == node_id}
        wired = {(False, p) for p in used} | {(True, e.source_port) for e in touching if e.source == node_id}
        n_in = labels.input_port_count(spec, used)
        ins = [spec.input_label(i) for i in range(n_in)]
        item = self.nodes[node_id]
        if item.set_ports(ins, list(spec.outputs), wired):
            for edge in touching:
                self._place_edge(self.edges[edge])

    def _tooltip(self, node_id: str) -> str:
        node = self.doc.nodes[node_id]
        shown = self._shown.get(node_id)
        return labels.node_tooltip(node_id, get_spec(node.type), shown[0] if shown else None,
                                   self._problems.get(node_id, ()), self._activity.get(node_id), self.theme)

    def _label_wires(self, source: str, port: int) -> None:
        """Write the tensor's shape on the wires leaving one output port.

        Every such wire gets the text (solid when known, dashed when not),
        but only the first one with room for it shows it, so fan-outs do not
        stack identical labels on top of each other.
        """
        value = self._report.value_type(source, port) if self._report is not None else None
        text = labels.shapes_text([value]) if value is not None else None
        shown = False
        for edge in sorted(e for e in self._touching.get(source, ()) if e.source == source and e.source_port == port):
            item = self.edges[edge]
            item.set_label(text)
            item.show_label(not shown)
            shown = shown or item.label_visible

    def _on_shapes(self, report: ShapeReport) -> None:
        self._apply_report(report)

    def _apply_report(self, report: ShapeReport) -> None:
        """Redraw only the nodes whose inference result or problems changed."""
        self._report = report
        for node_id, item in self.nodes.items():
            info, mine = report.nodes.get(node_id), report.problems_of(node_id)
            shown = self._shown.get(node_id)
            if shown is not None and shown[0] is info and shown[1] == mine:
                continue
            self._shown[node_id] = (info, mine)
            self._problems[node_id] = mine
            status = report.status_of(node_id)
            shape = labels.shapes_text(info.outputs) if info is not None and info.outputs else "?"
            item.set_info(status, shape, labels.count_text(info.params if info else 0), self._tooltip(node_id))
            for port in {e.source_port for e in self._touching.get(node_id, ()) if e.source == node_id}:
                self._label_wires(node_id, port)

    def set_activity(self, node_id: str, stats: dict | None) -> None:
        item = self.nodes.get(node_id)
        if item is None:
            return
        if stats is None:
            self._activity.pop(node_id, None)
        else:
            self._activity[node_id] = dict(stats)
        alive = None if stats is None else 1.0 - float(stats.get("zeros", 0.0))
        item.set_activity(alive, self._tooltip(node_id))

    def set_theme(self, theme: CanvasTheme) -> None:
        self.theme = theme
        for item in self.items():
            item.update()
        self.invalidate(self.sceneRect(), QGraphicsScene.SceneLayer.BackgroundLayer)

    # -- geometry -------------------------------------------------------------
    def _place_edge(self, item: EdgeItem) -> None:
        edge = item.edge
        source, target = self.nodes[edge.source], self.nodes[edge.target]
        item.set_ends(source.port_scene_pos(True, edge.source_port), target.port_scene_pos(False, edge.target_port))

    def node_item_moved(self, item: NodeItem) -> None:
        """Called by a card while it moves: its wires follow, the drag is noted."""
        touching = self._touching.get(item.node_id, ())
        for edge in touching:
            self._place_edge(self.edges[edge])
        for source, port in {(e.source, e.source_port) for e in touching}:
            self._label_wires(source, port)  # a wire that grew may now have room for the label
        if not self._syncing:
            self._pending_moves.add(item.node_id)

    def commit_moves(self) -> None:
        """Hand the cards moved since the last call to the editor as one undo step."""
        moves = {}
        for node_id in self._pending_moves:
            item, node = self.nodes.get(node_id), self.doc.nodes.get(node_id)
            if item is not None and node is not None:
                new = (item.pos().x(), item.pos().y())
                if new != tuple(node.pos):
                    moves[node_id] = (tuple(node.pos), new)
        self._pending_moves.clear()
        if moves:
            self.editor.move_nodes(moves)

    def snapped(self, pos: QPointF) -> QPointF:
        if not self.snap_to_grid:
            return pos
        return QPointF(round(pos.x() / SNAP) * SNAP, round(pos.y() / SNAP) * SNAP)

    def port_at(self, scene_pos: QPointF) -> PortRef | None:
        area = QRectF(scene_pos.x() - PORT_REACH, scene_pos.y() - PORT_REACH, 2 * PORT_REACH, 2 * PORT_REACH)
        for item in self.items(area):
            if isinstance(item, NodeItem):
                port = item.port_at(scene_pos)
                if port is not None:
                    return port
        return None

    def node_at(self, scene_pos: QPointF) -> NodeItem | None:
        for item in self.items(scene_pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        draw_grid(painter, rect, self.theme)
