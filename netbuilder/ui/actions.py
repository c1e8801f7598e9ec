"""The main window's menus, tool bar and shortcuts, declared as one table.

Each action names what it calls on the window (``"save"``) or on its view
(``"view.fit_view"``), so the window holds behaviour and this module holds
only layout. Single-key shortcuts (F, L, Delete) belong to the canvas: they fire only
while it has focus, so typing "l" in the palette search or pressing Delete
in the problems list never rearranges or deletes nodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QSizePolicy, QToolBar, QWidget

from . import files, theme


@dataclass(frozen=True)
class ActionSpec:
    key: str
    text: str
    target: str  # window method, or "view.method"
    shortcuts: tuple[str, ...] = ()
    icon: str | None = None
    tip: str = ""
    checkable: bool = False  # the target then receives the checked state
    canvas_key: bool = False  # the shortcut works only while the canvas has focus


ACTIONS = (
    ActionSpec("new", "&New", "new_graph", ("Ctrl+N",), "new", "Start an empty graph"),
    ActionSpec("open", "&Open…", "open_dialog", ("Ctrl+O",), "open", "Open a graph file"),
    ActionSpec("import_model", "&Import PyTorch Model…", "import_model", (), None,
               "Turn an nn.Module class from a .py file into a graph, with its weights"),
    ActionSpec("save", "&Save", "save", ("Ctrl+S",), "save", "Save the graph"),
    ActionSpec("save_as", "Save &As…", "save_as", ("Ctrl+Shift+S",), None, "Save the graph under a new name"),
    ActionSpec("export", "&Export Python…", "show_export", ("Ctrl+E",), "export",
               "Read and save the model as PyTorch code"),
    ActionSpec("quit", "&Quit", "quit_app", ("Ctrl+Q",), tip="Close every window (each asks about unsaved work)"),
    ActionSpec("cut", "Cu&t", "cut", ("Ctrl+X",), "cut"),
    ActionSpec("copy", "&Copy", "copy", ("Ctrl+C",), "copy"),
    ActionSpec("paste", "&Paste", "paste", ("Ctrl+V",), "paste"),
    ActionSpec("duplicate", "D&uplicate", "duplicate", ("Ctrl+D",), "duplicate"),
    ActionSpec("delete", "&Delete", "view.delete_selection", ("Delete", "Backspace"), "delete", canvas_key=True),
    ActionSpec("select_all", "Select &All", "select_all", ("Ctrl+A",)),
    ActionSpec("quick_add", "&Add Layer…", "view.open_quick_add", (), "add-layer",
               "Add a layer by typing its name (or press Tab on the canvas)"),
    ActionSpec("connect", "Co&nnect Output To…", "view.open_connect", ("C",), None,
               "Wire the selected node's output to a node you pick by name", canvas_key=True),
    ActionSpec("fit", "&Fit Graph", "view.fit_view", ("F",), "fit", "Show the whole graph", canvas_key=True),
    ActionSpec("layout", "Auto-&Layout", "scoped.auto_layout", ("L",), "layout", "Arrange the graph left to right",
               canvas_key=True),
    ActionSpec("zoom_in", "Zoom &In", "view.zoom_in", ("Ctrl++", "Ctrl+="), "zoom-in"),
    ActionSpec("zoom_out", "Zoom &Out", "view.zoom_out", ("Ctrl+-",), "zoom-out"),
    ActionSpec("zoom_reset", "&Reset Zoom", "view.reset_zoom", ("Ctrl+0",), "zoom-reset"),
    ActionSpec("dark", "&Dark Theme", "set_dark", ("Ctrl+Shift+D",), "theme", "Switch between dark and light",
               checkable=True),
    ActionSpec("about", "&About netbuilder", "show_about"),
)

# "-" is a separator, "@name" a submenu filled when it opens.
MENUS = {
    "File": ("new", "open", "@recent", "@examples", "-", "import_model", "-", "save", "save_as", "-", "export", "-",
             "quit"),
    "Edit": ("undo", "redo", "-", "cut", "copy", "paste", "duplicate", "delete", "-", "select_all", "-", "quick_add",
             "connect"),
    "View": ("fit", "layout", "-", "zoom_in", "zoom_out", "zoom_reset", "-", "dark", "-", "@panels"),
    "Help": ("about",),
}
TOOLBAR = ("new", "open", "save", "-", "undo", "redo", "-", "quick_add", "fit", "layout", "zoom_in", "zoom_out",
           "-", "export")


class WindowActions:
    """Builds and owns the QActions, menus and tool bar of one window."""

    def __init__(self, window: QMainWindow):
        self.window = window
        self.actions: dict[str, QAction] = {}
        self.menus: dict[str, QMenu] = {}
        for spec in ACTIONS:
            self._add(spec)
        self._add_undo_redo()
        self.actions["dark"].setIconVisibleInMenu(False)  # the menu shows its check mark instead
        self._build_menus()
        self._build_toolbar()

    def __getitem__(self, key: str) -> QAction:
        return self.actions[key]

    def _add(self, spec: ActionSpec) -> None:
        action = QAction(spec.text, self.window)
        action.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
        action.setProperty("icon_name", spec.icon)
        tip = spec.tip or spec.text.replace("&", "").rstrip("…")
        shortcut = f" ({QKeySequence(spec.shortcuts[0]).toString(QKeySequence.NativeText)})" if spec.shortcuts else ""
        action.setToolTip(tip + shortcut)
        action.setStatusTip(tip)
        action.setCheckable(spec.checkable)
        action.triggered.connect(partial(self._call, spec))
        if spec.canvas_key:
            action.setShortcutContext(Qt.WidgetWithChildrenShortcut)
            self.window.view.addAction(action)
        else:
            self.window.addAction(action)  # shortcuts work even with the menu bar hidden
        self.actions[spec.key] = action

    def _call(self, spec: ActionSpec, checked: bool = False) -> None:
        owner, _, name = spec.target.rpartition(".")
        method = getattr(getattr(self.window, owner) if owner else self.window, name)
        if spec.checkable:
            method(checked)
        else:
            method()

    def _add_undo_redo(self) -> None:
        stack = self.window.editor.undo_stack
        for key, action, keys in (
            ("undo", stack.createUndoAction(self.window, "&Undo"), ("Ctrl+Z",)),
            ("redo", stack.createRedoAction(self.window, "&Redo"), ("Ctrl+Shift+Z", "Ctrl+Y")),
        ):
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setProperty("icon_name", key)
            action.setToolTip(f"{key.title()} ({keys[0]})")
            self.window.addAction(action)
            self.actions[key] = action

    def _build_menus(self) -> None:
        bar = self.window.menuBar()
        for title, items in MENUS.items():
            menu = bar.addMenu(f"&{title}")
            self.menus[title] = menu
            for item in items:
                if item == "-":
                    menu.addSeparator()
                elif item.startswith("@"):
                    self._submenu(menu, item[1:])
                else:
                    menu.addAction(self.actions[item])

    def _submenu(self, parent: QMenu, name: str) -> None:
        title = {"recent": "Open &Recent", "examples": "E&xamples", "panels": "&Panels"}[name]
        menu = parent.addMenu(title)
        self.menus[name] = menu
        fill = {"recent": self._fill_recent, "examples": self._fill_examples, "panels": self._fill_panels}[name]
        menu.aboutToShow.connect(partial(fill, menu))

    def _fill_recent(self, menu: QMenu) -> None:
        menu.clear()
        paths = files.recent_files()
        for number, path in enumerate(paths, 1):
            action = menu.addAction(f"&{number % 10}  {Path(path).name}")
            action.setStatusTip(path)
            action.setToolTip(path)
            action.triggered.connect(partial(self.window.open_recent, path))
        if paths:
            menu.addSeparator()
            menu.addAction("Clear Recent Files", files.clear_recent)
        else:
            menu.addAction("No recent files").setEnabled(False)

    def _fill_examples(self, menu: QMenu) -> None:
        menu.clear()
        examples = files.example_files()
        for path in examples:
            action = menu.addAction(files.example_title(path))
            action.setStatusTip(str(path))
            action.triggered.connect(partial(self.window.open_example, path))
        if not examples:
            menu.addAction("No examples found").setEnabled(False)

    def _fill_panels(self, menu: QMenu) -> None:
        menu.clear()
        for dock in self.window.docks():
            menu.addAction(dock.toggleViewAction())

    def _build_toolbar(self) -> None:
        self.toolbar = QToolBar("Tool Bar", objectName="main_toolbar", movable=False, floatable=False)
        self.toolbar.setIconSize(QSize(20, 20))
        for item in TOOLBAR:
            if item == "-":
                self.toolbar.addSeparator()
            else:
                self.toolbar.addAction(self.actions[item])
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        self.spacer = self.toolbar.addWidget(spacer)
        self.toolbar.addAction(self.actions["dark"])
        self.window.addToolBar(self.toolbar)

    def retint(self, current: theme.Theme) -> None:
        """Redraw the icons in the theme's colours (after a theme switch)."""
        for action in self.actions.values():
            name = action.property("icon_name")
            if name:
                action.setIcon(theme.icon(name, current))
