"""Undo commands of block edits.

Like every command they name the graph they edit (the top document or a
block, by name: :class:`~netbuilder.ui.commands.DocumentCommand`) and hold
plain data: a :class:`netbuilder.core.blocks.Plan` (its definitions are
detached copies, never the ones in the document) or a definition's copy.
"""

from __future__ import annotations

from ...core import blocks
from ...core.document import GraphDocument
from ..commands import DocumentCommand, drop_search_targets, restore_search_targets


class PlanCommand(DocumentCommand):
    """Group, ungroup, make unique: apply a plan; undo applies the inverse it returned.
    Search targets of the nodes a plan takes away go with them (and come back on undo)."""

    def __init__(self, doc: GraphDocument, plan: blocks.Plan, text: str):
        super().__init__(doc, text)
        self.plan, self._inverse, self._search = plan, None, None

    def redo(self):
        self._inverse = blocks.apply(self.doc, self.plan)
        self._search = drop_search_targets(self.top)

    def undo(self):
        self.plan = blocks.apply(self.doc, self._inverse)
        restore_search_targets(self.top, self._search)


class SetBlockCommand(DocumentCommand):
    """Replace the definition of one block (its declared parameters, its description)."""

    def __init__(self, doc: GraphDocument, name: str, definition: GraphDocument, text: str):
        super().__init__(doc.library, text)
        self.name, self.new, self.old, self._search = name, definition, None, None

    def redo(self):
        self.old = self.doc.set_block(self.name, self.new.copy())
        self._search = drop_search_targets(self.top)  # a parameter no longer declared varies no more

    def undo(self):
        if self.old is not None:  # None: its redo was refused (see BlockEdits.declare_parameters)
            self.new = self.doc.set_block(self.name, self.old)
            restore_search_targets(self.top, self._search)


class RenameBlockCommand(DocumentCommand):
    """Rename a block and the type of every instance of it."""

    def __init__(self, doc: GraphDocument, old: str, new: str):
        super().__init__(doc.library, f"Rename block {old} → {new}")
        self.old, self.new = old, new

    def redo(self):
        self.doc.rename_block(self.old, self.new)

    def undo(self):
        self.doc.rename_block(self.new, self.old)
