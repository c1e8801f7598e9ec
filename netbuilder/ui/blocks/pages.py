"""What the inspector shows of blocks.

- :class:`InstanceSection`, under an instance's parameters (its declared
  parameters and ``repeat`` are ordinary fields, from the block's spec): how
  many instances share the block, Open block and Make unique.
- :class:`DefinitionPage`, inside a block with nothing selected: the block's
  description and its declared parameters (name, kind, default), which inner
  fields then take with their ``$`` button (:mod:`.binding`).

Both edit through the :class:`~.scope.ScopeEditor`, one undo step each; a
refusal shows in red under what was edited.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from ...core.blockparams import DECLARED_KINDS, declaration
from ...core.errors import NetbuilderError
from ...core.library import BLOCK_CATEGORY
from .. import theme


def _label(text: str = "", role: str | None = None, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    if role:
        label.setProperty("role", role)
    label.setWordWrap(wrap)
    return label


def instances_text(editor, block: str) -> str:
    count = editor.instance_count(block)
    return f"{count} instance{'s' if count != 1 else ''} use{'s' if count == 1 else ''} {block}"


class InstanceSection(QWidget):
    """Open block / Make unique, under a block instance's parameters."""

    def __init__(self, editor, node_id: str):
        super().__init__(objectName="instanceSection")
        self.editor, self.node_id = editor, node_id
        block = editor.doc.nodes[node_id].type
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(_label("BLOCK", "heading"))
        self.count = _label(instances_text(editor, block), "muted")
        layout.addWidget(self.count)
        buttons = QHBoxLayout()
        self.open_button = QPushButton(f"Open {block}", objectName="openBlock")
        self.open_button.setToolTip("Show the block's inside (or double-click the node)")
        self.unique_button = QPushButton("Make unique", objectName="makeUnique")
        self.unique_button.setToolTip("Give this instance a copy of the block of its own")
        self.unique_button.setEnabled(editor.instance_count(block) > 1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.unique_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.error = _label(role="error")
        self.error.hide()
        layout.addWidget(self.error)
        self.open_button.clicked.connect(lambda: editor.enter(block, node_id))
        self.unique_button.clicked.connect(self._make_unique)

    def _make_unique(self) -> None:
        try:
            self.editor.make_unique(self.node_id)
        except NetbuilderError as err:
            self.error.setText(str(err))
            self.error.show()


class DefinitionPage(QWidget):
    """The block on show: its description and declared parameters."""

    def __init__(self, editor):
        super().__init__(objectName="definitionPage")
        self.editor = editor
        doc = editor.doc
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(6)
        head = QHBoxLayout()
        head.addWidget(_label(doc.name, "title", wrap=False))
        badge = _label("block", "badge", wrap=False)
        badge.setStyleSheet(f"background: {theme.category_color(BLOCK_CATEGORY).name()};")
        head.addWidget(badge, 0, Qt.AlignVCenter)
        head.addStretch(1)
        layout.addLayout(head)
        layout.addWidget(_label(instances_text(editor, doc.name) + ": edits here change every one.", "muted"))
        layout.addWidget(_label("NAME", "heading"))
        self.name_edit = QLineEdit(doc.name, objectName="blockName")
        self.name_edit.setToolTip("The block's type name: a Python class name, the class of the exported code")
        self.name_edit.editingFinished.connect(self._rename)
        layout.addWidget(self.name_edit)
        layout.addWidget(_label("DESCRIPTION", "heading"))
        self.description = QLineEdit(doc.doc, objectName="blockDoc", placeholderText="What the block does")
        self.description.editingFinished.connect(self._commit)
        layout.addWidget(self.description)
        layout.addWidget(_label("PARAMETERS", "heading"))
        layout.addWidget(_label("Each instance sets these; an inner field takes one with its $ button.", "muted"))
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(6)
        for column, title in enumerate(("name", "kind", "default")):
            self.grid.addWidget(_label(title, "muted", wrap=False), 0, column)
        layout.addLayout(self.grid)
        self.rows: list[tuple[str | None, QLineEdit, QComboBox, QLineEdit, dict]] = []  # old name, widgets, form
        for name, spec in doc.parameters.items():
            self._add_row(name, declaration(spec))
        self.add_button = QPushButton("Add parameter", objectName="addParameter")
        self.add_button.clicked.connect(self._add_parameter)
        layout.addWidget(self.add_button, 0, Qt.AlignLeft)
        self.error = _label(role="error")
        self.error.setObjectName("parameterError")
        self.error.hide()
        layout.addWidget(self.error)
        layout.addWidget(_label("PORTS", "heading"))
        spec = doc.spec_for(doc.name)
        ports = f"in: {', '.join(spec.input_ids) or '—'}    out: {', '.join(spec.output_ids) or '—'}"
        layout.addWidget(_label(ports, "mono"))
        layout.addStretch(1)

    def _rename(self) -> None:
        try:
            self.editor.rename_block(self.name_edit.text())
        except NetbuilderError as err:
            if isValid(self.error):
                self.error.setText(str(err))
                self.error.show()

    def _add_row(self, name: str | None, form: dict) -> None:
        row = len(self.rows) + 1
        name_edit = QLineEdit(name or "", placeholderText="channels")
        kind = QComboBox()
        kind.addItems(list(DECLARED_KINDS))
        kind.setCurrentText(form.get("kind", "int"))
        default = QLineEdit(_text(form.get("default", "")))
        remove = QToolButton(text="×")
        remove.setToolTip("Remove this parameter")
        for column, widget in enumerate((name_edit, kind, default, remove)):
            self.grid.addWidget(widget, row, column)
        self.rows.append((name, name_edit, kind, default, form))
        name_edit.editingFinished.connect(self._commit)
        default.editingFinished.connect(self._commit)
        kind.activated.connect(lambda _=0: self._commit())
        index = len(self.rows) - 1
        remove.clicked.connect(lambda _=False: self._commit(dropped=index))

    def _add_parameter(self) -> None:
        taken = {row[1].text() for row in self.rows}
        name = next(f"param{i}" if i else "param" for i in range(len(taken) + 1)
                    if (f"param{i}" if i else "param") not in taken)
        self._apply([*self._declared(), (None, name, {"kind": "int", "default": 1})])

    def _declared(self, dropped: int | None = None) -> list[tuple[str | None, str, dict]]:
        """(old name, name, declaration) of each row as typed, ``dropped`` left out."""
        out = []
        for i, (old, name_edit, kind, default, form) in enumerate(self.rows):
            if i == dropped:
                continue
            chosen = kind.currentText()
            declared = {k: v for k, v in form.items() if k not in ("kind", "default")} if chosen == form.get(
                "kind") else {}
            declared.update(kind=chosen, default=_parse(chosen, default.text()))
            out.append((old, name_edit.text().strip(), declared))
        return out

    def _commit(self, dropped: int | None = None) -> None:
        self._apply(self._declared(dropped))

    def _apply(self, declared: list[tuple[str | None, str, dict]]) -> None:
        try:
            self.editor.declare_parameters(declared, self.description.text().strip())
        except NetbuilderError as err:
            if isValid(self.error):  # else the page was shown again meanwhile
                self.error.setText(str(err))
                self.error.show()


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parse(kind: str, text: str):
    """A typed default as its kind's value; text that is not one stays text, for the check to refuse."""
    text = text.strip()
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
    except ValueError:
        return text
    if kind == "bool":
        return {"true": True, "false": False, "1": True, "0": False}.get(text.lower(), text)
    return text
