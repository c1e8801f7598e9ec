"""One training run at a time for one editor: start, pause, stop, shut down.

The controller is the only part of the GUI that talks to the engine, and it
talks to it in another process (:mod:`.process`, :mod:`netbuilder.train.worker`):
it checks the graph first (:mod:`.preflight`), sends the worker the document as
saved JSON, reads the worker's events through an :class:`~.worker.EventPump`,
locks the canvas against structural edits while the run lasts, forwards
per-node statistics to the canvas and re-emits the events, in batches, for the
panels. :meth:`TrainingController.warm_up` keeps a worker waiting with PyTorch
loaded, so Train starts at once; a Stop that the worker does not honour in
time (a run stuck inside a layer) ends the process.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal

from ...core.fileformat import dumps
from ...train.events import CheckpointSaved, Failed, Finished, NodeStats, RunStarted
from ...train.node_history import NodeHistory
from ...train.worker import RunRequest
from .process import TrainingProcess, WorkerDied
from .worker import EventPump, WorkerCrashed

IDLE, RUNNING, PAUSED, STOPPING = "idle", "running", "paused", "stopping"
STOP_GRACE_MS = 10_000  # a Stop not honoured by then (at least 3 batches' time) ends the worker process
WARM_UP_DELAY_MS = 1_500  # after a run: let the results draw before a new worker loads PyTorch

def _network_form(doc) -> dict:
    """What a run trains: the network without positions, and the frozen nodes."""
    from ...train.graph_versions import network_form

    return {**network_form(doc), "freeze": sorted((doc.training or {}).get("freeze", []))}


def _own_folder(folder: Path) -> bool:
    from ..files import EXAMPLES_DIR

    bundled = folder.resolve() == EXAMPLES_DIR.resolve() or EXAMPLES_DIR.resolve() in folder.resolve().parents
    return not bundled and os.access(folder, os.W_OK)


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
                 trainer_factory: str | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.editor = editor
        self.view = view
        self._runs_dir = Path(runs_dir) if runs_dir is not None else None
        self.path_provider = path_provider or (lambda: None)
        self.trainer_factory = trainer_factory or RunRequest.factory  # "module:function", run in the worker
        self.known_data: dict = {}  # source -> DataSet the import dialog loaded
        self.state = IDLE
        self.trainer: TrainingProcess | None = None  # the worker of the current run
        self.spare: TrainingProcess | None = None  # a worker waiting, PyTorch loaded
        self.keep_warm = False
        self.pump: EventPump | None = None
        self.run_dir: str | None = None
        self.started_info: RunStarted | None = None
        self.result: Finished | None = None
        self.saved_epoch = 0
        self.error: tuple[str, str | None] | None = None
        self._active_nodes: set[str] = set()
        self.node_history = NodeHistory()  # every epoch's node statistics of the current run (the debugger)
        self.initial_weights: str | None = None  # File → Load Weights From Run…: the next new run starts from these
        self._run_initial: str | None = None  # what the current run started from (kept for an edited restart)
        self._live_lr: float | None = None
        self._doc_replaced = False
        self._continue_edited = False  # Resume after an edit: the run stops, then continues edited
        self._trained_form: dict | None = None  # the network the current run trains
        self._longest_gap_ms = 0  # the longest wait between two deliveries of this run
        self._last_delivery = None
        self._stop_timer = QTimer(self, singleShot=True, timeout=self._stop_overdue)
        self._warm_timer = QTimer(self, singleShot=True, interval=WARM_UP_DELAY_MS, timeout=self._warm_now)
        editor.documentChanged.connect(self._doc_changed)

    # -- where things are ----------------------------------------------------------
    @property
    def base_dir(self) -> str | None:
        path = self.path_provider()
        return str(Path(path).resolve().parent) if path else None

    @property
    def runs_dir(self) -> Path:
        """Runs go beside the graph file (``<folder>/runs``) when that folder is the
        user's own and writable; a bundled example's, a read-only folder's and an
        unsaved graph's go to the per-user data folder, never into the installed
        package or wherever the app was started."""
        if self._runs_dir is not None:
            return self._runs_dir
        base = self.base_dir
        if base and _own_folder(Path(base)):
            return Path(base) / "runs"
        data = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        return Path(data or Path.home() / ".netbuilder") / "runs"

    @runs_dir.setter
    def runs_dir(self, value) -> None:
        self._runs_dir = Path(value) if value is not None else None

    @property
    def running(self) -> bool:
        return self.state != IDLE

    # -- commands ---------------------------------------------------------------------
    def check(self, training: dict | None = None) -> list[tuple[str, str | None]]:
        from . import preflight  # with the data and training code (and PyTorch): not at start-up

        self.editor.load_core()
        training = self.editor.doc.training if training is None else training
        return preflight.check(self.editor.doc, self.editor.report, training, self.known_data)

    def start(self, resume: str | None = None, training: dict | None = None, by_node_id: bool = False) -> bool:
        """Check, then start a run (or continue ``resume``, a run folder or .pt) with
        ``training`` settings (a resumed run's own), else the document's; ``by_node_id``
        continues a graph edited since (see :mod:`netbuilder.train.graph_versions`)."""
        if self.running:
            return False
        training = self.editor.doc.training if training is None else training
        problems = self.check(training)
        if problems:
            self.refused.emit(problems)
            return False
        from ...train.config import TrainingConfig

        config = TrainingConfig.from_dict(training)
        initial = self.initial_weights if resume is None else None  # a resumed run has weights of its own
        request = RunRequest(dumps(self.editor.doc), config, str(self.runs_dir), resume, self.base_dir,
                             self.trainer_factory, by_node_id, initial)
        self.initial_weights, self._run_initial = None, initial
        self._trained_form = _network_form(self.editor.doc)
        self.result, self.error, self.run_dir, self.started_info = None, None, None, None
        self.saved_epoch = 0  # the epoch last.pt holds (a resumed run's: from its first save on)
        self._live_lr = config.optimizer.lr
        self._doc_replaced = False
        self._longest_gap_ms, self._last_delivery = 0, None
        self._clear_activity()
        self.trainer, self.spare = self.spare or TrainingProcess(), None
        if not self.trainer.alive():  # a waiting worker that died meanwhile: a fresh one
            self.trainer.close()
            self.trainer = TrainingProcess()
        self.pump = EventPump(lambda worker=self.trainer: worker.events(request), parent=self)
        self.pump.events.connect(self._on_events)
        self.pump.finished.connect(self._on_pump_finished)
        self._set_state(RUNNING)
        if self.view is not None:
            self.view.set_locked(True)
        self.pump.start()
        return True

    def warm_up(self) -> None:
        """Start a worker now and keep one waiting after every run (the app calls this
        once its window is shown; a test or script that never trains never pays for it)."""
        self.keep_warm = True
        self._warm_now()

    def _warm_now(self) -> None:
        if self.keep_warm and self.spare is None and not self.running:
            self.spare = TrainingProcess()

    def pause(self) -> None:
        if self.state == RUNNING:
            self.trainer.send("pause")
            self._set_state(PAUSED)
            if self.view is not None:
                self.view.set_locked(False)  # the graph may be edited while paused (see resume)

    def resume(self) -> None:
        """Go on; if the graph was edited while paused, stop this run (its last finished
        epoch is saved) and continue it with the edited graph, node by node."""
        if self.state != PAUSED:
            return
        if self.graph_edited():
            self._continue_edited = True
            self.stop()
            return
        self.trainer.send("resume")
        self._set_state(RUNNING)
        if self.view is not None:
            self.view.set_locked(True)

    def graph_edited(self) -> bool:
        """The network (or which nodes are frozen) differs from the one this run trains."""
        return self.running and _network_form(self.editor.doc) != self._trained_form

    def toggle_pause(self) -> None:
        self.resume() if self.state == PAUSED else self.pause()

    def stop(self) -> None:
        """Ask the engine to stop after the current batch (it saves a last checkpoint);
        if it has not ended after the grace time, end its process."""
        if self.state in (RUNNING, PAUSED):
            self.trainer.send("stop")
            self._set_state(STOPPING)
            self._stop_timer.start(max(STOP_GRACE_MS, 3 * self._longest_gap_ms))

    def _stop_overdue(self) -> None:
        if self.state == STOPPING and self.trainer is not None:
            self.trainer.kill()

    def shutdown(self, timeout: float = 60.0) -> bool:
        """Stop and wait for the run to end (window closing), and let the waiting
        worker go; True if the run ended by itself (else its process was ended)."""
        self.keep_warm = False
        self._warm_timer.stop()
        if self.spare is not None:
            self.spare.close()
            self.spare = None
        if not self.running or self.pump is None:
            return True
        self.stop()
        if self.pump.wait(timeout):
            return True
        self.trainer.kill()
        self.pump.wait(5.0)
        return False

    # -- events (GUI thread) -------------------------------------------------------------
    def _on_events(self, batch: list) -> None:
        self._note_delivery()
        stats = None
        for event in batch:
            if isinstance(event, RunStarted):
                self.started_info = event
                self.run_dir = event.run_dir
                self.node_history.start(event.run_dir, event.start_epoch)
            elif isinstance(event, NodeStats):
                stats = event  # only the newest is shown live; the history keeps them all
                self.node_history.add(event.epoch, event.stats)
            elif isinstance(event, CheckpointSaved) and event.kind == "last":
                self.saved_epoch = event.epoch
            elif isinstance(event, Finished):
                self.result = event
                self.run_dir = event.run_dir or self.run_dir
            elif isinstance(event, Failed):
                self.error = (event.message, event.node_id)
            elif isinstance(event, WorkerCrashed):
                self.error = (f"training crashed: {event.message}", None)
            elif isinstance(event, WorkerDied):
                self.error = (self._death_message(event), None)
        if stats is not None:
            self._show_activity(stats.stats)
        self.events.emit(batch)

    def _note_delivery(self) -> None:
        """How long the worker goes between reports: a Stop waits a few times that."""
        now = time.monotonic()
        if self._last_delivery is not None:
            self._longest_gap_ms = max(self._longest_gap_ms, int((now - self._last_delivery) * 1000))
        self._last_delivery = now

    def _death_message(self, event: WorkerDied) -> str:
        """What died and what is on disk, said truthfully."""
        if self.saved_epoch:
            return (f"{event.message}. The last checkpoint (epoch {self.saved_epoch}) is in {self.run_dir}: "
                    "select the run under Runs and press Resume to continue from it")
        if self.run_dir is not None:
            return f"{event.message}, before any epoch was saved in {self.run_dir}"
        return event.message

    def _on_pump_finished(self) -> None:
        if self._continue_edited:
            self._continue_edited = False
            if self.error is None and self._restart_edited():
                return
        self._stop_timer.stop()
        if self.view is not None:
            self.view.set_locked(False)
        if self.trainer is not None:  # else closed already (an edited graph that was refused)
            self.trainer.close()
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
        if self.keep_warm:
            self._warm_timer.start()

    def _restart_edited(self) -> bool:
        """The run stopped for an edit: continue it with the edited graph (a new run
        if no epoch had finished yet). False if the edited graph was refused."""
        self._stop_timer.stop()
        self.trainer.close()
        self.trainer = None
        self._set_state(IDLE)
        resume = self.run_dir if self.saved_epoch else None
        stopped = self.result
        if resume is None:  # no epoch finished: the new run starts from what this one did
            self.initial_weights = self._run_initial
        if self.start(resume=resume, by_node_id=resume is not None):
            return True
        self.result = stopped  # refused (the edit broke the graph): the stopped run is the result
        return False

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
        graph that is no longer on screen. Loaded weights and the node history belong
        to the old graph too."""
        if change.kind == "reset":
            self.initial_weights = None
            self.node_history.clear()
        if self.trainer is None:
            return
        if change.kind == "reset":
            self._doc_replaced = True  # its node ids no longer mean the trained nodes
            self.stop()
            return
        if change.kind != "meta_changed":
            return
        from ...train.config import ConfigError, TrainingConfig

        try:
            lr = TrainingConfig.from_dict(self.editor.doc.training).optimizer.lr
        except ConfigError:
            return
        if lr != self._live_lr:
            self._live_lr = lr
            self.trainer.send(("lr", lr))

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)
