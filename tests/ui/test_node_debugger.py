"""Journey 13, the per-node debugger: the history of every node's statistics while
training (sparklines in the inspector, the canvas coloured by a chosen epoch), the
gradient warnings, and File → Load Weights From Run… for fine-tuning.

Driven through the real widgets: the Train button, the Nodes tab's statistic list
and epoch slider (keys), the inspector of a node selected on the canvas, the File
menu's action, the dialog's buttons, the inspector's Freeze box.
"""

from __future__ import annotations

import pytest
import torch
from PySide6.QtCore import Qt
from test_inspector import select
from test_training_run import RUN_TIMEOUT_MS, click, open_digits  # noqa: F401 - the fixture

from netbuilder.core.document import Edge, GraphDocument
from netbuilder.train.checkpoints import resume_file
from netbuilder.train.events import NodeStats, RunStarted, WeightsLoaded
from netbuilder.ui.freeze_box import FreezeBox
from netbuilder.ui.training import install_training
from netbuilder.ui.training import load_weights_dialog as dialogs
from netbuilder.ui.training.node_debugger import NodeSparklines, heat_colour

pytestmark = pytest.mark.timeout(300)
SHOTS = "/tmp/debugger-"


def train_once(qtbot, hook) -> None:
    with qtbot.waitSignal(hook.controller.ended, timeout=RUN_TIMEOUT_MS):
        click(qtbot, hook.dock.train_button)
    assert hook.controller.error is None, hook.controller.error


def card(window, node_id):
    return window.view._scene.nodes[node_id]


def test_node_history_sparklines_and_canvas_colours_by_epoch(open_digits, qtbot):  # noqa: F811
    window, hook = open_digits(epochs=3, batch_size=64)
    dock, history = hook.dock, hook.controller.node_history
    train_once(qtbot, hook)
    assert history.epochs == [1, 2, 3]

    inspector = select(window, "conv2d_1")
    lines = inspector.widget().findChild(NodeSparklines, "nodeSparklines").lines
    assert set(lines) == {"zeros", "mean", "std", "grad_norm", "update_ratio"}
    assert [e for e, _ in lines["update_ratio"].points] == [1, 2, 3]
    assert all(0 < v < 1 for _, v in lines["update_ratio"].points)
    window.inspector.widget().grab().save(SHOTS + "inspector-sparklines.png")
    relu = select(window, "relu_1").widget().findChild(NodeSparklines, "nodeSparklines")
    assert "zeros" in relu.lines and "grad_norm" not in relu.lines  # no parameters, no gradient

    nodes = dock.nodes
    dock.right.setCurrentWidget(nodes)
    nodes.statistic.setFocus()
    while nodes.stat != "grad_norm":
        qtbot.keyClick(nodes.statistic, Qt.Key_Down)
    assert nodes.epoch == 3  # follows the run to its last epoch
    scale = history.scale("grad_norm")
    for node_id in ("conv2d_1", "linear_1"):
        level = history.level("grad_norm", history.at(3)[node_id]["grad_norm"], scale)
        assert card(window, node_id).heat[0] == heat_colour(level)
    assert card(window, "relu_1").heat is None  # nothing to show for grad norm
    window.view.fit_view()
    window.grab().save(SHOTS + "canvas-grad-norm-epoch3.png")

    nodes.slider.setFocus()
    qtbot.keyClick(nodes.slider, Qt.Key_Home)
    assert nodes.epoch == 1 and nodes.epoch_label.text() == "1 of 3"
    first = history.at(1)["conv2d_1"]["grad_norm"]
    assert card(window, "conv2d_1").heat[1] == f"{first:.1e}"
    assert lines is not None and select(window, "conv2d_1").widget().findChild(
        NodeSparklines, "nodeSparklines").lines["grad_norm"].marked == 1
    while nodes.stat != "zeros":
        qtbot.keyClick(nodes.statistic, Qt.Key_Up)
    assert card(window, "relu_1").heat[1].endswith("%")
    window.grab().save(SHOTS + "canvas-zeros-epoch1.png")
    click(qtbot, nodes.colour_box)
    assert all(card(window, n).heat is None for n in window.editor.doc.nodes)


def test_fine_tuning_loads_an_earlier_run_by_node_id_freezes_and_trains_the_rest(  # noqa: F811
        open_digits, qtbot, tmp_path, monkeypatch):  # noqa: F811
    window, hook = open_digits(epochs=1, batch_size=64)
    dock, controller, editor = hook.dock, hook.controller, window.editor
    train_once(qtbot, hook)
    first_run = controller.run_dir
    loaded_from = torch.load(f"{first_run}/best.pt", weights_only=True)["model"]

    select(window, "conv2d_1")  # a wider kernel: the convolution reshapes, the Linear after it does not
    editor.set_param("conv2d_1", "kernel_size", 5)
    editor.set_param("conv2d_1", "padding", 2)
    action = hook.actions["load_weights"]
    assert action in window.action_set.menus["File"].actions() and action.isEnabled()

    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    monkeypatch.setattr(dialogs, "ask_checkpoint_path", lambda parent: str(broken))
    action.trigger()
    dialog = window.findChild(dialogs.LoadWeightsDialog)
    qtbot.waitExposed(dialog)
    assert dialog.tree.topLevelItemCount() == 1
    click(qtbot, dialog.file_button)
    assert "Cannot load weights from broken.pt" in dialog.message.text() and dialog.isVisible()
    assert controller.initial_weights is None and not dock.starting.isVisible()  # nothing lost
    dialog.grab().save(SHOTS + "load-weights-dialog.png")

    click(qtbot, dialog.load_button)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert controller.initial_weights == first_run and dock.starting.isVisible()
    assert window.preview.layer.weights == first_run  # the preview shows them too
    assert "loaded the weights of linear_1" in dock.starting.label.text()
    assert "left as initialised (new or reshaped): conv2d_1" in dock.starting.label.text()

    box = select(window, "linear_1").widget().findChild(FreezeBox, "freeze")
    click(qtbot, box)  # fine-tuning: the loaded head stays as it is
    loaded: list[WeightsLoaded] = []
    controller.events.connect(lambda batch: loaded.extend(e for e in batch if isinstance(e, WeightsLoaded)))
    train_once(qtbot, hook)
    assert loaded and loaded[0].kept == ["linear_1"] and loaded[0].reset == ["conv2d_1"]
    assert "loaded the weights of linear_1" in dock.summary.text() or controller.result is not None
    assert controller.run_dir != first_run and controller.initial_weights is None and not dock.starting.isVisible()
    final = torch.load(resume_file(controller.run_dir), weights_only=True)["model"]
    for key in ("linear_1.weight", "linear_1.bias"):
        assert torch.equal(final[key], loaded_from[key])  # loaded and frozen: bit for bit
    assert final["conv2d_1.weight"].shape == (8, 1, 5, 5)


def deep_sigmoids(layers: int = 8) -> GraphDocument:
    doc = GraphDocument("deep_sigmoids")
    prev = doc.add_node("Input", {"shape": [4]}, (0.0, 0.0), node_id="x")
    for i in range(1, layers + 1):
        fc = doc.add_node("Linear", {"out_features": 16}, (200.0 * i, 0.0), node_id=f"fc{i}")
        act = doc.add_node("Sigmoid", {}, (200.0 * i + 100, 120.0), node_id=f"act{i}")
        doc.connect(Edge(prev, fc))
        doc.connect(Edge(fc, act))
        prev = act
    doc.connect(Edge(prev, doc.add_node("Linear", {"out_features": 3}, (200.0 * layers + 200, 0.0),
                                        node_id="head")))
    doc.training = {"data": {"source": "iris"}, "epochs": 1}
    return doc


def test_vanishing_gradients_are_named_in_the_training_panel(make_window, qtbot, tmp_path):
    window = make_window()
    window.set_document(deep_sigmoids(), None)
    hook = install_training(window, runs_dir=tmp_path / "runs")
    hook.show_panel()
    qtbot.waitExposed(hook.dock)
    train_once(qtbot, hook)
    warning = hook.dock.gradient_warning
    assert warning.isVisible() and warning.text().startswith("⚠ Epoch 1: grad norm of fc1 is ")
    assert "of head's — vanishing gradients: add normalisation / residual connections / lower depth" in \
        warning.text()
    assert "grad norm of fc1" in hook.dock.nodes.warnings.text()
    hook.dock.right.setCurrentWidget(hook.dock.nodes)
    window.view.fit_view()
    window.grab().save(SHOTS + "vanishing-warning.png")


def test_the_dialog_without_runs_offers_a_file_and_cancels_cleanly(open_digits, qtbot):  # noqa: F811
    window, hook = open_digits()
    dialog = hook.load_weights()
    qtbot.waitExposed(dialog)
    assert dialog.empty.isVisible() and not dialog.load_button.isEnabled()
    qtbot.keyClick(dialog, Qt.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert hook.controller.initial_weights is None


def test_the_browser_follows_new_epochs_until_an_earlier_one_is_chosen(open_digits, qtbot):  # noqa: F811
    window, hook = open_digits()
    controller, nodes = hook.controller, hook.dock.nodes
    stats = lambda zeros: {"relu_1": {"zeros": zeros, "grad_norm": None}}  # noqa: E731
    controller._on_events([RunStarted({}, 1, 1, "cpu", "run", 3, 1)])
    for epoch, zeros in ((1, 0.1), (2, 0.5)):
        controller._on_events([NodeStats(epoch, stats(zeros))])
    assert nodes.epoch == 2 and card(window, "relu_1").heat[1] == "50%"
    nodes.slider.setFocus()
    qtbot.keyClick(nodes.slider, Qt.Key_Left)
    controller._on_events([NodeStats(3, stats(0.9))])
    assert nodes.epoch == 1 and card(window, "relu_1").heat[1] == "10%"  # stays where the user looked
    qtbot.keyClick(nodes.slider, Qt.Key_End)
    assert nodes.epoch == 3 and card(window, "relu_1").heat[0] == heat_colour(0.9)
