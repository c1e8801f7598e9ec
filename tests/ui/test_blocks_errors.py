"""A shape error inside a block: shown on the instance with the path in, and on the inner
node once the block is open (with the tensors that instance gets); save and open keep blocks."""

from __future__ import annotations

import pytest
from blocks_helpers import CTRL, click_cards, double_click_card, group_selection, open_window, residual_mlp
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from netbuilder.core.fileformat import load_graph
from netbuilder.ui import files

pytestmark = pytest.mark.timeout(60)


def type_into(widget, text: str) -> None:
    widget.setFocus()
    widget.selectAll()
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)


def test_an_error_inside_names_the_path_and_opening_the_block_shows_the_node(make_window, qtbot):
    window = open_window(make_window, qtbot, residual_mlp())
    click_cards(window.view, ["lin1", "relu", "lin2", "add"])
    group_selection(qtbot, window, "ResBlock")
    click_cards(window.view, ["input"])
    type_into(window.inspector.fields["shape"].widget, "8")  # the skip now adds 8 features to 16
    card = window.view.node_item("res_block")
    assert card.status == "error"
    (problem,) = window.editor.report.problems_of("res_block")
    assert problem.message.startswith("ResBlock 'res_block': res_block › add: ") and problem.inner == ("add",)
    assert "res_block › add" in window.view.scene().node_tooltip("res_block")
    double_click_card(window.view, "res_block")
    inside = window.view
    assert inside.node_item("add").status == "error" and inside.node_item("lin2").status == "ok"
    assert inside.node_item("x").shape_text == "(N, 8)"  # what this instance gets, not the example
    window.view.scene().clearSelection()
    QTest.keyClick(window.view, Qt.Key.Key_Escape)
    (item,) = window.problems.problem_items()  # from the Problems list, straight to the node inside
    window.problems.setFocus()
    window.problems.setCurrentItem(item)
    QTest.keyClick(window.problems, Qt.Key.Key_Return)
    assert window.scoped.block == "ResBlock" and window.view.selected_node_ids() == ["add"]
    window.scoped.go_to(0)
    click_cards(window.view, ["input"])
    type_into(window.inspector.fields["shape"].widget, "16")
    assert window.view.node_item("res_block").status == "ok"


def test_save_and_open_keep_the_blocks(make_window, qtbot, tmp_path, monkeypatch):
    window = open_window(make_window, qtbot, residual_mlp())
    click_cards(window.view, ["lin1", "relu", "lin2"])
    group_selection(qtbot, window, "ResBlock")
    click_cards(window.view, ["res_block"])
    type_into(window.inspector.fields["repeat"].widget, "2")
    path = tmp_path / "resmlp.json"
    monkeypatch.setattr(files, "ask_save_path", lambda *args: str(path))
    QTest.keyClick(window.view, Qt.Key.Key_S, CTRL)
    saved = load_graph(path)
    assert list(saved.blocks) == ["ResBlock"] and saved.nodes["res_block"].params["repeat"] == 2
    assert saved == window.editor.doc
    window.new_graph()
    assert window.open_path(str(path))
    assert window.view.node_item("res_block").repeat_text == "× 2"
    double_click_card(window.view, "res_block")
    assert set(window.view.scene().nodes) == {"x", "lin1", "relu", "lin2", "out"}
