"""The training settings a new graph starts with, against TrainingConfig's bare defaults.

Trains the network a newcomer draws first (Input 1x8x8 -> Conv2d -> ReLU -> MaxPool2d ->
Flatten -> Linear(10), every other parameter at its default) on the digits data set,
seeds 0-2, with each set of settings, and prints the validation accuracy of the kept
(best) epoch. Goal (issue 14): the new-graph settings reach ~98% (mean >= 0.975).

    .venv/bin/python benchmarks/starter_settings.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netbuilder.core.document import Edge, GraphDocument  # noqa: E402
from netbuilder.train.defaults import NEW_GRAPH_TRAINING  # noqa: E402
from netbuilder.train.engine import Trainer  # noqa: E402
from netbuilder.train.events import Failed, Finished  # noqa: E402

GOAL = 0.975


def first_cnn(training: dict) -> GraphDocument:
    doc = GraphDocument("first cnn")
    previous = doc.add_node("Input", {"shape": [1, 8, 8]})
    for layer_type in ("Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear"):
        node = doc.add_node(layer_type, {"out_features": 10} if layer_type == "Linear" else {})
        doc.connect(Edge(previous, node))
        previous = node
    doc.training = {**training, "data": {"source": "digits"}}
    return doc


def accuracy(training: dict, seed: int) -> float:
    with tempfile.TemporaryDirectory() as runs:
        for event in Trainer(first_cnn({**training, "seed": seed}), runs_dir=runs).run():
            if isinstance(event, Failed):
                raise SystemExit(event.message)
            if isinstance(event, Finished):
                return event.best["accuracy"]
    raise SystemExit("the run did not finish")


def main() -> None:
    results = {}
    for name, training in (("bare defaults", {}), ("new-graph settings", NEW_GRAPH_TRAINING)):
        scores = [accuracy(training, seed) for seed in range(3)]
        results[name] = statistics.mean(scores)
        print(f"{name:20s} val accuracy {results[name]:.4f}  (seeds 0-2: {', '.join(f'{s:.4f}' for s in scores)})")
    ok = results["new-graph settings"] >= GOAL
    print(f"goal: new-graph settings >= {GOAL}: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
