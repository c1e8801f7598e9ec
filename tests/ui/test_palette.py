"""The layer palette, used the way a person does: typing, dragging, double-clicking."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from test_canvas import drag_event

from netbuilder.core.layers import all_specs
from netbuilder.ui.canvas import LAYER_MIME
from netbuilder.ui.canvas.node_item import HEADER, WIDTH

pytestmark = pytest.mark.timeout(60)


def test_every_layer_is_listed_under_its_category(make_window):
    palette = make_window().layer_palette
    assert palette.visible_layer_types() == [s.type for s in all_specs()]
    conv = palette.item_for("Conv2d")
    assert conv.parent().text(0) == "Convolution"
    assert conv.toolTip(0).startswith("2-D convolution")
    assert not conv.icon(0).isNull()


def test_typing_conv_shows_the_convolutions_only(make_window, qtbot):
    palette = make_window().layer_palette
    qtbot.keyClicks(palette.search, "conv")
    visible = palette.visible_layer_types()
    assert {"Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"} <= set(visible)
    assert "Linear" not in visible and "ReLU" not in visible
    group = palette.item_for("Linear").parent()
    assert group.isHidden()  # a category with no match disappears


def test_search_matches_descriptions_and_categories(make_window, qtbot):
    palette = make_window().layer_palette
    qtbot.keyClicks(palette.search, "probabilities")
    assert palette.visible_layer_types() == ["Softmax"]
    palette.search.clear()
    qtbot.keyClicks(palette.search, "pooling 2d")
    assert set(palette.visible_layer_types()) >= {"MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"}
    assert "MaxPool1d" not in palette.visible_layer_types()
    palette.search.clear()
    assert len(palette.visible_layer_types()) == len(all_specs())


def test_escape_clears_the_search(make_window, qtbot):
    palette = make_window().layer_palette
    qtbot.keyClicks(palette.search, "relu")
    qtbot.keyClick(palette.search, Qt.Key_Escape)
    assert palette.search.text() == ""
    assert len(palette.visible_layer_types()) == len(all_specs())


def test_an_item_drags_out_as_its_layer_type(make_window):
    palette = make_window().layer_palette
    data = palette.tree.mimeData([palette.item_for("MaxPool2d")])
    assert bytes(data.data(LAYER_MIME)).decode() == "MaxPool2d"


def test_dropping_a_palette_item_on_the_canvas_adds_the_layer_there(make_window):
    window = make_window()
    palette, view = window.layer_palette, window.view
    data = palette.tree.mimeData([palette.item_for("Conv2d")])
    drop_at = QPoint(320, 240)
    for event_type in (QDragEnterEvent, QDragMoveEvent, QDropEvent):
        event = drag_event(event_type, drop_at, data)
        QApplication.sendEvent(view.viewport(), event)
        assert event.isAccepted()
    (node,) = window.editor.doc.nodes.values()
    assert node.type == "Conv2d"
    target = view.mapToScene(drop_at)
    assert abs(node.pos[0] + WIDTH / 2 - target.x()) <= 10
    assert abs(node.pos[1] + HEADER / 2 - target.y()) <= 10
    assert window.editor.undo_stack.count() == 1


def test_double_clicking_an_item_adds_it_in_the_middle_of_the_view(make_window, qtbot):
    window = make_window()
    tree = window.layer_palette.tree
    item = window.layer_palette.item_for("Linear")
    tree.scrollToItem(item)
    at = tree.visualItemRect(item).center()
    # What a mouse sends: press, release, press + double-click, release.
    qtbot.mouseClick(tree.viewport(), Qt.LeftButton, pos=at)
    qtbot.mouseDClick(tree.viewport(), Qt.LeftButton, pos=at)
    qtbot.mouseRelease(tree.viewport(), Qt.LeftButton, pos=at)
    (node,) = window.editor.doc.nodes.values()
    assert node.type == "Linear"
    center = window.view.mapToScene(window.view.viewport().rect().center())
    assert abs(node.pos[0] + WIDTH / 2 - center.x()) < 2 and abs(node.pos[1] + HEADER / 2 - center.y()) < 2
    assert window.view.selected_node_ids() == [node.id]
    assert window.inspector.node_id == node.id


def test_adding_twice_fans_out_instead_of_stacking(make_window):
    window = make_window()
    window.add_layer_at_center("ReLU")
    window.add_layer_at_center("ReLU")
    first, second = (n.pos for n in window.editor.doc.nodes.values())
    assert first != second


def test_enter_in_the_search_adds_the_first_match(make_window, qtbot):
    window = make_window()
    qtbot.keyClicks(window.layer_palette.search, "flatten")
    qtbot.keyClick(window.layer_palette.search, Qt.Key_Return)
    assert [n.type for n in window.editor.doc.nodes.values()] == ["Flatten"]


def test_typing_f_and_l_in_the_search_never_fits_or_lays_out(make_window, qtbot):
    window = make_window()
    window.activateWindow()
    qtbot.waitActive(window)
    window.editor.add_node("ReLU", (500, 500))
    window.editor.add_node("ReLU", (900, 100))
    before = {n: node.pos for n, node in window.editor.doc.nodes.items()}
    window.layer_palette.search.setFocus()
    qtbot.keyClicks(window.layer_palette.search, "fl")
    assert window.layer_palette.search.text() == "fl"
    assert {n: node.pos for n, node in window.editor.doc.nodes.items()} == before


@pytest.mark.parametrize(("alias", "layer_type"), [
    ("dense", "Linear"), ("upconv", "ConvTranspose2d"), ("attention", "MultiheadAttention"), ("swish", "SiLU"),
])
def test_other_names_find_the_layer_and_enter_adds_it(make_window, qtbot, alias, layer_type):
    window = make_window()
    palette = window.layer_palette
    qtbot.keyClicks(palette.search, alias)
    assert layer_type in palette.visible_layer_types()
    if alias != "upconv":  # upconv finds the 1-, 2- and 3-D ones alike
        qtbot.keyClick(palette.search, Qt.Key_Return)
        assert [n.type for n in window.editor.doc.nodes.values()] == [layer_type]


def test_a_category_name_shows_that_category(make_window, qtbot):
    palette = make_window().layer_palette
    qtbot.keyClicks(palette.search, "padding 2d")
    assert palette.visible_layer_types() == ["CircularPad2d", "ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d",
                                             "ZeroPad2d"]
    assert {palette.item_for(t).parent().text(0) for t in palette.visible_layer_types()} == {"Padding"}


def test_torch_nn_layers_are_listed_with_what_goes_in_and_out(make_window):
    palette = make_window().layer_palette
    assert len(palette.visible_layer_types()) >= 115
    assert palette.item_for("Conv3d").parent().text(0) == "Convolution"
    assert palette.item_for("ZeroPad2d").toolTip(0) == (
        "Pads the input tensor boundaries with zero.\n"
        "Input: (N, C, H, W). Output: shape from torch, shown on the node.")
    assert palette.item_for("Conv2d").toolTip(0).endswith("Input: (N, C, H, W). Output: 4-D.")
    assert palette.item_for("ReLU").toolTip(0).endswith("Output: same shape as the input.")
