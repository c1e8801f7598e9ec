"""How the main window copes with a 1,000-node graph.

Builds ten residual towers (Linear → ReLU → Linear → Add, 25 blocks each) fed
by one Input, laid out with core.layout and saved to a file. In one shown main
window (offscreen), it then opens that file and ``examples/digits_cnn.json``
(12 nodes) in turn, each with File → Open's own code and a cold shape cache
(as the first open of a session sees it), and times open + first paint: from
the call to the end of the first paint of the canvas, each time starting from
an empty document. Order alternates;
medians count. Goal: the 1,000-node graph opens and paints in <= 4x the time
of the 12-node example.

Then it drags a card of the big graph 100 steps in the window's canvas and
prints the median / p95 time of one mouse-move (the move plus the repaint it
causes, wall-clock and this thread's CPU), zoomed in and out, with the scene's
linear index as shipped and, for comparison, Qt's BSP tree. Goal: a median
drag step, as shipped, fits one 60 Hz frame (<= 16 ms CPU).

    python benchmarks/canvas_scale.py [--towers 10] [--blocks 25] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QGraphicsScene  # noqa: E402

from netbuilder.core import oracle  # noqa: E402
from netbuilder.core.document import Edge, GraphDocument  # noqa: E402
from netbuilder.core.fileformat import save_graph  # noqa: E402
from netbuilder.core.layout import layered_positions  # noqa: E402
from netbuilder.ui.canvas import GraphView  # noqa: E402
from netbuilder.ui.canvas.node_item import HEADER, WIDTH  # noqa: E402
from netbuilder.ui.main_window import MainWindow  # noqa: E402

SMALL = ROOT / "examples" / "digits_cnn.json"
OPEN_RATIO_GOAL = 4.0
FRAME_MS = 16.0


def residual_towers(towers: int, blocks: int, width: int = 32) -> GraphDocument:
    doc = GraphDocument("scale")
    source = doc.add_node("Input", {"shape": [width]})
    for _ in range(towers):
        prev = source
        for _ in range(blocks):
            a = doc.add_node("Linear", {"out_features": width})
            b = doc.add_node("ReLU")
            c = doc.add_node("Linear", {"out_features": width})
            add = doc.add_node("Add")
            for edge in (Edge(prev, a), Edge(a, b), Edge(b, c), Edge(prev, add, 0, 0), Edge(c, add, 0, 1)):
                doc.connect(edge)
            prev = add
    for node_id, pos in layered_positions(doc).items():
        doc.nodes[node_id].pos = pos
    return doc


class PaintClock(QObject):
    """Notes when a widget's next paint event has been handled: at the first
    event the application dispatches after it (whatever the loop does next,
    such as drawing more of a big graph, is not part of the first paint)."""

    def __init__(self, app: QApplication, widget):
        super().__init__(widget)
        self.widget = widget
        self.painting = False
        self.ended: tuple[float, float] | None = None
        app.installEventFilter(self)

    def start(self) -> None:
        self.painting, self.ended = False, None

    def eventFilter(self, watched, event) -> bool:
        if self.ended is None:
            if watched is self.widget and event.type() == QEvent.Type.Paint:
                self.painting = True
            elif self.painting:
                self.ended = (time.perf_counter(), time.thread_time())
        return False


def open_and_paint(app: QApplication, window: MainWindow, clock: PaintClock, path: Path) -> tuple[float, float]:
    """Wall-clock and CPU (this thread, where all of it runs) seconds from File →
    Open's call to the end of the canvas's first paint, starting from an empty
    document (so neither graph pays to tear down the other)."""
    window.set_document(GraphDocument(), None)
    oracle.clear_caches()
    app.processEvents()
    clock.start()
    start, cpu = time.perf_counter(), time.thread_time()
    if not window.open_path(str(path)):
        raise SystemExit(f"cannot open {path}")
    while clock.ended is None:  # the paint is delivered by the event loop, as on screen
        app.processEvents()
    return clock.ended[0] - start, clock.ended[1] - cpu


def drag_times(app: QApplication, view: GraphView, node_id: str, steps: int = 100) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (this thread) seconds per move; CPU time is what
    stays comparable when the machine is busy with other work."""
    view.center_on_node(node_id)
    item = view.node_item(node_id)
    viewport = view.viewport()
    start = view.mapFromScene(item.mapToScene(QPointF(WIDTH / 2, HEADER / 2)))
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    app.processEvents()
    wall, cpu = [], []
    for i in range(1, steps + 1):
        t0, c0 = time.perf_counter(), time.thread_time()
        QTest.mouseMove(viewport, start + QPoint(2 * i, i))
        app.processEvents()  # delivers the repaint the move scheduled
        wall.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    end = start + QPoint(2 * steps, steps)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    return wall, cpu


def percentiles(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[max(0, round(0.95 * len(ms)) - 1)]
    return f"median {statistics.median(ms):5.2f} ms, p95 {p95:5.2f} ms"


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--towers", type=int, default=10)
    parser.add_argument("--blocks", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    app.setOrganizationName("netbuilder-benchmark")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    with tempfile.TemporaryDirectory() as tmp:
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)  # recent files stay here
        doc = residual_towers(args.towers, args.blocks)
        big = Path(tmp) / "towers.json"
        save_graph(doc, big)
        window = MainWindow(autosave_dir=Path(tmp) / "autosave")
        window.show()
        clock = PaintClock(app, window.view.viewport())
        open_and_paint(app, window, clock, SMALL)  # warm-up: first-use costs of Qt and torch
        wall: dict[Path, list[float]] = {SMALL: [], big: []}
        cpu: dict[Path, list[float]] = {SMALL: [], big: []}
        for i in range(args.repeat):
            for path in (SMALL, big) if i % 2 else (big, SMALL):
                seconds, cpu_seconds = open_and_paint(app, window, clock, path)
                wall[path].append(seconds)
                cpu[path].append(cpu_seconds)
        print(f"open + first paint in the main window, median of {args.repeat}, cold shape cache:")
        names = {SMALL: f"{SMALL.name} (12 nodes)", big: f"{len(doc.nodes)} nodes, {len(doc.edges)} edges"}
        for path, what in names.items():
            print(f"  {what:<28} wall {1000 * statistics.median(wall[path]):7.1f} ms   "
                  f"cpu {1000 * statistics.median(cpu[path]):7.1f} ms")
        ratio = statistics.median(cpu[big]) / statistics.median(cpu[SMALL])
        print(f"goal open + first paint of the {len(doc.nodes)}-node graph <= {OPEN_RATIO_GOAL:g}x the 12-node "
              f"example (CPU time): {ratio:.2f}x — {verdict(ratio <= OPEN_RATIO_GOAL)}")

        open_and_paint(app, window, clock, big)
        view = window.view
        middle = [n for n in doc.nodes if n.startswith("add_")][len(doc.nodes) // 8]
        drag_times(app, view, middle, steps=20)  # warm-up: first paints fill the item caches
        shipped_cpu: list[float] = []
        for index, name in ((QGraphicsScene.ItemIndexMethod.NoIndex, "no index, as shipped"),
                            (QGraphicsScene.ItemIndexMethod.BspTreeIndex, "BSP index")):
            view.scene().setItemIndexMethod(index)
            for zoom_in in (True, False):
                view.reset_zoom()
                if not zoom_in:
                    view.fit_view()
                    view.zoom_out()
                wall, cpu = drag_times(app, view, middle)
                if index == QGraphicsScene.ItemIndexMethod.NoIndex:
                    shipped_cpu += cpu
                label = f"drag at {view.zoom():.0%} ({name})"
                print(f"  {label:<36} wall {percentiles(wall)}   cpu {percentiles(cpu)}")
        drag_ms = 1000 * statistics.median(shipped_cpu)
        print(f"goal median drag step as shipped <= {FRAME_MS:g} ms CPU (one 60 Hz frame): {drag_ms:.2f} ms — "
              f"{verdict(drag_ms <= FRAME_MS)}")
        window._ask_save_changes = lambda: "discard"
        window.close()


if __name__ == "__main__":
    main()
