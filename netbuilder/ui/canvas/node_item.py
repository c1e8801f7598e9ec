"""A layer on the canvas: a rounded card with its ports painted on its sides.

Ports are painted by the card rather than being child items: a 1,000-node
graph then has half as many items for the scene to hit-test on every mouse
move. The card holds only display text derived from the document (set by the
scene) and is cached as a device pixmap, so dragging it is a blit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from .theme import CanvasTheme, category_color, fonts, metrics

WIDTH = 140.0  # leaves 100 px between columns of core.layout for wires and their labels
HEADER = 24.0
ROW = 17.0
PAD = 6.0
PORT_Y = HEADER + PAD + ROW  # a single port sits level with the middle of the text
PORT_RADIUS = 4.5
PORT_REACH = 11.0  # how far from a port's centre a press or a dropped wire still hits it
RADIUS = 7.0
SHAPE_GAP = 4.0
SHAPE_HEIGHT = 15.0
MARGIN = 8.0  # room outside the card for ports and the selection outline
DETAIL_LOD = 0.45  # below this zoom, cards are drawn without text
STACK = 4.0  # how far the card behind a block instance's shows


@dataclass(frozen=True)
class PortRef:
    """One port of one node: what a wire starts or ends on."""

    node_id: str
    index: int
    is_output: bool


_POSITION_CHANGE = QGraphicsItem.GraphicsItemChange.ItemPositionChange  # looked up once: itemChange
_POSITION_HAS_CHANGED = QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged  # runs a dozen times per new card


def _port_pos(count: int, is_output: bool, index: int) -> QPointF:
    """Centre of port ``index`` of ``count`` on one side of a card, in card coordinates."""
    x = WIDTH if is_output else 0.0
    if count <= 1:
        return QPointF(x, PORT_Y)
    return QPointF(x, HEADER + PAD + 2 * ROW + (index + 0.5) * ROW)


@lru_cache(maxsize=64)
def _card_geometry(n_in: int, n_out: int) -> tuple[float, QPainterPath, QPainterPath, QPainterPath, QRectF]:
    """Height, outline, header, hit shape and bounds of a card with these port
    counts: the same for every card alike, so a big graph builds them once
    (Qt shares the paths between cards until one is changed, which none is)."""
    rows = max(n_in if n_in > 1 else 0, n_out if n_out > 1 else 0)
    height = HEADER + PAD + 2 * ROW + rows * ROW + PAD
    card = QPainterPath()
    card.addRoundedRect(QRectF(0, 0, WIDTH, height), RADIUS, RADIUS)
    top = QPainterPath()
    top.addRect(QRectF(0, 0, WIDTH, HEADER))
    hit_shape = QPainterPath(card)  # the card plus its ports, which stick out
    for is_output, count in ((False, n_in), (True, n_out)):
        for i in range(count):
            hit_shape.addEllipse(_port_pos(count, is_output, i), PORT_RADIUS + 3, PORT_RADIUS + 3)
    bounds = QRectF(-MARGIN, -MARGIN, WIDTH + 2 * MARGIN, height + SHAPE_GAP + SHAPE_HEIGHT + MARGIN)
    return height, card, card.intersected(top), hit_shape, bounds


@lru_cache(maxsize=64)
def card_extent(n_in: int, n_out: int) -> tuple[float, float, float, float]:
    """Left, top, right and bottom, in card coordinates, of what a card with
    these port counts covers (its bounding rectangle)."""
    return _card_geometry(n_in, n_out)[4].getCoords()


class NodeItem(QGraphicsItem):
    """The card of one node; the scene keeps it in step with the document."""

    def __init__(self, node_id: str):
        super().__init__()
        self.node_id = node_id
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(True)
        self.layer_type = ""
        self.category = ""
        self._type_text = self._params_text = self._count_text = ""
        self._title_text = node_id
        self.shape_text = "?"
        self.status = "unknown"
        self._n_in, self._n_out = 1, 1
        self._in_labels: list[str] = []
        self._out_labels: list[str] = []
        self._wired: set[tuple[bool, int]] = set()
        self._marks: dict[tuple[bool, int], str] = {}  # (is_output, index) -> "hover" | "ok" | "bad"
        self._activity: float | None = None
        self.heat: tuple[QColor, str] | None = None  # the debugger's colour and the value it stands for
        self.is_block = False  # a block instance: drawn as a stack of cards
        self.repeat_text = ""  # "× 6" on an instance repeated 6 times
        self._height = 0.0
        self._texts_fitted = False  # elided when first painted: most cards of a big graph are off screen
        self._relayout()

    # -- content, set by the scene ------------------------------------------
    def set_content(self, node_id: str, layer_type: str, category: str, params_text: str) -> None:
        self.node_id = node_id
        self.layer_type, self.category = layer_type, category
        self._params_text = params_text
        self._texts_fitted = False
        self.update()

    def set_block(self, is_block: bool, repeat: int = 1) -> None:
        """Mark a block instance (a card with another behind it), repeated ``repeat`` times."""
        self.is_block, self.repeat_text = is_block, f"× {repeat}" if is_block and repeat > 1 else ""
        self._texts_fitted = False
        self.update()

    def set_info(self, status: str, shape_text: str, count_text: str) -> None:
        self.status, self.shape_text, self._count_text = status, shape_text, count_text
        self._texts_fitted = False
        self.update()

    def set_ports(self, in_labels: list[str], out_labels: list[str], wired: set[tuple[bool, int]]) -> bool:
        """Show these ports; returns whether the geometry changed (wires must follow)."""
        changed = (len(in_labels), len(out_labels)) != (self._n_in, self._n_out)
        self._in_labels, self._out_labels, self._wired = in_labels, out_labels, wired
        if changed:
            self.prepareGeometryChange()
            self._n_in, self._n_out = len(in_labels), len(out_labels)
            self._relayout()
        self.update()
        return changed

    def set_activity(self, alive: float | None) -> None:
        """``alive``: the fraction of non-zero activations while training (None hides the bar)."""
        self._activity = alive
        self.update()

    def set_heat(self, colour: QColor | None, text: str = "") -> None:
        """Colour the card by a training statistic (the debugger's epoch browser) and show
        ``text``, its value, where the parameter count goes; None shows the card as usual."""
        self.heat = None if colour is None else (QColor(colour), text)
        self._texts_fitted = False
        self.update()

    def mark_port(self, port: PortRef | None, state: str | None) -> None:
        """Highlight a port while a wire hovers it; ``None`` clears every mark."""
        self._marks = {} if port is None or state is None else {(port.is_output, port.index): state}
        self.update()

    def _elide_texts(self) -> None:
        """Fit the texts to the card; the parameter count goes on whichever
        row has room for it beside the type or the parameters, else only the
        tooltip carries it."""
        self._texts_fitted = True
        body, small, title = metrics("body"), metrics("small"), metrics("title")
        room = WIDTH - 20
        badge_w = 18 if self.status in ("error", "warning") else 0
        if self.repeat_text:
            self._repeat_w = metrics("small").horizontalAdvance(self.repeat_text) + 10
            badge_w += self._repeat_w + 4
        count_w = small.horizontalAdvance(self._count_shown) + 8 if self._count_shown else 0
        self._count_row = 0
        if count_w and body.horizontalAdvance(self.layer_type) + count_w <= room:
            self._count_row = 1
        elif count_w and body.horizontalAdvance(self._params_text) + count_w <= room:
            self._count_row = 2
        elide = Qt.TextElideMode.ElideRight
        self._title_text = title.elidedText(self.node_id, elide, room - badge_w)
        self._type_text = body.elidedText(self.layer_type, elide, room - (count_w if self._count_row == 1 else 0))
        self._params_line = body.elidedText(self._params_text, elide, room - (count_w if self._count_row == 2 else 0))

    @property
    def _count_shown(self) -> str:
        return self.heat[1] if self.heat is not None else self._count_text

    # -- geometry -----------------------------------------------------------
    def _relayout(self) -> None:
        self._height, self._card, self._header, self._hit_shape, self._bounds = _card_geometry(self._n_in, self._n_out)

    def card_rect(self) -> QRectF:
        return QRectF(0, 0, WIDTH, self._height)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        return self._hit_shape

    def port_count(self, is_output: bool) -> int:
        return self._n_out if is_output else self._n_in

    def port_pos(self, is_output: bool, index: int) -> QPointF:
        """Centre of a port in item coordinates."""
        return _port_pos(self._n_out if is_output else self._n_in, is_output, index)

    def port_scene_pos(self, is_output: bool, index: int) -> QPointF:
        return self.mapToScene(self.port_pos(is_output, index))

    def port_at(self, scene_pos: QPointF, reach: float = PORT_REACH) -> PortRef | None:
        """The port within ``reach`` of a scene point, the nearest one first."""
        local = self.mapFromScene(scene_pos)
        best, best_d = None, reach * reach
        for is_output, count in ((False, self._n_in), (True, self._n_out)):
            for i in range(count):
                d = local - self.port_pos(is_output, i)
                dist = d.x() * d.x() + d.y() * d.y()
                if dist <= best_d:
                    best, best_d = PortRef(self.node_id, i, is_output), dist
        return best

    # -- interaction ----------------------------------------------------------
    def itemChange(self, change, value):
        if change == _POSITION_CHANGE and self.scene() is not None:
            return self.scene().snapped(value)
        if change == _POSITION_HAS_CHANGED and self.scene() is not None:
            self.scene().node_item_moved(self)
        return super().itemChange(change, value)

    def hoverMoveEvent(self, event):
        port = self.port_at(event.scenePos(), PORT_RADIUS + 4)
        marks = {} if port is None else {(port.is_output, port.index): "hover"}
        if marks != self._marks:
            self._marks = marks
            self.update()

    def hoverLeaveEvent(self, event):
        if self._marks:
            self._marks = {}
            self.update()

    # -- painting -----------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        theme: CanvasTheme = self.scene().theme
        lod = option.levelOfDetailFromTransform(painter.deviceTransform())  # physical pixels: hi-DPI shows more
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.isSelected():
            painter.setPen(QPen(theme.accent, 2.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(self.card_rect().adjusted(-3.5, -3.5, 3.5, 3.5), RADIUS + 3, RADIUS + 3)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.shadow)
        painter.drawPath(self._card.translated(0, 2))
        if self.is_block:  # the cards inside, stacked behind
            painter.setPen(QPen(theme.border, 1))
            painter.setBrush(theme.body)
            painter.drawPath(self._card.translated(STACK, STACK))
        border = {"error": theme.error}.get(self.status, theme.border)
        body = theme.body
        if self.heat is not None:
            border, body = self.heat[0], _blend(theme.body, self.heat[0], 0.5)
        painter.setPen(QPen(border, 3 if self.heat is not None else 2 if self.status == "error" else 1))
        painter.setBrush(body)
        painter.drawPath(self._card)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(category_color(self.category))
        painter.drawPath(self._header)
        if lod >= DETAIL_LOD:
            if not self._texts_fitted:
                self._elide_texts()
            self._paint_text(painter, theme)
        self._paint_ports(painter, theme)
        if self._activity is not None:
            self._paint_activity(painter, theme)

    def _paint_text(self, painter: QPainter, theme: CanvasTheme) -> None:
        f = fonts()
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        painter.setFont(f.title)
        painter.setPen(theme.header_text)
        painter.drawText(QRectF(10, 0, WIDTH - 20, HEADER), left, self._title_text)
        if self.status in ("error", "warning"):
            self._paint_badge(painter, theme)
        if self.repeat_text:
            self._paint_repeat(painter, theme)
        row1 = QRectF(10, HEADER + PAD, WIDTH - 20, ROW)
        row2 = row1.translated(0, ROW)
        painter.setFont(f.body)
        painter.setPen(theme.muted)
        painter.drawText(row1, left, self._type_text)
        painter.setPen(theme.text)
        painter.drawText(row2, left, self._params_line)
        if self._count_row:
            painter.setFont(f.small)
            painter.setPen(theme.text if self.heat is not None else theme.muted)
            painter.drawText(row1 if self._count_row == 1 else row2, right, self._count_shown)
        painter.setFont(f.small)
        painter.setPen(theme.muted)
        for labels, align, x in ((self._in_labels, left, 10), (self._out_labels, right, 10)):
            if len(labels) > 1:
                for i, label in enumerate(labels):
                    y = HEADER + PAD + 2 * ROW + i * ROW
                    painter.drawText(QRectF(x, y, WIDTH - 20, ROW), align, label)
        painter.setFont(f.mono)
        known = self.status in ("ok", "warning")
        painter.setPen(theme.shape if known else theme.error if self.status == "error" else theme.unknown)
        shape_rect = QRectF(-MARGIN, self._height + SHAPE_GAP, WIDTH + 2 * MARGIN, SHAPE_HEIGHT)
        painter.drawText(shape_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                         metrics("mono").elidedText(self.shape_text, Qt.TextElideMode.ElideRight, shape_rect.width()))

    def _paint_badge(self, painter: QPainter, theme: CanvasTheme) -> None:
        colour = theme.error if self.status == "error" else theme.warning
        centre = QPointF(WIDTH - 14, HEADER / 2)
        painter.setPen(QPen(theme.header_text, 1.5))
        painter.setBrush(colour)
        painter.drawEllipse(centre, 7.5, 7.5)
        painter.setFont(fonts().title)
        painter.drawText(QRectF(centre.x() - 7.5, centre.y() - 7.5, 15, 15), Qt.AlignmentFlag.AlignCenter, "!")

    def _paint_repeat(self, painter: QPainter, theme: CanvasTheme) -> None:
        right = WIDTH - (28 if self.status in ("error", "warning") else 8)
        pill = QRectF(right - self._repeat_w, 5, self._repeat_w, HEADER - 10)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.header_text)
        painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
        painter.setFont(fonts().small)
        painter.setPen(category_color(self.category).darker(160))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, self.repeat_text)

    def _paint_ports(self, painter: QPainter, theme: CanvasTheme) -> None:
        colour = category_color(self.category)
        for is_output, count in ((False, self._n_in), (True, self._n_out)):
            for i in range(count):
                mark = self._marks.get((is_output, i))
                radius = PORT_RADIUS + (1.5 if mark else 0)
                ring = {"ok": theme.ok, "bad": theme.error, "hover": theme.accent}.get(mark, colour)
                fill = ring if (is_output, i) in self._wired or mark in ("ok", "bad") else theme.port_free
                painter.setPen(QPen(ring, 2))
                painter.setBrush(fill)
                painter.drawEllipse(self.port_pos(is_output, i), radius, radius)

    def _paint_activity(self, painter: QPainter, theme: CanvasTheme) -> None:
        alive = max(0.0, min(1.0, self._activity))
        track = QRectF(10, self._height - 5, WIDTH - 20, 3)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(theme.border))
        painter.drawRoundedRect(track, 1.5, 1.5)
        colour = theme.ok if alive >= 0.5 else theme.warning if alive >= 0.1 else theme.error
        painter.setBrush(colour)
        painter.drawRoundedRect(QRectF(track.x(), track.y(), track.width() * alive, track.height()), 1.5, 1.5)


def _blend(base: QColor, tint: QColor, share: float) -> QColor:
    """``base`` with ``share`` of ``tint`` mixed in (a card's body under the debugger's colour)."""
    return QColor.fromRgbF(*(b + (t - b) * share for b, t in zip(base.getRgbF()[:3], tint.getRgbF()[:3])))
