"""The larger view of one node's output, shown while the pointer rests on its picture.

It lists what a person checks first when a layer looks wrong: the range, mean
and spread, the share of exact zeros (dead ReLUs), NaN and inf, and at a
classifier's output the most likely classes by name.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QWidget

from ..canvas.theme import CanvasTheme, fonts
from .draw import draw_picture, has_trouble, number

WIDTH, PICTURE_HEIGHT, LINE = 340, 190, 16


def describe(node_id: str, picture, sample: str, weights: str) -> list[str]:
    """The lines of text under the larger picture."""
    s = picture.stats
    shape = "×".join(map(str, picture.shape)) or "scalar"
    lines = [f"{node_id}   ({shape})"]
    if picture.kind == "maps":
        lines[0] += f"   first {len(picture.data)} of {picture.channels} maps"
    if s.get("count"):
        lines.append(f"min {number(s['min'])}   max {number(s['max'])}   mean {number(s['mean'])}   "
                     f"std {number(s['std'])}")
        lines.append(f"zeros {s['zeros']:.0%}   NaN {s['nan']}   inf {s['inf']}")
    if picture.labels:
        order = np.argsort(-picture.probs)[:5]
        lines.append("   ".join(f"{picture.labels[i]} {picture.probs[i]:.0%}" for i in order))
    lines += [sample, weights]
    return [line for line in lines if line]


class PreviewPopup(QWidget):
    """One per canvas; :meth:`show_for` fills and places it, :meth:`hide` hides it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.ToolTip | Qt.WindowType.FramelessWindowHint)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.picture = None
        self.lines: list[str] = []
        self.theme: CanvasTheme | None = None

    def show_for(self, node_id: str, picture, sample: str, weights: str, theme: CanvasTheme, at: QPoint) -> None:
        self.picture, self.theme = picture, theme
        self.lines = describe(node_id, picture, sample, weights)
        labels = 16 if picture.labels else 0
        self.resize(WIDTH, 8 + PICTURE_HEIGHT + labels + 6 + LINE * len(self.lines) + 8)
        self.move(at + QPoint(16, 16))
        self.show()
        self.raise_()
        self.update()

    def paintEvent(self, event) -> None:
        if self.picture is None or self.theme is None:
            return
        painter = QPainter(self)
        theme = self.theme
        painter.fillRect(self.rect(), theme.body)
        painter.setPen(theme.error if has_trouble(self.picture) else theme.border)
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        area = QRectF(8, 8, WIDTH - 16, PICTURE_HEIGHT)
        draw_picture(painter, area, self.picture, theme, large=True)
        y = 8 + PICTURE_HEIGHT
        painter.setFont(fonts().small)
        if self.picture.labels:
            painter.setPen(theme.muted)
            step = area.width() / len(self.picture.labels)
            for i, label in enumerate(self.picture.labels):
                painter.drawText(QRectF(area.x() + i * step, y, step, 16), Qt.AlignmentFlag.AlignCenter, label)
            y += 16
        y += 6
        for i, line in enumerate(self.lines):
            painter.setFont(fonts().title if i == 0 else fonts().small)
            painter.setPen(theme.text if i == 0 else theme.muted)
            painter.drawText(QRectF(8, y, WIDTH - 16, LINE), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             line)
            y += LINE
        painter.end()
