"""Cold start: process start to the window painted, and to the shapes shown.

Each measurement is a fresh Python process, started from here; the times are
wall-clock from just before the process is created to the moment it reports
(``time.time()`` in both). Three kinds, alternated, medians over repeats:

- a bare PySide6 ``QMainWindow`` with a label, shown and painted;
- ``python -c "import torch"``;
- the app as shipped: ``netbuilder.cli.main([examples/digits_cnn.json])``, the
  ``netbuilder FILE`` command, with an application event filter installed
  beforehand that only watches (the first paint of the canvas, and the moment
  the editor has its shapes).

Goals (issue 12): window painted <= 3x the bare window; shapes shown <=
1.1x ``import torch`` + 0.3 s. No environment variable is set except the
offscreen platform on a machine without a display.

    .venv/bin/python benchmarks/cold_start.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "digits_cnn.json"

WATCH = textwrap.dedent("""
    import sys, time
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])

    class Watch(QObject):
        painted = False

        def eventFilter(self, obj, event):
            if (event.type() == QEvent.Type.Paint and not self.painted
                    and type(obj.parent()).__name__ == WATCHED):
                self.painted = True
                print("PAINTED", time.time(), flush=True)
                if WATCHED == "QMainWindow":
                    QTimer.singleShot(0, app.quit)
            return False

    watch = Watch()
    app.installEventFilter(watch)
""")

BARE = "WATCHED = 'QMainWindow'\n" + WATCH + textwrap.dedent("""
    from PySide6.QtWidgets import QLabel, QMainWindow
    window = QMainWindow()
    window.setCentralWidget(QLabel("hello"))
    window.resize(1200, 800)
    window.show()
    app.exec()
""")

APP = "WATCHED = 'GraphView'\n" + WATCH + textwrap.dedent("""
    def shapes_shown():
        for widget in app.topLevelWidgets():
            editor = getattr(widget, "editor", None)
            if editor is not None and editor.core_loaded:
                print("SHAPES", time.time(), flush=True)
                app.quit()
                return
        QTimer.singleShot(5, shapes_shown)

    QTimer.singleShot(0, shapes_shown)
    from netbuilder.cli import main
    main([sys.argv[1]])
""")

TORCH = "import time, torch; print('IMPORTED', time.time(), flush=True)"


def measure(code: str, *args: str) -> dict[str, float]:
    env = dict(os.environ)
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    started = time.time()
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)
    marks = {}
    for line in done.stdout.splitlines():
        name, _, stamp = line.partition(" ")
        if stamp:
            marks[name] = float(stamp) - started
    if not marks:
        raise SystemExit(f"no report from the process:\n{done.stderr[-2000:]}")
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    measure(TORCH)  # the first run of anything pays the disk cache
    bare, torch_s, painted, shapes = [], [], [], []
    for i in range(args.repeats):
        runs = [("bare", lambda: measure(BARE)), ("torch", lambda: measure(TORCH)),
                ("app", lambda: measure(APP, str(EXAMPLE)))]
        for name, run in (runs if i % 2 == 0 else runs[::-1]):
            marks = run()
            if name == "bare":
                bare.append(marks["PAINTED"])
            elif name == "torch":
                torch_s.append(marks["IMPORTED"])
            else:
                painted.append(marks["PAINTED"])
                shapes.append(marks["SHAPES"])
    b, t, p, s = (statistics.median(v) for v in (bare, torch_s, painted, shapes))
    print(f"bare PySide6 window painted: {b:.3f} s; python -c 'import torch': {t:.3f} s (medians of {args.repeats})")
    goal = 3 * b
    print(f"netbuilder {EXAMPLE.name}: window painted {p:.3f} s = {p / b:.2f}x the bare window "
          f"(goal <= 3x = {goal:.2f} s: {'met' if p <= goal else 'NOT met'})")
    goal = 1.1 * t + 0.3
    print(f"netbuilder {EXAMPLE.name}: shapes shown {s:.3f} s (goal <= 1.1 x import torch + 0.3 s = {goal:.2f} s: "
          f"{'met' if s <= goal else 'NOT met'})")


if __name__ == "__main__":
    main()
