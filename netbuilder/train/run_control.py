"""Pause, resume, stop and a new learning rate, asked for from any thread while a run's
generator trains: what the Training panel's buttons (through the worker) and Ctrl+C
(through the CLI) do to a :class:`~.engine.Trainer` or a :class:`~.gan.GanTrainer`."""

from __future__ import annotations

import threading


class RunControl:
    """Requests from other threads, seen by the run between batches (``_should_stop``)."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._new_lr: float | None = None

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        """End the run after the current batch (a paused run wakes up to stop)."""
        self._stop.set()
        self._running.set()

    def set_lr(self, lr: float) -> None:
        """Change the learning rate from the next batch on (see ``_apply_lr``)."""
        self._new_lr = float(lr)

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopping(self) -> bool:
        """A stop was asked for (the run may still be finishing its batch)."""
        return self._stop.is_set()

    def _should_stop(self) -> bool:
        """Between batches: wait out a pause, apply a new learning rate, report a stop."""
        if not self._running.is_set():
            self._running.wait()  # blocks while paused, without using the CPU
        if self._new_lr is not None:
            lr, self._new_lr = self._new_lr, None
            self._apply_lr(lr)
        return self._stop.is_set()

    def _apply_lr(self, lr: float) -> None:
        raise NotImplementedError
