"""Copy and paste of graph fragments through the system clipboard.

A fragment travels twice: as JSON text (so it can be pasted into an editor, a
chat or another netbuilder window) and under :data:`FRAGMENT_MIME` (so a
paste knows it is ours without guessing). Reading accepts either.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from ..core.document import FORMAT

FRAGMENT_MIME = "application/x-netbuilder-fragment"
FRAGMENT_FORMAT = FORMAT + ".fragment"


def put_fragment(fragment: dict) -> None:
    text = json.dumps(fragment, ensure_ascii=False)
    data = QMimeData()
    data.setText(text)
    data.setData(FRAGMENT_MIME, text.encode("utf-8"))
    QGuiApplication.clipboard().setMimeData(data)


def take_fragment() -> dict | None:
    """The fragment on the clipboard, or ``None`` if it holds something else."""
    data = QGuiApplication.clipboard().mimeData()
    if data is None:
        return None
    if data.hasFormat(FRAGMENT_MIME):
        text = bytes(data.data(FRAGMENT_MIME)).decode("utf-8", errors="replace")
    else:
        text = data.text()
    try:
        fragment = json.loads(text)
    except ValueError:
        return None
    if isinstance(fragment, dict) and fragment.get("format") == FRAGMENT_FORMAT:
        return fragment
    return None
