"""New cards land in free space: paste at the mouse or beside the originals,
quick-add after the selected node, never on top of a card (issue 18.5, 18.6)."""

from __future__ import annotations

import itertools

from journey_helpers import activate, menu_action
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QCursor
from PySide6.QtTest import QTest
from test_training_support import small_cnn


def cards(window) -> dict:
    return {node_id: item.sceneBoundingRect() for node_id, item in window.view.scene().nodes.items()}


def assert_no_overlap(window) -> None:
    rects = cards(window)
    for (a, ra), (b, rb) in itertools.combinations(rects.items(), 2):
        assert not ra.intersects(rb), f"{a} overlaps {b}"


def open_cnn(make_window, qtbot):
    window = make_window()
    window.resize(1366, 768)
    window.set_document(small_cnn(), None)
    activate(qtbot, window)
    window.view.setFocus()
    qtbot.waitUntil(window.view.hasFocus)
    return window


def test_ctrl_v_pastes_at_the_mouse_in_free_space_and_repeated_pastes_never_pile_up(make_window, qtbot):
    window = open_cnn(make_window, qtbot)
    view = window.view
    view.select_nodes(["conv2d_1", "relu_1"])
    QTest.keySequence(view, "Ctrl+C")
    empty = QPoint(view.viewport().width() // 2, view.viewport().height() - 60)
    QCursor.setPos(view.viewport().mapToGlobal(empty))
    assert view.pointer_scene_pos() is not None
    QTest.keySequence(view, "Ctrl+V")
    pasted = view.selected_node_ids()
    assert len(pasted) == 2 and not set(pasted) & {"conv2d_1", "relu_1"}
    span = cards(window)[pasted[0]].united(cards(window)[pasted[1]])
    mouse = view.mapToScene(empty)
    assert (span.center() - mouse).manhattanLength() < 400  # at the mouse, or as near as free space allows
    for _ in range(3):
        QTest.keySequence(view, "Ctrl+V")
    assert len(window.editor.doc.nodes) == 6 + 8
    assert_no_overlap(window)
    window.editor.undo_stack.undo()  # one paste, one undo step
    assert len(window.editor.doc.nodes) == 6 + 6


def test_paste_from_the_menu_and_duplicate_go_beside_the_originals_not_on_them(make_window, qtbot):
    window = open_cnn(make_window, qtbot)
    view = window.view
    QCursor.setPos(window.mapToGlobal(QPoint(-500, -500)))  # the mouse is not on the canvas
    view.select_nodes(["flatten_1"])
    menu_action(window.action_set.menus["Edit"], "Copy").trigger()
    menu_action(window.action_set.menus["Edit"], "Paste").trigger()
    menu_action(window.action_set.menus["Edit"], "Duplicate").trigger()
    menu_action(window.action_set.menus["Edit"], "Paste").trigger()
    assert len(window.editor.doc.nodes) == 9
    assert_no_overlap(window)
    original = cards(window)["flatten_1"]
    nearest = min((r for n, r in cards(window).items() if n.startswith("flatten") and n != "flatten_1"),
                  key=lambda r: (r.center() - original.center()).manhattanLength())
    assert (nearest.center() - original.center()).manhattanLength() < 400


def type_and_enter(qtbot, view, text: str) -> None:
    assert view.quick_add.isVisible()
    QTest.keyClicks(view.quick_add.search, text)
    QTest.keyClick(view.quick_add.search, Qt.Key.Key_Return)


def test_tab_with_a_node_selected_adds_the_layer_after_it_wired_in_free_space(make_window, qtbot):
    window = open_cnn(make_window, qtbot)
    view, doc = window.view, window.editor.doc
    view.select_nodes(["relu_1"])
    QTest.keyClick(view, Qt.Key.Key_Tab)
    type_and_enter(qtbot, view, "Dropout")
    new = view.selected_node_ids()
    assert len(new) == 1 and doc.nodes[new[0]].type == "Dropout"
    assert any(e.source == "relu_1" and e.target == new[0] for e in doc.edges)
    assert doc.nodes[new[0]].pos[0] > doc.nodes["relu_1"].pos[0]
    assert_no_overlap(window)
    window.editor.undo_stack.undo()  # one step
    assert new[0] not in doc.nodes and len(doc.nodes) == 6


def test_tab_with_a_wire_selected_inserts_the_layer_into_it(make_window, qtbot):
    window = open_cnn(make_window, qtbot)
    view, doc = window.view, window.editor.doc
    wire = next(e for e in doc.edges if e.source == "conv2d_1")
    view.edge_item(wire).setSelected(True)
    QTest.keyClick(view, Qt.Key.Key_Tab)
    type_and_enter(qtbot, view, "BatchNorm2d")
    (new,) = view.selected_node_ids()
    assert wire not in doc.edges
    assert {(e.source, e.target) for e in doc.edges} >= {("conv2d_1", new), (new, wire.target)}
    assert_no_overlap(window)
    window.editor.undo_stack.undo()
    assert wire in doc.edges and new not in doc.nodes


def test_tab_over_a_card_with_nothing_selected_never_drops_the_layer_on_it(make_window, qtbot):
    window = open_cnn(make_window, qtbot)
    view = window.view
    view.select_nodes([])
    card = view.scene().nodes["flatten_1"].sceneBoundingRect().center()
    QCursor.setPos(view.viewport().mapToGlobal(view.mapFromScene(card)))
    QTest.keyClick(view, Qt.Key.Key_Tab)
    type_and_enter(qtbot, view, "ReLU")
    assert len(window.editor.doc.nodes) == 7
    assert_no_overlap(window)


def test_c_wires_the_selected_output_to_a_node_picked_by_name(make_window, qtbot):
    window = open_cnn(make_window, qtbot)
    view, editor = window.view, window.editor
    loose = editor.add_node("Linear", (0.0, 400.0), {"out_features": 3})
    view.select_nodes(["flatten_1"])
    QTest.keyClick(view, Qt.Key.Key_C)
    assert view.quick_add.isVisible()
    texts = [view.quick_add.list.item(i).text() for i in range(view.quick_add.list.count())]
    assert texts[0].startswith(loose) and not any(t.startswith(("flatten_1", "relu_1", "input")) for t in texts)
    type_and_enter(qtbot, view, loose)
    assert any(e.source == "flatten_1" and e.target == loose for e in editor.doc.edges)
    assert view.selected_node_ids() == [loose]  # so C goes on wiring from there
    editor.undo_stack.undo()
    assert not any(e.target == loose for e in editor.doc.edges)
    assert menu_action(window.action_set.menus["Edit"], "Connect Output To…") is not None
