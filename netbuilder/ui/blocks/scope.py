"""The scope the canvas edits: the top document or one block definition.

Like Blender's node groups, the canvas shows one graph at a time. A
:class:`ScopeEditor` is an :class:`~netbuilder.ui.editor.Editor` whose
``doc`` is the graph on show: the canvas and the inspector are handed one, so
every gesture they know (add, wire, delete, paste, move, set a parameter)
edits a block definition as readily as the top document, through the same
undo stack as the rest of the window. The undo commands name the block they
edit, not its object (:mod:`netbuilder.ui.commands`), so undo finds it again
whatever happened to the blocks meanwhile.

The way in is kept as a path of :class:`Step` s (the instance double-clicked
and its block), which the breadcrumb shows: ``resnet18 › layer2 ›
BasicBlock``. When an undo takes away a block the canvas shows, the canvas
goes back up to the nearest scope that still exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from ...core.document import Change, ChangeKind, GraphDocument
from ...core.report import ShapeReport
from ..editor import Editor
from .edits import BlockEdits
from .library import BlockLibrary


@dataclass(frozen=True)
class Step:
    """One level down: the instance entered (None when opened from elsewhere) and its block."""

    instance: str | None
    block: str


class ScopeEditor(BlockEdits, Editor):
    """The :class:`Editor` API over the graph the canvas shows, and the block edits."""

    scopeChanged = Signal()  # the canvas now shows another graph (the path changed)
    selectRequested = Signal(list)  # node ids to select after a block edit that made them
    pathRenamed = Signal()  # the same graph on show, its block renamed

    def __init__(self, top: Editor):
        QObject.__init__(self, top)  # not Editor.__init__: the document and undo stack are the top's
        self.top = top
        self.undo_stack = top.undo_stack
        self.path: list[Step] = []
        self.library = BlockLibrary()  # the built-in blocks and the user's folder
        self._shown: GraphDocument = top.doc
        self._inference = None  # core.shapes.ShapeInference of the block on show, on its own
        self._derived: tuple | None = None  # (top report, path, report) of the instance on show: :meth:`report`
        self._shown.subscribe(self._relay)
        top.documentChanged.connect(self._top_changed)
        top.shapesChanged.connect(self._follow_top)  # after each undo step, each load, PyTorch loaded

    # -- the graph on show ----------------------------------------------------
    @property
    def doc(self) -> GraphDocument:
        return self._shown

    @property
    def block(self) -> str | None:
        """The block definition on show, None at the top."""
        return self.path[-1].block if self.path else None

    @property
    def shapes(self):
        return self.top.shapes if not self.path else self._inference

    @property
    def report(self) -> ShapeReport:
        """Inside a block entered by an instance: that instance's inside, inferred
        with its arguments and the tensors it gets (a repeated one's first copy
        that fails, else its first), so the shapes and the failing node are
        those the instance has. Else the block on its own (its parameters'
        defaults, its Inputs' example shapes)."""
        if not self.path:
            return self.top.report
        found = self._instance_report()
        if found is not None:
            return found
        if self._inference is None:
            self._infer_shown()
        return self._inference.refresh() if self._inference is not None else ShapeReport.pending(self._shown.nodes)

    def _instance_report(self) -> ShapeReport | None:
        top = report = self.top.report
        if report.loading:
            return None
        if self._derived is not None and self._derived[0] is top and self._derived[1] == self.path:
            return self._derived[2]
        for step in self.path:
            info = report.nodes.get(step.instance) if step.instance is not None else None
            if info is None or info.block is None or not info.block.copies:
                return None
            copies = info.block.copies
            copy = next((c for c in copies if not c.ok), copies[0])
            report = ShapeReport(dict(copy.infos), list(copy.problems), list(copy.order), list(copy.outputs),
                                 list(copy.inputs))
        self._derived = (top, list(self.path), report)
        return report

    def load_core(self) -> None:
        self.top.load_core()

    @property
    def core_loaded(self) -> bool:
        return self.top.core_loaded

    def load(self, doc: GraphDocument) -> None:
        self.top.load(doc)

    def disconnect(self, edge) -> None:  # PySide resolves the name to QObject.disconnect otherwise
        Editor.disconnect(self, edge)

    # -- moving between scopes ----------------------------------------------------
    def enter(self, block: str, instance: str | None = None) -> None:
        """Show the definition of ``block``, one level below what is shown."""
        if block not in self.top.doc.blocks:
            raise KeyError(block)
        self._show([*self.path, Step(instance, block)])

    def leave(self) -> bool:
        """Go one level up; False at the top already."""
        if not self.path:
            return False
        self._show(self.path[:-1])
        return True

    def go_to(self, depth: int) -> None:
        """Show the scope ``depth`` levels below the top (0: the top document)."""
        if depth < len(self.path):
            self._show(self.path[:depth])

    def _show(self, path: list[Step]) -> None:
        self._shown.unsubscribe(self._relay)
        if self._inference is not None:
            self._inference.close()
            self._inference = None
        self.path = path
        self._shown = self.top.doc.blocks[path[-1].block] if path else self.top.doc
        self._shown.subscribe(self._relay)
        self._derived = None
        self.documentChanged.emit(Change(ChangeKind.RESET))
        self.scopeChanged.emit()
        self.shapesChanged.emit(self.report)

    def _infer_shown(self) -> None:
        if self.path and self._inference is None and self.top.core_loaded:
            from ...core.shapes import ShapeInference

            self._inference = ShapeInference(self._shown)

    # -- following the document ----------------------------------------------
    def _top_changed(self, change: Change) -> None:
        if change.kind == ChangeKind.RESET and self.path:  # another document (open, new, recover)
            self._show([])
        elif not self.path:
            self.documentChanged.emit(change)

    def _follow_top(self, _report) -> None:
        """After an undo step (or a load): the block on show may be gone or replaced; then shapes."""
        if self.path:
            blocks = self.top.doc.blocks
            renamed = next((name for name, d in blocks.items() if d is self._shown), self.block)
            if renamed != self.block:  # the block on show was renamed (or the rename undone)
                self.path[-1] = Step(self.path[-1].instance, renamed)
                self.pathRenamed.emit()
            kept = self._existing(self.path)
            if kept != self.path or blocks.get(self.block) is not self._shown:
                self._show(kept)
                return
        self.shapesChanged.emit(self.report)

    def _existing(self, path: list[Step]) -> list[Step]:
        """The longest start of ``path`` whose blocks all still exist."""
        blocks = self.top.doc.blocks
        kept = []
        for step in path:
            if step.block not in blocks:
                break
            kept.append(step)
        return kept

    def _relay(self, change: Change) -> None:
        if self.path:  # the top's own changes come through the top editor
            self.documentChanged.emit(change)

    # -- what the breadcrumb and banner say ----------------------------------------
    def crumbs(self) -> list[tuple[str, int, str]]:
        """The breadcrumb's parts: text, the depth a click on it shows, and the
        instance to select there (an instance's part shows the graph holding it)."""
        parts = [(self.top.doc.name, 0, "")]
        for depth, step in enumerate(self.path):
            if step.instance is not None:
                parts.append((step.instance, depth, step.instance))
            parts.append((step.block, depth + 1, ""))
        return parts
