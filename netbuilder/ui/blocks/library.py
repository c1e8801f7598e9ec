"""The palette's block libraries: the built-in one (``resources/blocks``) and the user's folder.

Reading, loading and saving library files is :mod:`netbuilder.core.block_library`'s;
this module adds where the user's folder is (asked once, then remembered in
QSettings) and the block types the palette and quick-add search. A file that
does not load is left out, its reason kept in :attr:`BlockLibrary.problems`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

from ...core.block_library import BUILTIN, list_library, plan_load, read_block
from ...core.blocks import Plan
from ...core.document import GraphDocument
from ...core.errors import GraphError

FOLDER_KEY = "blocks/library_folder"


@dataclass(frozen=True)
class LibraryEntry:
    """One block a library offers: its type (for search and tooltips) and its file."""

    name: str
    origin: str  # "built-in" or "library"
    path: Path
    spec: object  # the block's LayerSpec, as the file's own document resolves it


def user_folder() -> Path | None:
    value = QSettings().value(FOLDER_KEY)
    return Path(value) if value else None


def set_user_folder(folder: Path) -> None:
    QSettings().setValue(FOLDER_KEY, str(folder))


class BlockLibrary:
    """The blocks of the built-in library and of the user's folder, read when first asked."""

    def __init__(self, built_in: Path = BUILTIN):
        self.built_in = built_in
        self.problems: list[str] = []
        self._entries: list[LibraryEntry] | None = None

    def entries(self) -> list[LibraryEntry]:
        if self._entries is None:
            folder = user_folder()
            found = list_library([self.built_in, *([folder] if folder is not None else [])])
            self.problems = list(found.problems)
            self._entries = []
            for block in found.blocks:
                try:
                    spec = read_block(block.path).spec_for(block.name)
                except GraphError as err:  # changed on disk since it was listed
                    self.problems.append(str(err))
                    continue
                self._entries.append(LibraryEntry(block.name, "built-in" if block.builtin else "library",
                                                  block.path, spec))
        return self._entries

    def reload(self) -> None:
        self._entries = None

    def find(self, name: str) -> LibraryEntry | None:
        return next((entry for entry in self.entries() if entry.name == name), None)

    def plan(self, doc: GraphDocument, name: str) -> Plan:
        """The plan bringing block ``name`` (and the blocks it uses that ``doc`` lacks) into ``doc``."""
        return plan_load(doc, self.find(name).path)
