"""Blocks in generated code: a class per definition, parameters as constructor arguments,
state_dict keys of the same network written by hand, standalone files that run."""

import ast
import os
from pathlib import Path

import torch
from core_helpers import load_exported, random_inputs, run_as_script
from test_codegen import ruff
from torch import nn

from netbuilder.core.codegen import generate
from netbuilder.core.compiler import build_model
from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.export import export_python
from netbuilder.core.fileformat import load_graph
from netbuilder.core.shapes import infer_shapes

DATA = Path(__file__).parent / "blocks_data"
RESNET = DATA / "resnet_tiny.json"
GOLDEN = DATA / "resnet_tiny.py"
UPDATE = os.environ.get("NETBUILDER_UPDATE_GOLDENS") == "1"


class HandBasicBlock(nn.Module):
    """The block of resnet_tiny.json, the way one writes it by hand."""

    def __init__(self, in_channels, channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.shortcut = nn.Conv2d(in_channels, channels, 1, stride, bias=False)
        self.relu2 = nn.ReLU()

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu2(out + self.shortcut(x))


class HandNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.stage1 = nn.Sequential(HandBasicBlock(8, 8), HandBasicBlock(8, 8))
        self.stage2 = HandBasicBlock(8, 16, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(16, 10)

    def forward(self, image):
        return self.fc(self.flatten(self.pool(self.stage2(self.stage1(self.stem(image))))))


def trained_like(model: nn.Module) -> nn.Module:
    """Non-trivial batch-norm statistics, so eval outputs depend on every buffer."""
    torch.manual_seed(0)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, 1, 8, 8))
    return model.eval()


def test_state_dict_keys_are_those_of_the_network_written_by_hand():
    compiled = build_model(load_graph(RESNET))
    hand = trained_like(HandNet())
    assert list(compiled.state_dict()) == list(hand.state_dict())
    assert "stage1.1.conv2.weight" in compiled.state_dict() and "stage2.shortcut.weight" in compiled.state_dict()
    compiled.load_state_dict(hand.state_dict(), strict=True)
    compiled.eval()
    x = torch.randn(4, 1, 8, 8)
    with torch.no_grad():
        assert torch.allclose(compiled(x), hand(x), atol=1e-6)


def test_the_export_reads_like_hand_written_code_and_matches_its_golden_file():
    code = export_python(load_graph(RESNET))
    if UPDATE:
        GOLDEN.write_text(code, encoding="utf-8")
    assert GOLDEN.read_text(encoding="utf-8") == code
    assert "    def __init__(self, channels=64, stride=1):" in code
    assert "self.bn1 = nn.BatchNorm2d(num_features=channels)" in code
    assert "self.stage1 = nn.Sequential(*[BasicBlock(channels=8, stride=1) for _ in range(2)])" in code
    assert "self.stage2 = BasicBlock(channels=16, stride=2)" in code
    classes = [s.name for s in ast.parse(code).body if isinstance(s, ast.ClassDef)]
    assert classes == ["BasicBlock", "ResnetTiny"]
    imports = {ast.unparse(s) for s in ast.parse(code).body if isinstance(s, (ast.Import, ast.ImportFrom))}
    assert imports == {"from pathlib import Path", "import torch", "from torch import nn"}


def test_the_exported_file_runs_standalone_and_is_the_compiled_model(tmp_path, capsys):
    doc = load_graph(RESNET)
    script = tmp_path / "resnet_tiny.py"
    script.write_text(export_python(doc), encoding="utf-8")
    ruff(script)
    assert run_as_script(script, capsys) == "(2, 10)\n"
    compiled = trained_like(build_model(doc))
    exported = load_exported(export_python(doc, "Exported"), tmp_path, "Exported")().eval()
    exported.load_state_dict(compiled.state_dict(), strict=True)
    (x,) = random_inputs(doc, compiled.netbuilder_inputs)
    with torch.no_grad():
        assert torch.equal(compiled(x), exported(x))


def nested_doc() -> GraphDocument:
    """A Stage block holding two Unit instances whose widths follow the Stage's ``width``,
    used twice with different input widths (so Unit's input width becomes an argument)."""
    doc = GraphDocument("nested")
    unit = GraphDocument()
    unit.parameters = {}
    from netbuilder.core.blockparams import declared_spec

    unit.parameters["width"] = declared_spec("width", {"kind": "int", "default": 4, "minimum": 1}, "width")
    unit.add_node("Input", {"shape": [6]}, node_id="x")
    unit.add_node("Linear", {"out_features": "$width"}, node_id="fc")
    unit.add_node("ReLU", node_id="act")
    unit.add_node("Output", node_id="out")
    unit.edges = [Edge("x", "fc"), Edge("fc", "act"), Edge("act", "out")]
    doc.add_block("Unit", unit)
    stage = GraphDocument()
    stage.library = doc  # its instances of Unit resolve while it is built
    stage.parameters = {"width": declared_spec("width", {"kind": "int", "default": 4}, "width")}
    stage.add_node("Input", {"shape": [6]}, node_id="x")
    stage.add_node("Unit", {"width": "$width"}, node_id="first")
    stage.add_node("Unit", {"width": "$width", "repeat": 2}, node_id="rest")
    stage.add_node("Output", node_id="out")
    for edge in (Edge("x", "first"), Edge("first", "rest"), Edge("rest", "out")):
        stage.connect(edge)
    doc.add_block("Stage", stage)
    doc.add_node("Input", {"shape": [6]}, node_id="features")
    doc.add_node("Stage", {"width": 8}, node_id="stage1")
    doc.add_node("Stage", {"width": 5}, node_id="stage2")
    doc.add_node("Linear", {"out_features": 3}, node_id="head")
    for edge in (Edge("features", "stage1"), Edge("stage1", "stage2"), Edge("stage2", "head")):
        doc.connect(edge)
    return doc


class HandUnit(nn.Module):
    def __init__(self, in_features, width=4):
        super().__init__()
        self.fc = nn.Linear(in_features, width)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.fc(x))


class HandStage(nn.Module):
    def __init__(self, in_features, width=4):
        super().__init__()
        self.first = HandUnit(in_features, width)
        self.rest = nn.Sequential(*[HandUnit(width, width) for _ in range(2)])

    def forward(self, x):
        return self.rest(self.first(x))


class HandNested(nn.Module):
    def __init__(self):
        super().__init__()
        self.stage1 = HandStage(6, 8)
        self.stage2 = HandStage(8, 5)
        self.head = nn.Linear(5, 3)

    def forward(self, features):
        return self.head(self.stage2(self.stage1(features)))


def test_nested_blocks_pass_their_parameters_down(tmp_path):
    doc = nested_doc()
    report = infer_shapes(doc)
    assert report.problems == []
    hand = HandNested()
    assert report.total_params == sum(p.numel() for p in hand.parameters())
    code = generate(doc).class_source
    assert "    def __init__(self, in_features, width=4):" in code
    assert "self.first = Unit(in_features=in_features, width=width)" in code
    assert "self.rest = nn.Sequential(*[Unit(in_features=width, width=width) for _ in range(2)])" in code
    assert "self.stage2 = Stage(in_features=8, width=5)" in code
    assert generate(doc).block_classes == ["Unit", "Stage"]
    compiled = build_model(doc)
    assert list(compiled.state_dict()) == list(hand.state_dict())
    compiled.load_state_dict(hand.state_dict(), strict=True)
    x = torch.randn(3, 6)
    with torch.no_grad():
        assert torch.equal(compiled(x), hand(x))
    exported = load_exported(export_python(doc, "Exported"), tmp_path, "Exported")()
    exported.load_state_dict(hand.state_dict(), strict=True)
    with torch.no_grad():
        assert torch.equal(exported(x), hand(x))


def test_uses_whose_forward_code_differs_get_a_class_each():
    doc = GraphDocument("variants")
    from netbuilder.core.blockparams import declared_spec

    block = GraphDocument()
    block.parameters = {"dim": declared_spec("dim", {"kind": "int", "default": 1}, "dim")}
    block.add_node("Input", {"shape": [2, 3]}, node_id="x")
    block.add_node("Softmax", {"dim": "$dim"}, node_id="soft")
    block.add_node("Output", node_id="out")
    block.edges = [Edge("x", "soft"), Edge("soft", "out")]
    doc.add_block("Soft", block)
    doc.add_node("Input", {"shape": [2, 3]}, node_id="x")
    doc.add_node("Soft", {"dim": 1}, node_id="a")
    doc.add_node("Soft", {"dim": 2}, node_id="b")
    doc.connect(Edge("x", "a"))
    doc.connect(Edge("a", "b"))
    generated = generate(doc)
    compiled = build_model(doc)
    x = torch.randn(2, 2, 3)
    expected = torch.softmax(torch.softmax(x, 1), 2)
    with torch.no_grad():
        assert torch.allclose(compiled(x), expected)
    assert len(generated.block_classes) in (1, 2)  # one class if dim is a module argument, else one per use
