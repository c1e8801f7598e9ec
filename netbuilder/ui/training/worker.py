"""Run a generator of plain events on a background thread, safely for Qt.

Modelled on superqt's ``GeneratorWorker`` with one difference that matters
for a GUI which must stay smooth: nothing Qt happens on the worker thread at
all. The thread only iterates the generator and appends each event (a small,
picklable dataclass) to a deque; a ~30 Hz ``QTimer`` on the GUI thread drains
the deque and emits :attr:`EventPump.events` with everything that arrived
since the last tick. So the GUI gets at most ~30 updates a second however
fast the engine yields, no widget is ever touched from the worker, and the
same pump could later read events from a subprocess instead of a thread.

Pause, resume and stop are the engine's own (thread-safe, honoured between
batches); the pump's :meth:`EventPump.abort` is the fallback that closes the
generator at its next ``yield`` if the engine does not stop by itself.
"""

from __future__ import annotations

import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

MAX_UPDATES_PER_SECOND = 30


@dataclass(frozen=True)
class WorkerCrashed:
    """The generator raised instead of reporting a failure itself."""

    message: str
    traceback: str


@dataclass(frozen=True)
class _Done:
    """Sentinel: the generator is exhausted (or crashed, or was aborted)."""


class EventPump(QObject):
    """Iterates ``make_events()`` on a thread; delivers batches on the GUI thread.

    ``events`` carries a list of every event since the previous delivery, in
    order; ``finished`` comes once after the last delivery. Create one pump per
    run.
    """

    events = Signal(list)
    finished = Signal()

    def __init__(self, make_events: Callable[[], Iterator], name: str = "netbuilder-training",
                 rate: int = MAX_UPDATES_PER_SECOND, parent: QObject | None = None):
        super().__init__(parent)
        self._make_events = make_events
        self._queue: deque = deque()
        self._abort = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, 1000 // rate))
        self._timer.timeout.connect(self.drain)
        self._done = False
        self.deliveries = 0  # how many times ``events`` was emitted (for tests/benchmarks)

    # -- worker thread ------------------------------------------------------------
    def _run(self) -> None:
        generator = None
        try:
            generator = self._make_events()
            for event in generator:
                self._queue.append(event)  # deque.append is atomic: the only hand-over
                if self._abort.is_set():
                    break
        except BaseException as err:  # noqa: BLE001 - every failure must reach the GUI
            self._queue.append(WorkerCrashed(f"{type(err).__name__}: {err}", traceback.format_exc()))
        finally:
            if generator is not None and hasattr(generator, "close"):
                try:
                    generator.close()
                except BaseException as err:  # noqa: BLE001
                    self._queue.append(WorkerCrashed(f"{type(err).__name__}: {err}", traceback.format_exc()))
            self._queue.append(_Done())

    # -- GUI thread ---------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()
        self._timer.start()

    @property
    def running(self) -> bool:
        return not self._done

    def abort(self) -> None:
        """Close the generator at its next ``yield`` (the engine's stop is preferred)."""
        self._abort.set()

    def drain(self) -> None:
        """Deliver what arrived since the last tick (the timer calls this)."""
        if self._done:
            return
        batch = []
        finished = False
        while self._queue:
            event = self._queue.popleft()
            if isinstance(event, _Done):
                finished = True
                break
            batch.append(event)
        if batch:
            self.deliveries += 1
            self.events.emit(batch)
        if finished:
            self._done = True
            self._timer.stop()
            self._thread.join(timeout=5)
            self.finished.emit()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the thread ends, then deliver what is left; True if it ended.

        Only for shutdown (closing the window): it blocks the GUI thread.
        """
        if self._thread.is_alive():
            self._thread.join(timeout)
        if not self._thread.is_alive():
            self.drain()
            return True
        return False
