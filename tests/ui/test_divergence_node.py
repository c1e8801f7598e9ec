"""Journey 13, third part: a run at a learning rate of 1e6 diverges and the canvas shows the node at fault."""

from __future__ import annotations

import pytest
from test_training_run import RUN_TIMEOUT_MS, click, open_digits  # noqa: F401 - the fixture

from netbuilder.ui.problems import NODE_ROLE

pytestmark = [pytest.mark.timeout(300), pytest.mark.slow]


def test_a_nan_run_names_and_selects_its_node(open_digits, qtbot):  # noqa: F811
    window, hook = open_digits(example=True, epochs=3, optimizer={"name": "sgd", "lr": 1e6},
                               scheduler={"name": "none"})
    controller = hook.controller
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
        click(qtbot, hook.dock.train_button)
    message, node_id = controller.error
    assert node_id in window.editor.doc.nodes
    assert f"`{node_id}` produced " in message and "its input max was" in message
    assert window.view.selected_node_ids() == [node_id]  # highlighted and brought into view
    entry = window.problems.item(0)
    assert entry.data(NODE_ROLE) == node_id and "Training failed" in entry.text()
