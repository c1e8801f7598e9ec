"""A ResNet-18 made of blocks has torchvision's module tree: its state_dict keys are those of
the network written the usual way (BasicBlock class, ``_make_layer``), and the weights move across."""

import sys
from pathlib import Path

import torch
from core_helpers import load_exported

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from blocks import HandResNet18, expanded_layers, nested_graph, resnet18_graph  # noqa: E402

from netbuilder.core.compiler import build_model  # noqa: E402
from netbuilder.core.export import export_python  # noqa: E402
from netbuilder.core.shapes import infer_shapes  # noqa: E402


def test_resnet18_of_blocks_has_the_hand_written_state_dict_and_outputs(tmp_path):
    doc = resnet18_graph(size=32)
    report = infer_shapes(doc)
    assert report.problems == []
    torch.manual_seed(0)
    hand = HandResNet18().eval()
    assert report.total_params == sum(p.numel() for p in hand.parameters())
    assert len(doc.nodes) == 12  # a few stage-level nodes, not 60 layers
    for model in (build_model(doc), load_exported(export_python(doc, "Exported"), tmp_path, "Exported")()):
        assert list(model.state_dict()) == list(hand.state_dict())
        model.load_state_dict(hand.state_dict(), strict=True)
        x = torch.randn(2, 3, 32, 32)
        with torch.no_grad():
            assert (model.eval()(x) - hand(x)).abs().max() <= 1e-5
    code = export_python(doc)
    assert "self.layer2 = Stage(DownBlock(in_channels=64, planes=128, stride=2), BasicBlock(planes=128, stride=1))" \
        in code  # a named chain of blocks is a subclass of nn.Sequential, as the user named it
    assert "class Stage(nn.Sequential):" in code
    assert "nn.Conv2d(in_channels=in_channels, out_channels=planes, kernel_size=1, stride=stride, bias=False)" in code


def test_the_nested_benchmark_graph_expands_to_a_thousand_layers():
    doc = nested_graph()
    assert expanded_layers(doc) > 1000
    report = infer_shapes(doc)
    assert report.problems == [] and report.output_types()[0].text() == "(N, 10)"
