"""Import your own data: a CSV file, a NumPy ``.npz`` archive or a folder of images.

A small dialog rather than a multi-page wizard: pick the file or folder, and
the options that apply to it appear underneath with a live preview (the first
rows of a CSV with the target column highlighted, the arrays of an archive,
a few images per class). **Check** loads it the way training will
(:func:`netbuilder.train.userdata.load_data`) and shows either what the
network will get (samples, input shape, classes) or the loader's message,
which names the file, line and column of a bad row; a CSV with a few bad
rows offers to skip them ("Skip bad rows (1 of 200)") and "Use this data"
stays disabled, saying why, until the data loads. An image folder's size and
colour default to the graph's Input node, else to the images themselves. Enter
in the path field shows the options; it never accepts the dialog unseen. The
result is a plain ``(source, options)`` pair for the graph's training settings.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QImageReader
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...train.datasets import DataError, DataSet
from ...train.userdata import IMAGE_SUFFIXES, bad_csv_rows, load_data
from .. import theme
from .results import sample_pixmap

PREVIEW_ROWS = 8
TASK_CHOICES = [("Detect automatically", None), ("Classification", "classification"), ("Regression", "regression"),
                ("Tagging (a word and its tag per row)", "tagging")]
TOKEN_SUFFIXES = (".conll", ".conllu", ".iob", ".bio")  # word<TAB>tag lines, a blank line between sentences


def detect_kind(path: str) -> str | None:
    """``"csv"``, ``"npz"``, ``"images"`` (a folder) or None."""
    p = Path(path).expanduser()
    if p.is_dir():
        return "images"
    suffix = p.suffix.lower()
    if suffix in TOKEN_SUFFIXES:
        return "tokens"
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    if suffix == ".npz":
        return "npz"
    return None


def read_csv_preview(path: str, rows: int = PREVIEW_ROWS) -> tuple[list[str], list[list[str]]]:
    """The header and the first ``rows`` rows (sniffing the delimiter like the loader)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        head = [line for _, line in zip(range(rows + 40), f)]
    text = "".join(head)
    try:
        delimiter = csv.Sniffer().sniff(text, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    table = [r for r in csv.reader(text.splitlines(), delimiter=delimiter) if any(c.strip() for c in r)]
    return (table[0], table[1: rows + 1]) if table else ([], [])


class ImportDataDialog(QDialog):
    """Choose a data file or folder, set its options, preview and check it."""

    def __init__(self, parent: QWidget | None = None, start: str = "", input_shape: tuple | None = None):
        super().__init__(parent)
        self.input_shape = tuple(input_shape) if input_shape else None  # the graph's Input node, for defaults
        self.setWindowTitle("Import data")
        self.resize(640, 520)
        self.dataset: DataSet | None = None
        self.kind: str | None = None
        self.refusal: str | None = None  # why the last check failed: "Use this data" waits for a change

        self.path_edit = QLineEdit(start)
        self.path_edit.setPlaceholderText("A .csv or .npz file, or a folder with one sub-folder of images per class")
        self.path_edit.editingFinished.connect(self._path_changed)
        self.path_edit.installEventFilter(self)  # Enter there shows the options, never accepts
        browse_file = QPushButton("File…")
        browse_file.clicked.connect(self._browse_file)
        browse_dir = QPushButton("Image folder…")
        browse_dir.clicked.connect(self._browse_dir)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse_file)
        row.addWidget(browse_dir)

        self.stack = QStackedWidget()
        self.stack.addWidget(QLabel("Choose a file or folder to see its options and a preview."))
        self.stack.addWidget(self._csv_page())
        self.stack.addWidget(self._npz_page())
        self.stack.addWidget(self._images_page())
        self.token_preview = QLabel()  # the first lines of a CoNLL file
        self.token_preview.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.token_preview.setTextFormat(Qt.TextFormat.PlainText)
        self.stack.addWidget(self.token_preview)

        self.status = QLabel(" ")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.check_button = self.buttons.addButton("Check", QDialogButtonBox.ButtonRole.ApplyRole)
        self.check_button.clicked.connect(self.check)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Use this data")

        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        if start:
            self._path_changed()
        else:
            self._update_buttons()

    # -- pages ------------------------------------------------------------------------
    def _task_combo(self) -> QComboBox:
        combo = QComboBox()
        for text, value in TASK_CHOICES:
            combo.addItem(text, value)
        combo.currentIndexChanged.connect(self._invalidate)
        return combo

    def _csv_page(self) -> QWidget:
        page = QWidget()
        self.target_combo = QComboBox()
        self.target_combo.setToolTip("The column the network learns to predict; every other column is a feature")
        self.target_combo.currentIndexChanged.connect(self._highlight_target)
        self.csv_task = self._task_combo()
        self.skip_bad = QCheckBox()
        self.skip_bad.setToolTip("Leave out the rows that cannot be read as numbers (training uses the same rows)")
        self.skip_bad.toggled.connect(self._invalidate)
        self.skip_bad.hide()
        form = QFormLayout()
        form.addRow("Target column", self.target_combo)
        form.addRow("Task", self.csv_task)
        form.addRow("", self.skip_bad)
        self.csv_table = QTableWidget()
        self.csv_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(QLabel(f"First {PREVIEW_ROWS} rows:"))
        layout.addWidget(self.csv_table, 1)
        return page

    def _npz_page(self) -> QWidget:
        page = QWidget()
        self.npz_task = self._task_combo()
        self.npz_info = QLabel()
        self.npz_info.setWordWrap(True)
        form = QFormLayout(page)
        form.addRow("Task", self.npz_task)
        form.addRow("Arrays", self.npz_info)
        return page

    def _images_page(self) -> QWidget:
        page = QWidget()
        self.img_height = QSpinBox()
        self.img_width = QSpinBox()
        for box in (self.img_height, self.img_width):
            box.setRange(4, 1024)
            box.setValue(28)
            box.valueChanged.connect(self._invalidate)
        self.grayscale = QCheckBox("Grayscale (1 channel)")
        self.grayscale.setChecked(True)
        self.grayscale.toggled.connect(self._invalidate)
        size = QHBoxLayout()
        size.addWidget(self.img_height)
        size.addWidget(QLabel("×"))
        size.addWidget(self.img_width)
        size.addWidget(self.grayscale)
        size.addStretch(1)
        self.image_list = QListWidget()
        self.image_list.setViewMode(QListView.ViewMode.IconMode)
        self.image_list.setIconSize(QSize(56, 56))
        self.image_list.setMovement(QListView.Movement.Static)
        self.image_list.setResizeMode(QListView.ResizeMode.Adjust)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.addRow("Resize to (H × W)", size)
        layout.addLayout(form)
        layout.addWidget(QLabel("A few images per class (class = sub-folder name):"))
        layout.addWidget(self.image_list, 1)
        return page

    # -- reactions ------------------------------------------------------------------------
    def _browse_file(self) -> None:
        patterns = "*.csv *.tsv *.txt *.npz " + " ".join(f"*{s}" for s in TOKEN_SUFFIXES)
        path, _ = QFileDialog.getOpenFileName(self, "Import data", self.path_edit.text(),
                                              f"Data ({patterns});;All files (*)")
        if path:
            self.path_edit.setText(path)
            self._path_changed()

    def _browse_dir(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder with one sub-folder per class", self.path_edit.text())
        if path:
            self.path_edit.setText(path)
            self._path_changed()

    def set_path(self, path: str) -> None:
        self.path_edit.setText(path)
        self._path_changed()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if watched is self.path_edit and event.type() == QEvent.Type.KeyPress \
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._path_changed()
            return True
        return super().eventFilter(watched, event)

    def _path_changed(self) -> None:
        path = self.path_edit.text().strip()
        self.kind = detect_kind(path) if path else None
        self.skip_bad.setChecked(False)
        self.skip_bad.hide()
        self._invalidate()
        try:
            if self.kind == "csv":
                self._preview_csv(path)
            elif self.kind == "npz":
                self._preview_npz(path)
            elif self.kind == "images":
                self._preview_images(path)
            elif self.kind == "tokens":
                with open(path, encoding="utf-8", errors="replace") as lines:
                    head = [line.rstrip("\n") for _, line in zip(range(14), lines)]
                self.token_preview.setText("Sentences for tagging: a word and its tag per line, a blank line "
                                           "between sentences. First lines:\n\n" + "\n".join(head))
            elif path:
                self._say(f"{Path(path).name}: not a .csv/.npz file or a folder", error=True)
        except (OSError, ValueError, DataError) as err:
            self._say(f"{Path(path).name}: {err}", error=True)
        self.stack.setCurrentIndex({"csv": 1, "npz": 2, "images": 3, "tokens": 4}.get(self.kind, 0))
        self._update_buttons()

    def _preview_csv(self, path: str) -> None:
        header, rows = read_csv_preview(path)
        self.target_combo.blockSignals(True)
        self.target_combo.clear()
        self.target_combo.addItems(header)
        self.target_combo.setCurrentIndex(len(header) - 1)
        self.target_combo.blockSignals(False)
        self.csv_table.setColumnCount(len(header))
        self.csv_table.setRowCount(len(rows))
        self.csv_table.setHorizontalHeaderLabels(header)
        for r, fields in enumerate(rows):
            for c, text in enumerate(fields[: len(header)]):
                self.csv_table.setItem(r, c, QTableWidgetItem(text))
        self._highlight_target()

    def _highlight_target(self, *_):
        target = self.target_combo.currentIndex()
        accent = QColor(theme.current().highlight)
        for r in range(self.csv_table.rowCount()):
            for c in range(self.csv_table.columnCount()):
                item = self.csv_table.item(r, c)
                if item is not None:
                    item.setBackground(accent if c == target else QColor(0, 0, 0, 0))
        self._invalidate()

    def _preview_npz(self, path: str) -> None:
        with np.load(path, allow_pickle=False) as archive:
            lines = [f"{key}: shape {archive[key].shape}, {archive[key].dtype}" for key in archive.files]
        self.npz_info.setText("\n".join(lines) or "empty archive")

    def _preview_images(self, path: str, per_class: int = 4) -> None:
        self.image_list.clear()
        root = Path(path)
        classes = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
        for class_dir in classes:
            files = sorted(f for f in class_dir.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
            for file in files[:per_class]:
                item = QListWidgetItem(QIcon(str(file)), f"{class_dir.name}")
                item.setToolTip(str(file))
                self.image_list.addItem(item)
        self._default_image_options(next((f for d in classes for f in sorted(d.iterdir())
                                          if f.suffix.lower() in IMAGE_SUFFIXES), None))
        counts = ", ".join(f"{d.name} ({sum(1 for f in d.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)})"
                           for d in classes)
        self._say(f"{len(classes)} classes: {counts}" if classes else
                  "no sub-folders: put each class's images in its own sub-folder", error=not classes)

    def _default_image_options(self, first_image: Path | None) -> None:
        """Size and colour as the graph's Input node (C, H, W) says, else as the first image is."""
        shape = self.input_shape
        if shape is not None and len(shape) == 3 and shape[0] in (1, 3):
            channels, height, width = shape
        elif first_image is not None and not (reader := QImageReader(str(first_image))).size().isEmpty():
            height, width = reader.size().height(), reader.size().width()
            channels = 1 if reader.read().isGrayscale() else 3
        else:
            return
        for box, value in ((self.img_height, height), (self.img_width, width), (self.grayscale, channels == 1)):
            box.blockSignals(True)
            box.setChecked(value) if box is self.grayscale else box.setValue(int(value))
            box.blockSignals(False)

    def _invalidate(self, *_):
        self.dataset = None
        self.refusal = None
        if hasattr(self, "buttons"):  # not while the pages are being built
            self._update_buttons()

    def _update_buttons(self) -> None:
        ok = self.kind is not None
        self.check_button.setEnabled(ok)
        use = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        use.setEnabled(ok and self.refusal is None)
        use.setToolTip(self.refusal or "")

    def _say(self, text: str, error: bool = False) -> None:
        color = theme.current().error if error else theme.current().text
        self.status.setStyleSheet(f"color: {color};")
        self.status.setText(text)

    # -- result -----------------------------------------------------------------------------
    @property
    def source(self) -> str:
        return self.path_edit.text().strip()

    def options(self) -> dict:
        """The loader options chosen here (only those that differ from the defaults)."""
        if self.kind == "csv" and self.csv_task.currentData() == "tagging":
            return {"task": "tagging"}  # two columns, word and tag: no target to choose
        if self.kind == "csv":
            out = {"target": self.target_combo.currentText()}
            if self.csv_task.currentData():
                out["task"] = self.csv_task.currentData()
            if not self.skip_bad.isHidden() and self.skip_bad.isChecked():
                out["skip_bad_rows"] = True
            return out
        if self.kind == "npz":
            return {"task": self.npz_task.currentData()} if self.npz_task.currentData() else {}
        if self.kind == "images":
            out: dict = {"image_size": [self.img_height.value(), self.img_width.value()]}
            if not self.grayscale.isChecked():
                out["grayscale"] = False
            return out
        return {}

    def check(self) -> DataSet | None:
        """Load the data as training will; show the summary or the loader's message."""
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            options = self.options()
            if "image_size" in options:
                options["image_size"] = tuple(options["image_size"])
            self.dataset = load_data(self.source, **options)
        except (DataError, OSError, ValueError) as err:
            self.dataset = None
            self._refuse(str(err))
            return None
        finally:
            QGuiApplication.restoreOverrideCursor()
        ds = self.dataset
        if ds.task == "tagging":
            longest = max(len(words) for words, _ in ds.sentences)
            self._say(f"✓ {len(ds)} sentences of up to {longest} words, {len(ds.vocabulary)} words with <pad> and "
                      f"<unk>, {ds.num_classes} tags: {', '.join(ds.class_names[:10])}. The Input takes int64 "
                      "token ids of any length (T); give the Embedding at least as many entries as words.")
            return ds
        classes = f", {ds.num_classes} classes: {', '.join(ds.class_names[:8])}" if ds.num_classes else ""
        self._say(f"✓ {len(ds)} samples, input shape {tuple(ds.input_shape)}, {ds.task}{classes}. "
                  f"Set the graph's Input node to {list(ds.input_shape)}.")
        if ds.kind == "image" and self.kind != "images":
            self.image_list.clear()
            for i in range(min(8, len(ds))):
                pix = sample_pixmap(ds.x[i], 56)
                if pix is not None:
                    self.image_list.addItem(QListWidgetItem(QIcon(pix), str(ds.y[i])))
        return ds

    def _refuse(self, message: str) -> None:
        """Say why the data cannot be used; offer to skip a CSV's bad rows when only some are."""
        offer = ""
        if self.kind == "csv" and not self.skip_bad.isChecked() and self.csv_task.currentData() != "tagging":
            try:
                bad, total = bad_csv_rows(self.source, self.target_combo.currentText())
            except (DataError, OSError, ValueError):
                bad, total = [], 0
            if 0 < len(bad) < total:
                self.skip_bad.setText(f"Skip bad rows ({len(bad)} of {total})")
                self.skip_bad.show()
                offer = f" — tick “Skip bad rows ({len(bad)} of {total})” to use the rest, or fix the file"
        self.refusal = "Cannot use this data: " + message + offer
        self._say(self.refusal, error=True)
        self._update_buttons()

    def accept(self) -> None:
        if self.dataset is None and self.check() is None:
            return  # the message says what is wrong; stay open
        super().accept()
