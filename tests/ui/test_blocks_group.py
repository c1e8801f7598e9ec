"""Group into Block (Ctrl+G) and Ungroup (Ctrl+Shift+G) on the real canvas, each one undo step."""

from __future__ import annotations

import pytest
from blocks_helpers import CTRL, SHIFT, click_cards, group_selection, open_window, residual_mlp
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from netbuilder.core.document import Edge

pytestmark = pytest.mark.timeout(60)


def test_ctrl_g_groups_the_selection_into_one_block_node_with_its_ports(make_window, qtbot):
    window = open_window(make_window, qtbot, residual_mlp())
    before = window.editor.doc.to_dict()
    click_cards(window.view, ["lin1", "relu", "lin2"])
    group_selection(qtbot, window, "ResBlock")
    doc = window.editor.doc
    assert list(doc.blocks) == ["ResBlock"]
    assert [n for n in doc.nodes] == ["input", "res_block", "add", "head", "out"]
    assert set(doc.edges) >= {Edge("input", "res_block"), Edge("res_block", "add"), Edge("input", "add", 0, 1)}
    assert window.view.selected_node_ids() == ["res_block"]
    card = window.view.node_item("res_block")
    assert card.is_block and card.shape_text == "(N, 16)" and card.status == "ok"
    assert window.editor.report.total_params == 16 * 17 * 2 + 17 * 4
    QTest.keyClick(window.view, Qt.Key.Key_Z, CTRL)  # one step back: the flat graph, as it was
    assert window.editor.doc.to_dict() == before
    assert window.view.node_item("lin1") is not None and window.view.node_item("res_block") is None
    QTest.keyClick(window.view, Qt.Key.Key_Z, CTRL | SHIFT)
    assert list(window.editor.doc.blocks) == ["ResBlock"] and "res_block" in window.editor.doc.nodes


def test_the_name_prompt_refuses_bad_names_and_esc_changes_nothing(make_window, qtbot):
    window = open_window(make_window, qtbot, residual_mlp())
    click_cards(window.view, ["lin1", "relu"])
    QTest.keyClick(window.view, Qt.Key.Key_G, CTRL)
    prompt = window.blocks.prompt
    for name, reason in (("resblock", "Python class name"), ("Linear", "layer type"), ("Res Block", "class name")):
        prompt.edit.selectAll()
        QTest.keyClicks(prompt.edit, name)
        assert reason in prompt.problem.text() and not prompt.ok.isEnabled()
        QTest.keyClick(prompt.edit, Qt.Key.Key_Return)  # refused: the prompt stays
        assert prompt.isVisible()
    QTest.keyClick(prompt.edit, Qt.Key.Key_Escape)
    assert not prompt.isVisible()
    assert not window.editor.doc.blocks and window.editor.undo_stack.count() == 0


def test_a_block_name_already_taken_is_refused(make_window, qtbot):
    window = open_window(make_window, qtbot, residual_mlp())
    click_cards(window.view, ["lin1"])
    group_selection(qtbot, window, "Inner")
    click_cards(window.view, ["lin2"])
    QTest.keyClick(window.view, Qt.Key.Key_G, CTRL)
    prompt = window.blocks.prompt
    assert prompt.edit.text() == "Block"  # a free name is suggested
    prompt.edit.selectAll()
    QTest.keyClicks(prompt.edit, "Inner")
    assert "already exists" in prompt.problem.text()
    QTest.keyClick(prompt.edit, Qt.Key.Key_Escape)


def test_ctrl_shift_g_ungroups_in_one_step(make_window, qtbot):
    window = open_window(make_window, qtbot, residual_mlp())
    click_cards(window.view, ["lin1", "relu", "lin2"])
    group_selection(qtbot, window, "ResBlock")
    grouped = window.editor.doc.to_dict()
    QTest.keyClick(window.view, Qt.Key.Key_G, CTRL | SHIFT)
    doc = window.editor.doc
    assert {"lin1", "relu", "lin2"} <= set(doc.nodes) and "res_block" not in doc.nodes
    assert Edge("input", "lin1") in doc.edges and Edge("lin2", "add") in doc.edges
    assert set(window.view.selected_node_ids()) == {"lin1", "relu", "lin2"}
    assert window.editor.report.ok
    QTest.keyClick(window.view, Qt.Key.Key_Z, CTRL)
    assert window.editor.doc.to_dict() == grouped


def test_grouping_nothing_says_what_to_do(make_window, qtbot):
    window = open_window(make_window, qtbot, residual_mlp())
    QTest.keyClick(window.view, Qt.Key.Key_G, CTRL)
    assert not window.blocks.prompt.isVisible()
    assert "Select the nodes" in window.statusBar().currentMessage()


def test_an_input_cannot_go_into_a_block_and_the_prompt_does_not_open(make_window, qtbot):
    window = open_window(make_window, qtbot, residual_mlp())
    click_cards(window.view, ["input", "lin1"])
    QTest.keyClick(window.view, Qt.Key.Key_G, CTRL)
    assert not window.blocks.prompt.isVisible()
    assert "cannot go into a block" in window.statusBar().currentMessage()


def test_ctrl_shift_g_expands_a_repeated_instance_into_chained_copies_in_one_step(make_window, qtbot):
    window = open_window(make_window, qtbot, residual_mlp())
    click_cards(window.view, ["lin2"])
    group_selection(qtbot, window, "Step")
    window.scoped.set_param("step", "repeat", 3)
    repeated = window.editor.doc.to_dict()
    params = window.editor.report.total_params
    click_cards(window.view, ["step"])
    QTest.keyClick(window.view, Qt.Key.Key_G, CTRL | SHIFT)
    doc = window.editor.doc
    copies = ["step", "step_2", "step_3"]
    assert [(doc.nodes[n].type, doc.nodes[n].params["repeat"]) for n in copies] == [("Step", 1)] * 3
    assert {Edge("relu", "step"), Edge("step", "step_2"), Edge("step_2", "step_3"), Edge("step_3", "add")} \
        <= set(doc.edges)
    assert set(window.view.selected_node_ids()) == set(copies) and set(copies) <= set(window.view.scene().nodes)
    assert window.editor.report.ok and window.editor.report.total_params == params
    assert doc.nodes["add"].pos[0] > doc.nodes["step_3"].pos[0]  # the nodes after it moved over to make room
    QTest.keyClick(window.view, Qt.Key.Key_Z, CTRL)  # one step back to Step × 3
    assert window.editor.doc.to_dict() == repeated
