"""The "graph is locked while training" banner over the canvas.

A label parented to the canvas view and kept centred at its top edge, so it
shows over the graph without taking layout space from it (the canvas does
not move when a run starts). It ignores the mouse: panning and moving nodes
stay possible while it is up.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QWidget

from .. import theme

TEXT = "Training — structural edits are locked until the run ends (you can still pan, zoom and move nodes)"
PAUSED_TEXT = ("Training paused — you may edit the graph: Resume continues with the trained weights of every "
               "layer you left unchanged")


class LockBanner(QLabel):
    def __init__(self, view: QWidget):
        super().__init__(TEXT, view)
        self.setObjectName("trainingLockBanner")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        t = theme.current()
        self.setStyleSheet(f"QLabel#trainingLockBanner {{ background: {t.highlight}; color: {t.text}; "
                           f"border: 1px solid {t.accent}; border-radius: 6px; padding: 4px 12px; }}")
        self.hide()
        view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

    def set_text(self, text: str) -> None:
        self.setText(text)
        if self.isVisible():
            self._place()

    def show_banner(self, on: bool) -> None:
        self.setVisible(on)
        if on:
            self.raise_()
            self._place()

    def _place(self) -> None:
        view = self.parentWidget()
        self.adjustSize()
        width = min(self.sizeHint().width(), max(120, view.width() - 24))
        self.resize(width, self.sizeHint().height())
        self.move((view.width() - width) // 2, 10)
