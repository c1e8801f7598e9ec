"""The live preview on the canvas: asks for pictures after each edit, draws them under the cards.

:class:`PreviewLayer` is the only part of the GUI that knows about the preview
process. An edit (anything but a move: positions change no output) asks for a
new preview on the next turn of the event loop, so the several changes of one
undo macro make one request; the :class:`~.client.PreviewClient` coalesces the
rest. Results are drawn by node id, on the GUI thread, into
:class:`~.item.PreviewItem` children of the cards.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QCursor

from ...core.fileformat import dumps
from .client import PreviewClient
from .item import PreviewItem
from .popup import PreviewPopup


class PreviewLayer(QObject):
    """Preview pictures for the cards of ``view``'s scene."""

    updated = Signal(object)  # the PreviewResult just drawn

    def __init__(self, editor, view, base_dir: Callable[[], str | None] = lambda: None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.editor, self.view = editor, view
        self.base_dir = base_dir
        self.enabled = False
        self.sample: int | None = 0  # index into the data set's held-out samples; None: a random tensor
        self.weights: str | None = None  # a checkpoint or run folder; None: random weights
        self.result = None
        self.latency_s: float | None = None  # request to drawn, for the newest result
        self.client = PreviewClient(self)
        self.client.resultReady.connect(self._show)
        self.client.died.connect(self._died)
        self.popup = PreviewPopup(view)
        self._asked_at: dict[int, float] = {}
        self._soon = QTimer(self, singleShot=True, interval=0, timeout=self.refresh)
        editor.documentChanged.connect(self._doc_changed)

    @property
    def scene(self):
        return self.view.scene()

    # -- what to preview ----------------------------------------------------------------------
    def set_enabled(self, on: bool) -> None:
        self.enabled = bool(on)
        if self.enabled:
            first = self.result is None and self.client.sent == 0
            for node_id, card in self.scene.nodes.items():
                if self.item(node_id) is None:
                    PreviewItem(card, self._hovered).show_picture(
                        None, "starting the preview (loading PyTorch)…" if first else "…")
            self.result = None
            self.refresh()
        else:
            self._soon.stop()
            self.popup.hide()
            for item in self.items():
                self.scene.removeItem(item)

    def set_sample(self, sample: int | None) -> None:
        if sample != self.sample:
            self.sample = sample
            self._refresh_soon()

    def set_weights(self, weights: str | None) -> None:
        """Preview with these weights from now on (a checkpoint rewritten in place each
        epoch is read again: the preview process notices the file changed)."""
        self.weights = weights
        self._refresh_soon()

    def _doc_changed(self, change) -> None:
        if change.kind == "reset":
            self.weights = None  # another graph: its own weights start random
        if change.kind != "moved":
            self._refresh_soon()

    def _refresh_soon(self) -> None:
        if self.enabled:
            self._soon.start()

    def refresh(self) -> None:
        """Ask for a preview of the document as it is now (returns at once)."""
        if not self.enabled:
            return
        number = self.client.request(dumps(self.editor.doc), self.sample, self.weights, self.base_dir())
        self._asked_at[number] = time.perf_counter()

    # -- results --------------------------------------------------------------------------------
    def items(self) -> list[PreviewItem]:
        self.scene.complete()
        return [child for card in self.scene.nodes.values() for child in card.childItems()
                if isinstance(child, PreviewItem)]

    def item(self, node_id: str) -> PreviewItem | None:
        card = self.scene.nodes.get(node_id)
        if card is None:
            return None
        return next((c for c in card.childItems() if isinstance(c, PreviewItem)), None)

    def _show(self, result) -> None:
        asked = self._asked_at.pop(result.number, None)
        for number in [n for n in self._asked_at if n < result.number]:  # coalesced away
            del self._asked_at[number]
        if not self.enabled or (self.result is not None and result.number < self.result.number):
            return
        self.result = result
        self.scene.complete()
        for node_id, card in self.scene.nodes.items():
            item = self.item(node_id) or PreviewItem(card, self._hovered)
            picture = result.pictures.get(node_id)
            if picture is not None:
                item.show_picture(picture)
            elif node_id == result.error_node:
                item.show_picture(None, result.error or "failed here", failed=True)
            else:
                item.show_picture(None, "no preview" if result.error else "not connected")
        if asked is not None:
            self.latency_s = time.perf_counter() - asked
        self.updated.emit(result)

    def _died(self, message: str) -> None:
        for item in self.items():
            item.show_picture(None, "preview stopped: it starts again with the next edit")

    def _hovered(self, item: PreviewItem, entered: bool) -> None:
        if entered and item.picture is not None and self.result is not None:
            self.popup.show_for(item.node_id, item.picture, self.result.sample, self.result.weights,
                                self.scene.theme, QCursor.pos())
        else:
            self.popup.hide()

    def close(self) -> None:
        self.popup.hide()
        self.client.close()
