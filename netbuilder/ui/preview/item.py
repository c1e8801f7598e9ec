"""The small preview under a card: a child item of the node's card.

Being a child, it moves with the card at no cost (a drag moves one parent; the
picture is a cached pixmap, so it is blitted), is removed with the card, and
needs nothing from :class:`~netbuilder.ui.canvas.node_item.NodeItem` itself.
It sits below the shape text, in the room the layout leaves between rows.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from ..canvas.node_item import SHAPE_GAP, SHAPE_HEIGHT, WIDTH, NodeItem
from ..canvas.theme import fonts, metrics
from .draw import caption, draw_picture, has_trouble

HEIGHT = 58.0
PAD = 4.0
CAPTION = 13.0


class PreviewItem(QGraphicsItem):
    """One node's picture; ``hovered(item, entered)`` tells the layer to show or hide the larger view."""

    def __init__(self, card: NodeItem, hovered: Callable[[PreviewItem, bool], None]):
        super().__init__(card)
        self.card = card
        self.picture = None
        self.note = ""  # shown instead of a picture ("no output", "failed here")
        self.failed = False
        self._hovered = hovered
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(True)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # a press goes to the card: it drags
        self.follow_card()

    @property
    def node_id(self) -> str:
        return self.card.node_id

    def follow_card(self) -> None:
        """Sit just below the card's shape text (a card grows with its ports)."""
        self.setPos(0.0, self.card.card_rect().height() + SHAPE_GAP + SHAPE_HEIGHT + 2.0)

    def show_picture(self, picture, note: str = "", failed: bool = False) -> None:
        self.picture, self.note, self.failed = picture, note, failed
        self.follow_card()
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(-1, -1, WIDTH + 2, HEIGHT + 2)

    def picture_rect(self) -> QRectF:
        return QRectF(PAD, PAD, WIDTH - 2 * PAD, HEIGHT - 2 * PAD - CAPTION)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        theme = self.scene().theme
        trouble = self.failed or (self.picture is not None and has_trouble(self.picture))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(theme.error if trouble else theme.border, 1.5 if trouble else 1.0))
        painter.setBrush(theme.body)
        painter.drawRoundedRect(QRectF(0, 0, WIDTH, HEIGHT), 5, 5)
        text_rect = QRectF(PAD + 2, HEIGHT - PAD - CAPTION, WIDTH - 2 * PAD - 4, CAPTION)
        painter.setFont(fonts().small)
        if self.picture is not None:
            draw_picture(painter, self.picture_rect(), self.picture, theme)
            text = caption(self.picture)
        else:
            text = self.note or "…"
        painter.setPen(theme.error if trouble else theme.muted)
        flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter
        if self.picture is None:
            text_rect = QRectF(PAD, PAD, WIDTH - 2 * PAD, HEIGHT - 2 * PAD)
            flags |= Qt.TextFlag.TextWordWrap
        else:
            text = metrics("small").elidedText(text, Qt.TextElideMode.ElideRight, text_rect.width())
        painter.drawText(text_rect, flags, text)

    def hoverEnterEvent(self, event) -> None:
        self._hovered(self, True)

    def hoverLeaveEvent(self, event) -> None:
        self._hovered(self, False)
