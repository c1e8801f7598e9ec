"""``netbuilder train`` and ``netbuilder data`` (arguments are parsed in netbuilder.cli).

``train`` drives a :class:`~netbuilder.train.engine.Trainer` in the main thread and
draws its events as a progress bar on stderr: one redrawn line on a terminal,
plain lines per epoch otherwise (logs, CI). Ctrl+C asks the trainer to stop after
the current batch, so the run folder keeps its last checkpoint and can be resumed;
a second Ctrl+C aborts at once.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

from ..core.errors import NetbuilderError
from ..core.fileformat import load_graph
from .config import TrainingConfig
from .datasets import builtin_info
from .engine import Trainer
from .events import BatchEnd, CheckpointSaved, EpochEnd, Failed, Finished, GradientWarning, RunStarted, WeightsLoaded
from .gan import make_trainer
from .gan_events import GanBatch, GanWarning
from .outcome import RunOutcome

INTERRUPTED = 130  # the shell's code for a run ended by Ctrl+C


def overridden_settings(doc_training: dict, args) -> TrainingConfig:
    """The file's settings with the command line's overrides (validated together)."""
    raw = {key: dict(value) if isinstance(value, dict) else value for key, value in doc_training.items()}
    data = raw.setdefault("data", {})
    if getattr(args, "data", None) and args.data != data.get("source"):
        raw["data"] = {**data, "source": args.data, "options": {}}  # the file's options were for its own data
    for name in ("epochs", "batch_size", "device", "seed"):
        if getattr(args, name, None) is not None:
            raw[name] = getattr(args, name)
    if getattr(args, "lr", None) is not None:
        raw["optimizer"] = {**raw.get("optimizer", {}), "lr": args.lr}
    return TrainingConfig.from_dict(raw)


def train(args) -> int:
    try:
        doc = load_graph(args.file)
        config = overridden_settings(doc.training, args)
    except NetbuilderError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    options = {"init_from": args.weights_from} if getattr(args, "weights_from", None) else {}
    if getattr(args, "node_stats", False):
        options["details"] = True  # the probes cost ~3% of a small model's epoch, so only when asked
    try:
        trainer = make_trainer(doc, config, runs_dir=getattr(args, "runs_dir", None) or "runs",
                               resume=getattr(args, "resume", None), base_dir=Path(args.file).parent, **options)
    except NetbuilderError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    progress = Progress(sys.stderr)
    previous = _catch_interrupt(trainer, progress)
    events = trainer.run()
    try:
        for event in events:
            progress.show(event)
            if isinstance(event, Failed):
                return 1
            if isinstance(event, Finished):
                return INTERRUPTED if event.stopped_by_user else 0
    except KeyboardInterrupt:  # a second Ctrl+C or SIGTERM: the trainer keeps what finished
        events.close()
        progress.note(f"aborted; {progress.saved_text()}")
        return INTERRUPTED
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 1


def _catch_interrupt(trainer: Trainer, progress: Progress) -> dict:
    """First Ctrl+C: stop cleanly after this batch; second, or SIGTERM: abort, keeping
    the finished epochs. Returns the old handlers by signal."""
    def on_interrupt(signum, frame):
        if trainer.stopping or signum == signal.SIGTERM:
            raise KeyboardInterrupt
        trainer.stop()
        progress.note("stopping after this batch (Ctrl+C again to abort)")

    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[signum] = signal.signal(signum, on_interrupt)
        except ValueError:  # not the main thread (an embedding program): no handler
            pass
    return previous


def _last_saved_epoch(run_dir: Path) -> int:
    """The epoch ``last.pt`` holds, from the history written with it (no torch.load)."""
    try:
        rows = json.loads((run_dir / "history.json").read_text(encoding="utf-8"))
        return int(rows[-1]["epoch"]) if rows else 0
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return 0


class Progress:
    """Turns events into text: a live line on a terminal, one line per epoch elsewhere."""

    def __init__(self, stream, live: bool | None = None):
        self.stream = stream
        self.live = stream.isatty() if live is None else live
        self.epochs = self.steps = self.first_epoch = 0
        self.started = self.epoch_started = time.monotonic()
        self.last_metrics = ""
        self.batch_figures = ""  # a GAN's D and G figures for the live line, from its GanBatch
        self.run_dir = ""
        self.saved_epoch = 0

    def saved_text(self) -> str:
        """What the run folder holds now, said truthfully."""
        if not self.run_dir:
            return "nothing was saved"
        if self.saved_epoch or (Path(self.run_dir) / "last.pt").exists():
            epoch = _last_saved_epoch(Path(self.run_dir)) or self.saved_epoch
            return f"the run is saved in {self.run_dir} (last.pt holds epoch {epoch}; --resume continues it)"
        return f"no epoch finished, so no checkpoint was saved in {self.run_dir}"

    def _write(self, text: str, end: str = "\n") -> None:
        prefix = "\r\033[K" if self.live else ""
        self.stream.write(prefix + text + end)
        self.stream.flush()

    def note(self, text: str) -> None:
        self._write(text)

    def _eta(self, epoch: int, fraction: float) -> str:
        done = (epoch - 1 - self.first_epoch) + fraction
        if done <= 0:
            return "?"
        seconds = (time.monotonic() - self.started) / done * (self.epochs - self.first_epoch - done)
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"

    def show(self, event) -> None:
        if isinstance(event, RunStarted):
            self.epochs, self.steps, self.first_epoch = event.epochs, event.steps_per_epoch, event.start_epoch
            self.started = time.monotonic()
            self.run_dir, self.saved_epoch = event.run_dir, event.start_epoch
            d = event.data
            action = f"resuming after epoch {event.start_epoch}" if event.start_epoch else "training"
            self._write(f"{action} on {d['name']} ({d['train_size']} train / {d['val_size']} val samples), "
                        f"{event.param_count:,} parameters, {event.device}; saving to {event.run_dir}")
        elif isinstance(event, BatchEnd) and self.live:
            width = 20
            filled = int(width * event.step / event.steps)
            bar = "#" * filled + "-" * (width - filled)
            self._write(f"epoch {event.epoch}/{self.epochs} [{bar}] {event.step}/{event.steps}  "
                        f"{self.batch_figures or f'loss {event.loss:.4f}'}{self.last_metrics}  "
                        f"{event.samples_per_s:,.0f} samples/s  "
                        f"ETA {self._eta(event.epoch, event.step / event.steps)}", end="")
        elif isinstance(event, EpochEnd):
            gan = "g_loss" in event.metrics  # a GAN's figures are its metrics; its train_loss is G's
            shown = [] if gan else [f"train_loss {event.train_loss:.4f}"]
            if event.val_loss is not None:
                shown.append(f"val_loss {event.val_loss:.4f}")
            shown += [f"{name} {value:.4f}" for name, value in event.metrics.items()]
            self.last_metrics = "  | " + "  ".join(shown[0 if gan else 1:]) if len(shown) > 1 else ""
            self._write(f"epoch {event.epoch}/{self.epochs}  {'  '.join(shown)}  lr {event.lr:.3g}  "
                        f"{event.duration:.1f}s  ETA {self._eta(event.epoch, 1.0)}")
        elif isinstance(event, CheckpointSaved) and event.kind == "last":
            self.saved_epoch = max(self.saved_epoch, event.epoch)
        elif isinstance(event, GanBatch):
            self.batch_figures = (f"D {event.d_loss:.3f}  G {event.g_loss:.3f}  D(x) {event.d_real:.2f}  "
                                  f"D(G(z)) {event.d_fake:.2f}")
        elif isinstance(event, (GanWarning, GradientWarning)):
            self._write(f"warning (epoch {event.epoch}): {event.message}")
        elif isinstance(event, WeightsLoaded):
            self._write(event.message[0].upper() + event.message[1:])
        elif isinstance(event, Finished):
            self._finished(event)
        elif isinstance(event, Failed):
            self._write(f"error: {event.message}")

    def _finished(self, event: Finished) -> None:
        how = "stopped by the user" if event.stopped_by_user else "stopped early" if event.stopped_early else "done"
        self.run_dir = event.run_dir
        self._write(f"{how}; {self.saved_text()}")
        if event.best:
            best = event.best
            scores = [f"{k} {best[k]:.4f}" for k in best
                      if k not in ("epoch", "lr", "duration", "metric", "value") and best[k] is not None]
            self._write(RunOutcome.of(event.history, best["metric"], best["epoch"]).text())
            self._write(f"best epoch {best['epoch']} (by {best['metric']}): {'  '.join(scores)}")
        if event.history and "g_loss" in event.history[-1]:
            last = event.history[-1]
            self._write(f"last epoch {last['epoch']}: D loss {last['d_loss']:.4f}  G loss {last['g_loss']:.4f}  "
                        f"D(x) {last['d_real']:.3f}  D(G(z)) {last['d_fake']:.3f}; samples in "
                        f"{Path(event.run_dir) / 'samples.png'}")
        if event.still_improving:
            self._write(event.ADVICE)


def data(args) -> int:
    """Print the built-in data sets: name, sample shape, task, size and classes."""
    rows = [("name", "input", "task", "samples", "classes", "description")]
    for info in builtin_info():
        classes = info["classes"]
        names = ", ".join(classes[:4]) + (", …" if len(classes) > 4 else "")
        rows.append((info["name"], str(tuple(info["input_shape"])), info["task"], str(info["n_samples"]),
                     f"{len(classes)}: {names}" if classes else "-", info["description"]))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.rjust(w) if i == 3 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        print("  ".join(cells + [row[-1]]))
    print("\nTrain on one with: netbuilder train GRAPH.json --data NAME (or a CSV / .npz / image folder path)")
    return 0
