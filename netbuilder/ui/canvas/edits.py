"""The editor calls behind canvas gestures: one undo step each, none while locked.

Gestures that are two edits for the user's mind but one for the editor
(delete nodes and loose wires, add a layer feeding a port) are wrapped in an
undo macro here, so Ctrl+Z always takes back exactly one gesture.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF

from ...core.document import Edge
from ...core.errors import EditError, ParamError
from ..editor import Editor
from .node_item import HEADER, PORT_Y, WIDTH, PortRef
from .scene import GraphScene

LOCKED = "The graph is locked while training; stop training to change it."
PASTE_STEP = 40.0


class CanvasEdits:
    def __init__(self, editor: Editor, scene: GraphScene, tell: Callable[[str], None]):
        self.editor, self.scene, self._tell = editor, scene, tell
        self.locked = False
        self._last_paste: dict | None = None
        self._paste_count = 0

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
        corner = self.scene.snapped(corner)
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

    def forget_paste(self) -> None:
        """A new copy starts the paste offsets over."""
        self._last_paste, self._paste_count = None, 0

    def paste(self, fragment: dict) -> list[str]:
        """Paste with an offset that grows on each paste of the same fragment,
        so repeated pastes fan out instead of stacking."""
        if self.refused():
            return []
        self._paste_count = self._paste_count + 1 if fragment == self._last_paste else 1
        self._last_paste = fragment
        step = PASTE_STEP * self._paste_count
        try:
            return self.editor.paste(fragment, (step, step))
        except (EditError, ParamError) as err:
            self._tell(f"Cannot paste: {err}")
            return []

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
