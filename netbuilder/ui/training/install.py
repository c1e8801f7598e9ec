"""Hook training into a :class:`~netbuilder.ui.main_window.MainWindow`.

One call, ``install_training(window)``, does all of it, so the window's own
code stays ignorant of training: a Train menu and tool-bar buttons at once,
and the Training panel (beside Problems), the lock banner on the canvas, a
Problems entry when a run fails and a clean stop when the window closes
mid-run (within seconds: a worker that does not stop in time is ended). The
panel is built the first time it is needed (Train, Import Data…, Show Training
Panel), and the app imports its code (pyqtgraph) when idle after start-up, so
neither the first paint nor the first Train waits for it. The window's close
logic (the unsaved-changes question) runs first; only if it lets the window
close is the run stopped and waited for, so its last checkpoint is written.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QListWidgetItem, QMenu

from .. import theme
from . import icons
from .controller import IDLE, PAUSED, RUNNING, TrainingController

try:  # the Problems list's node role: clicking the entry reveals the node
    from ..problems import NODE_ROLE
except ImportError:  # pragma: no cover - an older problems module
    NODE_ROLE = Qt.ItemDataRole.UserRole
KIND_ROLE = NODE_ROLE + 1  # marks the entry this module adds
PANEL_HEIGHT = 440
CLOSE_TIMEOUT_S = 4.0  # closing mid-run: the run's stop, then its process is ended (the app exits in 5 s)


class TrainingHook(QObject):
    """Everything :func:`install_training` added to one window."""

    def __init__(self, window, runs_dir: str | Path | None = None):
        super().__init__(window)
        self.window = window
        self.controller = TrainingController(window.editor, getattr(window, "view", None), runs_dir,
                                             path_provider=lambda: getattr(window, "path", None), parent=window)
        self._dock = None
        self._banner = None
        self._panel_sized = False
        self._problem: tuple[str, str | None] | None = None
        self.actions: dict[str, QAction] = {}
        self._build_actions()
        inspector = getattr(window, "inspector", None)
        if inspector is not None and hasattr(inspector, "section_makers"):
            inspector.section_makers.append(self._node_history_section)
        self.controller.stateChanged.connect(self._state_changed)
        self.controller.runFailed.connect(self._failed)
        self.controller.refused.connect(self._refused)
        window.editor.shapesChanged.connect(self._reshow_problem)  # after the window's own slot
        window.installEventFilter(self)
        self._state_changed(IDLE)

    # -- the panel, built on first use ------------------------------------------------------
    @property
    def dock(self):
        """The Training panel (built now if it does not exist yet)."""
        if self._dock is None:
            from .dock import TrainDock

            self._dock = TrainDock(self.window.editor, self.controller, self.window)
            self._dock.message.connect(self._status)
            from .graph_marks import GraphMarks

            self._marks = GraphMarks(self.controller, self._dock.plots, self._status, self)
            if hasattr(self.window, "add_bottom_dock"):
                self.window.add_bottom_dock(self._dock)
            else:
                self.window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self._dock)
        return self._dock

    def preload(self) -> None:
        """Import the panel's code (pyqtgraph, ~0.4 s) while the user is looking at the
        graph, so the first Train does not pause to load it (the app calls this when idle).
        What pressing Train reads besides (the network's form, the settings; ~35 ms) too."""
        from ...train import config, graph_versions  # noqa: F401
        from . import dock  # noqa: F401

    def trained_checkpoint(self) -> Path | None:
        """The weights of this document's latest run (its best epoch, else its last), if any."""
        from ...train.export import WeightsError, trained_weights

        run_dir = self.controller.run_dir
        if run_dir is None or self.controller.running:
            return None
        try:
            return trained_weights(run_dir)
        except WeightsError:
            return None

    @property
    def has_dock(self) -> bool:
        return self._dock is not None

    @property
    def banner(self):
        if self._banner is None and getattr(self.window, "view", None) is not None:
            from .banner import LockBanner

            self._banner = LockBanner(self.window.view)
        return self._banner

    # -- menu and tool bar -----------------------------------------------------------------
    def _build_actions(self) -> None:
        w = self.window
        specs = (
            ("train", "&Train", "Ctrl+T", lambda: self.train(), "Check the graph and start training"),
            ("pause", "&Pause", "Ctrl+Shift+P", self.controller.toggle_pause, "Pause or resume training"),
            ("stop", "&Stop", "Ctrl+.", self.controller.stop, "Stop after the current batch"),
            ("import", "&Import Data…", None, lambda: self.dock.import_data(),
             "Train on a CSV, .npz or folder of images"),
            ("export_trained", "&Export Trained Model…", None, self._export_current,
             "Write the model module, its trained weights and a training script"),
            ("load_weights", "Load &Weights From Run…", None, self.load_weights,
             "Start the next run from an earlier run's weights, layer by layer (fine-tuning)"),
            ("panel", "Show Training &Panel", None, self.show_panel,
             "Data set, settings, curves, results and past runs"),
        )
        for key, text, shortcut, slot, tip in specs:
            action = QAction(text, w)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            action.setStatusTip(tip)
            action.setToolTip(tip)
            action.triggered.connect(lambda _=False, f=slot: f())
            self.actions[key] = action
        self.actions["train"].setIcon(icons.icon("play", accent=True))
        self.actions["pause"].setIcon(icons.icon("pause"))
        self.actions["stop"].setIcon(icons.icon("stop"))
        menu = QMenu("T&rain", w)
        for key in ("train", "pause", "stop", None, "import", "export_trained", None, "panel"):
            menu.addSeparator() if key is None else menu.addAction(self.actions[key])
        self.menu = menu
        menus = getattr(getattr(w, "action_set", None), "menus", {})
        if "File" in menus:  # beside Import PyTorch Model…: both bring weights in
            items = menus["File"].actions()
            after = next((i for i, a in enumerate(items) if a is w.action_set.actions.get("import_model")), None)
            if after is not None and after + 1 < len(items):
                menus["File"].insertAction(items[after + 1], self.actions["load_weights"])
            else:
                menus["File"].addAction(self.actions["load_weights"])
        before = menus.get("Help")
        if before is not None:
            w.menuBar().insertMenu(before.menuAction(), menu)
        else:
            w.menuBar().addMenu(menu)
        for key in ("train", "pause", "stop"):
            if hasattr(w, "add_toolbar_action"):
                w.add_toolbar_action(self.actions[key])

    # -- commands ---------------------------------------------------------------------------------
    def show_panel(self) -> None:
        dock = self.dock
        dock.show()
        dock.raise_()
        if not self._panel_sized and self.window.isVisible():
            # the first time: tall enough for three plots (the bottom area may have
            # been sized for the Problems list); later the user's own size stands
            self._panel_sized = True
            if dock.height() < PANEL_HEIGHT:
                self.window.resizeDocks([dock], [PANEL_HEIGHT], Qt.Orientation.Vertical)

    def train(self, resume: str | None = None) -> bool:
        self.show_panel()
        return self.dock.train(resume=resume)

    def load_weights(self):
        """File → Load Weights From Run… (the dialog does not block; returned for tests).
        Loaded, the weights show in the live preview too, as the network's current ones."""
        self.show_panel()
        dialog = self.dock.open_load_weights()
        dialog.accepted.connect(self._preview_loaded)
        return dialog

    def _preview_loaded(self) -> None:
        source = self.controller.initial_weights
        preview = getattr(self.window, "preview", None)
        if source and preview is not None and (Path(source) / "graph.json").is_file():  # what the preview reads
            preview.layer.set_weights(source)

    def _node_history_section(self, node_id: str):
        """The inspector's sparklines of the selected node's statistics, epoch by epoch."""
        from .node_debugger import NodeSparklines

        return NodeSparklines(self.controller, node_id, self._dock.nodes if self._dock is not None else None)

    def _export_current(self) -> None:
        self.show_panel()
        self.dock.export_current()

    # -- reactions ----------------------------------------------------------------------------------
    def _state_changed(self, state: str) -> None:
        running = state != IDLE
        self.actions["train"].setEnabled(not running)
        self.actions["pause"].setEnabled(state in (RUNNING, PAUSED))
        self.actions["pause"].setText("&Resume" if state == PAUSED else "&Pause")
        self.actions["pause"].setIcon(icons.icon("play" if state == PAUSED else "pause"))
        self.actions["stop"].setEnabled(state in (RUNNING, PAUSED))
        self.actions["import"].setEnabled(not running)
        self.actions["load_weights"].setEnabled(not running)
        banner = self.banner if running or self._banner is not None else None
        if banner is not None:
            from .banner import PAUSED_TEXT, TEXT

            banner.set_text(PAUSED_TEXT if state == PAUSED else TEXT)
            banner.show_banner(running)
        if running and self._problem is not None:
            self._problem = None
            self._reshow_problem()

    def _failed(self, message: str, node_id) -> None:
        started = self.controller.started_info is not None
        text = ("Training failed: " if started else "Cannot train: ") + message
        self._problem = (text, node_id)
        self._reshow_problem()
        if node_id and hasattr(self.window, "reveal_node"):
            self.window.reveal_node(node_id)
        self._status(text)

    def _refused(self, problems: list) -> None:
        node_id = problems[0][1] if problems else None
        if node_id and hasattr(self.window, "reveal_node"):
            self.window.reveal_node(node_id)

    def _reshow_problem(self, *_):
        """Keep the run's failure in the Problems list until the next run starts
        (the list is rebuilt from the shape report on every edit)."""
        problems = getattr(self.window, "problems", None)
        if problems is None:
            return
        for i in reversed(range(problems.count())):
            if problems.item(i).data(KIND_ROLE) == "training":
                problems.takeItem(i)
        if self._problem is None:
            return
        message, node_id = self._problem
        item = QListWidgetItem(theme.icon("error"), message)
        item.setToolTip(message)
        item.setData(NODE_ROLE, node_id)
        item.setData(KIND_ROLE, "training")
        problems.insertItem(0, item)

    def _status(self, text: str) -> None:
        if hasattr(self.window, "statusBar"):
            self.window.statusBar().showMessage(text, 8000)

    # -- closing mid-run --------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.window and event.type() == QEvent.Type.Close:
            watched.closeEvent(event)  # the window asks about unsaved changes first
            if event.isAccepted():
                if self.controller.running:
                    self._status("Stopping training…")
                self.controller.shutdown(timeout=CLOSE_TIMEOUT_S)  # also lets a waiting worker go
            return True  # handled: Qt closes the window only if the event stayed accepted
        return False


def install_training(window, runs_dir: str | Path | None = None) -> TrainingHook:
    """Add training to ``window`` (once; a second call returns the first hook,
    pointed at ``runs_dir`` if given)."""
    hook = getattr(window, "training", None)
    if isinstance(hook, TrainingHook):
        if runs_dir is not None:
            hook.controller.runs_dir = runs_dir
            if hook.has_dock:
                hook.dock.refresh_runs()
        return hook
    hook = TrainingHook(window, runs_dir)
    window.training = hook
    return hook
