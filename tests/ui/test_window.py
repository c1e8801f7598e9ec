"""The main window: title, menus, undo, clipboard, problems, status bar, export, close."""

from __future__ import annotations

import ast

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel

from netbuilder.core.document import Edge, GraphDocument
from netbuilder.ui import files

pytestmark = pytest.mark.timeout(60)


def mlp(name: str = "mlp") -> GraphDocument:
    doc = GraphDocument(name)
    prev = None
    for i, (layer_type, params) in enumerate([("Input", {"shape": [64]}), ("Linear", {"out_features": 32}),
                                              ("ReLU", {}), ("Linear", {"out_features": 10})]):
        node_id = doc.add_node(layer_type, params, (240.0 * i, 0.0))
        if prev:
            doc.connect(Edge(prev, node_id))
        prev = node_id
    return doc


@pytest.fixture
def window(make_window, qtbot):
    window = make_window()
    window.set_document(mlp(), None)
    window.activateWindow()
    qtbot.waitActive(window)
    return window


def menu_action(window, menu: str, text: str):
    """The action a person would click in ``menu`` (matched on its text)."""
    for action in window.action_set.menus[menu].actions():
        if action.text().replace("&", "").startswith(text):
            return action
    raise AssertionError(f"no {text!r} in {menu}")


def test_the_window_has_palette_canvas_inspector_and_problems(window):
    assert window.centralWidget() is window.view
    areas = {dock.windowTitle().split(" (")[0]: window.dockWidgetArea(dock) for dock in window.docks()}
    assert areas == {"Layers": Qt.LeftDockWidgetArea, "Inspector": Qt.RightDockWidgetArea,
                     "Problems": Qt.BottomDockWidgetArea}


def test_title_names_the_file_and_stars_unsaved_changes(window):
    assert window.windowTitle() == "untitled.json — netbuilder"
    window.editor.add_node("ReLU", (0, 300))
    assert window.windowTitle() == "untitled.json* — netbuilder"
    window.editor.undo_stack.undo()
    assert "*" not in window.windowTitle()


def test_undo_and_redo_from_the_edit_menu(window):
    window.editor.remove_nodes(["relu_1"])
    undo, redo = menu_action(window, "Edit", "Undo"), menu_action(window, "Edit", "Redo")
    assert undo.isEnabled() and undo.shortcut().toString() == "Ctrl+Z"
    undo.trigger()
    assert "relu_1" in window.editor.doc.nodes and len(window.editor.doc.edges) == 3
    assert [s.toString() for s in redo.shortcuts()] == ["Ctrl+Shift+Z", "Ctrl+Y"]
    redo.trigger()
    assert "relu_1" not in window.editor.doc.nodes


def test_standard_shortcuts(window):
    expected = {"new": "Ctrl+N", "open": "Ctrl+O", "save": "Ctrl+S", "save_as": "Ctrl+Shift+S", "export": "Ctrl+E",
                "cut": "Ctrl+X", "copy": "Ctrl+C", "paste": "Ctrl+V", "duplicate": "Ctrl+D", "select_all": "Ctrl+A",
                "fit": "F", "layout": "L", "zoom_in": "Ctrl++", "zoom_out": "Ctrl+-", "zoom_reset": "Ctrl+0"}
    assert {k: window.action_set[k].shortcut().toString() for k in expected} == expected


def test_the_status_bar_sums_up_the_graph(window):
    labels = window.status_labels
    assert labels["nodes"].text() == "4 nodes"
    assert labels["params"].text() == f"{64 * 32 + 32 + 32 * 10 + 10:,} parameters"
    assert labels["output"].text() == "output (N, 10)"
    assert labels["problems"].text() == "no problems"
    window.editor.disconnect(Edge("input", "linear_1"))
    assert "error" in labels["problems"].text()


def test_canvas_messages_reach_the_status_bar(window):
    window.view.message.emit("connecting would make a cycle")
    assert window.statusBar().currentMessage() == "connecting would make a cycle"


def test_clicking_a_problem_selects_and_centres_its_node(window, qtbot):
    window.editor.disconnect(Edge("relu_1", "linear_2"))
    items = window.problems.problem_items()
    item = next(i for i in items if "linear_2" in i.text())
    assert window.problems_dock.windowTitle().startswith("Problems (")
    rect = window.problems.visualItemRect(item)
    qtbot.mouseClick(window.problems.viewport(), Qt.LeftButton, pos=rect.center())
    assert window.view.selected_node_ids() == ["linear_2"]
    assert window.inspector.node_id == "linear_2"
    node_center = window.view.mapFromScene(window.view.node_item("linear_2").sceneBoundingRect().center())
    assert (node_center - window.view.viewport().rect().center()).manhattanLength() < 40


def test_copy_in_one_window_and_paste_in_another(window, make_window):
    window.view.select_nodes(["linear_1", "relu_1"])
    menu_action(window, "Edit", "Copy").trigger()
    assert '"netbuilder.graph.fragment"' in QApplication.clipboard().text()
    other = make_window()
    menu_action(other, "Edit", "Paste").trigger()
    doc = other.editor.doc
    assert [n.type for n in doc.nodes.values()] == ["Linear", "ReLU"]
    assert len(doc.edges) == 1
    assert other.view.selected_node_ids() == list(doc.nodes)


def test_cut_then_paste_and_duplicate(window):
    window.view.select_nodes(["relu_1"])
    window.action_set["cut"].trigger()
    assert "relu_1" not in window.editor.doc.nodes
    window.action_set["paste"].trigger()
    assert "relu_1" in window.editor.doc.nodes
    window.action_set["duplicate"].trigger()
    assert [n.type for n in window.editor.doc.nodes.values()].count("ReLU") == 2


def test_keyboard_copy_paste_and_undo_on_the_canvas(window, qtbot):
    window.view.select_nodes(["relu_1"])
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key_C, Qt.ControlModifier)
    qtbot.keyClick(window.view, Qt.Key_V, Qt.ControlModifier)
    assert [n.type for n in window.editor.doc.nodes.values()].count("ReLU") == 2
    qtbot.keyClick(window.view, Qt.Key_Z, Qt.ControlModifier)
    assert [n.type for n in window.editor.doc.nodes.values()].count("ReLU") == 1
    qtbot.keyClick(window.view, Qt.Key_Y, Qt.ControlModifier)
    assert [n.type for n in window.editor.doc.nodes.values()].count("ReLU") == 2


def test_paste_of_plain_text_is_refused_politely(window):
    QApplication.clipboard().setText("hello")
    count = len(window.editor.doc.nodes)
    window.action_set["paste"].trigger()
    assert len(window.editor.doc.nodes) == count
    assert "no netbuilder nodes" in window.statusBar().currentMessage()


def test_edit_actions_need_a_selection(window):
    window.view.select_nodes([])
    assert not window.action_set["copy"].isEnabled() and not window.action_set["delete"].isEnabled()
    window.view.select_nodes(["relu_1"])
    assert window.action_set["copy"].isEnabled()
    window.action_set["delete"].trigger()
    assert "relu_1" not in window.editor.doc.nodes


def test_select_all_and_auto_layout(window):
    window.action_set["select_all"].trigger()
    assert window.view.selected_node_ids() == list(window.editor.doc.nodes)
    window.editor.move_nodes({"relu_1": ((480.0, 0.0), (480.0, 700.0))})
    window.action_set["layout"].trigger()
    assert window.editor.doc.nodes["relu_1"].pos[1] != 700.0


def test_single_key_shortcuts_are_ignored_while_typing(window, qtbot):
    window.view.select_nodes(["linear_1"])
    edit = window.inspector.id_edit
    edit.setFocus()
    positions = {n: node.pos for n, node in window.editor.doc.nodes.items()}
    qtbot.keyClick(edit, Qt.Key_L)
    qtbot.keyClick(edit, Qt.Key_F)
    qtbot.keyClick(edit, Qt.Key_Delete)
    assert "linear_1" in window.editor.doc.nodes
    assert {n: node.pos for n, node in window.editor.doc.nodes.items()} == positions
    assert edit.text().endswith("lf")


def test_delete_key_on_the_canvas_deletes(window, qtbot):
    window.view.select_nodes(["relu_1"])
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key_Delete)
    assert "relu_1" not in window.editor.doc.nodes


def test_export_dialog_shows_highlighted_code_and_saves_it(window, monkeypatch, tmp_path):
    window.action_set["export"].trigger()
    dialog = window._export_dialog
    assert dialog.isVisible() and not dialog.isModal()
    code = dialog.text.toPlainText()
    assert "class " in code and "nn.Linear" in code
    ast.parse(code)
    assert dialog.text.isReadOnly()
    target = tmp_path / "model.py"
    monkeypatch.setattr(files, "ask_save_path", lambda *args: str(target))
    dialog.save_button.click()
    assert target.read_text() == code
    dialog.close()


def test_export_dialog_follows_edits_and_explains_errors(window, qtbot):
    window.show_export()
    dialog = window._export_dialog
    window.editor.disconnect(Edge("input", "linear_1"))
    qtbot.waitUntil(lambda: not dialog.save_button.isEnabled())
    assert "cannot be exported" in dialog.text.toPlainText()
    assert "linear_1" in dialog.text.toPlainText()
    window.editor.undo_stack.undo()
    qtbot.waitUntil(dialog.save_button.isEnabled)
    dialog.close()


def test_export_dialog_copy_puts_the_code_on_the_clipboard(window):
    window.show_export()
    window._export_dialog.copy_button.click()
    assert QApplication.clipboard().text() == window._export_dialog.code
    window._export_dialog.close()


def test_python_highlighter_colours_keywords_strings_comments_numbers(window):
    window.show_export()
    dialog = window._export_dialog
    dialog.text.setPlainText('def f(x):  # note\n    return "s" + 1.5e-3\n')
    first, second = dialog.text.document().firstBlock(), dialog.text.document().firstBlock().next()
    colors = lambda block: {r.format.foreground().color().name() for r in block.layout().formats()}  # noqa: E731
    assert len(colors(first)) >= 2 and len(colors(second)) >= 3
    dialog.close()


def test_closing_with_unsaved_changes_asks(window, monkeypatch):
    window.editor.add_node("ReLU", (0, 300))
    asked = []
    monkeypatch.setattr(window, "_ask_save_changes", lambda: asked.append(1) or "cancel")
    assert not window.close()
    assert window.isVisible() and asked == [1]
    monkeypatch.setattr(window, "_ask_save_changes", lambda: "discard")
    assert window.close()


def test_closing_and_choosing_save_writes_the_file(window, monkeypatch, tmp_path):
    target = tmp_path / "kept.json"
    window.editor.add_node("ReLU", (0, 300))
    monkeypatch.setattr(window, "_ask_save_changes", lambda: "save")
    monkeypatch.setattr(files, "ask_save_path", lambda *args: str(target))
    assert window.close()
    assert "relu_2" in target.read_text()


def test_closing_a_saved_graph_does_not_ask(window, monkeypatch):
    monkeypatch.setattr(window, "_ask_save_changes", lambda: pytest.fail("asked"))
    assert window.close()


@pytest.fixture
def restore_style():
    """Put the application's style back: a theme applied here must not
    restyle the widgets of later tests."""
    app = QApplication.instance()
    sheet, palette = app.styleSheet(), app.palette()
    yield
    app.setStyleSheet(sheet)
    app.setPalette(palette)


def test_theme_switch_restyles_and_is_remembered(window, restore_style):
    window.action_set["dark"].setChecked(True)
    window.action_set["dark"].trigger()  # unchecks: light
    assert not window.action_set["dark"].isChecked()
    assert QSettings().value("ui/theme") == "light"
    assert QApplication.instance().styleSheet().startswith("/* netbuilder — light")
    assert not window.view.scene().theme.dark
    window.set_dark(True)
    assert QSettings().value("ui/theme") == "dark"
    assert window.view.scene().theme.dark


def test_a_training_dock_can_join_the_bottom_tabs(window, qtbot):
    dock = QDockWidget("Training")
    dock.setWidget(QLabel("curves"))
    window.add_bottom_dock(dock)
    assert window.dockWidgetArea(dock) == Qt.BottomDockWidgetArea
    qtbot.waitUntil(lambda: window.tabifiedDockWidgets(window.problems_dock) == [dock])
    assert dock.objectName() == "training_dock"


def test_quit_closes_every_window_unless_unsaved_work_is_kept(window, make_window, monkeypatch):
    other = make_window()
    other.editor.add_node("ReLU", (0, 0))
    monkeypatch.setattr(other, "_ask_save_changes", lambda: "cancel")
    menu_action(window, "File", "Quit").trigger()
    assert other.isVisible()  # Cancel stops quitting
    monkeypatch.setattr(other, "_ask_save_changes", lambda: "discard")
    menu_action(window if window.isVisible() else other, "File", "Quit").trigger()
    assert not window.isVisible() and not other.isVisible()


def test_a_new_empty_graph_says_how_to_start_instead_of_showing_an_error(make_window):
    window = make_window()
    window.action_set["new"].trigger()
    assert window.status_labels["problems"].text() == "empty graph"
    assert window.status_labels["problems"].property("role") == "ok"
    assert window.problems.count() == 1 and "Empty graph" in window.problems.item(0).text()
    assert window.problems_dock.windowTitle() == "Problems"
    window.editor.add_node("Linear", (0, 0))  # a graph with something in it is checked as usual
    assert "error" in window.status_labels["problems"].text()


def test_file_new_starts_with_training_settings_that_work(make_window):
    from netbuilder.train.defaults import NEW_GRAPH_TRAINING

    window = make_window()
    window.action_set["new"].trigger()
    assert window.editor.doc.training == NEW_GRAPH_TRAINING
    assert window.editor.doc.training is not NEW_GRAPH_TRAINING  # a copy: editing it changes no other graph


def test_after_a_restart_the_problems_list_is_not_as_tall_as_the_training_panel_was(make_window, qtbot):
    first = make_window()
    first.resize(1400, 850)
    first.training.show_panel()
    qtbot.waitUntil(lambda: first.training.dock.height() >= 300)
    first._ask_save_changes = lambda: "discard"
    first.close()  # saves the layout, the bottom area as tall as the panel
    again = make_window()  # the next start: the Training panel is not built yet
    again.resize(1400, 850)
    qtbot.wait(50)
    assert not again.training.has_dock
    assert again.problems_dock.height() <= 2 * 130
    assert again.view.height() > again.problems_dock.height()



def _framed(window) -> bool:
    """The graph as a fresh window frames it: all of it, or (when that would be
    too small to read, as on the small offscreen screen) its start at the
    smallest readable zoom."""
    from netbuilder.ui.main_window import READABLE_ZOOM

    view = window.view
    nodes = view.scene().nodes
    if not nodes:
        return False
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    if all(shown.contains(item.sceneBoundingRect()) for item in nodes.values()):
        return True
    first = min(nodes.values(), key=lambda item: item.sceneBoundingRect().left())
    return abs(view.zoom() - READABLE_ZOOM) < 1e-6 and shown.contains(first.sceneBoundingRect())


def test_after_a_restart_the_graph_is_framed_in_view(make_window, qtbot):
    from netbuilder.ui import app

    first = make_window.track(app.open_main_window(str(files.DEFAULT_EXAMPLE)))
    qtbot.waitUntil(lambda: _framed(first))
    first.view.zoom_in()
    first.view.horizontalScrollBar().setValue(first.view.horizontalScrollBar().maximum())
    qtbot.waitUntil(lambda: not _framed(first))  # zoomed in and panned away from the graph
    first.close()  # saves the window's layout
    again = make_window.track(app.open_main_window(str(files.DEFAULT_EXAMPLE)))  # the next start
    qtbot.waitUntil(lambda: _framed(again))
