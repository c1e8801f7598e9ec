"""Play, pause and stop icons drawn in the theme's colours.

The shared icon set (``resources/icons``) has no media glyphs, and the
platform's standard ones are grey bitmaps that vanish on the dark theme; three
shapes are simple enough to paint here, crisp at every size.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap, QPolygonF

from .. import theme

GLYPHS = ("play", "pause", "stop")


def _paint(name: str, color: QColor, size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    s = float(size)
    if name == "play":
        painter.drawPolygon(QPolygonF([QPointF(s * 0.28, s * 0.18), QPointF(s * 0.82, s * 0.5),
                                       QPointF(s * 0.28, s * 0.82)]))
    elif name == "pause":
        painter.drawRoundedRect(QRectF(s * 0.24, s * 0.2, s * 0.18, s * 0.6), s * 0.04, s * 0.04)
        painter.drawRoundedRect(QRectF(s * 0.58, s * 0.2, s * 0.18, s * 0.6), s * 0.04, s * 0.04)
    else:
        painter.drawRoundedRect(QRectF(s * 0.24, s * 0.24, s * 0.52, s * 0.52), s * 0.06, s * 0.06)
    painter.end()
    return pixmap


def icon(name: str, accent: bool = False) -> QIcon:
    """``play``, ``pause`` or ``stop``; ``accent`` draws it in the accent colour
    (the Train button), else in the text colour, muted when disabled."""
    t = theme.current()
    normal = QColor(t.accent if accent else t.text)
    if name == "stop" and not accent:
        normal = QColor(t.error)
    result = QIcon()
    for size in (16, 20, 24, 32):
        result.addPixmap(_paint(name, normal, size), QIcon.Mode.Normal)
        result.addPixmap(_paint(name, QColor(t.muted), size), QIcon.Mode.Disabled)
    return result
