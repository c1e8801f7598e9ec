"""Blocks in the main window: menus, the breadcrumb, entering and leaving.

``install_blocks(window)`` adds it all, so the window's own code only hands
its canvas and inspector a :class:`~.scope.ScopeEditor`:

- Edit → Group into Block… (Ctrl+G) opens a name prompt on the canvas;
  Ungroup Block (Ctrl+Shift+G), Open Block (Ctrl+Tab, or a double-click on
  an instance), Leave Block (Ctrl+Shift+Tab, Esc with nothing selected, or
  the breadcrumb), Make Block Unique; File → Save Block to Library….
- A right-click on an instance offers the same; a double-click on a problem
  inside a block in the Problems list opens the blocks down to its node.
- The breadcrumb bar over the canvas's top-left corner says where the canvas
  is and how many instances an edit there changes.

Every edit is one undo step of the window's undo stack (see
:mod:`.edits`); refusals go to the status bar, nothing waits on a dialog.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from ...core.errors import NetbuilderError
from ..canvas.node_item import NodeItem
from ..problems import NODE_ROLE
from .breadcrumb import BreadcrumbBar
from .name_prompt import NamePrompt
from .palette_section import BlocksSection
from .scope import ScopeEditor

BAR_MARGIN = 8


class BlockTools(QObject):
    """What :func:`install_blocks` added to one window."""

    def __init__(self, window, scoped: ScopeEditor):
        super().__init__(window)
        self.window, self.scoped, self.view = window, scoped, window.view
        self.bar = BreadcrumbBar(self.view)
        self.palette = BlocksSection(window.layer_palette, scoped)
        self.view.quick_add.more_specs = self._block_specs
        self.prompt = NamePrompt(self.view)
        self.prompt.accepted.connect(self._group_named)
        self.prompt.dismissed.connect(lambda: self.view.setFocus(Qt.FocusReason.PopupFocusReason))
        self.bar.depthChosen.connect(self._go_to)
        self.bar.makeUniqueRequested.connect(self.make_unique_entered)
        self.bar.leave_button.clicked.connect(self.leave)
        self.actions: dict[str, QAction] = {}
        self._build_actions()
        self._shown: tuple = ()  # the path on show
        self._cameras: dict[tuple, tuple] = {}  # path -> (transform, centre) of a graph left
        scoped.scopeChanged.connect(self._scope_changed)
        scoped.selectRequested.connect(self.view.select_nodes)
        scoped.pathRenamed.connect(self._path_renamed)
        scoped.documentChanged.connect(self._refresh_bar)
        self._viewport = self.view.viewport()
        self._viewport.installEventFilter(self)
        self.view.installEventFilter(self)
        scoped.top.documentChanged.connect(self._forget_cameras)
        window.problems.itemActivated.connect(self._open_problem)
        self._refresh_bar()

    # -- actions ----------------------------------------------------------------
    def _build_actions(self) -> None:
        specs = (
            ("group", "&Group into Block…", self.start_group, ("Ctrl+G",),
             "Turn the selected nodes into one block node (you name the block type)"),
            ("ungroup", "U&ngroup Block", self.ungroup_selection, ("Ctrl+Shift+G",),
             "Put the selected block's inside back in its place"),
            ("open_block", "&Open Block", self.open_selection, ("Ctrl+Tab",),
             "Show the selected block's inside (or double-click it)"),
            ("leave_block", "&Leave Block", self.leave, ("Ctrl+Shift+Tab",),
             "Back to the graph holding this block (or Esc with nothing selected)"),
            ("make_unique", "Make Block &Unique", self.make_unique_selection, (),
             "Give the selected instance a copy of its block of its own"),
            ("save_block", "Save &Block to Library…", self.save_to_library, (),
             "Save the selected block (or the one shown) to your block library"),
        )
        for key, text, slot, keys, tip in specs:
            action = QAction(text, self.window)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setStatusTip(tip)
            action.setToolTip(tip)
            action.triggered.connect(lambda _=False, s=slot: s())
            self.window.addAction(action)
            self.actions[key] = action
        menus = self.window.action_set.menus
        edit = menus["Edit"]
        edit.addSeparator()
        for key in ("group", "ungroup", "open_block", "leave_block", "make_unique"):
            edit.addAction(self.actions[key])
        file_menu = menus["File"]
        export = self.window.action_set["export"]
        file_menu.insertAction(export, self.actions["save_block"])

    def _block_specs(self) -> list:
        """What Tab's quick-add offers besides layers: the document's blocks, then the libraries'."""
        doc, shown = self.scoped.top.doc, self.scoped.block
        specs = [doc.spec_for(name) for name in doc.blocks  # a block never holds itself, even through another
                 if shown is None or (name != shown and shown not in doc.blocks_used_by(name))]
        return specs + [entry.spec for entry in self.scoped.library.entries() if entry.name not in doc.blocks]

    # -- the scope on show ------------------------------------------------------
    def _scope_changed(self) -> None:
        """Another graph on the canvas: the view of one seen before comes back as it was
        left (going back up), a new one is framed as opening a file frames it."""
        self.prompt.close_prompt()
        self.actions["leave_block"].setEnabled(bool(self.scoped.path))
        self._refresh_bar()
        view = self.view  # the scene changed, the view not yet: it still looks at the graph left
        self._cameras[self._shown] = (view.transform(), view.mapToScene(view.viewport().rect().center()))
        self._shown = tuple(self.scoped.path)
        camera = self._cameras.pop(self._shown, None)
        if camera is None:
            self.window._frame_graph()
        else:
            self.view.setTransform(camera[0])
            self.view.centerOn(camera[1])

    def _path_renamed(self) -> None:
        self._shown = tuple(self.scoped.path)
        self._refresh_bar()

    def _forget_cameras(self, change) -> None:
        if change.kind == "reset":  # another document
            self._cameras.clear()

    def _refresh_bar(self, *_) -> None:
        scoped = self.scoped
        banner, can_unique = "", False
        if scoped.path:
            count = scoped.instance_count(scoped.block)
            banner = f"{count} instance{'s' if count != 1 else ''} use{'s' if count == 1 else ''} this block"
            can_unique = count > 1 and scoped.path[-1].instance is not None
        self.bar.show_path(scoped.crumbs(), banner, can_unique)
        self.bar.adjustSize()
        self.bar.move(BAR_MARGIN, BAR_MARGIN)
        self.bar.raise_()

    def _go_to(self, depth: int, instance: str) -> None:
        self.scoped.go_to(depth)
        if instance and instance in self.scoped.doc.nodes:
            self.view.center_on_node(instance)

    def enter(self, node_id: str) -> bool:
        """Show the inside of block instance ``node_id`` of the graph on show."""
        node = self.scoped.doc.nodes.get(node_id)
        if node is None or node.type not in self.scoped.top.doc.blocks:
            return False
        self.scoped.enter(node.type, node_id)
        self.view.setFocus()
        return True

    def leave(self) -> None:
        """Back up one level, the instance come in by selected."""
        step = self.scoped.path[-1] if self.scoped.path else None
        if self.scoped.leave() and step.instance in self.scoped.doc.nodes:
            self.view.select_nodes([step.instance])

    def _open_problem(self, item) -> None:
        """A problem inside a block double-clicked (or Enter) in the Problems list: open the
        blocks down to the node it is about, and select that node."""
        node_id = item.data(NODE_ROLE)
        report = self.scoped.top.report
        problem = next((p for p in report.problems_of(node_id) if p.message == item.text()), None) if node_id else None
        if problem is None or not problem.inner:
            return
        self.scoped.go_to(0)
        for instance in (node_id, *problem.inner[:-1]):
            if not self.enter(instance):
                return
        self.view.center_on_node(problem.inner[-1])

    def open_selection(self) -> None:
        ids = self.view.selected_node_ids()
        if len(ids) != 1 or not self.enter(ids[0]):
            self._tell("Select one block node to open it")

    # -- edits ------------------------------------------------------------------
    def start_group(self) -> None:
        ids = self.view.selected_node_ids()
        if not ids:
            self._tell("Select the nodes to group into a block first")
            return
        if self.view.locked:
            self._tell("The graph is locked while training; stop training to change it.")
            return
        problem = self.scoped.check_group(ids)
        if problem:
            self._tell(problem)
            return
        self._grouping = ids
        where = self.view.mapFromScene(self.view.scene().nodes[ids[0]].sceneBoundingRect().topLeft())
        self.prompt.open_at(where - QPoint(0, 10), f"Group {len(ids)} node{'s' if len(ids) != 1 else ''} "
                            "into a block named:", self.scoped.fresh_block_name(), self.scoped.check_block_name)

    def _group_named(self, name: str) -> None:
        ids, self._grouping = self._grouping, []
        if self._attempt(lambda: self.scoped.group(ids, name)):
            self._tell(f"Grouped {len(ids)} nodes into {name} (double-click it to open; Ctrl+Shift+G ungroups)")
        self.view.setFocus()

    def ungroup_selection(self) -> None:
        ids = [i for i in self.view.selected_node_ids() if self.scoped.doc.nodes[i].type in self.scoped.top.doc.blocks]
        if len(ids) != 1:
            self._tell("Select one block node to ungroup it")
            return
        if not self.view.locked:
            self._attempt(lambda: self.scoped.ungroup(ids[0]))
        else:
            self._tell("The graph is locked while training; stop training to change it.")

    def make_unique_selection(self) -> None:
        ids = self.view.selected_node_ids()
        if len(ids) != 1 or self.scoped.doc.nodes[ids[0]].type not in self.scoped.top.doc.blocks:
            self._tell("Select one block node to give it a block of its own")
            return
        self._make_unique(ids[0])

    def make_unique_entered(self) -> None:
        """From the breadcrumb's button: the instance come in by gets its own copy, shown now."""
        step = self.scoped.path[-1]
        self.scoped.leave()
        name = self._make_unique(step.instance)
        if name:
            self.scoped.enter(name, step.instance)

    def _make_unique(self, node_id: str) -> str | None:
        name = self._attempt(lambda: self.scoped.make_unique(node_id))
        if name:
            self._tell(f"{node_id} now uses {name}, a copy of its block of its own")
        return name

    def save_to_library(self) -> None:
        from .library_actions import save_block_to_library

        save_block_to_library(self.window, self.scoped, self.view.selected_node_ids())

    def _attempt(self, edit):
        try:
            return edit()
        except NetbuilderError as err:
            self._tell(str(err))
            return None

    def _tell(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 6000)

    # -- mouse and keys on the canvas ------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Double-click and right-click on an instance, Esc to leave, and the bar's place.
        The event's type is looked at first: while the window is being destroyed the
        canvas gets other events, and must not be asked anything then."""
        kind = event.type()
        if kind == QEvent.Type.MouseButtonDblClick and watched is self._viewport:
            item = self._instance_at(event.position().toPoint()) if event.button() == Qt.MouseButton.LeftButton \
                else None
            return item is not None and self.enter(item.node_id)
        if kind == QEvent.Type.ContextMenu and watched is self._viewport:
            item = self._instance_at(event.pos())
            if item is not None:
                self._instance_menu(item.node_id, event.globalPos())
            return item is not None
        if kind == QEvent.Type.KeyPress and watched is self.view:
            if (event.key() == Qt.Key.Key_Escape and not event.modifiers() and self.scoped.path
                    and not self.view.scene().selectedItems()):
                self.leave()
                return True
        elif kind == QEvent.Type.Resize and watched is self.view:
            self._refresh_bar()
        return False

    def _instance_at(self, pos: QPoint) -> NodeItem | None:
        item = self.view.scene().node_at(self.view.mapToScene(pos))
        if item is None or self.scoped.doc.nodes[item.node_id].type not in self.scoped.top.doc.blocks:
            return None
        return item

    def _instance_menu(self, node_id: str, where: QPoint) -> None:
        if node_id not in self.view.selected_node_ids():
            self.view.select_nodes([node_id])
        menu = QMenu(self.view)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        block = self.scoped.doc.nodes[node_id].type
        menu.addAction(f"Open {block}", partial(self.enter, node_id))
        menu.addAction("Ungroup", self.ungroup_selection)
        unique = menu.addAction("Make Unique", partial(self._make_unique, node_id))
        unique.setEnabled(self.scoped.instance_count(block) > 1)
        menu.addAction("Save Block to Library…", self.save_to_library)
        self.menu = menu
        menu.popup(where)


def install_blocks(window, scoped: ScopeEditor) -> BlockTools:
    """Add blocks to ``window``, whose canvas and inspector edit through ``scoped``."""
    return BlockTools(window, scoped)
