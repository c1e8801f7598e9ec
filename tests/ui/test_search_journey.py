"""Journey 12 through the real widgets: declare ranges, start, watch, stop, resume, apply, undo."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

pytest.importorskip("optuna")

from netbuilder.core.document import Edge, GraphDocument  # noqa: E402
from netbuilder.core.fileformat import load_graph, save_graph  # noqa: E402

pytestmark = pytest.mark.timeout(900)  # a study process (spawned, PyTorch loaded) per Start: slow on a busy machine
STUDY_WAIT_MS = 400_000  # each wait ends on the panel's signal, not on a poll; this only bounds a hang


def tiny(tmp_path):
    doc = GraphDocument("tiny_search")
    prev = None
    for i, (layer_type, params) in enumerate([("Input", {"shape": [1, 8, 8]}), ("Conv2d", {"out_channels": 4}),
                                              ("Flatten", {}), ("Dropout", {"p": 0.1}),
                                              ("Linear", {"out_features": 10})]):
        node = doc.add_node(layer_type, params, (240.0 * i, 0.0))
        if prev:
            doc.connect(Edge(prev, node))
        prev = node
    doc.training = {"data": {"source": "digits"}, "epochs": 2, "batch_size": 128}
    path = tmp_path / "tiny_search.json"
    save_graph(doc, path)
    return path


def type_into(qtbot, widget, text):
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClick(widget, Qt.Key_Backspace)
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key_Return)


def vary_row(inspector, name):
    from netbuilder.ui.search.vary import VaryRow

    return next(r for r in inspector.findChildren(VaryRow) if r.target.endswith("." + name))


@pytest.fixture
def window(make_window, qtbot, tmp_path):
    window = make_window()
    assert window.open_path(str(tiny(tmp_path)))
    return window


def test_declare_ranges_in_the_inspector_undoably_and_see_the_mark(window, qtbot, tmp_path):
    window.view.select_nodes(["conv2d_1"])
    row = vary_row(window.inspector, "out_channels")
    qtbot.mouseClick(row.toggle, Qt.LeftButton)
    space = window.editor.doc.search["space"]
    assert space["conv2d_1.out_channels"] == {"kind": "int", "low": 2, "high": 8, "step": 1,
                                              "targets": ["conv2d_1.out_channels"]}
    assert not row.field.isEnabled() and row.box.isVisible()
    type_into(qtbot, row.high, "16")
    type_into(qtbot, row.step, "2")
    assert window.editor.doc.search["space"]["conv2d_1.out_channels"]["high"] == 16
    type_into(qtbot, row.low, "20")  # above high: refused, naming the field, nothing changes
    assert row.error.isVisible() and "greater than high" in row.error.text()
    assert window.editor.doc.search["space"]["conv2d_1.out_channels"]["low"] == 2
    qtbot.waitUntil(lambda: "conv2d_1" in window.search.marks.badges)
    window.grab().save(str(tmp_path / "search-vary.png"))
    window.editor.undo_stack.undo()
    window.editor.undo_stack.undo()
    window.editor.undo_stack.undo()
    assert window.editor.doc.search == {}
    assert not row.toggle.isChecked()
    qtbot.waitUntil(lambda: not window.search.marks.badges)


def test_search_start_watch_stop_resume_apply_and_undo(window, qtbot, tmp_path):
    window.view.select_nodes(["dropout_1"])
    row = vary_row(window.inspector, "p")
    qtbot.mouseClick(row.toggle, Qt.LeftButton)
    type_into(qtbot, row.low, "0.0")
    type_into(qtbot, row.high, "0.4")
    window.search.show_panel()
    panel = window.search.panel
    panel.sampler.setCurrentText("random")
    panel.sampler.activated.emit(panel.sampler.currentIndex())
    panel.pruner.setCurrentText("none")
    panel.pruner.activated.emit(panel.pruner.currentIndex())
    type_into(qtbot, panel.trials.lineEdit(), "3")
    assert window.editor.doc.search["study"] == {"sampler": "random", "pruner": "none", "trials": 3}
    assert window.save()
    complete_trial = {"check_params_cb": lambda number: panel.rows[number]["state"] == "complete"}
    with qtbot.waitSignal(panel.trialEnded, timeout=STUDY_WAIT_MS, **complete_trial):
        qtbot.mouseClick(panel.start_button, Qt.LeftButton)
        assert panel.running and not panel.start_button.isEnabled()
    assert panel.table.rowCount() >= 1
    if panel.running:  # (a study whose last trial ended in the same batch is over already)
        with qtbot.waitSignal(panel.studyEnded, timeout=STUDY_WAIT_MS):
            qtbot.mouseClick(panel.stop_button, Qt.LeftButton)
    assert "stopped" in panel.status.text() or "finished" in panel.status.text()
    window.grab().save(str(tmp_path / "search-stopped.png"))
    done_before = sum(r["state"] == "complete" for r in panel.rows.values())

    with qtbot.waitSignal(panel.studyEnded, timeout=STUDY_WAIT_MS):
        qtbot.mouseClick(panel.start_button, Qt.LeftButton)  # continues the study in the file beside the graph
    complete = [r for r in panel.rows.values() if r["state"] == "complete"]
    assert len(complete) == 3 and done_before <= 3
    assert panel.apply_button.isEnabled()
    window.search.dock.resize(1000, 420)
    panel.plots.setCurrentIndex(2)
    panel.grab().save(str(tmp_path / "search-panel.png"))

    before = window.editor.doc.nodes["dropout_1"].params["p"]
    best = panel.rows[panel.best_number]["params"]["dropout_1.p"]
    qtbot.mouseClick(panel.apply_button, Qt.LeftButton)
    assert window.editor.doc.nodes["dropout_1"].params["p"] == pytest.approx(best)
    window.editor.undo_stack.undo()  # one step
    assert window.editor.doc.nodes["dropout_1"].params["p"] == before
    assert load_graph(tmp_path / "tiny_search.json").search["space"]["dropout_1.p"]["high"] == 0.4
    runs = []
    window.training.train = lambda: runs.append(dict(window.editor.doc.nodes["dropout_1"].params))
    qtbot.mouseClick(panel.train_button, Qt.LeftButton)  # applies the best, then a normal run
    assert runs == [{"p": pytest.approx(best)}]


def test_a_training_setting_varies_from_the_training_panel(window, qtbot):
    from netbuilder.ui.search.vary import VaryRow

    window.training.show_panel()
    rows = {r.target: r for r in window.findChildren(VaryRow)}
    lr = rows["training.optimizer.lr"]
    qtbot.mouseClick(lr.toggle, Qt.LeftButton)
    assert window.editor.doc.search["space"]["lr"] == {"kind": "float", "low": pytest.approx(1e-4),
                                                       "high": pytest.approx(1e-2), "log": True,
                                                       "targets": ["training.optimizer.lr"]}
    assert lr.log.isChecked() and not lr.step.isVisibleTo(lr)
    optimizer = rows["training.optimizer.name"]
    qtbot.mouseClick(optimizer.toggle, Qt.LeftButton)
    type_into(qtbot, optimizer.choices, "adam, sgd")
    assert window.editor.doc.search["space"]["optimizer"]["choices"] == ["adam", "sgd"]
    type_into(qtbot, optimizer.choices, "")
    assert "choices" in optimizer.error.text() and optimizer.error.isVisibleTo(optimizer)
    qtbot.mouseClick(lr.toggle, Qt.LeftButton)
    assert list(window.editor.doc.search["space"]) == ["optimizer"]


def test_two_widths_tie_to_one_variable_and_untie(window, qtbot):
    window.view.select_nodes(["conv2d_1"])
    qtbot.mouseClick(vary_row(window.inspector, "out_channels").toggle, Qt.LeftButton)
    window.view.select_nodes(["linear_1"])
    row = vary_row(window.inspector, "out_features")
    qtbot.mouseClick(row.toggle, Qt.LeftButton)
    assert len(window.editor.doc.search["space"]) == 2
    row.tie.setCurrentText("conv2d_1.out_channels")
    row.tie.activated.emit(row.tie.currentIndex())
    assert window.editor.doc.search["space"] == {"conv2d_1.out_channels": {
        "kind": "int", "low": 2, "high": 8, "step": 1, "targets": ["conv2d_1.out_channels", "linear_1.out_features"]}}
    assert "conv2d_1.out_channels" in row.note.text()
    qtbot.waitUntil(lambda: set(window.search.marks.badges) == {"conv2d_1", "linear_1"})
    row.tie.setCurrentText("own variable")
    row.tie.activated.emit(row.tie.currentIndex())
    assert len(window.editor.doc.search["space"]) == 2
    window.editor.undo_stack.undo()
    assert len(window.editor.doc.search["space"]) == 1
