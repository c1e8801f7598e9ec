"""Does a compiled graph run as fast as the same network written by hand?

For an MLP, a CNN and an LSTM classifier, builds the model twice: with
``build_model`` from a graph document, and as a hand-written ``nn.Module``.
Both get the same weights; forward + backward passes are timed in short
blocks, one block of each model per round, alternating which goes first, and
the median over rounds of the ratio compiled / hand-written is printed
(pairing the blocks of a round cancels most of the noise of a busy machine).
Target: ≤ 1.02.

Run: ``python benchmarks/compile_overhead.py [--rounds N]``. Timings are the
CPU time of one thread, which keeps them steady on a busy machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from netbuilder.core.compiler import build_model
from netbuilder.core.document import Edge, GraphDocument

TARGET = 1.02


def graph(name: str, *steps) -> GraphDocument:
    doc = GraphDocument(name)
    previous = None
    for node_id, layer_type, params in steps:
        doc.add_node(layer_type, params, node_id=node_id)
        if previous:
            doc.connect(Edge(previous, node_id))
        previous = node_id
    return doc


class HandMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(256, 256)
        self.relu2 = nn.ReLU()
        self.fc3 = nn.Linear(256, 10)

    def forward(self, x):
        return self.fc3(self.relu2(self.fc2(self.relu1(self.fc1(x)))))


class HandCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(64 * 14 * 14, 128)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.pool(self.relu2(self.conv2(self.relu1(self.conv1(x)))))
        return self.fc2(self.relu3(self.fc1(self.flatten(x))))


class HandLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 64, batch_first=True)
        self.classifier = nn.Linear(64, 4)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.classifier(out[:, -1])


CASES = {
    "MLP": (graph("mlp", ("x", "Input", {"shape": [784]}), ("fc1", "Linear", {"out_features": 256}),
                  ("relu1", "ReLU", {}), ("fc2", "Linear", {"out_features": 256}), ("relu2", "ReLU", {}),
                  ("fc3", "Linear", {"out_features": 10})),
            HandMLP, (128, 784)),
    "CNN": (graph("cnn", ("x", "Input", {"shape": [1, 28, 28]}),
                  ("conv1", "Conv2d", {"out_channels": 32, "kernel_size": 3, "padding": 1}), ("relu1", "ReLU", {}),
                  ("conv2", "Conv2d", {"out_channels": 64, "kernel_size": 3, "padding": 1}), ("relu2", "ReLU", {}),
                  ("pool", "MaxPool2d", {"kernel_size": 2}), ("flatten", "Flatten", {}),
                  ("fc1", "Linear", {"out_features": 128}), ("relu3", "ReLU", {}),
                  ("fc2", "Linear", {"out_features": 10})),
            HandCNN, (16, 1, 28, 28)),
    "LSTM": (graph("lstm", ("x", "Input", {"shape": [32, 1]}),
                   ("lstm", "LSTM", {"hidden_size": 64, "output": "last"}),
                   ("classifier", "Linear", {"out_features": 4})),
             HandLSTM, (64, 32, 1)),
}


def block_time(model: nn.Module, x: torch.Tensor, steps: int) -> float:
    """CPU seconds of ``steps`` forward + backward passes (time spent descheduled is not counted)."""
    start = time.process_time()
    for _ in range(steps):
        model.zero_grad(set_to_none=True)
        model(x).sum().backward()
    return time.process_time() - start


def compare(doc: GraphDocument, hand_class, shape, rounds: int) -> tuple[float, float, float]:
    torch.manual_seed(0)
    compiled, hand = build_model(doc), hand_class()
    hand.load_state_dict(compiled.state_dict())  # same names, same weights
    x = torch.randn(shape)
    assert torch.equal(compiled(x), hand(x))
    steps = max(1, int(0.05 / max(block_time(hand, x, 1), 1e-3)))  # blocks of about 50 ms
    for model in (compiled, hand):
        block_time(model, x, steps)  # warm up
    times: dict[str, list[float]] = {"compiled": [], "hand": []}
    for r in range(rounds):
        order = [("compiled", compiled), ("hand", hand)]
        for name, model in order if r % 2 else order[::-1]:
            times[name].append(block_time(model, x, steps))
    ratios = [c / h for c, h in zip(times["compiled"], times["hand"])]  # paired: both saw the same machine load
    compiled_ms, hand_ms = (statistics.median(times[k]) / steps * 1000 for k in ("compiled", "hand"))
    return compiled_ms, hand_ms, statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"{'model':6} {'compiled':>12} {'hand-written':>14} {'ratio':>7}   (forward + backward, medians)")
    for name, (doc, hand_class, shape) in CASES.items():
        compiled_ms, hand_ms, ratio = compare(doc, hand_class, shape, args.rounds)
        verdict = "ok" if ratio <= TARGET else f"above the {TARGET} target"
        print(f"{name:6} {compiled_ms:9.3f} ms {hand_ms:11.3f} ms {ratio:7.3f}   {verdict}")


if __name__ == "__main__":
    main()
