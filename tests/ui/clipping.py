"""Finds text that does not fit the widget showing it (imported by test_no_clipping.py; holds no tests).

Measured with the widget's own font metrics, the way Qt lays the text out:
a label's text against its contents rectangle (a word-wrapped one: the height
its text needs at its width), a button's or check box's size hint against its
size, a progress bar's text against the bar, a combo box's current text
against its edit field, tab titles against their tabs, and tree cells and
header titles against their columns.
"""

from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLabel,
    QProgressBar,
    QSplitter,
    QStyle,
    QStyleOptionComboBox,
    QTabBar,
    QTreeWidget,
    QTreeWidgetItemIterator,
    QWidget,
)

from netbuilder.ui.training.results import ConfusionMatrixView


def _shown(widget: QWidget) -> bool:
    return widget.isVisible() and widget.width() > 0 and not widget.visibleRegion().isEmpty()


def _name(widget: QWidget) -> str:
    return f"{type(widget).__name__}({widget.objectName() or ''})"


def clipped_texts(root: QWidget) -> list[str]:
    """Every piece of text under ``root`` that is cut off, as ``"Kind(name): 'text' needs N px, has M"``."""
    found: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not _shown(widget):
            continue
        seen = widget.visibleRegion().boundingRect()
        if seen.width() < widget.width() - 1 and not isinstance(widget.parentWidget(), QSplitter):
            found.append(f"{_name(widget)}: cut off at the side, {seen.width()} of {widget.width()} px shown")
            continue
        fm = widget.fontMetrics()
        if isinstance(widget, QLabel) and widget.text() and widget.pixmap().isNull():
            text, room = widget.text(), widget.contentsRect()
            rich = widget.textFormat() == Qt.TextFormat.RichText or (
                widget.textFormat() == Qt.TextFormat.AutoText and QtGui.Qt.mightBeRichText(text))
            if rich and not widget.wordWrap():
                document = QTextDocument()
                document.setDefaultFont(widget.font())
                document.setHtml(text)
                document.setDocumentMargin(0)
                need = round(document.idealWidth())
                if need > room.width() + 1:
                    found.append(f"{_name(widget)}: {document.toPlainText()!r} needs {need} px, has {room.width()}")
            elif widget.wordWrap():
                need = widget.heightForWidth(widget.width())
                if need > widget.height() + 1:
                    found.append(f"{_name(widget)}: {text!r} needs {need} px high, has {widget.height()}")
            else:
                need = max(fm.horizontalAdvance(line) for line in text.splitlines()) + 2 * widget.margin()
                if need > room.width() + 1:
                    found.append(f"{_name(widget)}: {text!r} needs {need} px, has {room.width()}")
        elif isinstance(widget, QAbstractButton) and widget.text():
            need = widget.sizeHint().width()
            if need > widget.width() + 1:
                found.append(f"{_name(widget)}: {widget.text()!r} needs {need} px, has {widget.width()}")
        elif isinstance(widget, QProgressBar) and widget.isTextVisible():
            need = fm.horizontalAdvance(widget.text()) + 8
            if need > widget.width():
                found.append(f"{_name(widget)}: {widget.text()!r} needs {need} px, has {widget.width()}")
        elif isinstance(widget, QComboBox) and widget.currentText():
            option = QStyleOptionComboBox()
            widget.initStyleOption(option)
            field = widget.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                                  QStyle.SubControl.SC_ComboBoxEditField, widget)
            need = fm.horizontalAdvance(widget.currentText())
            if need > field.width() + 1:
                found.append(f"{_name(widget)}: {widget.currentText()!r} needs {need} px, has {field.width()}")
        elif isinstance(widget, QTabBar):
            for i in range(widget.count()):
                need, has = widget.tabSizeHint(i).width(), widget.tabRect(i).width()
                if need > has + 1:
                    found.append(f"{_name(widget)} tab {widget.tabText(i)!r} needs {need} px, has {has}")
        elif isinstance(widget, QTreeWidget):
            found += _clipped_cells(widget)
        elif isinstance(widget, ConfusionMatrixView) and widget.matrix.size:
            need = QFontMetrics(widget.label_font()).horizontalAdvance(widget.title) + 8
            if need > widget.width():
                found.append(f"{_name(widget)}: title {widget.title!r} needs {need} px, has {widget.width()}")
    return found


def _clipped_cells(tree: QTreeWidget) -> list[str]:
    found = []
    header = tree.header()
    fm = tree.fontMetrics()
    pad = 2 * (tree.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, tree) + 1)  # as Qt draws
    for column in range(tree.columnCount()):
        if header.isSectionHidden(column):
            continue
        size = header.sectionSize(column)
        title = tree.headerItem().text(column)
        need = header.fontMetrics().horizontalAdvance(title) + pad
        if need > size:
            found.append(f"{_name(tree)} header {title!r} needs {need} px, has {size}")
        scrolls = tree.horizontalScrollBarPolicy() != Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        shown = size if scrolls else min(size, tree.viewport().width() - header.sectionPosition(column))
        items = QTreeWidgetItemIterator(tree, QTreeWidgetItemIterator.IteratorFlag.NotHidden)
        while items.value():
            item = items.value()
            items += 1
            if item.parent() is not None and not item.parent().isExpanded():
                continue
            rect = tree.visualItemRect(item)
            indent = rect.x() + header.sectionPosition(column) if column == 0 else 0
            icon = tree.iconSize().width() + 4 if not item.icon(column).isNull() else 0
            text = item.text(column)
            need = fm.horizontalAdvance(text) + pad + icon + (indent if column == 0 else 0)
            if text and need > shown:
                found.append(f"{_name(tree)} cell {text!r} needs {need} px, has {shown}")
    return found
