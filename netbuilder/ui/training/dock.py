"""The Training panel: data, settings, Train/Pause/Stop, live curves, results, runs.

Layout (a bottom dock, wide and short)::

    Data [digits (1, 8, 8) · 10 classes ▾] [Import…]  [Train] [Pause] [Stop]  [progress……]  summary
    ┌ Settings | Runs ┐┌ curves: loss / metric / lr ────────────┐┌ Confusion | Mistakes ┐

Everything shown is derived from the engine's events (through
:class:`~.controller.TrainingController`) or read from the document; the panel
keeps no training state of its own beyond what it draws.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...train.datasets import CLASSIFICATION, TAGGING
from ...train.events import (
    BatchEnd,
    CheckpointSaved,
    EpochEnd,
    EvalReport,
    Finished,
    GradientWarning,
    RunStarted,
    WeightsLoaded,
)
from ...train.outcome import Keeper, RunOutcome
from .. import theme
from . import icons
from .controller import IDLE, PAUSED, RUNNING, STOPPING, TrainingController
from .data_picker import DataPicker
from .gan_view import GAN_EVENTS, GanView
from .load_weights_dialog import LoadWeightsDialog, StartingWeights
from .node_debugger import NodeBrowser
from .plots import LivePlots
from .progress import Progress, duration_text, metric_text
from .results import ConfusionMatrixView, MistakesGallery, SampleView
from .resume_dialog import ResumeDialog
from .runs import RunList
from .settings import SettingsForm
from .try_it import SentenceMistakes, TryItBox

PROGRESS_INTERVAL_S = 0.2  # speed and time left need no more than 5 updates a second


class TrainDock(QDockWidget):
    """The training panel of one editor."""

    message = Signal(str)  # for the window's status bar

    def __init__(self, editor, controller: TrainingController, parent: QWidget | None = None):
        super().__init__("Training", parent)
        self.setObjectName("training_dock")
        self.editor = editor
        self.controller = controller
        self.progress_state = Progress()
        self._progress_shown = 0.0
        self.best_text = ""
        self.error_box: QMessageBox | None = None
        self.sample_kind = None  # "image", "table"…: how the current run's samples are drawn
        self.weights_path: Path | None = None  # weights "loaded into the current model"
        self._old_run = False  # the run still ending trained a document no longer shown
        self._resume_note = ""  # "with its own settings (…)" while a resumed run starts
        self.keeper, self.monitored = Keeper(), "val_loss"  # which epoch's weights the run keeps
        self.kept_report: EvalReport | None = None  # the kept epoch's results, shown when the run ends
        self.outcome: RunOutcome | None = None  # the finished run's result, as every view tells it

        body = QWidget()
        self.data = DataPicker(editor, controller)
        self.data.error.connect(self._say_error)
        self.data_combo = self.data.combo
        self.train_button = QPushButton(icons.icon("play", accent=True), "Train")
        self.train_button.setObjectName("trainButton")
        self.train_button.setToolTip("Check the graph and start training (Ctrl+T)")
        self.train_button.clicked.connect(self.train)
        self.pause_button = QPushButton(icons.icon("pause"), "Pause")
        self.pause_button.clicked.connect(self.controller.toggle_pause)
        self.stop_button = QPushButton(icons.icon("stop"), "Stop")
        self.stop_button.setToolTip("Stop after the current batch; the last checkpoint is kept")
        self.stop_button.clicked.connect(self.controller.stop)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("Ready")
        self.summary = QLabel("")
        self.summary.setObjectName("trainingSummary")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setWordWrap(True)
        self.gradient_warning = QLabel("", objectName="gradientWarning")  # vanishing / exploding, naming nodes
        self.gradient_warning.setWordWrap(True)
        self.gradient_warning.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.gradient_warning.hide()
        self.starting = StartingWeights(controller, self._say, self._say_error)

        top = QHBoxLayout()
        top.addWidget(self.data, 2)
        top.addSpacing(10)
        for button in (self.train_button, self.pause_button, self.stop_button):
            top.addWidget(button)
        # the progress bar has a row of its own: "Epoch 3/20 · step 18/45 · 723 samples/s · 1:08 left"
        # always fits it, at any window size

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
        self.right.addTab(self.confusion, "Confusion")
        self.right.addTab(self.gallery, "Mistakes")
        self.sentence_mistakes = SentenceMistakes()  # a tagger's mistakes: sentences, in the Mistakes tab
        self.gallery.layout().addWidget(self.sentence_mistakes, 1)
        self.sentence_mistakes.hide()
        self.try_it = TryItBox()
        self.right.addTab(self.try_it, "Try it")
        self.nodes = NodeBrowser(controller)  # the per-node debugger: the canvas coloured by epoch
        self.right.addTab(self.nodes, "Nodes")
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.gan_view = GanView()  # in place of the curves and results while a GAN trains
        self.gan_view.hide()
        for widget in (self.left, self.plots, self.right, self.gan_view):
            self.splitter.addWidget(widget)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setChildrenCollapsible(False)
        self._sized = False

        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.starting)
        layout.addWidget(self.summary)
        layout.addWidget(self.gradient_warning)
        layout.addWidget(self.splitter, 1)
        self.setWidget(body)

        controller.stateChanged.connect(self._state_changed)
        controller.events.connect(self.handle_events)
        controller.refused.connect(self._refused)
        controller.runFinished.connect(self._finished)
        controller.runFailed.connect(self._failed)
        self.runs.overlayChanged.connect(self._overlay)
        self.runs.loadWeightsRequested.connect(self.load_weights)
        self.runs.resumeRequested.connect(self.resume_run)
        self.runs.exportRequested.connect(self.export_run)
        editor.documentChanged.connect(self._doc_changed)
        self._state_changed(IDLE)
        self.show_gan(editor.doc.training.get("recipe") == "gan")
        self.refresh_runs()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._sized:  # the first time the panel has its real width: curves get the most
            self._sized = True
            width = max(self.splitter.width(), 900)
            side = min(320, width // 4)
            left = max(side, self.settings.needed_width(), self.left.minimumSizeHint().width())
            self.splitter.setSizes([left, width - left - side, side])

    # -- data set ------------------------------------------------------------------------
    def import_data(self) -> None:
        self.data.import_data()

    def use_imported(self, source: str, options: dict, dataset) -> None:
        self.data.use_imported(source, options, dataset)

    # -- commands ----------------------------------------------------------------------------
    def resume_run(self, run) -> ResumeDialog:
        """Offer to continue ``run`` with its own recorded settings, changing only
        what can change (see :mod:`.resume_dialog`); its length defaults to the
        panel's epochs where the run allows it."""
        from ...train.resuming import resume_settings
        default, _ = resume_settings(run.training, self.editor.doc.training, len(run.history))
        dialog = ResumeDialog(run, int(default.get("epochs", 0) or 0), self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.chosen.connect(lambda training, note: self._resume_with(run, training, note))
        dialog.open()  # window-modal without blocking
        return dialog

    def open_load_weights(self) -> LoadWeightsDialog:
        """File → Load Weights From Run…: this graph's runs or a checkpoint file; the
        choice is checked against the graph and kept for the next Train."""
        self.runs.refresh()
        dialog = LoadWeightsDialog(self.runs.runs, self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)

        def chosen(source: str) -> None:
            if self.starting.load(source):
                dialog.accept()
            else:
                dialog.refuse(self.starting.last_error)

        dialog.chosen.connect(chosen)
        dialog.open()  # window-modal without blocking
        return dialog

    def _resume_with(self, run, training: dict, note: str) -> bool:
        self._resume_note = note
        return self.train(resume=str(run.path), training=training)

    def train(self, checked: bool = False, resume: str | None = None, training: dict | None = None) -> bool:
        """Check and start (the Train button); refused runs say why."""
        if self.controller.running:
            return False
        if self.error_box is not None:
            self.error_box.close()
        if resume is None:
            self._resume_note = ""
        started = self.controller.start(resume=resume, training=training)
        self.starting.sync()  # a new run took the loaded weights with it
        if started:
            self.gradient_warning.hide()
            self.gradient_warning.clear()
            self.plots.reset("accuracy")
            self.confusion.clear()
            self.gallery.clear()
            self._show_sentences(False)
            self.try_it.clear()
            self.best_text = ""
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
        if self._old_run:
            return
        last_batch = None
        for event in batch:
            if isinstance(event, BatchEnd):
                steps = max(event.steps, 1)
                self.plots.add_batch(event.epoch - 1 + event.step / steps, event.loss, event.lr)
                last_batch = event
            elif isinstance(event, EpochEnd):
                self._epoch_end(event)
                self.gan_view.handle(event)
            elif isinstance(event, GAN_EVENTS):
                self.gan_view.handle(event)
            elif isinstance(event, RunStarted):
                self._run_started(event)
                self.gan_view.handle(event)
            elif isinstance(event, EvalReport):
                self._eval_report(event)
            elif isinstance(event, WeightsLoaded):
                self._weights_loaded(event)
            elif isinstance(event, GradientWarning):
                self._gradient_warning(event)
            elif isinstance(event, CheckpointSaved):
                if event.kind == "best":
                    self.weights_path = Path(event.path)
        if last_batch is not None:
            self.progress_state.update(last_batch)
            now = time.monotonic()
            if now - self._progress_shown >= PROGRESS_INTERVAL_S or last_batch.step == last_batch.steps:
                self._progress_shown = now
                self._show_progress()

    def _run_started(self, event: RunStarted) -> None:
        self.progress_state = Progress.from_start(event)
        task = event.data.get("task", CLASSIFICATION)
        self.show_gan(task == "gan")
        metric = {CLASSIFICATION: "accuracy", TAGGING: "token_accuracy"}.get(task, "r2")
        self.plots.reset(metric, epochs=event.epochs)
        self.sample_kind = event.data.get("kind")
        self.weights_path = None
        self.keeper, self.monitored = Keeper.for_config(event.config, [])
        self.kept_report, self.outcome = None, None
        resumed = f", resuming after epoch {event.start_epoch}" if event.start_epoch else ""
        if self._resume_note:
            resumed += f" {self._resume_note}"
        self._say(f"Training {event.param_count:,} parameters on {event.device} with "
                  f"{event.data.get('name', 'the data')} ({event.data.get('train_size', '?')} train / "
                  f"{event.data.get('val_size', '?')} validation samples){resumed}")
        if event.start_epoch:
            self._replay_history(event.run_dir)

    def _weights_loaded(self, event: WeightsLoaded) -> None:
        from ...train.initial_weights import loaded_text
        from ...train.transplant import Transplant

        text = loaded_text(Path(event.source).name, Transplant(event.kept, event.reset))
        self._say(f"{self.summary.text()} · {text}")
        self.message.emit(f"Started from earlier weights: {text}")

    def _gradient_warning(self, event: GradientWarning) -> None:
        line = f"⚠ Epoch {event.epoch}: {event.message}"
        shown = self.gradient_warning.text()
        self.gradient_warning.setText(f"{shown}\n{line}" if shown else line)
        self.gradient_warning.setStyleSheet(f"color: {theme.current().warning};")
        self.gradient_warning.show()
        self.message.emit(line)

    def _replay_history(self, run_dir: str) -> None:
        """A resumed run's earlier epochs, so its curve continues where it stopped."""
        from .runs import read_run

        run = read_run(Path(run_dir))
        for row in run.history if run else []:
            self._plot_epoch(row.get("epoch", 0), row.get("train_loss"), row.get("val_loss"), row, row.get("lr"))
            self.keeper.update(row.get(self.monitored), row.get("epoch"))

    def _plot_epoch(self, epoch, train_loss, val_loss, metrics: dict, lr) -> None:
        metric = self.plots.metric_name
        self.plots.add_epoch(epoch, train_loss=train_loss, val_loss=val_loss, val_metric=metrics.get(metric),
                             lr=lr)

    def _epoch_end(self, event: EpochEnd) -> None:
        self._plot_epoch(event.epoch, event.train_loss, event.val_loss, event.metrics, event.lr)
        row = {"train_loss": event.train_loss, "val_loss": event.val_loss, **event.metrics}
        self.keeper.update(row.get(self.monitored), event.epoch)
        metric = self.plots.metric_name
        if "g_loss" in event.metrics:  # a GAN: its two players' figures
            m = event.metrics
            self._say(f"Epoch {event.epoch} · D loss {m['d_loss']:.3f} · G loss {m['g_loss']:.3f} · "
                      f"D(x) {m['d_real']:.2f} · D(G(z)) {m['d_fake']:.2f} · {duration_text(event.duration)} per epoch")
            return
        parts = [f"Epoch {event.epoch}", f"train loss {event.train_loss:.4g}"]
        if event.val_loss is not None:
            parts.append(f"val loss {event.val_loss:.4g}")
        if metric in event.metrics:
            parts.append(metric_text(f"val {metric}", event.metrics[metric]))
        parts.append(f"{duration_text(event.duration)} per epoch")
        self._say(" · ".join(parts))

    def _eval_report(self, event: EvalReport) -> None:
        if event.epoch == self.keeper.epoch:
            self.kept_report = event
        self._show_report(event, kept=False)

    def _show_report(self, event: EvalReport, kept: bool) -> None:
        """The confusion matrix and the mistakes of one epoch, saying which."""
        which = f"{'kept ' if kept else ''}epoch {event.epoch}"
        self.confusion.set_matrix(np.asarray(event.confusion), list(event.class_names), which)
        self._show_sentences(event.task == TAGGING)
        if event.task == TAGGING:
            confusion = np.asarray(event.confusion)
            self.sentence_mistakes.set_sentences(event.worst, int(confusion.sum()),
                                                 int(confusion.sum() - np.trace(confusion)))
            return
        samples = [SampleView(int(row["index"]), np.asarray(row.get("x", np.zeros(1))), int(row["true"]),
                              int(row["pred"]), float(row["confidence"])) for row in event.worst]
        image = self.sample_kind == "image"
        confusion = np.asarray(event.confusion)
        total = int(confusion.sum())
        self.gallery.set_samples(samples, list(event.class_names), image, total=total,
                                 wrong=total - int(np.trace(confusion)))

    def show_gan(self, on: bool) -> None:
        """Show the GAN view in place of the curves and the confusion matrix, or back."""
        self.gan_view.setVisible(on)
        self.plots.setVisible(not on)
        self.right.setVisible(not on)

    def _show_sentences(self, sentences: bool) -> None:
        """The Mistakes tab shows sentences (a tagger's) or samples (anything else)."""
        self.sentence_mistakes.setVisible(sentences)
        self.gallery.list.setVisible(not sentences)
        self.gallery.summary.setVisible(not sentences)

    def _show_progress(self) -> None:
        p = self.progress_state
        self.progress.setValue(int(p.fraction * 1000))
        self.progress.setFormat(p.text(paused=self.controller.state == PAUSED))

    # -- the end of a run ------------------------------------------------------------------------
    def _finished(self, event: Finished) -> None:
        if self._old_run_ended():
            return
        best = event.best
        duration = sum(float(r.get("duration") or 0) for r in event.history)
        if event.stopped_by_user:
            how = "Stopped"
        elif event.stopped_early:
            how = "Stopped early (no improvement)"
        else:
            how = "Finished"
        self.outcome = RunOutcome.of(event.history, best.get("metric", self.monitored), best.get("epoch"),
                                     self.keeper.mode)
        self.best_text = self.outcome.text()
        if event.history and "g_loss" in event.history[-1]:  # a GAN keeps its last epoch, not a "best"
            last = event.history[-1]
            self.best_text = (f"epoch {last['epoch']}: D loss {last['d_loss']:.3f}, G loss {last['g_loss']:.3f}, "
                              f"D(x) {last['d_real']:.2f}, D(G(z)) {last['d_fake']:.2f}")
        if self.kept_report is not None and self.kept_report.epoch == self.outcome.kept_epoch:
            self._show_report(self.kept_report, kept=True)
        self.progress.setValue(1000 if not event.stopped_by_user else self.progress.value())
        self.progress.setFormat(f"{how} · {len(event.history)} epochs in {duration_text(duration)}")
        advice = f" · {event.ADVICE}" if event.still_improving else ""
        self._say(f"{how}: {self.best_text}{advice} · saved in {event.run_dir}")
        self.plots.flush()
        self.refresh_runs(select=event.run_dir)
        self.try_it.set_run(event.run_dir)
        self.message.emit(f"Training {how.lower()}: {self.best_text}")

    def _failed(self, message: str, node_id) -> None:
        if self._old_run_ended():
            return
        if self.controller.started_info is None:
            # the engine refused before the first batch (the data does not fit the graph,
            # a file is unreadable): a refusal like the checks before Train, not a crash
            self.progress.setFormat("Not started")
            self._say_error("Cannot train: " + message)
            return
        self.progress.setFormat("Failed")
        self._say_error("Training failed: " + message)
        self.plots.flush()
        self.refresh_runs(select=self.controller.run_dir if self.controller.saved_epoch else None)
        self.error_box = QMessageBox(QMessageBox.Icon.Critical, "Training failed", message,
                                     QMessageBox.StandardButton.Ok, self)
        self.error_box.setWindowModality(Qt.WindowModality.NonModal)
        self.error_box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.error_box.destroyed.connect(lambda *_: setattr(self, "error_box", None))
        self.error_box.show()  # never exec(): the app (and a test) carries on

    def _old_run_ended(self) -> bool:
        """True (once) when the run that ended trained the previous document."""
        if not self._old_run:
            return False
        self._old_run = False
        self.progress.setFormat("Ready")
        self._say("The previous graph's run was stopped; its checkpoints stay in its own runs folder")
        return True

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
        """Use ``run``'s best weights for the current graph (checked to fit);
        Export Trained Model… then writes them with the current graph."""
        from ...train.export import fit_weights, model_state

        try:
            fit_weights(self.editor.doc, model_state(run.best_weights))
        except Exception as err:  # noqa: BLE001 - a refusal, shown to the user
            self._say_error(f"Cannot load {run.name}: {err}")
            return False
        self.weights_path = run.best_weights
        self.controller.initial_weights = str(run.path)  # and the next Train starts from them
        self.starting.sync(f"all layers from {run.name}")
        self._say(f"Loaded the kept weights of {run.name} into the current model ({run.outcome.text()}); "
                  "Export Trained Model… writes them, and the next Train starts from them")
        return True

    def export_run(self, run, folder: str | None = None) -> list:
        """Export the graph ``run`` trained with its best weights."""
        import shutil

        from ...train.export import model_state, run_graph
        from ...train.tokens_data import VOCABULARY_FILE

        written = self._export(lambda: (run_graph(run.path), model_state(run.best_weights)), folder)
        vocabulary = Path(run.path) / VOCABULARY_FILE
        if written and vocabulary.is_file():  # a tagger's words and tags, to read new text with the model
            written.append(Path(shutil.copyfile(vocabulary, written[0].parent / VOCABULARY_FILE)))
        return written

    def export_current(self, folder: str | None = None) -> list:
        """Export the current graph with the weights loaded or trained last; if
        there are none, the newest run's graph and weights."""
        from ...train.export import model_state

        if self.weights_path is not None and self.weights_path.is_file():
            return self._export(lambda: (self.editor.doc.copy(), model_state(self.weights_path)), folder)
        if self.runs.runs:
            return self.export_run(self.runs.current_run() or self.runs.runs[0], folder)
        self._say_error("Train a model first: there are no trained weights to export")
        return []

    def _export(self, load, folder: str | None) -> list:
        from ...train.export import export_trained, usage_text

        if folder is None:
            folder = ask_export_folder(self)
            if not folder:
                return []
        try:
            doc, state = load()
            written, problem = export_trained(doc, state, folder, self.controller.base_dir)
        except Exception as err:  # noqa: BLE001 - shown to the user
            self._say_error(f"Export failed: {err}")
            return []
        names = ", ".join(p.name for p in written)
        note = f" (no train.py: {problem})" if problem else ""
        self._say(f"Exported {names} to {folder}{note}. Load with: " + usage_text(doc).replace("\n", "; "))
        return written

    # -- state ------------------------------------------------------------------------------------
    def _state_changed(self, state: str) -> None:
        running = state != IDLE
        self.train_button.setEnabled(not running)
        self.pause_button.setEnabled(state in (RUNNING, PAUSED))
        self.stop_button.setEnabled(state in (RUNNING, PAUSED))
        self.pause_button.setText("Resume" if state == PAUSED else "Pause")
        self.pause_button.setIcon(icons.icon("play" if state == PAUSED else "pause"))
        self.data.setEnabled(not running)
        self.settings.set_running(running)
        self.runs.set_busy(running)
        if state == STOPPING:
            self.progress.setFormat("Stopping after this batch…")
        elif state in (RUNNING, PAUSED) and self.progress_state.steps:
            self._show_progress()

    def _doc_changed(self, change) -> None:
        if change.kind == "reset":
            self.show_new_document()
        elif change.kind == "meta_changed" and not self.controller.running:
            gan = self.editor.doc.training.get("recipe") == "gan"
            if gan != self.gan_view.isVisibleTo(self):  # the recipe was chosen: its own views
                self.show_gan(gan)

    def show_new_document(self) -> None:
        """Another document replaced this one (New, Open, Recover, Import PyTorch
        Model): nothing of the old graph's runs, refusals or results stays on
        screen. A run still training the old graph is being stopped (the
        controller does that); its last events are not drawn over the new graph."""
        self._old_run = self.controller.running
        self.plots.reset("accuracy")
        self.plots.set_overlays([])
        self.gan_view.reset()
        self.show_gan(self.editor.doc.training.get("recipe") == "gan")
        self.confusion.clear()
        self.gallery.clear()
        self._show_sentences(False)
        self.try_it.clear()
        self.best_text = ""
        self.outcome, self.kept_report, self.weights_path = None, None, None
        self.nodes.clear()
        self.gradient_warning.hide()
        self.gradient_warning.clear()
        self.starting.sync()
        self.progress_state = Progress()
        self.progress.setValue(0)
        self.progress.setFormat("Stopping the previous graph's run…" if self._old_run else "Ready")
        if self.error_box is not None:
            self.error_box.close()
        self._say("")
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
