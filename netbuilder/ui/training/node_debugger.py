"""The per-node debugger on screen: the canvas coloured by a statistic at a chosen
epoch, sparklines of the selected node's history, and gradient warnings.

Everything is drawn from the controller's :class:`~netbuilder.train.node_history.
NodeHistory` (filled from the engine's once-an-epoch ``NodeStats``), so browsing
back through the epochs costs the running engine nothing. The Nodes tab of the
Training panel holds the statistic, the epoch slider and the legend; the
inspector shows a :class:`NodeSparklines` for the selected node.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ...train.events import GradientWarning, NodeStats, RunStarted
from ...train.node_history import LOG_SCALED, STATISTICS, NodeHistory, value_text

RAMP = (QColor("#3b82f6"), QColor("#eab308"), QColor("#ef4444"))  # low, middle, high


def heat_colour(level: float) -> QColor:
    """Blue (lowest of the run) through amber to red (highest)."""
    level = max(0.0, min(1.0, level)) * (len(RAMP) - 1)
    i = min(int(level), len(RAMP) - 2)
    a, b, t = RAMP[i], RAMP[i + 1], level - i
    return QColor.fromRgbF(*(x + (y - x) * t for x, y in zip(a.getRgbF()[:3], b.getRgbF()[:3])))


class _Legend(QWidget):
    """The colour ramp with the run's lowest and highest value under it."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.low = self.high = ""
        self.setMinimumHeight(30)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_range(self, low: str, high: str) -> None:
        self.low, self.high = low, high
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        bar = QRectF(0, 2, self.width(), 10)
        gradient = QLinearGradient(bar.topLeft(), bar.topRight())
        for i, colour in enumerate(RAMP):
            gradient.setColorAt(i / (len(RAMP) - 1), colour)
        painter.fillRect(bar, gradient)
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        text = QRectF(0, 14, self.width(), self.height() - 14)
        painter.drawText(text, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, self.low)
        painter.drawText(text, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, self.high)


class NodeBrowser(QWidget):
    """The Nodes tab: colour the canvas by one statistic at one epoch, and the warnings."""

    epochShown = Signal(int)

    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.history: NodeHistory = controller.node_history
        self._coloured: set[str] = set()
        self._following = True  # the slider moves on with each new epoch until the user picks one
        self.colour_box = QCheckBox("Colour the nodes", objectName="nodeColours", checked=True)
        self.colour_box.setToolTip("Colour every node on the canvas by the statistic at the chosen epoch")
        self.statistic = QComboBox(objectName="nodeStatistic")
        for key, name in STATISTICS.items():
            self.statistic.addItem(name, key)
        self.statistic.setToolTip("What the colour shows: share of zeros (dead ReLUs), activation mean / std, "
                                  "gradient norm of the node's parameters, update / weight ratio per epoch")
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="nodeEpoch")
        self.slider.setToolTip("The epoch whose statistics colour the nodes")
        self.slider.setPageStep(1)
        self.epoch_label = QLabel("no epoch yet")
        self.legend = _Legend()
        self.warnings = QLabel("", objectName="gradientWarnings")
        self.warnings.setWordWrap(True)
        self.warnings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Show", self.statistic)
        epoch_row = QHBoxLayout()
        epoch_row.addWidget(self.slider, 1)
        epoch_row.addWidget(self.epoch_label)
        form.addRow("Epoch", epoch_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.colour_box)
        layout.addLayout(form)
        layout.addWidget(self.legend)
        layout.addWidget(self.warnings)
        layout.addStretch(1)
        self.colour_box.toggled.connect(lambda _on: self.recolour())
        self.statistic.currentIndexChanged.connect(lambda _i: self.recolour())
        self.slider.valueChanged.connect(self._slider_moved)
        controller.events.connect(self._events)
        self._update_slider()

    @property
    def stat(self) -> str:
        return self.statistic.currentData()

    @property
    def epoch(self) -> int | None:
        epochs = self.history.epochs
        return epochs[min(self.slider.value(), len(epochs) - 1)] if epochs else None

    def show_epoch(self, epoch: int) -> None:
        """Browse to ``epoch`` (the slider moves; the nodes recolour)."""
        epochs = self.history.epochs
        if epoch in epochs:
            self.slider.setValue(epochs.index(epoch))

    def _events(self, batch: list) -> None:
        for event in batch:
            if isinstance(event, RunStarted) and not self.history.epochs:
                self._following = True
                self.warnings.clear()
            elif isinstance(event, GradientWarning):
                text = f"⚠ epoch {event.epoch}: {event.message}"
                self.warnings.setText(f"{self.warnings.text()}\n{text}".strip())
        if any(isinstance(event, (NodeStats, RunStarted)) for event in batch):
            self._update_slider()

    def _update_slider(self) -> None:
        epochs = self.history.epochs
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(len(epochs) - 1, 0))
        if self._following and epochs:
            self.slider.setValue(len(epochs) - 1)
        self.slider.blockSignals(False)
        self.slider.setEnabled(len(epochs) > 1)
        self.recolour()

    def _slider_moved(self, value: int) -> None:
        self._following = value >= len(self.history.epochs) - 1
        self.recolour()
        if self.epoch is not None:
            self.epochShown.emit(self.epoch)

    def recolour(self) -> None:
        """Colour every node by the statistic at the chosen epoch (or clear the colours)."""
        epoch, stat = self.epoch, self.stat
        self.epoch_label.setText(f"{epoch} of {self.history.epochs[-1]}" if epoch is not None else "no epoch yet")
        scale = self.history.scale(stat)
        if scale is not None:
            self.legend.set_range(value_text(stat, scale[0]), value_text(stat, scale[1]))
        else:
            self.legend.set_range("", "")
        view = self.controller.view
        if view is None:
            return
        shown: set[str] = set()
        if self.colour_box.isChecked() and epoch is not None:
            for node, values in self.history.at(epoch).items():
                level = self.history.level(stat, values.get(stat), scale)
                if level is not None and node in self.controller.editor.doc.nodes:
                    view.set_node_heat(node, heat_colour(level), value_text(stat, values.get(stat)))
                    shown.add(node)
        for node in self._coloured - shown:
            if node in self.controller.editor.doc.nodes:
                view.set_node_heat(node, None)
        self._coloured = shown

    def clear(self) -> None:
        """Another graph, or a new run: nothing of the old history stays on the canvas."""
        self.warnings.clear()
        self._following = True
        self._update_slider()


class Sparkline(QWidget):
    """One statistic of one node over the epochs: a line, its last value, the browsed epoch marked."""

    def __init__(self, stat: str, points: list[tuple[int, float]], marked: int | None = None, parent=None):
        super().__init__(parent)
        self.stat, self.points, self.marked = stat, points, marked
        self.setMinimumHeight(34)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        if points:
            self.setToolTip("\n".join(f"epoch {e}: {value_text(stat, v)}" for e, v in points))

    def _y(self, value: float) -> float:
        if self.stat in LOG_SCALED:
            return math.log10(value) if value > 0 else -12.0
        return value

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()  # the widget's own colours: right on whatever it is drawn over
        name_w, value_w = 104, 62
        area = QRectF(name_w, 7, max(self.width() - name_w - value_w, 10), self.height() - 14)
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(QRectF(0, 0, name_w - 6, self.height()), Qt.AlignmentFlag.AlignVCenter,
                         STATISTICS[self.stat])
        if not self.points:
            painter.drawText(area, Qt.AlignmentFlag.AlignVCenter, "—")
            return
        ys = [self._y(v) for _, v in self.points]
        low, high = min(ys), max(ys)
        span = (high - low) or 1.0
        n = len(self.points)

        def at(i: int, y: float) -> QPointF:
            x = area.left() + (area.width() * i / (n - 1) if n > 1 else area.width() / 2)
            return QPointF(x, area.bottom() - (y - low) / span * area.height() if high > low else area.center().y())

        accent = palette.color(QPalette.ColorRole.Highlight)
        painter.setPen(QPen(accent, 1.6))
        painter.drawPolyline(QPolygonF([at(i, y) for i, y in enumerate(ys)]))
        painter.setPen(Qt.PenStyle.NoPen)
        for i, (epoch, _) in enumerate(self.points):
            if epoch == self.marked or (self.marked is None and i == n - 1):
                painter.setBrush(accent)
                painter.drawEllipse(at(i, ys[i]), 3, 3)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        last = self.points[-1][1]
        painter.drawText(QRectF(self.width() - value_w, 0, value_w, self.height()),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, value_text(self.stat, last))


class NodeSparklines(QWidget):
    """The inspector's TRAINING section for one node: a sparkline per statistic, kept
    current as epochs arrive (the page is rebuilt when another node is selected)."""

    def __init__(self, controller, node_id: str, browser: NodeBrowser | None = None, parent=None):
        super().__init__(parent, objectName="nodeSparklines")
        self.controller, self.node_id, self.browser = controller, node_id, browser
        self.lines: dict[str, Sparkline] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(2)
        heading = QLabel("TRAINING")
        heading.setProperty("role", "heading")
        layout.addWidget(heading)
        self.hint = QLabel("Train to see this node's activations and gradients epoch by epoch.")
        self.hint.setProperty("role", "muted")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        self.body = QVBoxLayout()
        self.body.setSpacing(0)
        layout.addLayout(self.body)
        controller.events.connect(self._events)
        if browser is not None:
            browser.epochShown.connect(self._epoch_shown)  # a bound slot: let go when this page is deleted
        self.refresh()

    def _epoch_shown(self, _epoch: int) -> None:
        self.refresh()

    def _events(self, batch: list) -> None:
        if any(isinstance(event, NodeStats) for event in batch):
            self.refresh()

    def refresh(self) -> None:
        history = self.controller.node_history
        while self.body.count():
            self.body.takeAt(0).widget().deleteLater()
        self.lines.clear()
        marked = self.browser.epoch if self.browser is not None else None
        for stat in STATISTICS:
            points = history.series(self.node_id, stat)
            if points:
                self.lines[stat] = line = Sparkline(stat, points, marked)
                self.body.addWidget(line)
        self.hint.setVisible(not self.lines)
