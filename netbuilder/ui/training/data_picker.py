"""The data set picker: built-ins with their shapes, plus Import… for your own files.

The list is redrawn from the document's ``training.data`` whenever it changes
(undo included); choosing an entry stores it with one undoable
:meth:`Editor.set_training`. An imported file is remembered with the data set
the import dialog loaded, so Train can check the Input's shape against it
without loading it again.
"""

from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from ...train.config import ConfigError, TrainingConfig
from ...train.datasets import CLASSIFICATION, TAGGING, builtin_info


def data_label(info: dict) -> str:
    shape = tuple(info["input_shape"])
    what = f"{len(info['classes'])} classes" if info["task"] == CLASSIFICATION else \
        f"{len(info['classes'])} tags per token" if info["task"] == TAGGING else "regression"
    return f"{info['name']}  {shape} · {what}"


class DataPicker(QWidget):
    """``Data [digits (1, 8, 8) · 10 classes ▾] [Import…]``."""

    error = Signal(str)  # a refused choice, for the panel's message line

    def __init__(self, editor, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.editor, self.controller = editor, controller
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(12)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumWidth(self.combo.fontMetrics().horizontalAdvance("digits  (1, 8, 8) · 10 classes") + 60)
        self.combo.setToolTip("The data set to train on; its sample shape must match the Input node")
        self.combo.activated.connect(self._chosen)
        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip("Train on your own CSV, .npz, folder of images or CoNLL token file")
        self.import_button.clicked.connect(self.import_data)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("Data")
        layout.addWidget(self.label)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.import_button)
        self.imported: dict = {}  # absolute path -> (loader options, DataSet) of every import this session
        editor.documentChanged.connect(self._doc_changed)
        self.refresh()

    def _source(self) -> str:
        try:
            return TrainingConfig.from_dict(self.editor.doc.training).data.source
        except ConfigError:
            return ""

    def refresh(self) -> None:
        source = self._source()
        gan = self.editor.doc.training.get("recipe") == "gan"  # a GAN's data: the samples it learns to make
        self.label.setText("Real data" if gan else "Data")
        self.label.setToolTip("The real samples the discriminator learns to tell from the generator's" if gan else "")
        combo = self.combo
        combo.blockSignals(True)
        combo.clear()
        if not source:
            combo.addItem("Choose a data set…", "")
        for info in builtin_info():
            combo.addItem(data_label(info), info["name"])
            combo.setItemData(combo.count() - 1, info["description"], Qt.ItemDataRole.ToolTipRole)
        known = self.controller.known_data.get(source)
        if source and combo.findData(source) < 0:
            combo.addItem(Path(source).name + (f"  {tuple(known.input_shape)}" if known is not None else "  (file)"),
                          source)
        current = str(Path(self.controller.base_dir or ".", source).resolve()) if source else ""
        for path, (_, dataset) in self.imported.items():  # imported in this session, for any document
            if path != current:
                combo.addItem(f"{Path(path).name}  {tuple(dataset.input_shape)}", path)
        combo.setCurrentIndex(max(0, combo.findData(source)))
        combo.blockSignals(False)

    def _doc_changed(self, change) -> None:
        if change.kind in ("meta_changed", "reset"):
            self.refresh()

    def set_source(self, source: str, options: dict | None = None) -> None:
        """Store the data source (one undo step); loader options reset unless given."""
        training = copy.deepcopy(self.editor.doc.training)
        data = training.setdefault("data", {})
        data["source"] = source
        if options:
            data["options"] = dict(options)
        else:
            data.pop("options", None)
        try:
            clean = TrainingConfig.from_dict(training).to_dict()
        except ConfigError as err:
            self.error.emit(str(err))
            return
        self.editor.set_training(clean)

    def _chosen(self, index: int) -> None:
        source = self.combo.itemData(index)
        if source in self.imported and source != self._source():
            self.use_imported(source, *self.imported[source])
            return
        if source and source != self._source():
            self.set_source(source)

    def import_data(self) -> None:
        from .data_wizard import ImportDataDialog

        start = self._source()
        inputs = [n.params.get("shape") for n in self.editor.doc.nodes.values() if n.type == "Input"]
        dialog = ImportDataDialog(self, start if start and ("/" in start or "\\" in start) else "",
                                  input_shape=inputs[0] if len(inputs) == 1 else None)
        if dialog.exec() == ImportDataDialog.DialogCode.Accepted and dialog.dataset is not None:
            self.use_imported(dialog.source, dialog.options(), dialog.dataset)

    def use_imported(self, source: str, options: dict, dataset) -> None:
        """Train on an imported file from now on (relative to the graph's folder when inside it)."""
        self.imported[str(Path(source).resolve())] = (options, dataset)
        base = self.controller.base_dir
        if base:
            try:
                source = str(Path(source).resolve().relative_to(base))
            except ValueError:
                pass
        self.controller.known_data[source] = dataset
        self.set_source(source, options)

    def setEnabled(self, enabled: bool) -> None:  # noqa: N802 - Qt name
        self.combo.setEnabled(enabled)
        self.import_button.setEnabled(enabled)
