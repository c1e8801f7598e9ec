"""Runs → Resume: say what a resumed run continues with and offer to change only what can change.

A checkpoint continues one run: its optimizer state, its rates, its batch size
and data belong to it, so they are shown, not offered. Its length (unless its
schedule is planned for that length) and the early-stopping patience may
change; everything that may not says why (:func:`...train.resuming.why_fixed`).
The dialog opens window-modal without blocking (``open``), so tests and the
event loop never wait on it.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from ...train.resuming import chosen_settings, why_fixed


class ResumeDialog(QDialog):
    """Emits :attr:`chosen` with the settings to resume with and the sentence saying what they are."""

    chosen = Signal(dict, str)

    def __init__(self, run, epochs: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.run = run
        self.setWindowTitle(f"Resume {run.name}")
        done = len(run.history)
        fixed = why_fixed(run.training)
        intro = QLabel(f"<b>{run.name}</b> stopped after epoch {done}. It continues with its own settings: "
                       f"{run.settings}.")
        intro.setWordWrap(True)
        self.epochs = QSpinBox(minimum=done + 1, maximum=100_000)
        self.epochs.setValue(max(epochs, done + 1))
        self.patience = QSpinBox(minimum=0, maximum=100_000)
        self.patience.setValue(int((run.training.get("early_stopping") or {}).get("patience", 0) or 0))
        self.patience.setToolTip("Epochs without improvement before stopping; 0 never stops")
        form = QFormLayout()
        form.addRow("Epochs in all", self.epochs)
        form.addRow("Early-stopping patience", self.patience)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        if fixed["epochs"]:
            self.epochs.setValue(int(run.training.get("epochs", done + 1)))
            self.epochs.setEnabled(False)
            why = QLabel(f"The length cannot change: {fixed['epochs']}.")
            why.setWordWrap(True)
            why.setProperty("role", "muted")
            layout.addWidget(why)
        note = QLabel("Optimizer, learning rate, batch size, loss and data stay the run's own: "
                      "the checkpoint continues them. Train starts a new run with the panel's settings.")
        note.setWordWrap(True)
        note.setProperty("role", "muted")
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.resume_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.resume_button.setText("Resume")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def accept(self) -> None:
        training, note = chosen_settings(self.run.training, self.epochs.value(), self.patience.value())
        super().accept()
        self.chosen.emit(training, note)
