"""The inspector: typed fields that refuse bad input and edit through the undo stack."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QSpinBox

from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.fileformat import dumps

pytestmark = pytest.mark.timeout(60)


def cnn() -> GraphDocument:
    doc = GraphDocument("cnn")
    layers = [("Input", {"shape": [1, 8, 8]}), ("Conv2d", {"out_channels": 16}), ("ReLU", {}),
              ("Flatten", {}), ("Linear", {"out_features": 10})]
    prev = None
    for i, (layer_type, params) in enumerate(layers):
        node_id = doc.add_node(layer_type, params, (240.0 * i, 0.0))
        if prev:
            doc.connect(Edge(prev, node_id))
        prev = node_id
    return doc


@pytest.fixture
def window(make_window, qtbot):
    window = make_window()
    window.set_document(cnn(), None)
    window.activateWindow()
    qtbot.waitActive(window)
    return window


def select(window, node_id):
    window.view.select_nodes([node_id])
    assert window.inspector.node_id == node_id
    return window.inspector


def type_into(qtbot, widget, text):
    """Replace a field's text the way a person does: select all, type, Enter."""
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClick(widget, Qt.Key_Backspace)
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key_Return)


def test_each_parameter_kind_gets_its_own_editor(window):
    inspector = select(window, "conv2d_1")
    widgets = {name: type(field.widget) for name, field in inspector.fields.items()}
    assert widgets["out_channels"] is QSpinBox
    assert widgets["kernel_size"] is QLineEdit
    assert widgets["bias"] is QCheckBox
    assert inspector.fields["out_channels"].widget.minimum() == 1
    inspector = select(window, "input")
    assert isinstance(inspector.fields["dtype"].widget, QComboBox)
    assert inspector.fields["shape"].widget.text() == "1, 8, 8"


def test_a_bad_value_is_refused_next_to_the_field_and_nothing_changes(window, qtbot):
    inspector = select(window, "conv2d_1")
    before = dumps(window.editor.doc)
    field = inspector.fields["kernel_size"]
    for bad in ("abc", "0", "3, 3, 3"):
        type_into(qtbot, field.widget, bad)
        error = inspector.rows["kernel_size"].error
        assert error.isVisibleTo(inspector) and "expected" in error.text(), bad
        assert field.widget.property("invalid") is True
        assert dumps(window.editor.doc) == before
    assert window.editor.undo_stack.count() == 0


def test_a_float_out_of_range_is_refused(window, qtbot):
    window.editor.add_node("Dropout", (0, 200), node_id="drop")
    inspector = select(window, "drop")
    type_into(qtbot, inspector.fields["p"].widget, "1.5")
    assert "1.5" in inspector.rows["p"].error.text()
    assert window.editor.doc.nodes["drop"].params["p"] == 0.5
    type_into(qtbot, inspector.fields["p"].widget, "1e-1")
    assert window.editor.doc.nodes["drop"].params["p"] == 0.1
    assert not inspector.rows["p"].error.isVisibleTo(inspector)


def test_a_good_value_updates_shapes_downstream_and_ctrl_z_reverts_it(window, qtbot):
    inspector = select(window, "conv2d_1")
    spin = inspector.fields["out_channels"].widget
    type_into(qtbot, spin, "32")
    assert window.editor.doc.nodes["conv2d_1"].params["out_channels"] == 32
    report = window.editor.report
    assert report.value_type("relu_1").shape == (32, 6, 6)
    assert report.value_type("flatten_1").shape == (32 * 36,)
    assert "(N, 32, 6, 6)" in shown_texts(inspector)
    assert spin.hasFocus()
    qtbot.keyClick(spin, Qt.Key_Z, Qt.ControlModifier)  # focus still in the field
    assert window.editor.doc.nodes["conv2d_1"].params["out_channels"] == 16
    assert spin.value() == 16
    assert window.editor.report.value_type("flatten_1").shape == (16 * 36,)


def test_typing_then_ctrl_z_undoes_the_typing_first(window, qtbot):
    inspector = select(window, "conv2d_1")
    edit = inspector.fields["kernel_size"].widget
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "5")
    qtbot.keyClick(edit, Qt.Key_Z, Qt.ControlModifier)
    assert edit.text() == "3"
    assert window.editor.undo_stack.count() == 0


def test_ints_accept_one_number_or_a_pair_and_optional_ones_accept_empty(window, qtbot):
    window.editor.add_node("MaxPool2d", (0, 200), node_id="pool")
    inspector = select(window, "pool")
    type_into(qtbot, inspector.fields["kernel_size"].widget, "3, 2")
    assert window.editor.doc.nodes["pool"].params["kernel_size"] == [3, 2]
    type_into(qtbot, inspector.fields["stride"].widget, "2")
    assert window.editor.doc.nodes["pool"].params["stride"] == 2
    type_into(qtbot, inspector.fields["stride"].widget, "")
    assert window.editor.doc.nodes["pool"].params["stride"] is None
    assert inspector.fields["stride"].widget.placeholderText() == "None"


def test_checkbox_and_combo_edit_through_the_undo_stack(window, qtbot):
    inspector = select(window, "conv2d_1")
    inspector.fields["bias"].widget.click()
    assert window.editor.doc.nodes["conv2d_1"].params["bias"] is False
    inspector = select(window, "input")
    combo = inspector.fields["dtype"].widget
    combo.activated.emit(combo.findText("int64"))
    assert window.editor.doc.nodes["input"].params["dtype"] == "int64"
    window.editor.undo_stack.undo()
    assert combo.currentText() == "float32"
    window.editor.undo_stack.undo()
    assert window.editor.doc.nodes["conv2d_1"].params["bias"] is True


def test_undo_and_redo_refresh_the_shown_values(window):
    inspector = select(window, "conv2d_1")
    window.editor.set_param("conv2d_1", "kernel_size", 5)
    assert inspector.fields["kernel_size"].widget.text() == "5"
    window.editor.undo_stack.undo()
    assert inspector.fields["kernel_size"].widget.text() == "3"


def test_renaming_through_the_id_field_and_refusing_a_taken_id(window, qtbot):
    inspector = select(window, "conv2d_1")
    type_into(qtbot, inspector.id_edit, "features")
    assert "features" in window.editor.doc.nodes and inspector.node_id == "features"
    type_into(qtbot, inspector.id_edit, "relu_1")
    assert "already exists" in inspector.id_row.error.text()
    assert "features" in window.editor.doc.nodes
    type_into(qtbot, inspector.id_edit, "features")  # the refused text is replaced by the id again
    qtbot.keyClick(inspector.id_edit, Qt.Key_Z, Qt.ControlModifier)
    assert inspector.node_id == "conv2d_1" and inspector.id_edit.text() == "conv2d_1"


def test_the_node_problems_and_shapes_are_shown(window):
    window.editor.disconnect(Edge("relu_1", "flatten_1"))
    inspector = select(window, "flatten_1")
    assert "needs an input" in shown_texts(inspector)


def shown_texts(inspector) -> str:
    return " ".join(label.text() for label in inspector.widget().findChildren(QLabel))


def test_several_or_no_selected_nodes_show_a_hint(window):
    window.view.select_nodes(["conv2d_1", "relu_1"])
    assert window.inspector.node_id is None
    assert "2 nodes selected" in shown_texts(window.inspector)
    window.view.select_nodes([])
    assert "No node selected" in shown_texts(window.inspector)


def test_delete_in_a_field_edits_text_not_the_graph(window, qtbot):
    inspector = select(window, "conv2d_1")
    edit = inspector.fields["kernel_size"].widget
    edit.setFocus()
    edit.end(False)
    qtbot.keyClick(edit, Qt.Key_Backspace)
    qtbot.keyClick(edit, Qt.Key_Delete)
    qtbot.keyClicks(edit, "lf")
    assert "conv2d_1" in window.editor.doc.nodes
    assert edit.text() == "lf"


def test_renamed_nodes_keep_their_weights_through_save_and_reopen(window, qtbot, tmp_path, monkeypatch):
    """Weights opened with a graph follow a rename typed into the id field:
    Save writes them under the new names, and the reopened graph uses them."""
    import torch

    from netbuilder.core.compiler import build_model
    from netbuilder.interop.weights import save_with_weights
    from netbuilder.ui import files

    doc = cnn()
    trained = build_model(doc)
    graph = tmp_path / "cnn.json"
    save_with_weights(doc, trained.state_dict(), graph)
    assert window.open_path(str(graph))
    inspector = select(window, "conv2d_1")
    type_into(qtbot, inspector.id_edit, "features")
    monkeypatch.setattr(files, "ask_save_path", lambda *args: str(graph))
    window.action_set["save"].trigger()
    assert "features.weight" in window.weights
    assert window.open_path(str(graph)) and "features" in window.editor.doc.nodes
    model = build_model(window.editor.doc)
    model.load_state_dict(window.weights)
    assert torch.equal(model.features.weight, trained.conv2d_1.weight)


def test_every_layer_read_off_torch_nn_gets_a_field_per_parameter(make_window):
    from netbuilder.core.layers import DERIVED_TYPES, get_spec

    window = make_window()
    doc = GraphDocument("all of torch.nn")
    for i, layer_type in enumerate(sorted(DERIVED_TYPES)):
        doc.add_node(layer_type, {}, (240.0 * (i % 8), 120.0 * (i // 8)), node_id=f"n{i}")
    window.set_document(doc, None)
    for i, layer_type in enumerate(sorted(DERIVED_TYPES)):
        inspector = select(window, f"n{i}")
        assert set(inspector.fields) >= {p.name for p in get_spec(layer_type).params}, layer_type


def test_a_derived_padding_takes_four_sizes_through_the_undo_stack(make_window, qtbot):
    window = make_window()
    doc = GraphDocument("pad")
    doc.add_node("Input", {"shape": [3, 8, 8]}, (0.0, 0.0), node_id="image")
    doc.add_node("ZeroPad2d", {}, (240.0, 0.0), node_id="pad")
    doc.connect(Edge("image", "pad"))
    window.set_document(doc, None)
    inspector = select(window, "pad")
    type_into(qtbot, inspector.fields["padding"].widget, "1, 2, 0, 3")
    assert window.editor.doc.nodes["pad"].params["padding"] == [1, 2, 0, 3]
    assert window.editor.report.value_type("pad").shape == (3, 11, 11)
    window.editor.undo_stack.undo()
    assert window.editor.doc.nodes["pad"].params["padding"] == 1
