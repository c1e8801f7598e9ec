"""Autosave and crash recovery.

Each window's session writes its unsaved document every so often to its own
file in ``<AppDataLocation>/autosave/`` and holds a :class:`QLockFile` beside
it for as long as it lives. A clean save or close removes both. An autosave
whose lock nobody holds any more was left by a session that died (killed,
crashed, power cut), and the next start offers to bring it back; a live
session's lock keeps other windows from offering its work.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QStandardPaths, QTimer

from ..core.atomic import write_atomic
from ..core.document import GraphDocument
from ..core.errors import GraphError
from ..core.fileformat import document_from_dict
from .editor import Editor

AUTOSAVE_FORMAT = "netbuilder.autosave"
DEFAULT_INTERVAL_MS = 30_000


def autosave_dir() -> Path:
    return Path(QStandardPaths.writableLocation(QStandardPaths.AppDataLocation)) / "autosave"


def _lock_for(file: Path) -> QLockFile:
    lock = QLockFile(str(file.with_suffix(".lock")))
    lock.setStaleLockTime(0)  # only a dead owner makes a lock stale, never its age
    return lock


@dataclass
class Recovery:
    """An autosave left behind by a session that did not close cleanly.

    ``lock`` is held by this process from the moment it was found, so a second
    window starting now cannot offer the same work again.
    """

    file: Path
    original_path: str | None
    saved_at: str
    doc: GraphDocument
    lock: QLockFile

    def discard(self) -> None:
        self.file.unlink(missing_ok=True)
        self.lock.unlock()


def find_recoverable(directory: Path | None = None) -> list[Recovery]:
    """Autosaves whose session is gone, newest first. Unreadable ones are
    left where they are (never deleted: they may be someone's only copy)."""
    directory = directory or autosave_dir()
    found = []
    for file in directory.glob("*.json") if directory.is_dir() else ():
        lock = _lock_for(file)
        if not lock.tryLock(0):
            continue  # a live session owns it
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            doc = document_from_dict(data["graph"], str(file))
        except (OSError, ValueError, KeyError, TypeError, GraphError):
            lock.unlock()
            continue
        found.append(Recovery(file, data.get("path"), str(data.get("saved_at", "")), doc, lock))
    return sorted(found, key=lambda r: r.file.stat().st_mtime, reverse=True)


class Autosaver(QObject):
    """Writes the editor's document to this session's file while it is dirty.

    ``source_path`` tells it which file the document belongs to, so recovery
    can put the work back under its name.
    """

    def __init__(self, editor: Editor, source_path: Callable[[], str | None], directory: Path | None = None,
                 interval_ms: int = DEFAULT_INTERVAL_MS, parent: QObject | None = None):
        super().__init__(parent)
        self.editor = editor
        self.source_path = source_path
        self.directory = directory or autosave_dir()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.file = self.directory / f"session-{uuid.uuid4().hex[:12]}.json"
        self._lock = _lock_for(self.file)
        self._lock.tryLock(0)
        self._generation = 0
        self._written = 0
        editor.documentChanged.connect(self._count_change)
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.save_now)
        self.timer.start()

    def _count_change(self, _change) -> None:
        self._generation += 1

    def mark_unsaved(self) -> None:
        """Write at the next tick even if nothing changed (a recovered document)."""
        self._written = -1

    def save_now(self) -> bool:
        """Write if the document has unsaved changes not yet autosaved."""
        if self.editor.undo_stack.isClean():
            self.discard()
            return False
        if self._written == self._generation:
            return False
        payload = {
            "format": AUTOSAVE_FORMAT,
            "path": self.source_path(),
            "saved_at": datetime.now().isoformat(timespec="seconds"),
            "graph": self.editor.doc.to_dict(),
        }
        try:
            write_atomic(self.file, json.dumps(payload, ensure_ascii=False, indent=1))
        except OSError:
            return False  # a full disk must not interrupt editing; the next tick retries
        self._written = self._generation
        return True

    def discard(self) -> None:
        """The work is safe elsewhere (saved, or deliberately thrown away)."""
        self.file.unlink(missing_ok=True)
        self._written = self._generation

    def close(self) -> None:
        self.timer.stop()
        self.discard()
        self._lock.unlock()
