"""File → Export Python…: the standalone PyTorch module, to read, copy or save.

The dialog is not modal, so the person can keep editing while it is open;
it regenerates the code shortly after each change. A graph with errors shows
the error text instead of code, and Save is disabled until it is fixed.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import QCheckBox, QDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from ..core.atomic import write_atomic
from ..core.document import sanitize_id
from ..core.errors import NetbuilderError
from ..core.export import export_python
from . import files, theme
from .editor import Editor

REFRESH_DELAY_MS = 250


class PythonHighlighter(QSyntaxHighlighter):
    """Keywords, builtins, strings, comments, numbers and decorators.

    Line-based on purpose: generated code keeps triple-quoted strings to the
    module docstring, which is tracked with the block state.
    """

    _RULES = (
        ("keyword", r"\b(?:" + "|".join(keyword.kwlist) + r")\b"),
        ("builtin", r"\b(?:self|print|tuple|len|range|super|int|float|torch|nn)\b"),
        ("number", r"\b(?:0x[0-9a-fA-F]+|\d+\.?\d*(?:[eE][-+]?\d+)?)\b"),
        ("decorator", r"@\w+"),
        ("string", r"(?:'[^'\n]*'|\"[^\"\n]*\")"),
        ("comment", r"#[^\n]*"),
    )
    _DOCSTRING = '"""'

    def __init__(self, document, dark: bool):
        super().__init__(document)
        colors = {
            "keyword": ("#c792ea", "#8a2bb5"),
            "builtin": ("#82aaff", "#1f5fbf"),
            "number": ("#f78c6c", "#b35400"),
            "decorator": ("#ffcb6b", "#8a6d00"),
            "string": ("#c3e88d", "#2f7d32"),
            "comment": ("#7f8796", "#6a737d"),
        }
        self._formats = {}
        for name, (dark_color, light_color) in colors.items():
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(dark_color if dark else light_color))
            fmt.setFontItalic(name == "comment")
            self._formats[name] = fmt
        self._patterns = [(name, re.compile(pattern)) for name, pattern in self._RULES]

    def highlightBlock(self, text: str) -> None:
        for name, pattern in self._patterns:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), self._formats[name])
        self._docstrings(text)

    def _docstrings(self, text: str) -> None:
        inside = self.previousBlockState() == 1
        start = 0
        for match in re.finditer(self._DOCSTRING, text):
            if inside:
                self.setFormat(start, match.end() - start, self._formats["string"])
            else:
                start = match.start()
            inside = not inside
        if inside:
            self.setFormat(start, len(text) - start, self._formats["string"])
        self.setCurrentBlockState(1 if inside else 0)


class ExportDialog(QDialog):
    """Shows ``export_python(doc)`` and saves it as a ``.py`` file."""

    def __init__(self, editor: Editor, parent: QWidget | None = None,
                 trained: Callable[[], Path | None] = lambda: None):
        super().__init__(parent)
        self.editor = editor
        self.trained = trained  # the checkpoint of the document's latest run, if it trained
        self.code = ""
        self.setWindowTitle("Export Python")
        self.setAttribute(Qt.WA_DeleteOnClose)
        self.resize(820, 640)
        self.summary = QLabel()
        self.summary.setProperty("role", "muted")
        self.summary.setWordWrap(True)
        self.text = QPlainTextEdit(readOnly=True, lineWrapMode=QPlainTextEdit.NoWrap)
        font = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        font.setStyleHint(QFont.Monospace)
        self.text.setFont(font)
        self.highlighter = PythonHighlighter(self.text.document(), theme.current().dark)
        self.copy_button = QPushButton("Copy")
        self.save_button = QPushButton("Save…", default=True)
        close = QPushButton("Close")
        self.copy_button.clicked.connect(self.copy)
        self.save_button.clicked.connect(self.save)
        close.clicked.connect(self.close)
        self.with_weights = QCheckBox("With the trained weights")
        self.with_weights.setToolTip("Also save the latest run's weights beside the module (MODEL.pt); "
                                     "python MODEL.py loads them")
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.with_weights)
        for button in (self.copy_button, self.save_button, close):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addLayout(buttons)
        self._timer = QTimer(self, singleShot=True, interval=REFRESH_DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        editor.documentChanged.connect(self._schedule_refresh)
        self.refresh()

    def _schedule_refresh(self, _change) -> None:
        self._timer.start()

    def refresh(self) -> None:
        """Regenerate the code; on errors show why instead and disable Save."""
        try:
            self.code = export_python(self.editor.doc)
        except Exception as err:  # any failure is shown, never raised into the event loop
            self.code = ""
            self.highlighter.setDocument(None)  # an error message is prose, not Python
            self.text.document().setPlainText(f"The graph cannot be exported yet:\n\n{err}")
            self.summary.setText("Fix the problems listed in the Problems panel, then export again.")
        else:
            scroll = self.text.verticalScrollBar().value()
            self.highlighter.setDocument(self.text.document())
            self.text.document().setPlainText(self.code)
            self.text.verticalScrollBar().setValue(scroll)
            lines = self.code.count("\n")
            self.summary.setText(f"{lines} lines · needs only PyTorch · run it with python to check the model")
        self.save_button.setEnabled(bool(self.code))
        self.copy_button.setEnabled(bool(self.code))
        checkpoint = self.trained()
        self.with_weights.setEnabled(checkpoint is not None)
        self.with_weights.setChecked(checkpoint is not None)
        self.with_weights.setToolTip(f"Also save the weights of {checkpoint} beside the module (MODEL.pt); "
                                     "python MODEL.py loads them" if checkpoint else
                                     "Train the model first: its weights can then be saved with the code")

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.code)
        self.summary.setText("Copied to the clipboard.")

    def save(self) -> None:
        suggested = f"{sanitize_id(self.editor.doc.name)}.py"
        path = files.ask_save_path(self, "Save Python module", suggested, files.PYTHON_FILTER)
        if not path:
            return
        if not Path(path).suffix:
            path += ".py"
        checkpoint = self.trained() if self.with_weights.isChecked() else None
        try:
            if checkpoint is None:
                write_atomic(path, self.code)
                saved = Path(path).name
            else:
                from ..train.export import model_state, write_beside

                weights = write_beside(self.editor.doc, model_state(checkpoint), path, self.code)
                saved = f"{Path(path).name} and {weights.name}"
        except OSError as err:
            files.report_error(self, "Could not save", f"{path}: {err.strerror or err}")
            return
        except (ValueError, NetbuilderError) as err:  # weights of an earlier graph: nothing was written
            files.report_error(self, "Could not save the trained weights", str(err))
            return
        self.summary.setText(f"Saved {saved}.")
