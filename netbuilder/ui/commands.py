"""Undo commands: each changes the document model and holds only ids and
plain data (never Qt items), so undo works whatever the views did meanwhile.

A command made on a block definition holds the top document and the block's
name (:class:`DocumentCommand`), never the definition's object: grouping,
ungrouping and their undos replace definitions, and a later undo must still
find the one it edited.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtGui import QUndoCommand

from ..core.document import Edge, GraphDocument, Node
from ..core.search_space import prune_targets

MOVE_ID = 1
PARAM_ID = 2


class DocumentCommand(QUndoCommand):
    """A command on one graph: the top document or a block definition in it."""

    def __init__(self, doc: GraphDocument, text: str):
        super().__init__(text)
        self.top = doc.library
        self.scope = None if doc is self.top else next(n for n, d in self.top.blocks.items() if d is doc)

    @property
    def doc(self) -> GraphDocument:
        """The graph edited, looked up afresh at each redo and undo."""
        return self.top if self.scope is None else self.top.blocks[self.scope]


def drop_search_targets(top: GraphDocument) -> dict | None:
    """After nodes went: remove the search targets that name them (a saved file never names a
    node it lacks). Returns the search section before, for the undo, or None if none went."""
    pruned = prune_targets(top.search, top)
    if pruned == top.search:
        return None
    before = copy.deepcopy(top.search)
    top.set_search(pruned)
    return before


def restore_search_targets(top: GraphDocument, before: dict | None) -> None:
    """The undo of :func:`drop_search_targets`, once the nodes are back."""
    if before is not None:
        top.set_search(before)


class AddNodesCommand(DocumentCommand):
    """Add nodes (and edges among them): new node, paste, duplicate, import."""

    def __init__(self, doc: GraphDocument, nodes: list[Node], edges: list[Edge] = (), text: str = "Add node"):
        super().__init__(doc, text)
        self.nodes, self.edges = [copy.deepcopy(n) for n in nodes], list(edges)

    def redo(self):
        for node in self.nodes:
            self.doc.restore_node(node)
        for edge in self.edges:
            self.doc.connect(edge)

    def undo(self):
        for node in reversed(self.nodes):
            self.doc.remove_node(node.id)


class RemoveNodesCommand(DocumentCommand):
    """Delete nodes with their edges and the search targets naming them; undo puts all back in their old order."""

    def __init__(self, doc: GraphDocument, node_ids: list[str], text: str = "Delete"):
        super().__init__(doc, text)
        self.node_ids = [n for n in doc.nodes if n in set(node_ids)]
        self._saved: list[tuple[int, Node]] = []
        self._edges: list[tuple[int, Edge]] = []
        self._search: dict | None = None

    def redo(self):
        touching = {e for n in self.node_ids for e in (*self.doc.in_edges(n), *self.doc.out_edges(n))}
        self._edges = [(i, e) for i, e in enumerate(self.doc.edges) if e in touching]  # file order, for undo
        self._saved = [(self.doc.node_index(n), copy.deepcopy(self.doc.nodes[n])) for n in self.node_ids]
        for node_id in self.node_ids:
            self.doc.remove_node(node_id)
        self._search = drop_search_targets(self.top)

    def undo(self):
        for index, node in self._saved:
            self.doc.restore_node(node, index)
        for index, edge in self._edges:
            self.doc.connect(edge, index)
        restore_search_targets(self.top, self._search)


class ConnectCommand(DocumentCommand):
    """Wire two ports; an edge already on the input port is replaced."""

    def __init__(self, doc: GraphDocument, edge: Edge):
        super().__init__(doc, f"Connect {edge.source} → {edge.target}")
        self.edge = edge
        self._replaced: tuple[int, Edge] | None = None

    def redo(self):
        old = self.doc.feeder(self.edge.target, self.edge.target_port)
        self._replaced = (self.doc.edges.index(old), old) if old is not None else None
        self.doc.connect(self.edge)

    def undo(self):
        self.doc.disconnect(self.edge)
        if self._replaced is not None:
            self.doc.connect(self._replaced[1], self._replaced[0])


class DisconnectCommand(DocumentCommand):
    def __init__(self, doc: GraphDocument, edge: Edge):
        super().__init__(doc, f"Disconnect {edge.source} → {edge.target}")
        self.edge, self._index = edge, 0

    def redo(self):
        self._index = self.doc.edges.index(self.edge)
        self.doc.disconnect(self.edge)

    def undo(self):
        self.doc.connect(self.edge, self._index)


class SetParamCommand(DocumentCommand):
    """Change one parameter; consecutive edits of the same field merge."""

    def __init__(self, doc: GraphDocument, node_id: str, name: str, value: Any):
        super().__init__(doc, f"Set {node_id}.{name}")
        self.node_id, self.name, self.value = node_id, name, value
        self.old = copy.deepcopy(doc.node(node_id).params.get(name))

    def id(self):
        return PARAM_ID

    def mergeWith(self, other):
        if (other.scope, other.node_id, other.name) != (self.scope, self.node_id, self.name):
            return False
        self.value = other.value
        return True

    def redo(self):
        self.doc.set_param(self.node_id, self.name, self.value)

    def undo(self):
        self.doc.set_param(self.node_id, self.name, self.old)


class MoveNodesCommand(DocumentCommand):
    """Move nodes; consecutive drags of the same nodes merge into one step."""

    def __init__(self, doc: GraphDocument, moves: dict[str, tuple[tuple[float, float], tuple[float, float]]],
                 text: str = "Move", merge: bool = True):
        super().__init__(doc, text)
        self.moves, self.merge = dict(moves), merge

    def id(self):
        return MOVE_ID if self.merge else -1

    def mergeWith(self, other):
        if not other.merge or other.scope != self.scope or set(other.moves) != set(self.moves):
            return False
        self.moves = {n: (self.moves[n][0], other.moves[n][1]) for n in self.moves}
        return True

    def redo(self):
        for node_id, (_, new) in self.moves.items():
            self.doc.move_node(node_id, new)

    def undo(self):
        for node_id, (old, _) in self.moves.items():
            self.doc.move_node(node_id, old)


class RenameNodeCommand(DocumentCommand):
    def __init__(self, doc: GraphDocument, old: str, new: str):
        super().__init__(doc, f"Rename {old} → {new}")
        self.old, self.new = old, new

    def redo(self):
        self.doc.rename_node(self.old, self.new)

    def undo(self):
        self.doc.rename_node(self.new, self.old)


class SetTrainingCommand(QUndoCommand):
    """Replace the document's ``training`` settings (train dock edits)."""

    def __init__(self, doc: GraphDocument, training: dict):
        super().__init__("Change training settings")
        self.doc, self.new, self.old = doc, copy.deepcopy(training), copy.deepcopy(doc.training)

    def redo(self):
        self.doc.set_training(self.new)

    def undo(self):
        self.doc.set_training(self.old)
