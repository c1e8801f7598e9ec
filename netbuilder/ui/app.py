"""``netbuilder [FILE]``: start the GUI.

Opens the main window on ``FILE``, or on the bundled digits example so a first
run shows a working network, then offers any work a crashed session left in
the autosave folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from ..train.worker import own_wait_policy
from . import files, theme
from .autosave import Recovery, find_recoverable
from .main_window import MainWindow

APP_NAME = "netbuilder"
ORGANIZATION = "netbuilder"


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, named so QSettings and QStandardPaths find our files."""
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANIZATION)
    app.setWindowIcon(QIcon(str(theme.ICONS / "netbuilder.svg")))
    theme.apply_theme(app, theme.saved_theme())
    return app


def ask_recover(parent: QWidget, recovery: Recovery) -> bool:
    """Whether to bring back autosaved work (the seam tests replace)."""
    what = Path(recovery.original_path).name if recovery.original_path else "an untitled graph"
    answer = QMessageBox.question(
        parent, "Recover unsaved work?",
        f"netbuilder did not close properly last time. Unsaved changes to {what} "
        f"were autosaved at {recovery.saved_at.replace('T', ' ')}.\n\nRecover them?",
        QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
    return answer == QMessageBox.Yes


def offer_recovery(window: MainWindow) -> bool:
    """Offer the newest orphaned autosave; True if it was recovered."""
    found = find_recoverable(window.autosaver.directory)
    if not found:
        return False
    newest, older = found[0], found[1:]
    for other in older:
        other.lock.unlock()  # offered on a later start, one at a time
    if ask_recover(window, newest):
        window.recover(newest)
        return True
    newest.discard()
    return False


def open_main_window(path: str | None = None, **window_options) -> MainWindow:
    """Show a window on ``path`` (or the default example) and offer recovery."""
    window = MainWindow(**window_options)
    window.show()
    if path:
        window.open_path(path)
    elif files.DEFAULT_EXAMPLE.is_file():
        window.open_example(files.DEFAULT_EXAMPLE)
    offer_recovery(window)
    return window


def start(path: str | None = None) -> MainWindow:
    """Everything ``netbuilder [FILE]`` does before its event loop (benchmarks call it too)."""
    # Before anything loads PyTorch: the GUI's own OpenMP threads (shape checks,
    # previews) sleep when idle instead of spinning against the event loop; the
    # training worker sets its own policy (netbuilder.train.worker).
    own_wait_policy()
    create_application()
    window = open_main_window(path, load_core_after_paint=True)  # the window first, PyTorch after it
    # once it is on screen and its shapes are in (the editor loads PyTorch right after the
    # first paint): a training worker, then the Training panel's code, so Train starts at once
    window.firstPainted.connect(lambda: QTimer.singleShot(0, window.training.controller.warm_up))
    window.firstPainted.connect(lambda: QTimer.singleShot(0, window.training.preload))
    return window


def run(path: str | None = None) -> int:
    window = start(path)  # noqa: F841  (kept alive while the loop runs)
    return QApplication.instance().exec()
