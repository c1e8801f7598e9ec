"""One input widget per parameter kind, for the inspector.

A field only turns what the person typed into a plain value and says so with
:attr:`Field.committed`; it never writes the document. Text it cannot even
parse is reported with :attr:`Field.refused`. The inspector hands committed
values to the editor, whose validation has the last word, and shows any
refusal under the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox, QWidget

from ..core.params import BOOL, CHOICE, FLOAT, INT, INTS, STR, ParamSpec

INT_LIMIT = 2**31 - 1  # QSpinBox holds a C int


def mark_invalid(widget: QWidget, invalid: bool) -> None:
    """Red border through the ``invalid`` property the themes style."""
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class UndoPassThrough(QObject):
    """Lets the window's Undo/Redo through a text widget holding nothing new.

    Text widgets claim Ctrl+Z for their own undo. With nothing typed there is
    nothing of theirs to undo, so changing a value and pressing Ctrl+Z must
    undo the document edit, not silently do nothing.
    """

    def __init__(self, widget: QWidget, is_editing: Callable[[], bool]):
        super().__init__(widget)
        self.is_editing = is_editing
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.ShortcutOverride and not self.is_editing():
            if event.matches(QKeySequence.Undo) or event.matches(QKeySequence.Redo):
                event.ignore()
                return True
        return False


class Field(QObject):
    """The widget for one :class:`ParamSpec` and its value conversions."""

    committed = Signal(object)  # a value for the editor to validate
    refused = Signal(str)  # why the text is not even a value

    def __init__(self, spec: ParamSpec, widget: QWidget):
        super().__init__(widget)
        self.spec = spec
        self.widget = widget
        UndoPassThrough(widget, self.is_editing)

    def show_value(self, value: Any) -> None:
        """Display the document's value without emitting anything."""
        self.widget.blockSignals(True)
        try:
            self._display(value)
        finally:
            self.widget.blockSignals(False)

    def set_invalid(self, invalid: bool) -> None:
        mark_invalid(self.widget, invalid)

    def is_editing(self) -> bool:
        """True while the widget holds text not yet committed."""
        return False

    def _display(self, value: Any) -> None:
        raise NotImplementedError


class IntField(Field):
    """A spin box bounded by the spec's range; keyboard typing commits on Enter."""

    def __init__(self, spec: ParamSpec):
        box = QSpinBox(keyboardTracking=False)
        low = int(spec.minimum) if spec.minimum is not None else -INT_LIMIT
        high = int(spec.maximum) if spec.maximum is not None else INT_LIMIT
        box.setRange(low, high)
        super().__init__(spec, box)
        self._shown = 0
        box.valueChanged.connect(self.committed.emit)

    def is_editing(self) -> bool:
        return self.widget.text() != self.widget.textFromValue(self._shown)

    def _display(self, value: Any) -> None:
        self._shown = int(value)
        self.widget.setValue(self._shown)


class BoolField(Field):
    def __init__(self, spec: ParamSpec):
        super().__init__(spec, QCheckBox())
        self.widget.toggled.connect(self.committed.emit)

    def _display(self, value: Any) -> None:
        self.widget.setChecked(bool(value))


class ChoiceField(Field):
    def __init__(self, spec: ParamSpec):
        combo = QComboBox()
        for choice in spec.choices:
            combo.addItem(str(choice), choice)
        super().__init__(spec, combo)
        combo.activated.connect(lambda index: self.committed.emit(combo.itemData(index)))

    def _display(self, value: Any) -> None:
        self.widget.setCurrentIndex(max(0, self.widget.findData(value)))


class TextField(Field):
    """A line edit for numbers and integer lists; empty means ``None`` when
    the parameter is optional."""

    def __init__(self, spec: ParamSpec):
        edit = QLineEdit()
        if spec.optional:
            edit.setPlaceholderText("None")
        super().__init__(spec, edit)
        self._shown = ""
        edit.editingFinished.connect(self._commit)

    def is_editing(self) -> bool:
        return self.widget.text() != self._shown

    def _display(self, value: Any) -> None:
        self._shown = format_value(self.spec, value)
        self.widget.setText(self._shown)

    def _commit(self) -> None:
        text = self.widget.text().strip()
        if not text and self.spec.optional:
            self.committed.emit(None)
            return
        try:
            value = parse_text(self.spec, text)
        except ValueError:
            self.refused.emit(f'expected {self.spec.expected()}, got "{text}"')
            return
        self.committed.emit(value)


def format_value(spec: ParamSpec, value: Any) -> str:
    """How a value reads in a line edit: ``3``, ``3, 5``, ``1e-05``, empty for None."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if spec.kind == FLOAT:
        return repr(float(value))
    return str(value)


_SEPARATORS = re.compile(r"[\s,]+")


def parse_text(spec: ParamSpec, text: str) -> Any:
    """Turn typed text into a plain value; raises ``ValueError`` on garbage.

    Range and length checks stay with :meth:`ParamSpec.validate`, so the
    message for ``0`` or ``3, 3, 3`` comes from the one place that knows.
    """
    if spec.kind == FLOAT:
        return float(text)
    if spec.kind == INT:
        return int(text)
    if spec.kind == STR:  # a block parameter of kind str
        return text
    parts = [p for p in _SEPARATORS.split(text.strip("()[] ")) if p]
    if not parts:
        raise ValueError(text)
    numbers = [int(p) for p in parts]
    if spec.kind == INTS and len(numbers) == 1:
        return numbers[0]
    return numbers


def make_field(spec: ParamSpec) -> Field:
    """The field for ``spec``: spin box, check box, combo box or line edit."""
    if spec.kind == INT and not spec.optional:
        return IntField(spec)
    if spec.kind == BOOL:
        return BoolField(spec)
    if spec.kind == CHOICE:
        return ChoiceField(spec)
    return TextField(spec)
