"""The GUI's end of the preview process (:mod:`netbuilder.train.preview_worker`).

At most one request is in flight. A request made while one runs replaces any
other waiting one and goes out when the running one answers, so however fast
the user edits, the process works only on the newest graph and the canvas
never waits: :meth:`PreviewClient.request` returns at once and
:attr:`PreviewClient.resultReady` arrives later, on the GUI thread. A reader
thread takes the answers off the pipe (never touching a widget); if the
process dies, the next request starts another.
"""

from __future__ import annotations

import multiprocessing
import threading

from PySide6.QtCore import QObject, Signal

from ...train.preview_messages import PreviewRequest
from ...train.preview_worker import serve


class PreviewClient(QObject):
    resultReady = Signal(object)  # a PreviewResult
    died = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._lock = threading.Lock()
        self._number = 0
        self._waiting: PreviewRequest | None = None
        self._in_flight = False
        self._process = None
        self._requests = None
        self.sent = 0  # requests that reached the process (the rest were coalesced away)

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")  # a fork would copy the GUI's Qt and threads
        requests_in, self._requests = context.Pipe(duplex=False)
        replies, replies_out = context.Pipe(duplex=False)
        self._process = context.Process(target=serve, args=(requests_in, replies_out), name="netbuilder-preview",
                                        daemon=True)
        self._process.start()
        requests_in.close()
        replies_out.close()
        self._in_flight = False
        threading.Thread(target=self._read, args=(replies, self._process), name="netbuilder-preview-reader",
                         daemon=True).start()

    def request(self, graph: str, sample: int | None, weights: str | None, base_dir: str | None) -> int:
        """Ask for a preview of ``graph`` (document JSON); returns its number."""
        with self._lock:
            if self._process is None or not self._process.is_alive():
                self._start()
            self._number += 1
            self._waiting = PreviewRequest(self._number, graph, sample, weights, base_dir)
            if not self._in_flight:
                self._send_waiting()
            return self._number

    def _send_waiting(self) -> None:
        """With the lock held: send the waiting request, if any."""
        request, self._waiting = self._waiting, None
        if request is None:
            return
        try:
            self._requests.send(request)
        except (BrokenPipeError, OSError):
            return
        self._in_flight = True
        self.sent += 1

    def _read(self, replies, process) -> None:
        while True:
            try:
                reply = replies.recv()
            except (EOFError, OSError):
                break
            if isinstance(reply, str):  # "ready"
                continue
            with self._lock:
                self._in_flight = False
                self._send_waiting()
            self.resultReady.emit(reply)  # queued to the GUI thread
        replies.close()
        with self._lock:
            current = process is self._process
            if current:
                self._in_flight = False
        if current:
            self.died.emit(f"the preview process ended (exit code {process.exitcode})")

    @property
    def busy(self) -> bool:
        return self._in_flight

    def close(self, timeout: float = 2.0) -> None:
        """End the process (the window closes, or preview is turned off)."""
        with self._lock:
            process, self._process = self._process, None
            requests, self._requests = self._requests, None
        if process is None:
            return
        try:
            requests.send(None)
            requests.close()
        except (BrokenPipeError, OSError):
            pass
        process.join(timeout)
        if process.is_alive():
            process.kill()
            process.join(1.0)
