"""The eight journeys of JOURNEYS.md, one test each, driven through the real widgets.

Each test does what the journey's person does: clicks buttons and tool-bar
buttons, types into the palette search, the inspector and the settings form,
presses Tab and Ctrl+Z on the canvas, wires ports with mouse drags, and
answers modal questions through the seams the app keeps for them
(``files.ask_*``, ``MainWindow._ask_save_changes``, ``app.ask_recover``).
Runs, saves and exports go under ``tmp_path``; epochs are few, so each
journey takes seconds. Waits are on signals and conditions, never sleeps,
except the pause check, which must see nothing happen for a while.
"""

from __future__ import annotations

import difflib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from journey_helpers import (
    CTRL,
    SMALL_CNN_SOURCE,
    UNSUPPORTED_SOURCE,
    activate,
    canonical,
    choose,
    click,
    click_tool,
    drop_from_palette,
    menu_action,
    quick_add,
    type_into,
    type_path,
)
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from test_canvas import drag, header, port
from test_training_support import EXAMPLE, resume_dialog, small_cnn

from netbuilder.cli import main
from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.fileformat import load_graph, save_graph
from netbuilder.core.layout import layered_positions
from netbuilder.interop.weights import load_weights
from netbuilder.train.events import BatchEnd
from netbuilder.ui import app, files
from netbuilder.ui.training import install_training
from netbuilder.ui.training.controller import IDLE, PAUSED, RUNNING
from netbuilder.ui.training.data_wizard import ImportDataDialog

pytestmark = pytest.mark.timeout(240)
RUN_MS = 120_000
# Runs a script with netbuilder made unimportable (the venv installs it editable, so
# `python -I` alone would still find it): what "works without netbuilder installed" means.
WITHOUT_NETBUILDER = ("import runpy, sys; sys.modules['netbuilder'] = None; "
                      "runpy.run_path(sys.argv[1], run_name='__main__')")


def mlp(name: str, inputs: int = 4, width: int = 16, classes: int = 3) -> GraphDocument:
    """Input → (Linear, ReLU) × 2 → Linear head, laid out in a row."""
    doc = GraphDocument(name)
    prev = doc.add_node("Input", {"shape": [inputs]})
    layers = [("Linear", {"out_features": width}), ("ReLU", {})] * 2 + [("Linear", {"out_features": classes})]
    for layer_type, params in layers:
        node = doc.add_node(layer_type, params)
        doc.connect(Edge(prev, node))
        prev = node
    for node_id, pos in layered_positions(doc).items():
        doc.nodes[node_id].pos = pos
    return doc


def train_panel(window, tmp_path):
    """Train → Show Training Panel, with runs under ``tmp_path``."""
    hook = install_training(window, runs_dir=tmp_path / "runs")
    menu_action(hook.menu, "Show Training Panel").trigger()
    return hook, hook.dock


def edge_labels(window) -> dict:
    return {e: window.view.edge_item(e).label for e in window.editor.doc.edges}


# -- 1. First five minutes --------------------------------------------------------------------------
def test_j1_first_five_minutes(make_window, qtbot, tmp_path, monkeypatch):
    # `netbuilder examples/digits_cnn.json` (what `make run` does) is app.run(path) = this window + exec()
    window = make_window.track(app.open_main_window(str(EXAMPLE), autosave_dir=tmp_path / "autosave"))
    qtbot.waitUntil(window.isVisible)
    doc, view = window.editor.doc, window.view
    assert doc.name == "digits_cnn" and window.windowTitle() == "digits_cnn.json — netbuilder"
    for e in doc.edges:  # left to right, in bands that wrap like lines of text
        (x0, y0), (x1, y1) = doc.nodes[e.source].pos, doc.nodes[e.target].pos
        assert x1 > x0 or y1 > y0, e
    labels = edge_labels(window)
    assert labels and all(text.startswith("(N, ") for text in labels.values()), labels
    assert window.status_labels["params"].text() == "151,306 parameters"
    assert window.status_labels["output"].text() == "output (N, 10)"

    hook, dock = train_panel(window, tmp_path)
    type_into(dock.settings.widgets["epochs"], "3")  # fewer epochs, in the settings form
    assert doc.training["epochs"] == 3
    seen = {"progress": [], "responsive": False}

    def while_training(batch):  # runs on the GUI thread between deliveries of engine events
        seen["progress"].append(dock.progress.text())
        if seen["responsive"] or not any(isinstance(e, BatchEnd) for e in batch):
            return
        assert hook.controller.state == RUNNING
        menu = window.action_set.menus["File"]
        menu.popup(window.mapToGlobal(QPoint(20, 20)))  # menus open…
        qtbot.waitUntil(menu.isVisible)
        menu.close()
        before = view.mapToScene(QPoint(300, 200))  # …and the canvas pans
        drag(view, QPoint(300, 200), QPoint(200, 150), button=Qt.MouseButton.MiddleButton)
        seen["responsive"] = (view.mapToScene(QPoint(300, 200)) - before).manhattanLength() > 50

    hook.controller.events.connect(while_training)
    with qtbot.waitSignal(hook.controller.ended, timeout=RUN_MS):
        click_tool(qtbot, window, hook.actions["train"])
    assert seen["responsive"]
    assert any(t.startswith("Epoch ") and "samples/s" in t and "left" in t for t in seen["progress"]), seen
    assert hook.controller.error is None and "Finished" in dock.progress.text()
    dock.plots.flush()
    assert len(dock.plots.batch.buffer) > 10 and len(dock.plots.val_metric.buffer) == 3
    assert "kept epoch" in dock.summary.text() and "its accuracy" in dock.summary.text()
    assert dock.confusion.matrix.shape == (10, 10) and dock.confusion.matrix.sum() > 0
    assert dock.gallery.list.count() > 0 and not dock.gallery.list.item(0).icon().isNull()

    menu_action(window.action_set.menus["File"], "Export Python").trigger()
    dialog = window._export_dialog
    assert "class DigitsCnn(nn.Module)" in dialog.text.toPlainText()
    target = tmp_path / "model.py"
    monkeypatch.setattr(files, "ask_save_path", lambda *args: str(target))
    click(qtbot, dialog.save_button)
    dialog.close()
    done = subprocess.run([sys.executable, "-I", "-c", WITHOUT_NETBUILDER, "model.py"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["loaded the trained weights in model.pt", "(2, 10)"]  # saved after the run


# -- 2. Build a CNN from scratch ------------------------------------------------------------------------
def test_j2_build_a_cnn_from_scratch(make_window, qtbot, tmp_path, monkeypatch):
    window = make_window()
    activate(qtbot, window)
    menu_action(window.action_set.menus["File"], "New").trigger()
    view, editor, palette = window.view, window.editor, window.layer_palette
    assert not editor.doc.nodes
    width = view.viewport().width()
    spots = [QPoint(int(width * f), y) for y in (110, 330) for f in (0.14, 0.38, 0.62, 0.86)]

    image = quick_add(view, "input", spots[0])
    palette.search.setFocus()
    QTest.keyClicks(palette.search, "conv")
    assert "Conv2d" in palette.visible_layer_types() and "ReLU" not in palette.visible_layer_types()
    conv = drop_from_palette(view, palette, "Conv2d", spots[1])
    relu = quick_add(view, "relu", spots[2])
    pool = quick_add(view, "maxpool2d", spots[3])
    linear = quick_add(view, "linear", spots[6])
    types = {n: editor.doc.nodes[n].type for n in (image, conv, relu, pool, linear)}
    assert list(types.values()) == ["Input", "Conv2d", "ReLU", "MaxPool2d", "Linear"]
    for a, b in ((image, conv), (conv, relu), (relu, pool), (pool, linear)):
        drag(view, port(view, a, True), port(view, b, False))
    assert sorted((e.source, e.target) for e in editor.doc.edges) == sorted(
        [(image, conv), (conv, relu), (relu, pool), (pool, linear)])

    # forgot the Flatten: the Linear turns red and says what to add (torch would accept a 4-D input,
    # on its last dimension, but as the model's output those extra dimensions would reach the loss)
    item = view.node_item(linear)
    assert item.status == "error" and "Flatten" in view.scene().node_tooltip(linear)
    assert any(linear in p.text() and "Flatten" in p.text() for p in window.problems.problem_items())
    flatten = quick_add(view, "flatten", spots[5])
    drag(view, port(view, pool, True), port(view, flatten, False))
    drag(view, port(view, flatten, True), port(view, linear, False))  # replaces pool → linear
    assert Edge(pool, linear) not in editor.doc.edges and Edge(flatten, linear) in editor.doc.edges
    assert item.status == "ok" and editor.report.ok and not editor.report.warnings
    assert edge_labels(window)[Edge(flatten, linear)] == "(N, 144)"
    assert window.status_labels["output"].text() == "output (N, 10)"

    # out_channels in the inspector: every shape downstream follows at once
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, header(view, conv))
    assert window.inspector.node_id == conv
    type_into(window.inspector.fields["out_channels"].widget, "32")
    labels = edge_labels(window)
    assert labels[Edge(conv, relu)] == "(N, 32, 6, 6)" and labels[Edge(pool, flatten)] == "(N, 32, 3, 3)"
    assert labels[Edge(flatten, linear)] == "(N, 288)"

    hook, dock = train_panel(window, tmp_path)
    choose(dock.data_combo, "digits")
    assert editor.doc.training["data"]["source"] == "digits"
    with qtbot.waitSignal(hook.controller.ended, timeout=RUN_MS):  # the settings a new graph starts with
        click(qtbot, dock.train_button)
    best = hook.controller.result.best
    assert best["accuracy"] >= 0.97, best  # "about 98%", in seconds, with nothing tuned

    target = tmp_path / "cnn.json"
    monkeypatch.setattr(files, "ask_save_path", lambda *args: str(target))
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_S, CTRL)
    assert window.path == str(target) and "*" not in window.windowTitle()
    lines = target.read_text().splitlines()
    for node_id in editor.doc.nodes:  # one node per line…
        (line,) = [ln for ln in lines if f'"id": "{node_id}"' in ln]
        assert json.loads(line.strip().rstrip(","))["id"] == node_id
    assert sum('"source": ' in ln and '"target": ' in ln for ln in lines) == len(editor.doc.edges)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, header(view, conv))
    type_into(window.inspector.fields["out_channels"].widget, "24")
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_S, CTRL)
    changed = [ln for ln in difflib.unified_diff(lines, target.read_text().splitlines(), lineterm="", n=0)
               if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    assert len(changed) == 2 and all(f'"id": "{conv}"' in ln for ln in changed), changed  # …so diffs are clean


# -- 3. Make a mistake and take it back ----------------------------------------------------------------------
def test_j3_mistakes_undo_paste_close_and_recover(make_window, qtbot, tmp_path, monkeypatch):
    window = make_window(autosave_interval_ms=50)
    window.set_document(mlp("residual", width=16, classes=2), None)
    activate(qtbot, window)
    view, editor = window.view, window.editor
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_F)
    before = editor.doc.copy()
    for node_id in ("linear_1", "relu_1", "linear_2"):  # three accidental deletions
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         header(view, node_id))
        QTest.keyClick(view, Qt.Key.Key_Delete)
    assert set(editor.doc.nodes) == {"input", "relu_2", "linear_3"} and editor.doc.edges == [Edge("relu_2", "linear_3")]
    for _ in range(3):
        QTest.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert editor.doc.to_dict() == before.to_dict()
    assert editor.doc == before  # nodes, parameters, positions and every wire
    assert set(view.scene().edges) == set(before.edges)

    block = ["linear_1", "relu_1", "linear_2", "relu_2"]
    for i, node_id in enumerate(block):
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, CTRL if i else Qt.KeyboardModifier.NoModifier,
                         header(view, node_id))
    assert view.selected_node_ids() == block
    QTest.keyClick(view, Qt.Key.Key_C, CTRL)
    QTest.keyClick(view, Qt.Key.Key_V, CTRL)
    first = view.selected_node_ids()
    QTest.keyClick(view, Qt.Key.Key_V, CTRL)
    second = view.selected_node_ids()
    assert len(set(first) | set(second)) == 8 and not set(first) & set(block)
    assert {(e.source, e.target) for e in editor.doc.edges} >= {(first[i], first[i + 1]) for i in range(3)}
    add = quick_add(view, "add", QPoint(40, 40))
    assert editor.doc.nodes[add].type == "Add"
    QTest.keyClick(view, Qt.Key.Key_L)  # lay out, then fit: every node in view, none overlapping
    QTest.keyClick(view, Qt.Key.Key_F)
    # relu_2 → block copy → Add ← relu_2 (the skip), then → second copy → head
    drag(view, port(view, "relu_2", True), port(view, first[0], False))
    drag(view, port(view, first[-1], True), port(view, add, False))
    drag(view, port(view, "relu_2", True), header(view, add))  # dropped on the card: its free input
    drag(view, port(view, add, True), port(view, second[0], False))
    drag(view, port(view, second[-1], True), port(view, "linear_3", False))
    edges = {(e.source, e.target, e.target_port) for e in editor.doc.edges}
    assert {("relu_2", first[0], 0), (first[-1], add, 0), ("relu_2", add, 1), (add, second[0], 0),
            (second[-1], "linear_3", 0)} <= edges
    assert editor.report.ok and not editor.report.problems
    assert window.status_labels["output"].text() == "output (N, 2)"

    asked = []
    monkeypatch.setattr(window, "_ask_save_changes", lambda: asked.append(window.display_name) or "cancel")
    assert not window.close()  # closing without saving: asked, and Cancel keeps the window
    assert asked == ["untitled.json"] and window.isVisible()

    # Killed now, its autosave is what a dead session leaves: a file no live process locks.
    # (tests/ui/test_files.py SIGKILLs a real app process; here the file is copied to a folder
    # the dead session would have left it in, and the next start is offered it.)
    saver = window.autosaver
    qtbot.waitUntil(lambda: saver.file.exists()
                    and json.loads(saver.file.read_text())["graph"] == json.loads(json.dumps(editor.doc.to_dict())),
                    timeout=5_000)
    left_behind = tmp_path / "left_behind"
    left_behind.mkdir()
    shutil.copy(saver.file, left_behind / saver.file.name)
    offered = []
    monkeypatch.setattr(app, "ask_recover", lambda parent, recovery: offered.append(recovery.saved_at) or True)
    restarted = make_window.track(app.open_main_window(None, autosave_dir=left_behind))
    assert len(offered) == 1
    assert canonical(restarted.editor.doc) == canonical(editor.doc)
    assert restarted.editor.doc.edges == editor.doc.edges
    assert restarted.windowTitle().startswith("untitled.json*")


# -- 4. Bring my own data ----------------------------------------------------------------------------------
def test_j4_bring_my_own_data(make_window, qtbot, tmp_path, monkeypatch):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,c,label\n1,2,3,0\n4,5,6,1\n7,8,9,0\n1,oops,3,1\n")
    good = tmp_path / "good.csv"
    good.write_text("a,b,c,label\n" + "".join(f"{i % 7},{(i * 3) % 5},{i % 2},{i % 2}\n" for i in range(60)))
    folder = tmp_path / "shapes"
    for k, cls in enumerate(("circle", "square")):
        (folder / cls).mkdir(parents=True)
        for i in range(4):
            Image.new("L", (12, 12), color=40 * k + 10 * i).save(folder / cls / f"{i}.png")

    window = make_window()
    window.set_document(mlp("own data", inputs=4, classes=2), None)
    window.editor.set_training({"version": 1, "epochs": 2, "batch_size": 16})
    hook, dock = train_panel(window, tmp_path)
    shown, failures = [], []

    def import_with(steps):
        """Click Import… and drive the real dialog where its exec() would have blocked."""

        def run(dialog):
            dialog.show()
            activate(qtbot, dialog)
            shown.append(dialog)
            try:
                steps(dialog)
            except BaseException as err:  # raised inside a Qt slot: carried out to the test
                failures.append(err)
                dialog.reject()
            return dialog.result()

        monkeypatch.setattr(ImportDataDialog, "exec", run)
        click(qtbot, dock.data.import_button)
        if failures:
            raise failures.pop()

    def bad_csv(dialog):
        type_path(dialog.path_edit, str(bad))
        assert dialog.target_combo.currentText() == "label"  # the last column, highlighted
        click(qtbot, dialog.check_button)
        assert "bad.csv, line 5, column 'b'" in dialog.status.text()
        use = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
        assert not use.isEnabled() and "line 5" in use.toolTip()  # refused, and the button says why
        assert dialog.isVisible()  # the message stays up
        click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Cancel))

    import_with(bad_csv)
    assert "data" not in window.editor.doc.training or not window.editor.doc.training["data"].get("source")

    def images(dialog):
        type_path(dialog.path_edit, str(folder))
        assert "2 classes: circle (4), square (4)" in dialog.status.text()
        click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))

    import_with(images)
    assert window.editor.doc.training["data"]["source"] == str(folder)
    with qtbot.waitSignal(hook.controller.refused, timeout=5_000):
        click(qtbot, dock.train_button)  # the Input is checked against the data before training
    # the Input (4,) says nothing about images: the size and colour come from the images themselves
    assert "Cannot train: Input 'input' is (4,) but shapes gives (1, 12, 12)" in dock.summary.text()

    def good_csv(dialog):
        type_path(dialog.path_edit, str(good))
        choose(dialog.target_combo, "label")
        click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))

    import_with(good_csv)
    data = window.editor.doc.training["data"]
    assert data["source"] == str(good) and data["options"] == {"target": "label"}
    click(qtbot, dock.train_button)
    assert "Input 'input' is (4,) but good gives (3,)" in dock.summary.text() and not hook.controller.running
    window.view.select_nodes(["input"])
    type_into(window.inspector.fields["shape"].widget, "3")
    with qtbot.waitSignal(hook.controller.ended, timeout=RUN_MS):
        click(qtbot, dock.train_button)
    assert hook.controller.error is None and len(hook.controller.result.history) == 2
    assert all(not d.isVisible() for d in shown)


# -- 5. Train seriously -----------------------------------------------------------------------------------------
def test_j5_train_seriously(make_window, qtbot, tmp_path):
    window = make_window()
    window.set_document(small_cnn(), None)  # the digits CNN with 8 filters: an epoch takes a fraction of a second
    hook, dock = train_panel(window, tmp_path)
    controller, form = hook.controller, dock.settings
    choose(form.widgets["optimizer.name"], "adamw")
    choose(form.widgets["scheduler.name"], "cosine")
    type_into(form.widgets["optimizer.weight_decay"], "0.02")
    type_into(form.widgets["early_stopping.metric"].lineEdit(), "accuracy")
    type_into(form.widgets["early_stopping.patience"], "6")
    type_into(form.widgets["batch_size"], "64")
    type_into(form.widgets["epochs"], "10")
    training = window.editor.doc.training
    assert training["optimizer"]["name"] == "adamw" and training["optimizer"]["weight_decay"] == 0.02
    assert training["scheduler"]["name"] == "cosine"
    assert training["early_stopping"] == {**training["early_stopping"], "metric": "accuracy", "patience": 6}
    assert form.rows["optimizer.momentum"][1].isHidden()  # SGD-only settings hide

    click(qtbot, dock.train_button)
    qtbot.waitUntil(lambda: len(dock.plots.val_loss.buffer) >= 1, timeout=RUN_MS)
    click(qtbot, dock.pause_button)
    assert controller.state == PAUSED and dock.pause_button.text() == "Resume"
    qtbot.wait(800)  # the batch in flight may still report…
    held = len(dock.plots.batch.buffer)
    qtbot.wait(800)
    assert len(dock.plots.batch.buffer) == held  # …then nothing while paused
    click(qtbot, dock.pause_button)
    assert controller.state == RUNNING
    qtbot.waitUntil(lambda: len(dock.plots.val_loss.buffer) >= 2, timeout=RUN_MS)
    with qtbot.waitSignal(controller.ended, timeout=30_000):
        click(qtbot, dock.stop_button)
    assert controller.result.stopped_by_user
    first = Path(controller.run_dir)
    assert 2 <= len(controller.result.history) < 10

    dock.left.setCurrentWidget(dock.runs)
    tree = dock.runs.tree
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(tree.topLevelItem(0)).center())
    assert dock.runs.current_run().path == first
    click(qtbot, dock.runs.buttons["resume"])
    with qtbot.waitSignal(controller.ended, timeout=RUN_MS):
        click(qtbot, resume_dialog(dock).resume_button)
    assert controller.error is None, controller.error
    assert Path(controller.run_dir) == first
    epochs = list(range(1, 11))  # the engine resumes a cosine run only with the epochs it started with
    assert [row["epoch"] for row in controller.result.history] == epochs
    assert list(dock.plots.val_loss.buffer.view()[0]) == epochs  # the curve continues

    type_into(form.widgets["optimizer.lr"], "0.001")  # a second configuration
    type_into(form.widgets["epochs"], "2")
    dock.left.setCurrentWidget(dock.settings)
    with qtbot.waitSignal(controller.ended, timeout=RUN_MS):
        click(qtbot, dock.train_button)
    second = Path(controller.run_dir)
    assert second != first and len(dock.runs.runs) == 2
    dock.left.setCurrentWidget(dock.runs)
    dock.runs.tree.selectAll()
    assert {item.name() for _, item in dock.plots._overlays} == {r.name for r in dock.runs.runs if r.path == first}

    dock.left.setCurrentWidget(dock.settings)
    type_into(form.widgets["optimizer.lr"], "1e6")
    with qtbot.waitSignal(controller.ended, timeout=RUN_MS):
        click(qtbot, dock.train_button)
    message = controller.error[0]
    assert ("nan" in message or "diverged" in message) and "learning rate (1e+06) is probably too high" in message
    assert isinstance(dock.error_box, QMessageBox) and not dock.error_box.isModal()
    dock.error_box.close()
    qtbot.waitUntil(lambda: controller.state == IDLE)
    type_into(form.widgets["optimizer.lr"], "0.001")  # the app is fine: a sane rate trains
    type_into(form.widgets["epochs"], "1")
    with qtbot.waitSignal(controller.ended, timeout=RUN_MS):
        click(qtbot, dock.train_button)
    assert controller.error is None and not window.view.locked


# -- 6. Outgrow the laptop ------------------------------------------------------------------------------------
def test_j6_exported_training_script_runs_under_torchrun(tmp_path, capsys):
    """The CLI half; tests/train/test_script.py proves the script reproduces the engine's losses."""
    torchrun = shutil.which("torchrun") or str(Path(sys.executable).parent / "torchrun")
    if not Path(torchrun).exists():
        pytest.fail("torchrun is not installed beside this Python")
    graph = tmp_path / "graph.json"
    doc = load_graph(EXAMPLE)
    doc.training = {**doc.training, "epochs": 3, "batch_size": 32}
    save_graph(doc, graph)
    assert main(["export", str(graph), "--train", "-o", str(tmp_path / "train.py")]) == 0
    assert "wrote" in capsys.readouterr().err
    box = tmp_path / "gpu_box"  # "copies train.py to a GPU box": nothing else travels with it
    box.mkdir()
    shutil.copy(tmp_path / "train.py", box / "train.py")
    done = subprocess.run([torchrun, "--standalone", "--nproc_per_node", "2", "train.py", "--epochs", "1",
                           "--device", "cpu", "--out", "out"], cwd=box, capture_output=True, text=True, timeout=200)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("epoch 1/1") == 1  # rank 0 reports
    history = json.loads((box / "out" / "history.json").read_text())
    assert len(history) == 1 and 0 < history[0]["accuracy"] <= 1


# -- 7. Bring an existing model ---------------------------------------------------------------------------------
def import_through_dialog(window, qtbot, monkeypatch, path: Path, shape: str):
    """File → Import PyTorch Model…, Browse to ``path``, keep the class offered, type the shape, Import."""
    monkeypatch.setattr(files, "ask_python_path", lambda parent: str(path))
    menu_action(window.action_set.menus["File"], "Import PyTorch Model").trigger()
    dialog = window._import_dialog
    qtbot.waitUntil(dialog.isVisible)
    click(qtbot, dialog.browse_button)
    type_into(dialog.shape_edit, shape)  # Enter in the last field presses Import
    return dialog


def test_j7_bring_an_existing_model(make_window, qtbot, tmp_path, monkeypatch):
    user_file = tmp_path / "my_model.py"
    user_file.write_text(SMALL_CNN_SOURCE)
    strange = tmp_path / "strange.py"
    strange.write_text(UNSUPPORTED_SOURCE)
    window = make_window()
    window.set_document(load_graph(EXAMPLE), None)
    kept = window.editor.doc.copy()
    errors = []
    monkeypatch.setattr(files, "report_error", lambda parent, title, message: errors.append((title, message)))

    dialog = import_through_dialog(window, qtbot, monkeypatch, strange, "4")  # unsupported ops, with their lines
    assert dialog.isVisible() and len(errors) == 1
    assert f"{strange}:7: y = x.flip(1)" in errors[0][1] and f"{strange}:8: return y.cumsum(1)" in errors[0][1]
    click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Cancel))
    assert window.editor.doc == kept

    dialog = import_through_dialog(window, qtbot, monkeypatch, user_file, "1, x, 8")  # a bad shape
    assert [dialog.class_combo.itemText(i) for i in range(dialog.class_combo.count())] == ["ConvBlock", "SmallCNN"]
    assert "input shape" in errors[-1][1] and "'1, x, 8'" in errors[-1][1] and dialog.isVisible()
    type_into(dialog.shape_edit, "3, 8, 8")  # a shape the model cannot take
    assert "SmallCNN fails on example input (2, 3, 8, 8)" in errors[-1][1] and dialog.isVisible()
    assert window.editor.doc == kept
    type_into(dialog.shape_edit, "1, 8, 8")
    qtbot.waitUntil(lambda: not dialog.isVisible())

    doc = window.editor.doc  # the user's ConvBlock class is a block, its weights keep their PyTorch names
    assert [n.type for n in doc.nodes.values()] == ["Input", "ConvBlock", "MaxPool2d", "Dropout", "Flatten", "Linear"]
    assert [n.type for n in doc.blocks["ConvBlock"].nodes.values()] == ["Input", "Conv2d", "ReLU", "Output"]
    assert "block.conv.weight" in window.weights
    assert {n: node.pos for n, node in doc.nodes.items()} == layered_positions(doc, wrap=True)
    assert window.windowTitle().startswith("SmallCNN.json*")  # new, unsaved work
    assert window.editor.report.ok and window.status_labels["output"].text() == "output (N, 10)"
    assert all(window.view.node_item(n) is not None for n in doc.nodes)
    conv_key = next(k for k in window.weights if k.endswith("weight") and window.weights[k].dim() == 4)
    assert window.weights[conv_key].shape == (8, 1, 3, 3)  # the weights came along

    dropout = next(n for n, node in doc.nodes.items() if node.type == "Dropout")  # edit it
    window.view.select_nodes([dropout])
    type_into(window.inspector.fields["p"].widget, "0.4")
    assert doc.nodes[dropout].params["p"] == 0.4
    graph = tmp_path / "imported.json"
    monkeypatch.setattr(files, "ask_save_path", lambda *args: str(graph))
    window.action_set["save"].trigger()
    saved = load_graph(graph)
    assert saved.meta["weights"] == "imported.weights.pt" and saved.meta["imported_from"] == "my_model.py:SmallCNN"
    assert torch.equal(load_weights(saved, graph)[conv_key], window.weights[conv_key])

    menu_action(window.action_set.menus["File"], "Export Python").trigger()  # export it back…
    exported = tmp_path / "exported.py"
    monkeypatch.setattr(files, "ask_save_path", lambda *args: str(exported))
    click(qtbot, window._export_dialog.save_button)
    window._export_dialog.close()
    edited = window.editor.doc.copy()
    dialog = import_through_dialog(window, qtbot, monkeypatch, exported, "1, 8, 8")  # …and import the export
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert canonical(window.editor.doc) == canonical(edited)  # the same graph again
    reopened = make_window()
    assert reopened.open_path(str(graph)) and reopened.weights is not None  # the weights come back with the file


# -- 8. Headless -------------------------------------------------------------------------------------------------
def test_j8_headless_check_summary_train(tmp_path, capsys):
    broken = load_graph(EXAMPLE)
    broken.remove_node("flatten")
    broken_path = tmp_path / "broken.json"
    save_graph(broken, broken_path)
    assert main(["check", str(broken_path)]) == 1
    out = capsys.readouterr().out
    assert "error: Linear 'fc1'" in out and "1 error" in out

    assert main(["summary", str(EXAMPLE)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[1].split() == ["node", "type", "output", "shape", "params", "MACs"]
    assert any(line.split()[:2] == ["conv1", "Conv2d"] and "(N, 32, 8, 8)" in line for line in table)
    assert table[-3].split()[:2] == ["total", "151,306"]

    good = tmp_path / "digits.json"
    shutil.copy(EXAMPLE, good)
    runs = tmp_path / "runs"
    assert main(["train", str(good), "--epochs", "1", "--runs-dir", str(runs)]) == 0
    err = capsys.readouterr().err
    run_dir = next((runs / "digits_cnn").iterdir())
    assert "epoch 1/1" in err and "ETA" in err and f"saved in {run_dir}" in err
    assert (run_dir / "best.pt").is_file()
