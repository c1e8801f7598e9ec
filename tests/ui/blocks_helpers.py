"""Helpers of the blocks tests (tests/ui/test_blocks_*.py): graphs to group, and a person's gestures."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from netbuilder.core.document import Edge, GraphDocument
from netbuilder.ui.canvas.node_item import HEADER, WIDTH

LEFT = Qt.MouseButton.LeftButton
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def residual_mlp() -> GraphDocument:
    """Input → lin1 → relu → lin2 → add (+ input) → head → out: lin1..lin2 make a residual block."""
    doc = GraphDocument("resmlp")
    doc.add_node("Input", {"shape": [16]}, (0, 100), "input")
    doc.add_node("Linear", {"out_features": 16}, (240, 100), "lin1")
    doc.add_node("ReLU", {}, (480, 100), "relu")
    doc.add_node("Linear", {"out_features": 16}, (720, 100), "lin2")
    doc.add_node("Add", {}, (960, 100), "add")
    doc.add_node("Linear", {"out_features": 4}, (1200, 100), "head")
    doc.add_node("Output", {}, (1440, 100), "out")
    for source, target, port in (("input", "lin1", 0), ("lin1", "relu", 0), ("relu", "lin2", 0),
                                 ("lin2", "add", 0), ("input", "add", 1), ("add", "head", 0), ("head", "out", 0)):
        doc.connect(Edge(source, target, 0, port))
    return doc


def activate(qtbot, window) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def header(view, node_id: str) -> QPoint:
    item = view.node_item(node_id)
    return view.mapFromScene(item.mapToScene(QPointF(WIDTH / 2, HEADER / 2)))


def click_cards(view, node_ids) -> None:
    """Click the first card, Ctrl+click the others (what a person does to select a few)."""
    for i, node_id in enumerate(node_ids):
        if i == 0:
            view.center_on_node(node_id)
        QTest.mouseClick(view.viewport(), LEFT, CTRL if i else Qt.KeyboardModifier.NoModifier,
                         header(view, node_id))
    assert view.selected_node_ids() == [n for n in view.editor.doc.nodes if n in set(node_ids)]


def double_click_card(view, node_id: str) -> None:
    view.center_on_node(node_id)
    QTest.mouseDClick(view.viewport(), LEFT, Qt.KeyboardModifier.NoModifier, header(view, node_id))


def group_selection(qtbot, window, name: str) -> None:
    """Ctrl+G, type the block's name, Enter."""
    QTest.keyClick(window.view, Qt.Key.Key_G, CTRL)
    prompt = window.blocks.prompt
    assert prompt.isVisible()
    prompt.edit.selectAll()
    QTest.keyClicks(prompt.edit, name)
    QTest.keyClick(prompt.edit, Qt.Key.Key_Return)


def open_window(make_window, qtbot, doc: GraphDocument):
    window = make_window()
    window.set_document(doc, None)
    activate(qtbot, window)
    window.view.setFocus()
    qtbot.waitUntil(lambda: window.editor.core_loaded)
    return window


def drop_item(view, tree, item, at: QPoint) -> str:
    """Drop what dragging palette ``item`` carries at ``at`` (a QDrag's own loop cannot run
    offscreen, so the drop arrives as the events the canvas gets); the new node's id."""
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
    from test_canvas import drag_event

    mime = tree.mimeData([item])
    before = set(view.editor.doc.nodes)
    for kind in (QDragEnterEvent, QDragMoveEvent, QDropEvent):
        event = drag_event(kind, at, mime)
        QApplication.sendEvent(view.viewport(), event)
        assert event.isAccepted(), kind.__name__
    (new,) = set(view.editor.doc.nodes) - before
    return new
