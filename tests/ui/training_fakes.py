"""Trainer factories the worker process imports by name in the process tests (no tests here)."""

from __future__ import annotations

import time

from netbuilder.train.events import BatchEnd, RunStarted


class StuckInALayer:
    """Starts, reports one batch, then hangs in a "layer" that never returns (ignores Stop)."""

    def __init__(self, doc, config, runs_dir, resume, base_dir):
        self.run_dir = runs_dir

    def run(self):
        yield RunStarted({}, 1, 1, "cpu", self.run_dir, 1, 10, 0, {"name": "stuck"})
        yield BatchEnd(1, 1, 10, 1, 1.0, 0.1, 1.0)
        while True:
            time.sleep(1)

    def pause(self): ...
    def resume(self): ...
    def stop(self): ...
    def set_lr(self, lr): ...


def stuck_in_a_layer(doc, config, runs_dir, resume, base_dir):
    return StuckInALayer(doc, config, runs_dir, resume, base_dir)

