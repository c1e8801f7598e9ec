"""The palette's Blocks category: this graph's blocks, the built-in library, the user's.

Its items drag out and double-click like layers (a block's name under
``LAYER_MIME``): a library block the graph does not have yet comes in with its
first instance, in the same undo step (:meth:`ScopeEditor.add_node`). The
section follows the document (a block grouped, renamed, undone) and the
palette's search field.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QTreeWidgetItem

from ...core.layers.search import matches
from ...core.library import BLOCK_CATEGORY
from .. import theme
from ..palette import TYPE_ROLE, LayerPalette
from .scope import ScopeEditor

ORIGIN_ROLE = Qt.ItemDataRole.UserRole + 1  # "graph", "built-in" or "library"
GROUPS = (("graph", "In this graph"), ("built-in", "Built-in"), ("library", "My library"))


class BlocksSection(QObject):
    """The Blocks group at the end of the palette's tree, kept in step with the document."""

    def __init__(self, palette: LayerPalette, editor: ScopeEditor):
        super().__init__(palette)
        self.palette, self.editor = palette, editor
        self.root = QTreeWidgetItem(palette.tree, [BLOCK_CATEGORY])
        self.root.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = self.root.font(0)
        font.setBold(True)
        self.root.setFont(0, font)
        self.groups = {}
        for key, title in GROUPS:
            group = QTreeWidgetItem(self.root, [title])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.groups[key] = group
        self.items: dict[tuple[str, str], QTreeWidgetItem] = {}
        self._specs: dict[tuple[str, str], object] = {}
        editor.top.documentChanged.connect(self._on_change)
        palette.search.textChanged.connect(self._refilter)
        self.refill()

    def _on_change(self, change) -> None:
        if change.kind in ("reset", "blocks_changed") and getattr(change, "inner", None) is None:
            self.refill()

    def refill(self) -> None:
        """List every block again (the document's change; the library folder's)."""
        for group in self.groups.values():
            group.takeChildren()
        self.items.clear()
        self._specs.clear()
        doc = self.editor.top.doc
        for name in doc.blocks:
            self._add("graph", name, doc.spec_for(name))
        for entry in self.editor.library.entries():
            if entry.name not in doc.blocks:
                self._add(entry.origin, entry.name, entry.spec)
        self._refilter(self.palette.search.text())

    def _add(self, origin: str, name: str, spec) -> None:
        item = QTreeWidgetItem(self.groups[origin], [name])
        item.setData(0, TYPE_ROLE, name)
        item.setData(0, ORIGIN_ROLE, origin)
        item.setIcon(0, theme.category_icon(BLOCK_CATEGORY))
        where = {"graph": "this graph's block", "built-in": "built-in block", "library": "from your library"}[origin]
        ports = f"{len(spec.input_ids)} in, {len(spec.output_ids)} out"
        item.setToolTip(0, f"<b>{name}</b> · {where} · {ports}<br><i>{spec.doc}</i>")
        item.setStatusTip(0, f"{name}: {spec.doc}")
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
        self.items[(origin, name)] = item
        self._specs[(origin, name)] = spec

    def names(self, origin: str | None = None) -> list[str]:
        """The blocks listed (and not hidden by the search), of one origin or all."""
        return [name for (o, name), item in self.items.items()
                if (origin is None or o == origin) and not item.isHidden()]

    def _refilter(self, text: str) -> None:
        words = text.lower().split()
        for key, item in self.items.items():
            item.setHidden(not matches(self._specs[key], words))
        for group in self.groups.values():
            group.setHidden(all(group.child(i).isHidden() for i in range(group.childCount())))
        self.root.setHidden(all(group.isHidden() for group in self.groups.values()))
        self.root.setExpanded(True)
        for group in self.groups.values():
            group.setExpanded(True)
