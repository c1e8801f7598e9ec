"""Training from the GUI against ``netbuilder train``, and the event loop meanwhile.

The app as shipped: the window comes from ``netbuilder.ui.app.start`` (what
``netbuilder FILE`` runs before its event loop, warm worker included) and this
script sets no environment variable of its own, except the offscreen platform
when there is no display. For each repeat, in alternating order:

- ``netbuilder train FILE --epochs N`` as a subprocess (the CLI, in-process engine);
- the same file in the window: Train is clicked once the warm worker is ready;
- the same again with a 5 ms precise ``QTimer`` recording how late the event loop
  serves it (a run of its own: the timer's 200 wake-ups a second are work too).

Goals (issue 12): GUI training time / CLI training time <= 1.05 (the sum of the
engine's own epoch times, median over repeats; wall times from Train to the end
and of the whole CLI process are printed too), and the 5 ms timer's lateness
p99 <= 20 ms and max <= 50 ms.

    .venv/bin/python benchmarks/ui_latency.py [--epochs 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a headless machine has no other platform
SHELL_ENV = dict(os.environ)  # what a user's shell gives `netbuilder train` (the app's own settings are not)
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer  # noqa: E402

from netbuilder.core.fileformat import load_graph, save_graph  # noqa: E402
from netbuilder.train.events import EpochEnd  # noqa: E402
from netbuilder.ui import app as gui_app  # noqa: E402

EXAMPLE = ROOT / "examples" / "digits_cnn.json"
TIMER_MS = 5
GOALS = {"ratio": 1.05, "p99": 20.0, "max": 50.0}


def graph_file(folder: Path, epochs: int) -> Path:
    doc = load_graph(EXAMPLE)
    doc.training = {**(doc.training or {}), "epochs": epochs}
    doc.training.setdefault("data", {"source": "digits"})
    path = folder / "digits_cnn.json"
    save_graph(doc, path)
    return path


def cli_run(path: Path, runs: Path) -> tuple[float, float]:
    """(sum of epoch times, wall time of the whole process) of ``netbuilder train``."""
    before = set(runs.rglob("history.json"))
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "netbuilder", "train", str(path), "--runs-dir", str(runs)],
                   check=True, capture_output=True, env=SHELL_ENV)
    wall = time.perf_counter() - started
    (history,) = set(runs.rglob("history.json")) - before
    return sum(row["duration"] for row in json.loads(history.read_text())), wall


class Lateness:
    """A precise timer; lateness = time between ticks beyond its interval."""

    def __init__(self, interval_ms: int):
        self.interval = interval_ms
        self.timer = QTimer(timerType=Qt.TimerType.PreciseTimer, interval=interval_ms, timeout=self._tick)
        self.last = 0.0
        self.late_ms: list[float] = []

    def start(self):
        self.last = time.perf_counter()
        self.timer.start()

    def _tick(self):
        now = time.perf_counter()
        self.late_ms.append(max(0.0, (now - self.last) * 1000 - self.interval))
        self.last = now


def wait(condition, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the app")
        QTimer.singleShot(20, loop.quit)
        loop.exec()


def gui_run(path: Path, runs: Path, probe_timer: bool) -> tuple[float, float, list[float]]:
    """(sum of epoch times, wall time from Train to the end, timer lateness) in the window.
    The speed run has no probe: a 200 Hz timer is work of its own, billed to the run."""
    window = gui_app.start(str(path))
    hook = window.training
    hook.controller.runs_dir = runs
    wait(lambda: hook.controller.spare is not None and hook.controller.spare.poll_ready(), 120)
    ready = hook.controller.spare.ready
    print(f"  worker: up to {ready.threads} thread(s) (fewer while the machine is busy), OpenMP wait policy "
          f"{ready.wait_policy}; load average {os.getloadavg()[0]:.1f}")
    durations: list[float] = []
    hook.controller.events.connect(lambda batch: durations.extend(
        e.duration for e in batch if isinstance(e, EpochEnd)))
    shown = time.perf_counter()
    hook.show_panel()  # the first Train builds the panel; the probe measures the run itself
    print(f"  building the Training panel (the first Train click): {(time.perf_counter() - shown) * 1000:.0f} ms")
    probe = Lateness(TIMER_MS)
    loop = QEventLoop()
    hook.controller.ended.connect(loop.quit)
    if probe_timer:
        probe.start()
    started, cpu = time.perf_counter(), time.process_time()
    hook.train()
    loop.exec()
    wall = time.perf_counter() - started
    print(f"  GUI process CPU while training: {(time.process_time() - cpu) / wall:.0%} of a core")
    probe.timer.stop()
    if hook.controller.error:
        raise SystemExit(f"GUI run failed: {hook.controller.error[0]}")
    window._ask_save_changes = lambda: "discard"
    window.close()
    window.deleteLater()
    return sum(durations), wall, probe.late_ms


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        gui_app.create_application()
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)  # never the user's own settings
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder / "settings"))
        path = graph_file(folder, args.epochs)
        runs = folder / "runs"
        ratios, lateness = [], []
        for i in range(args.repeats):
            order = ("cli", "gui") if i % 2 == 0 else ("gui", "cli")
            figures = {name: (cli_run(path, runs) if name == "cli" else gui_run(path, runs, probe_timer=False))
                       for name in order}
            (cli_epochs, cli_wall), (gui_epochs, gui_wall, _) = figures["cli"], figures["gui"]
            late = gui_run(path, runs, probe_timer=True)[2]
            ratios.append(gui_epochs / cli_epochs)
            lateness.extend(late)
            print(f"repeat {i + 1} ({' then '.join(order)}, then GUI with the timer): epochs CLI {cli_epochs:.2f} s, "
                  f"GUI {gui_epochs:.2f} s (ratio {ratios[-1]:.2f}); wall: CLI process {cli_wall:.2f} s, GUI Train "
                  f"to end {gui_wall:.2f} s; timer p99 {percentile(late, 99):.1f} ms, max {max(late):.1f} ms")
    ratio, p99, worst = statistics.median(ratios), percentile(lateness, 99), max(lateness)
    print(f"GUI training time / CLI training time: median {ratio:.3f}  "
          f"(goal <= {GOALS['ratio']}: {verdict(ratio <= GOALS['ratio'])})")
    print(f"{TIMER_MS} ms timer lateness during GUI training ({len(lateness):,} ticks): p50 "
          f"{percentile(lateness, 50):.2f} ms, p99 {p99:.1f} ms (goal <= {GOALS['p99']:.0f}: "
          f"{verdict(p99 <= GOALS['p99'])}), max {worst:.1f} ms (goal <= {GOALS['max']:.0f}: "
          f"{verdict(worst <= GOALS['max'])})")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
