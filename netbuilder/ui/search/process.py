"""The GUI's end of a study process (:mod:`netbuilder.train.search_worker`).

Like :class:`~netbuilder.ui.training.process.TrainingProcess`: spawned at
once, the study's events are read on an :class:`~..training.worker.EventPump`
thread, and a worker that dies ends the stream with a :class:`StudyFailed`
saying so, so the panel never waits for a study that is gone.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator

from ...train.search_events import StudyFailed, StudyFinished
from ...train.search_worker import SearchRequest, serve
from ...train.worker import Ready


class SearchProcess:
    """One study process, good for one run of the study."""

    def __init__(self):
        context = multiprocessing.get_context("spawn")
        commands_in, self._commands = context.Pipe(duplex=False)
        self._events, events_out = context.Pipe(duplex=False)
        self.process = context.Process(target=serve, args=(commands_in, events_out), name="netbuilder-search",
                                       daemon=True)
        self.process.start()
        commands_in.close()
        events_out.close()

    def events(self, request: SearchRequest) -> Iterator:
        self.send(("run", request))
        ended = False
        while True:
            try:
                event = self._events.recv()
            except (EOFError, OSError):
                break
            if isinstance(event, Ready):
                continue
            ended = ended or isinstance(event, (StudyFinished, StudyFailed))
            yield event
        self.process.join(timeout=5)
        if not ended:
            yield StudyFailed(f"the search process ended unexpectedly (exit code {self.process.exitcode})")

    def send(self, message) -> None:
        try:
            self._commands.send(message)
        except (BrokenPipeError, OSError):
            pass

    def stop(self) -> None:
        self.send("stop")

    def alive(self) -> bool:
        return self.process.is_alive()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the study, give its trial a moment to end cleanly, then make sure the process is gone."""
        self.stop()
        self._commands.close()
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(1.0)
        self._events.close()
