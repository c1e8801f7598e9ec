"""The GUI's end of a training worker process (:mod:`netbuilder.train.worker`).

:class:`TrainingProcess` spawns the worker at once, so PyTorch loads in the
background while the user is still drawing; :meth:`TrainingProcess.events` sends
the run and yields what the worker sends back, for an
:class:`~.worker.EventPump` to read on its thread. If the worker dies
(a segfault, the out-of-memory killer, ``kill -9``, a forced stop) the stream
ends with :class:`WorkerDied` instead of ``Finished``, so the panel can say what
happened; the GUI process itself never runs a batch.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Iterator
from dataclasses import dataclass

from ...train.events import Failed, Finished
from ...train.worker import Ready, RunRequest, serve


@dataclass(frozen=True)
class WorkerDied:
    """The worker process ended before its run reported a result."""

    message: str
    exitcode: int | None


class TrainingProcess:
    """One worker process, good for one run."""

    def __init__(self):
        context = multiprocessing.get_context("spawn")  # a fork would copy the GUI's Qt and threads
        commands_in, self._commands = context.Pipe(duplex=False)
        self._events, events_out = context.Pipe(duplex=False)
        self.process = context.Process(target=serve, args=(commands_in, events_out), name="netbuilder-training",
                                       daemon=True)
        self.process.start()
        commands_in.close()  # the child's ends: when the child exits, our reads see the end of the stream
        events_out.close()
        self.ready: Ready | None = None
        self.forced = False  # the GUI ended it (a Stop that did not take effect, or the window closing)

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.is_alive()

    # -- on the pump's thread ------------------------------------------------------------------
    def events(self, request: RunRequest) -> Iterator:
        """Start ``request`` and yield its events until the worker's stream ends."""
        self.send(("run", request))
        ended = False
        while True:
            try:
                event = self._events.recv()
            except (EOFError, OSError):
                break
            if isinstance(event, Ready):
                self.ready = event
                continue
            ended = ended or isinstance(event, (Finished, Failed))
            yield event
        self.process.join(timeout=5)
        if not ended:
            yield WorkerDied(self._death_text(), self.process.exitcode)

    def _death_text(self) -> str:
        code = self.process.exitcode
        if self.forced:
            return "the training process was ended because it did not stop"
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            hint = " (out of memory?)" if -code == signal.SIGKILL else ""
            return f"the training process was killed by {name}{hint}"
        return f"the training process ended unexpectedly (exit code {code})"

    # -- before a run, on the GUI thread -------------------------------------------------------
    def poll_ready(self) -> bool:
        """Whether the waiting worker has loaded PyTorch (never blocks; before a run only)."""
        if self.ready is None and self._events.poll():
            message = self._events.recv()
            if isinstance(message, Ready):
                self.ready = message
        return self.ready is not None

    # -- commands, on the GUI thread ----------------------------------------------------------
    def send(self, message) -> None:
        """``"pause"``, ``"resume"``, ``"stop"`` or ``("lr", value)`` (and the run itself, from
        :meth:`events`); ignored once the worker is gone."""
        try:
            self._commands.send(message)
        except (BrokenPipeError, OSError):
            pass  # the worker has ended: its stream says how

    def kill(self) -> None:
        """End the worker now (its finished epochs are on disk; the current one is lost)."""
        if self.process.is_alive():
            self.forced = True
            self.process.kill()

    def close(self, timeout: float = 2.0) -> None:
        """Let the worker go (a waiting one exits when its command pipe closes), then make sure."""
        self._commands.close()
        self.process.join(timeout)
        if self.process.is_alive():
            self.kill()
            self.process.join(1.0)
        self._events.close()
