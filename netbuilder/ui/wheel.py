"""Value widgets take the mouse wheel only when they have the keyboard focus.

Scrolling the Training settings or the Inspector with the wheel used to change
whatever spin box or combo box passed under the pointer (Batch size went from
32 to 42 unnoticed, issue 18). The usual Qt fix, applied once for the whole
application by an event filter: such widgets get focus by click or Tab only
(never by the wheel), and a wheel event reaching one without focus goes to the
scroll area around it instead, so the panel scrolls. (Handed on explicitly:
Qt passes an ignored wheel event to the parent only when it came from the
window system, and a forwarded one never.) The filter costs about a
microsecond per event.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox, QSlider

VALUE_WIDGETS = (QAbstractSpinBox, QComboBox, QSlider)  # not scroll bars: they should scroll


class WheelGuard(QObject):
    """The application-wide filter; see the module docstring."""

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind == QEvent.Type.Wheel:
            if isinstance(watched, VALUE_WIDGETS) and not watched.hasFocus():
                _scroll_around(watched, event)
                return True
        elif kind == QEvent.Type.Polish and isinstance(watched, VALUE_WIDGETS):
            if watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel must not give focus
        return False


def _scroll_around(widget, event: QWheelEvent) -> None:
    """Give ``event`` to the viewport of the nearest scroll area holding ``widget``."""
    parent = widget.parentWidget()
    while parent is not None and not (isinstance(parent, QAbstractScrollArea)
                                       and parent.viewport().isAncestorOf(widget)):
        parent = parent.parentWidget()
    if parent is None:
        return
    viewport = parent.viewport()
    where = event.globalPosition()
    QApplication.sendEvent(viewport, QWheelEvent(QPointF(viewport.mapFromGlobal(where.toPoint())), where,
                                                 event.pixelDelta(), event.angleDelta(), event.buttons(),
                                                 event.modifiers(), event.phase(), event.inverted()))


def install_wheel_guard(app: QApplication | None = None) -> WheelGuard:
    """Install the guard on ``app`` (the running application) once; returns it."""
    app = app or QApplication.instance()
    guard = app.findChild(WheelGuard)
    if guard is None:
        guard = WheelGuard(app)
        app.installEventFilter(guard)
    return guard
