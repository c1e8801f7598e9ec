"""What a run achieved, said one way everywhere: the headline, the run list, the CLI.

A run keeps the weights of the epoch with the best *monitored* value (by default
the lowest ``val_loss``, :class:`~.config.EarlyStoppingConfig`), which is often
not the epoch of the best accuracy. Quoting "best accuracy" next to the kept
epoch's accuracy misled users (issue 18), so every view builds its text from
one :class:`RunOutcome`: which metric was watched, which epoch's weights were
kept and that epoch's score, and the best score with its epoch when it differs.

Only plain numbers and dicts here (no torch), so the GUI reads run folders with
it before PyTorch has loaded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .metrics import better_mode

SCORES = ("accuracy", "r2")  # what users compare runs by, in this order


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def value_text(name: str, value) -> str:
    """``accuracy 98.6%``, ``val_loss 0.0452``, ``accuracy –`` when unknown."""
    if not _finite(value):
        return f"{name} –"
    if "accuracy" in name:
        return f"{name} {value:.1%}"
    return f"{name} {value:.4g}"


class Keeper:
    """Which epoch a run keeps: the same rule as the engine's ``recipe.Monitor``
    (strictly better by more than ``min_delta``; the first such epoch wins), kept
    here because ``recipe`` imports torch; ``tests/train/test_outcome.py`` checks
    that the two agree."""

    def __init__(self, mode: str = "min", min_delta: float = 0.0):
        self.mode, self.min_delta = mode, min_delta
        self.best, self.epoch = None, None

    def update(self, value, epoch: int) -> bool:
        """Record ``value`` of ``epoch``; True if this epoch is now the kept one."""
        if not _finite(value):
            return False
        if self.mode == "min":
            improved = self.best is None or value < self.best - self.min_delta
        else:
            improved = self.best is None or value > self.best + self.min_delta
        if improved:
            self.best, self.epoch = value, epoch
        return improved

    @classmethod
    def for_config(cls, training: dict, history: list[dict]) -> tuple[Keeper, str]:
        """The keeper a run with ``training`` settings (its ``config.json``) used, and
        the metric it watched (``train_loss`` when it had no validation set)."""
        stopping = training.get("early_stopping", {}) if isinstance(training, dict) else {}
        metric = str(stopping.get("metric", "val_loss"))
        if metric == "val_loss" and history and not any(_finite(row.get("val_loss")) for row in history):
            metric = "train_loss"
        mode = stopping.get("mode", "auto")
        keeper = cls(better_mode(metric) if mode not in ("min", "max") else mode,
                     float(stopping.get("min_delta", 0.0) or 0.0))
        return keeper, metric


@dataclass(frozen=True)
class RunOutcome:
    """The result of one run, from its history and the epoch its weights come from."""

    monitored: str  # the watched metric that chose the kept epoch
    mode: str  # "min" or "max": how ``monitored`` improves
    kept: dict  # the history row of the kept epoch ({} if no epoch finished)
    score: str  # the metric worth quoting: accuracy, r2, else ``monitored``
    best_score: float | None  # the best ``score`` over all epochs
    best_score_epoch: int | None

    @classmethod
    def of(cls, history: list[dict], monitored: str, kept_epoch: int | None, mode: str | None = None) -> RunOutcome:
        mode = mode or better_mode(monitored)
        kept = next((row for row in history if row.get("epoch") == kept_epoch), {})
        keys = set().union(*(row.keys() for row in history)) if history else set()
        score = next((name for name in SCORES if name in keys), monitored)
        rows = [row for row in history if _finite(row.get(score))]
        pick = max if better_mode(score) == "max" else min
        best = pick(rows, key=lambda row: row[score]) if rows else None
        if best is not None and kept.get(score) == best[score]:
            best = kept  # a tie: the kept epoch is as good as any
        return cls(monitored, mode, kept, score, best[score] if best else None,
                   int(best["epoch"]) if best else None)

    @classmethod
    def of_run(cls, training: dict, history: list[dict]) -> RunOutcome:
        """The outcome of a run folder's ``config.json`` settings and history."""
        keeper, monitored = Keeper.for_config(training, history)
        for row in history:
            keeper.update(row.get(monitored), row.get("epoch"))
        return cls.of(history, monitored, keeper.epoch, keeper.mode)

    @property
    def kept_epoch(self) -> int | None:
        return self.kept.get("epoch")

    @property
    def kept_score(self):
        return self.kept.get(self.score)

    @property
    def watched(self) -> str:
        """``lowest val_loss``: why the kept epoch was kept."""
        return f"{'lowest' if self.mode == 'min' else 'highest'} {self.monitored}"

    def short_text(self) -> str:
        """For a table cell: ``accuracy 98.6% (ep 16)`` — the kept weights' score."""
        if not self.kept:
            return "no epoch finished"
        return f"{value_text(self.score, self.kept_score)} (ep {self.kept_epoch})"

    def best_text(self) -> str:
        """For a table cell: ``accuracy 98.9% (ep 11)``, the best score of any epoch."""
        if self.best_score is None:
            return "–"
        return f"{value_text(self.score, self.best_score)} (ep {self.best_score_epoch})"

    def text(self) -> str:
        """The headline: ``kept epoch 16 (lowest val_loss); its accuracy 98.6%; best
        accuracy 98.9% at epoch 11`` (the last part only when it is another epoch)."""
        if not self.kept:
            return "no epoch finished"
        if self.score == self.monitored:
            return f"kept epoch {self.kept_epoch} ({'lowest' if self.mode == 'min' else 'highest'} " \
                   f"{value_text(self.score, self.kept_score)})"
        head = f"kept epoch {self.kept_epoch} ({self.watched}"
        head += f"); its {value_text(self.score, self.kept_score)}"
        if self.best_score_epoch is None or self.best_score_epoch == self.kept_epoch:
            return head + (", the best of the run" if self.best_score is not None else "")
        return head + f"; best {value_text(self.score, self.best_score)} at epoch {self.best_score_epoch}"
