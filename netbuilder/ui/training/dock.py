"""The Training panel: data, settings, Train/Pause/Stop, live curves, results, runs.

Layout (a bottom dock, wide and short)::

    Data [digits (1, 8, 8) · 10 classes ▾] [Import…]  [Train] [Pause] [Stop]  [progress……]  summary
    ┌ Settings | Runs ┐┌ curves: loss / metric / lr ────────────┐┌ Confusion | Mistakes ┐

Everything shown is derived from the engine's events (through
:class:`~.controller.TrainingController`) or read from the document; the panel
keeps no training state of its own beyond what it draws.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...train.config import ConfigError, TrainingConfig
from ...train.datasets import CLASSIFICATION, builtin_info
from ...train.events import BatchEnd, CheckpointSaved, EpochEnd, EvalReport, Failed, Finished, RunStarted
from .. import theme
from .controller import IDLE, PAUSED, RUNNING, STOPPING, TrainingController
from .plots import LivePlots
from .progress import Progress, duration_text, metric_text
from .results import ConfusionMatrixView, MistakesGallery, SampleView
from .runs import RunList
from .settings import SettingsForm


def data_label(info: dict) -> str:
    shape = tuple(info["input_shape"])
    what = f"{len(info['classes'])} classes" if info["task"] == CLASSIFICATION else "regression"
    return f"{info['name']}  {shape} · {what}"


class TrainDock(QDockWidget):
    """The training panel of one editor."""

    message = Signal(str)  # for the window's status bar

    def __init__(self, editor, controller: TrainingController, parent: QWidget | None = None):
        super().__init__("Training", parent)
        self.setObjectName("training_dock")
        self.editor = editor
        self.controller = controller
        self.progress_state = Progress()
        self.best_text = ""
        self.error_box: QMessageBox | None = None
        self.dataset = None  # the full data set of the current run (for the gallery)
        self.last_metrics: dict = {}
        self.weights_path: Path | None = None  # weights "loaded into the current model"

        body = QWidget()
        self.data_combo = QComboBox()
        self.data_combo.setMinimumContentsLength(22)
        self.data_combo.setToolTip("The data set to train on; its sample shape must match the Input node")
        self.data_combo.activated.connect(self._data_chosen)
        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip("Train on your own CSV, .npz or folder of images")
        self.import_button.clicked.connect(self.import_data)
        style = self.style()
        self.train_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Train")
        self.train_button.setObjectName("trainButton")
        self.train_button.setToolTip("Check the graph and start training (Ctrl+T)")
        self.train_button.clicked.connect(self.train)
        self.pause_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPause), "Pause")
        self.pause_button.clicked.connect(self.controller.toggle_pause)
        self.stop_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaStop), "Stop")
        self.stop_button.setToolTip("Stop after the current batch; the last checkpoint is kept")
        self.stop_button.clicked.connect(self.controller.stop)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("Ready")
        self.progress.setMinimumWidth(260)
        self.summary = QLabel("")
        self.summary.setObjectName("trainingSummary")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(QLabel("Data"))
        top.addWidget(self.data_combo)
        top.addWidget(self.import_button)
        top.addSpacing(10)
        for button in (self.train_button, self.pause_button, self.stop_button):
            top.addWidget(button)
        top.addSpacing(10)
        top.addWidget(self.progress, 1)

        self.settings = SettingsForm(editor)
        self.settings.error.connect(self._say_error)
        self.runs = RunList()
        self.left = QTabWidget()
        self.left.addTab(self.settings, "Settings")
        self.left.addTab(self.runs, "Runs")
        self.plots = LivePlots()
        self.confusion = ConfusionMatrixView()
        self.gallery = MistakesGallery()
        self.right = QTabWidget()
        self.right.addTab(self.confusion, "Confusion matrix")
        self.right.addTab(self.gallery, "Mistakes")
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        for widget in (self.left, self.plots, self.right):
            self.splitter.addWidget(widget)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([330, 700, 330])

        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.splitter, 1)
        self.setWidget(body)

        controller.stateChanged.connect(self._state_changed)
        controller.events.connect(self.handle_events)
        controller.refused.connect(self._refused)
        controller.runFinished.connect(self._finished)
        controller.runFailed.connect(self._failed)
        self.runs.overlayChanged.connect(self._overlay)
        self.runs.loadWeightsRequested.connect(self.load_weights)
        self.runs.resumeRequested.connect(lambda run: self.train(resume=str(run.path)))
        self.runs.exportRequested.connect(self.export_run)
        editor.documentChanged.connect(self._doc_changed)
        self._fill_data_combo()
        self._state_changed(IDLE)
        self.refresh_runs()

    # -- data set ------------------------------------------------------------------------
    def _config(self) -> TrainingConfig:
        try:
            return TrainingConfig.from_dict(self.editor.doc.training)
        except ConfigError:
            return TrainingConfig()

    def _fill_data_combo(self) -> None:
        source = self._config().data.source
        self.data_combo.blockSignals(True)
        self.data_combo.clear()
        if not source:
            self.data_combo.addItem("Choose a data set…", "")
        for info in builtin_info():
            self.data_combo.addItem(data_label(info), info["name"])
            self.data_combo.setItemData(self.data_combo.count() - 1, info["description"], Qt.ItemDataRole.ToolTipRole)
        if source and self.data_combo.findData(source) < 0:
            known = self.controller.known_data.get(source)
            text = Path(source).name + (f"  {tuple(known.input_shape)}" if known is not None else "  (file)")
            self.data_combo.addItem(text, source)
        self.data_combo.setCurrentIndex(max(0, self.data_combo.findData(source)))
        self.data_combo.blockSignals(False)

    def set_data_source(self, source: str, options: dict | None = None) -> None:
        """Store the data source (one undo step); options reset unless given."""
        training = copy.deepcopy(self.editor.doc.training)
        data = training.setdefault("data", {})
        data["source"] = source
        if options:
            data["options"] = dict(options)
        else:
            data.pop("options", None)
        try:
            clean = TrainingConfig.from_dict(training).to_dict()
        except ConfigError as err:
            self._say_error(str(err))
            return
        self.editor.set_training(clean)

    def _data_chosen(self, index: int) -> None:
        source = self.data_combo.itemData(index)
        if source and source != self._config().data.source:
            self.set_data_source(source)

    def import_data(self) -> None:
        from .data_wizard import ImportDataDialog

        start = self._config().data.source
        dialog = ImportDataDialog(self, start if start and "/" in start else "")
        if dialog.exec() == ImportDataDialog.DialogCode.Accepted and dialog.dataset is not None:
            self.use_imported(dialog.source, dialog.options(), dialog.dataset)

    def use_imported(self, source: str, options: dict, dataset) -> None:
        """Train on an imported file from now on (relative to the graph's folder when inside it)."""
        base = self.controller.base_dir
        if base:
            try:
                source = str(Path(source).resolve().relative_to(base))
            except ValueError:
                pass
        self.controller.known_data[source] = dataset
        self.set_data_source(source, options)

    # -- commands ----------------------------------------------------------------------------
    def train(self, checked: bool = False, resume: str | None = None) -> bool:
        """Check and start (the Train button); refused runs say why."""
        if self.controller.running:
            return False
        if self.error_box is not None:
            self.error_box.close()
        started = self.controller.start(resume=resume)
        if started:
            self.plots.reset("accuracy")
            self.confusion.clear()
            self.gallery.clear()
            self.last_metrics, self.best_text = {}, ""
            self.progress_state = Progress()
            self.progress.setValue(0)
            self.progress.setFormat("Starting…")
            self._say("Preparing the data and the model…")
        return started

    def _refused(self, problems: list) -> None:
        text = "Cannot train: " + problems[0][0] + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")
        self._say_error(text)
        self.progress.setFormat("Not started")
        self.message.emit(text)

    # -- events ------------------------------------------------------------------------------
    def handle_events(self, batch: list) -> None:
        """One delivery (<= ~30 a second) of engine events."""
        last_batch = None
        for event in batch:
            if isinstance(event, BatchEnd):
                steps = max(event.steps, 1)
                self.plots.add_batch(event.epoch - 1 + event.step / steps, event.loss, event.lr)
                last_batch = event
            elif isinstance(event, EpochEnd):
                self._epoch_end(event)
            elif isinstance(event, RunStarted):
                self._run_started(event)
            elif isinstance(event, EvalReport):
                self._eval_report(event)
            elif isinstance(event, CheckpointSaved):
                if event.kind == "best":
                    self.weights_path = Path(event.path)
        if last_batch is not None:
            self.progress_state.update(last_batch)
            self._show_progress()

    def _run_started(self, event: RunStarted) -> None:
        self.progress_state = Progress.from_start(event)
        task = event.data.get("task", CLASSIFICATION)
        self.plots.reset("accuracy" if task == CLASSIFICATION else "r2")
        session = getattr(self.controller.trainer, "session", None)
        self.dataset = session.data.full if session is not None else None
        self.weights_path = None
        resumed = f", resuming after epoch {event.start_epoch}" if event.start_epoch else ""
        self._say(f"Training {event.param_count:,} parameters on {event.device} with "
                  f"{event.data.get('name', 'the data')} ({event.data.get('train_size', '?')} train / "
                  f"{event.data.get('val_size', '?')} validation samples){resumed}")
        if event.start_epoch:
            self._replay_history(event.run_dir)

    def _replay_history(self, run_dir: str) -> None:
        """A resumed run's earlier epochs, so its curve continues where it stopped."""
        from .runs import read_run

        run = read_run(Path(run_dir))
        for row in run.history if run else []:
            self._plot_epoch(row.get("epoch", 0), row.get("train_loss"), row.get("val_loss"),
                             {k: v for k, v in row.items()}, row.get("lr"))

    def _plot_epoch(self, epoch, train_loss, val_loss, metrics: dict, lr) -> None:
        metric = self.plots.metric_name
        self.plots.add_epoch(epoch, train_loss=train_loss, val_loss=val_loss, val_metric=metrics.get(metric),
                             lr=lr)

    def _epoch_end(self, event: EpochEnd) -> None:
        self._plot_epoch(event.epoch, event.train_loss, event.val_loss, event.metrics, event.lr)
        self.last_metrics = dict(event.metrics, val_loss=event.val_loss, train_loss=event.train_loss)
        metric = self.plots.metric_name
        parts = [f"Epoch {event.epoch}", f"train loss {event.train_loss:.4g}"]
        if event.val_loss is not None:
            parts.append(f"val loss {event.val_loss:.4g}")
        if metric in event.metrics:
            parts.append(metric_text(f"val {metric}", event.metrics[metric]))
        parts.append(f"{duration_text(event.duration)} per epoch")
        self._say(" · ".join(parts))

    def _eval_report(self, event: EvalReport) -> None:
        self.confusion.set_matrix(np.asarray(event.confusion), list(event.class_names))
        ds = self.dataset
        samples = []
        for row in event.worst:
            index = int(row["index"])
            x = ds.x[index] if ds is not None and 0 <= index < len(ds) else np.zeros(1)
            samples.append(SampleView(index, x, int(row["true"]), int(row["pred"]), float(row["confidence"])))
        image = ds is not None and ds.kind == "image"
        total = int(np.asarray(event.confusion).sum())
        self.gallery.set_samples(samples, list(event.class_names), image, total=total)

    def _show_progress(self) -> None:
        p = self.progress_state
        self.progress.setValue(int(p.fraction * 1000))
        self.progress.setFormat(p.text(paused=self.controller.state == PAUSED))

    # -- the end of a run ------------------------------------------------------------------------
    def _finished(self, event: Finished) -> None:
        best = event.best
        duration = sum(float(r.get("duration") or 0) for r in event.history)
        if event.stopped_by_user:
            how = "Stopped"
        elif event.stopped_early:
            how = "Stopped early (no improvement)"
        else:
            how = "Finished"
        if best:
            metric = self.plots.metric_name if self.plots.metric_name in best else best.get("metric", "val_loss")
            self.best_text = metric_text(f"best val {metric}", best.get(metric)) + f" at epoch {best.get('epoch')}"
        else:
            self.best_text = "no epoch finished"
        self.progress.setValue(1000 if not event.stopped_by_user else self.progress.value())
        self.progress.setFormat(f"{how} · {len(event.history)} epochs in {duration_text(duration)}")
        self._say(f"{how}: {self.best_text} · saved in {event.run_dir}")
        self.plots.flush()
        self.refresh_runs(select=event.run_dir)
        self.message.emit(f"Training {how.lower()}: {self.best_text}")

    def _failed(self, message: str, node_id) -> None:
        self.progress.setFormat("Failed")
        self._say_error("Training failed: " + message)
        self.plots.flush()
        self.refresh_runs()
        self.error_box = QMessageBox(QMessageBox.Icon.Critical, "Training failed", message,
                                     QMessageBox.StandardButton.Ok, self)
        self.error_box.setWindowModality(Qt.WindowModality.NonModal)
        self.error_box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.error_box.destroyed.connect(lambda *_: setattr(self, "error_box", None))
        self.error_box.show()  # never exec(): the app (and a test) carries on

    # -- runs -------------------------------------------------------------------------------------
    def refresh_runs(self, select: str | None = None) -> None:
        # the engine's folder naming (train.checkpoints.new_run_dir): runs/<graph>/<timestamp>
        graph = re.sub(r"[^\w.-]+", "_", self.editor.doc.name).strip("._") or "graph"
        self.runs.set_root(self.controller.runs_dir / graph)
        if select:
            self.runs.select_paths([select])

    def _overlay(self, runs: list) -> None:
        current = self.controller.run_dir
        shown = [r for r in runs if str(r.path) != str(current)]
        self.plots.set_overlays([(r.name, r.history) for r in shown])

    def load_weights(self, run) -> bool:
        from .export import WeightsError, fit_weights, model_state

        try:
            fit_weights(self.editor.doc, model_state(run.best_weights))
        except (WeightsError, Exception) as err:  # noqa: BLE001 - shown to the user
            self._say_error(f"Cannot load {run.name}: {err}")
            return False
        self.weights_path = run.best_weights
        self._say(f"Loaded the best weights of {run.name} into the current model "
                  f"({metric_text(*run.best()[:2])}); Export trained model… writes them")
        return True

    def export_run(self, run, folder: str | None = None) -> list:
        """Export the selected run's graph and best weights (asks where unless ``folder``)."""
        from .export import export_trained, model_state, run_graph, usage_text

        if folder is None:
            folder = ask_export_folder(self)
            if not folder:
                return []
        try:
            doc = run_graph(run.path)
            written = export_trained(doc, model_state(run.best_weights), folder)
        except Exception as err:  # noqa: BLE001 - shown to the user
            self._say_error(f"Export failed: {err}")
            return []
        names = ", ".join(p.name for p in written)
        self._say(f"Exported {names} to {folder}. Load with: " + usage_text(doc, written).replace("\n", "; "))
        return written

    # -- state ------------------------------------------------------------------------------------
    def _state_changed(self, state: str) -> None:
        running = state != IDLE
        self.train_button.setEnabled(not running)
        self.pause_button.setEnabled(state in (RUNNING, PAUSED))
        self.stop_button.setEnabled(state in (RUNNING, PAUSED))
        self.pause_button.setText("Resume" if state == PAUSED else "Pause")
        self.pause_button.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPlay if state == PAUSED else QStyle.StandardPixmap.SP_MediaPause))
        self.data_combo.setEnabled(not running)
        self.import_button.setEnabled(not running)
        self.settings.set_running(running)
        self.runs.set_busy(running)
        if state == STOPPING:
            self.progress.setFormat("Stopping after this batch…")
        elif state in (RUNNING, PAUSED) and self.progress_state.steps:
            self._show_progress()

    def _doc_changed(self, change) -> None:
        if change.kind in ("meta_changed", "reset"):
            self._fill_data_combo()
        if change.kind == "reset":
            self.refresh_runs()

    def _say(self, text: str) -> None:
        self.summary.setStyleSheet("")
        self.summary.setText(text)

    def _say_error(self, text: str) -> None:
        self.summary.setStyleSheet(f"color: {theme.current().error};")
        self.summary.setText(text)


def ask_export_folder(parent) -> str | None:
    """Where Export trained model… writes (the seam tests replace)."""
    from PySide6.QtWidgets import QFileDialog

    return QFileDialog.getExistingDirectory(parent, "Export trained model to folder") or None
