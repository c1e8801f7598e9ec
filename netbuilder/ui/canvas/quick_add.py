"""Quick-add: the search popup that Tab, a double-click or a loose wire opens.

It is a child widget of the view, not a dialog, so nothing ever waits on it:
Enter emits :attr:`QuickAdd.chosen`, Esc or leaving it closes it. The same
popup searches nodes instead of layer types for Connect Output To… (C): then
it is given :class:`Choice` entries and emits the chosen one's key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from ...core.layers import LayerSpec, all_specs
from ...core.layers.search import rank_layers
from .theme import CanvasTheme, category_color

_ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class Choice:
    """One entry of a search that is not over layer types (a node to wire to)."""

    key: str  # what :attr:`QuickAdd.chosen` emits
    text: str  # shown and searched
    tip: str
    category: str  # for the colour swatch


def _swatch(colour: QColor) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawRoundedRect(1, 1, 10, 10, 3, 3)
    painter.end()
    return QIcon(pixmap)


class QuickAdd(QFrame):
    """A search field over a list of layer types."""

    chosen = Signal(str)  # the layer type to create (or the key of the chosen :class:`Choice`)
    dismissed = Signal()

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("quickAdd")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFixedWidth(270)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Add a layer…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing always goes to the search field
        self.list.setFixedHeight(220)
        self.about = QLabel(self)
        self.about.setWordWrap(True)
        self.about.setObjectName("quickAddAbout")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        for widget in (self.search, self.list, self.about):
            layout.addWidget(widget)
        self._accepts: Callable[[LayerSpec], bool] = lambda spec: True
        self._choices: list[Choice] | None = None  # None: layer types
        self.more_specs: Callable[[], list[LayerSpec]] = list  # offered besides the layers (blocks)
        self.search.textChanged.connect(self._refilter)
        self.search.installEventFilter(self)
        self.list.currentItemChanged.connect(self._describe)
        self.list.itemClicked.connect(lambda item: self._choose(item))
        self.hide()

    def open_at(self, where: QPoint, accepts: Callable[[LayerSpec], bool] | None = None,
                choices: list[Choice] | None = None, placeholder: str = "Add a layer…") -> None:
        """Show at ``where`` (parent coordinates, kept inside the parent), search emptied:
        layer types (those ``accepts`` allows), or ``choices`` when given."""
        self._accepts = accepts or (lambda spec: True)
        self._choices = choices
        self.search.setPlaceholderText(placeholder)
        self.search.clear()
        self._refilter()
        self.adjustSize()
        parent = self.parentWidget().rect()
        x = max(0, min(where.x(), parent.width() - self.width()))
        y = max(0, min(where.y(), parent.height() - self.height()))
        self.move(x, y)
        self.show()
        self.raise_()
        self.search.setFocus(Qt.FocusReason.PopupFocusReason)

    def close_popup(self) -> None:
        if self.isVisible():
            self.hide()
            self.dismissed.emit()

    def apply_theme(self, theme: CanvasTheme) -> None:
        body, border, text, muted = (c.name() for c in (theme.body, theme.border, theme.text, theme.muted))
        accent = theme.accent.name()
        self.setStyleSheet(
            f"#quickAdd {{ background: {body}; border: 1px solid {border}; border-radius: 6px; }}"
            f"QLineEdit, QListWidget {{ background: {theme.background.name()}; color: {text};"
            f" border: 1px solid {border}; border-radius: 4px; padding: 3px; }}"
            f"QListWidget::item:selected {{ background: {accent}; color: white; }}"
            f"#quickAddAbout {{ color: {muted}; }}"
        )

    def _entries(self) -> list[Choice]:
        query = self.search.text()
        if self._choices is not None:
            words = query.lower().split()
            return [c for c in self._choices if all(word in c.text.lower() for word in words)]
        return [Choice(spec.type, spec.type, f"{spec.category}: {spec.doc}", spec.category)
                for spec in rank_layers(query, [*all_specs(), *self.more_specs()]) if self._accepts(spec)]

    def _refilter(self) -> None:
        self.list.clear()
        for choice in self._entries():
            item = QListWidgetItem(_swatch(category_color(choice.category)), choice.text)
            item.setData(_ROLE, choice.key)
            item.setToolTip(choice.tip)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        else:
            self.about.setText("No layer matches." if self._choices is None else "No node matches.")

    def _describe(self, item: QListWidgetItem | None) -> None:
        self.about.setText(item.toolTip() if item is not None else "")

    def _choose(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        layer_type = item.data(_ROLE)
        self.hide()
        self.chosen.emit(layer_type)

    def _step(self, delta: int) -> None:
        if self.list.count():
            row = max(0, min(self.list.count() - 1, self.list.currentRow() + delta))
            self.list.setCurrentRow(row)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()
            steps = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -8, Qt.Key.Key_PageDown: 8}
            if key in steps:
                self._step(steps[key])
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._choose(self.list.currentItem())
                return True
            if key == Qt.Key.Key_Escape:
                self.close_popup()
                return True
            if key == Qt.Key.Key_Tab:
                return True  # keep focus here instead of tabbing out
        elif event.type() == QEvent.Type.FocusOut and event.reason() not in (
            Qt.FocusReason.PopupFocusReason, Qt.FocusReason.ActiveWindowFocusReason
        ):
            self.close_popup()
        return super().eventFilter(watched, event)
