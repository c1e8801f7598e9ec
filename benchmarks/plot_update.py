"""Live plots with 1,000,000 batch-loss points: loading them, then one update.

Load: a fresh train dock :class:`LivePlots` gets a million points at once (a
very long run of ~15,000 epochs of 64 batches, restored from its history), with
the smoothed curve, learning rate and per-epoch points, and paints them; timed
from the call to the end of the first paint. Goal: <= 100 ms.

Update: what the 20 Hz timer does when one more point arrives: ``flush`` (the
curves that changed get the points their visible range needs) and a repaint of
the plot widget. Goal: <= 10 ms.

Medians of several runs, CPU time of this thread (where all of it runs, so
other jobs on a shared machine do not inflate it); wall-clock shown beside it.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/plot_update.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from netbuilder.ui.training.plots import LivePlots  # noqa: E402

N = 1_000_000
STEPS_PER_EPOCH = 64
UPDATES = 15
LOAD_GOAL_MS = 100.0
UPDATE_GOAL_MS = 10.0


def run_history() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batch positions (in epochs), losses and learning rates of the long run."""
    rng = np.random.default_rng(0)
    x = np.arange(N) / STEPS_PER_EPOCH
    loss = (0.05 + 2.3 * np.exp(-x / 2000)) * rng.lognormal(0.0, 0.3, N)  # noisy, like real batch loss
    return x, loss, np.full(N, 1e-3)


def shown_plots(app: QApplication) -> LivePlots:
    plots = LivePlots()
    plots.timer.stop()  # drive updates by hand to time them
    plots.resize(900, 600)
    plots.show()
    app.processEvents()
    return plots


def load(plots: LivePlots, x: np.ndarray, loss: np.ndarray, lr: np.ndarray) -> None:
    plots.reset("accuracy", epochs=int(x[-1]) + 100)  # as at RunStarted: the run's length is known
    plots.add_batches(x, loss, lr)
    for epoch in range(1, int(x[-1]) + 1, 50):
        value = loss[epoch * STEPS_PER_EPOCH - 1]
        plots.add_epoch(epoch, train_loss=value, val_loss=value, train_metric=0.9, val_metric=0.9)
    plots.flush()
    plots.view.viewport().repaint()  # synchronous paint of the plot area


def timed(action) -> tuple[float, float]:
    """(wall, CPU of this thread) milliseconds of one call."""
    start, cpu = time.perf_counter(), time.thread_time()
    action()
    return 1000 * (time.perf_counter() - start), 1000 * (time.thread_time() - cpu)


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    x, loss, lr = run_history()
    load(shown_plots(app), x[:1000], loss[:1000], lr[:1000])  # warm-up: first use of pyqtgraph's painting code
    loads = []
    for _ in range(args.repeat):
        plots = shown_plots(app)  # each load into a new panel, as when a run is opened
        loads.append(timed(lambda p=plots: load(p, x, loss, lr)))
        plots.close()
        plots.deleteLater()
        app.processEvents()
    plots = shown_plots(app)
    load(plots, x, loss, lr)
    updates = []
    for i in range(UPDATES):
        plots.add_batch(x[-1] + (i + 1) / STEPS_PER_EPOCH, 0.1, 1e-3)

        def update():
            plots.flush()
            plots.view.viewport().repaint()

        updates.append(timed(update))
    print(f"points per curve: {len(plots.batch.buffer):,} (total {plots.point_count():,})")
    for name, runs in (("load", loads), ("update", updates)):
        wall, cpu = (statistics.median(r[i] for r in runs) for i in (0, 1))
        print(f"{name:<7} median of {len(runs)}: cpu {cpu:6.1f} ms, wall {wall:6.1f} ms "
              f"(worst cpu {max(r[1] for r in runs):.1f} ms)")
    load_ms = statistics.median(r[1] for r in loads)
    update_ms = statistics.median(r[1] for r in updates)
    print(f"goal load of a 1,000,000-point curve <= {LOAD_GOAL_MS:g} ms: {load_ms:.1f} ms — "
          f"{verdict(load_ms <= LOAD_GOAL_MS)}")
    print(f"goal update of a 1,000,000-point curve <= {UPDATE_GOAL_MS:g} ms: {update_ms:.1f} ms — "
          f"{verdict(update_ms <= UPDATE_GOAL_MS)}")
    plots.close()
    app.processEvents()


if __name__ == "__main__":
    main()
