"""The block examples train from the GUI: the ResNet of BasicBlocks and the repeated
Transformer encoder block, one short epoch each, through the Train button."""

from __future__ import annotations

from pathlib import Path

import pytest
from journey_helpers import click_tool, menu_action, type_into

from netbuilder.ui import files
from netbuilder.ui.training import install_training

pytestmark = [pytest.mark.timeout(300), pytest.mark.slow]
EXAMPLES = Path(files.EXAMPLES_DIR)


@pytest.mark.parametrize("example", ["resnet_digits", "transformer_sequence"])
def test_a_block_example_trains_from_the_gui(make_window, qtbot, tmp_path, example):
    window = make_window()
    assert window.open_example(EXAMPLES / f"{example}.json")
    assert any(window.editor.doc.is_block(n.type) for n in window.editor.doc.nodes.values())
    hook = install_training(window, runs_dir=tmp_path / "runs")
    menu_action(hook.menu, "Show Training Panel").trigger()
    type_into(hook.dock.settings.widgets["epochs"], "1")
    with qtbot.waitSignal(hook.controller.ended, timeout=240_000):
        click_tool(qtbot, window, hook.actions["train"])
    assert hook.controller.error is None, hook.controller.error
    assert "Finished" in hook.dock.progress.text()
