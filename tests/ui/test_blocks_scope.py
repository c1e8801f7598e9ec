"""Entering a block (double-click), the breadcrumb, leaving (Esc, Ctrl+Shift+Tab, a click on
the path), edits inside that change every instance, and Make unique."""

from __future__ import annotations

import pytest
from blocks_helpers import (
    CTRL,
    SHIFT,
    click_cards,
    double_click_card,
    group_selection,
    header,
    open_window,
    residual_mlp,
)
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from test_canvas import drag, port

pytestmark = pytest.mark.timeout(60)


def grouped(make_window, qtbot, copies: int = 1):
    """The residual MLP with lin1..lin2 grouped into ResBlock, and ``copies - 1`` more
    instances of it duplicated (Ctrl+D), each fed by the first (a wire dragged)."""
    window = open_window(make_window, qtbot, residual_mlp())
    click_cards(window.view, ["lin1", "relu", "lin2"])
    group_selection(qtbot, window, "ResBlock")
    for _ in range(copies - 1):
        click_cards(window.view, ["res_block"])
        QTest.keyClick(window.view, Qt.Key.Key_D, CTRL)
        (copy,) = window.view.selected_node_ids()
        window.view.fit_view()
        drag(window.view, port(window.view, "res_block", True), port(window.view, copy, False))
        assert window.editor.doc.in_edges(copy)
    return window


def test_double_click_opens_the_block_with_a_breadcrumb_and_esc_leaves(make_window, qtbot):
    window = grouped(make_window, qtbot)
    view, bar = window.view, window.blocks.bar
    assert not bar.isVisible()
    double_click_card(view, "res_block")
    assert window.scoped.block == "ResBlock"
    assert set(view.scene().nodes) == {"x", "lin1", "relu", "lin2", "out"}
    assert bar.isVisible() and [b.text() for b in bar.buttons] == ["resmlp", "res_block"] and bar.here == "ResBlock"
    assert bar.banner.text() == "1 instance uses this block"
    assert view.node_item("lin2").shape_text == "(N, 16)"  # the instance's tensors, inside
    assert window.inspector.widget().objectName() == "definitionPage"
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert window.scoped.block is None and not bar.isVisible()
    assert view.selected_node_ids() == ["res_block"]  # where the person came out
    QTest.keyClick(view, Qt.Key.Key_Tab, CTRL)  # Ctrl+Tab opens the selected block
    assert window.scoped.block == "ResBlock"
    QTest.keyClick(view, Qt.Key.Key_Backtab, CTRL | SHIFT)
    assert window.scoped.block is None


def test_a_click_on_the_breadcrumb_goes_back_up(make_window, qtbot):
    window = grouped(make_window, qtbot)
    double_click_card(window.view, "res_block")
    qtbot.mouseClick(window.blocks.bar.buttons[0], Qt.MouseButton.LeftButton)
    assert window.scoped.block is None and "res_block" in window.view.scene().nodes


def test_an_edit_inside_changes_every_instance_and_undoes_in_place(make_window, qtbot):
    window = grouped(make_window, qtbot, copies=2)
    doc = window.editor.doc
    assert [n.type for n in doc.nodes.values()].count("ResBlock") == 2
    double_click_card(window.view, "res_block")
    assert window.blocks.bar.banner.text() == "2 instances use this block"
    click_cards(window.view, ["lin2"])
    field = window.inspector.fields["out_features"]
    field.inner.widget.setFocus()
    field.inner.widget.selectAll()
    QTest.keyClicks(field.inner.widget, "8")
    QTest.keyClick(field.inner.widget, Qt.Key.Key_Return)
    assert doc.blocks["ResBlock"].nodes["lin2"].params["out_features"] == 8
    assert window.view.node_item("lin2").shape_text == "(N, 8)"
    top = window.editor.report
    copy = next(n for n in doc.nodes if n.startswith("res_block") and n != "res_block")
    assert top.nodes["res_block"].outputs[0].shape == (8,) and top.nodes[copy].block is not None
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Z, CTRL)  # undone where it was made, still inside
    assert doc.blocks["ResBlock"].nodes["lin2"].params["out_features"] == 16
    assert window.scoped.block == "ResBlock" and window.view.node_item("lin2").shape_text == "(N, 16)"


def test_make_unique_gives_the_instance_its_own_copy(make_window, qtbot):
    window = grouped(make_window, qtbot, copies=2)
    doc = window.editor.doc
    double_click_card(window.view, "res_block")
    bar = window.blocks.bar
    assert bar.make_unique.isVisible()
    qtbot.mouseClick(bar.make_unique, Qt.MouseButton.LeftButton)
    assert list(doc.blocks) == ["ResBlock", "ResBlock2"] and doc.nodes["res_block"].type == "ResBlock2"
    assert window.scoped.block == "ResBlock2" and bar.banner.text() == "1 instance uses this block"
    assert not bar.make_unique.isVisible()
    click_cards(window.view, ["lin1"])
    QTest.keyClick(window.view, Qt.Key.Key_Delete)
    assert "lin1" not in doc.blocks["ResBlock2"].nodes and "lin1" in doc.blocks["ResBlock"].nodes
    QTest.keyClick(window.view, Qt.Key.Key_Z, CTRL)
    QTest.keyClick(window.view, Qt.Key.Key_Z, CTRL)  # the copy goes: the canvas goes up to where it exists
    assert list(doc.blocks) == ["ResBlock"] and doc.nodes["res_block"].type == "ResBlock"
    assert window.scoped.block is None and not bar.isVisible()


def test_undoing_the_group_from_inside_goes_back_to_the_top(make_window, qtbot):
    window = grouped(make_window, qtbot)
    double_click_card(window.view, "res_block")
    QTest.keyClick(window.view, Qt.Key.Key_Z, CTRL)
    assert window.scoped.block is None and not window.editor.doc.blocks
    assert "lin1" in window.view.scene().nodes


def test_leaving_a_block_shows_the_graph_as_it_was_left(make_window, qtbot):
    window = grouped(make_window, qtbot)
    view = window.view
    view.zoom_in()
    view.center_on_node("res_block")
    view.centerOn(view.mapToScene(view.viewport().rect().center()) + QPointF(40, 20))
    before = (view.zoom(), view.mapToScene(view.viewport().rect().center()))
    QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                      header(view, "res_block"))
    assert window.scoped.block == "ResBlock"
    view.scene().clearSelection()
    view.zoom_out()
    QTest.keyClick(view, Qt.Key.Key_Escape)
    after = (view.zoom(), view.mapToScene(view.viewport().rect().center()))
    assert after[0] == pytest.approx(before[0])
    assert abs(after[1].x() - before[1].x()) < 2 and abs(after[1].y() - before[1].y()) < 2
