"""Renders the digits CNN as a user first sees it.

Always renders into a temporary file and checks the picture is not blank;
with ``NETBUILDER_SCREENSHOT=docs/canvas.png`` it writes the documentation
picture instead (``QT_SCALE_FACTOR=2`` makes it sharp on hi-DPI screens)::

    QT_SCALE_FACTOR=2 NETBUILDER_SCREENSHOT=docs/canvas.png pytest tests/ui/test_canvas_screenshot.py
"""

from __future__ import annotations

import os

import pytest
from PySide6.QtGui import QImage

from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.layout import layered_positions
from netbuilder.ui.canvas import GraphView
from netbuilder.ui.editor import Editor

pytestmark = pytest.mark.timeout(60)

DIGITS_CNN = (
    ("Input", {"shape": [1, 8, 8]}),
    ("Conv2d", {"out_channels": 32, "kernel_size": 3, "padding": 1}),
    ("ReLU", {}),
    ("Conv2d", {"out_channels": 64, "kernel_size": 3, "padding": 1}),
    ("ReLU", {}),
    ("MaxPool2d", {"kernel_size": 2}),
    ("Dropout", {"p": 0.25}),
    ("Flatten", {}),
    ("Linear", {"out_features": 128}),
    ("ReLU", {}),
    ("Dropout", {"p": 0.5}),
    ("Linear", {"out_features": 10}),
)


def digits_cnn() -> GraphDocument:
    doc = GraphDocument("digits_cnn")
    prev = None
    for layer_type, params in DIGITS_CNN:
        node_id = doc.add_node(layer_type, params)
        if prev is not None:
            doc.connect(Edge(prev, node_id))
        prev = node_id
    for node_id, pos in layered_positions(doc).items():
        doc.move_node(node_id, pos)
    return doc


def test_screenshot_of_the_digits_cnn(qtbot, tmp_path):
    view = GraphView(Editor(digits_cnn()))
    qtbot.addWidget(view)
    view.resize(1600, 250)
    view.show()
    qtbot.waitExposed(view)
    view.set_theme(True)
    view.fit_view()
    view.select_nodes(["conv2d_2"])
    assert all(view.node_item(n).status == "ok" for n in view.editor.doc.nodes)
    assert view.node_item("linear_2").shape_text == "(N, 10)"
    path = os.environ.get("NETBUILDER_SCREENSHOT") or str(tmp_path / "canvas.png")
    assert view.grab().save(path)
    image = QImage(path)
    assert image.width() >= 1600
    colours = {image.pixel(x, image.height() // 2) for x in range(0, image.width(), 7)}
    assert len(colours) > 10  # cards and wires, not an empty canvas
