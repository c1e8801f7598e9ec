"""Hook the live preview into a :class:`~netbuilder.ui.main_window.MainWindow`.

``install_preview(window)`` adds View → Preview (and a tool-bar toggle), the
sample picker over the canvas (shown while the preview is on), and keeps the
preview's weights current: random before any run, the newest ``last.pt`` while
a run trains (refreshed each epoch), the run's best after it ends.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

from ...train.events import CheckpointSaved
from .icon import eye_icon
from .layer import PreviewLayer
from .picker import SamplePicker

SHORTCUT = "Ctrl+Shift+V"


class PreviewHook(QObject):
    """Everything :func:`install_preview` added to one window."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.layer = PreviewLayer(window.editor, window.view, self._base_dir, parent=self)
        self.action = QAction("&Preview", window, checkable=True)
        self.action.setShortcut(QKeySequence(SHORTCUT))
        tip = "Show every node's output for a real sample (hover a picture for details)"
        self.action.setToolTip(f"{tip} ({SHORTCUT})")
        self.action.setStatusTip(tip)
        self.action.setIcon(eye_icon())
        self.action.toggled.connect(self.set_enabled)
        window.addAction(self.action)
        self.picker = SamplePicker(window.view)
        self.picker.sampleChosen.connect(self.layer.set_sample)
        self.layer.updated.connect(self._updated)
        menus = getattr(getattr(window, "action_set", None), "menus", {})
        if "View" in menus:
            menus["View"].insertAction(menus["View"].actions()[0], self.action)
        if hasattr(window, "add_toolbar_action"):
            window.add_toolbar_action(self.action)
        training = getattr(window, "training", None)
        if training is not None:
            training.controller.events.connect(self._training_events)
            training.controller.ended.connect(self._run_ended)
        window.destroyed.connect(self.layer.close)

    def _base_dir(self) -> str | None:
        path = getattr(self.window, "path", None)
        return str(Path(path).resolve().parent) if path else None

    def set_enabled(self, on: bool) -> None:
        if self.action.isChecked() != on:
            self.action.setChecked(on)  # comes back here through toggled
            return
        self.picker.show_picker(on)
        self.layer.set_enabled(on)

    def _updated(self, result) -> None:
        self.picker.show_result(result)
        if result.error and hasattr(self.window, "statusBar"):
            self.window.statusBar().showMessage(f"Preview: {result.error}", 8000)

    def _training_events(self, batch: list) -> None:
        saved = [e for e in batch if isinstance(e, CheckpointSaved) and e.kind == "last"]
        if saved:
            self.layer.set_weights(saved[-1].path)

    def _run_ended(self) -> None:
        best = self.window.training.trained_checkpoint()
        if best is not None:
            self.layer.set_weights(str(best))


def install_preview(window) -> PreviewHook:
    return PreviewHook(window)
