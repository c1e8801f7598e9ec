"""Where a run's graph changed, on its curves, and what the change kept.

A run continued with an edited graph (see :mod:`netbuilder.train.graph_versions`)
gets a dashed vertical line on each plot at the epoch the new version took
over, labelled ``graph v2``…, read from the run folder's ``graphs.json`` when
the run starts, so a run resumed later from the Runs list shows its changes
too. The :class:`~netbuilder.train.events.GraphChanged` event's sentence (which
layers kept their weights, which start fresh) goes to the status bar.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QPen

from ...train.events import GraphChanged, RunStarted
from .. import theme


class GraphMarks(QObject):
    """Draws the version lines on ``plots`` (a :class:`~.plots.TrainingPlots`) for ``controller``'s runs."""

    def __init__(self, controller, plots, say, parent: QObject | None = None):
        super().__init__(parent)
        self.plots, self.say = plots, say
        self.last_message = ""
        self.lines: list[tuple[pg.PlotItem, pg.InfiniteLine]] = []
        controller.events.connect(self._events)

    def _events(self, batch: list) -> None:
        for event in batch:
            if isinstance(event, RunStarted):
                self.show_versions(event.run_dir)
            elif isinstance(event, GraphChanged):
                self.last_message = f"Resumed with the edited graph: {event.message}"
                self.say(self.last_message)

    def show_versions(self, run_dir: str) -> None:
        from ...train.graph_versions import graph_versions

        for plot, line in self.lines:
            plot.removeItem(line)
        self.lines.clear()
        pen = QPen(pg.mkColor(theme.current().accent), 0, Qt.PenStyle.DashLine)
        for version in graph_versions(run_dir)[1:]:
            x = version["from_epoch"] - 1
            for i, plot in enumerate(self.plots.plots):
                label = f"graph v{version['version']}" if i == 0 else None
                line = pg.InfiniteLine(x, angle=90, pen=pen, label=label,
                                       labelOpts={"position": 0.9, "color": pen.color()})
                plot.addItem(line, ignoreBounds=True)
                self.lines.append((plot, line))
