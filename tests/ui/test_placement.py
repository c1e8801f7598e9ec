"""New cards land in free space: paste at the mouse or beside the originals,
quick-add after the selected node, never on top of a card (issue 18.5, 18.6)."""

from __future__ import annotations

import itertools

from journey_helpers import activate, menu_action
from PySide6.QtCore import QPoint
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
