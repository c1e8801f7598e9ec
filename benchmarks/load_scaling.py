"""Opening big graph files stays linear: ``load_graph`` and ``check`` of chains of
1,000 to 20,000 nodes (goals: load of 1,000 nodes <= 30 ms, of 10,000 <= 300 ms;
a 20,000-node file loaded and checked in a few seconds; time per node roughly
flat, so the 20,000/1,000 per-node ratio <= 2).

Each size is written once to a temporary file, then loaded and checked
(:func:`infer_shapes`, what ``netbuilder check`` runs) several times; the median
process CPU time counts, so other jobs on a shared machine cannot inflate it.

    python benchmarks/load_scaling.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.fileformat import load_graph, save_graph
from netbuilder.core.shapes import infer_shapes

SIZES = (1_000, 4_000, 10_000, 20_000)


def chain_file(folder: Path, size: int) -> Path:
    doc = GraphDocument(f"chain {size}")
    doc.add_node("Input", {"shape": [16]}, node_id="x")
    previous = "x"
    for i in range(size - 1):
        node = doc.add_node("Linear" if i % 2 else "ReLU", {"out_features": 16} if i % 2 else {}, node_id=f"n{i}")
        doc.connect(Edge(previous, node))
        previous = node
    path = folder / f"chain_{size}.json"
    save_graph(doc, path)
    return path


def median_cpu(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        action()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    load_ms, check_ms = {}, {}
    with tempfile.TemporaryDirectory() as folder:
        for size in SIZES:
            path = chain_file(Path(folder), size)
            load_ms[size] = 1000 * median_cpu(lambda p=path: load_graph(p), args.repeat)
            check_ms[size] = 1000 * median_cpu(lambda p=path: infer_shapes(load_graph(p)), args.repeat)
            print(f"{size:>6} nodes: load {load_ms[size]:8.1f} ms ({1000 * load_ms[size] / size:5.1f} µs/node), "
                  f"load + check {check_ms[size]:8.1f} ms")
    per_node = (load_ms[20_000] / 20_000) / (load_ms[1_000] / 1_000)
    goals = [
        (f"load 1,000 nodes <= 30 ms: {load_ms[1_000]:.1f} ms", load_ms[1_000] <= 30),
        (f"load 10,000 nodes <= 300 ms: {load_ms[10_000]:.1f} ms", load_ms[10_000] <= 300),
        (f"load + check 20,000 nodes <= 5 s: {check_ms[20_000] / 1000:.2f} s", check_ms[20_000] <= 5000),
        (f"per-node load time 20,000 vs 1,000 <= 2: {per_node:.2f}", per_node <= 2),
    ]
    for text, met in goals:
        print(f"goal {text} — {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
