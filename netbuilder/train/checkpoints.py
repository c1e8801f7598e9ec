"""Run folders: ``runs/<graph>/<timestamp>/`` with the settings, the per-epoch history
and the best and last checkpoints.

Checkpoints hold only tensors and plain data (see :func:`netbuilder.train.recipe.
checkpoint`) and are read with ``torch.load(weights_only=True)``, so opening one
never runs code from the file. Writes are throttled (see :class:`CheckpointWriter`),
because on a small model saving every epoch would cost more than the epoch itself.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import datetime
from pathlib import Path

import torch

from ..core.atomic import write_atomic
from .events import CheckpointSaved
from .prepare import TrainingError


def new_run_dir(runs_dir: str | Path, graph_name: str) -> Path:
    """A fresh ``runs_dir/<graph>/<YYYYmmdd-HHMMSS>`` folder (``-2``… if taken)."""
    parent = Path(runs_dir) / (re.sub(r"[^\w.-]+", "_", graph_name).strip("._") or "graph")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path, n = parent / stamp, 1
    while path.exists():
        n += 1
        path = parent / f"{stamp}-{n}"
    path.mkdir(parents=True)
    return path


def resume_file(path: str | Path) -> Path:
    """The checkpoint to resume from: a ``.pt`` file, or a run folder's ``last.pt``."""
    path = Path(path)
    if path.is_dir():
        for name in ("last.pt", "best.pt"):
            if (path / name).is_file():
                return path / name
        raise TrainingError(f"{path}: no last.pt or best.pt in this run folder (did its first epoch finish?)")
    if not path.is_file():
        raise TrainingError(f"{path}: no such checkpoint or run folder")
    return path


def load_checkpoint(path: str | Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise TrainingError(f"{path}: cannot read this checkpoint ({err})") from None


FAILED_FILE = "failed.json"  # a run that failed says so in its folder: message, node_id, epoch, step


def write_json(path: Path, data) -> None:
    write_atomic(path, json.dumps(data, indent=2).encode())


def write_history(run_dir: Path, history: list[dict]) -> None:
    """``history.json`` and ``history.csv``: one row per epoch, every metric a column."""
    write_json(run_dir / "history.json", history)
    columns = list(dict.fromkeys(key for row in history for key in row))
    text = io.StringIO()
    writer = csv.DictWriter(text, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    write_atomic(run_dir / "history.csv", text.getvalue().encode())


class CheckpointWriter:
    """Writes ``last.pt``, ``best.pt`` and the history of a run, at most every ``every_s``.

    An epoch end that is not due is copied aside instead (into one of two reused
    buffers: one may hold the best epoch, the other the latest), and written by the
    next write or by :meth:`flush` when the run ends, stops or fails. So the files
    always end up holding the last finished epoch and the best one.
    Each method returns the :class:`CheckpointSaved` events of what it wrote.
    """

    def __init__(self, run_dir: Path, every_s: float = 10.0):
        self.run_dir, self.every_s = run_dir, every_s
        self._last_write = time.monotonic()
        self._buffers: list = [None, None]
        self._kept: dict[str, tuple[int, int]] = {}  # kind -> (epoch, buffer) not written yet
        self._history: list[dict] | None = None

    def epoch_end(self, state, epoch: int, best: bool, history: list[dict], force: bool = False) -> list:
        """``state()`` builds the checkpoint dict; called only if something is saved."""
        self._history = history
        if force or time.monotonic() - self._last_write >= self.every_s:
            data = _serialise(state())
            self._kept.pop("last", None)
            saved = self._write("last", epoch, data)
            if best:
                self._kept.pop("best", None)
                return saved + self._write("best", epoch, data)
            return saved + self.flush()
        slot = 1 - self._kept["best"][1] if "best" in self._kept else 0
        self._buffers[slot] = _copy_into(self._buffers[slot], state())
        self._kept["last"] = (epoch, slot)
        if best:
            self._kept["best"] = (epoch, slot)
        return []

    def flush(self) -> list:
        """Write what was copied aside, and the history."""
        saved, data = [], {}
        for kind, (epoch, slot) in sorted(self._kept.items(), reverse=True):  # last, then best
            data.setdefault(slot, _serialise(self._buffers[slot]))
            saved += self._write(kind, epoch, data[slot])
        self._kept.clear()
        if self._history is not None:
            write_history(self.run_dir, self._history)
        return saved

    def _write(self, kind: str, epoch: int, data: bytes) -> list:
        path = self.run_dir / f"{kind}.pt"
        write_atomic(path, data)
        if kind == "last" and self._history is not None:
            write_history(self.run_dir, self._history)
        self._last_write = time.monotonic()
        return [CheckpointSaved(str(path), kind, epoch)]


def _copy_into(kept, state):
    """``state`` copied to the CPU, into the tensors of an earlier copy ``kept``
    where they fit: fresh memory is most of the cost of copying a model."""
    if isinstance(state, torch.Tensor):
        if isinstance(kept, torch.Tensor) and kept.shape == state.shape and kept.dtype == state.dtype:
            return kept.copy_(state)
        return state.detach().to("cpu", copy=True)
    if isinstance(state, dict):
        kept = kept if isinstance(kept, dict) else {}
        return {key: _copy_into(kept.get(key), value) for key, value in state.items()}
    if isinstance(state, (list, tuple)):
        kept = kept if isinstance(kept, (list, tuple)) and len(kept) == len(state) else [None] * len(state)
        return type(state)(_copy_into(k, v) for k, v in zip(kept, state))
    return state


def _serialise(state: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def open_tensorboard(run_dir: Path):
    """A TensorBoard ``SummaryWriter`` in the run folder, or None when tensorboard is
    not installed (it is an optional extra: ``pip install netbuilder[tensorboard]``)."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except Exception:
        return None
    return SummaryWriter(log_dir=str(run_dir))
