"""The inspector's "Freeze" checkbox: the node's weights stay as they are while training.

It edits the training settings' ``freeze`` list (which training and the
exported script already honour) through the editor, so it is one undoable
step, and follows that list when it changes elsewhere (undo, the settings
form, another document).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QCheckBox

TIP = ("Keep this layer's weights as they are while training (fine-tuning: load weights, freeze, "
       "train the rest). Saved in the training settings' freeze list.")


def frozen_nodes(doc) -> list[str]:
    return list((doc.training or {}).get("freeze", []))


class FreezeBox(QCheckBox):
    """A checkbox for the node ``node_id()`` names (it follows renames).

    Inside a block definition it freezes that node in every instance of the block
    (the entry ``Block/node``, see :mod:`netbuilder.core.freeze`): an edit inside a
    definition is one of every instance. One use only is a module path
    (``layer2.0.conv1``) typed in the training settings' freeze list.
    """

    def __init__(self, editor, node_id: Callable[[], str], parent=None):
        self.block = getattr(editor, "block", None)  # the definition on show, None at the top
        text = f"Freeze in every {self.block} while training" if self.block else "Freeze weights while training"
        super().__init__(text, parent, objectName="freeze")
        self.editor, self.node_id = editor, node_id
        self.top = getattr(editor, "top", editor)  # the training settings are the whole graph's
        self.setToolTip(TIP)
        self.show_state()
        self.toggled.connect(self._toggled)
        self.top.documentChanged.connect(self._changed)
        if self.top is not editor:
            editor.documentChanged.connect(self._changed)  # a rename inside the block

    def entry(self) -> str:
        """What the freeze list holds for this node."""
        return f"{self.block}/{self.node_id()}" if self.block else self.node_id()

    def show_state(self) -> None:
        self.blockSignals(True)
        self.setChecked(self.entry() in frozen_nodes(self.top.doc))
        self.blockSignals(False)

    def _changed(self, change) -> None:
        if change.kind in ("meta_changed", "reset", "renamed"):
            self.show_state()

    def _toggled(self, on: bool) -> None:
        entry = self.entry()
        freeze = [n for n in frozen_nodes(self.top.doc) if n != entry] + ([entry] if on else [])
        self.top.set_training({**(self.top.doc.training or {}), "freeze": freeze})
