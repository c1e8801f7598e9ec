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
    """A checkbox for the node ``node_id()`` names (it follows renames)."""

    def __init__(self, editor, node_id: Callable[[], str], parent=None):
        super().__init__("Freeze weights while training", parent, objectName="freeze")
        self.editor, self.node_id = editor, node_id
        self.setToolTip(TIP)
        self.show_state()
        self.toggled.connect(self._toggled)
        editor.documentChanged.connect(self._changed)

    def show_state(self) -> None:
        self.blockSignals(True)
        self.setChecked(self.node_id() in frozen_nodes(self.editor.doc))
        self.blockSignals(False)

    def _changed(self, change) -> None:
        if change.kind in ("meta_changed", "reset", "renamed"):
            self.show_state()

    def _toggled(self, on: bool) -> None:
        node = self.node_id()
        freeze = [n for n in frozen_nodes(self.editor.doc) if n != node] + ([node] if on else [])
        self.editor.set_training({**(self.editor.doc.training or {}), "freeze": freeze})
