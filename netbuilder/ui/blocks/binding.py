"""Inside a block: a field that can hold a value or a ``$parameter`` of the block.

Beside each parameter field of an inner node the inspector shows a small
``$`` button: its menu lists the block's declared parameters that the field
can take, and "A value" to go back to a number. While the field refers to a
parameter, the value widget is replaced by the reference (``$channels``), so
nothing on screen suggests a number the instances do not use.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QToolButton, QWidget

from ...core.blockparams import reference
from ...core.errors import ParamError
from ...core.params import ParamSpec
from ..inspector_fields import Field


class BoundField(Field):
    """A :class:`Field` of an inner node of a block, with its ``$`` button."""

    def __init__(self, inner: Field, editor):
        box = QWidget()
        super().__init__(inner.spec, box)
        self.inner, self.editor = inner, editor
        self.reference_label = QLabel(objectName="parameterReference")
        self.reference_label.setProperty("role", "mono")
        self.button = QToolButton(box, text="$", objectName="bindParameter")
        self.button.setToolTip("Use one of the block's parameters here (each instance sets it), or a value")
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self.button)
        self.button.setMenu(self.menu)
        self.menu.aboutToShow.connect(self._fill_menu)
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(inner.widget, 1)
        layout.addWidget(self.reference_label, 1)
        layout.addWidget(self.button)
        inner.committed.connect(self.committed)
        inner.refused.connect(self.refused)
        self._value: Any = None

    @property
    def declared(self) -> dict[str, ParamSpec]:
        """The parameters of the block on show, as they are now."""
        return self.editor.doc.parameters

    def fitting(self) -> list[str]:
        """The declared parameters whose default this field accepts."""
        names = []
        for name, declared in self.declared.items():
            try:
                self.spec.validate(declared.default)
            except ParamError:
                continue
            names.append(name)
        return names

    def _fill_menu(self) -> None:
        self.menu.clear()
        current = reference(self._value)
        for name in self.fitting():
            action = self.menu.addAction(f"${name}", lambda n=name: self.committed.emit(f"${n}"))
            action.setCheckable(True)
            action.setChecked(name == current)
        if not self.declared:
            self.menu.addAction("The block declares no parameter yet").setEnabled(False)
        elif not self.fitting():
            self.menu.addAction(f"No parameter of the block fits {self.spec.name}").setEnabled(False)
        self.menu.addSeparator()
        back = self.menu.addAction("A value", self._use_value)
        back.setEnabled(current is not None)

    def _use_value(self) -> None:
        name = reference(self._value)
        declared = self.declared.get(name)
        self.committed.emit(declared.default if declared is not None else self.spec.default)

    def _display(self, value: Any) -> None:
        self._value = value
        name = reference(value)
        self.inner.widget.setVisible(name is None)
        self.reference_label.setVisible(name is not None)
        if name is None:
            self.inner.show_value(value)
        else:
            self.reference_label.setText(value)

    def set_invalid(self, invalid: bool) -> None:
        self.inner.set_invalid(invalid)

    def is_editing(self) -> bool:
        return self.inner.is_editing()


def bindable(field: Field, editor) -> Field:
    """``field`` with a ``$`` button when ``editor`` shows a block definition, else itself."""
    return BoundField(field, editor) if editor.doc.is_definition else field
