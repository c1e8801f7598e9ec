"""One training run at a time for one editor: start, pause, stop, shut down.

The controller is the only part of the GUI that talks to the engine. It
checks the graph first (:mod:`.preflight`), gives the engine a *copy* of the
document (the worker thread never reads the live one), runs
``Trainer.run()`` through an :class:`~.worker.EventPump`, locks the canvas
against structural edits while the run lasts, forwards per-node statistics to
the canvas and re-emits the engine's events, in batches, for the panels.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Signal

from ...train.config import ConfigError, TrainingConfig
from ...train.events import Failed, Finished, NodeStats, RunStarted
from . import preflight
from .worker import EventPump, WorkerCrashed

IDLE, RUNNING, PAUSED, STOPPING = "idle", "running", "paused", "stopping"


def default_trainer_factory(doc, config, runs_dir, resume, base_dir):
    """The real engine (imported on first Train, not at start-up)."""
    from ...train.engine import Trainer

    return Trainer(doc, config, runs_dir=runs_dir, resume=resume, base_dir=base_dir)


class TrainingController(QObject):
    """Owns the current run of ``editor``'s document."""

    stateChanged = Signal(str)  # idle | running | paused | stopping
    events = Signal(list)  # engine events, batched (<= ~30 deliveries a second)
    refused = Signal(list)  # [(message, node id or None)]: Train was refused
    runFinished = Signal(object)  # the Finished event (stopped ones included)
    runFailed = Signal(str, object)  # message, node id or None
    ended = Signal()  # after runFinished/runFailed: the run is over, the graph unlocked

    def __init__(self, editor, view=None, runs_dir: str | Path | None = None,
                 path_provider: Callable[[], str | None] | None = None,
                 trainer_factory: Callable | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.editor = editor
        self.view = view
        self._runs_dir = Path(runs_dir) if runs_dir is not None else None
        self.path_provider = path_provider or (lambda: None)
        self.trainer_factory = trainer_factory or default_trainer_factory
        self.known_data: dict = {}  # source -> DataSet the import dialog loaded
        self.state = IDLE
        self.trainer = None
        self.pump: EventPump | None = None
        self.run_dir: str | None = None
        self.started_info: RunStarted | None = None
        self.result: Finished | None = None
        self.error: tuple[str, str | None] | None = None
        self._active_nodes: set[str] = set()
        self._live_lr: float | None = None
        self._doc_replaced = False
        editor.documentChanged.connect(self._doc_changed)

    # -- where things are ----------------------------------------------------------
    @property
    def base_dir(self) -> str | None:
        path = self.path_provider()
        return str(Path(path).resolve().parent) if path else None

    @property
    def runs_dir(self) -> Path:
        """Runs go beside the graph file (``<folder>/runs``); an unsaved graph's
        go to the per-user data folder, never to wherever the app was started."""
        if self._runs_dir is not None:
            return self._runs_dir
        if self.base_dir:
            return Path(self.base_dir) / "runs"
        data = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        return Path(data or Path.home() / ".netbuilder") / "runs"

    @runs_dir.setter
    def runs_dir(self, value) -> None:
        self._runs_dir = Path(value) if value is not None else None

    @property
    def running(self) -> bool:
        return self.state != IDLE

    # -- commands ---------------------------------------------------------------------
    def check(self) -> list[tuple[str, str | None]]:
        return preflight.check(self.editor.doc, self.editor.report, self.editor.doc.training, self.known_data)

    def start(self, resume: str | None = None) -> bool:
        """Check, then start a run (or continue ``resume``, a run folder or .pt)."""
        if self.running:
            return False
        problems = self.check()
        if problems:
            self.refused.emit(problems)
            return False
        config = TrainingConfig.from_dict(self.editor.doc.training)
        doc = self.editor.doc.copy()
        self.result, self.error, self.run_dir, self.started_info = None, None, None, None
        self._live_lr = config.optimizer.lr
        self._doc_replaced = False
        self._clear_activity()
        try:
            self.trainer = self.trainer_factory(doc, config, str(self.runs_dir), resume, self.base_dir)
        except Exception as err:  # noqa: BLE001 - a refusal from the engine, said plainly
            self.refused.emit([(str(err), getattr(err, "node_id", None))])
            return False
        self.pump = EventPump(self.trainer.run, parent=self)
        self.pump.events.connect(self._on_events)
        self.pump.finished.connect(self._on_pump_finished)
        self._set_state(RUNNING)
        if self.view is not None:
            self.view.set_locked(True)
        self.pump.start()
        return True

    def pause(self) -> None:
        if self.state == RUNNING:
            self.trainer.pause()
            self._set_state(PAUSED)

    def resume(self) -> None:
        if self.state == PAUSED:
            self.trainer.resume()
            self._set_state(RUNNING)

    def toggle_pause(self) -> None:
        self.resume() if self.state == PAUSED else self.pause()

    def stop(self) -> None:
        """Ask the engine to stop after the current batch (it saves a last checkpoint)."""
        if self.state in (RUNNING, PAUSED):
            self.trainer.stop()
            self._set_state(STOPPING)

    def shutdown(self, timeout: float = 60.0) -> bool:
        """Stop and wait for the run to end (window closing); True if it ended."""
        if not self.running or self.pump is None:
            return True
        self.stop()
        if self.pump.wait(timeout):
            return True
        self.pump.abort()
        return self.pump.wait(5.0)

    # -- events (GUI thread) -------------------------------------------------------------
    def _on_events(self, batch: list) -> None:
        stats = None
        for event in batch:
            if isinstance(event, RunStarted):
                self.started_info = event
                self.run_dir = event.run_dir
            elif isinstance(event, NodeStats):
                stats = event  # only the newest matters
            elif isinstance(event, Finished):
                self.result = event
                self.run_dir = event.run_dir or self.run_dir
            elif isinstance(event, Failed):
                self.error = (event.message, event.node_id)
            elif isinstance(event, WorkerCrashed):
                self.error = (f"training crashed: {event.message}", None)
        if stats is not None:
            self._show_activity(stats.stats)
        self.events.emit(batch)

    def _on_pump_finished(self) -> None:
        if self.view is not None:
            self.view.set_locked(False)
        self.trainer = None
        self._set_state(IDLE)
        if self.error is not None:
            self.runFailed.emit(*self.error)
        elif self.result is not None:
            self.runFinished.emit(self.result)
        else:
            self.error = ("the run ended without reporting a result", None)
            self.runFailed.emit(*self.error)
        self.ended.emit()

    def _show_activity(self, stats: dict) -> None:
        if self.view is None or self._doc_replaced:
            return
        for node_id, values in stats.items():
            if node_id in self.editor.doc.nodes:
                self.view.set_node_activity(node_id, values)
                self._active_nodes.add(node_id)

    def _clear_activity(self) -> None:
        if self.view is not None:
            for node_id in self._active_nodes:
                if node_id in self.editor.doc.nodes:
                    self.view.set_node_activity(node_id, None)
        self._active_nodes.clear()

    # -- live settings ------------------------------------------------------------------
    def _doc_changed(self, change) -> None:
        """A learning-rate edit during a run goes to the engine (from the next batch);
        another document replacing this one (New, Open) ends the run: it trains a
        graph that is no longer on screen."""
        if self.trainer is None:
            return
        if change.kind == "reset":
            self._doc_replaced = True  # its node ids no longer mean the trained nodes
            self.stop()
            return
        if change.kind != "meta_changed":
            return
        try:
            lr = TrainingConfig.from_dict(self.editor.doc.training).optimizer.lr
        except ConfigError:
            return
        if lr != self._live_lr:
            self._live_lr = lr
            self.trainer.set_lr(lr)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)
