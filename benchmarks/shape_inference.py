"""How fast is live shape inference on a big graph?

Builds a realistic 1,000-node network (stages of Conv2d/BatchNorm2d/ReLU blocks
with residual Adds, then a head of Linear/ReLU/Dropout blocks) and prints the
median time of:

- a full inference with a cold cache (first open of a file),
- a full inference with a warm cache (reopen, or a fresh ShapeInference),
- an incremental refresh after one parameter edit (every keystroke in the
  inspector), which only recomputes what is downstream of the edit and stops
  where shapes come out unchanged; and the worst case, an edit of the input
  shape that changes every node.

Targets: full ≤ 100 ms, incremental ≤ 10 ms. Run: ``python benchmarks/shape_inference.py``.
"""

from __future__ import annotations

import statistics
import time

from netbuilder.core import oracle
from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.shapes import ShapeInference, infer_shapes

FULL_TARGET_MS = 100.0
EDIT_TARGET_MS = 10.0


def big_graph(target_nodes: int = 1000) -> GraphDocument:
    """Conv stages (residual every two blocks) then a dense head, ~``target_nodes`` nodes."""
    doc = GraphDocument("benchmark")
    last = doc.add_node("Input", {"shape": [3, 32, 32]})

    def then(layer_type: str, params: dict | None = None, *more_inputs: str) -> str:
        nonlocal last
        node = doc.add_node(layer_type, params or {})
        for port, source in enumerate([last, *more_inputs]):
            doc.connect(Edge(source, node, 0, port))
        last = node
        return node

    conv_nodes = int(target_nodes * 0.7)
    widths = [16, 32, 64, 128]
    per_stage = conv_nodes // len(widths)
    for stage, width in enumerate(widths):
        start = len(doc.nodes)
        then("Conv2d", {"out_channels": width, "kernel_size": 3, "padding": 1, "stride": 1 if stage == 0 else 2})
        while len(doc.nodes) - start < per_stage - 7:
            skip = last
            for _ in range(2):
                then("Conv2d", {"out_channels": width, "kernel_size": 3, "padding": 1, "bias": False})
                then("BatchNorm2d")
                then("ReLU")
            then("Add", {}, skip)
    then("AdaptiveAvgPool2d", {"output_size": 1})
    then("Flatten")
    while len(doc.nodes) < target_nodes - 1:
        then("Linear", {"out_features": 128})
        then("ReLU")
        then("Dropout", {"p": 0.1})
    then("Linear", {"out_features": 10})
    return doc


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    doc = big_graph()
    start = time.perf_counter()
    report = infer_shapes(doc)
    first_ms = (time.perf_counter() - start) * 1000
    assert report.ok, report.errors
    print(f"graph: {len(doc.nodes)} nodes, {len(doc.edges)} edges, {report.total_params:,} parameters")

    def cold():
        oracle.clear_caches()
        infer_shapes(doc)

    cold_ms = median_ms(cold, 5)
    warm_ms = median_ms(lambda: infer_shapes(doc), 10)

    inference = ShapeInference(doc)
    inference.refresh()
    linear = next(n for n, node in reversed(doc.nodes.items()) if node.type == "Linear")
    conv = [n for n, node in doc.nodes.items() if node.type == "Conv2d"][-3]
    edits = iter(range(10**6))

    def edit(node_id: str, name: str, base: int):
        doc.set_param(node_id, name, base + next(edits) % 50)
        inference.refresh()

    head_ms = median_ms(lambda: edit(linear, "out_features", 5), 50)
    deep_ms = median_ms(lambda: edit(conv, "out_channels", 128), 50)
    sizes = iter(range(10**6))

    def resize_input():  # every node downstream gets a new shape: the worst case
        size = 32 + next(sizes) % 8
        doc.set_param("input", "shape", [3, size, size])
        inference.refresh()

    worst_ms = median_ms(resize_input, 20)
    inference.close()

    print(f"first inference in a fresh process: {first_ms:7.1f} ms  (includes torch's own warm-up)")
    print(f"full inference, cold cache:  {cold_ms:7.1f} ms  (target ≤ {FULL_TARGET_MS:.0f} ms)")
    print(f"full inference, warm cache:  {warm_ms:7.1f} ms  (target ≤ {FULL_TARGET_MS:.0f} ms)")
    print(f"one edit near the output:    {head_ms:7.2f} ms  (target ≤ {EDIT_TARGET_MS:.0f} ms)")
    print(f"one edit deep in the graph:  {deep_ms:7.2f} ms  (target ≤ {EDIT_TARGET_MS:.0f} ms)")
    print(f"input shape edit (all nodes change): {worst_ms:7.2f} ms  (a full re-inference)")


if __name__ == "__main__":
    main()
