"""Journey 13, first part: Preview on, every node shows a real sample's output; edits redraw it.

Driven through the real widgets: the tool-bar toggle, the sample picker's
combo box and spin box, the inspector's field, the pointer resting on a
picture. The pictures come from the real preview process.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from journey_helpers import choose, click_tool, menu_action
from PySide6.QtCore import QPoint
from test_inspector import select, type_into

from netbuilder.ui.preview.item import PreviewItem

pytestmark = pytest.mark.timeout(120)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WAIT_MS = 60_000  # the first preview starts a process that loads PyTorch


@pytest.fixture
def window(make_window):
    window = make_window()
    window.open_example(EXAMPLES / "digits_cnn.json")
    yield window
    window.preview.layer.close()


def wait_for_result(qtbot, layer, after=None):
    """Until a preview newer than ``after`` has been drawn."""
    number = after.number if after is not None else 0
    qtbot.waitUntil(lambda: layer.result is not None and layer.result.number > number, timeout=WAIT_MS)
    return layer.result


def test_preview_on_shows_every_node_edits_redraw_and_off_clears(window, qtbot):
    hook = window.preview
    assert menu_action(window.action_set.menus["View"], "Preview") is hook.action
    click_tool(qtbot, window, hook.action)
    assert hook.action.isChecked() and hook.picker.isVisible()
    first = wait_for_result(qtbot, hook.layer)
    doc = window.editor.doc
    items = {node_id: hook.layer.item(node_id) for node_id in doc.nodes}
    assert all(isinstance(item, PreviewItem) and item.picture is not None for item in items.values())
    assert first.sample.startswith("digits sample 1 of") and hook.picker.label.text().startswith("label: ")
    assert items["fc2"].picture.labels == [str(d) for d in range(10)]

    type_into(qtbot, select(window, "conv1").fields["out_channels"].widget, "8")  # an edit in the inspector
    edited = wait_for_result(qtbot, hook.layer, first)
    assert hook.layer.item("conv1").picture.channels == 8
    assert hook.layer.item("image").picture is edited.pictures["image"]

    window.view.setFocus()
    click_tool(qtbot, window, hook.action)  # off: the pictures go
    assert not hook.action.isChecked() and not hook.picker.isVisible()
    assert not hook.layer.items()


def test_the_sample_picker_chooses_a_sample_or_a_random_tensor(window, qtbot):
    hook = window.preview
    hook.set_enabled(True)
    first = wait_for_result(qtbot, hook.layer)
    image = first.pictures["image"].data
    type_into(qtbot, hook.picker.number, "7")
    seventh = wait_for_result(qtbot, hook.layer, first)
    assert seventh.sample.startswith("digits sample 7 of")
    assert not np.array_equal(seventh.pictures["image"].data, image)
    assert hook.picker.label.text() == f"label: {seventh.sample.rpartition(': ')[2]}"
    choose(hook.picker.source, "Random tensor")
    random = wait_for_result(qtbot, hook.layer, seventh)
    assert random.sample == "random tensor" and not hook.picker.number.isEnabled()
    assert hook.picker.label.text() == ""
    assert random.pictures["image"].stats["min"] < 0  # normal noise, not pixels in [0, 1]


def test_resting_on_a_picture_shows_the_larger_view(window, qtbot):
    hook = window.preview
    hook.set_enabled(True)
    wait_for_result(qtbot, hook.layer)
    item = hook.layer.item("relu1")
    view = window.view
    view.centerOn(item)
    spot = view.mapFromScene(item.mapToScene(item.boundingRect().center()))
    qtbot.mouseMove(view.viewport(), spot + QPoint(1, 1))
    qtbot.mouseMove(view.viewport(), spot)
    qtbot.waitUntil(hook.layer.popup.isVisible, timeout=5000)
    text = "\n".join(hook.layer.popup.lines)
    assert "relu1" in text and "zeros" in text and "NaN 0" in text and "random weights" in text
    qtbot.mouseMove(view.viewport(), QPoint(2, 2))
    qtbot.waitUntil(lambda: not hook.layer.popup.isVisible(), timeout=5000)


def test_a_drag_moves_the_picture_with_its_card(window, qtbot):
    hook = window.preview
    hook.set_enabled(True)
    result = wait_for_result(qtbot, hook.layer)
    card = window.view.scene().nodes["pool"]
    item = hook.layer.item("pool")
    before = item.scenePos()
    card.setPos(card.pos().x() + 100, card.pos().y())
    assert item.scenePos().x() == before.x() + 100
    window.view.scene().commit_moves()
    assert window.editor.doc.nodes["pool"].pos[0] == card.pos().x()
    assert not hook.layer._soon.isActive() and hook.layer.client.sent == 1  # a move asks for no new preview
    assert hook.layer.result is result
