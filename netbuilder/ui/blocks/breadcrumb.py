"""The bar above the canvas: where the canvas is (``resnet18 › layer2 ›
BasicBlock``) and, inside a block, how many instances an edit changes.

Each part of the path is a flat button: a click goes back up to that level
(an instance's name goes to the graph holding it, with it selected). The bar
is hidden at the top of a document, where there is nowhere to go back to.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

SEPARATOR = "›"


class BreadcrumbBar(QFrame):
    """The path into nested blocks, and a banner about the block on show."""

    depthChosen = Signal(int, str)  # the depth to show, and the instance to select there ("" for none)
    makeUniqueRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("breadcrumb")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setStyleSheet("QFrame#breadcrumb { background: palette(base); border: 1px solid palette(mid); "
                           "border-radius: 6px; }")  # the theme's colours, whichever is on
        self._row = QHBoxLayout()
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(2)
        self.banner = QLabel(objectName="blockBanner")
        self.banner.setProperty("role", "muted")
        self.make_unique = QPushButton("Make unique", objectName="makeUnique")
        self.make_unique.setToolTip("Give the instance you came in by a copy of this block of its own, "
                                    "so edits here change only it")
        self.make_unique.clicked.connect(self.makeUniqueRequested)
        self.leave_button = QToolButton(text="Leave block", objectName="leaveBlock")
        self.leave_button.setToolTip("Back to the graph holding this block (Esc with nothing selected, "
                                     "or Ctrl+Shift+Tab)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 8, 3)
        layout.setSpacing(10)
        layout.addLayout(self._row)
        layout.addStretch(1)
        layout.addWidget(self.banner)
        layout.addWidget(self.make_unique)
        layout.addWidget(self.leave_button)
        self.buttons: list[QToolButton] = []  # the parts a click goes back to (all but the last)
        self.here = ""  # the last part: where the canvas is
        self.hide()

    def show_path(self, crumbs: list[tuple[str, int, str]], banner: str, can_make_unique: bool) -> None:
        """``crumbs``: (text, depth a click goes to, instance to select there); the
        last part is where the canvas is and cannot be clicked."""
        while self._row.count():
            widget = self._row.takeAt(0).widget()
            widget.hide()  # at once: deleted later, it would still be painted meanwhile
            widget.deleteLater()
        self.buttons = []
        for i, (text, depth, instance) in enumerate(crumbs):
            if i:
                self._row.addWidget(QLabel(SEPARATOR))
            if i == len(crumbs) - 1:  # where the canvas is
                here = QLabel(f"<b>{text}</b>", objectName="crumbHere")
                self._row.addWidget(here)
                continue
            button = QToolButton(text=text, autoRaise=True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setToolTip("Back to the top of the document" if not i else
                              f"Back to the graph holding {text}" if instance else f"Back into {text}")
            button.clicked.connect(lambda _=False, d=depth, n=instance: self.depthChosen.emit(d, n))
            self._row.addWidget(button)
            self.buttons.append(button)
        self.here = crumbs[-1][0]
        for i in range(self._row.count()):  # a layout shows new children only once the event loop turns
            self._row.itemAt(i).widget().show()
        self.banner.setText(banner)
        self.banner.setVisible(bool(banner))
        self.make_unique.setVisible(can_make_unique)
        self.setVisible(len(crumbs) > 1)
