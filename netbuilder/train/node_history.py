"""The per-node debugger's memory: every epoch's :class:`~.events.NodeStats` of a run.

The engine reports each node's health once per epoch; the canvas used to show
only the newest. Kept here, epoch by epoch, they become a history a person can
read back: a node's statistic over the epochs (the inspector's sparklines), and
every node's statistic at one chosen epoch (the canvas coloured by it).

Colours compare like with like: one scale per statistic over the whole run
(every node, every epoch), so stepping through the epochs shows a layer's
gradients fading or its ReLUs dying against the same yardstick. Norms and
ratios span orders of magnitude and are scaled by their logarithm.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

STATS_FILE = "node_stats.jsonl"  # in the run folder: one line per epoch, {"epoch": n, "stats": {...}}
STATISTICS = {  # key in NodeStats -> what a person calls it
    "zeros": "share of zeros",
    "mean": "activation mean",
    "std": "activation std",
    "grad_norm": "gradient norm",
    "update_ratio": "update / weight",
}
LOG_SCALED = frozenset({"std", "grad_norm", "update_ratio"})


def _usable(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


class NodeHistory:
    """Per-epoch statistics of the nodes of one run."""

    def __init__(self):
        self.run_dir: str | None = None
        self._epochs: dict[int, dict[str, dict]] = {}

    def start(self, run_dir: str | None, start_epoch: int = 0) -> None:
        """A run starts: a run continued in the same folder keeps its history, another starts
        empty; a run resumed from its folder (after a restart) reads its earlier epochs back."""
        if run_dir != self.run_dir:
            self._epochs.clear()
            if run_dir and start_epoch:
                self._epochs.update(read_node_stats(run_dir, start_epoch))
        self.run_dir = run_dir

    def clear(self) -> None:
        self.run_dir = None
        self._epochs.clear()

    def add(self, epoch: int, stats: dict[str, dict]) -> None:
        self._epochs[int(epoch)] = {node: dict(values) for node, values in stats.items()}

    @property
    def epochs(self) -> list[int]:
        return sorted(self._epochs)

    def at(self, epoch: int) -> dict[str, dict]:
        return self._epochs.get(int(epoch), {})

    def series(self, node: str, stat: str) -> list[tuple[int, float]]:
        """``(epoch, value)`` of one node's statistic, epochs without a value left out."""
        return [(epoch, float(values[node][stat])) for epoch, values in sorted(self._epochs.items())
                if node in values and _usable(values[node].get(stat))]

    def has(self, node: str) -> bool:
        return any(node in values for values in self._epochs.values())

    def scale(self, stat: str) -> tuple[float, float] | None:
        """The lowest and highest value of ``stat`` in the run (None if it has none);
        the share of zeros always spans 0 to 1."""
        if stat == "zeros":
            return 0.0, 1.0
        values = [float(v[stat]) for epoch in self._epochs.values() for v in epoch.values() if _usable(v.get(stat))]
        if stat in LOG_SCALED:
            values = [v for v in values if v > 0]
        return (min(values), max(values)) if values else None

    def level(self, stat: str, value, scale: tuple[float, float] | None) -> float | None:
        """Where ``value`` lies on ``scale``, from 0 (lowest) to 1 (highest); None if unknown."""
        if scale is None or not _usable(value):
            return None
        low, high = scale
        if stat in LOG_SCALED:
            if value <= 0:
                return 0.0
            value, low, high = math.log10(value), math.log10(low), math.log10(high)
        if high <= low:
            return 0.5
        return max(0.0, min(1.0, (value - low) / (high - low)))


def value_text(stat: str, value) -> str:
    """A statistic's value as a card or a legend shows it."""
    if not _usable(value):
        return "—"
    if stat == "zeros":
        return f"{value:.0%}"
    if stat in LOG_SCALED:
        return f"{value:.1e}"
    return f"{value:.3g}"


def append_node_stats(run_dir: str | Path, epoch: int, stats: dict) -> None:
    """Keep one epoch's statistics in the run folder (a line appended: no rewrite per epoch)."""
    try:
        with open(Path(run_dir) / STATS_FILE, "a", encoding="utf-8") as file:
            file.write(json.dumps({"epoch": epoch, "stats": stats}, allow_nan=True) + "\n")
    except OSError:  # the statistics are a help, never a reason for a run to fail
        pass


def read_node_stats(run_dir: str | Path, up_to: int | None = None) -> dict[int, dict]:
    """A run folder's statistics by epoch (the last line of an epoch wins: a resumed run
    repeats the epochs after its checkpoint), up to ``up_to``; a damaged line is skipped."""
    epochs: dict[int, dict] = {}
    try:
        lines = (Path(run_dir) / STATS_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        return epochs
    for line in lines:
        try:
            row = json.loads(line)
            epoch, stats = int(row["epoch"]), dict(row["stats"])
        except (ValueError, KeyError, TypeError):
            continue
        if up_to is None or epoch <= up_to:
            epochs[epoch] = stats
    return epochs
