"""The Training panel belongs to the document on screen (issue 18.3, issue 14.5):
after File → New, File → Open, Recover or Import PyTorch Model nothing of the
previous graph's runs, refusals, curves or results stays on screen."""

from __future__ import annotations

import pytest
from journey_helpers import menu_action
from PySide6.QtCore import QLockFile, Qt
from test_training_support import input_id, small_cnn, with_training

from netbuilder.core.fileformat import save_graph
from netbuilder.interop.fx_import import ImportedModel
from netbuilder.ui import files
from netbuilder.ui.autosave import Recovery
from netbuilder.ui.training import install_training

pytestmark = pytest.mark.timeout(300)
RUN_TIMEOUT_MS = 120_000


@pytest.fixture
def trained(make_window, qtbot, tmp_path, monkeypatch):
    """A window whose panel shows one finished run of the small digits CNN."""
    monkeypatch.setattr("netbuilder.ui.main_window.MainWindow._ask_save_changes", lambda self: "discard")
    window = make_window()
    source = tmp_path / "first" / "first.json"
    source.parent.mkdir()
    save_graph(with_training(small_cnn("first"), epochs=1, batch_size=64), source)
    window.open_path(str(source))
    hook = install_training(window)
    hook.show_panel()
    qtbot.waitExposed(hook.dock)
    with qtbot.waitSignal(hook.controller.ended, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(hook.dock.train_button, Qt.MouseButton.LeftButton)
    dock = hook.dock
    dock.plots.flush()
    assert dock.runs.runs and dock.confusion.matrix.size and dock.gallery.list.count()
    assert "kept epoch" in dock.summary.text()
    return window, hook


def assert_panel_is_blank(dock) -> None:
    dock.plots.flush()
    assert len(dock.plots.batch.buffer) == 0 and len(dock.plots.val_loss.buffer) == 0
    assert dock.confusion.matrix.size == 0
    assert dock.gallery.list.count() == 0
    assert dock.summary.text() == "" and dock.progress.text() == "Ready"
    assert dock.runs.runs == [] and dock.runs.tree.topLevelItemCount() == 0
    assert dock.weights_path is None and dock.outcome is None


def test_file_new_clears_the_previous_graphs_curves_results_and_runs(trained):
    window, hook = trained
    menu_action(window.action_set.menus["File"], "New").trigger()
    assert_panel_is_blank(hook.dock)


def test_file_open_shows_the_opened_graphs_runs_not_the_old_ones(trained, tmp_path, monkeypatch):
    window, hook = trained
    other = tmp_path / "second" / "second.json"
    other.parent.mkdir()
    save_graph(with_training(small_cnn("second"), epochs=1), other)
    monkeypatch.setattr(files, "ask_open_path", lambda parent: str(other))
    menu_action(window.action_set.menus["File"], "Open").trigger()
    assert window.path == str(other)
    assert_panel_is_blank(hook.dock)
    assert hook.dock.runs.root == other.parent / "runs" / "second"


def test_a_refusal_of_the_old_graph_is_gone_after_file_new(trained, qtbot):
    window, hook = trained
    window.editor.set_param(input_id(window.editor.doc), "shape", [4])
    qtbot.mouseClick(hook.dock.train_button, Qt.MouseButton.LeftButton)
    assert hook.dock.summary.text().startswith("Cannot train:")
    menu_action(window.action_set.menus["File"], "New").trigger()
    assert_panel_is_blank(hook.dock)
    assert "color" not in hook.dock.summary.styleSheet()  # no longer painted as an error


def test_recovered_and_imported_documents_start_with_a_blank_panel(trained, tmp_path):
    window, hook = trained
    lock = QLockFile(str(tmp_path / "recovery.lock"))
    window.recover(Recovery(tmp_path / "session.json", None, "2026-12-03T10:00:00", small_cnn("recovered"), lock))
    assert_panel_is_blank(hook.dock)
    qtbot_run_again(hook)
    window.open_imported(ImportedModel(small_cnn("imported"), {}))
    assert_panel_is_blank(hook.dock)


def qtbot_run_again(hook) -> None:
    """Fill the panel again, as a finished run would."""
    hook.dock.plots.add_batch(0.5, 1.0, 0.01)
    hook.dock.confusion.set_matrix([[1, 0], [0, 1]], ["a", "b"])
    hook.dock._say("Finished: an old result")


def test_data_imported_for_one_graph_is_offered_for_the_next(trained, tmp_path):
    window, hook = trained
    table = tmp_path / "table.csv"
    table.write_text("a,label\n1,0\n")
    dataset = type("DataSet", (), {"input_shape": (1,)})()
    hook.dock.use_imported(str(table), {"target": "label"}, dataset)
    menu_action(window.action_set.menus["File"], "New").trigger()
    combo = hook.dock.data_combo
    index = combo.findData(str(table.resolve()))
    assert index >= 0 and "table.csv  (1,)" in combo.itemText(index)
    combo.activated.emit(index)  # chosen: the import's options come with it
    assert window.editor.doc.training["data"]["options"] == {"target": "label"}
