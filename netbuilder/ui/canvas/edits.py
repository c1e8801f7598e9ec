"""The editor calls behind canvas gestures: one undo step each, none while locked.

Gestures that are two edits for the user's mind but one for the editor
(delete nodes and loose wires, add a layer feeding a port) are wrapped in an
undo macro here, so Ctrl+Z always takes back exactly one gesture.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QPointF, QRectF

from ...core.document import Edge
from ...core.errors import EditError, GraphError, ParamError
from ..editor import Editor
from .node_item import HEADER, PORT_Y, WIDTH, PortRef
from .placement import CARD_HEIGHT, card_at, free_offset
from .scene import GraphScene

LOCKED = "The graph is locked while training; stop training to change it."
AFTER_GAP = 100.0  # between a node and the one quick-add puts after it, as core.layout spaces columns


class CanvasEdits:
    def __init__(self, editor: Editor, scene: GraphScene, tell: Callable[[str], None]):
        self.editor, self.scene, self._tell = editor, scene, tell
        self.locked = False

    def refused(self) -> bool:
        """True (and says why) while training holds the graph."""
        if self.locked:
            self._tell(LOCKED)
        return self.locked

    def create(self, layer_type: str, scene_pos: QPointF, from_port: PortRef | None = None) -> str | None:
        """Add a layer at ``scene_pos``: its input port lands there when it
        continues a wire, its output port when it feeds one, else its header."""
        if self.refused():
            return None
        if from_port is None:
            corner = scene_pos - QPointF(WIDTH / 2, HEADER / 2)
        elif from_port.is_output:
            corner = scene_pos - QPointF(0, PORT_Y)
        else:
            corner = scene_pos - QPointF(WIDTH, PORT_Y)
        corner = self.free_corner(corner)
        pos = (corner.x(), corner.y())
        try:
            if from_port is None:
                return self.editor.add_node(layer_type, pos)
            if from_port.is_output:
                return self.editor.add_connected_node(layer_type, pos, from_port.node_id, from_port.index)
            return self._add_feeding_node(layer_type, pos, from_port)
        except (EditError, ParamError) as err:
            self._tell(str(err))
            return None

    def create_after(self, layer_type: str, node_id: str) -> str | None:
        """Add a layer fed by ``node_id``'s output, in free space to its right."""
        if self.refused():
            return None
        x, y = self.editor.doc.nodes[node_id].pos
        corner = self.free_corner(QPointF(x + WIDTH + AFTER_GAP, y))
        try:
            return self.editor.add_connected_node(layer_type, (corner.x(), corner.y()), node_id, 0)
        except (EditError, ParamError) as err:
            self._tell(str(err))
            return None

    def insert_into(self, layer_type: str, edge: Edge) -> str | None:
        """Add a layer into the wire ``edge``: source → new layer → target, one undo step."""
        if self.refused():
            return None
        (x1, y1), (x2, y2) = (self.editor.doc.nodes[n].pos for n in (edge.source, edge.target))
        corner = self.free_corner(QPointF((x1 + x2) / 2, (y1 + y2) / 2))
        try:
            with _macro(self.editor, f"Insert {layer_type}"):
                new = self.editor.add_node(layer_type, (corner.x(), corner.y()))
                self.editor.disconnect(edge)
                self.editor.connect_ports(edge.source, edge.source_port, new, 0)
                self.editor.connect_ports(new, 0, edge.target, edge.target_port)
        except (EditError, ParamError) as err:
            self.editor.undo_stack.undo()  # the half-made insertion
            self._tell(str(err))
            return None
        return new

    def free_corner(self, corner: QPointF) -> QPointF:
        """The snapped top-left corner nearest ``corner`` where a new card lands on no other."""
        return self.scene.snapped(corner + free_offset([card_at(corner)], self.taken()))

    def _add_feeding_node(self, layer_type: str, pos: tuple[float, float], target: PortRef) -> str:
        with _macro(self.editor, f"Add {layer_type}"):
            new = self.editor.add_node(layer_type, pos)
            self.editor.connect_ports(new, 0, target.node_id, target.index)
        return new

    def connect(self, edge: Edge) -> None:
        if self.refused():
            return
        try:
            self.editor.connect_ports(edge.source, edge.source_port, edge.target, edge.target_port)
        except EditError as err:
            self._tell(str(err))

    def delete(self, nodes: list[str], edges: list[Edge]) -> None:
        """Remove nodes (with their wires) and other selected wires as one step."""
        if not nodes and not edges or self.refused():
            return
        with _macro(self.editor, "Delete selection"):
            self.editor.remove_nodes(nodes)
            for edge in edges:
                self.editor.disconnect(edge)

    def taken(self, ignore: Iterable[str] = ()) -> list[QRectF]:
        """The room every card on the canvas takes (its shape label included)."""
        skip = set(ignore)
        return [item.sceneBoundingRect() for node_id, item in self.scene.nodes.items() if node_id not in skip]

    def paste(self, fragment: dict, at: QPointF | None = None) -> list[str]:
        """Paste centred on ``at`` (the mouse), else where the originals are, moved
        to the nearest free space: a paste never lands on a card."""
        if self.refused():
            return []
        try:  # where the nodes are; the editor checks the rest (their types may be blocks the paste brings)
            spots = [(raw.get("id"), (float(raw.get("pos", (0, 0))[0]), float(raw.get("pos", (0, 0))[1])))
                     for raw in fragment.get("nodes", [])]
        except (AttributeError, IndexError, TypeError, ValueError):
            self._tell("Cannot paste: the clipboard's nodes are not netbuilder nodes")
            return []
        rects = [card_at(pos, self._height_of(node_id)) for node_id, pos in spots]
        shift = QPointF()
        if at is not None and rects:
            span = rects[0]
            for r in rects[1:]:
                span = span.united(r)
            shift = at - span.center()
        shift += free_offset([r.translated(shift) for r in rects], self.taken())
        try:
            return self.editor.paste(fragment, (round(shift.x()), round(shift.y())))
        except (EditError, ParamError, GraphError) as err:
            self._tell(f"Cannot paste: {err}")
            return []

    def _height_of(self, node_id: str) -> float:
        """A card's height as drawn (the copied original's, when it is on the canvas)."""
        item = self.scene.nodes.get(node_id)
        return item.sceneBoundingRect().height() if item is not None else CARD_HEIGHT

    def nudge(self, node_ids: list[str], dx: float, dy: float) -> None:
        nodes = self.editor.doc.nodes
        self.editor.move_nodes({n: (nodes[n].pos, (nodes[n].pos[0] + dx, nodes[n].pos[1] + dy)) for n in node_ids})


class _macro:
    """``with _macro(editor, text):`` — the edits inside undo as one."""

    def __init__(self, editor: Editor, text: str):
        self.stack, self.text = editor.undo_stack, text

    def __enter__(self):
        self.stack.beginMacro(self.text)

    def __exit__(self, *exc):
        self.stack.endMacro()
        return False
