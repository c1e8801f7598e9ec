"""A scroll area that scrolls up and down only, and is never narrower than its page.

The Training settings and the Inspector hold forms of labels and fields in a
vertical scroll area. Given less width than the form needs, the page was either
cut off at the side (the Inspector) or scrolled sideways (the settings), which
at 1366×768 hid the ends of fields and labels (issue 18.10). Asking for the
page's minimum width as the area's own makes the dock or splitter around it
give that room instead.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QScrollArea, QWidget


class FittedScrollArea(QScrollArea):
    """See the module docstring."""

    def needed_width(self) -> int:
        """The width that shows the page's labels and fields whole, beside the scroll bar."""
        page = self.widget()
        content = page.minimumSizeHint().width() if page is not None else 0
        return content + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self.needed_width(), super().minimumSizeHint().height())

    def setWidget(self, widget: QWidget) -> None:  # noqa: N802 - Qt override
        super().setWidget(widget)
        self.updateGeometry()  # another page, another width: the dock asks again
