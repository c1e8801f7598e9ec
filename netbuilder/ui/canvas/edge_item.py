"""A wire between two ports, with the tensor shape it carries written on it.

The curve is rebuilt only when the scene says an end moved; painting and
hit-testing reuse the cached path, its stroke and the label's rectangle.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem

from ...core.document import Edge
from .theme import CanvasTheme, fonts, metrics

LABEL_LOD = 0.55  # below this zoom the shape labels would be unreadable smudges
LABEL_CLEARANCE = 9.0  # room kept free around the ports at either end of a label
HIT_WIDTH = 10.0


RETURN_DROP = 120.0  # a backward wire falling further than this returns like a carriage


def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A horizontal S-curve; a wire running backwards loops out below its
    ends, so it never lies on top of the cards it connects. One that runs back
    to a lower band of a wrapped layout turns down, crosses the gap between the
    bands and turns into its target, like a carriage return."""
    dx, dy = end.x() - start.x(), end.y() - start.y()
    if dx < 0 and dy > RETURN_DROP:
        middle, turn = start.y() + dy / 2, 50.0
        path = QPainterPath(start)
        path.cubicTo(QPointF(start.x() + turn, start.y()), QPointF(start.x() + turn, middle),
                     QPointF(start.x(), middle))
        path.lineTo(end.x(), middle)
        path.cubicTo(QPointF(end.x() - turn, middle), QPointF(end.x() - turn, end.y()), end)
        return path
    if dx >= 0:
        reach = max(dx * 0.5, 50.0)
        c1, c2 = QPointF(start.x() + reach, start.y()), QPointF(end.x() - reach, end.y())
    else:
        reach = max(-dx * 0.25, 80.0)
        drop = max(0.0, min(-dx * 0.3, 160.0) - abs(dy) / 2)
        c1 = QPointF(start.x() + reach, start.y() + drop)
        c2 = QPointF(end.x() - reach, end.y() + drop)
    path = QPainterPath(start)
    path.cubicTo(c1, c2, end)
    return path


class EdgeItem(QGraphicsItem):
    """The drawing of one document edge, keyed by that (immutable) edge."""

    def __init__(self, edge: Edge):
        super().__init__()
        self.edge = edge
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(-1)  # below the cards, which keep the default 0 (one change fewer per card)
        self._path = QPainterPath()
        self._hit: QPainterPath | None = None
        self._label = ""
        self._label_size = (0.0, 0.0)
        self._label_rect = QRectF()
        self._label_fits = False
        self._label_shown = True
        self._bounds = QRectF()
        self._known = False
        self._hovered = False

    @property
    def label(self) -> str:
        return self._label

    @property
    def label_visible(self) -> bool:
        return bool(self._label) and self._label_fits and self._label_shown

    def show_label(self, shown: bool) -> None:
        """Wires leaving one port carry one tensor: the scene labels just one of them."""
        if shown != self._label_shown:
            self._label_shown = shown
            self._hit = None
            self.update()

    def set_ends(self, start: QPointF, end: QPointF) -> None:
        self.prepareGeometryChange()
        self._path = wire_path(start, end)
        self._hit = None
        self._place_label()

    def set_label(self, text: str | None) -> None:
        """The shape of the tensor on this wire; ``None`` while it is unknown."""
        self._known = text is not None
        text = text or ""
        if text == self._label:
            self.update()
            return
        self.prepareGeometryChange()
        self._label = text
        fm = metrics("label")
        self._label_size = (fm.horizontalAdvance(text) + 10, fm.height() + 4) if text else (0.0, 0.0)
        if not self._path.isEmpty():  # else set_ends places it
            self._place_label()

    def _place_label(self) -> None:
        width, height = self._label_size
        mid = self._path.pointAtPercent(0.5)
        self._label_rect = QRectF(mid.x() - width / 2, mid.y() - height / 2, width, height)
        # Between close cards the label would cover the ports; the card's own
        # shape line says the same thing there.
        span = abs(self._path.currentPosition().x() - self._path.elementAt(0).x)
        self._label_fits = width + 2 * LABEL_CLEARANCE <= span
        self._bounds = self._path.boundingRect().adjusted(-3, -3, 3, 3).united(self._label_rect)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        if self._hit is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(HIT_WIDTH)
            self._hit = stroker.createStroke(self._path)
            if self.label_visible:
                self._hit.addRect(self._label_rect)
        return self._hit

    def hoverEnterEvent(self, event):
        self._hovered = True
        self.update()

    def hoverLeaveEvent(self, event):
        self._hovered = False
        self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        theme: CanvasTheme = self.scene().theme
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = self.isSelected()
        colour = theme.accent if selected else theme.wire if self._known else theme.wire_unknown
        pen = QPen(colour, 2.5 if selected or self._hovered else 1.8)
        if not self._known:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        lod = option.levelOfDetailFromTransform(painter.deviceTransform())  # physical pixels: hi-DPI shows more
        if self.label_visible and lod >= LABEL_LOD:
            painter.setPen(QPen(colour if selected else theme.label_border, 1))
            painter.setBrush(theme.label_fill)
            radius = self._label_rect.height() / 2
            painter.drawRoundedRect(self._label_rect, radius, radius)
            painter.setFont(fonts().label)
            painter.setPen(theme.text if selected else theme.label_text)
            painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, self._label)


class RubberWire(QGraphicsPathItem):
    """The loose wire that follows the mouse while the user connects ports."""

    def __init__(self, theme: CanvasTheme):
        super().__init__()
        self.setZValue(5)
        pen = QPen(theme.accent, 2)
        pen.setStyle(Qt.PenStyle.DashLine)
        self.setPen(pen)

    def stretch(self, start: QPointF, end: QPointF, refused: bool, theme: CanvasTheme) -> None:
        pen = self.pen()
        pen.setColor(theme.error if refused else theme.accent)
        self.setPen(pen)
        self.setPath(wire_path(start, end))
