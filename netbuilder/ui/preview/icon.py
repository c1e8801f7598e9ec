"""The Preview toggle's eye, painted in the theme's text colour (the shared icon set has none)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from .. import theme


def _eye(color: QColor, size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = float(size)
    outline = QPainterPath(QPointF(s * 0.08, s * 0.5))
    outline.quadTo(QPointF(s * 0.5, s * 0.08), QPointF(s * 0.92, s * 0.5))
    outline.quadTo(QPointF(s * 0.5, s * 0.92), QPointF(s * 0.08, s * 0.5))
    painter.setPen(QPen(color, max(1.2, s * 0.08)))
    painter.drawPath(outline)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawEllipse(QRectF(s * 0.36, s * 0.36, s * 0.28, s * 0.28))
    painter.end()
    return pixmap


def eye_icon() -> QIcon:
    t = theme.current()
    result = QIcon()
    for size in (16, 20, 24, 32):
        result.addPixmap(_eye(QColor(t.text), size), QIcon.Mode.Normal)
        result.addPixmap(_eye(QColor(t.muted), size), QIcon.Mode.Disabled)
    return result
