"""Issue 15 through the real widgets: a node bypassed as a search dimension, a block's repeat count,
a study already beside the graph shown on open, deletes and renames that keep the search consistent."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

pytest.importorskip("optuna")

from test_search_journey import tiny, type_into, vary_row  # noqa: E402

from netbuilder.core.document import Edge  # noqa: E402
from netbuilder.core.fileformat import load_graph, save_graph  # noqa: E402
from netbuilder.train.search import Search, SearchOptions  # noqa: E402
from netbuilder.train.search_optuna import default_storage  # noqa: E402

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
SKIP = {"kind": "choice", "choices": [False, True], "targets": ["dropout_1.bypass"]}
P = {"kind": "float", "low": 0.0, "high": 0.4, "targets": ["dropout_1.p"]}


class StructureTrainer:
    """No training: the validation loss is 0.1 without the dropout node, 0.5 + p with it."""

    def __init__(self, doc, config, runs_dir, base_dir):
        node = doc.nodes.get("dropout_1")
        self.loss = 0.1 if node is None else 0.5 + node.params["p"]

    def stop(self):
        pass

    def run(self):
        from netbuilder.train.events import EpochEnd, Finished

        yield EpochEnd(1, self.loss, self.loss, {}, 0.01, 0.01)
        row = {"epoch": 1, "val_loss": self.loss}
        yield Finished({**row, "metric": "val_loss", "value": self.loss}, "", [row])


def study_beside(path, trials=6):
    """The study ``netbuilder search`` would leave beside the graph (its trials scripted, not trained)."""
    doc = load_graph(path)
    options = SearchOptions(trials=trials, sampler="random", pruner="none", seed=3, storage=default_storage(path))
    events = list(Search(doc, options, base_dir=path.parent, runs_dir=path.parent / "runs",
                         make_trainer=StructureTrainer).run())
    return events[-1]


def test_bypass_is_declared_in_the_inspector_refused_where_shapes_differ_and_marked(make_window, qtbot, tmp_path):
    window = make_window()
    assert window.open_path(str(tiny(tmp_path)))
    window.view.select_nodes(["conv2d_1"])
    conv = vary_row(window.inspector, "bypass")
    qtbot.mouseClick(conv.toggle, Qt.LeftButton)  # 1 channel in, 4 out: cannot be skipped
    assert window.editor.doc.search == {} and not conv.toggle.isChecked()
    assert conv.error.isVisibleTo(conv) and "Conv2d 'conv2d_1' cannot be bypassed" in conv.error.text()
    window.view.select_nodes(["dropout_1"])
    row = vary_row(window.inspector, "bypass")
    qtbot.mouseClick(row.toggle, Qt.LeftButton)
    assert window.editor.doc.search["space"] == {"dropout_1.bypass": SKIP}
    assert row.choices.text() == "false, true"
    qtbot.waitUntil(lambda: "dropout_1" in window.search.marks.badges)
    assert "bypass" in window.search.marks.badges["dropout_1"].toolTip()
    window.grab().save(str(tmp_path / "search-bypass.png"))
    window.view.select_nodes(["input"])
    assert not any(r.target.endswith(".bypass") for r in _rows(window))  # an Input has nothing to skip
    window.editor.undo_stack.undo()
    assert window.editor.doc.search == {}


def _rows(window):
    from netbuilder.ui.search.vary import VaryRow

    return window.inspector.findChildren(VaryRow)


def test_reopening_shows_the_study_before_start_and_applying_a_bypass_is_one_undo_step(make_window, qtbot, tmp_path):
    path = tiny(tmp_path)
    doc = load_graph(path)
    doc.set_search({"space": {"skip": SKIP, "p": P}, "study": {"sampler": "random", "pruner": "none", "trials": 6}})
    save_graph(doc, path)
    finished = study_beside(path)
    best = next(t for t in finished.trials if t["number"] == finished.best_number)
    assert best["params"]["skip"] is True

    window = make_window()
    assert window.open_path(str(path))  # the panel opens on the study's trials, nothing started
    assert window.search.has_dock
    panel = window.search.panel
    qtbot.waitUntil(lambda: panel.table.rowCount() == 6, timeout=60_000)
    assert not panel.running and panel.start_button.isEnabled()
    assert panel.best_number == finished.best_number and "6 trials" in panel.status.text()
    assert panel.plots.best.getPlotItem().listDataItems()  # the best-so-far curve
    assert panel.plots.importance.getPlotItem().items  # and the importances
    assert panel.apply_button.isEnabled()
    window.search.dock.resize(900, 380)
    panel.grab().save(str(tmp_path / "search-reopened.png"))

    before = load_graph(path)
    qtbot.mouseClick(panel.apply_button, Qt.LeftButton)  # the best trial skips the dropout node
    doc = window.editor.doc
    assert "dropout_1" not in doc.nodes and Edge("flatten_1", "linear_1") in doc.edges
    assert doc.search.get("space", {}) == {}  # both variables named only that node
    assert window.editor.undo_stack.undoText().startswith("Apply search trial")
    window.editor.undo_stack.undo()
    assert doc == before


def test_deleting_a_node_removes_its_targets_in_the_same_undo_step(make_window, qtbot, tmp_path):
    window = make_window()
    assert window.open_path(str(tiny(tmp_path)))
    window.view.select_nodes(["dropout_1"])
    qtbot.mouseClick(vary_row(window.inspector, "p").toggle, Qt.LeftButton)
    window.view.select_nodes(["conv2d_1"])
    qtbot.mouseClick(vary_row(window.inspector, "out_channels").toggle, Qt.LeftButton)
    window.view.select_nodes(["linear_1"])
    width = vary_row(window.inspector, "out_features")
    qtbot.mouseClick(width.toggle, Qt.LeftButton)
    width.tie.setCurrentText("conv2d_1.out_channels")
    width.tie.activated.emit(width.tie.currentIndex())
    searched = window.editor.doc.search
    assert set(searched["space"]) == {"dropout_1.p", "conv2d_1.out_channels"}

    window.view.select_nodes(["dropout_1", "conv2d_1"])
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key_Delete)
    assert "dropout_1" not in window.editor.doc.nodes
    assert window.editor.doc.search["space"] == {"conv2d_1.out_channels": {
        **searched["space"]["conv2d_1.out_channels"], "targets": ["linear_1.out_features"]}}
    qtbot.waitUntil(lambda: set(window.search.marks.badges) == {"linear_1"})
    assert window.save() and load_graph(window.path).search == window.editor.doc.search  # it loads again
    window.editor.undo_stack.undo()
    assert window.editor.doc.search == searched and "dropout_1" in window.editor.doc.nodes
    qtbot.waitUntil(lambda: set(window.search.marks.badges) == {"dropout_1", "conv2d_1", "linear_1"})

    window.view.select_nodes(["conv2d_1"])
    window.inspector.id_edit.setFocus()
    type_into(qtbot, window.inspector.id_edit, "stem")
    assert window.editor.doc.search["space"]["conv2d_1.out_channels"]["targets"] == [
        "stem.out_channels", "linear_1.out_features"]
    assert vary_row(window.inspector, "out_channels").toggle.isChecked()  # the renamed node still varies
    qtbot.waitUntil(lambda: "stem" in window.search.marks.badges)


def test_a_repeat_count_varies_from_the_inspector_of_a_block_instance(make_window, qtbot, tmp_path):
    path = tmp_path / "transformer_sequence.json"
    save_graph(load_graph(ROOT / "examples" / "transformer_sequence.json"), path)
    window = make_window()
    assert window.open_path(str(path))
    window.view.select_nodes(["encoder"])
    row = vary_row(window.inspector, "repeat")
    qtbot.mouseClick(row.toggle, Qt.LeftButton)
    type_into(qtbot, row.low, "1")
    type_into(qtbot, row.high, "3")
    assert window.editor.doc.search["space"]["encoder.repeat"] == {"kind": "int", "low": 1, "high": 3, "step": 1,
                                                                   "targets": ["encoder.repeat"]}
    type_into(qtbot, row.low, "0")  # a repeat is at least 1: refused, naming the field
    assert row.error.isVisibleTo(row) and "encoder.repeat" in row.error.text()
    qtbot.waitUntil(lambda: "encoder" in window.search.marks.badges)
    assert window.save()
    assert load_graph(path).search["space"]["encoder.repeat"]["high"] == 3


def test_inside_a_block_a_parameter_varies_as_block_node_and_is_marked_there(make_window, qtbot, tmp_path):
    path = tmp_path / "transformer_sequence.json"
    save_graph(load_graph(ROOT / "examples" / "transformer_sequence.json"), path)
    window = make_window()
    assert window.open_path(str(path))
    window.scoped.enter("TransformerEncoderBlock", "encoder")
    window.view.select_nodes(["norm1"])
    row = vary_row(window.inspector, "eps")
    assert row.target == "TransformerEncoderBlock/norm1.eps"
    qtbot.mouseClick(row.toggle, Qt.LeftButton)
    space = window.editor.doc.search["space"]
    assert [v["targets"] for v in space.values()] == [["TransformerEncoderBlock/norm1.eps"]]
    assert window.editor.doc.blocks["TransformerEncoderBlock"].search == {}  # the top document's section
    qtbot.waitUntil(lambda: set(window.search.marks.badges) == {"norm1"})
    window.editor.undo_stack.undo()
    assert window.editor.doc.search == {} and not row.toggle.isChecked()  # the row follows the top document
    qtbot.waitUntil(lambda: not window.search.marks.badges)
    window.editor.undo_stack.redo()
    window.scoped.leave()
    qtbot.waitUntil(lambda: not window.search.marks.badges)  # no top-level node varies
