"""The "vary" toggle beside a value field, and the range editor it opens.

Checking *vary* puts the field's target (``conv1.out_channels``,
``training.lr``) into the document's search space with a range guessed from its
value; the editor below then edits that variable: a range (low, high, step, log
scale) or a list of choices. Every edit is one undo command on the document
(:class:`~.edits.SetSearchCommand`), and the widget redraws from the document,
so undo, a file's own search section and another view's edit all show here.
A value the space refuses (low above high, a log range from 0) is shown in red
under the editor, naming the field, and nothing changes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.errors import GraphError
from ...core.search_space import BYPASS, CHOICE, FLOAT, INT, TRAINING_ALIASES, parse_target
from .edits import set_search

VARYING_KINDS = ("int", "float", "bool", "choice")
UNTIE = "own variable"


@dataclass(frozen=True)
class VarySpec:
    """What a field holds: ``kind`` int / float / bool / choice, its choices and bounds."""

    kind: str
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None


def guess_variable(spec: VarySpec, value, target: str) -> dict:
    """A first range around the field's value (the user narrows it)."""
    if spec.kind == "bool":
        return {"kind": CHOICE, "choices": [False, True], "targets": [target]}
    if spec.kind == "choice":
        return {"kind": CHOICE, "choices": list(spec.choices), "targets": [target]}
    if spec.kind == "int":
        value = int(value or 1)
        low = max(int(spec.minimum) if spec.minimum is not None else 1, value // 2)
        high = max(low, value * 2)
        if spec.maximum is not None:
            high = min(high, int(spec.maximum))
        return {"kind": INT, "low": low, "high": high, "step": 1, "targets": [target]}
    value = float(value or 0.0)
    if spec.maximum is not None and spec.maximum <= 1.0:  # a probability or a share
        low = float(spec.minimum or 0.0)
        return {"kind": FLOAT, "low": low, "high": float(min(spec.maximum, max(0.5, 2 * value))), "targets": [target]}
    if value > 0:
        return {"kind": FLOAT, "low": value / 10, "high": value * 10, "log": True, "targets": [target]}
    return {"kind": FLOAT, "low": 0.0, "high": 1.0, "targets": [target]}


def variable_name(target: str, taken) -> str:
    parsed = parse_target(target)
    if parsed.training_path is not None:
        short = {v: k for k, v in TRAINING_ALIASES.items()}.get(parsed.training_path, parsed.training_path)
        base = short.replace(".", "_")
    else:
        base = f"{parsed.node}.{parsed.param}"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    return name


def find_variable(search: dict, target: str) -> str | None:
    """The variable one of whose targets is ``target`` (``training.lr`` is ``training.optimizer.lr``)."""
    for name, raw in (search.get("space") or {}).items():
        if any(same_target(t, target) for t in raw.get("targets", ())):
            return name
    return None


def same_target(a: str, b: str) -> bool:
    try:
        x, y = parse_target(a), parse_target(b)
    except ValueError:
        return a == b
    return (x.training_path, x.block, x.node, x.param) == (y.training_path, y.block, y.node, y.param)


class VaryRow(QWidget):
    """``field`` with a *vary* toggle; below it, while varying, the range editor."""

    def __init__(self, editor, target: str, spec: VarySpec, field: QWidget, value_of, parent=None):
        super().__init__(parent)
        self.editor, self.target, self.spec, self.field, self._value_of = editor, target, spec, field, value_of
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(3)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(field, 1)
        self.toggle = QToolButton(text="vary", checkable=True, objectName="vary_" + target.replace(".", "_"))
        self.toggle.setToolTip("Let a search try other values of this setting (a range or a list of choices)")
        self.toggle.toggled.connect(self._toggled)
        top.addWidget(self.toggle)
        outer.addLayout(top)
        self._outer = outer
        self.box = self.note = self.error = None  # the range editor, built when the field first varies
        self._top = getattr(editor, "top", editor)  # the search section is the top document's, in a block too
        self._top.documentChanged.connect(self._on_change)
        self.refresh()

    @property
    def top_doc(self):
        return self._top.doc

    def _build_editor(self) -> None:
        """The range editor's widgets (most fields never vary: an inspector page stays light)."""
        self.box = QWidget(objectName="vary_editor")
        grid = QHBoxLayout(self.box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        self.mode = QComboBox(objectName="vary_mode")
        self.mode.addItems(["range", "choices"] if self.spec.kind in ("int", "float") else ["choices"])
        self.mode.activated.connect(self._mode_changed)
        grid.addWidget(self.mode)
        self.low, self.high, self.step = (QLineEdit(objectName=f"vary_{n}") for n in ("low", "high", "step"))
        for edit, hint in ((self.low, "low"), (self.high, "high"), (self.step, "step")):
            edit.setPlaceholderText(hint)
            edit.setToolTip(hint)
            edit.setMinimumWidth(40)
            edit.editingFinished.connect(self._commit)
            grid.addWidget(edit, 1)
        self.log = QCheckBox("log", objectName="vary_log")
        self.log.toggled.connect(self._commit)
        grid.addWidget(self.log)
        self.choices = QLineEdit(objectName="vary_choices")
        self.choices.setPlaceholderText("a, b, c")
        self.choices.editingFinished.connect(self._commit)
        grid.addWidget(self.choices, 3)
        self._outer.addWidget(self.box)
        tie_row = QWidget()
        ties = QHBoxLayout(tie_row)
        ties.setContentsMargins(0, 0, 0, 0)
        ties.addWidget(QLabel("varies as"))
        self.tie = QComboBox(objectName="vary_tie")
        self.tie.setToolTip("Choose another variable to tie this setting to it (one value drives both), "
                            "or 'own variable' to untie it")
        self.tie.activated.connect(self._tie_chosen)
        ties.addWidget(self.tie)
        self.note = QLabel(objectName="vary_note")
        self.note.setProperty("role", "muted")
        self.note.setWordWrap(True)
        ties.addWidget(self.note, 1)
        self._outer.addWidget(tie_row)
        self._tie_row = tie_row
        self.error = QLabel(objectName="vary_error")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self._outer.addWidget(self.error)

    # -- document -> view -------------------------------------------------------------------
    def _on_change(self, change) -> None:
        block, rename = None, change
        if change.kind == "blocks_changed" and change.inner is not None and len(change.ids) == 1:
            block, rename = change.ids[0], change.inner  # a node renamed inside a block definition
        if rename.kind == "renamed" and not self.target.startswith("training."):
            old, new = rename.ids
            parsed = parse_target(self.target)
            if parsed.block == block and parsed.node == old:
                self.target = f"{block + '/' if block else ''}{new}.{parsed.param}"
        if change.kind in ("meta_changed", "reset", "renamed") or rename.kind == "renamed":
            self.refresh()

    def variable(self) -> tuple[str | None, dict | None]:
        name = find_variable(self.top_doc.search, self.target)
        return name, None if name is None else self.top_doc.search["space"][name]

    def refresh(self) -> None:
        name, raw = self.variable()
        varying = raw is not None
        self.toggle.blockSignals(True)
        self.toggle.setChecked(varying)
        self.toggle.blockSignals(False)
        self.field.setEnabled(not varying)
        if self.box is None:
            if not varying:
                return
            self._build_editor()
        self.box.setVisible(varying)
        self._tie_row.setVisible(varying)
        if not varying:
            self.error.hide()
            return
        ranged = raw["kind"] != CHOICE
        self.mode.setCurrentText("range" if ranged else "choices")
        for edit, key in ((self.low, "low"), (self.high, "high"), (self.step, "step")):
            edit.setText(_text(raw.get(key)) if ranged and raw.get(key) is not None else "")
            edit.setVisible(ranged)
        self.step.setVisible(ranged and not raw.get("log"))
        self.log.blockSignals(True)
        self.log.setChecked(bool(raw.get("log")))
        self.log.blockSignals(False)
        self.log.setVisible(ranged and raw["kind"] == FLOAT)
        self.choices.setVisible(not ranged)
        self.choices.setText(", ".join(_text(c) for c in raw.get("choices", ())))
        others = [t for t in raw["targets"] if not same_target(t, self.target)]
        self.note.setText(f"with {', '.join(others)}" if others else "")
        self.tie.blockSignals(True)
        self.tie.clear()
        same_kind = [n for n, v in self.top_doc.search["space"].items() if n == name or v["kind"] == raw["kind"]]
        self.tie.addItems(same_kind + ([UNTIE] if others else []))
        self.tie.setCurrentText(name)
        self.tie.blockSignals(False)

    # -- view -> document -------------------------------------------------------------------
    def _toggled(self, on: bool) -> None:
        search = copy.deepcopy(self.top_doc.search)
        space = search.setdefault("space", {})
        name, raw = self.variable()
        if on and raw is None:
            space[variable_name(self.target, space)] = guess_variable(self.spec, self._value_of(), self.target)
            self._push(search, f"Vary {self.target}")
        elif not on and raw is not None:
            targets = [t for t in raw["targets"] if not same_target(t, self.target)]
            if targets:
                space[name]["targets"] = targets
            else:
                del space[name]
            if not space and set(search) <= {"space"}:
                search = {}
            self._push(search, f"Stop varying {self.target}")

    def _tie_chosen(self, _index: int = 0) -> None:
        """Move this target into the chosen variable (tie), or into a copy of its own (untie)."""
        name, raw = self.variable()
        chosen = self.tie.currentText()
        if raw is None or chosen == name:
            return
        search = copy.deepcopy(self.top_doc.search)
        space = search["space"]
        space[name]["targets"] = [t for t in raw["targets"] if not same_target(t, self.target)]
        if not space[name]["targets"]:
            del space[name]
        if chosen == UNTIE:
            space[variable_name(self.target, space)] = {**copy.deepcopy(raw), "targets": [self.target]}
            self._push(search, f"Untie {self.target}")
        else:
            space[chosen]["targets"].append(self.target)
            self._push(search, f"Tie {self.target} to {chosen}")

    def _mode_changed(self, _index: int = 0) -> None:
        name, raw = self.variable()
        if raw is None:
            return
        search = copy.deepcopy(self.top_doc.search)
        if self.mode.currentText() == "choices" and raw["kind"] != CHOICE:
            values = [raw["low"], raw["high"]]
            search["space"][name] = {"kind": CHOICE, "choices": sorted(set(values)), "targets": raw["targets"]}
        elif self.mode.currentText() == "range" and raw["kind"] == CHOICE:
            fresh = guess_variable(self.spec, self._value_of(), self.target)
            search["space"][name] = {**fresh, "targets": raw["targets"]}
        self._push(search, f"Vary {self.target}")

    def _commit(self, *_) -> None:
        name, raw = self.variable()
        if raw is None:
            return
        new = {"kind": raw["kind"], "targets": raw["targets"]}
        try:
            if raw["kind"] == CHOICE:
                new["choices"] = [self._parse(text.strip(), "choices")
                                  for text in self.choices.text().split(",") if text.strip()]
            else:
                number = int if raw["kind"] == INT else float
                new["low"] = self._parse(self.low.text(), "low", number)
                new["high"] = self._parse(self.high.text(), "high", number)
                if self.log.isChecked() and raw["kind"] == FLOAT:
                    new["log"] = True
                elif self.step.text().strip():
                    new["step"] = self._parse(self.step.text(), "step", number)
        except ValueError as err:
            self._show_error(str(err))
            return
        search = copy.deepcopy(self.top_doc.search)
        search["space"][name] = new
        self._push(search, f"Change the range of {name}")

    def _parse(self, text: str, key: str, number=None):
        kind = self.spec.kind
        if number is None:  # a choice: of the field's own kind
            if kind == "bool":
                if text.lower() in ("true", "false"):
                    return text.lower() == "true"
                raise ValueError(f"{key}: expected true or false, got {text!r}")
            if kind in ("int", "float"):
                number = int if kind == "int" else float
            else:
                return text
        try:
            return number(text)
        except ValueError:
            raise ValueError(f"{key}: expected {'an integer' if number is int else 'a number'}, got {text!r}") from None

    def _push(self, search: dict, text: str) -> None:
        try:
            set_search(self.editor, search, text)
        except GraphError as err:
            self.refresh()  # the toggle shows what the document holds: a refused vary stays off
            self._show_error("; ".join(p.split("search.space.", 1)[-1] for p in err.problems))
            return
        if self.error is not None:
            self.error.hide()
        self.refresh()

    def _show_error(self, message: str) -> None:
        if self.error is None:
            self._build_editor()
        self.error.setText(message)
        self.error.show()


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def param_spec(param) -> VarySpec | None:
    """The :class:`VarySpec` of a layer parameter, or None when it cannot vary (shapes, tuples)."""
    if param.kind not in VARYING_KINDS:
        return None
    return VarySpec(param.kind, tuple(param.choices), param.minimum, param.maximum)


def node_target(editor, node_id: str, param: str) -> str:
    """``node.param``, or ``Block/node.param`` for a node of the block definition on show."""
    doc = editor.doc
    return f"{doc.name}/{node_id}.{param}" if doc.is_definition else f"{node_id}.{param}"


def vary_node_field(editor, node_id: str, param, field_widget: QWidget, value_of) -> QWidget:
    """The inspector's row widget for one parameter: with a *vary* toggle when it can vary."""
    spec = param_spec(param)
    if spec is None:
        return field_widget
    return VaryRow(editor, node_target(editor, node_id, param.name), spec, field_widget, value_of)


def bypass_row(editor, node_id: str) -> QWidget | None:
    """The inspector's *bypass* row: a search may skip the node (its input wired to its output),
    offered for a node with one input wire that feeds on from one output."""
    from ...core.search_bypass import bypass_edges

    try:
        bypass_edges(editor.doc, node_id)
    except ValueError:
        return None
    label = QLabel("kept", objectName="bypass_state")
    label.setToolTip("Vary to let a search try the graph without this node (its input wired straight to its "
                     "output); only where its output has its input's shape")
    return VaryRow(editor, node_target(editor, node_id, BYPASS), VarySpec("bool"), label, lambda: False)


def vary_setting_field(editor, path: str, meta: dict, default, widget: QWidget, value_of) -> QWidget:
    """The training form's row widget for ``path`` (``optimizer.lr``)."""
    if meta.get("choices"):
        spec = VarySpec("choice", tuple(meta["choices"]))
    elif isinstance(default, bool):
        spec = VarySpec("bool")
    elif isinstance(default, int):
        spec = VarySpec("int", (), meta.get("minimum"), meta.get("maximum"))
    elif isinstance(default, float):
        spec = VarySpec("float", (), meta.get("minimum"), meta.get("maximum"))
    else:
        return widget
    return VaryRow(editor, f"training.{path}", spec, widget, value_of)
