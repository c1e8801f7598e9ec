"""Dragging a wire from a port: what it would connect, and whether it may.

The rules are the document's (``GraphDocument.check_edge``): this module only
asks them while the mouse moves, so a refusal shows as a red port before the
button is released, with the same words the editor would raise.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF
from shiboken6 import isValid

from ...core.document import Edge
from ...core.errors import EditError
from .edge_item import RubberWire
from .node_item import NodeItem, PortRef
from .quick_add import Choice
from .scene import GraphScene


class WireDrag:
    """One wire on its way from ``origin`` (an output, or an input dragged backwards)."""

    def __init__(self, scene: GraphScene, origin: PortRef):
        self.scene, self.origin = scene, origin
        self.anchor = scene.nodes[origin.node_id].port_scene_pos(origin.is_output, origin.index)
        self.rubber = RubberWire(scene.theme)
        scene.addItem(self.rubber)
        self.target: PortRef | None = None
        self.edge: Edge | None = None
        self.problem: str | None = None
        self._marked: NodeItem | None = None
        self.rubber.stretch(self.anchor, self.anchor, False, scene.theme)

    def follow(self, scene_pos: QPointF) -> str | None:
        """Track the mouse; returns a refusal the first time the wire meets it."""
        target = self._target_at(scene_pos)
        changed = target != self.target
        self.target = target
        self.edge, self.problem = self._edge_to(target) if target is not None else (None, None)
        end = scene_pos
        if target is not None:
            node = self.scene.nodes[target.node_id]
            end = node.port_scene_pos(target.is_output, target.index)
            self._mark(node, target, "bad" if self.problem else "ok")
        else:
            self._mark(None, None, None)
        start, finish = (self.anchor, end) if self.origin.is_output else (end, self.anchor)
        self.rubber.stretch(start, finish, self.problem is not None, self.scene.theme)
        return self.problem if changed else None

    def over_empty_canvas(self, scene_pos: QPointF) -> bool:
        return self.target is None and self.scene.node_at(scene_pos) is None

    def finish(self) -> None:
        """Remove the loose wire and any highlight."""
        self._mark(None, None, None)
        if isValid(self.rubber) and self.rubber.scene() is self.scene:  # a reset may have cleared the scene
            self.scene.removeItem(self.rubber)

    def _target_at(self, scene_pos: QPointF) -> PortRef | None:
        port = self.scene.port_at(scene_pos)
        if port is not None:
            return None if port == self.origin else port
        node = self.scene.node_at(scene_pos)
        if node is None or node.node_id == self.origin.node_id:
            return None
        # Dropped on a card: its first free input, or its first output when wiring backwards.
        if self.origin.is_output:
            if node.port_count(False) == 0:
                return PortRef(node.node_id, 0, False)
            return PortRef(node.node_id, self.scene.editor.next_free_port(node.node_id), False)
        return PortRef(node.node_id, 0, True)

    def _edge_to(self, target: PortRef) -> tuple[Edge | None, str | None]:
        if target.is_output == self.origin.is_output:
            side = "output" if target.is_output else "input"
            return None, f"cannot connect an {side} to another {side}: drag from an output to an input"
        source, sink = (self.origin, target) if self.origin.is_output else (target, self.origin)
        doc = self.scene.doc
        if doc.spec_for(doc.nodes[sink.node_id].type).max_inputs == 0:
            return None, f"{doc.nodes[sink.node_id].type} '{sink.node_id}' takes no input"
        edge = Edge(source.node_id, sink.node_id, source.index, sink.index)
        try:
            doc.check_edge(edge)
        except EditError as err:
            return None, str(err)
        return edge, None

    def _mark(self, node: NodeItem | None, port: PortRef | None, state: str | None) -> None:
        if self._marked is not None and self._marked is not node and isValid(self._marked):
            self._marked.mark_port(None, None)
        self._marked = node
        if node is not None:
            node.mark_port(port, state)


def wiring_choices(editor, source: str) -> list[Choice]:
    """The nodes ``source``'s output may feed, for Connect Output To…: those with
    a free input and not upstream of it (a loop), nodes with no input wired first."""
    doc = editor.doc
    upstream, todo = set(), [source]
    while todo:
        for edge in doc.in_edges(todo.pop()):
            if edge.source not in upstream:
                upstream.add(edge.source)
                todo.append(edge.source)
    fed = {edge.target for edge in doc.edges if edge.source == source}
    choices = []
    for node_id, node in doc.nodes.items():
        spec = doc.spec_for(node.type)
        wired = len(doc.in_edges(node_id))
        full = spec.max_inputs is not None and wired >= spec.max_inputs
        if node_id == source or node_id in upstream or node_id in fed or full:
            continue
        choices.append((wired > 0, Choice(node_id, f"{node_id}  ·  {node.type}",
                                          f"Wire {source} → {node_id} ({spec.category})", spec.category)))
    return [choice for _, choice in sorted(choices, key=lambda c: c[0])]
