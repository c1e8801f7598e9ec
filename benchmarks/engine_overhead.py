"""Epoch time of the engine over a hand-written PyTorch loop (target: <= 1.05).

Both train the same model (built from the same graph with the same seed) on the
same prepared data with the same batch size and optimiser, and validate once per
epoch. The hand loop is the tight one a practitioner writes: ``randperm``, slice,
step, ``loss.item()``. The engine's epoch is measured between consecutive
``EpochEnd`` events as a consumer sees them, so it includes everything the engine
does per epoch (events, node statistics, metrics, checkpoint writes). Runs are
interleaved and the median ratio is printed, which keeps a noisy machine fair.

    python benchmarks/engine_overhead.py [--repeats 5] [--epochs 6] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from netbuilder import build_model, load_graph
from netbuilder.core.document import Edge, GraphDocument
from netbuilder.train.config import TrainingConfig
from netbuilder.train.engine import Trainer
from netbuilder.train.events import EpochEnd, Failed
from netbuilder.train.prepare import prepare_data

ROOT = Path(__file__).resolve().parents[1]


def digits_mlp() -> GraphDocument:
    doc = GraphDocument("digits mlp")
    prev = doc.add_node("Input", {"shape": [1, 8, 8]})
    for layer_type, params in [("Flatten", {}), ("Linear", {"out_features": 256}), ("ReLU", {}),
                               ("Linear", {"out_features": 256}), ("ReLU", {}), ("Linear", {"out_features": 10})]:
        node = doc.add_node(layer_type, params)
        doc.connect(Edge(prev, node))
        prev = node
    return doc


def engine_epoch_times(doc: GraphDocument, config: TrainingConfig, runs_dir: str) -> list[float]:
    times = []
    for event in Trainer(doc, config, runs_dir=runs_dir).run():
        if isinstance(event, EpochEnd):
            times.append(time.perf_counter())
        elif isinstance(event, Failed):
            raise SystemExit(event.message)
    return [b - a for a, b in zip(times, times[1:])]  # epoch 1 (warm-up) excluded


def hand_epoch_times(doc: GraphDocument, config: TrainingConfig) -> list[float]:
    data = prepare_data(config)
    x, y = torch.from_numpy(data.train.x), torch.from_numpy(data.train.y)
    x_val, y_val = torch.from_numpy(data.val.x), torch.from_numpy(data.val.y)
    torch.manual_seed(config.seed)
    model = build_model(doc)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.optimizer.lr)
    batch = config.batch_size
    times = [time.perf_counter()]
    for _ in range(config.epochs):
        model.train()
        total = 0.0
        order = torch.randperm(len(x))
        for start in range(0, len(x), batch):
            index = order[start:start + batch]
            loss = F.cross_entropy(model(x[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(index)
        model.eval()
        with torch.no_grad():
            correct = sum((model(x_val[i:i + batch]).argmax(1) == y_val[i:i + batch]).sum().item()
                          for i in range(0, len(x_val), batch))
        times.append(time.perf_counter())
        assert total > 0 and correct >= 0
    return [b - a for a, b in zip(times[1:], times[2:])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    config = TrainingConfig.from_dict({"data": {"source": "digits"}, "epochs": args.epochs, "batch_size": 32})
    models = {"digits CNN": load_graph(ROOT / "examples" / "digits_cnn.json"), "digits MLP": digits_mlp()}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); median of {args.repeats} interleaved "
          f"runs of {args.epochs} epochs (batch {config.batch_size})")
    with tempfile.TemporaryDirectory() as runs_dir:
        for name, doc in models.items():
            ratios, engine_s, hand_s = [], [], []
            for _ in range(args.repeats):
                engine = statistics.median(engine_epoch_times(doc, config, runs_dir))
                hand = statistics.median(hand_epoch_times(doc, config))
                ratios.append(engine / hand)
                engine_s.append(engine)
                hand_s.append(hand)
            print(f"{name}: engine {statistics.median(engine_s) * 1000:.1f} ms/epoch, hand loop "
                  f"{statistics.median(hand_s) * 1000:.1f} ms/epoch, ratio {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
