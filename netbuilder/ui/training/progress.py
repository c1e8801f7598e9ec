"""Progress and summary text from the engine's events (plain functions, no widgets).

Kept apart from the dock so the arithmetic (ETA from the steps done since this
run, or this resume, began) can be read and tested on its own.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from ...train.events import BatchEnd, RunStarted


def duration_text(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def metric_text(name: str, value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return f"{name} –"
    if "accuracy" in name:
        return f"{name} {value:.1%}"
    return f"{name} {value:.4g}"


@dataclass
class Progress:
    """Where the run is, for the progress bar."""

    epochs: int = 0
    steps: int = 0
    start_epoch: int = 0
    epoch: int = 0
    step: int = 0
    global_step: int = 0
    samples_per_s: float = 0.0
    started_at: float = field(default_factory=time.monotonic)
    first_step: int = 0

    @classmethod
    def from_start(cls, event: RunStarted) -> Progress:
        first = event.start_epoch * event.steps_per_epoch
        return cls(epochs=event.epochs, steps=event.steps_per_epoch, start_epoch=event.start_epoch,
                   epoch=event.start_epoch, global_step=first, first_step=first)

    def update(self, event: BatchEnd) -> None:
        self.epoch, self.step, self.steps = event.epoch, event.step, event.steps
        self.global_step, self.samples_per_s = event.global_step, event.samples_per_s

    @property
    def total_steps(self) -> int:
        return max(1, self.epochs * self.steps)

    @property
    def fraction(self) -> float:
        return min(1.0, self.global_step / self.total_steps)

    def eta(self, now: float | None = None) -> float | None:
        """Seconds left, from the pace since this run (or resume) began."""
        done = self.global_step - self.first_step
        if done <= 0:
            return None
        elapsed = (now if now is not None else time.monotonic()) - self.started_at
        return elapsed / done * (self.epochs * self.steps - self.global_step)

    def text(self, paused: bool = False) -> str:
        if not self.steps:
            return "Starting…"
        parts = [f"Epoch {max(self.epoch, 1)}/{self.epochs}", f"step {self.step}/{self.steps}"]
        if paused:
            return "Paused · " + " · ".join(parts)
        if self.samples_per_s:
            parts.append(f"{self.samples_per_s:,.0f} samples/s")
        eta = self.eta()
        if eta is not None:
            parts.append(f"{duration_text(eta)} left")
        return " · ".join(parts)
