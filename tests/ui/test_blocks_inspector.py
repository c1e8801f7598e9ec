"""The inspector on blocks: an instance's parameters and repeat (with the card's "× 3"
badge), a block's declared parameters, and inner fields set to ``$parameter``."""

from __future__ import annotations

import pytest
from blocks_helpers import CTRL, click_cards, double_click_card, group_selection, open_window, residual_mlp
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit

pytestmark = pytest.mark.timeout(60)


def type_into(widget, text: str) -> None:
    widget.setFocus()
    widget.selectAll()
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)


def grouped(make_window, qtbot):
    window = open_window(make_window, qtbot, residual_mlp())
    click_cards(window.view, ["lin1", "relu", "lin2"])
    group_selection(qtbot, window, "ResBlock")
    return window


def test_repeat_is_a_spin_box_and_the_card_shows_the_count(make_window, qtbot):
    window = grouped(make_window, qtbot)
    inspector, card = window.inspector, window.view.node_item("res_block")
    assert set(inspector.fields) == {"repeat"} and card.repeat_text == ""
    assert inspector.findChild(type(inspector.widget()), "instanceSection") is not None
    type_into(inspector.fields["repeat"].widget, "3")
    assert window.editor.doc.nodes["res_block"].params["repeat"] == 3
    assert card.repeat_text == "× 3"
    assert window.editor.report.nodes["res_block"].params == 3 * 2 * 16 * 17
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Z, CTRL)
    assert card.repeat_text == "" and window.editor.doc.nodes["res_block"].params["repeat"] == 1


def test_a_declared_parameter_set_on_an_inner_field_is_set_per_instance(make_window, qtbot):
    window = grouped(make_window, qtbot)
    doc = window.editor.doc
    double_click_card(window.view, "res_block")
    window.view.scene().clearSelection()
    page = window.inspector.widget()
    assert page.objectName() == "definitionPage"
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert list(doc.blocks["ResBlock"].parameters) == ["param"]
    page = window.inspector.widget()  # shown again for the block as it is now
    name, _, default = page.rows[0][1:4]
    type_into(name, "hidden")
    page = window.inspector.widget()
    type_into(page.rows[0][3], "32")
    declared = doc.blocks["ResBlock"].parameters["hidden"]
    assert (declared.kind, declared.default) == ("int", 32)
    click_cards(window.view, ["lin1"])
    field = window.inspector.fields["out_features"]
    field.button.menu().aboutToShow.emit()
    (choice,) = [a for a in field.button.menu().actions() if a.text() == "$hidden"]
    choice.trigger()
    assert doc.blocks["ResBlock"].nodes["lin1"].params["out_features"] == "$hidden"
    field = window.inspector.fields["out_features"]
    assert field.reference_label.text() == "$hidden" and field.inner.widget.isHidden()
    assert window.view.node_item("relu").shape_text == "(N, 32)"
    QTest.keyClick(window.view, Qt.Key.Key_Escape)
    QTest.keyClick(window.view, Qt.Key.Key_Escape)  # selection cleared, then out of the block
    click_cards(window.view, ["res_block"])
    assert set(window.inspector.fields) == {"hidden", "repeat"}
    type_into(window.inspector.fields["hidden"].widget, "64")
    assert doc.nodes["res_block"].params["hidden"] == 64
    assert window.editor.report.nodes["res_block"].params == 16 * 64 + 64 + 64 * 16 + 16


def test_renaming_a_parameter_keeps_its_uses_and_values(make_window, qtbot):
    window = grouped(make_window, qtbot)
    doc = window.editor.doc
    double_click_card(window.view, "res_block")
    window.view.scene().clearSelection()
    qtbot.mouseClick(window.inspector.widget().add_button, Qt.MouseButton.LeftButton)
    click_cards(window.view, ["lin1"])
    window.scoped.set_param("lin1", "out_features", "$param")
    QTest.keyClick(window.view, Qt.Key.Key_Escape)
    QTest.keyClick(window.view, Qt.Key.Key_Escape)
    click_cards(window.view, ["res_block"])
    type_into(window.inspector.fields["param"].widget, "12")
    double_click_card(window.view, "res_block")
    window.view.scene().clearSelection()
    type_into(window.inspector.widget().rows[0][1], "width")
    assert list(doc.blocks["ResBlock"].parameters) == ["width"]
    assert doc.blocks["ResBlock"].nodes["lin1"].params["out_features"] == "$width"
    assert doc.nodes["res_block"].params["width"] == 12
    assert window.editor.report.ok
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Z, CTRL)  # the rename, one step
    assert list(doc.blocks["ResBlock"].parameters) == ["param"] and doc.nodes["res_block"].params["param"] == 12


def test_a_bad_parameter_name_is_refused_under_the_table(make_window, qtbot):
    window = grouped(make_window, qtbot)
    double_click_card(window.view, "res_block")
    window.view.scene().clearSelection()
    qtbot.mouseClick(window.inspector.widget().add_button, Qt.MouseButton.LeftButton)
    page = window.inspector.widget()
    type_into(page.rows[0][1], "2x")
    assert not page.error.isHidden() and "cannot name a parameter" in page.error.text()
    assert list(window.editor.doc.blocks["ResBlock"].parameters) == ["param"]
    assert isinstance(page.rows[0][1], QLineEdit)


def test_renaming_the_block_renames_every_instance_and_the_path(make_window, qtbot):
    window = grouped(make_window, qtbot)
    doc = window.editor.doc
    double_click_card(window.view, "res_block")
    window.view.scene().clearSelection()
    type_into(window.inspector.widget().name_edit, "Residual")
    assert list(doc.blocks) == ["Residual"] and doc.nodes["res_block"].type == "Residual"
    assert window.scoped.block == "Residual" and window.blocks.bar.here == "Residual"
    assert window.inspector.widget().name_edit.text() == "Residual"
    assert window.blocks.palette.names("graph") == ["Residual"]
    type_into(window.inspector.widget().name_edit, "Linear")
    assert "layer type" in window.inspector.widget().error.text() and list(doc.blocks) == ["Residual"]
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Z, CTRL)
    assert list(doc.blocks) == ["ResBlock"] and window.scoped.block == "ResBlock"
    assert window.blocks.bar.here == "ResBlock" and window.view.node_item("lin1") is not None


def test_a_field_set_to_a_parameter_goes_back_to_a_value(make_window, qtbot):
    window = grouped(make_window, qtbot)
    doc = window.editor.doc
    double_click_card(window.view, "res_block")
    window.view.scene().clearSelection()
    qtbot.mouseClick(window.inspector.widget().add_button, Qt.MouseButton.LeftButton)
    type_into(window.inspector.widget().rows[0][3], "24")
    click_cards(window.view, ["lin1"])
    menu = window.inspector.fields["out_features"].button.menu()
    menu.aboutToShow.emit()
    assert [a.text() for a in menu.actions() if a.text()] == ["$param", "A value"]
    next(a for a in menu.actions() if a.text() == "$param").trigger()
    assert doc.blocks["ResBlock"].nodes["lin1"].params["out_features"] == "$param"
    menu = window.inspector.fields["out_features"].button.menu()
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text() == "A value").trigger()  # the parameter's default, as a number
    assert doc.blocks["ResBlock"].nodes["lin1"].params["out_features"] == 24
    field = window.inspector.fields["out_features"]
    assert not field.inner.widget.isHidden() and field.inner.widget.value() == 24
    menu = window.inspector.fields["bias"].button.menu()  # a bool field: no int parameter fits it
    menu.aboutToShow.emit()
    assert "No parameter of the block fits bias" in [a.text() for a in menu.actions()]


def test_the_freeze_box_inside_a_block_freezes_the_node_in_every_instance(make_window, qtbot):
    from PySide6.QtWidgets import QCheckBox

    window = grouped(make_window, qtbot)
    double_click_card(window.view, "res_block")
    click_cards(window.view, ["lin2"])
    box = window.inspector.widget().findChild(QCheckBox, "freeze")
    assert box.text() == "Freeze in every ResBlock while training" and not box.isChecked()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    top = window.editor.doc
    assert top.training["freeze"] == ["ResBlock/lin2"] and window.scoped.doc.training in (None, {})
    QTest.keyClick(window.view, Qt.Key.Key_Z, CTRL)  # one undo step
    assert top.training.get("freeze", []) == []
    assert not window.inspector.widget().findChild(QCheckBox, "freeze").isChecked()
