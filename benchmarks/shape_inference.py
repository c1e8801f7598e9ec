"""How fast is live shape inference on a big graph, opened from its file?

Two 1,000-node networks, each saved to a file first:

- *repeating*: stages of Conv2d/BatchNorm2d/ReLU blocks with residual Adds,
  then a head of Linear/ReLU/Dropout blocks: few distinct layers, so the
  oracle's cache answers most nodes;
- *varying*: a chain whose every Conv2d, BatchNorm2d and Linear has its own
  width, so (almost) every node is a new question for the oracle.

For each it prints the median time of:

- ``load_graph`` + the first inference with a cold cache (opening the file);
- a full inference with a warm cache (reopen, or a fresh ShapeInference);
- an incremental refresh after one parameter edit to a value never seen
  before (every keystroke in the inspector), near the output and deep in the
  graph; recomputes only what is downstream and stops where shapes come out
  unchanged; and the worst case, an input shape never seen before, which
  changes every node.

Goals: open (load + cold inference) <= 100 ms, warm inference <= 100 ms, an
edit <= 10 ms; printed with a verdict each. The very first inference in the
process is shown too, outside the goals (it pays torch's warm-up only where a
layer must be built on the meta device; these graphs have none).

    python benchmarks/shape_inference.py
"""

from __future__ import annotations

import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netbuilder.core import oracle  # noqa: E402
from netbuilder.core.document import Edge, GraphDocument  # noqa: E402
from netbuilder.core.fileformat import load_graph, save_graph  # noqa: E402
from netbuilder.core.shapes import ShapeInference, infer_shapes  # noqa: E402

OPEN_GOAL_MS = 100.0
FULL_GOAL_MS = 100.0
EDIT_GOAL_MS = 10.0


class Builder:
    """Appends layers to a document, each fed by the last one."""

    def __init__(self, name: str, shape: list[int]):
        self.doc = GraphDocument(name)
        self.last = self.doc.add_node("Input", {"shape": shape})

    def then(self, layer_type: str, params: dict | None = None, *more_inputs: str) -> str:
        node = self.doc.add_node(layer_type, params or {})
        for port, source in enumerate([self.last, *more_inputs]):
            self.doc.connect(Edge(source, node, 0, port))
        self.last = node
        return node


def repeating_graph(target_nodes: int = 1000) -> GraphDocument:
    """Conv stages (residual every two blocks) then a dense head, ~``target_nodes`` nodes."""
    b = Builder("repeating", [3, 32, 32])
    conv_nodes = int(target_nodes * 0.7)
    widths = [16, 32, 64, 128]
    per_stage = conv_nodes // len(widths)
    for stage, width in enumerate(widths):
        start = len(b.doc.nodes)
        b.then("Conv2d", {"out_channels": width, "kernel_size": 3, "padding": 1, "stride": 1 if stage == 0 else 2})
        while len(b.doc.nodes) - start < per_stage - 7:
            skip = b.last
            for _ in range(2):
                b.then("Conv2d", {"out_channels": width, "kernel_size": 3, "padding": 1, "bias": False})
                b.then("BatchNorm2d")
                b.then("ReLU")
            b.then("Add", {}, skip)
    b.then("AdaptiveAvgPool2d", {"output_size": 1})
    b.then("Flatten")
    while len(b.doc.nodes) < target_nodes - 1:
        b.then("Linear", {"out_features": 128})
        b.then("ReLU")
        b.then("Dropout", {"p": 0.1})
    b.then("Linear", {"out_features": 10})
    return b.doc


def varying_graph(target_nodes: int = 1000) -> GraphDocument:
    """A chain in which every Conv2d, BatchNorm2d and Linear has a width of its own."""
    b = Builder("varying", [3, 16, 16])
    width = itertools.count(8)
    while len(b.doc.nodes) < target_nodes * 0.6:
        b.then("Conv2d", {"out_channels": next(width), "kernel_size": 3, "padding": 1})
        b.then("BatchNorm2d")
        b.then("ReLU")
    b.then("AdaptiveAvgPool2d", {"output_size": 1})
    b.then("Flatten")
    while len(b.doc.nodes) < target_nodes - 1:
        b.then("Linear", {"out_features": next(width)})
        b.then("ReLU")
    b.then("Linear", {"out_features": 10})
    return b.doc


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def verdict(ms: float, goal: float) -> str:
    return f"{ms:7.2f} ms  (goal <= {goal:g} ms: {'met' if ms <= goal else 'NOT met'})"


def measure(doc: GraphDocument, folder: Path) -> list[tuple[str, float, float]]:
    """(what, median ms, goal ms) for one graph."""
    path = folder / f"{doc.name}.json"
    save_graph(doc, path)

    def open_cold():
        oracle.clear_caches()
        report = infer_shapes(load_graph(path))
        assert report.ok, report.errors

    open_ms = median_ms(open_cold, 5)
    doc = load_graph(path)
    warm_ms = median_ms(lambda: infer_shapes(doc), 10)

    inference = ShapeInference(doc)
    inference.refresh()
    linear = next(n for n, node in reversed(doc.nodes.items()) if node.type == "Linear")
    conv = [n for n, node in doc.nodes.items() if node.type == "Conv2d"][-3]
    fresh = itertools.count(1)  # every edit sets a value no node has had: the cache cannot answer

    def edit(node_id: str, name: str, base: int):
        doc.set_param(node_id, name, base + next(fresh))
        inference.refresh()

    head_ms = median_ms(lambda: edit(linear, "out_features", 1000), 30)
    deep_ms = median_ms(lambda: edit(conv, "out_channels", 1000), 30)
    sizes = itertools.count(17)

    def resize_input():  # every node gets a shape it never had: the worst case
        shape = doc.nodes["input"].params["shape"]
        size = next(sizes)
        doc.set_param("input", "shape", [shape[0], size, size])
        inference.refresh()

    worst_ms = median_ms(resize_input, 5)
    inference.close()  # (a residual Add may now refuse its inputs: errors are inferred as fast)
    return [
        ("open: load_graph + first inference, cold cache", open_ms, OPEN_GOAL_MS),
        ("full inference, warm cache", warm_ms, FULL_GOAL_MS),
        ("edit near the output, a value never seen", head_ms, EDIT_GOAL_MS),
        ("edit deep in the graph, a value never seen", deep_ms, EDIT_GOAL_MS),
        ("input shape never seen (all nodes change)", worst_ms, FULL_GOAL_MS),
    ]


def main() -> None:
    start = time.perf_counter()
    infer_shapes(repeating_graph(20))
    first_ms = (time.perf_counter() - start) * 1000
    print(f"first inference in a fresh process (20 nodes): {first_ms:7.1f} ms")
    with tempfile.TemporaryDirectory() as folder:
        for doc in (repeating_graph(), varying_graph()):
            print(f"{doc.name} graph: {len(doc.nodes)} nodes, {len(doc.edges)} edges")
            for what, ms, goal in measure(doc, Path(folder)):
                print(f"  {what:<50} {verdict(ms, goal)}")


if __name__ == "__main__":
    main()
