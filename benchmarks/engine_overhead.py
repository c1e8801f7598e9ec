"""Epoch time of the engine over a hand-written PyTorch loop, one thread, process
CPU time (goal: <= 1.05 for the digits MLP 256 and the digits CNN).

Both train the same model (built from the same graph with the same seed) on the
same prepared tensors (standard strides for both: a layout NumPy happens to hand
one of them would change which convolution kernel runs) with the same batch size
and optimiser, and validate once per epoch. The hand loop is the tight one a
practitioner writes: ``randperm``, index, step, ``loss.item()``, then a validation
pass. The engine's epoch is the time spent inside its generator from one
``EpochEnd`` to the next, so it includes everything the engine does per batch and
per epoch (events, metrics, checkpoint copies) in a run like the CLI's: the node
statistics and evaluation reports only a GUI shows (``Trainer(details=True)``, what the
GUI's worker asks for) cost about 3% more on the MLP. The two alternate
epoch by epoch, and which goes first alternates too, so a machine whose load
drifts slows both alike; the median of the per-epoch ratios is the figure. The
process's CPU time is what counts, since other jobs on a shared machine cannot
inflate it; with one thread it holds no spinning OpenMP workers either.

    python benchmarks/engine_overhead.py [--runs 3] [--epochs 8]
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
from netbuilder.train.recipe import standard_strides

ROOT = Path(__file__).resolve().parents[1]
GOAL = 1.05


def digits_mlp(hidden: int) -> GraphDocument:
    doc = GraphDocument(f"digits mlp {hidden}")
    prev = doc.add_node("Input", {"shape": [1, 8, 8]})
    for layer_type, params in [("Flatten", {}), ("Linear", {"out_features": hidden}), ("ReLU", {}),
                               ("Linear", {"out_features": hidden}), ("ReLU", {}), ("Linear", {"out_features": 10})]:
        node = doc.add_node(layer_type, params)
        doc.connect(Edge(prev, node))
        prev = node
    return doc


def hand_epochs(doc: GraphDocument, config: TrainingConfig):
    """The hand-written loop, one epoch per ``next()``."""
    data = prepare_data(config)
    x, y = standard_strides(torch.from_numpy(data.train.x)), torch.from_numpy(data.train.y)
    x_val, y_val = standard_strides(torch.from_numpy(data.val.x)), torch.from_numpy(data.val.y)
    torch.manual_seed(config.seed)
    model = build_model(doc)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.optimizer.lr)
    batch = config.batch_size
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
        val_loss, correct = 0.0, 0
        with torch.no_grad():
            for start in range(0, len(x_val), batch):
                output = model(x_val[start:start + batch])
                val_loss += F.cross_entropy(output, y_val[start:start + batch]).item() * len(output)
                correct += (output.argmax(1) == y_val[start:start + batch]).sum().item()
        yield total / len(x), val_loss / len(x_val), correct / len(x_val)


def engine_epochs(doc: GraphDocument, config: TrainingConfig, runs_dir: str):
    """The engine's events, one ``EpochEnd`` per ``next()``."""
    for event in Trainer(doc, config, runs_dir=runs_dir).run():
        if isinstance(event, Failed):
            raise SystemExit(event.message)
        if isinstance(event, EpochEnd):
            yield event


def clocks() -> tuple[float, float]:
    """Wall time and the process's CPU time."""
    return time.perf_counter(), time.process_time()


def epoch_times(doc: GraphDocument, config: TrainingConfig, runs_dir: str) -> list[tuple[tuple, tuple]]:
    """``((engine wall, engine cpu), (hand wall, hand cpu))`` seconds of each epoch
    but the first (set-up and warm-up)."""
    engine, hand = engine_epochs(doc, config, runs_dir), hand_epochs(doc, config)
    times = []
    for epoch in range(config.epochs):
        first, second = (engine, hand) if epoch % 2 == 0 else (hand, engine)
        started = clocks()
        next(first)
        middle = clocks()
        next(second)
        ended = clocks()
        spans = (tuple(b - a for a, b in zip(started, middle)), tuple(b - a for a, b in zip(middle, ended)))
        times.append(spans if first is engine else spans[::-1])
    engine.close()
    return times[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = TrainingConfig.from_dict({"data": {"source": "digits"}, "epochs": args.epochs, "batch_size": 32})
    models = {"digits CNN": load_graph(ROOT / "examples" / "digits_cnn.json"),
              "MLP 256": digits_mlp(256)}  # ~1 ms steps, where fixed costs per batch/epoch show most
    print(f"torch {torch.__version__}, 1 thread; {args.runs} runs of {args.epochs} epochs on digits, batch "
          f"{config.batch_size}, Adam; median over epochs. Goal: engine / hand loop CPU time <= {GOAL} for each")
    met = True
    with tempfile.TemporaryDirectory() as runs_dir:
        for name, doc in models.items():
            pairs = [pair for _ in range(args.runs) for pair in epoch_times(doc, config, runs_dir)]
            for clock, i in (("wall", 0), ("cpu", 1)):
                engine = statistics.median(e[i] for e, _ in pairs)
                hand = statistics.median(h[i] for _, h in pairs)
                ratio = statistics.median(e[i] / h[i] for e, h in pairs)
                verdict = "" if clock == "wall" else f"   goal <= {GOAL}: {'met' if ratio <= GOAL else 'NOT met'}"
                met = met and (clock == "wall" or ratio <= GOAL)
                print(f"{name:10} {clock:4}  engine {engine * 1000:7.1f} ms/epoch   hand loop {hand * 1000:7.1f} "
                      f"ms/epoch   ratio {ratio:.3f}{verdict}")
    print(f"overall: goal {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
