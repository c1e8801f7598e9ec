"""Training from the main window, driven through the real widgets.

Each test trains the small digits CNN for a few epochs (seconds on a CPU) into a
``tmp_path`` runs folder, clicking the Training panel's buttons with ``qtbot``
and waiting on the controller's signals, never on sleeps.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox
from test_training_support import digits_cnn, input_id, resume_dialog, small_cnn, with_training

from netbuilder.train.checkpoints import resume_file
from netbuilder.train.events import BatchEnd
from netbuilder.ui.training import install_training
from netbuilder.ui.training.controller import IDLE, PAUSED, RUNNING

pytestmark = pytest.mark.timeout(300)
RUN_TIMEOUT_MS = 120_000


@pytest.fixture
def open_digits(make_window, qtbot, tmp_path):
    """A main window with the Training panel on a digits CNN with ``settings``."""

    def make(example: bool = False, **settings):
        window = make_window()
        doc = digits_cnn() if example else small_cnn()
        window.set_document(with_training(doc, **settings), None)
        hook = install_training(window, runs_dir=tmp_path / "runs")
        hook.show_panel()
        qtbot.waitExposed(hook.dock)
        return window, hook

    return make


def click(qtbot, button) -> None:
    assert button.isEnabled() and button.isVisible(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def run_dir_of(hook) -> Path:
    return Path(hook.controller.run_dir)


def test_click_train_shows_curves_accuracy_confusion_matrix_and_mistakes(open_digits, qtbot):
    window, hook = open_digits(example=True, epochs=2, batch_size=64)
    dock, controller = hook.dock, hook.controller
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
        click(qtbot, dock.train_button)
        assert controller.state == RUNNING
        assert window.view.locked and hook.banner.isVisible()
    assert controller.result is not None and controller.error is None
    dock.plots.flush()
    x, y = dock.plots.batch.buffer.view()
    assert len(x) > 0 and (y > 0).all()
    assert len(dock.plots.val_loss.buffer) == 2 and len(dock.plots.val_metric.buffer) == 2
    assert "kept epoch" in dock.summary.text() and "accuracy" in dock.summary.text()
    assert "Finished" in dock.progress.text()
    # results: a confusion matrix over the whole validation set and the worst mistakes
    val_size = controller.started_info.data["val_size"]
    assert dock.confusion.matrix.shape == (10, 10) and dock.confusion.matrix.sum() == val_size
    assert dock.gallery.list.count() > 0
    first = dock.gallery.list.item(0)
    assert not first.icon().isNull() and "true" in first.text()
    # per-node activity on the canvas, and the graph unlocked again
    scene = window.view.scene()
    assert scene._activity and all(node in window.editor.doc.nodes for node in scene._activity)
    assert not window.view.locked and not hook.banner.isVisible()
    # the run is on disk and in the run list
    assert (run_dir_of(hook) / "best.pt").is_file()
    assert [r.path for r in dock.runs.runs] == [run_dir_of(hook)]


def test_stop_mid_run_ends_within_a_batch_and_keeps_the_last_checkpoint(open_digits, qtbot):
    window, hook = open_digits(epochs=200, batch_size=32)
    dock, controller = hook.dock, hook.controller
    click(qtbot, dock.train_button)
    qtbot.waitUntil(lambda: len(dock.plots.val_loss.buffer) >= 1, timeout=RUN_TIMEOUT_MS)
    with qtbot.waitSignal(controller.ended, timeout=30_000):
        click(qtbot, dock.stop_button)
        assert "Stopping" in dock.progress.text()
    assert controller.result.stopped_by_user
    assert len(controller.result.history) < 200
    assert resume_file(run_dir_of(hook)).is_file()  # last.pt, or best.pt if last was not due yet
    assert "Stopped" in dock.summary.text()
    assert dock.train_button.isEnabled() and not window.view.locked


def test_pause_holds_the_run_and_resume_continues_it(open_digits, qtbot):
    window, hook = open_digits(epochs=200, batch_size=16)
    dock, controller = hook.dock, hook.controller
    click(qtbot, dock.train_button)
    qtbot.waitUntil(lambda: len(dock.plots.batch.buffer) >= 3, timeout=RUN_TIMEOUT_MS)
    click(qtbot, dock.pause_button)
    assert controller.state == PAUSED and dock.pause_button.text() == "Resume"
    at_pause = len(dock.plots.batch.buffer)
    qtbot.wait(1500)  # the batch in flight when Pause was clicked may still report
    held = len(dock.plots.batch.buffer)
    assert held <= at_pause + 1
    qtbot.wait(1000)
    assert len(dock.plots.batch.buffer) == held, "batches kept coming while paused"
    assert "Paused" in dock.progress.text()
    click(qtbot, dock.pause_button)
    assert controller.state == RUNNING
    qtbot.waitUntil(lambda: len(dock.plots.batch.buffer) > held, timeout=30_000)
    with qtbot.waitSignal(controller.ended, timeout=30_000):
        click(qtbot, dock.stop_button)


def test_a_huge_learning_rate_stops_with_a_nan_message_and_the_app_stays_usable(open_digits, qtbot):
    # The example with SGD: the loss turns NaN within a few steps. (With Adam, or with a
    # smaller CNN whose ReLUs all die, the engine sees a huge but finite loss and trains on.)
    window, hook = open_digits(example=True, epochs=3, optimizer={"name": "sgd", "lr": 1e6},
                               scheduler={"name": "none"})
    dock, controller = hook.dock, hook.controller
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
        click(qtbot, dock.train_button)
    assert controller.error is not None, "the run did not fail"
    message = controller.error[0]
    assert "nan" in message.lower() or "inf" in message.lower()
    assert "The learning rate (1e+06) is probably too high; try 0.01, the usual rate for sgd" in message
    qtbot.waitUntil(lambda: controller.state == IDLE)
    # a dialog that does not block, the message in the panel and in the Problems list
    assert isinstance(dock.error_box, QMessageBox) and dock.error_box.isVisible()
    assert not dock.error_box.isModal()
    assert "learning rate" in dock.summary.text()
    texts = [window.problems.item(i).text() for i in range(window.problems.count())]
    assert any("Training failed" in t and "learning rate" in t for t in texts)
    window.editor.add_node("ReLU", (0, 400))  # an edit rebuilds the list; the entry stays
    texts = [window.problems.item(i).text() for i in range(window.problems.count())]
    assert any("Training failed" in t for t in texts)
    dock.error_box.close()
    # the Runs list says this run failed, and why (failed.json in its folder)
    dock.left.setCurrentWidget(dock.runs)
    item = dock.runs.tree.topLevelItem(0)
    assert item.text(1).startswith("failed at epoch 1") and not item.icon(0).isNull()
    assert "learning rate" in item.toolTip(1)
    assert json.loads((run_dir_of(hook) / "failed.json").read_text())["epoch"] == 1
    # usable: the graph is unlocked and a sane learning rate trains
    assert not window.view.locked and dock.train_button.isEnabled()
    window.editor.undo_stack.undo()
    lr = dock.settings.widgets["optimizer.lr"]
    lr.setText("0.05")
    lr.editingFinished.emit()
    assert window.editor.doc.training["optimizer"]["lr"] == pytest.approx(0.05)
    dock.settings.widgets["epochs"].setValue(1)
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
        click(qtbot, dock.train_button)
    assert controller.error is None and controller.result is not None
    texts = [window.problems.item(i).text() for i in range(window.problems.count())]
    assert not any("Training failed" in t for t in texts)


def test_closing_the_window_mid_run_stops_it_and_keeps_the_last_checkpoint(open_digits, qtbot):
    window, hook = open_digits(epochs=500, batch_size=32)
    dock, controller = hook.dock, hook.controller
    click(qtbot, dock.train_button)
    qtbot.waitUntil(lambda: len(dock.plots.val_loss.buffer) >= 1, timeout=RUN_TIMEOUT_MS)
    run_dir = run_dir_of(hook)
    window._ask_save_changes = lambda: "discard"
    assert window.close()
    assert not controller.running
    assert resume_file(run_dir).is_file()  # the run can be resumed from its folder
    history = json.loads((run_dir / "history.json").read_text())
    assert 1 <= len(history) < 500


def test_closing_is_cancelled_by_the_save_question_and_the_run_goes_on(open_digits, qtbot):
    window, hook = open_digits(epochs=500, batch_size=32)
    controller = hook.controller
    window.editor.add_node("ReLU", (0, 400))  # unsaved changes: closing asks
    click(qtbot, hook.dock.train_button)
    window._ask_save_changes = lambda: "cancel"
    assert not window.close()
    assert window.isVisible() and controller.running
    with qtbot.waitSignal(controller.ended, timeout=30_000):
        controller.stop()


def test_train_is_refused_with_the_reason_when_the_input_does_not_match_the_data(open_digits, qtbot):
    window, hook = open_digits(epochs=1)
    image = input_id(window.editor.doc)
    window.editor.set_param(image, "shape", [1, 28, 28])
    dock, controller = hook.dock, hook.controller
    with qtbot.waitSignal(controller.refused, timeout=5_000) as refused:
        click(qtbot, dock.train_button)
    assert not controller.running and controller.pump is None
    expected = f"Input '{image}' is (1, 28, 28) but digits gives (1, 8, 8)"
    assert expected in refused.args[0][0][0]
    assert expected in dock.summary.text()
    assert not window.view.locked and dock.train_button.isEnabled()


def test_train_is_refused_while_the_graph_has_errors(open_digits, qtbot):
    window, hook = open_digits(example=True, epochs=1)
    flatten = next(n for n, node in window.editor.doc.nodes.items() if node.type == "Flatten")
    window.editor.remove_nodes([flatten])
    click(qtbot, hook.dock.train_button)
    assert not hook.controller.running
    assert "The graph has" in hook.dock.summary.text() and "error" in hook.dock.summary.text()


def test_the_graph_is_locked_during_a_run_but_the_learning_rate_stays_editable(open_digits, qtbot):
    window, hook = open_digits(epochs=300)
    dock, controller = hook.dock, hook.controller
    click(qtbot, dock.train_button)
    qtbot.waitUntil(lambda: len(dock.plots.batch.buffer) >= 1, timeout=RUN_TIMEOUT_MS)
    nodes = set(window.editor.doc.nodes)
    window.view.select_nodes(list(nodes)[:2])
    window.view.delete_selection()
    assert set(window.editor.doc.nodes) == nodes, "a structural edit got through during training"
    assert not dock.settings.widgets["epochs"].isEnabled()
    assert not dock.data_combo.isEnabled()
    lr = dock.settings.widgets["optimizer.lr"]
    assert lr.isEnabled()
    lr.setText("5e-4")
    lr.editingFinished.emit()
    assert window.editor.doc.training["optimizer"]["lr"] == pytest.approx(5e-4)
    rates = []
    controller.events.connect(lambda batch: rates.extend(e.lr for e in batch if isinstance(e, BatchEnd)))
    qtbot.waitUntil(lambda: bool(rates) and rates[-1] == pytest.approx(5e-4), timeout=10_000)  # the worker's optimizer
    with qtbot.waitSignal(controller.ended, timeout=30_000):
        click(qtbot, dock.stop_button)


def test_resuming_a_stopped_run_continues_its_curve_in_the_same_folder(open_digits, qtbot):
    window, hook = open_digits(epochs=3, batch_size=64)
    dock, controller = hook.dock, hook.controller
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
        click(qtbot, dock.train_button)
    first = run_dir_of(hook)
    dock.settings.widgets["epochs"].setValue(5)
    dock.left.setCurrentWidget(dock.runs)
    dock.runs.select_paths([first])
    dock.runs.tree.setCurrentItem(dock.runs.tree.topLevelItem(0))
    click(qtbot, dock.runs.buttons["resume"])
    assert resume_dialog(dock).epochs.value() == 5  # the panel's length, offered
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
        click(qtbot, resume_dialog(dock).resume_button)
    assert run_dir_of(hook) == first
    assert [row["epoch"] for row in controller.result.history] == [1, 2, 3, 4, 5]
    xs, _ = dock.plots.val_loss.buffer.view()
    assert list(xs) == [1, 2, 3, 4, 5]  # the earlier epochs are replayed, the curve continues


def test_every_view_tells_the_kept_epoch_and_the_best_accuracy_as_history_csv_has_them(open_digits, qtbot):
    """The weights kept are those of the lowest val_loss; the headline, the Runs
    table and the confusion matrix all say which epoch that is and its accuracy,
    and the best accuracy with its own epoch, exactly as ``history.csv`` has them."""
    window, hook = open_digits(epochs=6, batch_size=32, optimizer={"name": "adam", "lr": 0.01})
    dock, controller = hook.dock, hook.controller
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
        click(qtbot, dock.train_button)
    with open(run_dir_of(hook) / "history.csv", newline="") as f:
        rows = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]
    kept = min(rows, key=lambda r: r["val_loss"])  # the first of equals, as the engine keeps it
    best = max(rows, key=lambda r: r["accuracy"])
    best = kept if best["accuracy"] == kept["accuracy"] else best  # a tie names the kept epoch
    kept_text = f"kept epoch {int(kept['epoch'])} (lowest val_loss); its accuracy {kept['accuracy']:.1%}"
    headline = dock.summary.text()
    assert kept_text in headline, headline
    if best["epoch"] != kept["epoch"]:
        assert f"best accuracy {best['accuracy']:.1%} at epoch {int(best['epoch'])}" in headline
    item = dock.runs.tree.topLevelItem(0)
    assert item.text(1) == f"accuracy {kept['accuracy']:.1%} (ep {int(kept['epoch'])})"
    assert item.text(2) == f"accuracy {best['accuracy']:.1%} (ep {int(best['epoch'])})"
    assert kept_text in item.toolTip(1)
    confusion = dock.confusion
    assert confusion.caption == f"kept epoch {int(kept['epoch'])}"
    assert f"accuracy {kept['accuracy']:.1%}" in confusion.title
    assert abs(confusion.accuracy - kept["accuracy"]) < 1e-9


def test_resuming_after_a_restart_uses_the_runs_own_settings_and_says_so(make_window, qtbot, tmp_path, monkeypatch):
    """Stopped after its first epoch, the run is resumed from a fresh window whose
    panel has other settings: it goes on with its own (one-cycle over 4 epochs,
    batch 64), says so, and is not refused."""
    monkeypatch.setattr("netbuilder.ui.main_window.MainWindow._ask_save_changes", lambda self: "discard")
    graph = tmp_path / "g" / "digits.json"
    graph.parent.mkdir()
    from netbuilder.core.fileformat import save_graph

    save_graph(with_training(small_cnn(), epochs=4, batch_size=64, scheduler={"name": "onecycle"}), graph)
    first = make_window()
    first.open_path(str(graph))
    hook = install_training(first)
    hook.show_panel()
    click(qtbot, hook.dock.train_button)
    qtbot.waitUntil(lambda: len(hook.dock.plots.val_loss.buffer) >= 1, timeout=RUN_TIMEOUT_MS)
    with qtbot.waitSignal(hook.controller.ended, timeout=RUN_TIMEOUT_MS):
        click(qtbot, hook.dock.stop_button)
    run = run_dir_of(hook)
    done = len(hook.controller.result.history)
    assert done < 4
    first.close()

    window = make_window()  # "after a restart": the file opened again, the panel's settings changed
    window.open_path(str(graph))
    hook = install_training(window)
    hook.show_panel()
    dock, controller = hook.dock, hook.controller
    dock.settings.widgets["epochs"].setValue(9)
    dock.settings.widgets["batch_size"].setValue(16)
    dock.left.setCurrentWidget(dock.runs)
    dock.runs.select_paths([run])
    dock.runs.tree.setCurrentItem(dock.runs.tree.topLevelItem(0))
    seen = []
    controller.events.connect(lambda batch: seen.append(dock.summary.text()))
    click(qtbot, dock.runs.buttons["resume"])
    dialog = resume_dialog(dock)  # what the run continues with; only what can change is offered
    assert not dialog.epochs.isEnabled() and dialog.epochs.value() == 4
    said = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert "its onecycle schedule is planned for 4 epochs" in said
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
        click(qtbot, dialog.resume_button)
    assert controller.error is None, controller.error
    assert run_dir_of(hook) == run
    assert [row["epoch"] for row in controller.result.history] == [1, 2, 3, 4]
    used = controller.started_info.config
    assert used["batch_size"] == 64 and used["epochs"] == 4 and used["scheduler"]["name"] == "onecycle"
    assert any(f"resuming after epoch {done} with its own settings (4 epochs)" in text for text in seen), seen
    assert window.editor.doc.training["batch_size"] == 16  # the panel keeps its settings for new runs


def test_two_runs_are_listed_and_overlaid(open_digits, qtbot):
    window, hook = open_digits(epochs=1, batch_size=64)
    dock, controller = hook.dock, hook.controller
    for lr in ("1e-3", "3e-3"):
        dock.settings.widgets["optimizer.lr"].setText(lr)
        dock.settings.widgets["optimizer.lr"].editingFinished.emit()
        with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
            click(qtbot, dock.train_button)
    runs = dock.runs.runs
    assert len(runs) == 2
    assert {r.settings.split(",")[0] for r in runs} == {"adam lr 0.001", "adam lr 0.003"}
    texts = [dock.runs.tree.topLevelItem(i).text(1) for i in range(2)]  # the Kept weights column
    assert all("accuracy" in t and "%" in t for t in texts)
    dock.runs.tree.selectAll()
    overlays = dock.plots._overlays
    assert len(overlays) == 2  # the older run's loss and metric; the current run is drawn live
    assert {item.name() for _, item in overlays} == {runs[1].name}


def test_a_data_file_that_does_not_fit_is_refused_without_a_crash_dialog(open_digits, qtbot, tmp_path):
    """A file nobody imported in this session is only opened by the engine; its
    refusal reads like the checks before Train, not like a crash."""
    table = tmp_path / "table.csv"
    table.write_text("a,b,c,label\n" + "".join(f"{i},{i + 1},{i + 2},{i % 2}\n" for i in range(30)))
    window, hook = open_digits(data={"source": str(table), "options": {"target": "label"}}, epochs=1)
    dock, controller = hook.dock, hook.controller
    image = input_id(window.editor.doc)
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
        click(qtbot, dock.train_button)
    assert controller.error is not None and controller.started_info is None
    assert f"Cannot train: Input '{image}' is (1, 8, 8) but table gives (3,)" in dock.summary.text()
    assert dock.error_box is None and dock.progress.text() == "Not started"
    texts = [window.problems.item(i).text() for i in range(window.problems.count())]
    assert any(t.startswith("Cannot train: Input") for t in texts)
    assert window.view.selected_node_ids() == [image]  # the node at fault is shown
    assert not list((tmp_path / "runs").glob("*/*"))  # no run folder for a run that never started


def test_opening_another_graph_stops_the_run_of_the_old_one(open_digits, qtbot):
    window, hook = open_digits(epochs=300)
    dock, controller = hook.dock, hook.controller
    click(qtbot, dock.train_button)
    qtbot.waitUntil(lambda: len(dock.plots.batch.buffer) >= 1, timeout=RUN_TIMEOUT_MS)
    with qtbot.waitSignal(controller.ended, timeout=30_000):
        window.set_document(small_cnn("another"), None)
    assert controller.result.stopped_by_user
    assert not window.view.locked and not window.view.scene()._activity


def test_a_linear_fed_a_feature_map_is_refused_at_that_node_with_the_flatten_hint(open_digits, qtbot):
    window, hook = open_digits(epochs=1)
    doc = window.editor.doc
    flatten = next(n for n, node in doc.nodes.items() if node.type == "Flatten")
    before = next(e.source for e in doc.in_edges(flatten))
    linear = next(e.target for e in doc.out_edges(flatten))
    window.editor.remove_nodes([flatten])
    window.editor.connect_ports(before, 0, linear, 0)  # Conv → ReLU → MaxPool → Linear: (N, 8, 4, 10) out
    assert window.view.node_item(linear).status == "error"  # red on the canvas: its output is the model's
    with qtbot.waitSignal(hook.controller.refused, timeout=5_000) as refused:
        click(qtbot, hook.dock.train_button)
    message, node_id = refused.args[0][0]
    assert node_id == linear and "add a Flatten before it" in message and "4-D tensor" in message
    assert "set its out_features" not in message
    entry = next(window.problems.item(i) for i in range(window.problems.count())
                 if "Flatten" in window.problems.item(i).text())
    assert window.problems.wordWrap() and window.problems.visualItemRect(entry).height() > \
        window.problems.fontMetrics().height() * 1.5  # the long text wraps instead of running off


def test_the_resume_dialog_runs_a_stopped_run_longer(open_digits, qtbot):
    """A run without a planned schedule may go on longer: the epochs typed in
    the dialog are the run's new length, and the summary says so."""
    window, hook = open_digits(epochs=3, batch_size=64)
    dock, controller = hook.dock, hook.controller
    click(qtbot, dock.train_button)
    qtbot.waitUntil(lambda: len(dock.plots.val_loss.buffer) >= 1, timeout=RUN_TIMEOUT_MS)
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
        click(qtbot, dock.stop_button)
    run, done = run_dir_of(hook), len(controller.result.history)
    dock.left.setCurrentWidget(dock.runs)
    dock.runs.select_paths([run])
    dock.runs.tree.setCurrentItem(dock.runs.tree.topLevelItem(0))
    click(qtbot, dock.runs.buttons["resume"])
    dialog = resume_dialog(dock)
    assert dialog.epochs.isEnabled() and dialog.epochs.minimum() == done + 1
    dialog.epochs.setValue(5)
    seen = []
    controller.events.connect(lambda batch: seen.append(dock.summary.text()))
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
        click(qtbot, dialog.resume_button)
    assert controller.error is None, controller.error
    assert [row["epoch"] for row in controller.result.history] == [1, 2, 3, 4, 5]
    assert any("with its own settings (3 → 5 epochs, as chosen)" in text for text in seen), seen
