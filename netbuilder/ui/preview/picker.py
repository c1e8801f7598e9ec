"""What the preview shows, chosen over the canvas: a data-set sample (by number) or a random tensor.

A small panel parented to the canvas view at its top-left corner while the
preview is on, so it takes no room from the tool bar (which must fit a
1366-pixel window) and sits next to what it changes.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QSpinBox, QWidget

from .. import theme

DATA, RANDOM = "Sample", "Random tensor"


class SamplePicker(QFrame):
    """``sampleChosen`` carries the 0-based sample index, or None for a random tensor."""

    sampleChosen = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, objectName="previewPicker")
        t = theme.current()
        self.setStyleSheet(f"QFrame#previewPicker {{ background: {t.highlight}; border: 1px solid {t.accent}; "
                           f"border-radius: 6px; }} QFrame#previewPicker QLabel {{ color: {t.text}; }}")
        title = QLabel("<b>Preview</b>")
        self.source = QComboBox(objectName="preview_source")
        self.source.addItems([DATA, RANDOM])
        self.source.setToolTip("What the preview sends through the network")
        self.number = QSpinBox(objectName="preview_sample", minimum=1, maximum=1, keyboardTracking=False)
        self.number.setToolTip("Which sample of the data set's held-out part")
        self.label = QLabel(objectName="preview_label")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(6)
        for widget in (title, self.source, self.number, self.label):
            layout.addWidget(widget)
        self.source.currentTextChanged.connect(self._changed)
        self.number.valueChanged.connect(self._changed)
        self.hide()

    @property
    def sample(self) -> int | None:
        return None if self.source.currentText() == RANDOM else self.number.value() - 1

    def show_picker(self, on: bool) -> None:
        self.setVisible(on)
        if on:
            self.adjustSize()
            self.move(10, 10)
            self.raise_()

    def _changed(self, *_) -> None:
        self.number.setEnabled(self.source.currentText() == DATA)
        self.sampleChosen.emit(self.sample)

    def show_result(self, result) -> None:
        """What the newest preview used: the data set's size and the sample's label."""
        if result.samples:
            self.number.blockSignals(True)
            self.number.setMaximum(result.samples)
            self.number.blockSignals(False)
        self.number.setEnabled(self.source.currentText() == DATA and bool(result.samples))
        label = result.sample.rpartition(": ")[2] if result.samples and self.sample is not None else ""
        self.label.setText(f"label: {label}" if label else "")
        self.label.setVisible(bool(label))
        self.setToolTip(f"{result.sample}\n{result.weights}")
        self.adjustSize()
