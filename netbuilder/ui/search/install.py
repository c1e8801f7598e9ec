"""Hook the search into a main window: a Search menu, the panel beside Training, the canvas's marks.

One call, ``install_search(window)``, like :func:`netbuilder.ui.training.install.install_training`;
the panel (and pyqtgraph) is built the first time it is shown. Closing the window
stops a running study (its unfinished trial is tried again on the next Start).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMenu

from .marks import VariesMarks


class SearchHook(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._dock: QDockWidget | None = None
        self.marks = VariesMarks(window.editor, getattr(window, "view", None), self, getattr(window, "scoped", None))
        self.actions: dict[str, QAction] = {}
        menu = QMenu("Sea&rch", window)
        for key, text, slot, tip in (
                ("panel", "Show &Search Panel", self.show_panel, "Trials, best values, importances"),
                ("start", "S&tart Search", lambda: self.show_panel() or self.panel.start(),
                 "Start or continue the study over what the graph marks as varying"),
                ("stop", "St&op Search", lambda: self.panel.stop(), "Stop the study after this batch")):
            action = QAction(text, window)
            action.setStatusTip(tip)
            action.triggered.connect(lambda _=False, f=slot: f())
            menu.addAction(action)
            self.actions[key] = action
        self.menu = menu
        menus = getattr(getattr(window, "action_set", None), "menus", {})
        before = menus.get("Help")
        if before is not None:
            window.menuBar().insertMenu(before.menuAction(), menu)
        else:
            window.menuBar().addMenu(menu)
        window.installEventFilter(self)
        window.editor.documentChanged.connect(self._document_changed)

    def _document_changed(self, change) -> None:
        """A graph opened with a study beside it: the panel opens on its trials (it reads them itself)."""
        path = getattr(self.window, "path", None)
        if change.kind != "reset" or self._dock is not None or not path or not self.window.editor.doc.search:
            return
        from ...train.search_optuna import default_storage

        if Path(default_storage(path)[len("sqlite:///"):]).is_file():
            self.show_panel()

    @property
    def has_dock(self) -> bool:
        return self._dock is not None

    @property
    def dock(self) -> QDockWidget:
        if self._dock is None:
            from .panel import SearchPanel

            panel = SearchPanel(self.window.editor, lambda: getattr(self.window, "path", None))
            panel.message.connect(lambda text: self.window.statusBar().showMessage(text, 8000))
            training = getattr(self.window, "training", None)
            if training is not None:
                panel.trainRequested.connect(lambda: training.train())
            dock = QDockWidget("Search", self.window, objectName="search_dock")
            dock.setWidget(panel)
            dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetClosable)
            if hasattr(self.window, "add_bottom_dock"):
                self.window.add_bottom_dock(dock)
            else:
                self.window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
            self._dock = dock
        return self._dock

    @property
    def panel(self):
        return self.dock.widget()

    def show_panel(self) -> None:
        self.dock.show()
        self.dock.raise_()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if watched is self.window and event.type() == QEvent.Type.Close and self._dock is not None:
            if event.isAccepted():
                self.panel.shutdown()
        return False


def install_search(window) -> SearchHook:
    return SearchHook(window)
