"""The Search panel's pictures (pyqtgraph): best so far, importances, parallel coordinates, curves.

Each is redrawn from the panel's plain trial rows (dicts as
:func:`netbuilder.train.search.trial_row` makes them) when a trial ends; a study
has tens or hundreds of trials, so a full redraw costs nothing worth caching.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QTabWidget

COMPLETE = "complete"


def _plot(title: str, left: str, bottom: str) -> pg.PlotWidget:
    widget = pg.PlotWidget()
    widget.setBackground(None)
    item = widget.getPlotItem()
    item.setTitle(title, size="9pt")
    item.setLabel("left", left)
    item.setLabel("bottom", bottom)
    item.showGrid(x=True, y=True, alpha=0.2)
    return widget


class SearchPlots(QTabWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.best = _plot("Best so far", "objective", "trial")
        self.importance = _plot("Parameter importance", "share", "")
        self.parallel = _plot("Parallel coordinates (greener is better)", "scaled value", "")
        self.curves = _plot("Objective per epoch", "objective", "epoch")
        for widget, name in ((self.best, "Best so far"), (self.importance, "Importance"),
                             (self.parallel, "Parallel coordinates"), (self.curves, "Curves")):
            self.addTab(widget, name)
        self.direction = "minimize"

    def clear(self) -> None:
        for widget in (self.best, self.importance, self.parallel, self.curves):
            widget.getPlotItem().clear()

    def show_trials(self, rows: list[dict], variables: list[str], logs: dict) -> None:
        done = [r for r in rows if r["state"] == COMPLETE and r["value"] is not None]
        self._best(done)
        self._parallel(done, variables, logs)
        self._curves(rows)

    def _best(self, done: list[dict]) -> None:
        plot = self.best.getPlotItem()
        plot.clear()
        if not done:
            return
        done = sorted(done, key=lambda r: r["number"])
        x = np.array([r["number"] for r in done], dtype=float)
        y = np.array([r["value"] for r in done], dtype=float)
        best = np.minimum.accumulate(y) if self.direction == "minimize" else np.maximum.accumulate(y)
        plot.plot(x, y, pen=None, symbol="o", symbolSize=6, symbolBrush=(120, 120, 120, 160))
        plot.plot(x, best, pen=pg.mkPen("#27ae60", width=2), stepMode=None)

    def _parallel(self, done: list[dict], variables: list[str], logs: dict) -> None:
        plot = self.parallel.getPlotItem()
        plot.clear()
        axes = [*variables, "objective"]
        plot.getAxis("bottom").setTicks([[(i, name) for i, name in enumerate(axes)]])
        plot.setXRange(-0.3, len(axes) - 0.7, padding=0)
        if not done:
            return
        columns = []
        for name in variables:
            values = [r["params"].get(name) for r in done]
            columns.append(_scaled(values, logs.get(name, False)))
        objective = _scaled([r["value"] for r in done], False)
        if self.direction == "maximize":
            goodness = objective
        else:
            goodness = [1 - v for v in objective]
        columns.append(objective)
        for i, _ in enumerate(done):
            g = goodness[i]
            colour = (int(200 * (1 - g)), int(80 + 140 * g), 90, 90 + int(150 * g))
            plot.plot(list(range(len(axes))), [column[i] for column in columns], pen=pg.mkPen(colour, width=1.5))

    def _curves(self, rows: list[dict]) -> None:
        plot = self.curves.getPlotItem()
        plot.clear()
        for r in rows:
            curve = r.get("curve") or []
            if curve:
                colour = "#27ae60" if r["state"] == COMPLETE else "#c0392b" if r["state"] == "pruned" else "#7f8c8d"
                plot.plot(list(range(1, len(curve) + 1)), curve, pen=pg.mkPen(colour, width=1))

    def show_importances(self, values: dict) -> None:
        plot = self.importance.getPlotItem()
        plot.clear()
        names = list(values)
        plot.getAxis("bottom").setTicks([[(i, n) for i, n in enumerate(names)]])
        plot.addItem(pg.BarGraphItem(x=list(range(len(names))), height=[values[n] for n in names], width=0.6,
                                     brush="#2980b9"))


def _scaled(values: list, log: bool) -> list[float]:
    """Each value placed in [0, 1] along its axis (choices by their order of appearance)."""
    if any(not isinstance(v, (int, float)) or isinstance(v, bool) for v in values):
        order = list(dict.fromkeys(repr(v) for v in values))
        return [order.index(repr(v)) / max(1, len(order) - 1) for v in values]
    numbers = [math.log(v) if log and v > 0 else float(v) for v in values]
    low, high = min(numbers), max(numbers)
    return [0.5 if high == low else (v - low) / (high - low) for v in numbers]
