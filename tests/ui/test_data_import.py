"""The Import data dialog, clicked through: a CSV with one bad row (issue 18.9), image
folder defaults from the images and the graph, Enter in the path field (issue 18.8)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox
from test_training_support import small_cnn

from netbuilder.ui.editor import Editor
from netbuilder.ui.training.controller import TrainingController
from netbuilder.ui.training.data_picker import DataPicker
from netbuilder.ui.training.data_wizard import ImportDataDialog


def use_button(dialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


def test_a_csv_with_one_bad_row_offers_to_skip_it_and_the_button_never_does_nothing(qtbot, tmp_path):
    path = tmp_path / "table.csv"
    rows = [f"{i},{i * 2},{i % 2}\n" for i in range(199)]
    rows.insert(10, "7,oops,1\n")  # line 12 of the file
    path.write_text("a,b,label\n" + "".join(rows), encoding="utf-8")
    dialog = ImportDataDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.set_path(str(path))
    assert use_button(dialog).isEnabled()
    qtbot.mouseClick(use_button(dialog), Qt.MouseButton.LeftButton)
    assert not dialog.result() and dialog.isVisible()  # not accepted ...
    assert not use_button(dialog).isEnabled()  # ... and the button says so instead of doing nothing
    assert "line 12" in dialog.status.text() and "Skip bad rows (1 of 200)" in dialog.status.text()
    assert dialog.skip_bad.isVisible() and dialog.skip_bad.text() == "Skip bad rows (1 of 200)"
    assert "line 12" in use_button(dialog).toolTip()
    qtbot.waitUntil(lambda: dialog.skip_bad.width() > 100)  # laid out now that it is shown
    qtbot.mouseClick(dialog.skip_bad, Qt.MouseButton.LeftButton, pos=QPoint(8, dialog.skip_bad.height() // 2))
    assert dialog.skip_bad.isChecked() and use_button(dialog).isEnabled()
    qtbot.mouseClick(use_button(dialog), Qt.MouseButton.LeftButton)
    assert dialog.result() == ImportDataDialog.DialogCode.Accepted
    assert dialog.options() == {"target": "label", "skip_bad_rows": True} and len(dialog.dataset) == 199


def rgb_folder(tmp_path):
    from PIL import Image

    for label, colour in (("red", (200, 10, 10)), ("blue", (10, 10, 200))):
        folder = tmp_path / "pics" / label
        folder.mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (16, 16), colour).save(folder / f"{i}.png")
    return tmp_path / "pics"


def test_image_folder_defaults_come_from_the_images_and_enter_shows_the_options(qtbot, tmp_path):
    folder = rgb_folder(tmp_path)
    dialog = ImportDataDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.path_edit.setFocus()
    QTest.keyClicks(dialog.path_edit, str(folder))
    QTest.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    assert dialog.isVisible() and not dialog.result()  # Enter showed the options; it did not accept
    assert dialog.stack.currentIndex() == 3
    assert (dialog.img_height.value(), dialog.img_width.value()) == (16, 16)
    assert not dialog.grayscale.isChecked()
    assert dialog.check().input_shape == (3, 16, 16)


def test_image_folder_defaults_follow_the_graphs_input_node(qtbot, tmp_path, monkeypatch):
    folder = rgb_folder(tmp_path)
    doc = small_cnn()
    doc.nodes["input"].params["shape"] = [3, 24, 20]
    editor = Editor(doc)
    picker = DataPicker(editor, TrainingController(editor))
    qtbot.addWidget(picker)
    seen = {}

    def instead_of_exec(dialog):  # the picker's dialog is modal: look at it instead of waiting
        dialog.set_path(str(folder))
        seen.update(size=(dialog.img_height.value(), dialog.img_width.value()), grey=dialog.grayscale.isChecked())
        return ImportDataDialog.DialogCode.Rejected

    monkeypatch.setattr(ImportDataDialog, "exec", instead_of_exec)
    qtbot.mouseClick(picker.import_button, Qt.MouseButton.LeftButton)
    assert seen == {"size": (24, 20), "grey": False}
