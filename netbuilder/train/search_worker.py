"""The GUI's study process: one :class:`~.search.Search` in a process of its own.

The same arrangement as :mod:`netbuilder.train.worker` (spawned, thread policy
set before torch loads, two one-way pipes of plain picklable objects): the GUI
sends ``("run", SearchRequest)`` once and then ``"stop"``; the child sends the
study's events and closes its end. If the GUI goes away, the study is stopped
like a user's Stop (its unfinished trial is tried again next time) and the
process ends.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from .worker import ORPHAN_GRACE_S, Ready, configure_threads


@dataclass(frozen=True)
class SearchRequest:
    """One study run: the graph as saved JSON, the options, where data and runs live."""

    graph: str
    options: object  # a SearchOptions
    base_dir: str
    runs_dir: str


def make_trainer(doc, config, runs_dir, base_dir):
    """The engine, writing every finished epoch (a worker may die without warning)."""
    from .engine import Trainer

    return Trainer(doc, config, runs_dir=runs_dir, base_dir=base_dir, save_every_s=0)


def serve(commands, events) -> None:
    """The study process's main function (see the module docstring)."""
    threads, policy, preloaded = configure_threads()
    from ..core.fileformat import loads
    from . import engine  # noqa: F401 - loaded before Ready, so Start begins at once
    from .search import Search
    from .search_events import StudyFailed

    events.send(Ready(os.getpid(), threads, policy, preloaded))
    try:
        message = commands.recv()
    except (EOFError, OSError):
        return
    if not (isinstance(message, tuple) and message[0] == "run"):
        return
    request: SearchRequest = message[1]
    try:
        runner = Search(loads(request.graph), request.options, request.base_dir, request.runs_dir,
                        make_trainer=make_trainer)
        runner.report_importances = True
    except Exception as err:  # noqa: BLE001 - a refusal, said like the study says it
        events.send(StudyFailed(str(err)))
        return
    threading.Thread(target=_obey, args=(commands, runner), name="netbuilder-search-commands", daemon=True).start()
    for event in runner.run():
        try:
            events.send(event)
        except (BrokenPipeError, OSError):
            runner.stop()


def _obey(commands, runner) -> None:
    while True:
        try:
            message = commands.recv()
        except (EOFError, OSError):
            break
        if message == "stop":
            runner.stop()
    runner.stop()  # orphaned: end the trial, then make sure the process ends
    timer = threading.Timer(ORPHAN_GRACE_S, os._exit, args=(0,))
    timer.daemon = True
    timer.start()
