"""Hook the Training panel into a :class:`~netbuilder.ui.main_window.MainWindow`.

One call, ``install_training(window)``, does all of it, so the window's own
code stays ignorant of training: the dock beside Problems, a Train menu and
tool-bar buttons, the lock banner on the canvas, a Problems entry when a run
fails, and a clean stop when the window closes mid-run. The window's close
logic (the unsaved-changes question) runs first; only if it lets the window
close is the run stopped and waited for, so its last checkpoint is written.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QListWidgetItem, QMenu

from .. import theme
from .banner import LockBanner
from .controller import IDLE, PAUSED, RUNNING, TrainingController
from .dock import TrainDock

try:  # the Problems list's node role: clicking the entry reveals the node
    from ..problems import NODE_ROLE
except ImportError:  # pragma: no cover - an older problems module
    from PySide6.QtCore import Qt

    NODE_ROLE = Qt.ItemDataRole.UserRole


class TrainingHook(QObject):
    """Everything :func:`install_training` added to one window."""

    def __init__(self, window, runs_dir: str | Path | None = None):
        super().__init__(window)
        self.window = window
        self.controller = TrainingController(window.editor, getattr(window, "view", None), runs_dir,
                                             path_provider=lambda: getattr(window, "path", None), parent=window)
        self.dock = TrainDock(window.editor, self.controller, window)
        self.banner = LockBanner(window.view) if getattr(window, "view", None) is not None else None
        self._problem: tuple[str, str | None] | None = None
        self.actions: dict[str, QAction] = {}
        self._build_actions()
        if hasattr(window, "add_bottom_dock"):
            window.add_bottom_dock(self.dock)
        else:
            from PySide6.QtCore import Qt

            window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.controller.stateChanged.connect(self._state_changed)
        self.controller.runFailed.connect(self._failed)
        self.controller.refused.connect(self._refused)
        self.dock.message.connect(self._status)
        window.editor.shapesChanged.connect(self._reshow_problem)  # after the window's own slot
        window.installEventFilter(self)
        self._state_changed(IDLE)

    # -- menu and tool bar -----------------------------------------------------------------
    def _build_actions(self) -> None:
        w, dock = self.window, self.dock
        specs = (
            ("train", "&Train", "Ctrl+T", lambda: self.train(), "Check the graph and start training"),
            ("pause", "&Pause", "Ctrl+Shift+P", self.controller.toggle_pause, "Pause or resume training"),
            ("stop", "&Stop", "Ctrl+.", self.controller.stop, "Stop after the current batch"),
            ("import", "&Import Data…", None, dock.import_data, "Train on a CSV, .npz or folder of images"),
            ("export_trained", "&Export Trained Model…", None, self._export_current,
             "Write the model module, its trained weights and a training script"),
            ("panel", "Show Training &Panel", None, self.show_panel, "Show the Training panel"),
        )
        for key, text, shortcut, slot, tip in specs:
            action = QAction(text, w)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            action.setStatusTip(tip)
            action.setToolTip(tip)
            action.triggered.connect(lambda _=False, f=slot: f())
            self.actions[key] = action
        style = dock.style()
        self.actions["train"].setIcon(dock.train_button.icon())
        self.actions["stop"].setIcon(style.standardIcon(style.StandardPixmap.SP_MediaStop))
        self.actions["pause"].setIcon(style.standardIcon(style.StandardPixmap.SP_MediaPause))
        menu = QMenu("T&rain", w)
        for key in ("train", "pause", "stop", None, "import", "export_trained", None, "panel"):
            menu.addSeparator() if key is None else menu.addAction(self.actions[key])
        self.menu = menu
        menus = getattr(getattr(w, "action_set", None), "menus", {})
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
        self.dock.show()
        self.dock.raise_()

    def train(self, resume: str | None = None) -> bool:
        self.show_panel()
        return self.dock.train(resume=resume)

    def _export_current(self) -> None:
        run = self.dock.runs.current_run() or (self.dock.runs.runs[0] if self.dock.runs.runs else None)
        if run is None:
            self._status("Train a model first: there is no run to export")
            return
        self.dock.export_run(run)

    # -- reactions ----------------------------------------------------------------------------------
    def _state_changed(self, state: str) -> None:
        running = state != IDLE
        self.actions["train"].setEnabled(not running)
        self.actions["pause"].setEnabled(state in (RUNNING, PAUSED))
        self.actions["pause"].setText("&Resume" if state == PAUSED else "&Pause")
        self.actions["stop"].setEnabled(state in (RUNNING, PAUSED))
        self.actions["import"].setEnabled(not running)
        if self.banner is not None:
            self.banner.show_banner(running)
            if state == PAUSED:
                self.banner.set_text("Training paused — structural edits stay locked until the run ends")
            elif running:
                from .banner import TEXT

                self.banner.set_text(TEXT)
        if running and self._problem is not None:
            self._problem = None
            self._reshow_problem()

    def _failed(self, message: str, node_id) -> None:
        self._problem = (message, node_id)
        self._reshow_problem()
        if node_id and hasattr(self.window, "reveal_node"):
            self.window.reveal_node(node_id)
        self._status("Training failed: " + message)

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
            if problems.item(i).data(NODE_ROLE + 1) == "training":
                problems.takeItem(i)
        if self._problem is None:
            return
        message, node_id = self._problem
        item = QListWidgetItem(theme.icon("error"), "Training failed: " + message)
        item.setToolTip(message)
        item.setData(NODE_ROLE, node_id)
        item.setData(NODE_ROLE + 1, "training")
        problems.insertItem(0, item)

    def problem_text(self) -> str | None:
        return None if self._problem is None else "Training failed: " + self._problem[0]

    def _status(self, text: str) -> None:
        if hasattr(self.window, "statusBar"):
            self.window.statusBar().showMessage(text, 8000)

    # -- closing mid-run --------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.window and event.type() == QEvent.Type.Close and self.controller.running:
            watched.closeEvent(event)  # the window asks about unsaved changes first
            if event.isAccepted():
                self._status("Stopping training…")
                self.controller.shutdown()
            return True  # handled: Qt closes the window only if the event stayed accepted
        return False


def install_training(window, runs_dir: str | Path | None = None) -> TrainingHook:
    """Add the Training panel, menu and tool-bar actions to ``window`` (once;
    a second call returns the first hook, pointed at ``runs_dir`` if given)."""
    hook = getattr(window, "training", None)
    if isinstance(hook, TrainingHook):
        if runs_dir is not None:
            hook.controller.runs_dir = runs_dir
            hook.dock.refresh_runs()
        return hook
    hook = TrainingHook(window, runs_dir)
    window.training = hook
    return hook
