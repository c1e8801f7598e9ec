"""The canvas driven like a person: mouse, keyboard and drops on a real GraphView."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QHelpEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolTip
from shiboken6 import isValid

from netbuilder.core.document import Edge, GraphDocument
from netbuilder.ui.canvas import LAYER_MIME, GraphView
from netbuilder.ui.canvas.node_item import HEADER, WIDTH
from netbuilder.ui.editor import Editor

pytestmark = pytest.mark.timeout(60)
LEFT = Qt.MouseButton.LeftButton
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def make_view(qtbot):
    """Shown GraphViews at zoom 1 on new editors; closed afterwards, and no
    other top-level window (a stray popup or dialog) may be left behind."""
    before = set(QApplication.topLevelWidgets())
    views = []

    def make(doc: GraphDocument | None = None) -> GraphView:
        view = GraphView(Editor(doc or GraphDocument()))
        qtbot.addWidget(view)
        views.append(view)
        view.resize(1000, 700)
        view.show()
        qtbot.waitExposed(view)
        view.reset_zoom()
        view.centerOn(400, 200)
        return view

    yield make
    for view in views:
        view.close()
    leaked = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w not in before]
    assert not leaked, f"left open: {leaked}"


def chain(*layers, y: float = 100.0) -> GraphDocument:
    """Layers wired one after the other, 240 px apart (like core.layout)."""
    doc = GraphDocument()
    prev = None
    for i, (layer_type, params) in enumerate(layers):
        node_id = doc.add_node(layer_type, params, (240.0 * i, y))
        if prev is not None:
            doc.connect(Edge(prev, node_id))
        prev = node_id
    return doc


MLP = (("Input", {"shape": [16]}), ("Linear", {"out_features": 8}), ("ReLU", {}), ("Linear", {"out_features": 2}))


def port(view: GraphView, node_id: str, is_output: bool, index: int = 0) -> QPoint:
    return view.mapFromScene(view.node_item(node_id).port_scene_pos(is_output, index))


def header(view: GraphView, node_id: str) -> QPoint:
    item = view.node_item(node_id)
    return view.mapFromScene(item.mapToScene(QPointF(WIDTH / 2, HEADER / 2)))


def drag(view: GraphView, start: QPoint, end: QPoint, steps: int = 6, modifier=Qt.KeyboardModifier.NoModifier,
         button=LEFT) -> None:
    viewport = view.viewport()
    QTest.mousePress(viewport, button, modifier, start)
    for i in range(1, steps + 1):
        QTest.mouseMove(viewport, start + (end - start) * (i / steps))
    QTest.mouseRelease(viewport, button, modifier, end)


def click(view: GraphView, at: QPoint, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.mouseClick(view.viewport(), LEFT, modifier, at)



def drag_event(event_type, pos: QPoint, mime, action=Qt.DropAction.CopyAction):
    """A synthetic drag/drop event; PySide6 releases disagree on QPoint vs QPointF."""
    for point in (QPointF(pos), QPoint(pos)):
        try:
            return event_type(point, action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        except TypeError:
            continue
    raise TypeError(f"cannot build {event_type.__name__}")

def drop(view: GraphView, layer_type: str, at: QPoint) -> QDropEvent:
    mime = QMimeData()
    mime.setData(LAYER_MIME, layer_type.encode("utf-8"))
    enter = drag_event(QDragEnterEvent, at, mime)
    QApplication.sendEvent(view.viewport(), enter)
    event = drag_event(QDropEvent, at, mime)
    QApplication.sendEvent(view.viewport(), event)
    return event


# -- the scene mirrors the document ------------------------------------------------
def test_items_show_nodes_edges_and_shapes(make_view):
    view = make_view(chain(*MLP))
    scene = view.scene()
    assert set(scene.nodes) == {"input", "linear_1", "relu_1", "linear_2"}
    assert set(scene.edges) == set(view.editor.doc.edges)
    linear = view.node_item("linear_1")
    assert linear.pos() == QPointF(240, 100)
    assert linear.status == "ok" and linear.shape_text == "(N, 8)"
    assert view.edge_item(Edge("linear_1", "relu_1")).label == "(N, 8)"


def test_scene_items_follow_undo_and_redo(make_view):
    view = make_view(chain(*MLP))
    editor = view.editor
    editor.add_node("Dropout", (0, 400))
    editor.set_param("linear_1", "out_features", 32)
    editor.rename_node("relu_1", "act")
    editor.connect_ports("act", 0, "dropout_1", 0)
    assert view.node_item("act") is not None and view.node_item("relu_1") is None
    assert view.edge_item(Edge("act", "dropout_1")).label == "(N, 32)"
    assert view.node_item("relu_1") is None
    for _ in range(4):
        editor.undo_stack.undo()
    assert set(view.scene().nodes) == {"input", "linear_1", "relu_1", "linear_2"}
    assert set(view.scene().edges) == set(editor.doc.edges)
    assert view.node_item("linear_1").shape_text == "(N, 8)"
    for _ in range(4):
        editor.undo_stack.redo()
    assert view.node_item("dropout_1").shape_text == "(N, 32)"
    assert set(view.scene().edges) == set(editor.doc.edges)


def test_load_rebuilds_the_scene(make_view):
    view = make_view(chain(*MLP))
    view.editor.load(chain(("Input", {"shape": [3, 8, 8]}), ("Conv2d", {"out_channels": 4})))
    assert set(view.scene().nodes) == {"input", "conv2d_1"}
    assert view.node_item("conv2d_1").shape_text == "(N, 4, 6, 6)"


# -- errors and warnings ---------------------------------------------------------
def test_linear_fed_nothing_gets_an_error_badge(make_view):
    doc = chain(("Linear", {"out_features": 4}), ("ReLU", {}))
    doc.add_node("Input", {"shape": [16]}, (0, 300))
    view = make_view(doc)
    linear = view.node_item("linear_1")
    assert linear.status == "error" and linear.shape_text == "?"
    assert "needs an input" in view.scene().node_tooltip("linear_1")
    assert view.node_item("relu_1").status == "unknown"
    assert view.node_item("input").status == "warning"  # not connected to anything
    assert "not connected" in view.scene().node_tooltip("input")
    drag(view, port(view, "input", True), port(view, "linear_1", False))
    assert linear.status == "ok" and view.node_item("relu_1").shape_text == "(N, 4)"


def test_hovering_a_card_shows_its_tooltip_as_it_is_now(make_view):
    view = make_view(chain(*MLP))
    card = view.mapFromScene(view.node_item("linear_1").sceneBoundingRect().center())
    for expected in ("136 parameters", "51 parameters"):
        hover = QHelpEvent(QEvent.Type.ToolTip, card, view.viewport().mapToGlobal(card))
        QApplication.sendEvent(view.viewport(), hover)
        assert QToolTip.isVisible() and expected in QToolTip.text()
        assert QToolTip.text() == view.scene().node_tooltip("linear_1")
        QToolTip.hideText()
        view.editor.set_param("linear_1", "out_features", 3)


def test_conv2d_fed_a_flat_tensor_errors_and_downstream_is_unknown(make_view):
    view = make_view(chain(("Input", {"shape": [16]}), ("Conv2d", {"out_channels": 4}), ("ReLU", {})))
    conv, relu = view.node_item("conv2d_1"), view.node_item("relu_1")
    assert conv.status == "error"
    assert "expects (N, C, H, W)" in view.scene().node_tooltip("conv2d_1")
    assert relu.status == "unknown" and relu.shape_text == "?"
    view.editor.set_param("input", "shape", [1, 8, 8])
    assert conv.status == "ok" and relu.shape_text == "(N, 4, 6, 6)"


# -- wiring ------------------------------------------------------------------------
def test_dragging_from_an_output_to_an_input_connects_them(make_view):
    view = make_view(chain(("Input", {"shape": [16]}), ("Linear", {"out_features": 4})))
    editor = view.editor
    editor.disconnect(editor.doc.edges[0])
    assert not view.scene().edges
    drag(view, port(view, "input", True), port(view, "linear_1", False))
    assert editor.doc.edges == [Edge("input", "linear_1")]
    assert view.edge_item(Edge("input", "linear_1")).label == "(N, 16)"
    assert view.node_item("linear_1").status == "ok"
    editor.undo_stack.undo()
    assert not editor.doc.edges and not view.scene().edges


def test_dragging_backwards_from_an_input_connects_too(make_view):
    view = make_view(chain(("Input", {"shape": [16]}), ("Linear", {"out_features": 4})))
    view.editor.disconnect(view.editor.doc.edges[0])
    drag(view, port(view, "linear_1", False), port(view, "input", True))
    assert view.editor.doc.edges == [Edge("input", "linear_1")]


def test_wire_released_on_a_card_uses_its_free_input(make_view):
    doc = chain(("Input", {"shape": [16]}), ("Linear", {"out_features": 16}))
    doc.add_node("Add", {}, (480, 100))
    doc.connect(Edge("linear_1", "add_1", 0, 0))
    view = make_view(doc)
    drag(view, port(view, "input", True), header(view, "add_1"))
    assert Edge("input", "add_1", 0, 1) in view.editor.doc.edges
    assert view.node_item("add_1").port_count(False) == 3  # two wired plus one free


def test_connecting_a_wired_input_replaces_its_wire(make_view):
    view = make_view(chain(*MLP))
    drag(view, port(view, "input", True), port(view, "linear_2", False))
    edges = view.editor.doc.edges
    assert Edge("input", "linear_2") in edges and Edge("relu_1", "linear_2") not in edges
    assert set(view.scene().edges) == set(edges)


def test_a_wire_that_would_make_a_cycle_is_refused_with_a_message(make_view, qtbot):
    view = make_view(chain(*MLP))
    before = view.editor.doc.copy()
    with qtbot.waitSignal(view.message, check_params_cb=lambda text: "cycle" in text):
        drag(view, port(view, "linear_2", True), port(view, "linear_1", False))
    assert view.editor.doc == before
    assert view.node_item("linear_1")._marks == {}  # the red highlight is gone after release


def test_the_refused_port_turns_red_while_hovered(make_view):
    view = make_view(chain(*MLP))
    viewport = view.viewport()
    QTest.mousePress(viewport, LEFT, Qt.KeyboardModifier.NoModifier, port(view, "relu_1", True))
    QTest.mouseMove(viewport, port(view, "linear_1", True))
    assert view.node_item("linear_1")._marks == {(True, 0): "bad"}
    QTest.mouseMove(viewport, port(view, "linear_2", False))
    assert view.node_item("linear_2")._marks == {(False, 0): "ok"}
    QTest.mouseRelease(viewport, LEFT, Qt.KeyboardModifier.NoModifier, port(view, "linear_2", False))


def test_output_to_output_is_refused(make_view, qtbot):
    view = make_view(chain(*MLP))
    with qtbot.waitSignal(view.message, check_params_cb=lambda text: "output" in text):
        drag(view, port(view, "input", True), port(view, "relu_1", True))
    assert len(view.editor.doc.edges) == 3


def test_wire_dropped_on_empty_canvas_adds_a_connected_layer(make_view, qtbot):
    view = make_view(chain(("Input", {"shape": [16]}),))
    target = port(view, "input", True) + QPoint(250, 60)
    drag(view, port(view, "input", True), target)
    popup = view.quick_add
    assert popup.isVisible()
    QTest.keyClicks(popup.search, "relu")
    QTest.keyClick(popup.search, Qt.Key.Key_Return)
    doc = view.editor.doc
    assert doc.nodes["relu_1"].type == "ReLU" and doc.edges == [Edge("input", "relu_1")]
    assert view.node_item("relu_1").port_scene_pos(False, 0) == view.mapToScene(target)
    assert view.selected_node_ids() == ["relu_1"]
    view.editor.undo_stack.undo()  # one step removes node and wire
    assert list(doc.nodes) == ["input"] and not doc.edges


def test_wire_dragged_back_onto_empty_canvas_adds_a_feeding_layer(make_view):
    view = make_view(chain(("Input", {"shape": [16]}), ("Linear", {"out_features": 4})))
    view.editor.disconnect(view.editor.doc.edges[0])
    drag(view, port(view, "linear_1", False), port(view, "linear_1", False) - QPoint(60, 150))
    QTest.keyClicks(view.quick_add.search, "dropout")
    QTest.keyClick(view.quick_add.search, Qt.Key.Key_Return)
    assert Edge("dropout_1", "linear_1") in view.editor.doc.edges
    view.editor.undo_stack.undo()
    assert "dropout_1" not in view.editor.doc.nodes and not view.editor.doc.edges


# -- quick-add and drops ----------------------------------------------------------------
def test_tab_opens_quick_add_and_enter_creates_the_first_match(make_view):
    view = make_view()
    QTest.keyClick(view, Qt.Key.Key_Tab)
    popup = view.quick_add
    assert popup.isVisible()
    QTest.keyClicks(popup.search, "conv")
    assert popup.list.currentItem().text() == "Conv2d"
    QTest.keyClick(popup.search, Qt.Key.Key_Return)
    assert not popup.isVisible()
    assert [n.type for n in view.editor.doc.nodes.values()] == ["Conv2d"]
    assert view.node_item("conv2d_1") is not None


def test_quick_add_arrow_keys_and_escape(make_view):
    view = make_view()
    view.open_quick_add(QPointF(100, 100))
    popup = view.quick_add
    QTest.keyClicks(popup.search, "pool")
    first = popup.list.currentItem().text()
    QTest.keyClick(popup.search, Qt.Key.Key_Down)
    second = popup.list.currentItem().text()
    assert first != second and "Pool" in second
    QTest.keyClick(popup.search, Qt.Key.Key_Escape)
    assert not popup.isVisible() and not view.editor.doc.nodes
    view.open_quick_add(QPointF(100, 100))
    QTest.keyClicks(popup.search, "pool")
    QTest.keyClick(popup.search, Qt.Key.Key_Down)
    QTest.keyClick(popup.search, Qt.Key.Key_Enter)
    assert [n.type for n in view.editor.doc.nodes.values()] == [second]


def test_quick_add_finds_layers_by_description(make_view):
    view = make_view()
    view.open_quick_add()
    QTest.keyClicks(view.quick_add.search, "residual")
    assert view.quick_add.list.currentItem().text() == "Add"


def test_double_click_on_empty_canvas_opens_quick_add(make_view):
    view = make_view(chain(*MLP))
    QTest.mouseDClick(view.viewport(), LEFT, Qt.KeyboardModifier.NoModifier, QPoint(500, 600))
    assert view.quick_add.isVisible()
    click(view, QPoint(520, 620))  # clicking the canvas closes it
    assert not view.quick_add.isVisible()


def test_dropping_a_palette_layer_creates_it_at_the_drop_point(make_view):
    view = make_view()
    at = QPoint(300, 250)
    event = drop(view, "BatchNorm2d", at)
    assert event.isAccepted()
    (node,) = view.editor.doc.nodes.values()
    assert node.type == "BatchNorm2d"
    item = view.node_item(node.id)
    assert item.mapRectToScene(item.card_rect()).contains(view.mapToScene(at))
    assert view.selected_node_ids() == [node.id]


def test_other_drops_are_ignored(make_view):
    view = make_view()
    mime = QMimeData()
    mime.setText("Linear")
    event = drag_event(QDragEnterEvent, QPoint(10, 10), mime)
    QApplication.sendEvent(view.viewport(), event)
    assert not event.isAccepted()


# -- selection, moving, deleting ------------------------------------------------------
def test_click_ctrl_click_and_selection_signal(make_view, qtbot):
    view = make_view(chain(*MLP))
    with qtbot.waitSignal(view.selectionChanged) as signal:
        click(view, header(view, "relu_1"))
    assert signal.args == [["relu_1"]]
    click(view, header(view, "input"), CTRL)
    assert view.selected_node_ids() == ["input", "relu_1"]
    click(view, header(view, "input"), CTRL)
    assert view.selected_node_ids() == ["relu_1"]


def test_rubber_band_selects_the_nodes_it_touches(make_view):
    view = make_view(chain(*MLP))
    first, second = view.node_item("input"), view.node_item("linear_1")
    start = view.mapFromScene(first.pos() - QPointF(30, 30))
    end = view.mapFromScene(second.pos() + QPointF(60, 40))
    drag(view, start, end, steps=10)
    assert view.selected_node_ids() == ["input", "linear_1"]


def test_dragging_a_node_moves_it_in_one_undo_step(make_view):
    view = make_view(chain(*MLP))
    editor = view.editor
    count = editor.undo_stack.count()
    drag(view, header(view, "relu_1"), header(view, "relu_1") + QPoint(100, 50), steps=10)
    assert editor.doc.nodes["relu_1"].pos == (580.0, 150.0)
    assert editor.undo_stack.count() == count + 1
    wire = view.edge_item(Edge("linear_1", "relu_1"))
    assert wire.boundingRect().contains(view.node_item("relu_1").port_scene_pos(False, 0))
    editor.undo_stack.undo()
    assert view.node_item("relu_1").pos() == QPointF(480, 100)


def test_dragging_a_selection_moves_all_of_it(make_view):
    view = make_view(chain(*MLP))
    view.select_nodes(["input", "linear_1"])
    drag(view, header(view, "input"), header(view, "input") + QPoint(0, 80))
    doc = view.editor.doc
    assert doc.nodes["input"].pos == (0.0, 180.0) and doc.nodes["linear_1"].pos == (240.0, 180.0)


def test_snap_to_grid_rounds_dragged_positions(make_view):
    view = make_view(chain(*MLP))
    view.snap_to_grid = True
    drag(view, header(view, "relu_1"), header(view, "relu_1") + QPoint(33, 17))
    x, y = view.editor.doc.nodes["relu_1"].pos
    assert x % 10 == 0 and y % 10 == 0 and (x, y) != (480.0, 100.0)


def test_arrow_keys_nudge_the_selection(make_view):
    view = make_view(chain(*MLP))
    view.select_nodes(["relu_1"])
    QTest.keyClick(view, Qt.Key.Key_Right)
    QTest.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert view.editor.doc.nodes["relu_1"].pos == (490.0, 150.0)


def test_delete_then_undo_restores_the_document_with_its_wires(make_view):
    view = make_view(chain(*MLP))
    editor = view.editor
    before = editor.doc.copy()
    click(view, header(view, "linear_1"))
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert "linear_1" not in editor.doc.nodes and len(editor.doc.edges) == 1
    assert view.node_item("linear_1") is None and len(view.scene().edges) == 1
    editor.undo_stack.undo()
    assert editor.doc == before
    assert set(view.scene().edges) == set(before.edges)
    editor.undo_stack.redo()
    assert "linear_1" not in view.scene().nodes


def test_backspace_deletes_a_clicked_wire(make_view):
    view = make_view(chain(*MLP))
    wire = view.edge_item(Edge("linear_1", "relu_1"))
    mid = view.mapFromScene(wire.shape().boundingRect().center())
    click(view, mid)
    assert wire.isSelected()
    QTest.keyClick(view, Qt.Key.Key_Backspace)
    assert Edge("linear_1", "relu_1") not in view.editor.doc.edges
    assert len(view.editor.doc.nodes) == 4


def test_copy_and_paste_twice_gives_fresh_ids_and_keeps_inner_wires(make_view):
    view = make_view(chain(*MLP))
    view.select_nodes(["linear_1", "relu_1"])
    fragment = view.copy_selection()
    first = view.paste_fragment(fragment)
    second = view.paste_fragment(fragment)
    doc = view.editor.doc
    assert len(set(first) | set(second) | {"linear_1", "relu_1"}) == 6
    assert Edge(first[0], first[1]) in doc.edges and Edge(second[0], second[1]) in doc.edges
    assert view.selected_node_ids() == second
    assert doc.nodes[second[0]].pos != doc.nodes[first[0]].pos
    assert view.copy_selection()["nodes"][0]["id"] == second[0]


def test_copy_with_nothing_selected_is_none(make_view):
    assert make_view(chain(*MLP)).copy_selection() is None


# -- locking, zoom, activity, theme ------------------------------------------------------
def test_a_locked_canvas_refuses_structural_edits(make_view, qtbot):
    view = make_view(chain(*MLP))
    before = view.editor.doc.copy()
    view.set_locked(True)
    assert view.locked
    view.select_nodes(["relu_1"])
    with qtbot.waitSignal(view.message):
        QTest.keyClick(view, Qt.Key.Key_Delete)
    drag(view, port(view, "input", True), port(view, "linear_2", False))
    event = drop(view, "ReLU", QPoint(200, 500))
    assert not event.isAccepted()
    view.paste_fragment(view.copy_selection())
    QTest.keyClick(view, Qt.Key.Key_Tab)
    assert not view.quick_add.isVisible()
    assert view.editor.doc == before
    drag(view, header(view, "relu_1"), header(view, "relu_1") + QPoint(0, 40))  # moving is still allowed
    assert view.editor.doc.nodes["relu_1"].pos == (480.0, 140.0)
    view.set_locked(False)
    assert not view.locked
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert "relu_1" not in view.editor.doc.nodes


def test_wheel_zoom_is_anchored_under_the_cursor_and_limited(make_view):
    view = make_view(chain(*MLP))
    anchor = QPoint(300, 200)
    fixed = view.mapToScene(anchor)
    wheel(view, anchor, 120)
    assert view.zoom() > 1.1
    assert (view.mapToScene(anchor) - fixed).manhattanLength() < 2
    for _ in range(30):
        wheel(view, anchor, 120)
    assert view.zoom() == pytest.approx(3.0)
    for _ in range(60):
        view.zoom_out()
    assert view.zoom() == pytest.approx(0.2)
    view.reset_zoom()
    assert view.zoom() == 1.0
    view.zoom_in()
    assert view.zoom() == pytest.approx(1.25)


def wheel(view: GraphView, at: QPoint, delta: int) -> None:
    event = QWheelEvent(QPointF(at), QPointF(view.viewport().mapToGlobal(at)), QPoint(0, 0), QPoint(0, delta),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), event)


def test_fit_view_shows_every_node(make_view):
    doc = chain(*MLP)
    doc.add_node("ReLU", {}, (3000, 2000))
    view = make_view(doc)
    view.fit_view()
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    for item in view.scene().nodes.values():
        assert visible.contains(item.sceneBoundingRect())


def test_middle_drag_pans(make_view):
    view = make_view(chain(*MLP))
    before = view.mapToScene(QPoint(500, 350))
    drag(view, QPoint(500, 350), QPoint(400, 300), button=Qt.MouseButton.MiddleButton)
    after = view.mapToScene(QPoint(500, 350))
    assert (after - before - QPointF(100, 50)).manhattanLength() < 2
    assert view.editor.undo_stack.count() == 0


def test_space_drag_pans_instead_of_selecting(make_view):
    view = make_view(chain(*MLP))
    before = view.mapToScene(QPoint(500, 500))
    QTest.keyPress(view, Qt.Key.Key_Space)
    drag(view, QPoint(500, 500), QPoint(450, 500))
    QTest.keyRelease(view, Qt.Key.Key_Space)
    assert (view.mapToScene(QPoint(500, 500)) - before - QPointF(50, 0)).manhattanLength() < 2


def test_center_on_node_selects_and_centres_it(make_view):
    doc = chain(*MLP)
    doc.add_node("ReLU", {}, (3000, 2000))
    view = make_view(doc)
    view.center_on_node("relu_2")
    assert view.selected_node_ids() == ["relu_2"]
    centre = view.mapToScene(view.viewport().rect().center())
    assert view.node_item("relu_2").sceneBoundingRect().contains(centre)


def test_node_activity_draws_a_bar_and_explains_it(make_view):
    view = make_view(chain(*MLP))
    view.set_node_activity("relu_1", {"mean": 0.25, "std": 0.5, "zeros": 0.4, "grad_norm": 0.012})
    item = view.node_item("relu_1")
    assert item._activity == pytest.approx(0.6)
    tooltip = view.scene().node_tooltip("relu_1")
    assert "zeros: 40.0%" in tooltip and "grad norm: 0.012" in tooltip
    view.set_node_activity("relu_1", None)
    assert item._activity is None and "grad norm" not in view.scene().node_tooltip("relu_1")
    view.set_node_activity("missing", {"mean": 1.0})  # a node deleted meanwhile is ignored


def test_set_theme_restyles_the_scene(make_view):
    view = make_view(chain(*MLP))
    view.set_theme(False)
    assert not view.scene().theme.dark
    light = view.grab().toImage().pixelColor(5, 5)
    view.set_theme(True)
    assert view.scene().theme.dark
    assert view.grab().toImage().pixelColor(5, 5).lightness() < light.lightness()


def test_a_closed_canvas_stops_listening_to_its_editor(qtbot):
    editor = Editor(chain(*MLP))
    view = GraphView(editor)
    view.show()
    view.select_nodes(["relu_1"])
    view.close()
    view.deleteLater()
    qtbot.waitUntil(lambda: not isValid(view))
    editor.add_node("ReLU", (0, 300))  # would raise if a dead scene still listened
    editor.undo_stack.undo()
    editor.load(chain(*MLP))


def test_many_void_qt_calls_do_not_crash_the_interpreter(make_view):
    """PySide6 6.12.0 on Python 3.11 drops a reference to None per void call (pyproject excludes it)."""
    view = make_view(chain(*MLP))
    item = view.node_item("relu_1")
    for _ in range(50_000):
        item.setZValue(1)
    view.grab()


def test_a_big_graph_fills_in_by_instalments_and_is_whole_when_reached_for(make_view, qtbot):
    from netbuilder.ui.canvas.scene import FIRST_INSTALMENT, INSTALMENT

    doc = chain(*[("Input", {"shape": [8]})] + [("ReLU", {})] * (3 * INSTALMENT))
    doc.add_node("Add", {}, (500.0, 400.0), node_id="merge")  # a card with more ports: a taller one
    doc.connect(Edge("input", "merge"))
    doc.connect(Edge("relu_1", "merge", 0, 1))
    view = make_view(GraphDocument())
    scene = view.scene()
    view.editor.load(doc)
    assert FIRST_INSTALMENT <= len(scene.nodes) < len(doc.nodes)  # the first cards are there, the rest to come
    assert "input" in scene.nodes  # the left end first: where a big graph is shown
    expected = QRectF()
    qtbot.waitUntil(lambda: len(scene.nodes) == len(doc.nodes) and len(scene.edges) == len(doc.edges))
    for item in scene.nodes.values():
        expected = expected.united(item.sceneBoundingRect())
    assert scene.nodes_bounds() == expected  # what was computed before the cards existed is what they cover

    view.editor.load(doc.copy())
    last = list(doc.nodes)[-2]
    assert last not in scene.nodes
    assert view.node_item(last) is not None and len(scene.edges) == len(doc.edges)  # asked for: all made at once
    view.editor.load(doc.copy())
    old = view.editor.doc.nodes[last].pos
    view.editor.move_nodes({last: (old, (old[0] + 10, old[1]))})
    assert len(scene.nodes) == len(doc.nodes)  # an edit needs every card in step
    assert view.node_item(last).pos() == QPointF(old[0] + 10, old[1])
