"""The layer palette: every layer type by category, searchable and draggable.

It reads only the layer library (``core.layers``) and never touches the
document: dragging hands the canvas a layer type name under ``LAYER_MIME``,
and double-click or Enter asks the window to add one (:attr:`LayerPalette.
layerRequested`), so the window decides where the node goes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeData, QObject, QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QAction, QDrag, QFont, QFontMetrics, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ..core.layers import CATEGORIES, all_specs
from ..core.layers.search import matches, rank_layers, tooltip
from . import theme
from .canvas import LAYER_MIME

TYPE_ROLE = Qt.UserRole


class LayerTree(QTreeWidget):
    """The tree of layer types; an item drags out as its type name."""

    def mimeTypes(self) -> list[str]:
        return [LAYER_MIME]

    def mimeData(self, items) -> QMimeData:
        data = QMimeData()
        layer_type = items[0].data(0, TYPE_ROLE) if items else None
        if layer_type:
            data.setData(LAYER_MIME, layer_type.encode("utf-8"))
            data.setText(layer_type)
        return data

    def startDrag(self, actions) -> None:
        item = self.currentItem()
        if item is None or not item.data(0, TYPE_ROLE):
            return
        drag = QDrag(self)
        drag.setMimeData(self.mimeData([item]))
        chip = _drag_chip(item.data(0, TYPE_ROLE), item.parent().text(0))
        drag.setPixmap(chip)
        drag.setHotSpot(QPoint(int(chip.deviceIndependentSize().width() / 2), 13))
        drag.exec(Qt.CopyAction)


def _drag_chip(layer_type: str, category: str) -> QPixmap:
    """What follows the pointer while dragging: a small node-like label."""
    font = QFont()
    font.setBold(True)
    width = QFontMetrics(font).horizontalAdvance(layer_type) + 30
    ratio = 2.0
    pixmap = QPixmap(int(width * ratio), int(26 * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setPen(Qt.NoPen)
    painter.setBrush(theme.category_color(category))
    painter.drawRoundedRect(QRectF(0, 0, width, 26), 6, 6)
    painter.setPen(Qt.white)
    painter.setFont(font)
    painter.drawText(QRectF(0, 0, width, 26), Qt.AlignCenter, layer_type)
    painter.end()
    return pixmap


class LayerPalette(QWidget):
    """Search field above the category tree."""

    layerRequested = Signal(str)  # a layer type to add at the centre of the view

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.search = QLineEdit(objectName="search", placeholderText="Search layers…", clearButtonEnabled=True)
        self.search.addAction(QAction(theme.icon("search"), "", self.search), QLineEdit.LeadingPosition)
        self.search.setToolTip("Filter by name, other names (dense, upconv), category or description; "
                               "Enter adds the best match")
        self.tree = LayerTree(headerHidden=True, rootIsDecorated=True, indentation=14, animated=True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragOnly)
        self.tree.setSelectionMode(QAbstractItemView.SingleSelection)
        self.tree.setUniformRowHeights(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._fill()
        self.search.textChanged.connect(self.set_filter)
        self.search.returnPressed.connect(self._add_first_match)
        self.search.installEventFilter(self)
        self.tree.itemActivated.connect(self._on_activated)

    def _fill(self) -> None:
        groups: dict[str, QTreeWidgetItem] = {}
        for category in CATEGORIES:
            group = QTreeWidgetItem(self.tree, [category])
            group.setFlags(Qt.ItemIsEnabled)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            groups[category] = group
        for spec in all_specs():
            item = QTreeWidgetItem(groups[spec.category], [spec.type])
            item.setData(0, TYPE_ROLE, spec.type)
            item.setIcon(0, theme.category_icon(spec.category))
            item.setToolTip(0, tooltip(spec))
            item.setStatusTip(0, f"{spec.type}: {spec.doc}")
            item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)
            self._items[spec.type] = item
        for group in groups.values():
            group.setHidden(group.childCount() == 0)
        self.tree.expandAll()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Wide enough for the longest layer name (TransformerEncoderLayer), never elided."""
        margins = self.layout().contentsMargins()
        tree = self.tree
        width = (tree.sizeHintForColumn(0) + tree.verticalScrollBar().sizeHint().width() + 2 * tree.frameWidth()
                 + margins.left() + margins.right())
        return QSize(width, super().minimumSizeHint().height())

    def item_for(self, layer_type: str) -> QTreeWidgetItem:
        return self._items[layer_type]

    def visible_layer_types(self) -> list[str]:
        """The layer types the search currently lets through, in tree order."""
        return [t for t, item in self._items.items() if not item.isHidden() and not item.parent().isHidden()]

    def set_filter(self, text: str) -> None:
        words = text.lower().split()
        specs = {s.type: s for s in all_specs()}
        for layer_type, item in self._items.items():
            item.setHidden(not matches(specs[layer_type], words))
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            children = [group.child(j) for j in range(group.childCount())]
            group.setHidden(all(child.isHidden() for child in children))
        self.tree.expandAll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Escape in the search field clears it (and shows every layer again)."""
        if watched is self.search and event.type() == QEvent.KeyPress and event.key() == Qt.Key_Escape:
            self.search.clear()
            return True
        return super().eventFilter(watched, event)

    def best_match(self) -> str | None:
        """What Enter adds: the best-ranked match ("dense" → Linear), not the first in tree order."""
        ranked = rank_layers(self.search.text(), all_specs())
        return ranked[0].type if ranked else None

    def _add_first_match(self) -> None:
        best = self.best_match()
        if best is not None:
            self.layerRequested.emit(best)

    def _on_activated(self, item: QTreeWidgetItem) -> None:
        layer_type = item.data(0, TYPE_ROLE)
        if layer_type:
            self.layerRequested.emit(layer_type)
