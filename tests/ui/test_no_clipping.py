"""Nothing in the window is cut off at 1366×768 or at the default size (issue 18.10, 14.3).

After a short run, with every tab of the Training panel shown in turn, each
label, button, check box, combo box, tab, progress text, Runs cell and the
confusion matrix's title is measured with its font metrics against the room
it has (tests/ui/clipping.py). With ``NETBUILDER_SHOTS=folder`` the window is
also saved there at each size and theme, for a person to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from clipping import clipped_texts
from PySide6.QtWidgets import QApplication
from test_training_support import digits_cnn, with_training

from netbuilder.ui import theme

MODELS = Path(__file__).parents[1] / "interop" / "models"

pytestmark = pytest.mark.timeout(300)


def test_no_text_is_clipped_at_1366x768_or_the_default_size(make_window, qtbot, tmp_path):
    window = make_window()
    default = (window.width(), window.height())
    window.set_document(with_training(digits_cnn(), epochs=2, batch_size=64), None)
    hook = window.training
    hook.controller.runs_dir = tmp_path / "runs"
    hook.show_panel()
    with qtbot.waitSignal(hook.controller.ended, timeout=240_000):
        hook.dock.train_button.click()
    assert hook.controller.error is None
    dock = hook.dock
    conv = next(n for n, node in window.editor.doc.nodes.items() if node.type == "Conv2d")
    window.view.select_nodes([conv])  # the Inspector shows a layer's fields too
    shots = os.environ.get("NETBUILDER_SHOTS")
    was_dark = theme.current().dark
    problems = []
    for dark in (True, False):
        window.set_dark(dark)
        for size in ((1366, 768), default):
            window.resize(*size)
            qtbot.wait(50)
            assert (window.width(), window.height()) == size, "the window cannot be made this small"
            for tab in range(2):
                dock.left.setCurrentIndex(tab)
                dock.right.setCurrentIndex(tab)
                QApplication.processEvents()
                problems += [f"{size} {'dark' if dark else 'light'}: {p}" for p in clipped_texts(window)]
                if shots and tab == 0:
                    name = f"window-{size[0]}x{size[1]}-{'dark' if dark else 'light'}.png"
                    window.grab().save(str(Path(shots) / name))
    window.set_dark(was_dark)
    assert not problems, "\n".join(problems)


def test_no_text_is_clipped_in_the_import_and_export_dialogs(make_window, qtbot):
    """Both dialogs at the size they open with, dark and light, once they show
    content: the export its code and summary, the import a chosen file's classes."""
    window = make_window()
    window.set_document(digits_cnn(), None)
    window.show_export()
    export = window._export_dialog
    qtbot.waitUntil(lambda: "class " in export.text.toPlainText())
    window.import_model()
    importer = window._import_dialog
    importer.set_path(str(MODELS / "mnist_cnn.py"))
    qtbot.waitUntil(lambda: importer.class_combo.count() > 0)
    was_dark = theme.current().dark
    problems = []
    for dark in (True, False):
        window.set_dark(dark)
        for dialog in (export, importer):
            QApplication.processEvents()
            problems += [f"{type(dialog).__name__} {'dark' if dark else 'light'}: {p}" for p in clipped_texts(dialog)]
            if os.environ.get("NETBUILDER_SHOTS"):
                name = f"{type(dialog).__name__}-{'dark' if dark else 'light'}.png"
                dialog.grab().save(str(Path(os.environ["NETBUILDER_SHOTS"]) / name))
    window.set_dark(was_dark)
    importer.reject()
    export.close()
    assert not problems, "\n".join(problems)


def test_no_text_is_clipped_in_the_gan_settings_and_view(make_window, qtbot, tmp_path):
    """The GAN example after a one-epoch run: its settings rows (scrolled through, top to
    bottom) and its view, at both sizes and in both themes."""
    window = make_window()
    default = (window.width(), window.height())
    assert window.open_path(str(Path(__file__).resolve().parents[2] / "examples" / "gan_digits.json"))
    hook = window.training
    hook.controller.runs_dir = tmp_path / "runs"
    hook.show_panel()
    dock = hook.dock
    dock.settings.widgets["epochs"].setValue(1)
    with qtbot.waitSignal(hook.controller.ended, timeout=240_000):
        dock.train_button.click()
    assert hook.controller.error is None
    dock.left.setCurrentIndex(0)
    bar = dock.settings.verticalScrollBar()
    shots = os.environ.get("NETBUILDER_SHOTS")
    was_dark = theme.current().dark
    problems = []
    for dark in (True, False):
        window.set_dark(dark)
        for size in ((1366, 768), default):
            window.resize(*size)
            qtbot.wait(50)
            for where in (0, bar.maximum() // 2, bar.maximum()):
                bar.setValue(where)
                QApplication.processEvents()
                problems += [f"{size} {'dark' if dark else 'light'} scrolled {where}: {p}"
                             for p in clipped_texts(window)]
                if shots:
                    name = f"gan-{size[0]}x{size[1]}-{'dark' if dark else 'light'}-{where}.png"
                    dock.grab().save(str(Path(shots) / name))
    window.set_dark(was_dark)
    assert not problems, "\n".join(problems)
