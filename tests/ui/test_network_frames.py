"""A document with several disconnected networks frames and titles each one on the canvas."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt

from netbuilder.core.fileformat import load_graph
from netbuilder.ui.canvas import GraphView
from netbuilder.ui.editor import Editor

pytestmark = pytest.mark.timeout(60)
GAN = Path(__file__).resolve().parents[2] / "examples" / "gan_digits.json"


@pytest.fixture
def gan_view(qtbot):
    view = GraphView(Editor(load_graph(GAN)))
    qtbot.addWidget(view)
    view.resize(1500, 600)
    view.show()
    qtbot.waitExposed(view)
    view.fit_view()
    return view


def frame_rects(view):
    return {name: frame.rect for name, frame in view.scene().frames.frames.items()}


def test_each_network_is_framed_and_titled(gan_view, tmp_path):
    frames = frame_rects(gan_view)
    assert list(frames) == ["generator", "discriminator"]
    for name, rect in frames.items():
        for node_id in gan_view.scene().frames.frames[name].node_ids:
            assert rect.contains(gan_view.node_item(node_id).sceneBoundingRect())
    assert not frames["generator"].intersects(frames["discriminator"])
    gan_view.grab().save(str(tmp_path / "frames.png"))
    gan_view.grab().save("/tmp/gan-frames.png")


def test_a_frame_follows_its_nodes_when_they_are_dragged(gan_view, qtbot):
    before = frame_rects(gan_view)["generator"]
    card = gan_view.node_item("g_fc2")
    start = gan_view.mapFromScene(card.sceneBoundingRect().center())
    qtbot.mousePress(gan_view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(gan_view.viewport(), start + QPointF(0, -120).toPoint())
    qtbot.mouseRelease(gan_view.viewport(), Qt.MouseButton.LeftButton, pos=start + QPointF(0, -120).toPoint())
    after = frame_rects(gan_view)["generator"]
    assert after.top() < before.top() and after.contains(card.sceneBoundingRect())
    gan_view.editor.undo_stack.undo()
    assert frame_rects(gan_view)["generator"] == before


def test_frames_go_when_the_networks_join_and_come_back_on_undo(gan_view):
    editor = gan_view.editor
    editor.connect_ports("g_tanh", 0, "d_fc1", 0)  # the generator feeds the discriminator: one connected part
    assert frame_rects(gan_view) == {}
    editor.undo_stack.undo()
    assert list(frame_rects(gan_view)) == ["generator", "discriminator"]
