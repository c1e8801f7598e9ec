"""Block libraries: the built-in one (``resources/blocks``) and the user's folder.

A library is a folder of graph files; every block defined in one is offered
by the palette. File → Save Block to Library… writes one file per block,
holding it and the blocks it uses, into the user's folder (asked once, then
remembered in QSettings). Files are read as any graph file is (nothing in
them runs); one that does not load is left out with its reason kept for the
status bar, never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

from ... import bundled
from ...core.document import GraphDocument
from ...core.errors import GraphError
from ...core.fileformat import load_graph, save_graph

BUILT_IN = bundled.folder("resources") / "blocks"
FOLDER_KEY = "blocks/library_folder"


@dataclass(frozen=True)
class LibraryBlock:
    """One block a library offers, with the file's document it comes from."""

    name: str
    origin: str  # "built-in" or "library"
    path: Path
    source: GraphDocument  # its ``blocks`` hold this block and those it uses

    @property
    def spec(self):
        return self.source.spec_for(self.name)

    def needed(self) -> list[str]:
        """This block and those it uses, each after the ones it uses."""
        order: list[str] = []

        def visit(name: str) -> None:
            if name in order:
                return
            for node in self.source.blocks[name].nodes.values():
                if node.type in self.source.blocks:
                    visit(node.type)
            order.append(name)

        visit(self.name)
        return order


def user_folder() -> Path | None:
    value = QSettings().value(FOLDER_KEY)
    return Path(value) if value else None


def set_user_folder(folder: Path) -> None:
    QSettings().setValue(FOLDER_KEY, str(folder))


class BlockLibrary:
    """The blocks of the built-in library and of the user's folder, read when first asked."""

    def __init__(self, built_in: Path = BUILT_IN):
        self.built_in = built_in
        self.problems: list[str] = []
        self._entries: list[LibraryBlock] | None = None

    def entries(self) -> list[LibraryBlock]:
        if self._entries is None:
            self.problems = []
            found: dict[str, LibraryBlock] = {}
            for origin, folder in (("built-in", self.built_in), ("library", user_folder())):
                for path in sorted(folder.glob("*.json")) if folder is not None and folder.is_dir() else ():
                    for entry in self._read(origin, path):
                        found.setdefault(entry.name, entry)
            self._entries = list(found.values())
        return self._entries

    def reload(self) -> None:
        self._entries = None

    def find(self, name: str) -> LibraryBlock | None:
        return next((entry for entry in self.entries() if entry.name == name), None)

    def _read(self, origin: str, path: Path) -> list[LibraryBlock]:
        try:
            doc = load_graph(path)
        except (GraphError, OSError) as err:
            self.problems.append(f"{path.name}: {err}")
            return []
        return [LibraryBlock(name, origin, path, doc) for name in doc.blocks]


def save_block(top: GraphDocument, name: str, folder: Path) -> Path:
    """Write block ``name`` of ``top`` (and the blocks it uses) to ``folder/name.json``."""
    out = GraphDocument(name)
    for block in [name, *sorted(top.blocks_used_by(name))]:  # files are read in the order blocks need
        out.blocks[block] = definition = top.blocks[block].copy()
        definition.name, definition.library = block, out
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    save_graph(out, path)
    return path
