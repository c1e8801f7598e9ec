"""Journey 9 through the real widgets: draw a residual block, group it (Ctrl+G), open it
(double-click), edit its inside, leave (Esc), repeat it, undo each step and redo them, save and
open again, export, run the export without netbuilder, and import the export back."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from blocks_helpers import CTRL, SHIFT, click_cards, double_click_card, group_selection, open_window, residual_mlp
from journey_helpers import choose, click, menu_action, type_into
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from netbuilder.core.compiler import build_model
from netbuilder.core.fileformat import load_graph
from netbuilder.ui import files

pytestmark = pytest.mark.timeout(240)
WITHOUT_NETBUILDER = ("import runpy, sys; sys.modules['netbuilder'] = None; "
                      "runpy.run_path(sys.argv[1], run_name='__main__')")


def test_j9_group_open_edit_repeat_undo_save_export_reimport(make_window, qtbot, tmp_path, monkeypatch):
    window = open_window(make_window, qtbot, residual_mlp())
    view, doc, stack = window.view, window.editor.doc, window.editor.undo_stack
    flat = doc.to_dict()

    click_cards(view, ["lin1", "relu", "lin2"])  # group
    group_selection(qtbot, window, "ResBlock")
    assert [n.type for n in doc.nodes.values()] == ["Input", "ResBlock", "Add", "Linear", "Output"]
    grouped = doc.to_dict()

    double_click_card(view, "res_block")  # open, edit the inside, leave
    click_cards(view, ["lin1"])
    type_into(window.inspector.fields["out_features"].inner.widget, "32")
    assert view.node_item("relu").shape_text == "(N, 32)"
    QTest.keyClick(view, Qt.Key.Key_Escape)
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert window.scoped.block is None and view.selected_node_ids() == ["res_block"]
    assert window.editor.report.nodes["res_block"].params == 16 * 32 + 32 + 32 * 16 + 16
    edited = doc.to_dict()

    type_into(window.inspector.fields["repeat"].widget, "2")  # repeat
    assert view.node_item("res_block").repeat_text == "× 2"
    repeated = doc.to_dict()

    view.setFocus()
    for state in (edited, grouped, flat):  # undo each, one step each
        QTest.keyClick(view, Qt.Key.Key_Z, CTRL)
        assert doc.to_dict() == state
    for state in (grouped, edited, repeated):  # and redo them
        QTest.keyClick(view, Qt.Key.Key_Z, CTRL | SHIFT)
        assert doc.to_dict() == state
    assert stack.count() == 3

    graph = tmp_path / "resmlp.json"  # save, open again
    monkeypatch.setattr(files, "ask_save_path", lambda *args: str(graph))
    QTest.keyClick(view, Qt.Key.Key_S, CTRL)
    monkeypatch.setattr(files, "ask_open_path", lambda parent: str(graph))
    window.new_graph()
    menu_action(window.action_set.menus["File"], "Open").trigger()
    doc = window.editor.doc
    assert doc.to_dict() == repeated and load_graph(graph) == doc
    assert window.view.node_item("res_block").repeat_text == "× 2"

    menu_action(window.action_set.menus["File"], "Export Python").trigger()  # export, run it alone
    dialog = window._export_dialog
    code = dialog.text.toPlainText()
    assert "class ResBlock(nn.Module)" in code and "nn.Sequential(" in code
    exported = tmp_path / "model.py"
    monkeypatch.setattr(files, "ask_save_path", lambda *args: str(exported))
    click(qtbot, dialog.save_button)
    dialog.close()
    done = subprocess.run([sys.executable, "-I", "-c", WITHOUT_NETBUILDER, "model.py"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    keys = set(build_model(doc).state_dict())
    assert {"res_block.0.lin1.weight", "res_block.1.lin2.bias"} <= keys

    monkeypatch.setattr(files, "ask_python_path", lambda parent: str(exported))  # import the export back
    menu_action(window.action_set.menus["File"], "Import PyTorch Model").trigger()
    window._ask_save_changes = lambda: "discard"
    dialog = window._import_dialog
    qtbot.waitUntil(dialog.isVisible)
    click(qtbot, dialog.browse_button)
    choose(dialog.class_combo, "Resmlp")
    type_into(dialog.shape_edit, "16")
    qtbot.waitUntil(lambda: not dialog.isVisible())
    imported = window.editor.doc
    assert window.editor.report.ok and window.editor.report.output_types()[0].shape == (4,)
    # the import makes blocks: the copies come back as one ResBlock × 2, the weights under the same names
    assert imported.nodes["res_block"].type == "ResBlock" and imported.nodes["res_block"].params["repeat"] == 2
    original = build_model(load_graph(graph)).eval()
    assert set(window.weights) == set(original.state_dict())
    original.load_state_dict(window.weights, strict=True)
    again = build_model(imported).eval()
    again.load_state_dict(window.weights)
    x = torch.randn(3, 16)
    assert torch.allclose(original(x), again(x), atol=1e-6)
