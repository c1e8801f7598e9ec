"""File → Load Weights From Run…: the next run starts from an earlier run's weights.

The dialog lists this graph's runs (the folders the Runs tab shows) and offers
any checkpoint file instead. What is chosen is checked at once against the
graph as it is now, mapped by node id like a resumed edited run
(:mod:`netbuilder.train.initial_weights`), and the user is told which nodes take
the weights and which stay as initialised. Nothing else changes: the document
is not edited (so there is nothing to undo), and the next Train sends the
source to the engine, which maps it again onto the graph as it is by then. A
file that cannot be read is refused in the dialog, which stays open.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .. import theme

CHECKPOINT_FILTER = "Checkpoints (*.pt *.pth);;All files (*)"


def ask_checkpoint_path(parent) -> str | None:
    """A checkpoint file to load weights from (the seam tests replace)."""
    from PySide6.QtWidgets import QFileDialog

    from ..files import last_directory

    path, _ = QFileDialog.getOpenFileName(parent, "Load weights from a checkpoint", last_directory(),
                                          CHECKPOINT_FILTER)
    return path or None


class LoadWeightsDialog(QDialog):
    """Pick a run (or a checkpoint file); ``chosen`` says which. Shown with ``open()``."""

    chosen = Signal(str)

    def __init__(self, runs: list, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Load Weights From Run")
        self.setObjectName("loadWeightsDialog")
        self.runs = [run for run in runs if run.best_weights is not None]
        intro = QLabel("The next Train starts from the chosen weights. Each layer takes the weights of the node "
                       "with its id if their shapes match; new or reshaped layers start as initialised. Freeze "
                       "layers in the inspector to keep them as loaded (fine-tuning).")
        intro.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Run", "Kept weights", "Epochs", "Data"])
        self.tree.setRootIsDecorated(False)
        for run in self.runs:
            item = QTreeWidgetItem([run.name, run.outcome.short_text() if run.history else "", str(len(run.history)),
                                    run.data])
            item.setToolTip(0, str(run.path))
            self.tree.addTopLevelItem(item)
        for column in range(4):
            self.tree.resizeColumnToContents(column)
        if self.runs:
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self.tree.itemDoubleClicked.connect(lambda *_: self.load_selected())
        self.empty = QLabel("This graph has no runs with saved weights yet: choose a checkpoint file.")
        self.empty.setVisible(not self.runs)
        self.message = QLabel("", objectName="loadWeightsMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.file_button = QPushButton("Checkpoint File…")
        self.file_button.setToolTip("A .pt file: a run's best.pt / last.pt, an exported model's weights, "
                                    "an imported model's .weights.pt")
        self.file_button.clicked.connect(self.choose_file)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.load_button = self.buttons.addButton("Load", QDialogButtonBox.ButtonRole.AcceptRole)
        self.load_button.setEnabled(bool(self.runs))
        self.load_button.clicked.connect(self.load_selected)
        self.buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.file_button)
        row.addStretch(1)
        row.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.message)
        layout.addLayout(row)
        self.resize(560, 340)

    def load_selected(self) -> None:
        index = self.tree.indexOfTopLevelItem(self.tree.currentItem()) if self.tree.currentItem() else -1
        if 0 <= index < len(self.runs):
            self.chosen.emit(str(self.runs[index].path))

    def choose_file(self) -> None:
        path = ask_checkpoint_path(self)
        if path:
            self.chosen.emit(path)

    def refuse(self, text: str) -> None:
        """Say why the choice cannot be loaded; the dialog stays open for another."""
        self.message.setStyleSheet(f"color: {theme.current().error};")
        self.message.setText(text)
        self.layout().activate()  # the wrapped lines get their height now, not at the next resize


class StartingWeights(QWidget):
    """The Training panel's line saying what the next run starts from, with Forget."""

    def __init__(self, controller, say, say_error, parent: QWidget | None = None):
        super().__init__(parent, objectName="startingWeights")
        self.controller, self.say, self.say_error = controller, say, say_error
        self.last_error = ""
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.forget_button = QPushButton("Forget")
        self.forget_button.setToolTip("Start the next run from freshly initialised weights")
        self.forget_button.clicked.connect(self.forget)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.forget_button)
        self.sync()

    def load(self, source: str) -> bool:
        """Check ``source`` against the graph and keep it for the next run; False (saying why) if
        it cannot be read or no node's weights fit. A refusal changes nothing."""
        from ...core.errors import NetbuilderError
        from ...train.initial_weights import loaded_text, plan_load

        name = Path(source).name
        try:
            moved, _ = plan_load(self.controller.editor.doc, source)
        except (NetbuilderError, OSError) as err:
            self.last_error = f"Cannot load weights from {name}: {_without_path(str(err))}"
            self.say_error(self.last_error)
            return False
        if not moved.kept:
            self.last_error = f"Cannot load weights from {name}: " + loaded_text(name, moved)
            self.say_error(self.last_error)
            return False
        self.controller.initial_weights = str(source)
        self.sync(loaded_text(name, moved))
        self.say(f"The next Train starts from {name}: " + loaded_text(name, moved))
        return True

    def forget(self) -> None:
        self.controller.initial_weights = None
        self.sync()
        self.say("The next Train starts from freshly initialised weights")

    def sync(self, text: str | None = None) -> None:
        """Show the line while the next run has weights to start from."""
        source = self.controller.initial_weights
        if source is not None and text is not None:
            self.label.setText(f"Next run starts from weights: {text}")
        self.label.setToolTip(source or "")
        self.setVisible(source is not None)


def _without_path(message: str) -> str:
    """An error's text without the file path it starts with (the dialog names the file)."""
    head, sep, rest = message.partition(": ")
    return rest if sep and ("/" in head or "\\" in head) else message
