"""Renders the main window after training the digits example, dark theme.

Always renders into a temporary file and checks the picture shows the curves,
the confusion matrix and node activity; with
``NETBUILDER_SCREENSHOT=docs/training-dark.png`` it writes the documentation
picture instead::

    NETBUILDER_SCREENSHOT=docs/training-dark.png pytest tests/ui/test_training_screenshot.py
"""

from __future__ import annotations

import os

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from test_training_support import digits_cnn, with_training

from netbuilder.ui import theme
from netbuilder.ui.training import install_training

pytestmark = pytest.mark.timeout(300)


def test_screenshot_of_a_trained_digits_cnn(make_window, qtbot, tmp_path):
    theme.apply_theme(QApplication.instance(), theme.DARK)
    window = make_window(show=False)
    window.resize(1600, 1000)
    window.show()
    qtbot.waitExposed(window)
    window.set_document(with_training(digits_cnn(), epochs=6, batch_size=32), None)
    window.view.set_theme(True)
    hook = install_training(window, runs_dir=tmp_path / "runs")
    assert not hook.has_dock  # built on first use
    with qtbot.waitSignal(hook.controller.ended, timeout=240_000):
        hook.actions["train"].trigger()  # the tool bar's Train button
        assert hook.dock.isVisible()
    assert hook.controller.error is None
    window.view.reset_zoom()
    window.view.zoom_out()
    nodes = list(window.editor.doc.nodes)
    window.view.center_on_node(nodes[len(nodes) // 3])  # the conv block, with its activity bars
    hook.dock.plots.flush()
    qtbot.wait(100)
    image = window.grab().toImage()
    target = os.environ.get("NETBUILDER_SCREENSHOT") or str(tmp_path / "training-dark.png")
    assert image.save(target)
    saved = QImage(target)
    assert saved.width() >= 1200 and saved.height() >= 800
    colours = {saved.pixel(x, y) for x in range(0, saved.width(), 7) for y in range(0, saved.height(), 7)}
    assert len(colours) > 200, "the picture is nearly blank"
    assert hook.dock.confusion.matrix.sum() > 0
    assert window.view.scene()._activity
