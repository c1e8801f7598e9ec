"""One live-plot update with 1,000,000 batch-loss points.

Fills the train dock's :class:`LivePlots` with a million points (a very long
run: ~15,000 epochs of 64 batches), then times what the 20 Hz timer does when
one more point arrives: ``setData`` on the buffers' slices (clip-to-view and
peak downsampling on) and repainting the plot widget. Prints the median and
worst of several updates; target: ≤ 20 ms.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/plot_update.py
"""

from __future__ import annotations

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
REPEATS = 15


def main() -> None:
    app = QApplication.instance() or QApplication([])
    plots = LivePlots()
    plots.timer.stop()  # drive updates by hand to time them
    plots.resize(900, 600)
    plots.show()
    rng = np.random.default_rng(0)
    steps_per_epoch = 64
    x = np.arange(N) / steps_per_epoch
    loss = (0.05 + 2.3 * np.exp(-x / 2000)) * rng.lognormal(0.0, 0.3, N)  # noisy, like real batch loss
    plots.reset("accuracy", epochs=int(x[-1]) + 100)  # as at RunStarted: the run's length is known
    plots.add_batches(x, loss, np.full(N, 1e-3))
    for epoch in range(1, int(x[-1]) + 1, 50):
        plots.add_epoch(epoch, train_loss=loss[epoch * steps_per_epoch - 1], val_loss=loss[epoch * steps_per_epoch - 1],
                        train_metric=0.9, val_metric=0.9)
    plots.flush()
    app.processEvents()
    times = []
    for i in range(REPEATS):
        plots.add_batch(x[-1] + (i + 1) / steps_per_epoch, 0.1, 1e-3)
        start = time.perf_counter()
        plots.flush()
        plots.view.viewport().repaint()  # synchronous paint of the plot area
        times.append((time.perf_counter() - start) * 1000)
    print("each update (ms):", " ".join(f"{t:.1f}" for t in times))
    print(f"points per curve: {len(plots.batch.buffer):,} (total {plots.point_count():,})")
    print(f"one update (setData + repaint), median: {statistics.median(times):.1f} ms, "
          f"worst: {max(times):.1f} ms  (target <= 20 ms)")
    plots.close()
    app.processEvents()


if __name__ == "__main__":
    main()
