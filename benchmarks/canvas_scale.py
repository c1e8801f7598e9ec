"""How the canvas copes with a 1,000-node graph.

Builds ten residual towers (Linear → ReLU → Linear → Add, 25 blocks each)
fed by one Input, lays them out with core.layout and opens them in a
GraphView offscreen. Prints the time to build the scene and render the first
frame, and the median / p95 time of one mouse-move while dragging a node 100
steps (the move plus the repaint it causes, wall-clock and CPU), zoomed in
and zoomed out, with the scene's linear index as shipped and, for
comparison, Qt's BSP tree.

    python benchmarks/canvas_scale.py [--towers 10] [--blocks 25]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QGraphicsScene  # noqa: E402

from netbuilder.core.document import Edge, GraphDocument  # noqa: E402
from netbuilder.core.layout import layered_positions  # noqa: E402
from netbuilder.ui.canvas import GraphView  # noqa: E402
from netbuilder.ui.canvas.node_item import HEADER, WIDTH  # noqa: E402
from netbuilder.ui.editor import Editor  # noqa: E402


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


def open_view(doc: GraphDocument) -> tuple[GraphView, float]:
    start = time.perf_counter()
    view = GraphView(Editor(doc))
    view.resize(1600, 1000)
    view.show()
    view.fit_view()
    view.grab()
    return view, time.perf_counter() - start


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


def report(label: str, times: tuple[list[float], list[float]]) -> None:
    wall, cpu = times
    print(f"  {label:<36} wall {percentiles(wall)}   cpu {percentiles(cpu)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--towers", type=int, default=10)
    parser.add_argument("--blocks", type=int, default=25)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    doc = residual_towers(args.towers, args.blocks)
    print(f"{len(doc.nodes)} nodes, {len(doc.edges)} edges")
    cpu = time.thread_time()
    view, first_frame = open_view(doc.copy())
    cpu = time.thread_time() - cpu
    print(f"  {'build scene + first frame (fit view)':<36} wall {first_frame * 1000:5.0f} ms"
          f"{'':<17}cpu {cpu * 1000:5.0f} ms")
    middle = [n for n in doc.nodes if n.startswith("add_")][len(doc.nodes) // 8]
    drag_times(app, view, middle, steps=20)  # warm-up: first paints fill the item caches
    for index, name in ((QGraphicsScene.ItemIndexMethod.NoIndex, "no index, as shipped"),
                        (QGraphicsScene.ItemIndexMethod.BspTreeIndex, "BSP index")):
        view.scene().setItemIndexMethod(index)
        view.reset_zoom()
        report(f"drag at 100% ({name})", drag_times(app, view, middle))
        view.fit_view()
        view.zoom_out()
        report(f"drag at {view.zoom():.0%} ({name})", drag_times(app, view, middle))
    view.close()


if __name__ == "__main__":
    main()
