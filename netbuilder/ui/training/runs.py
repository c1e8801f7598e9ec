"""The run list: every run of this graph, read from its folder on disk.

A run folder (``runs/<graph>/<timestamp>/``, written by the engine) holds
``config.json`` (data set description and full settings), ``history.json``
(one row per epoch) and ``best.pt``/``last.pt``. The list reads only the two
small JSON files, so it can rescan after every run without a thread. Select
several runs to overlay their curves; the buttons act on the current one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...train.checkpoints import FAILED_FILE
from ...train.outcome import RunOutcome
from .. import theme
from .progress import duration_text

COLUMNS = ("Run", "Kept weights", "Best", "Data", "Settings", "Epochs", "Duration", "Started")
PATH_ROLE = Qt.ItemDataRole.UserRole


@dataclass
class RunInfo:
    """What the list shows about one run folder."""

    path: Path
    started: datetime | None
    data: str
    task: str
    settings: str
    history: list[dict] = field(default_factory=list)
    epochs_planned: int = 0
    training: dict = field(default_factory=dict)  # the run's full settings, from config.json
    failure: dict | None = None  # failed.json: the message, node and epoch of a run that failed

    @property
    def failed_text(self) -> str:
        return f"failed at epoch {self.failure.get('epoch', '?')}" if self.failure else ""

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def outcome(self) -> RunOutcome:
        """The kept epoch and its score, told as the headline tells it."""
        return RunOutcome.of_run(self.training, self.history)

    @property
    def duration(self) -> float:
        return float(sum(r.get("duration") or 0.0 for r in self.history))

    @property
    def best_weights(self) -> Path | None:
        for name in ("best.pt", "last.pt"):
            if (self.path / name).is_file():
                return self.path / name
        return None


def _settings_text(training: dict) -> str:
    opt = training.get("optimizer", {})
    sched = training.get("scheduler", {}).get("name", "none")
    parts = [f"{opt.get('name', '?')} lr {opt.get('lr', '?'):g}" if isinstance(opt.get("lr"), (int, float))
             else str(opt.get("name", "?"))]
    if opt.get("weight_decay"):
        parts.append(f"wd {opt['weight_decay']:g}")
    if sched and sched != "none":
        parts.append(sched)
    parts.append(f"batch {training.get('batch_size', '?')}")
    return ", ".join(parts)


def read_run(path: Path) -> RunInfo | None:
    """The run in ``path``, or None if it is not a run folder."""
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    try:
        history = json.loads((path / "history.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        history = []
    try:
        started = datetime.strptime(path.name[:15], "%Y%m%d-%H%M%S")
    except ValueError:
        started = datetime.fromtimestamp((path / "config.json").stat().st_mtime)
    data = config.get("data", {}) if isinstance(config, dict) else {}
    training = config.get("training", {}) if isinstance(config, dict) else {}
    try:
        failure = json.loads((path / FAILED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        failure = None
    return RunInfo(path, started, str(data.get("name", "?")), str(data.get("task", "")),
                   _settings_text(training), history if isinstance(history, list) else [],
                   int(training.get("epochs", 0) or 0), training if isinstance(training, dict) else {},
                   failure if isinstance(failure, dict) else None)


def list_runs(graph_runs_dir: Path) -> list[RunInfo]:
    """Runs under ``runs/<graph>/``, newest first."""
    if not graph_runs_dir.is_dir():
        return []
    runs = [r for p in graph_runs_dir.iterdir() if p.is_dir() and (r := read_run(p)) is not None]
    return sorted(runs, key=lambda r: (r.started or datetime.min, r.name), reverse=True)


class RunList(QWidget):
    """Runs of the current graph; multi-select overlays curves."""

    overlayChanged = Signal(list)  # [RunInfo] selected
    loadWeightsRequested = Signal(object)  # RunInfo
    resumeRequested = Signal(object)  # RunInfo
    exportRequested = Signal(object)  # RunInfo

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.root: Path | None = None
        self.runs: list[RunInfo] = []
        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setToolTip("Select several runs (Ctrl/Shift+click) to overlay their curves")
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.tree.itemDoubleClicked.connect(lambda *_: self.open_folder())
        buttons = QGridLayout()
        buttons.setSpacing(4)
        self.buttons = {}
        for key, text, tip, slot in (
            ("refresh", "Refresh", "Read the runs folder again", self.refresh),
            ("open", "Open folder", "Show the run's files (checkpoints, history.csv, config)", self.open_folder),
            ("load", "Load weights", "Load this run's best weights into the current model", self._load),
            ("resume", "Resume", "Continue this run from its last checkpoint", self._resume),
            ("export", "Export trained model…", "Write the Python module, its weights and a training script",
             self._export),
        ):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            n = len(self.buttons)
            if key == "export":  # the long one gets a row of its own
                buttons.addWidget(button, n // 2, 0, 1, 2)
            else:
                buttons.addWidget(button, n // 2, n % 2)
            self.buttons[key] = button
        self.where = QLabel()  # which folder the runs are in: the user should never have to guess
        self.where.setWordWrap(True)
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.where)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    def set_root(self, graph_runs_dir: Path | None) -> None:
        self.root = graph_runs_dir
        self.where.setText(f"Runs are saved in {graph_runs_dir}" if graph_runs_dir is not None else "")
        self.where.setToolTip(str(graph_runs_dir or ""))
        self.refresh()

    def refresh(self) -> None:
        selected = {r.path for r in self.selected_runs()}
        self.runs = list_runs(self.root) if self.root is not None else []
        self.tree.blockSignals(True)
        self.tree.clear()
        for run in self.runs:
            outcome = run.outcome
            done = f"{len(run.history)}/{run.epochs_planned}" if run.epochs_planned else str(len(run.history))
            started = run.started.strftime("%Y-%m-%d %H:%M") if run.started else "?"
            kept = outcome.short_text() if run.history else ""
            if run.failure:  # said first: a failed run must not read like a finished one
                kept = f"{run.failed_text} · {kept}" if kept else run.failed_text
            item = QTreeWidgetItem([run.name, kept, outcome.best_text(), run.data, run.settings,
                                    done, duration_text(run.duration), started])
            item.setData(0, PATH_ROLE, str(run.path))
            tip = (f"{run.path}\n{outcome.text()}\n{run.data} · {run.settings} · {done} epochs in "
                   f"{duration_text(run.duration)}")
            if run.failure:
                item.setIcon(0, theme.icon("error"))
                tip += f"\n{run.failed_text.capitalize()}: {run.failure.get('message', '')}"
            for column in range(len(COLUMNS)):
                item.setToolTip(column, tip)
            self.tree.addTopLevelItem(item)
            item.setSelected(run.path in selected)
        self._fit_columns()
        self.tree.blockSignals(False)
        self._selection_changed()

    def _fit_columns(self) -> None:
        """Columns as wide as their text. Measured with the font the tree is drawn
        with: a tree in a tab not shown yet has not had the theme's font applied
        (polished), and columns fitted before that cut their text off later."""
        self.tree.ensurePolished()
        for column in range(len(COLUMNS)):
            self.tree.resizeColumnToContents(column)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._fit_columns()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit_columns()

    def selected_runs(self) -> list[RunInfo]:
        paths = {item.data(0, PATH_ROLE) for item in self.tree.selectedItems()}
        return [r for r in self.runs if str(r.path) in paths]

    def current_run(self) -> RunInfo | None:
        item = self.tree.currentItem()
        if item is not None and item.isSelected():
            return next((r for r in self.runs if str(r.path) == item.data(0, PATH_ROLE)), None)
        selected = self.selected_runs()
        return selected[0] if selected else None

    def select_paths(self, paths) -> None:
        wanted = {str(p) for p in paths}
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            item.setSelected(item.data(0, PATH_ROLE) in wanted)

    def _selection_changed(self) -> None:
        self._update_buttons()
        self.overlayChanged.emit(self.selected_runs())

    def _update_buttons(self) -> None:
        run = self.current_run() if hasattr(self, "runs") else None
        has = run is not None
        self.buttons["open"].setEnabled(has)
        self.buttons["load"].setEnabled(has and run.best_weights is not None)
        self.buttons["resume"].setEnabled(has and run.best_weights is not None)  # last.pt, else best.pt
        self.buttons["export"].setEnabled(has and run.best_weights is not None)

    def set_busy(self, busy: bool) -> None:
        """While a run trains, nothing here may start another or change weights."""
        self._update_buttons()
        for key in ("load", "resume"):
            if busy:
                self.buttons[key].setEnabled(False)

    def open_folder(self) -> None:
        run = self.current_run()
        if run is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(run.path)))

    def _load(self) -> None:
        if (run := self.current_run()) is not None:
            self.loadWeightsRequested.emit(run)

    def _resume(self) -> None:
        if (run := self.current_run()) is not None:
            self.resumeRequested.emit(run)

    def _export(self) -> None:
        if (run := self.current_run()) is not None:
            self.exportRequested.emit(run)
