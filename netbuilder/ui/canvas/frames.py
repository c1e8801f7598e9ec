"""Frames around the networks of a document that holds several (a GAN's generator and discriminator).

A network is an Output node and all it depends on (:func:`netbuilder.core.networks.
network_groups`); when a document holds more than one disconnected network, each is
drawn inside a framed region titled with its name, behind its cards and wires, that
follows its nodes as they move. Frames are a view only: they hold no state the
document does not, and they are made again from it after every structural change.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from ...core.networks import network_groups

MARGIN = 28.0  # between the frame and the cards it holds
TITLE_HEIGHT = 26.0
RADIUS = 10.0


class NetworkFrame(QGraphicsItem):
    """One titled frame; :meth:`fit` sets the rectangle around its nodes."""

    def __init__(self, name: str, node_ids: list[str]):
        super().__init__()
        self.name, self.node_ids = name, node_ids
        self.rect = QRectF()
        self.setZValue(-10)  # under the wires (-1) and the cards (0)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # clicks go to the canvas below

    def fit(self, rect: QRectF) -> None:
        framed = rect.adjusted(-MARGIN, -MARGIN - TITLE_HEIGHT, MARGIN, MARGIN)
        if framed != self.rect:
            self.prepareGeometryChange()
            self.rect = framed

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self.rect.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        theme = self.scene().theme
        accent = QColor(theme.accent)
        fill = QColor(accent)
        fill.setAlpha(22 if theme.dark else 16)
        accent.setAlpha(150)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(accent, 1.5, Qt.PenStyle.DashLine))
        painter.setBrush(fill)
        painter.drawRoundedRect(self.rect, RADIUS, RADIUS)
        font = QFont(painter.font())
        font.setPixelSize(16)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(theme.text)
        title = self.rect.adjusted(14, 6, -14, 0)
        title.setHeight(TITLE_HEIGHT)
        painter.drawText(title, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.name)


class NetworkFrames:
    """The frames of one scene: :meth:`refresh` after structural changes, :meth:`follow` after moves."""

    def __init__(self, scene):
        self.scene = scene
        self.frames: dict[str, NetworkFrame] = {}

    def refresh(self) -> None:
        """Make the frames again from the document (networks may have joined, split or gone)."""
        groups = network_groups(self.scene.doc)
        for name, frame in list(self.frames.items()):
            if frame.scene() is not None and (name not in groups or groups[name] != frame.node_ids):
                self.scene.removeItem(frame)
            if frame.scene() is None or name not in groups or groups[name] != frame.node_ids:
                del self.frames[name]
        for name, node_ids in groups.items():
            if name not in self.frames:
                self.frames[name] = frame = NetworkFrame(name, node_ids)
                self.scene.addItem(frame)
        self.follow()

    def follow(self) -> None:
        """Fit every frame around its cards where they are now."""
        for frame in self.frames.values():
            rect = QRectF()
            for node_id in frame.node_ids:
                item = self.scene.nodes.get(node_id)
                if item is not None:
                    rect = rect.united(item.sceneBoundingRect())
            frame.fit(rect)
            frame.setVisible(not rect.isNull())
