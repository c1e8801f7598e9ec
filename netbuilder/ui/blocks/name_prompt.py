"""The name prompt of Group into Block (Ctrl+G): a child of the canvas, never a dialog.

Like quick-add it waits on nothing: Enter emits :attr:`NamePrompt.accepted`
with the name if the check passes, else the reason shows under the field and
the prompt stays; Esc (or clicking elsewhere on the canvas) closes it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ..inspector_fields import mark_invalid


class NamePrompt(QFrame):
    """A line edit for a block type name, checked as it is typed."""

    accepted = Signal(str)
    dismissed = Signal()

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("namePrompt")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setFixedWidth(300)
        self.title = QLabel(self)
        self.edit = QLineEdit(self, objectName="blockName")
        self.edit.setPlaceholderText("BasicBlock")
        self.problem = QLabel(self, objectName="blockNameProblem")
        self.problem.setProperty("role", "error")
        self.problem.setWordWrap(True)
        self.ok = QPushButton("Group", self)
        cancel = QPushButton("Cancel", self)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.ok)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(4)
        for widget in (self.title, self.edit, self.problem):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self._check: Callable[[str], str | None] = lambda name: None
        self.edit.textChanged.connect(self._recheck)
        self.edit.installEventFilter(self)
        self.ok.clicked.connect(self._accept)
        cancel.clicked.connect(self.close_prompt)
        self.hide()

    def open_at(self, where: QPoint, title: str, suggestion: str, check: Callable[[str], str | None],
                action: str = "Group") -> None:
        """Show at ``where`` (parent coordinates, kept inside the parent); ``check``
        returns why a name is refused, or None."""
        self._check = check
        self.title.setText(title)
        self.ok.setText(action)
        self.edit.setText(suggestion)
        self.edit.selectAll()
        self._recheck()
        self.adjustSize()
        parent = self.parentWidget().rect()
        self.move(max(0, min(where.x(), parent.width() - self.width())),
                  max(0, min(where.y(), parent.height() - self.height())))
        self.show()
        self.raise_()
        self.edit.setFocus(Qt.FocusReason.PopupFocusReason)

    def close_prompt(self) -> None:
        if self.isVisible():
            self.hide()
            self.dismissed.emit()

    def _recheck(self) -> str | None:
        problem = self._check(self.edit.text().strip())
        self.problem.setText(problem or "")
        self.problem.setVisible(bool(problem))
        mark_invalid(self.edit, bool(problem))
        self.ok.setEnabled(not problem)
        self.adjustSize()
        return problem

    def _accept(self) -> None:
        if self._recheck() is None:
            name = self.edit.text().strip()
            self.hide()
            self.accepted.emit(name)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._accept()
                return True
            if event.key() == Qt.Key.Key_Escape:
                self.close_prompt()
                return True
        return super().eventFilter(watched, event)
