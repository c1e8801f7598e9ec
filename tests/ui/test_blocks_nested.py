"""Blocks inside blocks, the instance's right-click menu and the inspector's block buttons."""

from __future__ import annotations

import pytest
from blocks_helpers import (
    CTRL,
    click_cards,
    double_click_card,
    drop_item,
    group_selection,
    header,
    open_window,
    residual_mlp,
)
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

pytestmark = pytest.mark.timeout(60)


def test_a_block_grouped_inside_a_block_nests_with_its_path(make_window, qtbot):
    window = open_window(make_window, qtbot, residual_mlp())
    click_cards(window.view, ["lin1", "relu", "lin2"])
    group_selection(qtbot, window, "Outer")
    double_click_card(window.view, "outer")
    click_cards(window.view, ["relu", "lin2"])
    group_selection(qtbot, window, "Inner")
    doc = window.editor.doc
    assert list(doc.blocks) == ["Outer", "Inner"] and doc.blocks["Outer"].nodes["inner"].type == "Inner"
    assert window.editor.report.ok and window.editor.report.nodes["outer"].params == 2 * 16 * 17
    double_click_card(window.view, "inner")
    bar = window.blocks.bar
    assert [b.text() for b in bar.buttons] == ["resmlp", "outer", "Outer", "inner"] and bar.here == "Inner"
    assert window.view.node_item("lin2").shape_text == "(N, 16)"
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Tab)  # quick-add inside Inner never offers a block holding it
    offered = [window.view.quick_add.list.item(i).text() for i in range(window.view.quick_add.list.count())]
    assert "Linear" in offered and "Inner" not in offered and "Outer" not in offered
    QTest.keyClick(window.view.quick_add.search, Qt.Key.Key_Escape)
    qtbot.mouseClick(bar.buttons[2], Qt.MouseButton.LeftButton)  # back into Outer
    assert window.scoped.block == "Outer"
    QTest.keyClick(window.view, Qt.Key.Key_Z, CTRL)  # undo the inner group, from Outer
    assert list(doc.blocks) == ["Outer"] and "lin2" in doc.blocks["Outer"].nodes
    assert window.scoped.block == "Outer" and "lin2" in window.view.scene().nodes


def test_right_click_on_an_instance_offers_open_ungroup_and_make_unique(make_window, qtbot):
    window = open_window(make_window, qtbot, residual_mlp())
    click_cards(window.view, ["lin1", "relu", "lin2"])
    group_selection(qtbot, window, "ResBlock")
    view = window.view
    at = header(view, "res_block")
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, view.viewport().mapToGlobal(at))
    QApplication.sendEvent(view.viewport(), event)
    menu = window.blocks.menu
    qtbot.waitUntil(menu.isVisible)
    texts = [a.text() for a in menu.actions()]
    assert texts == ["Open ResBlock", "Ungroup", "Make Unique", "Save Block to Library…"]
    assert not menu.actions()[2].isEnabled()  # one instance: nothing to make unique from
    menu.actions()[0].trigger()
    menu.close()
    assert window.scoped.block == "ResBlock"


def test_the_inspector_opens_a_block_and_makes_an_instance_unique(make_window, qtbot):
    window = open_window(make_window, qtbot, residual_mlp())
    click_cards(window.view, ["lin1"])
    group_selection(qtbot, window, "Step")
    click_cards(window.view, ["lin2"])
    QTest.keyClick(window.view, Qt.Key.Key_Delete)  # a second Step where lin2 was, from the palette
    item = window.blocks.palette.items[("graph", "Step")]
    second = drop_item(window.view, window.layer_palette.tree, item, QPoint(500, 500))
    window.scoped.connect_ports("relu", 0, second, 0)
    window.scoped.connect_ports(second, 0, "add", 0)
    click_cards(window.view, [second])
    section = window.inspector.widget().findChild(type(window.inspector.widget()), "instanceSection")
    assert section.count.text() == "2 instances use Step" and section.unique_button.isEnabled()
    qtbot.mouseClick(section.unique_button, Qt.MouseButton.LeftButton)
    doc = window.editor.doc
    assert doc.nodes[second].type == "Step2" and window.view.selected_node_ids() == [second]
    section = window.inspector.widget().findChild(type(window.inspector.widget()), "instanceSection")
    qtbot.mouseClick(section.open_button, Qt.MouseButton.LeftButton)
    assert window.scoped.block == "Step2" and window.scoped.path[-1].instance == second
    assert window.blocks.bar.banner.text() == "1 instance uses this block"


def test_a_block_never_gets_an_instance_of_itself(make_window, qtbot):
    window = open_window(make_window, qtbot, residual_mlp())
    click_cards(window.view, ["lin1", "relu", "lin2"])
    group_selection(qtbot, window, "ResBlock")
    click_cards(window.view, ["res_block"])
    QTest.keyClick(window.view, Qt.Key.Key_C, CTRL)
    double_click_card(window.view, "res_block")
    QTest.keyClick(window.view, Qt.Key.Key_V, CTRL)  # pasting the instance into its own block
    assert "cannot contain an instance of itself" in window.statusBar().currentMessage()
    item = window.blocks.palette.items[("graph", "ResBlock")]
    window.layer_palette.tree.itemActivated.emit(item, 0)  # a double-click on it in the palette
    assert set(window.editor.doc.blocks["ResBlock"].nodes) == {"x", "lin1", "relu", "lin2", "out"}
    assert window.editor.report.ok


def test_dropping_a_block_into_its_own_definition_is_refused_with_the_chain(make_window, qtbot):
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
    from test_canvas import drag_event

    window = open_window(make_window, qtbot, residual_mlp())
    click_cards(window.view, ["lin1", "relu", "lin2"])
    group_selection(qtbot, window, "Outer")
    double_click_card(window.view, "outer")
    click_cards(window.view, ["relu", "lin2"])
    group_selection(qtbot, window, "Inner")
    double_click_card(window.view, "inner")
    doc, steps = window.editor.doc, window.editor.undo_stack.count()
    inside = set(doc.blocks["Inner"].nodes)
    for block in ("Inner", "Outer"):  # itself, and the block that holds it
        mime = window.layer_palette.tree.mimeData([window.blocks.palette.items[("graph", block)]])
        for kind in (QDragEnterEvent, QDragMoveEvent, QDropEvent):
            QApplication.sendEvent(window.view.viewport(), drag_event(kind, QPoint(300, 300), mime))
        assert set(doc.blocks["Inner"].nodes) == inside and window.editor.undo_stack.count() == steps
    assert window.statusBar().currentMessage() == (
        "block Inner cannot hold a Outer: Outer contains Inner, so Inner would contain itself "
        "(Inner → Outer → Inner)")
