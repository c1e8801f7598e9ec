"""Live training curves with pyqtgraph.

Three stacked plots share an x axis in epochs: loss (each batch faint, a
smoothed batch curve, and train/validation loss per epoch), the validation
metric (accuracy or R²) and the learning rate. Points go into growing numpy
buffers as events arrive; a 20 Hz timer pushes only the curves that changed
to pyqtgraph with ``setData``: of a per-batch curve, only the points its
visible range needs, two per pixel column taken from extremes kept as the
points arrive (see :class:`~.curves.Curve`), so one update of a
million-point curve costs about what a thousand-point one does.

Ranges are managed here rather than by pyqtgraph's auto-range, for two
reasons: a range that creeps a little with every point makes the axes
re-layout their ticks 25 times a second (the dominant cost of a frame), and it
jitters. The x axis spans the whole run from the start; each y range changes
only when the data leaves it or shrinks well inside it. Panning or zooming by
hand turns this off for that plot until **Fit** is pressed.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from .buffers import EmaTracker
from .curves import Bounds, Curve, StableRange

UPDATE_HZ = 20  # smooth to the eye; each frame costs the training thread a little CPU
COLORS = {
    "batch": (120, 160, 220, 70),
    "smooth": (90, 160, 255),
    "train": (255, 170, 60),
    "val": (90, 220, 140),
    "lr": (200, 140, 255),
}
OVERLAY_COLORS = [(240, 98, 146), (77, 208, 225), (255, 213, 79), (174, 213, 129), (149, 117, 205)]


LR_STEP = 1e-3  # a learning rate that moves less than this fraction draws no new point
_CHUNK = 1 << 16


def _rate_moves(rates: np.ndarray) -> np.ndarray:
    """Where each rate differs by more than :data:`LR_STEP` from the one before
    (the first and last are always kept). Worked in chunks: for a million rates
    a temporary array of them costs more in fresh memory than the arithmetic."""
    keep = np.ones(len(rates), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):  # a rate after 0 is kept; 0 after 0 (NaN) is not
        for start in range(1, len(rates), _CHUNK):
            stop = min(start + _CHUNK, len(rates))
            ratio = rates[start:stop] / rates[start - 1: stop - 1]  # |b - a| > step |a|, as |b / a - 1| > step
            ratio -= 1.0
            np.abs(ratio, out=ratio)
            np.greater(ratio, LR_STEP, out=keep[start:stop])
    keep[-1] = True
    return keep


def _fmt(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.4g}"


class LivePlots(QWidget):
    """Loss, metric and learning-rate plots for the current run (plus overlays)."""

    updated = Signal()  # after a timer tick pushed new data

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.metric_name = "accuracy"
        self.epochs = 0  # the run's length, for the x axis
        bg = self.palette().color(QPalette.ColorRole.Base)
        fg = self.palette().color(QPalette.ColorRole.Text)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(bg)
        self.view.ci.setContentsMargins(2, 2, 2, 2)
        self.loss_plot = self._plot("loss", fg, row=0)
        self.metric_plot = self._plot("accuracy", fg, row=1)
        self.lr_plot = self._plot("lr", fg, row=2)
        self.plots = (self.loss_plot, self.metric_plot, self.lr_plot)
        self.metric_plot.setXLink(self.loss_plot)
        self.lr_plot.setXLink(self.loss_plot)
        # overlays of other runs get an in-plot legend; the fixed curves are named once
        # in the line above the plots, where they never cover data
        legend_bg = QColor(bg.red(), bg.green(), bg.blue(), 200)
        for plot in (self.loss_plot, self.metric_plot):
            plot.addLegend(offset=(-6, 4), labelTextColor=fg, brush=legend_bg, verSpacing=-6, labelTextSize="8pt")
        self.view.ci.layout.setRowStretchFactor(0, 3)
        self.view.ci.layout.setRowStretchFactor(1, 2)
        self.view.ci.layout.setRowStretchFactor(2, 1)

        self.batch = Curve(self.loss_plot, None, pg.mkPen(COLORS["batch"], width=1))
        self.smooth = Curve(self.loss_plot, None, pg.mkPen(COLORS["smooth"], width=2), x_of=self.batch)
        self.train_loss = Curve(self.loss_plot, None, pg.mkPen(COLORS["train"], width=2), "o", fast=False)
        self.val_loss = Curve(self.loss_plot, None, pg.mkPen(COLORS["val"], width=2), "s", fast=False)
        # the engine measures the metric on validation data only; a train curve stays
        # available for callers that have one
        self.train_metric = Curve(self.metric_plot, None, pg.mkPen(COLORS["train"], width=2), "o", fast=False)
        self.val_metric = Curve(self.metric_plot, None, pg.mkPen(COLORS["val"], width=2), "s", fast=False)
        self.lr = Curve(self.lr_plot, None, pg.mkPen(COLORS["lr"], width=2))
        self.curves = [self.batch, self.smooth, self.train_loss, self.val_loss, self.train_metric,
                       self.val_metric, self.lr]
        for curve in self.curves:
            curve.on_dirty = self._wake
        # what each plot's y range follows (the raw batch curve is too noisy to)
        self._ranged = {self.loss_plot: [self.smooth, self.train_loss, self.val_loss],
                        self.metric_plot: [self.train_metric, self.val_metric],
                        self.lr_plot: [self.lr]}
        self._ranges = {plot: StableRange(plot) for plot in self.plots}
        self._ema = EmaTracker(0.6)
        self._lr_tail: tuple[float, float] | None = None
        self._overlays: list[tuple[pg.PlotItem, pg.PlotDataItem]] = []
        self._overlay_bounds = {plot: Bounds() for plot in self.plots}
        self._overlay_epochs = 0

        self.smoothing = QSlider(Qt.Orientation.Horizontal)
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(60)
        self.smoothing.setToolTip("Smoothing of the batch-loss curve (exponential moving average weight)")
        self.smoothing.setMinimumWidth(50)
        self.smoothing.setMaximumWidth(140)
        self.smoothing_label = QLabel("0.60")
        self.smoothing.valueChanged.connect(self._smoothing_changed)
        self.log_scale = QCheckBox("Log scale")
        self.log_scale.setToolTip("Logarithmic y axis for the loss and learning-rate plots")
        self.log_scale.toggled.connect(self._log_toggled)
        self.fit_button = QPushButton("Fit")
        self.fit_button.setToolTip("Show all the data again after panning or zooming (drag to pan, wheel to zoom)")
        self.fit_button.clicked.connect(self.fit)
        self.readout = QLabel(" ")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setObjectName("plotReadout")

        controls = QHBoxLayout()
        controls.setContentsMargins(4, 0, 4, 0)
        controls.addWidget(QLabel("Smoothing"))
        controls.addWidget(self.smoothing)
        controls.addWidget(self.smoothing_label)
        controls.addSpacing(12)
        controls.addWidget(self.log_scale)
        controls.addWidget(self.fit_button)
        controls.addStretch(1)
        for widget in (self.log_scale, self.fit_button):  # never narrower than their text
            widget.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self.legend = QLabel(self._legend_html())
        self.legend.setToolTip("Batch loss: every batch (faint) and smoothed. Train and validation: per epoch.")
        self.legend.setWordWrap(True)  # a line of its own that wraps in a narrow pane, never cut off
        self.legend.setContentsMargins(4, 0, 4, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(controls)
        layout.addWidget(self.legend)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.readout)

        self._cursor = []
        for plot in self.plots:
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(fg, width=1, style=Qt.PenStyle.DotLine))
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)
            self._cursor.append(line)
        self.view.scene().sigMouseMoved.connect(self._mouse_moved)
        self._fit_x()

        # ticks only while data arrives: an idle panel costs no wake-ups
        self.timer = QTimer(self)
        self.timer.setInterval(1000 // UPDATE_HZ)
        self.timer.timeout.connect(self.flush)

    @staticmethod
    def _legend_html() -> str:
        def swatch(key: str, glyph: str, text: str) -> str:
            r, g, b = COLORS[key][:3]
            return f"<span style='color: rgb({r},{g},{b})'>{glyph}</span>&nbsp;{text}"

        return "&nbsp;&nbsp; ".join([swatch("batch", "━", "batch"), swatch("smooth", "━", "smoothed"),
                                     swatch("train", "●", "train"), swatch("val", "■", "validation"),
                                     swatch("lr", "━", "lr")])

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_palette()

    def apply_palette(self) -> None:
        """Recolour the plots from the widget palette: a theme switch shows at once, not after a restart."""
        bg = self.palette().color(QPalette.ColorRole.Base)
        fg = self.palette().color(QPalette.ColorRole.Text)
        self.view.setBackground(bg)
        for plot in self.plots:
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen(fg)
                plot.getAxis(axis).setPen(fg)
                label = plot.getAxis(axis).labelText
                if label:
                    plot.setLabel(axis, label, color=fg.name())
            if plot.legend is not None:
                plot.legend.setBrush(QColor(bg.red(), bg.green(), bg.blue(), 200))
                plot.legend.setLabelTextColor(fg)
        for line in self._cursor:
            line.setPen(pg.mkPen(fg, width=1, style=Qt.PenStyle.DotLine))

    def _plot(self, label: str, fg: QColor, row: int) -> pg.PlotItem:
        plot = self.view.addPlot(row=row, col=0)
        plot.setLabel("left", label, color=fg.name())
        plot.setMenuEnabled(False)
        plot.hideButtons()
        for axis in ("left", "bottom"):
            plot.getAxis(axis).setTextPen(fg)
            plot.getAxis(axis).setPen(fg)
        plot.getAxis("left").setWidth(56)
        plot.getAxis("left").enableAutoSIPrefix(False)  # "accuracy (x0.001)" helps nobody
        if row == 2:
            plot.setLabel("bottom", "epoch", color=fg.name())
        else:  # the x axis is shared: numbered once, under the lowest plot
            plot.getAxis("bottom").setStyle(showValues=False)
            plot.getAxis("bottom").setHeight(4)
        plot.disableAutoRange()
        return plot

    # -- feeding --------------------------------------------------------------
    def reset(self, metric_name: str = "accuracy", epochs: int = 0) -> None:
        """Forget the current run's points (a new run starts); ``epochs`` sets the x axis."""
        for curve in self.curves:
            curve.clear()
        self._lr_tail = None
        self._ema.reset(self.smoothing.value() / 100)
        self.set_metric_name(metric_name)
        self.epochs = epochs
        for r in self._ranges.values():
            r.reset()
        self._fit_x()

    def set_epochs(self, epochs: int) -> None:
        self.epochs = epochs
        self._fit_x()

    def set_metric_name(self, name: str) -> None:
        self.metric_name = name
        self.metric_plot.setLabel("left", name, color=self.palette().color(QPalette.ColorRole.Text).name())

    def add_batch(self, x: float, loss: float, lr: float | None = None) -> None:
        """One batch's loss (non-finite losses are not drawn: the run's failure
        message tells that story) and learning rate."""
        if math.isfinite(loss):
            self.batch.append(x, loss)
            self.smooth.append(x, self._ema.push(loss))
        if lr is not None:
            self._add_lr(x, lr)

    def _add_lr(self, x: float, lr: float) -> None:
        """Keep a learning-rate point only where the rate moved by more than
        0.1 %, plus the newest one at flush time: a constant or stepped rate then
        costs a handful of points instead of one per batch."""
        last = self.lr.buffer.last()
        if last is None or abs(lr - last[1]) > LR_STEP * abs(last[1]):
            self.lr.append(x, lr)
            self._lr_tail = None
        else:
            self._lr_tail = (x, lr)

    def add_batches(self, xs, losses, lrs=None) -> None:
        """Many batch points at once (restoring a run from its history)."""
        xs = np.asarray(xs, dtype=np.float64)
        losses = np.asarray(losses, dtype=np.float64)
        finite = np.isfinite(losses)
        self.batch.extend(*((xs, losses) if finite.all() else (xs[finite], losses[finite])))
        self._resmooth()
        if lrs is not None and len(xs):
            lrs = np.asarray(lrs, dtype=np.float64)
            keep = _rate_moves(lrs)
            self.lr.extend(xs[keep], lrs[keep])

    def add_epoch(self, epoch: float, train_loss=None, val_loss=None, train_metric=None, val_metric=None,
                  lr=None) -> None:
        for curve, value in ((self.train_loss, train_loss), (self.val_loss, val_loss),
                             (self.train_metric, train_metric), (self.val_metric, val_metric)):
            if value is not None:
                curve.append(epoch, value)
        if lr is not None and not len(self.lr.buffer):
            self.lr.append(epoch, lr)

    def point_count(self) -> int:
        return sum(len(c.buffer) for c in self.curves)

    def _wake(self) -> None:
        if not self.timer.isActive():
            self.timer.start()

    def flush(self) -> None:
        """Push changed buffers to pyqtgraph (the timer calls this 20 times a
        second while points arrive, and stops itself when they stop)."""
        if self._lr_tail is not None and self._lr_tail[0] - (self.lr.buffer.last() or (0.0, 0.0))[0] >= 0.05:
            self.lr.append(*self._lr_tail)  # a flat rate's line catches up every 1/20 epoch
            self._lr_tail = None
        changed = False
        for curve in self.curves:
            if curve.dirty:
                curve.flush()
                changed = True
        if changed:
            self._fit_ranges()
            self.updated.emit()
        else:
            self.timer.stop()

    # -- ranges -------------------------------------------------------------------
    def _last_x(self) -> float:
        return max((c.buffer.last() or (0.0, 0.0))[0] for c in self.curves)

    def _fit_x(self) -> None:
        right = max(self.epochs, self._overlay_epochs, math.ceil(self._last_x()), 1)
        self.loss_plot.setXRange(0, right, padding=0.02)

    def _fit_ranges(self) -> None:
        if self._last_x() > max(self.epochs, self._overlay_epochs):
            self._fit_x()  # an unknown or exceeded run length: grow by whole epochs
        log = self.log_scale.isChecked()
        for plot, curves in self._ranged.items():
            plot_log = log and plot is not self.metric_plot
            sources = [c.bounds for c in curves] + [self._overlay_bounds[plot]]
            lows = [b.lo_pos if plot_log else b.lo for b in sources]
            lows = [v for v in lows if math.isfinite(v)]
            highs = [b.hi for b in sources if math.isfinite(b.hi)]
            if lows and highs:
                self._ranges[plot].fit(min(lows), max(highs), plot_log)

    def fit(self) -> None:
        """Show everything again (after the user panned or zoomed)."""
        for r in self._ranges.values():
            r.reset()
        self._fit_x()
        self._fit_ranges()

    # -- overlays ---------------------------------------------------------------
    def set_overlays(self, runs: list[tuple[str, list[dict]]]) -> None:
        """Draw other runs' per-epoch validation loss and metric, dashed.

        ``runs`` holds ``(label, epoch rows)``; each row is a history dict with
        ``epoch`` and any of ``val_loss``/``train_loss`` and the validation
        metric (``accuracy`` or ``r2``), as the engine's ``history.json`` holds them.
        """
        for plot, item in self._overlays:
            plot.removeItem(item)
            plot.legend.removeItem(item)
        self._overlays.clear()
        for bounds in self._overlay_bounds.values():
            bounds.clear()
        self._overlay_epochs = 0
        for i, (label, rows) in enumerate(runs):
            color = OVERLAY_COLORS[i % len(OVERLAY_COLORS)]
            pen = pg.mkPen(color, width=2, style=Qt.PenStyle.DashLine)
            epochs = [float(r.get("epoch", n + 1)) for n, r in enumerate(rows)]
            self._overlay_epochs = max([self._overlay_epochs, *map(int, epochs)])
            for plot, keys in ((self.loss_plot, ("val_loss", "train_loss")),
                               (self.metric_plot, (self.metric_name, "accuracy", "r2"))):
                key = next((k for k in keys if any(r.get(k) is not None for r in rows)), None)
                if key is None:
                    continue
                ys = np.array([np.nan if r.get(key) is None else float(r[key]) for r in rows])
                item = pg.PlotDataItem(epochs, ys, pen=pen, symbol="t", symbolSize=5, symbolBrush=color,
                                       symbolPen=None, name=f"{label}")
                plot.addItem(item)
                self._overlays.append((plot, item))
                self._overlay_bounds[plot].add_array(ys)
        self._fit_x()
        for r in self._ranges.values():
            r.current = None  # refit around the new set of curves
        self._fit_ranges()

    # -- controls -----------------------------------------------------------------
    def _smoothing_changed(self, value: int) -> None:
        self.smoothing_label.setText(f"{value / 100:.2f}")
        self._resmooth()

    def _resmooth(self) -> None:
        weight = self.smoothing.value() / 100
        x, y = self.batch.buffer.view()
        self.smooth.set_smoothed(x, y, weight)
        self._ema.reset(weight)
        # carry the EMA state forward so new points continue the curve
        for value in y[-200:]:
            self._ema.push(float(value))

    def _log_toggled(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=on)
        self.lr_plot.setLogMode(y=on)
        for plot in (self.loss_plot, self.lr_plot):
            self._ranges[plot].current = None
        self._fit_ranges()

    # -- hover read-out -------------------------------------------------------------
    def _mouse_moved(self, pos) -> None:
        for plot in self.plots:
            if plot.sceneBoundingRect().contains(pos):
                x = plot.vb.mapSceneToView(pos).x()
                self.show_readout(x)
                return
        for line in self._cursor:
            line.setVisible(False)

    def readout_text(self, x: float) -> str:
        parts = [f"epoch {x:.2f}"]
        for label, curve in (("batch loss", self.batch), ("smoothed", self.smooth),
                             ("train loss", self.train_loss), ("val loss", self.val_loss),
                             (f"train {self.metric_name}", self.train_metric),
                             (f"val {self.metric_name}", self.val_metric), ("lr", self.lr)):
            xs, ys = curve.buffer.view()
            if not len(xs):
                continue
            i = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
            if i > 0 and abs(xs[i - 1] - x) < abs(xs[i] - x):
                i -= 1
            parts.append(f"{label} {_fmt(float(ys[i]))}")
        return " · ".join(parts)

    def show_readout(self, x: float) -> None:
        for line in self._cursor:
            line.setPos(x)
            line.setVisible(True)
        self.readout.setText(self.readout_text(x))
