"""GUI responsiveness and speed while training the digits CNN from the main window.

Opens the main window offscreen on ``examples/digits_cnn.json`` with the Training
panel, clicks Train, and while the run goes a 1 ms ``QTimer`` probe records how
late the event loop services it (the latency a click or a repaint would see).
Prints p50/p99/max latency (target: p99 <= 30 ms) and how many event deliveries
the GUI received per second (the pump caps it near 30).

It also trains the same graph with the same settings through the engine alone
(``Trainer.run()`` in a plain loop in the main thread, as the CLI does, and on a
plain Python thread with no GUI, which isolates the GUI's own cost) and prints
the GUI's training speed relative to each, from the engine's own epoch timings
(target >= 0.9). Speed is measured in a GUI run without the probe (a 1 kHz
Python timer competes for the GIL and would bill its own cost to the GUI);
latency in a second GUI run with it. Runs alternate to spread machine noise;
medians are shown.

    .venv/bin/python benchmarks/ui_latency.py [--epochs 3] [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# OpenMP's default spin-waiting makes PyTorch's main-thread CPU kernels 10-30x slower
# whenever other processes load a small machine (a worker thread is spared); passive
# waiting makes the engine-alone baseline reproducible. Set it yourself to override.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from netbuilder.core.fileformat import load_graph  # noqa: E402
from netbuilder.train.engine import Trainer  # noqa: E402
from netbuilder.train.events import EpochEnd, Failed  # noqa: E402

EXAMPLE = ROOT / "examples" / "digits_cnn.json"


def settings(epochs: int) -> dict:
    doc = load_graph(EXAMPLE)
    training = dict(doc.training or {})
    training.setdefault("data", {"source": "digits"})
    training["epochs"] = epochs
    return training


def engine_epochs(training: dict, runs: str, thread: bool = False) -> list[float]:
    """Epoch times of a plain engine run: in this (main) thread as the CLI runs
    it, or on a plain Python thread with no GUI at all (``thread``)."""
    doc = load_graph(EXAMPLE)
    doc.training = training
    durations = []

    def run():
        for event in Trainer(doc, runs_dir=runs).run():
            if isinstance(event, EpochEnd):
                durations.append(event.duration)
            elif isinstance(event, Failed):
                raise SystemExit(f"engine run failed: {event.message}")

    if thread:
        worker = threading.Thread(target=run)
        worker.start()
        worker.join()
    else:
        run()
    return durations


class Probe:
    """A 1 ms precise timer; lateness = time between ticks beyond the interval."""

    def __init__(self):
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(1)
        self.timer.timeout.connect(self._tick)
        self.last = None
        self.late_ms: list[float] = []

    def start(self):
        self.last = time.perf_counter()
        self.timer.start()

    def stop(self):
        self.timer.stop()

    def _tick(self):
        now = time.perf_counter()
        self.late_ms.append(max(0.0, (now - self.last) * 1000 - 1.0))
        self.last = now


def gui_run(app, training: dict, runs: str, probe: bool = True):
    from netbuilder.ui.main_window import MainWindow
    from netbuilder.ui.training import install_training

    window = MainWindow(autosave_dir=Path(runs) / "autosave")
    doc = load_graph(EXAMPLE)
    doc.training = training
    window.set_document(doc, None)
    hook = install_training(window, runs_dir=runs)
    window.resize(1400, 900)
    window.show()
    hook.show_panel()
    app.processEvents()
    durations, deliveries = [], []
    hook.controller.events.connect(lambda batch: durations.extend(
        e.duration for e in batch if isinstance(e, EpochEnd)))
    ticker = Probe()
    loop = QEventLoop()
    hook.controller.ended.connect(loop.quit)
    if probe:
        ticker.start()
    started = time.perf_counter()
    hook.dock.train_button.click()
    loop.exec()  # the application's event loop, as in the app
    elapsed = time.perf_counter() - started
    ticker.stop()
    deliveries = hook.controller.pump.deliveries / elapsed if hook.controller.pump else 0.0
    if hook.controller.error:
        raise SystemExit(f"GUI run failed: {hook.controller.error[0]}")
    window._ask_save_changes = lambda: "discard"
    window.close()
    window.deleteLater()
    app.processEvents()
    return durations, ticker.late_ms, deliveries


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    app.setOrganizationName("netbuilder-benchmark")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    with tempfile.TemporaryDirectory() as tmp:
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        training = settings(args.epochs)
        engine_epochs(settings(1), tmp)  # warm-up: imports, data set cache
        ratios, thread_ratios, lateness, rates = [], [], [], []
        for i in range(args.repeats):
            engine = engine_epochs(training, tmp)
            threaded = engine_epochs(training, tmp, thread=True)
            gui, _, rate = gui_run(app, training, tmp, probe=False)  # speed, undisturbed
            probed, late, _ = gui_run(app, training, tmp)  # latency: the probe itself costs the run a little
            ratios.append(sum(engine) / sum(gui))
            thread_ratios.append(sum(threaded) / sum(gui))
            lateness.extend(late)
            rates.append(rate)
            print(f"repeat {i + 1}: {args.epochs} epochs take engine (CLI-style, main thread) {sum(engine):.2f} s, "
                  f"engine on a plain thread {sum(threaded):.2f} s, GUI {sum(gui):.2f} s "
                  f"(with the 1 ms probe {sum(probed):.2f} s); probe p99 {percentile(late, 99):.1f} ms")
    print(f"event-loop latency while training ({len(lateness):,} probe ticks): "
          f"p50 {percentile(lateness, 50):.2f} ms, p99 {percentile(lateness, 99):.2f} ms, "
          f"max {max(lateness):.1f} ms  (target p99 <= 30 ms)")
    print(f"GUI deliveries: {statistics.mean(rates):.1f} per second (cap ~30)")
    print(f"GUI training speed / engine alone (CLI-style): median {statistics.median(ratios):.2f}  "
          "(target >= 0.9)")
    print(f"GUI training speed / engine on a plain thread (the GUI's own overhead): "
          f"median {statistics.median(thread_ratios):.2f}")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}")


if __name__ == "__main__":
    main()
