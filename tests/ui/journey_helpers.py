"""Helpers of the journey tests (tests/ui/test_journeys.py): a person's gestures on real widgets.

Typing goes through ``QTest`` key events into the focused widget, buttons and
tool-bar buttons are clicked with the mouse, menus are searched by their
visible text. Nothing here reaches past a widget into the document.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, Qt
from PySide6.QtGui import QCursor, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QMenu
from test_canvas import drag_event

from netbuilder.core.document import GraphDocument
from netbuilder.core.shapes import output_nodes
from netbuilder.ui.canvas import LAYER_MIME

LEFT = Qt.MouseButton.LeftButton
CTRL = Qt.KeyboardModifier.ControlModifier


def activate(qtbot, window) -> None:
    """Make ``window`` the active window, so its shortcuts (Ctrl+Z, Ctrl+S) fire."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def menu_action(menu: QMenu, text: str):
    """The action a person would click in ``menu``, matched on its visible text."""
    for action in menu.actions():
        if action.text().replace("&", "").startswith(text):
            return action
    raise AssertionError(f"no {text!r} in menu {menu.title()!r}")


def click(qtbot, widget) -> None:
    assert widget.isEnabled() and widget.isVisible(), getattr(widget, "text", lambda: widget)()
    qtbot.mouseClick(widget, LEFT)


def click_tool(qtbot, window, action) -> None:
    """Click the tool-bar button of ``action``."""
    click(qtbot, window.toolbar.widgetForAction(action))


def type_path(edit, text: str) -> None:
    """Type into a field and leave it with Tab (Enter would also press the dialog's default button)."""
    edit.setFocus()
    edit.selectAll()
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key.Key_Tab)


def type_into(widget, text: str) -> None:
    """Select what is there, type ``text`` and press Enter (line edits and spin boxes)."""
    widget.setFocus()
    widget.selectAll()
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)


def choose(combo: QComboBox, text: str) -> None:
    """Pick an entry of a closed combo box by typing its first letters (the keyboard search)."""
    assert combo.findText(text, Qt.MatchFlag.MatchStartsWith) >= 0, f"{text!r} is not offered"
    combo.setFocus()
    QTest.keyClicks(combo, text)
    assert combo.currentText().startswith(text), combo.currentText()


def quick_add(view, layer_search: str, at: QPoint) -> str:
    """Point at ``at`` on the canvas, press Tab, type, Enter; the new node's id."""
    QCursor.setPos(view.viewport().mapToGlobal(at))
    view.setFocus()
    before = set(view.editor.doc.nodes)
    QTest.keyClick(view, Qt.Key.Key_Tab)
    assert view.quick_add.isVisible()
    QTest.keyClicks(view.quick_add.search, layer_search)
    QTest.keyClick(view.quick_add.search, Qt.Key.Key_Return)
    (new,) = set(view.editor.doc.nodes) - before
    return new


def drop_from_palette(view, palette, layer_type: str, at: QPoint) -> str:
    """Drop the palette's drag data for ``layer_type`` at ``at`` (a QDrag's own loop
    cannot run offscreen, so the drop arrives as the events the canvas gets)."""
    item = palette.item_for(layer_type)
    assert not item.isHidden(), f"{layer_type} is filtered out of the palette"
    mime: QMimeData = palette.tree.mimeData([item])
    assert mime.hasFormat(LAYER_MIME)
    before = set(view.editor.doc.nodes)
    for kind in (QDragEnterEvent, QDragMoveEvent, QDropEvent):
        event = drag_event(kind, at, mime)
        QApplication.sendEvent(view.viewport(), event)
        assert event.isAccepted(), kind.__name__
    (new,) = set(view.editor.doc.nodes) - before
    return new


def canonical(doc: GraphDocument) -> dict:
    """What generated code carries of a graph: nodes (type, params) and edges by id, and
    what forward returns; not positions, order, or parameters idle where the node is wired."""
    nodes = {}
    for node_id, node in doc.nodes.items():
        idle = doc.idle_params(node_id)
        nodes[node_id] = (node.type, {k: v for k, v in node.params.items() if k not in idle})
    edges = sorted((e.source, e.target, e.source_port, e.target_port) for e in doc.edges)
    return {"nodes": nodes, "edges": edges, "returns": output_nodes(doc)}


SMALL_CNN_SOURCE = '''\
"""A user's own model file, written the way PyTorch tutorials write them."""

import torch
import torch.nn.functional as F
from torch import nn


class ConvBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x):
        return F.relu(self.conv(x))


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = ConvBlock(1, 8)
        self.pool = nn.MaxPool2d(2)
        self.drop = nn.Dropout(0.25)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):
        x = self.pool(self.block(x))
        x = self.drop(x)
        x = torch.flatten(x, 1)
        return self.fc(x)
'''

UNSUPPORTED_SOURCE = '''\
import torch
from torch import nn


class Strange(nn.Module):
    def forward(self, x):
        y = x.flip(1)
        return y.cumsum(1)
'''
