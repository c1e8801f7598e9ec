"""Journey 13, second part: pause a run, change the graph, resume; what was learned stays.

Driven through the real widgets: the Training panel's Pause and Resume, the
canvas (unlocked while paused) for a new layer, the inspector's Freeze box.
The frozen layer's weights must come out of the continued run bit for bit as
they went in; every layer with weights is reported kept, and the run folder
records both versions of the graph.
"""

from __future__ import annotations

import pytest
import torch
from test_inspector import select
from test_training_run import RUN_TIMEOUT_MS, click, open_digits  # noqa: F401 - the fixture

from netbuilder.train.checkpoints import resume_file
from netbuilder.train.events import GraphChanged
from netbuilder.train.graph_versions import graph_versions
from netbuilder.ui.freeze_box import FreezeBox
from netbuilder.ui.training.controller import IDLE, PAUSED, RUNNING

pytestmark = [pytest.mark.timeout(300), pytest.mark.slow]


def test_pause_edit_resume_keeps_the_trained_weights(open_digits, qtbot):  # noqa: F811
    window, hook = open_digits(epochs=200, batch_size=16)
    dock, controller, editor = hook.dock, hook.controller, window.editor
    changes: list[GraphChanged] = []
    controller.events.connect(lambda batch: changes.extend(e for e in batch if isinstance(e, GraphChanged)))
    click(qtbot, dock.train_button)
    qtbot.waitUntil(lambda: controller.saved_epoch >= 1, timeout=RUN_TIMEOUT_MS)
    click(qtbot, dock.pause_button)
    assert controller.state == PAUSED and not window.view.locked  # edits are allowed while paused
    assert "Resume continues" in hook.banner.text()

    # a new layer between Flatten and Linear, and the convolution frozen in the inspector
    flatten_edge = next(e for e in editor.doc.edges if e.source == "flatten_1")
    editor.disconnect(flatten_edge)
    dropout = editor.add_node("Dropout", (900.0, 200.0))
    editor.connect_ports("flatten_1", 0, dropout, 0)
    editor.connect_ports(dropout, 0, "linear_1", 0)
    box = select(window, "conv2d_1").widget().findChild(FreezeBox, "freeze")
    click(qtbot, box)
    assert editor.doc.training["freeze"] == ["conv2d_1"] and controller.graph_edited()

    resumed_from = {}

    def note_checkpoint(state):  # between the stopped run and the continued one
        if state == IDLE and not resumed_from:
            resumed_from.update(torch.load(resume_file(controller.run_dir), weights_only=True)["model"])

    controller.stateChanged.connect(note_checkpoint)
    run_dir = controller.run_dir
    click(qtbot, dock.pause_button)  # Resume
    qtbot.waitUntil(lambda: bool(changes), timeout=RUN_TIMEOUT_MS)
    assert controller.state == RUNNING and controller.run_dir == run_dir and window.view.locked
    change = changes[0]
    assert change.kept == ["conv2d_1", "linear_1"] and change.reset == []
    first_new_epoch = change.from_epoch
    assert hook._marks.last_message.startswith("Resumed with the edited graph: graph version 2 trains from")
    assert [line.value() for _, line in hook._marks.lines] == [first_new_epoch - 1] * 3  # on each curve
    qtbot.waitUntil(lambda: controller.saved_epoch >= first_new_epoch, timeout=RUN_TIMEOUT_MS)
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
        click(qtbot, dock.stop_button)
    final = torch.load(resume_file(run_dir), weights_only=True)["model"]
    for key in ("conv2d_1.weight", "conv2d_1.bias"):
        assert torch.equal(final[key], resumed_from[key])  # frozen since the edit: bit for bit
    assert not torch.equal(final["linear_1.weight"], resumed_from["linear_1.weight"])  # kept, and trained on
    assert [v["version"] for v in graph_versions(run_dir)] == [1, 2]
    assert dropout in editor.doc.nodes
