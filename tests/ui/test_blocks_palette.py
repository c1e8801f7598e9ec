"""The palette's Blocks category and Tab's quick-add: the document's blocks, the library's,
dragging one onto the canvas (a library block comes in with it, one undo step), and
File → Save Block to Library… (the folder asked once, then remembered)."""

from __future__ import annotations

import pytest
from blocks_helpers import CTRL, activate, click_cards, drop_item, group_selection, open_window, residual_mlp
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QCursor
from PySide6.QtTest import QTest

from netbuilder.ui.blocks import library_actions

pytestmark = pytest.mark.timeout(60)


def grouped(make_window, qtbot):
    window = open_window(make_window, qtbot, residual_mlp())
    click_cards(window.view, ["lin1", "relu", "lin2"])
    group_selection(qtbot, window, "ResBlock")
    return window


def test_the_documents_blocks_are_listed_and_follow_undo(make_window, qtbot):
    window = grouped(make_window, qtbot)
    section = window.blocks.palette
    assert section.names("graph") == ["ResBlock"]
    assert not section.groups["graph"].isHidden()
    QTest.keyClick(window.view, Qt.Key.Key_Z, CTRL)
    assert section.names("graph") == [] and section.groups["graph"].isHidden()


def test_dragging_a_block_from_the_palette_adds_an_instance(make_window, qtbot):
    window = grouped(make_window, qtbot)
    item = window.blocks.palette.items[("graph", "ResBlock")]
    new = drop_item(window.view, window.layer_palette.tree, item, QPoint(300, 500))
    assert window.editor.doc.nodes[new].type == "ResBlock" and new != "res_block"
    assert window.view.node_item(new).is_block


def test_the_palette_search_finds_blocks(make_window, qtbot):
    window = grouped(make_window, qtbot)
    section = window.blocks.palette
    qtbot.keyClicks(window.layer_palette.search, "resbl")
    assert section.names() == ["ResBlock"] and not section.root.isHidden()
    window.layer_palette.search.clear()
    qtbot.keyClicks(window.layer_palette.search, "conv2d")
    assert section.names() == [] and section.root.isHidden()


def test_tab_quick_add_offers_blocks(make_window, qtbot):
    window = grouped(make_window, qtbot)
    view = window.view
    view.scene().clearSelection()
    QCursor.setPos(view.viewport().mapToGlobal(QPoint(300, 500)))
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_Tab)
    QTest.keyClicks(view.quick_add.search, "ResBlock")
    assert view.quick_add.list.item(0).text() == "ResBlock"
    QTest.keyClick(view.quick_add.search, Qt.Key.Key_Return)
    assert [n.type for n in window.editor.doc.nodes.values()].count("ResBlock") == 2


def test_save_block_to_library_then_use_it_in_a_new_graph(make_window, qtbot, tmp_path, monkeypatch):
    window = grouped(make_window, qtbot)
    asked = []
    monkeypatch.setattr(library_actions, "ask_folder", lambda parent: asked.append(1) or str(tmp_path / "mine"))
    window.blocks.actions["save_block"].trigger()
    assert (tmp_path / "mine" / "ResBlock.json").is_file() and asked == [1]
    assert "Saved ResBlock" in window.statusBar().currentMessage()
    window._ask_save_changes = lambda: "discard"
    window.new_graph()
    section = window.blocks.palette
    assert section.names("library") == ["ResBlock"] and section.names("graph") == []
    window.add_layer_at_center("ResBlock")  # what a double-click on the entry does
    doc = window.editor.doc
    assert list(doc.blocks) == ["ResBlock"] and [n.type for n in doc.nodes.values()] == ["ResBlock"]
    assert window.editor.undo_stack.count() == 1  # the block and its instance: one step
    QTest.keyClick(window.view, Qt.Key.Key_Z, CTRL)
    assert not doc.blocks and not doc.nodes
    window.blocks.actions["save_block"].trigger()  # nothing selected, nothing on show: says so
    assert "Select a block" in window.statusBar().currentMessage() and asked == [1]


def test_the_built_in_library_is_listed_and_a_drop_brings_a_block_in(make_window, qtbot):
    window = open_window(make_window, qtbot, residual_mlp())
    section = window.blocks.palette
    assert {"BasicBlock", "Bottleneck", "InvertedResidual", "SqueezeExcite", "TransformerEncoderBlock",
            "UNetDown", "UNetUp"} <= set(section.names("built-in"))
    assert "ResNet" in section.items[("built-in", "BasicBlock")].toolTip(0)
    item = section.items[("built-in", "SqueezeExcite")]
    new = drop_item(window.view, window.layer_palette.tree, item, QPoint(400, 500))
    doc = window.editor.doc
    assert doc.nodes[new].type == "SqueezeExcite" and "SqueezeExcite" in doc.blocks
    assert section.names("graph") == ["SqueezeExcite"] and "SqueezeExcite" not in section.names("built-in")
    assert window.view.node_item(new).is_block
    QTest.keyClick(window.view, Qt.Key.Key_Z, CTRL)  # the block and its instance: one step
    assert "SqueezeExcite" not in doc.blocks and new not in doc.nodes
    assert "SqueezeExcite" in section.names("built-in")


def test_a_block_instance_pasted_into_another_window_brings_its_block(make_window, qtbot):
    first = grouped(make_window, qtbot)
    click_cards(first.view, ["res_block"])
    QTest.keyClick(first.view, Qt.Key.Key_C, CTRL)
    second = make_window()
    activate(qtbot, second)
    second.view.setFocus()
    QTest.keyClick(second.view, Qt.Key.Key_V, CTRL)
    doc = second.editor.doc
    assert list(doc.blocks) == ["ResBlock"] and [n.type for n in doc.nodes.values()] == ["ResBlock"]
    assert second.blocks.palette.names("graph") == ["ResBlock"]
    QTest.keyClick(second.view, Qt.Key.Key_Z, CTRL)  # the block and the node: one step
    assert not doc.blocks and not doc.nodes
