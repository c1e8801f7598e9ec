"""File → Import PyTorch Model…: a model class from a ``.py`` file becomes an editable graph.

The dialog picks the file (through :func:`files.ask_python_path`, the seam
tests replace), lists the ``nn.Module`` classes it defines, and asks for the
shape and dtype of one sample. Import runs :mod:`netbuilder.interop` exactly
as ``netbuilder import`` does and keeps the result in :attr:`ImportModelDialog.
result`; a failure (unsupported operations with their lines, a class that
needs arguments, a shape the model rejects) is shown in a message box and
the dialog stays open, so the window's document is never touched.

The weights come along: the window keeps them and :func:`write_graph` saves
them beside the graph (``graph.weights.pt``, named in ``meta.weights``) for
as long as they still fit it. Choosing a file runs its code, as
``python FILE.py`` would; the dialog says so.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.document import GraphDocument
from ..core.errors import NetbuilderError
from ..core.fileformat import save_graph
from . import files, theme

DTYPES = ("float32", "int64")


class ImportModelDialog(QDialog):
    """Choose a ``.py`` file, one of its model classes and the input shape; Import."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Import PyTorch model")
        self.resize(560, 260)
        self.result = None  # the ImportedModel once Import succeeded
        self.module: ModuleType | None = None
        self._module_path: str | None = None

        self.path_edit = QLineEdit(placeholderText="A .py file that defines an nn.Module class")
        self.path_edit.editingFinished.connect(lambda: self.set_path(self.path_edit.text()))
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self.browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        self.class_combo = QComboBox()
        self.class_combo.setToolTip("The model class to import; it must be constructible without arguments")
        self.shape_edit = QLineEdit(placeholderText="e.g. 1, 28, 28")
        self.shape_edit.setToolTip("The shape of one sample, without the batch dimension")
        self.dtype_combo = QComboBox()
        self.dtype_combo.addItems(DTYPES)
        self.dtype_combo.setToolTip("int64 for token ids that feed an Embedding")
        form = QFormLayout()
        form.addRow("File", row)
        form.addRow("Class", self.class_combo)
        form.addRow("Input shape", self.shape_edit)
        form.addRow("Input dtype", self.dtype_combo)
        self.blocks_check = QCheckBox("Submodules become blocks")
        self.blocks_check.setChecked(True)
        self.blocks_check.setToolTip("Each nn.Module class of the model, and each nn.Sequential, becomes a block "
                                     "(the weights keep their PyTorch names); unchecked, every layer is a node")
        form.addRow("", self.blocks_check)

        note = QLabel("Choosing a file runs its Python code, as <code>python FILE.py</code> would.")
        note.setProperty("role", "muted")
        self.status = QLabel(" ")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.import_button.setText("Import")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.status, 1)
        layout.addWidget(self.buttons)
        self._update_buttons()

    # -- choosing ---------------------------------------------------------------------
    def browse(self) -> None:
        path = files.ask_python_path(self)
        if path:
            self.set_path(path)

    def set_path(self, path: str) -> None:
        """Run the file and list its model classes (or say why there are none)."""
        path = path.strip()
        if path == self._module_path:
            return
        self.path_edit.setText(path)
        self.module, self._module_path = None, path
        self.class_combo.clear()
        if path:
            try:
                self.module = self._run(path)
            except NetbuilderError as err:
                self._say(str(err), error=True)
            else:
                from ..interop.userfile import model_classes

                names = model_classes(self.module)
                self.class_combo.addItems(names)
                self.class_combo.setCurrentIndex(len(names) - 1)  # the model usually comes after its blocks
                self._say(f"{len(names)} model class{'es' if len(names) != 1 else ''} in {Path(path).name}"
                          if names else f"{Path(path).name} defines no nn.Module class", error=not names)
        self._update_buttons()

    @staticmethod
    def _run(path: str) -> ModuleType:
        from ..interop.userfile import run_file

        return run_file(Path(path))

    def _update_buttons(self) -> None:
        self.import_button.setEnabled(self.class_combo.count() > 0)

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet(f"color: {theme.current().error};" if error else "")
        self.status.setText(text)

    # -- importing --------------------------------------------------------------------
    def import_model(self):
        """The ImportedModel for the current choices; raises NetbuilderError saying what is wrong."""
        from ..interop.model_import import import_module
        from ..interop.userfile import example_input, instantiate, parse_shape

        self.set_path(self.path_edit.text())
        if self.module is None:
            raise NetbuilderError("choose a .py file that defines an nn.Module class")
        class_name = self.class_combo.currentText()
        if not class_name:
            raise NetbuilderError(f"{Path(self._module_path).name} defines no nn.Module class")
        text = self.shape_edit.text()
        try:
            shape = parse_shape(text)
        except NetbuilderError:
            raise NetbuilderError(f"input shape: expected positive integers separated by commas "
                                  f"(e.g. 1, 28, 28), got {text!r}") from None
        model = instantiate(self.module, class_name)
        example = example_input(model, shape, self.dtype_combo.currentText())
        result = import_module(model, example, blocks=self.blocks_check.isChecked())
        result.document.set_meta("imported_from", f"{Path(self._module_path).name}:{class_name}")
        return result

    def accept(self) -> None:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.result = self.import_model()
        except Exception as err:  # noqa: BLE001 - the user's own code may raise anything
            message = str(err) if isinstance(err, NetbuilderError) else f"{type(err).__name__}: {err}"
            self.result = None
            self._say(message, error=True)
            QGuiApplication.restoreOverrideCursor()
            files.report_error(self, "Cannot import model", message)
            return  # stay open: fix the shape or the file and try again
        QGuiApplication.restoreOverrideCursor()
        super().accept()


# -- weights beside the graph ----------------------------------------------------------------
def write_graph(doc: GraphDocument, weights: dict | None, path: str) -> tuple[str, dict | None]:
    """Save ``doc`` (and ``weights`` beside it while they fit it).

    Returns a note for the status bar and the weights keyed for ``doc``'s
    current ids (renames since the weights were read are applied, and ``doc``
    forgets them), which the window keeps from then on. The live document's
    ``meta.weights`` is left alone: it is set on the saved copy.
    """
    if weights is None:
        save_graph(doc, path)
        return "", None
    from ..core.document import WEIGHTS_IDS
    from ..interop.weights import META_KEY, remap_to_current, save_with_weights
    from ..train.export import fit_weights

    weights = remap_to_current(doc, weights)
    doc.meta.pop(WEIGHTS_IDS, None)
    doc = doc.copy()
    try:
        fit_weights(doc, weights)
    except (NetbuilderError, ValueError) as err:
        doc.meta.pop(META_KEY, None)
        save_graph(doc, path)
        return f" without the imported weights ({err})", weights
    return f" with its weights in {save_with_weights(doc, weights, path).name}", weights


def read_weights(doc: GraphDocument, path: str) -> tuple[dict | None, str]:
    """The weights a graph file names in ``meta.weights`` (None if none), and a note if unreadable."""
    if "weights" not in doc.meta:
        return None, ""
    from ..interop.weights import load_weights

    try:
        return load_weights(doc, path), ""
    except NetbuilderError as err:
        return None, f"opened without weights: {err}"
