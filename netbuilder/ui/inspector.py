"""The inspector: the selected node's id, parameters, shapes and problems.

It is a view of the document like the canvas: it redraws from the document
when :attr:`Editor.documentChanged` says its node changed (undo included) and
from :attr:`Editor.shapesChanged` for shapes. Edits go through ``Editor.
set_param`` / ``rename_node``; a value the editor refuses is shown in red
under its field and the document stays as it was.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ..core.document import Change
from ..core.errors import EditError, NetbuilderError
from ..core.report import ShapeReport
from . import theme
from .blocks.binding import bindable
from .blocks.pages import DefinitionPage, InstanceSection
from .editor import Editor
from .freeze_box import FreezeBox
from .inspector_fields import Field, UndoPassThrough, make_field, mark_invalid
from .scroll import FittedScrollArea
from .search.vary import bypass_row, vary_node_field


def _label(text: str = "", role: str | None = None, wrap: bool = False) -> QLabel:
    label = QLabel(text)
    if role:
        label.setProperty("role", role)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextSelectableByMouse)
    return label


class _FieldRow(QWidget):
    """An input with its error message underneath, hidden while all is well."""

    def __init__(self, editor_widget: QWidget):
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(editor_widget)
        self.error = _label(role="error", wrap=True)
        self.error.hide()
        layout.addWidget(self.error)

    def show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))


class Inspector(FittedScrollArea):
    """Shows one node; empty (with a hint) when zero or several are selected."""

    def __init__(self, editor: Editor, parent: QWidget | None = None):
        super().__init__(parent)
        self.editor = editor
        self.node_id: str | None = None
        self.fields: dict[str, Field] = {}
        self.rows: dict[str, _FieldRow] = {}
        self.section_makers: list = []  # node id -> a widget or None: sections others add (training's history)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        editor.documentChanged.connect(self._on_document_changed)
        editor.shapesChanged.connect(self._show_shapes)
        self.show_selection([])

    # -- what to show ----------------------------------------------------------
    def show_selection(self, node_ids: list[str]) -> None:
        if len(node_ids) == 1 and node_ids[0] in self.editor.doc.nodes:
            self.show_node(node_ids[0])
        elif node_ids:
            self._show_message(f"{len(node_ids)} nodes selected", "Select a single node to edit its parameters.")
        elif self.editor.doc.is_definition:  # inside a block, nothing selected: the block itself
            self._discard_page()
            self.node_id = None
            self.setWidget(DefinitionPage(self.editor))
        else:
            self._show_message("No node selected", "Click a node on the canvas to see and edit its parameters.")

    def show_node(self, node_id: str) -> None:
        self._discard_page()
        self.node_id = node_id
        node = self.editor.doc.node(node_id)
        spec = self.editor.doc.spec_for(node.type)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(6)
        layout.addLayout(self._header(spec.type, spec.category))
        layout.addWidget(_label(spec.doc, "muted", wrap=True))

        form = self._form(layout, "NODE")
        self.id_edit = QLineEdit(node_id, objectName="node_id")
        self.id_edit.setToolTip("The node's id: unique, used as the attribute name in exported code")
        self.id_row = _FieldRow(self.id_edit)
        UndoPassThrough(self.id_edit, lambda: self.id_edit.text() != self.node_id)
        self.id_edit.editingFinished.connect(self._rename)
        form.addRow("id", self.id_row)
        if spec.has_state:  # a layer with weights can be frozen for training
            form.addRow("", FreezeBox(self.editor, lambda: self.node_id, page))
        skip = bypass_row(self.editor, node_id)  # a search may try the graph without it
        if skip is not None:
            form.addRow("bypass", _FieldRow(skip))

        if spec.params:
            form = self._form(layout, "PARAMETERS")
        for param in spec.params:
            field = bindable(make_field(param), self.editor)  # inside a block: or a $parameter
            field.show_value(node.params.get(param.name, param.default))
            field.committed.connect(lambda value, name=param.name: self._apply(name, value))
            field.refused.connect(lambda message, name=param.name: self._refuse(name, message))
            value_of = partial(self._value, param.name)
            row = _FieldRow(vary_node_field(self.editor, node_id, param, field.widget, value_of))
            name_label = QLabel(param.name)
            name_label.setToolTip(f"{param.doc}\nExpects {param.expected()}.".strip())
            field.widget.setToolTip(name_label.toolTip())
            form.addRow(name_label, row)
            self.fields[param.name], self.rows[param.name] = field, row

        if self.editor.doc.is_block(node.type):
            layout.addWidget(InstanceSection(self.editor, node_id))
        self.shapes_form = self._form(layout, "SHAPES")
        self.problems_box = QVBoxLayout()
        self.problems_box.setSpacing(4)
        layout.addLayout(self.problems_box)
        for make in self.section_makers:
            if (section := make(node_id)) is not None:
                layout.addWidget(section)
        layout.addStretch(1)
        self.setWidget(page)
        self._show_shapes(self.editor.report)

    def _header(self, title: str, category: str) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(_label(title, "title"))
        badge = _label(category, "badge")
        badge.setStyleSheet(f"background: {theme.category_color(category).name()};")
        row.addWidget(badge, 0, Qt.AlignVCenter)
        row.addStretch(1)
        return row

    @staticmethod
    def _form(layout: QVBoxLayout, heading: str) -> QFormLayout:
        layout.addWidget(_label(heading, "heading"))
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignLeft | Qt.AlignVCenter)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(6)
        layout.addLayout(form)
        return form

    def _show_message(self, title: str, hint: str) -> None:
        self._discard_page()
        self.node_id = None
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(16, 24, 16, 16)
        layout.addWidget(_label(title, "title"), 0, Qt.AlignHCenter)
        hint_label = _label(hint, "muted", wrap=True)
        hint_label.setAlignment(Qt.AlignHCenter)
        layout.addWidget(hint_label)
        layout.addStretch(1)
        self.setWidget(page)

    def _discard_page(self) -> None:
        """Silence the old widgets first: a focused line edit being deleted
        would otherwise report 'editing finished' for a node no longer shown."""
        for field in self.fields.values():
            field.widget.blockSignals(True)
        if self.node_id is not None:
            self.id_edit.blockSignals(True)
        self.fields, self.rows = {}, {}

    # -- edits -------------------------------------------------------------------
    def _value(self, name: str):
        node = self.editor.doc.nodes[self.node_id]
        return node.params.get(name, self.editor.doc.spec_for(node.type).param(name).default)

    def _apply(self, name: str, value) -> None:
        node_id = self.node_id
        try:
            self.editor.set_param(node_id, name, value)
        except NetbuilderError as err:
            self._refuse(name, getattr(err, "detail", str(err)))
            return
        if node_id == self.node_id and name in self.rows:
            self.rows[name].show_error(None)
            self.fields[name].set_invalid(False)
            self.fields[name].show_value(self.editor.doc.nodes[node_id].params.get(name))

    def _refuse(self, name: str, message: str) -> None:
        if name in self.rows:
            self.rows[name].show_error(message)
            self.fields[name].set_invalid(True)

    def _rename(self) -> None:
        try:
            self.editor.rename_node(self.node_id, self.id_edit.text())
        except EditError as err:
            self.id_row.show_error(str(err))
            mark_invalid(self.id_edit, True)
        else:
            self.id_row.show_error(None)
            mark_invalid(self.id_edit, False)

    # -- following the document ------------------------------------------------------
    def _on_document_changed(self, change: Change) -> None:
        if self.node_id is None:
            if change.kind == "reset" or (change.kind == "blocks_changed" and change.inner is None
                                          and self.editor.doc.is_definition):
                self.show_selection([])  # another graph on show, or the block on show redefined
            return
        if change.kind == "renamed" and change.ids[0] == self.node_id:
            self.node_id = change.ids[1]
            self.id_edit.setText(self.node_id)
        elif change.kind == "reset" or (change.kind == "node_removed" and change.ids[0] == self.node_id):
            if self.node_id in self.editor.doc.nodes:
                self.show_node(self.node_id)
            else:
                self.show_selection([])
        elif change.kind == "params_changed" and change.ids[0] == self.node_id:
            params = self.editor.doc.nodes[self.node_id].params
            for name, field in self.fields.items():
                field.show_value(params.get(name, field.spec.default))
                self.rows[name].show_error(None)
                field.set_invalid(False)

    def _show_shapes(self, report: ShapeReport) -> None:
        if self.node_id is None or self.node_id not in self.editor.doc.nodes:
            return
        info = report.nodes.get(self.node_id)
        while self.shapes_form.rowCount():
            self.shapes_form.removeRow(0)
        inputs = "\n".join(t.text() for t in info.inputs) if info and info.inputs else "—"
        outputs = "\n".join(t.text() for t in info.outputs) if info and info.outputs else "—"
        self.shapes_form.addRow("input", _label(inputs, "mono"))
        self.shapes_form.addRow("output", _label(outputs, "mono"))
        self.shapes_form.addRow("parameters", _label(f"{info.params:,}" if info else "—", "mono"))
        while self.problems_box.count():
            self.problems_box.takeAt(0).widget().deleteLater()
        for problem in report.problems:
            if problem.node_id == self.node_id:
                self.problems_box.addWidget(_problem_label(problem.severity, problem.message))


def _problem_label(severity: str, message: str) -> QWidget:
    """A problem as an icon and wrapped text, coloured by severity."""
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 2, 0, 2)
    icon = QLabel()
    icon.setPixmap(theme.icon(severity).pixmap(14, 14))
    row.addWidget(icon, 0, Qt.AlignTop)
    row.addWidget(_label(message, severity, wrap=True), 1)
    return box
