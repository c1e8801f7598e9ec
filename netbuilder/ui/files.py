"""Where graphs come from and go to: dialogs, recent files, bundled examples.

The dialog functions are the seams tests replace (``monkeypatch.setattr(files,
"ask_open_path", …)``): the window calls them through this module and never
opens a ``QFileDialog`` or ``QMessageBox`` itself.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from .. import bundled

EXAMPLES_DIR = bundled.folder("examples")
DEFAULT_EXAMPLE = EXAMPLES_DIR / "digits_cnn.json"
GRAPH_FILTER = "netbuilder graphs (*.json);;All files (*)"
PYTHON_FILTER = "Python files (*.py);;All files (*)"
MAX_RECENT = 10
_RECENT_KEY = "files/recent"
_DIR_KEY = "files/last_dir"


# -- dialogs (test seams) ---------------------------------------------------------
def ask_open_path(parent: QWidget) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open graph", last_directory(), GRAPH_FILTER)
    return path or None


def ask_python_path(parent: QWidget) -> str | None:
    """A ``.py`` file holding a model class to import."""
    path, _ = QFileDialog.getOpenFileName(parent, "Import PyTorch model", last_directory(), PYTHON_FILTER)
    return path or None


def ask_save_path(parent: QWidget, title: str, suggested: str, file_filter: str) -> str | None:
    """A path to write, starting in the last used folder with ``suggested`` as name."""
    start = suggested if Path(suggested).is_absolute() else str(Path(last_directory()) / suggested)
    path, _ = QFileDialog.getSaveFileName(parent, title, start, file_filter)
    return path or None


def report_error(parent: QWidget, title: str, message: str) -> None:
    QMessageBox.critical(parent, title, message)


# -- recent files and last folder ------------------------------------------------------
def recent_files() -> list[str]:
    """Recently opened or saved graphs that still exist, newest first."""
    paths = QSettings().value(_RECENT_KEY, []) or []
    if isinstance(paths, str):  # QSettings collapses a one-item list
        paths = [paths]
    return [p for p in paths if Path(p).is_file()][:MAX_RECENT]


def remember_recent(path: str) -> None:
    path = str(Path(path).resolve())
    settings = QSettings()
    settings.setValue(_RECENT_KEY, [path, *[p for p in recent_files() if p != path]][:MAX_RECENT])
    settings.setValue(_DIR_KEY, str(Path(path).parent))


def clear_recent() -> None:
    QSettings().remove(_RECENT_KEY)


def last_directory() -> str:
    return str(QSettings().value(_DIR_KEY, str(Path.home())))


# -- bundled examples ---------------------------------------------------------------
def example_files() -> list[Path]:
    return sorted(EXAMPLES_DIR.glob("*.json"))


def example_title(path: Path) -> str:
    """The graph's own name if the file says it, else the file name."""
    try:
        name = json.loads(path.read_text(encoding="utf-8")).get("name")
    except (OSError, ValueError, AttributeError):
        name = None
    return name if isinstance(name, str) and name.strip() else path.stem.replace("_", " ")
