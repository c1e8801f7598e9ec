"""The mouse wheel scrolls panels; it changes a value only in the widget being edited (issue 18.4)."""

from __future__ import annotations

from journey_helpers import activate
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox


def wheel(widget, notches: int = -1) -> None:
    """One wheel turn with the pointer over ``widget``."""
    target = widget
    local = QPointF(target.rect().center())
    event = QWheelEvent(local, QPointF(target.mapToGlobal(local.toPoint())), QPoint(), QPoint(0, 120 * notches),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(target, event)


def test_scrolling_the_settings_over_batch_size_scrolls_and_leaves_it_alone(make_window, qtbot):
    window = make_window()
    window.resize(1366, 768)
    hook = window.training
    hook.show_panel()
    qtbot.waitExposed(hook.dock)
    form = hook.dock.settings
    batch, optimizer = form.widgets["batch_size"], form.widgets["optimizer.name"]
    form.ensureWidgetVisible(batch)
    before = (batch.value(), optimizer.currentText(), window.editor.doc.training)
    bar = form.verticalScrollBar()
    scrolled = bar.value()
    wheel(batch, notches=1)  # up: the form is scrolled down to Batch size
    wheel(optimizer, notches=1)
    assert (batch.value(), optimizer.currentText(), window.editor.doc.training) == before
    assert not batch.hasFocus() and not optimizer.hasFocus()
    if bar.maximum() > 0:
        assert bar.value() < scrolled  # the panel scrolled instead
    # once clicked (the user is editing it), the wheel steps the value, one undo step
    activate(qtbot, window)
    qtbot.mouseClick(batch, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(batch.hasFocus)
    wheel(batch, notches=1)
    assert batch.value() == before[0] + 1
    assert window.editor.doc.training["batch_size"] == before[0] + 1


def test_no_value_widget_in_the_window_takes_focus_from_the_wheel(make_window, qtbot):
    window = make_window()
    window.training.show_panel()
    qtbot.waitExposed(window.training.dock)
    widgets = window.findChildren(QAbstractSpinBox) + window.findChildren(QComboBox)
    assert len(widgets) > 10
    for widget in widgets:
        widget.ensurePolished()
        assert widget.focusPolicy() != Qt.FocusPolicy.WheelFocus, widget.objectName()
