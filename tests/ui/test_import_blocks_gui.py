"""File → Import PyTorch Model… with a torchvision-style ResNet-18: a dozen stage-level nodes, laid out, with
the original weights under their PyTorch names; double-clicking a stage shows its blocks.

Always renders into temporary files and checks them; with ``NETBUILDER_SCREENSHOT_DIR=/some/folder`` it
writes ``import-resnet18-top.png``, ``-stage.png`` and ``-block.png`` there, to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from blocks_helpers import activate, double_click_card
from journey_helpers import choose, menu_action, type_into
from PySide6.QtGui import QImage

from netbuilder.interop.userfile import instantiate, run_file
from netbuilder.ui import files

pytestmark = pytest.mark.timeout(120)
RESNET18 = Path(__file__).parents[1] / "interop" / "models" / "resnet18.py"


def _shot(window, folder: Path, name: str) -> None:
    path = folder / name
    window.grab().save(str(path))
    assert not QImage(str(path)).isNull()


def _cards_apart(view) -> bool:
    """No two node cards of the shown graph overlap."""
    rects = [view.node_item(n).sceneBoundingRect() for n in view.editor.doc.nodes if view.node_item(n)]
    return all(not a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])


def test_resnet18_comes_in_as_stages_with_its_weights(make_window, qtbot, monkeypatch, tmp_path):
    folder = Path(os.environ.get("NETBUILDER_SCREENSHOT_DIR", tmp_path))
    window = make_window()
    window.resize(1400, 800)
    activate(qtbot, window)
    monkeypatch.setattr(files, "ask_python_path", lambda parent: str(RESNET18))
    menu_action(window.action_set.menus["File"], "Import PyTorch Model").trigger()
    dialog = window._import_dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.browse_button.click()
    choose(dialog.class_combo, "ResNet18")
    assert dialog.blocks_check.isChecked()  # blocks unless the user asks for one node per layer
    type_into(dialog.shape_edit, "3, 64, 64")  # Enter imports
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=60_000)
    qtbot.waitUntil(lambda: window.editor.core_loaded)

    doc = window.editor.doc
    assert len(doc.nodes) == 12 and window.editor.report.ok
    assert window.statusBar().currentMessage().startswith(
        "Imported resnet18.py:ResNet18: 12 nodes and 4 blocks (double-click one to open it), 11,689,512 parameters")
    assert [doc.nodes[f"layer{i}"].type for i in range(1, 5)] == ["BasicBlock", "Sequential_2", "Sequential_2",
                                                                   "Sequential_2"]
    torch.manual_seed(0)
    original = instantiate(run_file(RESNET18), "ResNet18")
    assert list(window.weights) == list(original.state_dict())  # layer2.0.conv1.weight…, as in PyTorch
    window._frame_graph()
    assert all(window.view.node_item(n) is not None for n in doc.nodes) and _cards_apart(window.view)
    assert window.view.node_item("layer1").repeat_text == "× 2"
    _shot(window, folder, "import-resnet18-top.png")

    double_click_card(window.view, "layer2")  # a stage: its two blocks, 0 and 1
    window.view.scene().clearSelection()
    window._frame_graph()
    assert window.blocks.bar.here == "Sequential_2" and _cards_apart(window.view)
    assert [n.type for n in window.view.editor.doc.nodes.values()] == ["Input", "BasicBlock_2", "BasicBlock", "Output"]
    _shot(window, folder, "import-resnet18-stage.png")

    double_click_card(window.view, "0")  # the first block: the convolutions, the downsample and the skip
    window.view.scene().clearSelection()
    window._frame_graph()
    assert window.blocks.bar.here == "BasicBlock_2" and _cards_apart(window.view)
    assert window.view.node_item("conv1").shape_text == "(N, 128, 8, 8)"
    _shot(window, folder, "import-resnet18-block.png")


def test_the_imported_file_opens_laid_out(make_window, qtbot, tmp_path, capsys):
    from netbuilder.cli import main

    graph = tmp_path / "resnet18.json"
    assert main(["import", f"{RESNET18}:ResNet18", "--input-shape", "3,64,64", "-o", str(graph)]) == 0
    capsys.readouterr()
    window = make_window()
    window.resize(1400, 800)
    assert window.open_path(str(graph)) and window.weights is not None
    activate(qtbot, window)
    qtbot.waitUntil(lambda: window.editor.core_loaded)
    assert window.editor.report.ok and _cards_apart(window.view)
    for stage, block in (("layer2", "0"), ("layer1", None)):
        double_click_card(window.view, stage)
        assert _cards_apart(window.view)
        if block:
            double_click_card(window.view, block)
            assert _cards_apart(window.view) and len(window.view.editor.doc.nodes) == 10  # BasicBlock_2
            window.blocks.leave()
        window.blocks.leave()
