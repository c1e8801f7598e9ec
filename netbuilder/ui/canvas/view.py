"""The canvas widget: turns mouse and keyboard gestures into editor calls.

Everything it shows comes from :class:`GraphScene`; everything it changes
goes through the :class:`Editor`, one undo step per gesture. Nothing here
blocks: quick-add is a child widget, refusals are emitted on :attr:`message`.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QCursor, QPainter
from PySide6.QtWidgets import QApplication, QFrame, QGraphicsView

from ...core.document import Edge
from ..editor import Editor
from . import navigation as nav
from .edge_item import EdgeItem
from .edits import CanvasEdits
from .node_item import NodeItem, PortRef
from .quick_add import QuickAdd
from .scene import GraphScene
from .theme import DARK, LIGHT
from .wiring import WireDrag, wiring_choices

LAYER_MIME = "application/x-netbuilder-layer"
NUDGE = 10.0


class GraphView(QGraphicsView):
    """The node-graph editor of one :class:`Editor`'s document."""

    selectionChanged = Signal(list)  # selected node ids, in document order
    message = Signal(str)  # a refusal or hint for the status bar

    def __init__(self, editor: Editor, parent=None):
        super().__init__(parent)
        self.editor = editor
        self._scene = GraphScene(editor, self)
        self.setScene(self._scene)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.quick_add = QuickAdd(self)
        self.quick_add.chosen.connect(self._quick_add_chosen)
        self.quick_add.dismissed.connect(lambda: self.setFocus(Qt.FocusReason.PopupFocusReason))
        self._edits = CanvasEdits(editor, self._scene, self.message.emit)
        self._wire: WireDrag | None = None
        self._pan_from: QPoint | None = None
        self._space_held = False
        self._quick_pos = QPointF()
        self._quick_from: PortRef | None = None
        self._quick_mode = "add"  # or "connect": what the popup's choice means
        self._quick_target: str | Edge | None = None  # the node to add after, or the wire to add into
        self._selection: list[str] = []
        self._batch_selection = False
        self._scene.selectionChanged.connect(self._announce_selection)
        self.set_theme(QApplication.palette().window().color().lightness() < 128)
        self.centerOn(0, 0)

    # -- public API -----------------------------------------------------------
    @property
    def snap_to_grid(self) -> bool:
        """Round dragged node positions to a 10 px grid."""
        return self._scene.snap_to_grid

    @snap_to_grid.setter
    def snap_to_grid(self, on: bool) -> None:
        self._scene.snap_to_grid = bool(on)

    @property
    def locked(self) -> bool:
        """Whether training holds the graph (see :meth:`set_locked`)."""
        return self._edits.locked

    def node_item(self, node_id: str) -> NodeItem | None:
        self._scene.complete()
        return self._scene.nodes.get(node_id)

    def edge_item(self, edge) -> EdgeItem | None:
        self._scene.complete()
        return self._scene.edges.get(edge)

    def selected_node_ids(self) -> list[str]:
        chosen = {item.node_id for item in self._scene.selectedItems() if isinstance(item, NodeItem)}
        return [node_id for node_id in self.editor.doc.nodes if node_id in chosen]

    def select_nodes(self, ids: list[str]) -> None:
        self._scene.complete()
        self._batch_selection = True
        try:
            self._scene.clearSelection()
            for node_id in ids:
                item = self._scene.nodes.get(node_id)
                if item is not None:
                    item.setSelected(True)
        finally:
            self._batch_selection = False
        self._announce_selection()

    def center_on_node(self, node_id: str) -> None:
        self._scene.complete()
        item = self._scene.nodes.get(node_id)
        if item is not None:
            self.select_nodes([node_id])
            self.centerOn(item.mapToScene(item.card_rect().center()))

    def fit_view(self, bounds: QRectF | None = None) -> None:
        """Show the whole graph (``bounds``: its :meth:`GraphScene.nodes_bounds`, if known)."""
        rect = self._scene.nodes_bounds() if bounds is None else bounds
        if rect.isEmpty():
            self.reset_zoom()
        else:
            nav.fit(self, rect)

    def zoom_in(self) -> None:
        nav.zoom_by(self, nav.BUTTON_STEP, self.viewport().rect().center())

    def zoom_out(self) -> None:
        nav.zoom_by(self, 1 / nav.BUTTON_STEP, self.viewport().rect().center())

    def reset_zoom(self) -> None:
        nav.set_zoom(self, 1.0, self.mapToScene(self.viewport().rect().center()))

    def zoom(self) -> float:
        return nav.zoom_of(self)

    def copy_selection(self) -> dict | None:
        ids = self.selected_node_ids()
        return self.editor.doc.fragment(ids) if ids else None

    def pointer_scene_pos(self) -> QPointF | None:
        """Where the mouse is on the canvas, or None when it is elsewhere (a menu, a panel)."""
        cursor = self.viewport().mapFromGlobal(QCursor.pos())
        return self.mapToScene(cursor) if self.viewport().rect().contains(cursor) else None

    def paste_fragment(self, fragment: dict, at_pointer: bool = False) -> list[str]:
        """Paste in free space (at the mouse with ``at_pointer``, else beside the
        originals) and select what was pasted."""
        new = self._edits.paste(fragment, self.pointer_scene_pos() if at_pointer else None)
        if new:
            self.select_nodes(new)
        return new

    def delete_selection(self) -> None:
        nodes = self.selected_node_ids()
        doomed = set(nodes)
        edges = [item.edge for item in self._scene.selectedItems()
                 if isinstance(item, EdgeItem) and not {item.edge.source, item.edge.target} & doomed]
        self._edits.delete(nodes, edges)

    def open_quick_add(self, scene_pos: QPointF | None = None, from_port: PortRef | None = None) -> None:
        """Show the layer search; Enter creates the layer in free space at ``scene_pos``,
        wired to ``from_port`` if given. From the keyboard (no ``scene_pos``) with one
        node selected the layer goes after it, wired; with one wire selected, into
        it; otherwise at the mouse, or in the middle of the view."""
        if self._edits.refused():
            return
        self._quick_target = None
        if scene_pos is None and from_port is None:
            nodes, edges = self.selected_node_ids(), self.selected_edges()
            if len(nodes) == 1 and self.editor.doc.spec_for(self.editor.doc.nodes[nodes[0]].type).outputs:
                self._quick_target = nodes[0]
                from_port = PortRef(nodes[0], 0, True)
                scene_pos = self._scene.nodes[nodes[0]].port_scene_pos(True, 0)
            elif not nodes and len(edges) == 1:
                self._quick_target = edges[0]
                scene_pos = self.edge_item(edges[0]).shape().boundingRect().center()
        if scene_pos is None:
            scene_pos = self.pointer_scene_pos()
        if scene_pos is None:
            scene_pos = self.mapToScene(self.viewport().rect().center())
        self._quick_pos, self._quick_from = QPointF(scene_pos), from_port
        self._quick_mode = "add"
        accepts = (lambda spec: spec.max_inputs != 0) if from_port is not None and from_port.is_output else None
        self.quick_add.open_at(self.mapFromScene(scene_pos) + QPoint(6, 6), accepts)

    def open_connect(self) -> None:
        """Connect Output To… (C): wire the selected node's output to a node picked by name."""
        nodes = self.selected_node_ids()
        if len(nodes) != 1 or not self.editor.doc.spec_for(self.editor.doc.nodes[nodes[0]].type).outputs:
            self.message.emit("Select one node to wire its output (C), then type the node to feed")
            return
        if self._edits.refused():
            return
        choices = wiring_choices(self.editor, nodes[0])
        if not choices:
            self.message.emit(f"No node has a free input for {nodes[0]}")
            return
        self._quick_mode, self._quick_target = "connect", nodes[0]
        where = self._scene.nodes[nodes[0]].port_scene_pos(True, 0)
        self.quick_add.open_at(self.mapFromScene(where) + QPoint(6, 6), choices=choices,
                               placeholder=f"Wire {nodes[0]} to…")

    def selected_edges(self) -> list[Edge]:
        return [item.edge for item in self._scene.selectedItems() if isinstance(item, EdgeItem)]

    def set_locked(self, locked: bool) -> None:
        """While training: adding, deleting, wiring and pasting are refused; moving is not."""
        self._edits.locked = bool(locked)
        if locked:
            self._cancel_wire()
            self.quick_add.close_popup()

    def set_node_activity(self, node_id: str, stats: dict | None) -> None:
        """Live training statistics of one node (mean, std, zeros, grad_norm); None clears.
        Training reports the document's nodes: inside a block, an id may name another node."""
        if not self.editor.doc.is_definition:
            self._scene.set_activity(node_id, stats)

    def set_node_heat(self, node_id: str, colour, text: str = "") -> None:
        """Colour one node by a training statistic at a chosen epoch (None clears it);
        like the activity, only on the document's own canvas, not inside a block."""
        if not self.editor.doc.is_definition:
            self._scene.set_heat(node_id, colour, text)

    def set_theme(self, dark: bool) -> None:
        theme = DARK if dark else LIGHT
        self._scene.set_theme(theme)
        self.quick_add.apply_theme(theme)
        self.viewport().update()

    def _quick_add_chosen(self, key: str) -> None:
        self.setFocus(Qt.FocusReason.PopupFocusReason)
        target, self._quick_target = self._quick_target, None
        if self._quick_mode == "connect":
            self._edits.connect(Edge(target, key, 0, self.editor.next_free_port(key)))
            self.select_nodes([key])  # C again wires on from there
            return
        if isinstance(target, Edge):
            new = self._edits.insert_into(key, target)
        elif target is not None:
            new = self._edits.create_after(key, target)
        else:
            new = self._edits.create(key, self._quick_pos, self._quick_from)
        self._quick_from = None
        if new is not None:
            self.select_nodes([new])

    # -- selection ------------------------------------------------------------
    def _announce_selection(self) -> None:
        if self._batch_selection:
            return
        ids = self.selected_node_ids()
        if ids != self._selection:
            self._selection = ids
            self.selectionChanged.emit(list(ids))

    # -- zoom, pan and mouse -------------------------------------------------------
    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() or event.angleDelta().x()
        if steps:
            nav.zoom_by(self, nav.WHEEL_STEP**steps, event.position().toPoint())
        event.accept()

    def mousePressEvent(self, event) -> None:
        self.quick_add.close_popup()
        pos = event.position().toPoint()
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self._space_held):
            self._pan_from = pos
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if button == Qt.MouseButton.LeftButton and self._wire is None:
            port = self._scene.port_at(self.mapToScene(pos))
            if port is not None:
                if not self._edits.refused():
                    self._wire = WireDrag(self._scene, port)
                event.accept()
                return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        pos = event.position().toPoint()
        if self._pan_from is not None:
            delta = pos - self._pan_from
            self._pan_from = pos
            nav.scroll_by(self, -delta.x(), -delta.y())
            event.accept()
            return
        if self._wire is not None:
            problem = self._wire.follow(self.mapToScene(pos))
            if problem:
                self.message.emit(problem)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space_held else Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        if self._wire is not None and event.button() == Qt.MouseButton.LeftButton:
            self._drop_wire(self.mapToScene(event.position().toPoint()))
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._scene.commit_moves()

    def mouseDoubleClickEvent(self, event) -> None:
        scene_pos = self.mapToScene(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and not self._scene.items(scene_pos):
            self.open_quick_add(scene_pos)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def _drop_wire(self, scene_pos: QPointF) -> None:
        wire, self._wire = self._wire, None
        wire.follow(scene_pos)
        wire.finish()
        if wire.edge is not None:
            self._edits.connect(wire.edge)
        elif wire.problem:
            self.message.emit(wire.problem)
        elif wire.over_empty_canvas(scene_pos):
            self.open_quick_add(scene_pos, from_port=wire.origin)

    def _cancel_wire(self) -> None:
        if self._wire is not None:
            self._wire.finish()
            self._wire = None

    # -- keyboard -------------------------------------------------------------
    _OWN_KEYS = {Qt.Key.Key_Delete, Qt.Key.Key_Backspace, Qt.Key.Key_Tab}

    def event(self, event) -> bool:
        kind = event.type()
        plain = kind in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride) and not (
            event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
        if plain and event.key() in self._OWN_KEYS:
            # Claim these keys before window shortcuts or Tab focus-chaining take them.
            if kind == QEvent.Type.ShortcutOverride:
                event.accept()
                return True
            if event.key() == Qt.Key.Key_Tab:
                self.open_quick_add()
                return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        key, mods = event.key(), event.modifiers()
        arrows = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selection()
        elif key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif key in (Qt.Key.Key_F, Qt.Key.Key_Home) and not mods:
            self.fit_view()
        elif key == Qt.Key.Key_A and mods == Qt.KeyboardModifier.ControlModifier:
            self.select_nodes(list(self.editor.doc.nodes))
        elif key == Qt.Key.Key_Escape:
            self._cancel_wire()
            self._scene.clearSelection()
        elif key in arrows and self.selected_node_ids():
            step = NUDGE * (5 if mods & Qt.KeyboardModifier.ShiftModifier else 1)
            self._edits.nudge(self.selected_node_ids(), arrows[key][0] * step, arrows[key][1] * step)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = False
            self._pan_from = None
            self.viewport().setCursor(Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event) -> None:
        if self._space_held:  # the Space release will go elsewhere: stop panning now
            self._space_held = False
            self._pan_from = None
            self.viewport().setCursor(Qt.CursorShape.ArrowCursor)
        super().focusOutEvent(event)

    # -- drops from the palette -------------------------------------------------
    def _accepts_drag(self, event) -> bool:
        return event.mimeData().hasFormat(LAYER_MIME) and not self._edits.locked

    def dragEnterEvent(self, event) -> None:
        if self._accepts_drag(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if self._accepts_drag(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        if not event.mimeData().hasFormat(LAYER_MIME):
            event.ignore()
            return
        layer_type = bytes(event.mimeData().data(LAYER_MIME)).decode("utf-8")
        new = self._edits.create(layer_type, self.mapToScene(event.position().toPoint()))
        if new is not None:
            self.select_nodes([new])
            event.acceptProposedAction()
        else:
            event.ignore()
        self.setFocus(Qt.FocusReason.MouseFocusReason)
