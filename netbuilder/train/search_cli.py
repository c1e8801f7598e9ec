"""``netbuilder search``: a study from the command line (arguments are parsed in netbuilder.cli).

One process runs :class:`~.search.Search` in the main thread; ``--workers N``
spawns N processes on the same study (the storage is what they share, exactly
as processes on other machines would with ``--storage URL``) and prints what
they report. A progress line per trial, a table of every trial of the study at
the end, and ``--apply OUT.json`` writes the best values into a copy of the
graph. Ctrl+C stops after the current batch (the unfinished trial is tried
again when the study continues); a second Ctrl+C aborts.
"""

from __future__ import annotations

import multiprocessing
import re
import signal
import sys
from pathlib import Path

from ..core.errors import NetbuilderError
from ..core.fileformat import load_graph, loads, save_graph
from ..core.search_space import apply_values
from .search import Search, SearchError, SearchOptions, default_storage, open_storage, require_optuna, trial_row
from .search_events import COMPLETE, StudyFailed, StudyFinished, StudyStarted, TrialEnded, TrialEpoch, TrialStarted

INTERRUPTED = 130
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$")


def parse_duration(text: str) -> float:
    """Seconds in ``90``, ``90s``, ``10m``, ``1h30m``; ``ValueError`` naming the flag otherwise."""
    match = _DURATION.match(text.strip().lower()) if isinstance(text, str) else None
    if not text or match is None or not any(match.groups()):
        raise ValueError(f"--timeout: expected a duration like 90s, 10m or 1h30m, got {text!r}")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise ValueError(f"--timeout: expected a duration above zero, got {text!r}")
    return total


def options_from(args) -> SearchOptions:
    timeout = parse_duration(args.timeout) if getattr(args, "timeout", None) else None
    if args.trials is not None and args.trials < 1:
        raise ValueError(f"--trials: expected at least 1, got {args.trials}")
    return SearchOptions(trials=args.trials, timeout=timeout, sampler=args.sampler, pruner=args.pruner,
                         seed=args.seed, storage=args.storage or default_storage(args.file), study_name=args.study)


def search(args) -> int:
    try:
        doc = load_graph(args.file)
        options = options_from(args)
        require_optuna()
        workers = max(1, args.workers or 1)
    except (NetbuilderError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    base_dir, runs_dir = Path(args.file).resolve().parent, args.runs_dir or "runs"
    progress = SearchProgress(sys.stderr)
    if workers == 1:
        finished = _run_here(Search(doc, options, base_dir, runs_dir), progress)
    else:
        finished = _run_workers(args.file, options, base_dir, runs_dir, workers, progress)
    if isinstance(finished, StudyFailed):
        return 1
    try:
        rows = _study_rows(options, doc.name)
    except SearchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(trials_table(rows))
    best = _best_row(rows, progress.direction)
    if best is None:
        print("no trial completed", file=sys.stderr)
        return INTERRUPTED if progress.stopped else 1
    print(f"best: trial {best['number']}, {progress.metric} {best['value']:.4f}, "
          + ", ".join(f"{k}={_fmt(v)}" for k, v in best["params"].items()))
    if args.apply:
        save_graph(apply_values(doc, best["params"]), args.apply)
        print(f"wrote the best values into {args.apply}")
    return INTERRUPTED if progress.stopped else 0


def _run_here(runner: Search, progress: SearchProgress):
    def on_interrupt(signum, frame):
        if runner.stopping or signum == signal.SIGTERM:
            raise KeyboardInterrupt
        runner.stop()
        progress.note("stopping after this batch (Ctrl+C again to abort)")

    previous = {s: signal.signal(s, on_interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    last = None
    events = runner.run()
    try:
        for event in events:
            progress.show(event)
            last = event
    except KeyboardInterrupt:
        events.close()
        progress.stopped = True
        progress.note("aborted")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return last


def _worker(graph: str, options: SearchOptions, base_dir: str, runs_dir: str, queue) -> None:
    """One worker process of ``--workers``: runs its share of the trials, sends every event."""
    runner = Search(loads(graph), options, base_dir, runs_dir)
    signal.signal(signal.SIGINT, lambda signum, frame: runner.stop())
    for event in runner.run():
        queue.put(event)
    queue.put(None)


def _run_workers(path: str, options: SearchOptions, base_dir, runs_dir, workers: int, progress: SearchProgress):
    """``workers`` processes on one study; each tries its share of ``--trials``."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    text = Path(path).read_text(encoding="utf-8")
    shares = _shares(options.trials, workers)
    processes = []
    for share in shares:
        mine = SearchOptions(**{**options.__dict__, "trials": share})
        process = context.Process(target=_worker, args=(text, mine, str(base_dir), str(runs_dir), queue),
                                  name="netbuilder-search", daemon=True)
        process.start()
        processes.append(process)
    previous = signal.signal(signal.SIGINT, lambda signum, frame: progress.note("stopping after this batch"))
    running, last = len(processes), None
    try:
        while running:
            event = queue.get()
            if event is None:
                running -= 1
                continue
            if isinstance(event, StudyStarted) and progress.started:
                progress.planned += event.planned  # each worker opens the study; say it once
                continue
            if isinstance(event, StudyFinished):
                progress.stopped = progress.stopped or event.stopped
                last = event
                continue
            progress.show(event)
            if isinstance(event, StudyFailed):
                last = event
    finally:
        signal.signal(signal.SIGINT, previous)
        for process in processes:
            process.join()
    return last


def _shares(trials: int | None, workers: int) -> list[int | None]:
    """Each worker's part of ``--trials``; without it, every worker takes trials until the study's budget is spent."""
    if trials is None:
        return [None] * workers
    parts = [trials // workers + (i < trials % workers) for i in range(workers)]
    return [part for part in parts if part]


def _study_rows(options: SearchOptions, name: str) -> list[dict]:
    optuna = require_optuna()
    study = optuna.load_study(study_name=options.study_name or name, storage=open_storage(options.storage))
    return [trial_row(t) for t in study.get_trials(deepcopy=False)]


def _best_row(rows: list[dict], direction: str) -> dict | None:
    done = [r for r in rows if r["state"] == COMPLETE and r["value"] is not None]
    if not done:
        return None
    return (min if direction == "minimize" else max)(done, key=lambda r: r["value"])


def _fmt(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def trials_table(rows: list[dict]) -> str:
    """Every trial: number, state, value, each parameter, duration, reason."""
    names = list(dict.fromkeys(k for r in rows for k in r["params"]))
    head = ["trial", "state", "value", *names, "seconds", "note"]
    body = [[str(r["number"]), r["state"], "" if r["value"] is None else f"{r['value']:.4f}",
             *(_fmt(r["params"].get(n, "")) for n in names),
             "" if r["duration"] is None else f"{r['duration']:.1f}", r["reason"][:60]] for r in rows]
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [head, *body])


class SearchProgress:
    """Study events as text: a live line on a terminal, one line per trial elsewhere."""

    def __init__(self, stream, live: bool | None = None):
        self.stream = stream
        self.live = stream.isatty() if live is None else live
        self.started = self.stopped = False
        self.metric, self.direction = "value", "minimize"
        self.planned = self.ended = 0
        self.best: tuple | None = None

    def _write(self, text: str, end: str = "\n") -> None:
        self.stream.write(("\r\033[K" if self.live else "") + text + end)
        self.stream.flush()

    def note(self, text: str) -> None:
        self._write(text)

    def _bar(self) -> str:
        width = 20
        filled = int(width * self.ended / max(1, self.planned))
        best = f"  best {self.best[1]:.4f} (trial {self.best[0]})" if self.best else ""
        return f"[{'#' * filled}{'-' * (width - filled)}] {self.ended}/{self.planned} trials{best}"

    def show(self, event) -> None:
        if isinstance(event, StudyStarted):
            self.started = True
            self.metric, self.direction = event.metric, event.direction
            self.planned += event.planned
            already = f", {event.done} trials already done" if event.done else ""
            self._write(f"study {event.study_name!r} in {event.storage}: {event.direction} {event.metric} over "
                        f"{', '.join(event.variables)}{already}")
        elif isinstance(event, TrialStarted) and self.live:
            self._write(f"{self._bar()}  trial {event.number} starting", end="")
        elif isinstance(event, TrialEpoch) and self.live:
            value = "" if event.value is None else f" {self.metric} {event.value:.4f}"
            self._write(f"{self._bar()}  trial {event.number} epoch {event.epoch}/{event.epochs}{value}", end="")
        elif isinstance(event, TrialEnded):
            self.ended += 1
            if event.best_number is not None:
                self.best = (event.best_number, event.best_value)
            value = "" if event.value is None else f" {self.metric} {event.value:.4f}"
            params = ", ".join(f"{k}={_fmt(v)}" for k, v in event.params.items())
            reason = f" — {event.reason}" if event.reason else ""
            self._write(f"trial {event.number} {event.state}{value} ({params}; {event.duration:.1f}s){reason}")
        elif isinstance(event, StudyFinished):
            self.stopped = self.stopped or event.stopped
        elif isinstance(event, StudyFailed):
            self._write(f"error: {event.message}")
