"""Do blocks cost speed? A ResNet-18 made of blocks, and a 1,000-node graph of nested blocks.

- *ResNet-18 of blocks* (BasicBlock, a downsampling block, a two-block stage as a
  sequence block; torchvision's layout and ``state_dict`` keys): the compiled
  model's forward + backward time against the same network written by hand
  (paired blocks of passes, median ratio; goal <= 1.02, as for flat graphs in
  ``compile_overhead.py``), and live shape inference: opening it (file load +
  cold inference), an edit at the top level and an edit inside the BasicBlock
  definition (which every instance uses).
- *Nested 1,000-node graph*: four stages, each a Stage block of Group blocks of
  Unit blocks, about 1,000 layers once expanded; opening it (load + cold
  inference; goal <= 100 ms, the open-time goal of ``shape_inference.py`` for
  a flat 1,000-node graph), a full warm inference, an edit at the top level
  and inside the innermost definition.

    python benchmarks/blocks.py [--rounds N]

Timings of the forward + backward comparison are the CPU time of one thread;
the inference figures are medians of wall-clock time.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netbuilder.core import oracle  # noqa: E402
from netbuilder.core.blockparams import declared_spec  # noqa: E402
from netbuilder.core.compiler import build_model  # noqa: E402
from netbuilder.core.document import Edge, GraphDocument  # noqa: E402
from netbuilder.core.fileformat import load_graph, save_graph  # noqa: E402
from netbuilder.core.shapes import ShapeInference, infer_shapes  # noqa: E402

RATIO_GOAL = 1.02
OPEN_GOAL_MS = 100.0
FULL_GOAL_MS = 100.0
EDIT_GOAL_MS = 10.0
DEFINITION_EDIT_GOAL_MS = 100.0  # every instance re-infers: at most a full inference


def define(doc: GraphDocument, name: str, parameters: dict, nodes: list, edges: list) -> None:
    """Add block ``name``: ``nodes`` are (id, type, params), ``edges`` (source, target[, target_port])."""
    definition = GraphDocument(name)
    definition.library = doc
    definition.parameters = {p: declared_spec(p, raw, p) for p, raw in parameters.items()}
    for node_id, layer_type, params in nodes:
        definition.add_node(layer_type, params, node_id=node_id)
    for source, target, *port in edges:
        definition.connect(Edge(source, target, 0, port[0] if port else 0))
    doc.add_block(name, definition)


def chain(doc: GraphDocument, steps: list) -> None:
    previous = None
    for node_id, layer_type, params in steps:
        doc.add_node(layer_type, params, node_id=node_id)
        if previous is not None:
            doc.connect(Edge(previous, node_id))
        previous = node_id


INT = {"kind": "int", "default": 64, "minimum": 1}
STRIDE = {"kind": "int", "default": 1, "minimum": 1}
CONV3 = {"kernel_size": 3, "padding": 1, "bias": False}


def resnet18_graph(size: int = 64, classes: int = 10) -> GraphDocument:
    """torchvision's ResNet-18 as blocks: same module tree, same ``state_dict`` keys."""
    doc = GraphDocument("resnet18")
    main_path = [("x", "Input", {"shape": [64, 8, 8]}),
                 ("conv1", "Conv2d", {**CONV3, "out_channels": "$planes", "stride": "$stride"}),
                 ("bn1", "BatchNorm2d", {}), ("relu1", "ReLU", {}),
                 ("conv2", "Conv2d", {**CONV3, "out_channels": "$planes"}), ("bn2", "BatchNorm2d", {}),
                 ("add", "Add", {}), ("relu2", "ReLU", {}), ("out", "Output", {})]
    main_edges = [("x", "conv1"), ("conv1", "bn1"), ("bn1", "relu1"), ("relu1", "conv2"), ("conv2", "bn2"),
                  ("bn2", "add"), ("add", "relu2"), ("relu2", "out")]
    define(doc, "BasicBlock", {"planes": INT, "stride": STRIDE}, main_path, [*main_edges, ("x", "add", 1)])
    define(doc, "Downsample", {"planes": INT, "stride": STRIDE},
           [("x", "Input", {"shape": [64, 8, 8]}),
            ("0", "Conv2d", {"kernel_size": 1, "out_channels": "$planes", "stride": "$stride", "bias": False}),
            ("1", "BatchNorm2d", {}), ("out", "Output", {})],
           [("x", "0"), ("0", "1"), ("1", "out")])
    define(doc, "DownBlock", {"planes": INT, "stride": STRIDE},
           [*main_path, ("downsample", "Downsample", {"planes": "$planes", "stride": "$stride"})],
           [*main_edges, ("x", "downsample"), ("downsample", "add", 1)])
    define(doc, "Stage", {"planes": INT, "stride": STRIDE},
           [("x", "Input", {"shape": [64, 8, 8]}), ("0", "DownBlock", {"planes": "$planes", "stride": "$stride"}),
            ("1", "BasicBlock", {"planes": "$planes"}), ("out", "Output", {})],
           [("x", "0"), ("0", "1"), ("1", "out")])
    chain(doc, [("input", "Input", {"shape": [3, size, size]}),
                ("conv1", "Conv2d", {"out_channels": 64, "kernel_size": 7, "stride": 2, "padding": 3, "bias": False}),
                ("bn1", "BatchNorm2d", {}), ("relu", "ReLU", {}),
                ("maxpool", "MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}),
                ("layer1", "BasicBlock", {"planes": 64, "repeat": 2}),
                ("layer2", "Stage", {"planes": 128, "stride": 2}),
                ("layer3", "Stage", {"planes": 256, "stride": 2}),
                ("layer4", "Stage", {"planes": 512, "stride": 2}),
                ("avgpool", "AdaptiveAvgPool2d", {"output_size": 1}), ("flatten", "Flatten", {}),
                ("fc", "Linear", {"out_features": classes})])
    return doc


class HandBlock(nn.Module):
    """torchvision's BasicBlock (one ReLU module per use, which holds no state)."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu2 = nn.ReLU()
        self.downsample = downsample

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu2(out + identity)


class HandResNet18(nn.Module):
    """ResNet-18 written the usual way, with ``_make_layer``."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(64, 1)
        self.layer2 = self._make_layer(128, 2)
        self.layer3 = self._make_layer(256, 2)
        self.layer4 = self._make_layer(512, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(512, classes)

    def _make_layer(self, planes: int, stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        layers = [HandBlock(self.inplanes, planes, stride, downsample), HandBlock(planes, planes)]
        self.inplanes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.flatten(self.avgpool(x)))


def nested_graph() -> GraphDocument:
    """Unit (7 layers) → Group (a Unit, then a Unit × 6) → Stage (a strided Unit, then
    Group × 5): four Stage instances, a stem and a head, about 1,000 layers expanded."""
    doc = GraphDocument("nested_blocks")
    define(doc, "Unit", {"width": {"kind": "int", "default": 16, "minimum": 1}, "stride": STRIDE},
           [("x", "Input", {"shape": [16, 8, 8]}),
            ("conv1", "Conv2d", {**CONV3, "out_channels": "$width", "stride": "$stride"}), ("bn1", "BatchNorm2d", {}),
            ("relu1", "ReLU", {}), ("conv2", "Conv2d", {**CONV3, "out_channels": "$width"}),
            ("bn2", "BatchNorm2d", {}), ("relu2", "ReLU", {}), ("drop", "Dropout", {"p": 0.1}), ("out", "Output", {})],
           [("x", "conv1"), ("conv1", "bn1"), ("bn1", "relu1"), ("relu1", "conv2"), ("conv2", "bn2"),
            ("bn2", "relu2"), ("relu2", "drop"), ("drop", "out")])
    define(doc, "Group", {"width": {"kind": "int", "default": 16, "minimum": 1}},
           [("x", "Input", {"shape": [16, 8, 8]}), ("first", "Unit", {"width": "$width"}),
            ("rest", "Unit", {"width": "$width", "repeat": 6}), ("out", "Output", {})],
           [("x", "first"), ("first", "rest"), ("rest", "out")])
    define(doc, "Stage", {"width": {"kind": "int", "default": 16, "minimum": 1}},
           [("x", "Input", {"shape": [16, 8, 8]}), ("down", "Unit", {"width": "$width", "stride": 2}),
            ("body", "Group", {"width": "$width", "repeat": 5}), ("out", "Output", {})],
           [("x", "down"), ("down", "body"), ("body", "out")])
    chain(doc, [("input", "Input", {"shape": [3, 64, 64]}),
                ("stem", "Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}),
                *[(f"stage{i + 1}", "Stage", {"width": 16 * 2 ** i}) for i in range(4)],
                ("pool", "AdaptiveAvgPool2d", {"output_size": 1}), ("flatten", "Flatten", {}),
                ("fc", "Linear", {"out_features": 10})])
    return doc


def expanded_layers(doc: GraphDocument, node_types=None) -> int:
    """Layers of ``doc`` once every instance is expanded (ports not counted)."""
    total = 0
    for node in doc.nodes.values():
        spec = doc.spec_for(node.type)
        if spec.is_input or spec.is_output:
            continue
        if doc.is_block(node.type):
            total += node.params.get("repeat", 1) * expanded_layers(doc.library.blocks[node.type])
        else:
            total += 1
    return total


# -- measuring ------------------------------------------------------------------------------
def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def block_time(model: nn.Module, x: torch.Tensor, steps: int) -> float:
    start = time.process_time()
    for _ in range(steps):
        model.zero_grad(set_to_none=True)
        model(x).sum().backward()
    return time.process_time() - start


def forward_backward_ratio(rounds: int) -> tuple[float, float, float]:
    """(compiled ms, hand-written ms, median paired ratio) of ResNet-18 forward + backward."""
    torch.manual_seed(0)
    compiled, hand = build_model(resnet18_graph()), HandResNet18()
    assert list(compiled.state_dict()) == list(hand.state_dict()), "the keys must be torchvision's"
    hand.load_state_dict(compiled.state_dict(), strict=True)
    x = torch.randn(4, 3, 64, 64)
    compiled.eval(), hand.eval()
    with torch.no_grad():
        assert torch.allclose(compiled(x), hand(x), atol=1e-5)
    compiled.train(), hand.train()
    steps = max(1, int(0.1 / max(block_time(hand, x, 1), 1e-3)))
    for model in (compiled, hand):
        block_time(model, x, steps)
    times: dict[str, list[float]] = {"compiled": [], "hand": []}
    for r in range(rounds):
        order = [("compiled", compiled), ("hand", hand)]
        for name, model in order if r % 2 else order[::-1]:
            times[name].append(block_time(model, x, steps))
    ratios = [c / h for c, h in zip(times["compiled"], times["hand"])]
    compiled_ms, hand_ms = (statistics.median(times[k]) / steps * 1000 for k in ("compiled", "hand"))
    return compiled_ms, hand_ms, statistics.median(ratios)


def inference_figures(doc: GraphDocument, folder: Path, top: tuple[str, str], inner: tuple[str, str, str]):
    """(what, ms, goal) of opening ``doc`` from its file and of edits at the top level and inside a block."""
    path = folder / f"{doc.name}.json"
    save_graph(doc, path)

    def open_cold():
        oracle.clear_caches()
        report = infer_shapes(load_graph(path))
        assert report.ok, report.errors

    open_ms = median_ms(open_cold, 5)
    doc = load_graph(path)
    warm_ms = median_ms(lambda: infer_shapes(doc.copy()), 5)  # a fresh copy: no block evaluation cached
    inference = ShapeInference(doc)
    inference.refresh()
    fresh = itertools.count(1)

    def edit_top():
        doc.set_param(top[0], top[1], 1000 + next(fresh))
        inference.refresh()

    def edit_inner():
        doc.blocks[inner[0]].set_param(inner[1], inner[2], 0.01 * (next(fresh) % 50))
        assert inference.refresh().ok

    top_ms = median_ms(edit_top, 20)
    inner_ms = median_ms(edit_inner, 10)
    inference.close()
    return [
        ("open: load_graph + first inference, cold cache", open_ms, OPEN_GOAL_MS),
        ("full inference, warm oracle cache", warm_ms, FULL_GOAL_MS),
        (f"edit at the top level ({top[0]}.{top[1]})", top_ms, EDIT_GOAL_MS),
        (f"edit inside {inner[0]} ({inner[1]}.{inner[2]}), every instance", inner_ms, DEFINITION_EDIT_GOAL_MS),
    ]


def verdict(value: float, goal: float, unit: str = " ms") -> str:
    return f"{value:8.2f}{unit}  (goal <= {goal:g}{unit.strip() and ' ' + unit.strip()}: " \
           f"{'met' if value <= goal else 'NOT met'})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    resnet = resnet18_graph()
    nested = nested_graph()
    with tempfile.TemporaryDirectory() as folder:
        for doc, top, inner in ((resnet, ("fc", "out_features"), ("BasicBlock", "bn1", "momentum")),
                                (nested, ("fc", "out_features"), ("Unit", "drop", "p"))):
            print(f"{doc.name}: {len(doc.nodes)} top-level nodes, {len(doc.blocks)} blocks, "
                  f"{expanded_layers(doc)} layers expanded")
            for what, ms, goal in inference_figures(doc, Path(folder), top, inner):
                print(f"  {what:<58} {verdict(ms, goal)}")
    compiled_ms, hand_ms, ratio = forward_backward_ratio(args.rounds)
    print(f"resnet18 forward + backward (batch 4, 3x64x64, one thread): compiled {compiled_ms:.1f} ms, "
          f"hand-written {hand_ms:.1f} ms")
    print(f"  {'compiled / hand-written, median of paired blocks':<58} {verdict(ratio, RATIO_GOAL, '')}")


if __name__ == "__main__":
    main()
