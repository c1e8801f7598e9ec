"""What a GAN run shows: D and G losses, D(x) and D(G(z)), the samples, the warnings.

A GAN has no validation accuracy or confusion matrix; what tells a person whether it
trains is the balance of the two players and the pictures. Two stacked plots share
an x axis in epochs: the losses (per batch faint, per epoch with markers) and the
discriminator's outputs on real and generated samples (0 to 1). Beside them, the
generator's samples for one fixed noise batch, refreshed every epoch, so what
changes from picture to picture is the generator, not the noise. Everything is
drawn from :mod:`netbuilder.train.gan_events` and the common events; a 20 Hz timer
pushes changed curves to pyqtgraph, as the ordinary curves do.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPalette, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...train.events import EpochEnd, RunStarted
from ...train.gan_events import GanBatch, GanSamples, GanWarning
from .. import theme
from .curves import Curve

GAN_EVENTS = (GanBatch, GanSamples, GanWarning)
UPDATE_HZ = 20
COLORS = {"d": (90, 160, 255), "g": (255, 170, 60), "real": (90, 220, 140), "fake": (240, 98, 146)}
GRID_SIDE = 240  # pixels the sample grid is drawn at (nearest neighbour: every generated pixel stays sharp)


def _faint(rgb: tuple) -> tuple:
    return (*rgb, 80)


class GanView(QWidget):
    """The live view of one GAN run."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ganView")
        fg = self.palette().color(QPalette.ColorRole.Text)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(self.palette().color(QPalette.ColorRole.Base))
        self.loss_plot = self._plot("loss", fg, 0)
        self.odds_plot = self._plot("D output", fg, 1)
        self.odds_plot.setXLink(self.loss_plot)
        self.odds_plot.setYRange(0.0, 1.0, padding=0.02)
        self.odds_plot.enableAutoRange(axis="y", enable=False)
        self.curves = {
            "d_batch": Curve(self.loss_plot, None, pg.mkPen(_faint(COLORS["d"]), width=1)),
            "g_batch": Curve(self.loss_plot, None, pg.mkPen(_faint(COLORS["g"]), width=1)),
            "d_loss": Curve(self.loss_plot, None, pg.mkPen(COLORS["d"], width=2), "o", fast=False),
            "g_loss": Curve(self.loss_plot, None, pg.mkPen(COLORS["g"], width=2), "o", fast=False),
            "real_batch": Curve(self.odds_plot, None, pg.mkPen(_faint(COLORS["real"]), width=1)),
            "fake_batch": Curve(self.odds_plot, None, pg.mkPen(_faint(COLORS["fake"]), width=1)),
            "d_real": Curve(self.odds_plot, None, pg.mkPen(COLORS["real"], width=2), "s", fast=False),
            "d_fake": Curve(self.odds_plot, None, pg.mkPen(COLORS["fake"], width=2), "s", fast=False),
        }
        self.legend = QLabel(self._legend_html())
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.samples = QLabel("The generator's samples appear here after the first epoch")
        self.samples.setObjectName("ganSamples")
        self.samples.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.samples.setMinimumSize(GRID_SIDE, GRID_SIDE)
        self.samples.setWordWrap(True)
        self.caption = QLabel("")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.warning = QLabel("")
        self.warning.setObjectName("ganWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(f"color: {theme.current().warning};")
        self.warning.hide()
        self.grid: np.ndarray | None = None  # the newest grid, as the event brought it
        self.grid_epoch = 0
        self.warnings: list[GanWarning] = []

        curves = QVBoxLayout()
        curves.setContentsMargins(0, 0, 0, 0)
        curves.addWidget(self.legend)
        curves.addWidget(self.view, 1)
        pictures = QVBoxLayout()
        pictures.setContentsMargins(0, 0, 0, 0)
        pictures.addWidget(self.samples, 1)
        pictures.addWidget(self.caption)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addLayout(curves, 1)
        top.addLayout(pictures)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top, 1)
        layout.addWidget(self.warning)
        self._timer = QTimer(self)
        self._timer.setInterval(1000 // UPDATE_HZ)
        self._timer.timeout.connect(self.flush)

    @staticmethod
    def _legend_html() -> str:
        def swatch(key: str, text: str) -> str:
            r, g, b = COLORS[key]
            return f"<span style='color: rgb({r},{g},{b})'>■</span> {text}"

        return "&nbsp;&nbsp;".join([swatch("d", "D loss"), swatch("g", "G loss"), swatch("real", "D(x) real"),
                                    swatch("fake", "D(G(z)) generated")])

    def _plot(self, label: str, fg, row: int) -> pg.PlotItem:
        plot = self.view.addPlot(row=row, col=0)
        plot.setLabel("left", label, color=fg.name())
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.getAxis("left").setWidth(56)
        if row == 1:
            plot.setLabel("bottom", "epoch", color=fg.name())
        return plot

    # -- feeding ------------------------------------------------------------------------
    def reset(self, epochs: int = 0) -> None:
        for curve in self.curves.values():
            curve.clear()
        self.grid, self.grid_epoch, self.warnings = None, 0, []
        self.samples.setPixmap(QPixmap())
        self.samples.setText("The generator's samples appear here after the first epoch")
        self.caption.setText("")
        self.warning.hide()
        if epochs:
            self.loss_plot.setXRange(0, epochs, padding=0.02)

    def handle(self, event) -> None:
        """Take one event of a GAN run (others are ignored)."""
        if isinstance(event, RunStarted):
            self.reset(event.epochs)
        elif isinstance(event, GanBatch):
            x = event.epoch - 1 + event.step / max(event.steps, 1)
            for key, value in (("d_batch", event.d_loss), ("g_batch", event.g_loss),
                               ("real_batch", event.d_real), ("fake_batch", event.d_fake)):
                self.curves[key].append(x, value)
        elif isinstance(event, EpochEnd) and "g_loss" in event.metrics:
            for key in ("d_loss", "g_loss", "d_real", "d_fake"):
                self.curves[key].append(float(event.epoch), event.metrics[key])
        elif isinstance(event, GanSamples):
            self._show_grid(event)
        elif isinstance(event, GanWarning):
            self.warnings.append(event)
            self.warning.setText(f"Epoch {event.epoch}: {event.message}")
            self.warning.show()
        else:
            return
        if not self._timer.isActive():
            self._timer.start()

    def _show_grid(self, event: GanSamples) -> None:
        grid = np.ascontiguousarray(event.grid)
        self.grid, self.grid_epoch = grid, event.epoch
        height, width = grid.shape[:2]
        if grid.ndim == 2:
            image = QImage(grid.data, width, height, width, QImage.Format.Format_Grayscale8)
        else:
            image = QImage(grid.data, width, height, width * 3, QImage.Format.Format_RGB888)
        side = max(GRID_SIDE, min(self.samples.width(), self.samples.height()))
        pixmap = QPixmap.fromImage(image.copy()).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                                        Qt.TransformationMode.FastTransformation)
        self.samples.setPixmap(pixmap)
        self.caption.setText(f"Epoch {event.epoch}: samples from a fixed noise batch · "
                             f"variety {event.variety:.0%} of the real data's")

    def flush(self) -> None:
        """Push what changed to pyqtgraph (the timer calls this; a test may too)."""
        changed = False
        for curve in self.curves.values():
            changed = changed or curve.dirty
            curve.flush()
        if not changed:
            self._timer.stop()

    def point_count(self, key: str) -> int:
        return len(self.curves[key].buffer)
