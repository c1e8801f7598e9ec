"""The training settings form, bound to the document's ``training`` object.

Each field edits one path of :class:`netbuilder.train.config.TrainingConfig`
(``optimizer.lr``, ``scheduler.name``…). An edit builds the new settings dict,
validates it with ``TrainingConfig.from_dict`` (so the form and a hand-edited
file are judged by the same rules and messages), and on success stores it
with :meth:`Editor.set_training`: one undo step, saved in the graph file.
The form never keeps values of its own; it redraws from the document
whenever the document changes (undo included). Fields that only apply to one
choice (momentum for SGD, step size for the step schedule) hide otherwise.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...train.config import ConfigError, TrainingConfig
from .. import theme
from ..scroll import FittedScrollArea
from ..search.vary import vary_setting_field
from .gan_settings import RECIPE_GAN, BetasEdit, network_names, problems_of


@dataclass(frozen=True)
class Field:
    """One row of the form: the setting's dotted path, its label, and when it shows."""

    path: str
    label: str
    when: tuple[str, tuple] | None = None  # (other path, values for which this row shows)
    kind: str = ""  # override: "sci" (float in scientific notation), "optional" (0 = off),
    # "network" (an Output node's id), "auto" (an int, 0 = derived), "betas" (Adam's two rates)
    recipe: str | None = None  # the recipe whose runs use it; None: every recipe


SUPERVISED = "supervised"
SECTIONS: list[tuple[str, list[Field]]] = [
    ("Recipe", [
        Field("recipe", "Recipe"),
    ]),
    ("Optimizer", [
        Field("optimizer.name", "Optimizer", recipe=SUPERVISED),
        Field("optimizer.lr", "Learning rate", kind="sci", recipe=SUPERVISED),
        Field("optimizer.weight_decay", "Weight decay", kind="sci", recipe=SUPERVISED),
        Field("optimizer.momentum", "Momentum", when=("optimizer.name", ("sgd",)), recipe=SUPERVISED),
        Field("optimizer.nesterov", "Nesterov", when=("optimizer.name", ("sgd",)), recipe=SUPERVISED),
    ]),
    ("Schedule", [
        Field("scheduler.name", "LR schedule", recipe=SUPERVISED),
        Field("scheduler.step_size", "Step every (epochs)", when=("scheduler.name", ("step",)), recipe=SUPERVISED),
        Field("scheduler.gamma", "Step factor", when=("scheduler.name", ("step",)), recipe=SUPERVISED),
        Field("scheduler.min_lr", "Lowest LR", when=("scheduler.name", ("cosine", "plateau")), kind="sci",
              recipe=SUPERVISED),
        Field("scheduler.pct_start", "Warm-up share", when=("scheduler.name", ("onecycle",)), recipe=SUPERVISED),
        Field("scheduler.factor", "Reduce factor", when=("scheduler.name", ("plateau",)), recipe=SUPERVISED),
        Field("scheduler.patience", "Plateau patience", when=("scheduler.name", ("plateau",)), recipe=SUPERVISED),
    ]),
    ("Loss", [
        Field("loss.name", "Loss", recipe=SUPERVISED),
        Field("loss.label_smoothing", "Label smoothing",
              when=("loss.name", ("auto", "cross_entropy", "bce_with_logits", "multilabel_soft_margin", "kl_div")),
              recipe=SUPERVISED),
        Field("loss.focal_gamma", "Focal γ", when=("loss.name", ("focal",)), recipe=SUPERVISED),
        Field("loss.delta", "Huber δ", when=("loss.name", ("huber", "smooth_l1")), recipe=SUPERVISED),
        Field("loss.margin", "Margin", when=("loss.name", ("multi_margin",)), recipe=SUPERVISED),
        Field("loss.margin_p", "Margin power", when=("loss.name", ("multi_margin",)), recipe=SUPERVISED),
        Field("loss.variance", "Variance", when=("loss.name", ("gaussian_nll",)), kind="sci", recipe=SUPERVISED),
        Field("loss.full", "Constant terms", when=("loss.name", ("poisson_nll", "gaussian_nll")), recipe=SUPERVISED),
    ]),
    ("GAN", [
        Field("gan.generator", "Generator", kind="network", recipe=RECIPE_GAN),
        Field("gan.discriminator", "Discriminator", kind="network", recipe=RECIPE_GAN),
        Field("gan.latent_size", "Latent size", kind="auto", recipe=RECIPE_GAN),
        Field("gan.noise", "Noise", recipe=RECIPE_GAN),
        Field("gan.d_steps", "D steps per G step", recipe=RECIPE_GAN),
        Field("gan.label_smoothing", "Real label smoothing", recipe=RECIPE_GAN),
        Field("gan.generator_optimizer.lr", "Generator LR", kind="sci", recipe=RECIPE_GAN),
        Field("gan.generator_optimizer.betas", "Generator betas", kind="betas", recipe=RECIPE_GAN),
        Field("gan.discriminator_optimizer.lr", "Discriminator LR", kind="sci", recipe=RECIPE_GAN),
        Field("gan.discriminator_optimizer.betas", "Discriminator betas", kind="betas", recipe=RECIPE_GAN),
        Field("gan.samples", "Samples shown", recipe=RECIPE_GAN),
    ]),
    ("Run", [
        Field("epochs", "Epochs"),
        Field("batch_size", "Batch size"),
        Field("grad_clip", "Clip grad norm", kind="optional", recipe=SUPERVISED),
        Field("early_stopping.metric", "Watch", recipe=SUPERVISED),
        Field("early_stopping.patience", "Stop after (epochs)", recipe=SUPERVISED),
        Field("data.val_fraction", "Validation share", recipe=SUPERVISED),
        Field("data.standardise", "Standardise features", recipe=SUPERVISED),
        Field("seed", "Seed"),
        Field("device", "Device"),
        Field("amp", "Mixed precision", recipe=SUPERVISED),
    ]),
]
WATCHABLE = ("val_loss", "train_loss", "accuracy", "r2", "mse", "mae")
LIVE_PATHS = {"optimizer.lr"}  # the engine may pick these up mid-run


def _field_of(path: str) -> dataclasses.Field:
    cls = TrainingConfig
    parts = path.split(".")
    for part in parts[:-1]:
        cls = {f.name: f for f in dataclasses.fields(cls)}[part].default_factory
    return {f.name: f for f in dataclasses.fields(cls)}[parts[-1]]


def get_path(data: dict, path: str):
    for part in path.split("."):
        data = getattr(data, part)
    return data


def set_path(data: dict, path: str, value) -> dict:
    """A copy of the file-form dict ``data`` with ``path`` set to ``value``."""
    out = copy.deepcopy(data)
    node = out
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def format_float(value: float) -> str:
    if value == 0:
        return "0"
    return f"{value:.0e}".replace("e-0", "e-").replace("e+0", "e") if abs(value) < 1e-2 or abs(value) >= 1e4 \
        else f"{value:g}"


class SettingsForm(FittedScrollArea):
    """All engine settings except the data source (the dock's picker owns that)."""

    error = Signal(str)  # a refused value's message, for the status line

    def __init__(self, editor, parent: QWidget | None = None):
        super().__init__(parent)
        self.editor = editor
        self.widgets: dict[str, QWidget] = {}
        self.rows: dict[str, tuple[QLabel, QWidget]] = {}
        self.headers: dict[str, QLabel] = {}  # section title -> its header
        self._locked_structure = False
        self._marked: set[str] = set()  # fields marked red by a problem of the graph (not of the file)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 4)
        for title, fields in SECTIONS:
            header = QLabel(title)
            header.setObjectName("sectionHeader")
            header.setStyleSheet("font-weight: 600; margin-top: 6px;")
            layout.addWidget(header)
            self.headers[title] = header
            form = QFormLayout()
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
            form.setContentsMargins(0, 0, 0, 0)
            for f in fields:
                widget = self._make(f)
                label = QLabel(f.label)
                label.setToolTip(widget.toolTip())
                row = vary_setting_field(editor, f.path, _field_of(f.path).metadata, _field_of(f.path).default,
                                         widget, lambda p=f.path: get_path(self.config() or TrainingConfig(), p))
                form.addRow(label, row)
                self.widgets[f.path] = widget
                self.rows[f.path] = (label, row)
            layout.addLayout(form)
            if title == "GAN":  # what the GAN settings name that the graph lacks, in Train's words
                self.gan_problem = QLabel()
                self.gan_problem.setObjectName("ganProblem")
                self.gan_problem.setWordWrap(True)
                self.gan_problem.hide()
                layout.addWidget(self.gan_problem)
        layout.addStretch(1)
        self.setWidget(body)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.fields = {f.path: f for _, fs in SECTIONS for f in fs}
        editor.documentChanged.connect(self._doc_changed)
        self.refresh()

    # -- building -----------------------------------------------------------------------
    def _make(self, f: Field) -> QWidget:
        spec = _field_of(f.path)
        meta = spec.metadata
        default = spec.default
        tip = meta.get("doc", "")
        if f.kind == "network":
            widget = QComboBox()
            widget.activated.connect(lambda _i, p=f.path, w=widget: self._edited(p, w.currentText()))
        elif f.kind == "auto":
            widget = QSpinBox()
            widget.setRange(0, 1_000_000)
            widget.setSpecialValueText("the Input's size")
            widget.setKeyboardTracking(False)
            widget.valueChanged.connect(lambda v, p=f.path: self._edited(p, int(v) or None))
        elif f.kind == "betas":
            widget = BetasEdit()
            widget.edited.connect(lambda betas, p=f.path: self._edited(p, betas))
        elif f.path == "early_stopping.metric":
            widget = QComboBox()
            widget.setEditable(True)
            widget.addItems(WATCHABLE)
            widget.lineEdit().editingFinished.connect(lambda p=f.path, w=widget: self._edited(p, w.currentText()))
            widget.activated.connect(lambda _i, p=f.path, w=widget: self._edited(p, w.currentText()))
        elif meta.get("choices"):
            widget = QComboBox()
            widget.addItems(list(meta["choices"]))
            for index, choice in enumerate(meta["choices"]):
                widget.setItemData(index, meta["choice_docs"].get(choice, ""), Qt.ItemDataRole.ToolTipRole)
            widget.activated.connect(lambda _i, p=f.path, w=widget: self._edited(p, w.currentText()))
        elif isinstance(default, bool):
            widget = QCheckBox()
            widget.toggled.connect(lambda on, p=f.path: self._edited(p, bool(on)))
        elif isinstance(default, int) and not isinstance(default, bool):
            widget = QSpinBox()
            widget.setRange(int(meta.get("minimum") or 0), int(meta.get("maximum") or 1_000_000))
            widget.setKeyboardTracking(False)
            widget.valueChanged.connect(lambda v, p=f.path: self._edited(p, int(v)))
        elif f.kind in ("sci", "optional"):
            widget = QLineEdit()
            widget.setPlaceholderText("off" if f.kind == "optional" else "")
            widget.editingFinished.connect(lambda p=f.path, w=widget: self._text_edited(p, w))
        else:
            widget = QDoubleSpinBox()
            widget.setDecimals(3)
            widget.setSingleStep(0.05)
            low = meta.get("minimum") if meta.get("minimum") is not None else meta.get("above") or 0.0
            widget.setRange(float(low), float(meta.get("maximum") or 1e6))
            widget.setKeyboardTracking(False)
            widget.valueChanged.connect(lambda v, p=f.path: self._edited(p, float(v)))
        widget.setToolTip(tip)
        widget.setObjectName("setting_" + f.path.replace(".", "_"))
        return widget

    # -- model -> view --------------------------------------------------------------------
    def config(self) -> TrainingConfig | None:
        try:
            return TrainingConfig.from_dict(self.editor.doc.training)
        except ConfigError:
            return None

    def _doc_changed(self, change) -> None:
        if change.kind in ("meta_changed", "reset"):
            self.refresh()
        elif change.kind != "moved" and self.editor.doc.training.get("recipe") == RECIPE_GAN:
            self.refresh()  # the networks' names and the generator's Input are the GAN rows' business

    def refresh(self) -> None:
        cfg = self.config() or TrainingConfig()
        for path, widget in self.widgets.items():
            value = get_path(cfg, path)
            widget.blockSignals(True)
            try:
                if isinstance(widget, BetasEdit):
                    widget.set_value(value)
                elif self.fields[path].kind == "network":
                    widget.clear()
                    widget.addItems(network_names(self.editor.doc, value))
                    widget.setCurrentText(value)
                elif isinstance(widget, QComboBox):
                    if widget.findText(str(value)) < 0:
                        widget.addItem(str(value))
                    widget.setCurrentText(str(value))
                elif isinstance(widget, QCheckBox):
                    widget.setChecked(bool(value))
                elif isinstance(widget, QSpinBox):
                    widget.setValue(int(value or 0))
                elif isinstance(widget, QDoubleSpinBox):
                    widget.setValue(float(value))
                elif isinstance(widget, QLineEdit):
                    widget.setText("" if value is None else format_float(float(value)))
                    widget.setStyleSheet("")
            finally:
                widget.blockSignals(False)
        for path, f in self.fields.items():
            shown = f.recipe in (None, cfg.recipe) and (f.when is None or get_path(cfg, f.when[0]) in f.when[1])
            for w in self.rows[path]:
                w.setVisible(shown)
        for title, fields in SECTIONS:
            self.headers[title].setVisible(any(f.recipe in (None, cfg.recipe) for f in fields))
        self._show_problems(problems_of(self.editor.doc, cfg))

    def _show_problems(self, problems: list) -> None:
        """Mark the GAN fields that name what the graph lacks, and say what, under the section."""
        for path in self._marked - {p.field for p in problems}:
            self.widgets[path].setStyleSheet("")
            self.widgets[path].setToolTip(_field_of(path).metadata.get("doc", ""))
        for problem in problems:
            self._mark(problem.field, problem.message)
        self._marked = {p.field for p in problems}
        self.gan_problem.setStyleSheet(f"color: {QColor(theme.current().error).name()};")
        self.gan_problem.setText("\n".join(p.message for p in problems))
        self.gan_problem.setVisible(bool(problems))

    # -- view -> model --------------------------------------------------------------------
    def _text_edited(self, path: str, widget: QLineEdit) -> None:
        text = widget.text().strip().lower()
        if self.fields[path].kind == "optional" and text in ("", "off", "none", "0"):
            self._edited(path, None)
            return
        try:
            value = float(text)
        except ValueError:
            self._refuse(path, f"{self.fields[path].label}: {widget.text()!r} is not a number")
            return
        if not math.isfinite(value):
            self._refuse(path, f"{self.fields[path].label}: must be a finite number")
            return
        self._edited(path, value)

    def _edited(self, path: str, value) -> None:
        if self._locked_structure and path not in LIVE_PATHS:
            self.refresh()
            return
        new = set_path(self.editor.doc.training, path, value)
        try:
            config = TrainingConfig.from_dict(new)
        except ConfigError as err:
            self._refuse(path, str(err))
            return
        refused = [p for p in problems_of(self.editor.doc, config) if p.field == path]
        if refused:  # a role naming no network, a latent size the generator's Input does not take
            self._refuse(path, refused[0].message)
            return
        self.editor.set_training(config.to_dict())

    def _mark(self, path: str, message: str) -> None:
        widget = self.widgets[path]
        widget.setStyleSheet(f"border: 1px solid {QColor(theme.current().error).name()};")
        widget.setToolTip(message)

    def _refuse(self, path: str, message: str) -> None:
        self._mark(path, message)
        self.error.emit(message)

    def set_running(self, running: bool) -> None:
        """During a run only live settings stay editable."""
        self._locked_structure = running
        for path, widget in self.widgets.items():
            widget.setEnabled(not running or path in LIVE_PATHS)
