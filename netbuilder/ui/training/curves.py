"""The pieces a live plot is made of: bounds, curves and a range that keeps still.

:class:`Curve` ties one growing :class:`~.buffers.SeriesBuffer` to one
pyqtgraph item and tracks the data's bounds as points arrive, so the plot can
fit its range without scanning a million points; a long curve is drawn from
its :class:`~.buffers.PeakLevels`, so neither is a frame. :class:`StableRange` moves a
plot's y range only when the data leaves it or shrinks well inside it: a range
that creeps with every point makes the axes re-layout their ticks on every
frame (the dominant cost of drawing one) and looks jittery.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from .buffers import PeakLevels, SeriesBuffer, ema

DEFAULT_COLUMNS = 1000  # pixel columns assumed while the plot has no width yet


class Bounds:
    """Running min/max of finite values (and the smallest positive one, for log scales)."""

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        self.lo = self.hi = self.lo_pos = math.nan

    def add(self, value: float) -> None:
        if not math.isfinite(value):
            return
        if not value >= self.lo:  # also true while lo is NaN
            self.lo = value
        if not value <= self.hi:
            self.hi = value
        if value > 0 and not value >= self.lo_pos:
            self.lo_pos = value

    def add_array(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64)
        if not len(values):
            return
        lo, hi = float(np.fmin.reduce(values)), float(np.fmax.reduce(values))  # NaN skipped, no copies
        if not (math.isfinite(lo) and math.isfinite(hi)):  # infinities too: the slow way
            values = values[np.isfinite(values)]
            if not len(values):
                return
            lo, hi = float(values.min()), float(values.max())
        self.add(lo)
        self.add(hi)
        if lo <= 0 < hi:  # else lo is the smallest positive value, or there is none
            self.add(float(values[values > 0].min()))


class Curve:
    """One pyqtgraph curve fed from one :class:`SeriesBuffer`.

    A ``fast`` curve (one point per batch, a million in a long run) hands
    pyqtgraph only what its visible x range needs: two points per pixel
    column from its :class:`PeakLevels`, redrawn when the range or the plot's
    width changes. pyqtgraph's own clip-to-view and peak downsampling would
    look at every point on every frame. Its points must come in x order.
    ``x_of``: a curve whose points' x this one shares (see :class:`SeriesBuffer`).
    """

    def __init__(self, plot: pg.PlotItem, name: str | None, pen, symbol: str | None = None, fast: bool = True,
                 x_of: Curve | None = None):
        self.buffer = SeriesBuffer(x_of=x_of.buffer if x_of is not None else None)
        self.bounds = Bounds()
        self.peaks = PeakLevels() if fast else None
        self.item = pg.PlotDataItem(name=name, pen=pen, symbol=symbol, symbolSize=6,
                                    symbolBrush=pen.color() if symbol else None, symbolPen=None)
        plot.addItem(self.item)
        self._view = plot.vb
        if fast:
            # the default limit makes every setData scan all points for their range;
            # losses never need clipping to the screen
            self.item.setDynamicRangeLimit(None)
            plot.vb.sigXRangeChanged.connect(self._draw)
            plot.vb.sigResized.connect(self._draw)
        self.dirty = False

    def append(self, x: float, y: float) -> None:
        self.buffer.append(x, y)
        self.bounds.add(y)
        self.dirty = True
        self.on_dirty()

    def extend(self, xs, ys) -> None:
        self.buffer.extend(xs, ys)
        self.bounds.add_array(ys)
        self.dirty = True
        self.on_dirty()

    def set_smoothed(self, xs: np.ndarray, ys: np.ndarray, weight: float) -> None:
        """Hold ``xs`` and the :func:`~.buffers.ema` of ``ys`` in place of the current
        points, smoothed where they lie in the buffer: a million points then cost
        one copy and no fresh array beyond the buffer's own."""
        self.clear()
        self.buffer.extend(xs, ys)
        smoothed = self.buffer.view()[1]
        ema(smoothed, weight, out=smoothed)
        self.bounds.add_array(smoothed)
        self.dirty = True
        self.on_dirty()

    def on_dirty(self) -> None:
        """Replaced by the owner: wake the update timer."""

    def clear(self) -> None:
        self.buffer.clear()
        self.bounds.clear()
        if self.peaks is not None:
            self.peaks.clear()
        self.item.setData([], [])
        self.dirty = False

    def flush(self) -> None:
        if self.dirty:
            self._draw()
            self.dirty = False

    def _draw(self, *_) -> None:
        x, y = self.buffer.view()
        if self.peaks is not None and len(x):
            left, right = self._view.viewRange()[0]
            start = int(np.searchsorted(x, left, side="left")) - 1  # one point beyond each edge: the
            stop = int(np.searchsorted(x, right, side="right")) + 1  # line runs on to the border
            x, y = self.peaks.peaks(x, y, start, stop, int(self._view.width()) or DEFAULT_COLUMNS)
        self.item.setData(x, y, connect="finite")


class StableRange:
    """The y range of one plot: moves only when the data leaves it or shrinks
    to less than ``1 / SHRINK`` of it; hands off after a manual pan or zoom."""

    SHRINK = 3.0
    PAD = 0.15  # generous headroom: a falling loss crosses the bottom edge less often

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        self.current: tuple[float, float] | None = None
        self.manual = False
        self._setting = False
        plot.vb.sigRangeChangedManually.connect(self._by_hand)

    def _by_hand(self, *_):
        if not self._setting:
            self.manual = True

    def reset(self) -> None:
        self.current, self.manual = None, False

    def fit(self, lo: float, hi: float, log: bool) -> None:
        if self.manual or not (math.isfinite(lo) and math.isfinite(hi)):
            return
        if log:
            if hi <= 0:
                return
            lo, hi = math.log10(max(lo, 1e-300)), math.log10(hi)
        span = max(hi - lo, abs(hi) * 1e-3, 1e-12)
        if self.current is not None:
            a, b = self.current
            if a <= lo and hi <= b and (b - a) <= self.SHRINK * span:
                return
        pad = span * self.PAD
        self.current = (lo - pad, hi + pad)
        self._setting = True
        try:
            self.plot.setYRange(*self.current, padding=0)
        finally:
            self._setting = False
