"""The main window: palette, canvas, inspector and problems around one editor.

The window owns the document's life cycle (new, open, save, close, recover)
and wires the panels together; each panel is a view of the :class:`Editor`
and knows nothing of the others. Dialogs go through :mod:`.files` and
:meth:`MainWindow._ask_save_changes`, the seams tests answer.
"""

from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import QEvent, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QTransform
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMessageBox, QWidget

from ..core.document import DEFAULT_NAME, GraphDocument
from ..core.errors import GraphError, NetbuilderError
from ..core.fileformat import load_graph
from ..core.layout import layered_positions
from ..core.report import ShapeReport
from ..train.defaults import NEW_GRAPH_TRAINING
from . import clipboard, files, theme
from .actions import WindowActions
from .autosave import DEFAULT_INTERVAL_MS, Autosaver, Recovery
from .blocks import ScopeEditor, install_blocks
from .canvas import GraphView
from .canvas.node_item import HEADER as NODE_HEADER
from .canvas.node_item import WIDTH as NODE_WIDTH
from .editor import Editor
from .import_dialog import ImportModelDialog, read_weights, write_graph
from .inspector import Inspector
from .palette import LayerPalette
from .preview.install import install_preview
from .problems import ProblemsList
from .search.install import install_search
from .training import install_training
from .wheel import install_wheel_guard

APP_TITLE = "netbuilder"
UNTITLED = "untitled.json"
PROBLEMS_HEIGHT = 130  # the Problems list's height when nothing taller shares the bottom area
_GEOMETRY_KEY, _STATE_KEY = "window/geometry", "window/state"
READABLE_ZOOM = 0.75  # the canvas draws edge shape labels from 0.55 up; this reads comfortably


class MainWindow(QMainWindow):
    """One graph document in one window.

    With ``load_core_after_paint`` (the app's start-up) the window is shown before
    PyTorch loads: ``firstPainted`` is emitted once the canvas is on screen, then
    the editor loads shape inference and the shapes fill in.
    """

    firstPainted = Signal()

    def __init__(self, autosave_dir: Path | None = None, autosave_interval_ms: int = DEFAULT_INTERVAL_MS,
                 parent: QWidget | None = None, load_core_after_paint: bool = False):
        super().__init__(parent)
        install_wheel_guard()  # once per application: value widgets take the wheel only with focus
        self.editor = Editor(parent=self, load_core=not load_core_after_paint)
        self.scoped = ScopeEditor(self.editor)  # the graph on the canvas: the document or a block in it
        self.path: str | None = None  # where Save writes; None until saved or opened
        self.display_name = UNTITLED
        self.weights: dict | None = None  # imported or opened with the graph; Save writes them beside it
        self._export_dialog = None  # the Export dialog, once opened
        self._import_dialog: ImportModelDialog | None = None
        self._restored = False

        self.view = GraphView(self.scoped)
        self.setCentralWidget(self.view)
        self.layer_palette = LayerPalette()
        self.inspector = Inspector(self.scoped)
        self.problems = ProblemsList()
        self.palette_dock = self._dock("Layers", self.layer_palette, Qt.LeftDockWidgetArea)
        self.inspector_dock = self._dock("Inspector", self.inspector, Qt.RightDockWidgetArea)
        self.problems_dock = self._dock("Problems", self.problems, Qt.BottomDockWidgetArea)
        # the bottom panels (Training, Problems) span the whole width: at 1366×768 the training
        # panel's settings, curves and results need it more than the palette and Inspector do
        self.setCorner(Qt.BottomLeftCorner, Qt.BottomDockWidgetArea)
        self.setCorner(Qt.BottomRightCorner, Qt.BottomDockWidgetArea)

        self.action_set = WindowActions(self)
        self.blocks = install_blocks(self, self.scoped)  # Group into Block, the breadcrumb, the Blocks palette
        self.toolbar = self.action_set.toolbar
        self.action_set["dark"].setChecked(theme.current().dark)
        self.action_set.retint(theme.current())
        self._build_status_bar()
        self.autosaver = Autosaver(self.editor, lambda: self.path, autosave_dir, autosave_interval_ms, self)

        self.editor.shapesChanged.connect(self._show_report)
        self.editor.undo_stack.cleanChanged.connect(self._update_title)
        self.view.selectionChanged.connect(self._on_selection)
        self.view.message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.layer_palette.layerRequested.connect(self.add_layer_at_center)
        self.problems.nodeActivated.connect(self.reveal_node)
        self.problems.countChanged.connect(self._update_problems_title)
        self._restore_geometry()
        self._on_selection([])
        self._show_report(self.editor.report)
        self._update_title()
        self.training = install_training(self)  # Training panel, Train menu and tool-bar buttons
        self.search = install_search(self)  # Search panel and menu, the canvas's "varies" marks
        self.preview = install_preview(self)  # View → Preview: every node's output for a sample
        if load_core_after_paint:
            self.view.viewport().installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        """The canvas painted for the first time: now the slow parts (see ``firstPainted``)."""
        if event.type() == QEvent.Type.Paint and watched is self.view.viewport():
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._after_first_paint)
        return False

    def _after_first_paint(self) -> None:
        self.firstPainted.emit()
        self.editor.load_core()

    # -- layout ------------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self, objectName=f"{title.lower()}_dock")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def add_bottom_dock(self, dock: QDockWidget) -> None:
        """Add a panel as a tab beside Problems (the training dock goes here)."""
        if not dock.objectName():
            dock.setObjectName(f"{dock.windowTitle().lower()}_dock")
        self.addDockWidget(Qt.BottomDockWidgetArea, dock)
        self.tabifyDockWidget(self.problems_dock, dock)

    def add_toolbar_action(self, action) -> None:
        """Put an action on the tool bar before the theme switch at its right end."""
        self.toolbar.insertAction(self.action_set.spacer, action)

    def docks(self) -> list[QDockWidget]:
        return self.findChildren(QDockWidget)

    def _build_status_bar(self) -> None:
        self.status_labels = {key: QLabel() for key in ("nodes", "params", "output", "problems")}
        for label in self.status_labels.values():
            self.statusBar().addPermanentWidget(label)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._restored:  # docks added after construction are part of the saved state too
            self._restored = True
            self._restore_docks()
            self._fit_soon()
            self.view.setFocus()  # F, L and Delete work on the canvas straight away

    def _restore_geometry(self) -> None:
        """Size and place the window before it is shown, so the first fit of
        the graph sees the final canvas size."""
        geometry = QSettings().value(_GEOMETRY_KEY)
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1400, 850)

    def _restore_docks(self) -> None:
        state = QSettings().value(_STATE_KEY)
        if state is None or not self.restoreState(state):
            self.resizeDocks([self.palette_dock, self.inspector_dock], [230, 310], Qt.Horizontal)
            self.resizeDocks([self.problems_dock], [PROBLEMS_HEIGHT], Qt.Vertical)
        elif self.problems_dock.height() > 2 * PROBLEMS_HEIGHT and not self.training.has_dock:
            # the bottom area was saved as tall as the Training panel beside it; that panel is
            # built on first use, so without it the Problems list would take the canvas's room
            self.resizeDocks([self.problems_dock], [PROBLEMS_HEIGHT], Qt.Vertical)

    def _fit_soon(self) -> None:
        """Frame the graph once pending layout changes have given the canvas its size."""
        QTimer.singleShot(0, self._frame_graph)

    def _frame_graph(self) -> None:
        """Fit the whole graph, unless that shrinks it past reading: then show
        its start (inputs are on the left) at the smallest zoom where shape
        labels are still drawn. F fits everything."""
        bounds = self.view.scene().nodes_bounds()
        self.view.fit_view(bounds)
        if self.view.zoom() >= READABLE_ZOOM or not self.editor.doc.nodes:
            return
        self.view.setTransform(QTransform.fromScale(READABLE_ZOOM, READABLE_ZOOM))
        half_width = self.view.viewport().width() / READABLE_ZOOM / 2
        self.view.centerOn(bounds.left() - 40 + half_width, bounds.center().y())

    # -- what the window shows ---------------------------------------------------------------
    def _update_title(self, *_) -> None:
        star = "" if self.editor.undo_stack.isClean() else "*"
        self.setWindowTitle(f"{self.display_name}{star} — {APP_TITLE}")

    def _show_report(self, report: ShapeReport) -> None:
        count = len(self.editor.doc.nodes)
        if count:
            self.problems.show_report(report)
        else:
            self.problems.show_empty()
        labels = self.status_labels
        labels["nodes"].setText(f"{count} node{'s' if count != 1 else ''}")
        labels["params"].setText("loading PyTorch…" if report.loading else f"{report.total_params:,} parameters")
        outputs = [t.text() for t in report.output_types() if t is not None]
        labels["output"].setText("output " + (", ".join(outputs) if outputs and report.ok else "—"))
        errors, warnings = (len(report.errors), len(report.warnings)) if count else (0, 0)
        if not count:
            text = "empty graph"
        elif errors or warnings:
            text = ", ".join(f"{n} {word}{'s' if n != 1 else ''}" for n, word in
                             ((errors, "error"), (warnings, "warning")) if n)
        else:
            text = "no problems"
        labels["problems"].setText(text)
        labels["problems"].setProperty("role", "error" if errors else "warning" if warnings else "ok")
        labels["problems"].style().polish(labels["problems"])

    def _update_problems_title(self, errors: int, warnings: int) -> None:
        total = errors + warnings
        self.problems_dock.setWindowTitle(f"Problems ({total})" if total else "Problems")

    def _on_selection(self, node_ids: list[str]) -> None:
        self.inspector.show_selection(list(node_ids))
        for key in ("cut", "copy", "duplicate", "delete"):
            self.action_set[key].setEnabled(bool(node_ids))

    def reveal_node(self, node_id: str) -> None:
        """Select a node and bring it into view (from the problems list, which lists the document's)."""
        if node_id not in self.scoped.doc.nodes:
            self.scoped.go_to(0)
        if node_id in self.scoped.doc.nodes:
            self.view.select_nodes([node_id])
            self.view.center_on_node(node_id)

    def set_dark(self, dark: bool) -> None:
        current = theme.DARK if dark else theme.LIGHT
        theme.apply_theme(QApplication.instance(), current, remember=True)
        self.action_set.retint(current)
        self.action_set["dark"].setChecked(dark)
        self.view.set_theme(dark)

    # -- editing -----------------------------------------------------------------------------
    def add_layer_at_center(self, layer_type: str) -> None:
        """Add a layer whose header sits in the middle of the view (palette
        double-click or Enter), the way a drop places it under the pointer."""
        center = self.view.mapToScene(self.view.viewport().rect().center())
        taken = {node.pos for node in self.scoped.doc.nodes.values()}
        x, y = round(center.x() - NODE_WIDTH / 2), round(center.y() - NODE_HEADER / 2)
        while (x, y) in taken:  # repeated adds fan out instead of stacking
            x, y = x + 30, y + 30
        try:
            node_id = self.scoped.add_node(layer_type, (x, y))
        except NetbuilderError as err:  # a block that cannot go here (it would contain itself)
            self.statusBar().showMessage(str(err), 6000)
            return
        self.view.select_nodes([node_id])

    def copy(self) -> None:
        fragment = self.view.copy_selection()
        if fragment:
            clipboard.put_fragment(fragment)
            count = len(fragment.get("nodes", []))
            self.statusBar().showMessage(f"Copied {count} node{'s' if count != 1 else ''}", 3000)

    def cut(self) -> None:
        if self.view.copy_selection():
            self.copy()
            self.view.delete_selection()

    def paste(self) -> None:
        fragment = clipboard.take_fragment()
        if fragment is None:
            self.statusBar().showMessage("The clipboard holds no netbuilder nodes", 3000)
            return
        try:
            self.view.paste_fragment(fragment, at_pointer=True)
        except NetbuilderError as err:
            self.statusBar().showMessage(f"Cannot paste: {err}", 5000)

    def duplicate(self) -> None:
        fragment = self.view.copy_selection()
        if fragment:
            self.view.paste_fragment(fragment)

    def select_all(self) -> None:
        self.view.select_nodes(list(self.scoped.doc.nodes))

    def show_export(self) -> None:
        if self._export_dialog is None:
            from .export_dialog import ExportDialog  # with the code generator (and PyTorch)

            self.editor.load_core()
            self._export_dialog = ExportDialog(self.editor, self, trained=self.training.trained_checkpoint)
            self._export_dialog.destroyed.connect(lambda: setattr(self, "_export_dialog", None))
        self._export_dialog.show()
        self._export_dialog.raise_()

    def show_about(self) -> None:
        QMessageBox.about(self, "About netbuilder", "<b>netbuilder</b><p>Draw neural networks, see every tensor "
                          "shape live, train them and export plain PyTorch.</p>")

    # -- the document's life cycle ---------------------------------------------------------
    def set_document(self, doc: GraphDocument, path: str | None, display_name: str | None = None,
                     weights: dict | None = None) -> None:
        self.path = path  # first: what listens to the reset (the runs folder, autosave) asks for the new path
        self.weights = weights
        self.display_name = display_name or (Path(path).name if path else UNTITLED)
        self.editor.load(doc)
        self._update_title()
        self._fit_soon()

    def new_graph(self) -> None:
        if self.confirm_discard():
            doc = GraphDocument()
            doc.training = copy.deepcopy(NEW_GRAPH_TRAINING)  # settings that train a first CNN well
            self.set_document(doc, None)

    def open_dialog(self) -> None:
        if self.confirm_discard():
            path = files.ask_open_path(self)
            if path:
                self.open_path(path)

    def open_recent(self, path: str) -> None:
        if self.confirm_discard():
            self.open_path(path)

    def open_path(self, path: str) -> bool:
        """Open a graph file; on failure say why and keep the current document."""
        try:
            doc = load_graph(path)
        except GraphError as err:
            files.report_error(self, "Cannot open graph", str(err))
            return False
        weights, note = read_weights(doc, str(path))
        self.set_document(doc, str(path), weights=weights)
        files.remember_recent(str(path))
        if note:
            self.statusBar().showMessage(f"{Path(path).name}: {note}", 8000)
        return True

    def import_model(self) -> None:
        """File → Import PyTorch Model…: the dialog does the import; its result
        replaces the document only once it succeeded."""
        if not self.confirm_discard():
            return
        dialog = ImportModelDialog(self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.open_imported(dialog.result))
        dialog.destroyed.connect(lambda: setattr(self, "_import_dialog", None))
        self._import_dialog = dialog
        dialog.open()  # window-modal without blocking

    def open_imported(self, imported) -> None:
        """Show an ``interop.ImportedModel`` as new unsaved work, laid out, keeping its weights."""
        doc = imported.document
        for node_id, pos in layered_positions(doc, wrap=True).items():
            doc.nodes[node_id].pos = pos
        self.set_document(doc, None, f"{doc.name}.json", weights=imported.state_dict)
        self.editor.undo_stack.resetClean()  # nothing to undo, but unsaved
        self.autosaver.mark_unsaved()
        self._update_title()
        report = self.editor.report
        notes = f"; {len(imported.notes)} note(s): " + " · ".join(imported.notes) if imported.notes else ""
        blocks = f" and {len(doc.blocks)} block{'s' if len(doc.blocks) != 1 else ''} (double-click one to open it)" \
            if doc.blocks else ""
        self.statusBar().showMessage(
            f"Imported {doc.meta.get('imported_from', doc.name)}: {len(doc.nodes)} nodes{blocks}, "
            f"{report.total_params:,} parameters, weights kept (Save writes them beside the graph){notes}", 15000)

    def open_example(self, path: Path) -> bool:
        """Open a bundled example as untitled work, so Save never overwrites it."""
        if not self.confirm_discard():
            return False
        try:
            doc = load_graph(path)
        except GraphError as err:
            files.report_error(self, "Cannot open example", str(err))
            return False
        self.set_document(doc, None, Path(path).name)
        return True

    def recover(self, recovery: Recovery) -> None:
        """Show autosaved work from a session that died, marked unsaved."""
        original = recovery.original_path
        self.set_document(recovery.doc, original, Path(original).name if original else None)
        self.editor.undo_stack.resetClean()
        self.autosaver.mark_unsaved()
        self._update_title()
        recovery.discard()
        self.statusBar().showMessage("Recovered unsaved work from the last session", 8000)

    def save(self) -> bool:
        return self._write(self.path) if self.path else self.save_as()

    def save_as(self) -> bool:
        suggested = self.path or self.display_name
        path = files.ask_save_path(self, "Save graph as", suggested, files.GRAPH_FILTER)
        if not path:
            return False
        if not Path(path).suffix:
            path += ".json"
        return self._write(path)

    def _write(self, path: str) -> bool:
        doc, name = self.editor.doc, self.editor.doc.name
        if name == DEFAULT_NAME:  # named after its file: its runs folder and exported class follow
            doc.name = Path(path).stem or DEFAULT_NAME
        try:
            note, self.weights = write_graph(doc, self.weights, path)
        except OSError as err:
            doc.name = name
            files.report_error(self, "Cannot save graph", f"{path}: {err.strerror or err}")
            return False
        self.path, self.display_name = path, Path(path).name
        self.editor.undo_stack.setClean()
        self.autosaver.discard()
        files.remember_recent(path)
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}{note}", 6000)
        return True

    def quit_app(self) -> None:
        QApplication.closeAllWindows()

    def confirm_discard(self) -> bool:
        """True if the current document may be replaced or closed."""
        if self.editor.undo_stack.isClean():
            return True
        answer = self._ask_save_changes()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def _ask_save_changes(self) -> str:
        """'save', 'discard' or 'cancel' (the seam tests replace)."""
        answer = QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {self.display_name} before closing it?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        return {QMessageBox.Save: "save", QMessageBox.Discard: "discard"}.get(answer, "cancel")

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.confirm_discard():
            event.ignore()
            return
        settings = QSettings()
        settings.setValue(_GEOMETRY_KEY, self.saveGeometry())
        settings.setValue(_STATE_KEY, self.saveState())
        self.autosaver.close()
        event.accept()
