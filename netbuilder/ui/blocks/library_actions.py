"""File → Save Block to Library…: the selected block (or the one on show) into the user's folder.

The folder is asked for once (:func:`ask_folder`, the seam tests replace)
and remembered; the palette lists the block under My library at once.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from ...core.block_library import save_to_library
from .library import set_user_folder, user_folder


def ask_folder(parent: QWidget) -> str | None:
    """The folder to keep the user's blocks in (asked the first time only)."""
    return QFileDialog.getExistingDirectory(parent, "Choose a folder for your block library") or None


def block_to_save(scoped, selected: list[str]) -> str | None:
    """The block a Save to Library means: the one selected instance's, else the one on show."""
    types = {scoped.doc.nodes[n].type for n in selected if scoped.doc.is_block(scoped.doc.nodes[n].type)}
    if len(types) == 1:
        return types.pop()
    return scoped.block if not selected else None


def save_block_to_library(window, scoped, selected: list[str]) -> Path | None:
    name = block_to_save(scoped, selected)
    tell = window.statusBar().showMessage
    if name is None:
        tell("Select a block node (or open a block) to save it to your library", 6000)
        return None
    folder = user_folder()
    if folder is None:
        chosen = ask_folder(window)
        if not chosen:
            return None
        folder = Path(chosen)
        set_user_folder(folder)
    try:
        path = save_to_library(scoped.top.doc, name, folder)
    except OSError as err:
        tell(f"Cannot save {name} to {folder}: {err.strerror or err}", 8000)
        return None
    scoped.library.reload()
    window.blocks.palette.refill()
    tell(f"Saved {name} to your library: {path}", 6000)
    return path
