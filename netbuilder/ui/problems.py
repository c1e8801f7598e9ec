"""The problems list: every error and warning of the graph, one line each.

Fed by :attr:`Editor.shapesChanged`; clicking a problem asks the window to
select and centre its node (:attr:`ProblemsList.nodeActivated`), the way an
IDE jumps from a compiler message to the line.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from ..core.report import Problem, ShapeReport
from . import theme

NODE_ROLE = Qt.UserRole


class ProblemsList(QListWidget):
    """Errors first, then warnings, in graph order."""

    nodeActivated = Signal(str)
    countChanged = Signal(int, int)  # errors, warnings: for the dock title

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWordWrap(True)  # a long message wraps to the panel's width instead of scrolling sideways
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.itemClicked.connect(self._on_item)
        self.itemActivated.connect(self._on_item)
        self.show_report(None)

    def show_report(self, report: ShapeReport | None) -> None:
        self.clear()
        problems = sorted(report.problems if report else [], key=lambda p: p.severity != "error")
        for problem in problems:
            self.addItem(self._item(problem))
        if not problems:
            item = QListWidgetItem(theme.icon("ok"), "No problems: every shape checks out")
            item.setFlags(Qt.ItemIsEnabled)
            self.addItem(item)
        errors = sum(p.severity == "error" for p in problems)
        self.countChanged.emit(errors, len(problems) - errors)

    def show_empty(self) -> None:
        """A new, empty graph: nothing is wrong yet, so say how to start instead of an error."""
        self.clear()
        item = QListWidgetItem(theme.icon("add-layer"), "Empty graph: drag an Input and some layers from the "
                               "palette, or press Tab on the canvas")
        item.setFlags(Qt.ItemIsEnabled)
        self.addItem(item)
        self.countChanged.emit(0, 0)

    @staticmethod
    def _item(problem: Problem) -> QListWidgetItem:
        item = QListWidgetItem(theme.icon(problem.severity), problem.message)
        item.setToolTip(problem.message)
        item.setData(NODE_ROLE, problem.node_id)
        return item

    def problem_items(self) -> list[QListWidgetItem]:
        """The items that stand for a problem (not the 'no problems' line)."""
        return [self.item(i) for i in range(self.count()) if self.item(i).flags() & Qt.ItemIsSelectable]

    def _on_item(self, item: QListWidgetItem) -> None:
        node_id = item.data(NODE_ROLE)
        if node_id:
            self.nodeActivated.emit(node_id)
