"""The scene: a view of the editor's document, kept in step by node id.

It listens to ``Editor.documentChanged`` and ``Editor.shapesChanged`` and
touches only the items a change names. It never writes the document itself
except through :meth:`commit_moves`, which hands finished drags to the editor.

A big graph is drawn in instalments: opening one makes the cards a first view
shows (those nearest the middle of its left end, where the window starts a
big graph), paints, and makes the rest a batch a frame. Anything that needs every item
(an edit, a click, a lookup by id) calls :meth:`GraphScene.complete` first.
"""

from __future__ import annotations

import math
from collections import defaultdict

from PySide6.QtCore import QEvent, QPointF, QRectF, QTimer
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneHelpEvent, QToolTip

from ...core.document import Change, Edge
from ...core.report import Problem, ShapeReport
from ..editor import Editor
from . import labels
from .background import draw_grid
from .edge_item import EdgeItem
from .frames import NetworkFrames
from .node_item import PORT_REACH, NodeItem, PortRef, card_extent
from .theme import DARK, CanvasTheme

SNAP = 10.0
EXTENT = 100_000.0
FIRST_INSTALMENT = 40  # cards made before the first paint: a first view at a readable zoom shows a few dozen
INSTALMENT = 150  # cards made at a time after it, while a big graph fills in
INSTALMENT_MS = 16  # one a frame: the first paint comes first, and the window answers in between
_INPUT_EVENTS = frozenset({
    QEvent.Type.GraphicsSceneMousePress, QEvent.Type.GraphicsSceneMouseDoubleClick, QEvent.Type.GraphicsSceneMouseMove,
    QEvent.Type.GraphicsSceneWheel, QEvent.Type.GraphicsSceneContextMenu, QEvent.Type.GraphicsSceneHelp,
    QEvent.Type.GraphicsSceneDragEnter, QEvent.Type.GraphicsSceneDrop, QEvent.Type.KeyPress,
})


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
        self._unbuilt: list[str] = []  # nodes without a card yet, in the order they get one
        self._bounds: QRectF | None = None  # nodes_bounds() until something changes
        self._filler = QTimer(self, singleShot=True, interval=INSTALMENT_MS)
        self._filler.timeout.connect(self._build_more)
        self.frames = NetworkFrames(self)  # around each network when the document holds several
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
        self._bounds = None
        if kind != "reset":
            self.complete()
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
                self._show_ports(node_id)  # a chunk's pieces are its ports
        elif kind == "moved":
            self._follow_moves(change.ids)
        elif kind == "renamed":
            self._rename(*change.ids)
        elif kind == "blocks_changed":  # a block was defined, changed or renamed: its instances follow
            for node_id, node in self.doc.nodes.items():
                if node.type in change.ids:
                    self._show_content(node_id)
                    self._show_ports(node_id)
        if kind not in ("moved", "params_changed", "meta_changed"):
            self.frames.refresh()

    def _rebuild(self) -> None:
        """Everything changed (open, revert): make every item again.

        Each item is made once in its final form, before it joins the scene:
        the new document's shapes are inferred first, and its wires are known
        before the cards, so a card gets its ports and shapes at once and each
        wire is placed and labelled once. The first instalment is made now,
        the rest as the event loop turns (see the module's docstring).
        """
        self.clear()
        self.frames.frames.clear()  # clear() deleted their items
        self.nodes.clear()
        self.edges.clear()
        self._touching.clear()
        self._shown.clear()
        self._problems.clear()
        self._activity.clear()
        self._pending_moves.clear()
        self._report = self.editor.report
        for edge in self.doc.edges:
            self._touching[edge.source].add(edge)
            self._touching[edge.target].add(edge)
        self._unbuilt = self._first_seen_first()
        self._build_more(FIRST_INSTALMENT)

    def _first_seen_first(self) -> list[str]:
        """Node ids, those nearest the middle of the graph's left end first
        (where ``MainWindow`` frames a big graph), a view's shape (wider than
        tall) around it."""
        nodes = self.doc.nodes
        if not nodes:
            return []
        xs, ys = zip(*(node.pos for node in nodes.values()))  # card corners: near enough to order by
        left, middle = min(xs), (min(ys) + max(ys)) / 2
        return sorted(nodes, key=lambda n: max(nodes[n].pos[0] - left, 1.5 * abs(nodes[n].pos[1] - middle)))

    def _build_more(self, count: int = INSTALMENT) -> None:
        """Make the next ``count`` cards and the wires between made cards."""
        self._build(self._unbuilt[:count])
        del self._unbuilt[:count]
        if self._unbuilt:
            self._filler.start()

    def complete(self) -> None:
        """Make every card and wire not made yet (see the module's docstring)."""
        if self._unbuilt:
            self._filler.stop()
            self._build(self._unbuilt)
            self._unbuilt = []

    def _build(self, node_ids: list[str]) -> None:
        self._syncing = True
        try:
            for node_id in node_ids:
                self._add_node(node_id, rebuilding=True)
            ports = set()
            for node_id in node_ids:
                for edge in self._touching.get(node_id, ()):
                    if edge not in self.edges and edge.source in self.nodes and edge.target in self.nodes:
                        self._add_edge(edge, rebuilding=True)
                        ports.add((edge.source, edge.source_port))
            for source, port in ports:
                self._label_wires(source, port)
        finally:
            self._syncing = False
        self.frames.refresh()

    def event(self, event) -> bool:
        if self._unbuilt and event.type() in _INPUT_EVENTS:
            self.complete()  # the user reaches for the graph: all of it must be there
        return super().event(event)

    def _add_node(self, node_id: str, rebuilding: bool = False) -> None:
        node = self.doc.nodes[node_id]
        item = NodeItem(node_id)
        self.nodes[node_id] = item
        self._show_content(node_id)
        self._show_ports(node_id)
        if rebuilding:
            self._show_info(node_id)
        item.setPos(QPointF(*node.pos))
        self.addItem(item)

    def _remove_node(self, node_id: str) -> None:
        item = self.nodes.pop(node_id, None)
        if item is not None:
            self.removeItem(item)
        for table in (self._touching, self._shown, self._problems, self._activity):
            table.pop(node_id, None)
        self._pending_moves.discard(node_id)

    def _add_edge(self, edge: Edge, rebuilding: bool = False) -> None:
        item = EdgeItem(edge)
        self.edges[edge] = item
        if rebuilding:  # labelled before it is placed: the label is positioned once
            item.set_label(self._wire_text(edge.source, edge.source_port))
        else:
            self._touching[edge.source].add(edge)
            self._touching[edge.target].add(edge)
            self._show_ports(edge.source)
            self._show_ports(edge.target)
        self._place_edge(item)
        self.addItem(item)
        if not rebuilding:
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
        spec = self.doc.spec_for(node.type)
        item = self.nodes[node_id]
        item.set_content(node_id, node.type, spec.category, labels.param_summary(spec, node.params))
        item.set_block(self.doc.is_block(node.type), node.params.get("repeat", 1))

    def _show_info(self, node_id: str) -> bool:
        """Show what the current report says of one node; False if that is already shown."""
        report = self._report
        info, mine = report.nodes.get(node_id), report.problems_of(node_id)
        shown = self._shown.get(node_id)
        if shown is not None and shown[0] is info and shown[1] == mine:
            return False
        self._shown[node_id] = (info, mine)
        self._problems[node_id] = mine
        shape = labels.shapes_text(info.outputs) if info is not None and info.outputs else "?"
        self.nodes[node_id].set_info(report.status_of(node_id), shape, labels.count_text(info.params if info else 0))
        return True

    def _ports(self, node_id: str) -> tuple[list[str], list[str], set[tuple[bool, int]]]:
        """Input and output port labels of a card, and its wired ports as (is_output, index)."""
        node = self.doc.nodes[node_id]
        spec = self.doc.spec_for(node.type)
        touching = self._touching.get(node_id, ())
        used = {e.target_port for e in touching if e.target == node_id}
        wired = {(False, p) for p in used} | {(True, e.source_port) for e in touching if e.source == node_id}
        ins = [spec.input_label(i) for i in range(labels.input_port_count(spec, used))]
        return ins, list(spec.output_names(node.params)), wired

    def _port_counts(self, node_id: str) -> tuple[int, int]:
        """How many input and output ports the card of ``node_id`` has (see :meth:`_ports`)."""
        node = self.doc.nodes[node_id]
        spec = self.doc.spec_for(node.type)
        used = (e.target_port for e in self._touching.get(node_id, ()) if e.target == node_id)  # read if variadic
        return labels.input_port_count(spec, used), len(spec.output_names(node.params))

    def _show_ports(self, node_id: str) -> None:
        if self.nodes[node_id].set_ports(*self._ports(node_id)):
            for edge in self._touching.get(node_id, ()):
                if edge in self.edges:  # while rebuilding, the wires are drawn after the cards
                    self._place_edge(self.edges[edge])

    def nodes_bounds(self) -> QRectF:
        """The scene rectangle every card covers, made yet or not (kept until
        something changes: opening a graph asks for it twice)."""
        if self._bounds is None:
            self._bounds = self._measure_bounds()
        return QRectF(self._bounds)

    def _measure_bounds(self) -> QRectF:
        if not self.doc.nodes:
            return QRectF()
        left = top = math.inf
        right = bottom = -math.inf
        for node_id, node in self.doc.nodes.items():
            item = self.nodes.get(node_id)
            if item is None:
                (x, y), counts = node.pos, self._port_counts(node_id)
            else:
                x, y, counts = item.x(), item.y(), (item.port_count(False), item.port_count(True))
            x0, y0, x1, y1 = card_extent(*counts)
            left, top, right, bottom = min(left, x + x0), min(top, y + y0), max(right, x + x1), max(bottom, y + y1)
        return QRectF(left, top, right - left, bottom - top)

    def node_tooltip(self, node_id: str) -> str:
        """The tooltip of a card, written when asked for (see :meth:`helpEvent`)."""
        node = self.doc.nodes[node_id]
        shown = self._shown.get(node_id)
        return labels.node_tooltip(node_id, self.doc.spec_for(node.type), shown[0] if shown else None,
                                   self._problems.get(node_id, ()), self._activity.get(node_id), self.theme)

    def helpEvent(self, event: QGraphicsSceneHelpEvent) -> None:
        """Show the tooltip of the card under the pointer. Cards keep none of
        their own: kept up to date, a big graph's would be rewritten by the
        thousand on each open and each new report, for the one ever read."""
        item = self.node_at(event.scenePos())
        if item is None:
            super().helpEvent(event)
            return
        QToolTip.showText(event.screenPos(), self.node_tooltip(item.node_id), event.widget())
        event.accept()

    def _wire_text(self, source: str, port: int) -> str | None:
        """The label of the wires leaving one output port; None while unknown."""
        value = self._report.value_type(source, port) if self._report is not None else None
        return labels.shapes_text([value]) if value is not None else None

    def _label_wires(self, source: str, port: int) -> None:
        """Write the tensor's shape on the wires leaving one output port.

        Every such wire gets the text (solid when known, dashed when not),
        but only the first one with room for it shows it, so fan-outs do not
        stack identical labels on top of each other.
        """
        text = self._wire_text(source, port)
        shown = False
        for edge in sorted(e for e in self._touching.get(source, ()) if e.source == source and e.source_port == port):
            item = self.edges.get(edge)
            if item is None:  # not made yet: labelled when it is
                continue
            item.set_label(text)
            item.show_label(not shown)
            shown = shown or item.label_visible

    def _on_shapes(self, report: ShapeReport) -> None:
        self._apply_report(report)

    def _apply_report(self, report: ShapeReport) -> None:
        """Redraw only the nodes whose inference result or problems changed."""
        self._report = report
        for node_id in self.nodes:
            if self._show_info(node_id):
                for port in {e.source_port for e in self._touching.get(node_id, ()) if e.source == node_id}:
                    self._label_wires(node_id, port)

    def set_activity(self, node_id: str, stats: dict | None) -> None:
        self.complete()
        item = self.nodes.get(node_id)
        if item is None:
            return
        if stats is None:
            self._activity.pop(node_id, None)
        else:
            self._activity[node_id] = dict(stats)
        alive = None if stats is None else 1.0 - float(stats.get("zeros", 0.0))
        item.set_activity(alive)

    def set_heat(self, node_id: str, colour, text: str = "") -> None:
        """The debugger's colour on one card (None clears it)."""
        self.complete()
        item = self.nodes.get(node_id)
        if item is not None:
            item.set_heat(colour, text)

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
        self._bounds = None
        touching = self._touching.get(item.node_id, ())
        for edge in touching:
            self._place_edge(self.edges[edge])
        for source, port in {(e.source, e.source_port) for e in touching}:
            self._label_wires(source, port)  # a wire that grew may now have room for the label
        if not self._syncing:
            self._pending_moves.add(item.node_id)
        if self.frames.frames:
            self.frames.follow()

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
