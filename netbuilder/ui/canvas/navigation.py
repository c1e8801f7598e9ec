"""Zoom and pan of a QGraphicsView, kept within the canvas' zoom limits.

Panning moves the scroll bars (hidden, over a huge scene rectangle) rather
than the transform, so the transform stays a pure scale and ``zoom`` is
simply its ``m11``.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import QGraphicsView

MIN_ZOOM, MAX_ZOOM = 0.2, 3.0
WHEEL_STEP = 1.0015  # zoom factor per 1/8° of wheel rotation: one notch ≈ ×1.2
BUTTON_STEP = 1.25


def zoom_of(view: QGraphicsView) -> float:
    return view.transform().m11()


def set_zoom(view: QGraphicsView, zoom: float, centre: QPointF) -> None:
    zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
    view.setTransform(QTransform.fromScale(zoom, zoom))
    view.centerOn(centre)


def zoom_by(view: QGraphicsView, factor: float, anchor: QPoint) -> None:
    """Zoom keeping the scene point under ``anchor`` (viewport pixels) still."""
    zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom_of(view) * factor))
    if abs(zoom - zoom_of(view)) < 1e-9:
        return
    fixed = view.mapToScene(anchor)
    view.setTransform(QTransform.fromScale(zoom, zoom))
    drift = view.mapFromScene(fixed) - anchor
    scroll_by(view, drift.x(), drift.y())


def scroll_by(view: QGraphicsView, dx: float, dy: float) -> None:
    view.horizontalScrollBar().setValue(view.horizontalScrollBar().value() + round(dx))
    view.verticalScrollBar().setValue(view.verticalScrollBar().value() + round(dy))


def fit(view: QGraphicsView, rect: QRectF, margin: float = 40.0, most: float = 1.0) -> None:
    """Show all of ``rect``, but never magnify past ``most`` (a lone node stays life-size)."""
    rect = rect.adjusted(-margin, -margin, margin, margin)
    size = view.viewport().size()
    set_zoom(view, min(size.width() / rect.width(), size.height() / rect.height(), most), rect.center())
