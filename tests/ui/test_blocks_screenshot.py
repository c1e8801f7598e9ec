"""Renders a ResNet-like graph made of a BasicBlock, at the top and inside one stage.

Always renders into temporary files and checks them; with
``NETBUILDER_SCREENSHOT_DIR=/some/folder`` it writes ``blocks-top.png`` and
``blocks-inside.png`` there, to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from blocks_helpers import activate, double_click_card
from PySide6.QtGui import QImage

from netbuilder.core.fileformat import load_graph
from netbuilder.core.layout import layered_positions

pytestmark = pytest.mark.timeout(60)
DATA = Path(__file__).parent / "data" / "resnet_blocks.json"


def laid_out(path: Path):
    doc = load_graph(path)
    for node_id, pos in layered_positions(doc, wrap=True).items():
        doc.nodes[node_id].pos = pos
    for definition in doc.blocks.values():
        for node_id, pos in layered_positions(definition).items():
            definition.nodes[node_id].pos = pos
    return doc


def shot(window, folder: Path, name: str) -> QImage:
    path = folder / name
    window.grab().save(str(path))
    image = QImage(str(path))
    assert not image.isNull() and image.width() >= 1200
    return image


def test_screenshots_of_a_resnet_at_the_top_and_inside_a_block(make_window, qtbot, tmp_path):
    folder = Path(os.environ.get("NETBUILDER_SCREENSHOT_DIR", tmp_path))
    window = make_window()
    window.resize(1400, 800)
    window.set_document(laid_out(DATA), None, "resnet_digits.json")
    activate(qtbot, window)
    qtbot.waitUntil(lambda: window.editor.core_loaded)
    window._frame_graph()  # as opening a file frames it
    assert window.editor.report.ok, window.editor.report.problems
    assert window.view.node_item("stage1").repeat_text == "× 2"
    shot(window, folder, "blocks-top.png")
    double_click_card(window.view, "stage2")
    window.view.scene().clearSelection()
    window._frame_graph()
    bar = window.blocks.bar
    assert [b.text() for b in bar.buttons] == ["resnet_digits", "stage2"] and bar.here == "BasicBlock"
    assert window.view.node_item("conv1").shape_text == "(N, 16, 4, 4)"  # stage2's own tensors
    shot(window, folder, "blocks-inside.png")
