"""The GAN rows of the training settings form, and the widgets only they need.

A GAN's settings (``training.gan``) say which Output node ends which network, how
the noise is drawn and how each network's Adam steps. The form shows these rows in
place of the supervised ones (loss, schedule, early stopping…) while the recipe is
``gan``. Two of them are about the graph, not only the file: a role must name an
Output node and the latent size must equal the generator Input's, so besides the
file's own rules each edit is checked with :func:`~netbuilder.train.gan_plan.setting_problems`,
the check Train makes, in its words.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QWidget

from ...core.networks import output_ids

RECIPE_GAN = "gan"
BETA_MAX = 0.999  # Adam's rates must stay below 1


class BetasEdit(QWidget):
    """Adam's two decay rates, ``β₁ [0.5]  β₂ [0.999]``; ``edited`` carries both as a list."""

    edited = Signal(list)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.spins: list[QDoubleSpinBox] = []
        for index, name in enumerate(("β₁", "β₂")):
            spin = QDoubleSpinBox()
            spin.setDecimals(3)
            spin.setSingleStep(0.05)
            spin.setRange(0.0, BETA_MAX)
            spin.setKeyboardTracking(False)
            spin.setObjectName(f"beta{index + 1}")
            spin.valueChanged.connect(lambda _v: self.edited.emit(self.value()))
            layout.addWidget(QLabel(name))
            layout.addWidget(spin, 1)
            self.spins.append(spin)

    def value(self) -> list[float]:
        return [round(spin.value(), 6) for spin in self.spins]

    def set_value(self, betas: list[float]) -> None:
        for spin, beta in zip(self.spins, betas):
            spin.blockSignals(True)
            spin.setValue(float(beta))
            spin.blockSignals(False)

    def setToolTip(self, text: str) -> None:  # noqa: N802 - Qt name
        super().setToolTip(text)
        for spin in self.spins:
            spin.setToolTip(text)

    def setStyleSheet(self, sheet: str) -> None:  # noqa: N802 - Qt name: a refusal marks both fields
        for spin in self.spins:
            spin.setStyleSheet(sheet)


def network_names(doc, current: str) -> list[str]:
    """The choices of a role: the document's Output nodes, and the current value if it names none
    (so a file's wrong name shows, with its problem below, instead of silently another)."""
    names = output_ids(doc)
    return names if current in names else [*names, current]


def problems_of(doc, config) -> list:
    """What the GAN settings ``config.gan`` name that the graph lacks (none for another recipe)."""
    from ...train.gan_plan import setting_problems

    if config.recipe != RECIPE_GAN:
        return []
    return setting_problems(doc, config.gan)
