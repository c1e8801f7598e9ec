"""The canvas's "varies" mark: a small badge on every node one of whose parameters a search varies.

The badge is a child item of the node's card, so it moves with it; this object
only decides which cards carry one, from the document's search section,
whenever the document says it changed. The canvas code itself knows nothing of
searches.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import QGraphicsItem

from ...core.search_space import targets_of_node

BADGE_W, BADGE_H = 44.0, 15.0


class VariesBadge(QGraphicsItem):
    """"varies" on a card's header; its tool tip lists what varies."""

    def __init__(self, parent: QGraphicsItem, text: str):
        super().__init__(parent)
        self.setToolTip(text)
        width = parent.card_rect().width() if hasattr(parent, "card_rect") else 200.0
        self.setPos(width - BADGE_W - 26, -BADGE_H / 2)
        self.setZValue(5)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return QRectF(0, 0, BADGE_W, BADGE_H)

    def paint(self, painter, option, widget=None) -> None:
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor("#ffffff"), 1))
        painter.setBrush(QColor("#8e44ad"))
        painter.drawRoundedRect(self.boundingRect(), 7, 7)
        font = QFont()
        font.setPointSizeF(7.5)
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(self.boundingRect(), Qt.AlignmentFlag.AlignCenter, "varies")


class VariesMarks(QObject):
    """Keeps a :class:`VariesBadge` on exactly the cards whose node varies."""

    def __init__(self, editor, view, parent=None, scoped=None):
        super().__init__(parent)
        self.editor, self.view, self.scoped = editor, view, scoped  # scoped: the graph on the canvas
        self.badges: dict[str, VariesBadge] = {}
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.refresh)
        editor.documentChanged.connect(lambda _change: self._timer.start())
        if scoped is not None:
            scoped.scopeChanged.connect(self._timer.start)
        self._timer.start()

    def refresh(self) -> None:
        scene = self.view.scene() if self.view is not None else None
        if scene is None or not hasattr(scene, "nodes"):
            return
        search = self.editor.doc.search
        shown = self.scoped.doc if self.scoped is not None else self.editor.doc
        block = shown.name if shown.is_definition else None
        wanted = {n: targets_of_node(search, n, block) for n in shown.nodes} if search else {}
        wanted = {n: t for n, t in wanted.items() if t}
        if wanted and hasattr(scene, "complete"):
            scene.complete()
        for node_id, badge in list(self.badges.items()):
            item = scene.nodes.get(node_id)
            valid = shiboken6.isValid(badge)  # a card deleted by the scene takes its badge with it
            if node_id in wanted and item is not None and valid and badge.parentItem() is item:
                continue
            if valid and badge.scene() is not None:
                badge.scene().removeItem(badge)
            del self.badges[node_id]
        for node_id, params in wanted.items():
            item = scene.nodes.get(node_id)
            text = "varies: " + ", ".join(f"{p} ({v})" for p, v in params.items())
            if item is None:
                continue
            if node_id in self.badges:
                self.badges[node_id].setToolTip(text)
            else:
                self.badges[node_id] = VariesBadge(item, text)
