"""The canvas grid, drawn straight into the exposed rectangle.

Minor lines every 20 px and major ones every 100 px, each set skipped once
its lines would be closer than 8 screen pixels (a zoomed-out grid is noise).
Lines are drawn without antialiasing: cosmetic hairlines land on whole
pixels, which is both crisper and many times cheaper while dragging.
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QPainter, QPen

from .theme import CanvasTheme

GRID = 20.0
MAJOR_EVERY = 5
MIN_SPACING_PX = 8


def draw_grid(painter: QPainter, rect: QRectF, theme: CanvasTheme) -> None:
    painter.fillRect(rect, theme.background)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    scale = painter.worldTransform().m11()
    for step, colour in ((GRID, theme.grid_minor), (GRID * MAJOR_EVERY, theme.grid_major)):
        if step * scale < MIN_SPACING_PX:
            continue
        painter.setPen(QPen(colour, 0))
        lines = []
        x = (rect.left() // step) * step
        while x <= rect.right():
            lines.append(QLineF(x, rect.top(), x, rect.bottom()))
            x += step
        y = (rect.top() // step) * step
        while y <= rect.bottom():
            lines.append(QLineF(rect.left(), y, rect.right(), y))
            y += step
        painter.drawLines(lines)
