"""A ResNet-18 written the usual way comes in as blocks, goes out as PyTorch, and comes back the same.

The original's ``state_dict`` loads with ``strict=True`` into the built and the exported model,
whose outputs match the original's (eval mode), and importing the export gives the same blocks.
"""

from pathlib import Path

import pytest
import torch

from netbuilder.cli import main
from netbuilder.core.compiler import build_model
from netbuilder.core.export import export_python
from netbuilder.core.fileformat import dumps, load_graph, loads
from netbuilder.interop.model_import import import_module
from netbuilder.interop.userfile import example_input, instantiate, run_file
from netbuilder.interop.weights import load_weights

MODELS = Path(__file__).parent / "models"
SHAPE = [3, 64, 64]


def _randomised(model: torch.nn.Module) -> torch.nn.Module:
    """BatchNorm statistics and affine terms away from 1 and 0, so that every tensor shows in the outputs."""
    generator = torch.Generator().manual_seed(3)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            for tensor in (module.weight, module.bias, module.running_mean):
                tensor.data = torch.randn(tensor.shape, generator=generator) * 0.5 + (1 if tensor is module.weight
                                                                                      else 0)
            module.running_var.data = torch.rand(module.running_var.shape, generator=generator) + 0.5
    return model.eval()


@pytest.fixture(scope="module")
def original():
    torch.manual_seed(0)
    model = _randomised(instantiate(run_file(MODELS / "resnet18.py"), "ResNet18"))
    return model, example_input(model, SHAPE, "float32")


@pytest.fixture(scope="module")
def imported(original):
    model, x = original
    return import_module(model, x, blocks=True)


def _exported_class(doc, tmp_path: Path, name: str):
    path = tmp_path / f"{name}.py"
    path.write_text(export_python(doc), encoding="utf-8")
    return getattr(run_file(path), doc.name), path


def _max_difference(a: torch.nn.Module, b: torch.nn.Module, x: torch.Tensor) -> float:
    a.eval(), b.eval()
    with torch.no_grad():
        return (a(x) - b(x)).abs().max().item()


def test_resnet18_is_a_few_stage_level_nodes(imported):
    doc = imported.document
    assert len(doc.nodes) == 12
    assert {doc.nodes[f"layer{i}"].type for i in (2, 3, 4)} == {"Sequential_2"}
    assert doc.nodes["layer1"].type == "BasicBlock" and doc.nodes["layer1"].params["repeat"] == 2
    assert list(doc.blocks) == ["BasicBlock", "Sequential", "BasicBlock_2", "Sequential_2"]


def test_the_original_state_dict_loads_strictly_into_the_built_model(original, imported):
    model, x = original
    assert set(imported.state_dict) == set(model.state_dict())
    built = build_model(imported.document)
    built.load_state_dict(model.state_dict(), strict=True)
    assert _max_difference(built, model, x) <= 1e-5


def test_the_export_reads_like_hand_written_code_and_takes_the_original_weights(original, imported, tmp_path):
    model, x = original
    source = export_python(imported.document)
    assert "import netbuilder" not in source and "from netbuilder" not in source
    assert "class BasicBlock(nn.Module):" in source
    assert "self.layer1 = nn.Sequential(*[BasicBlock(channels=64) for _ in range(2)])" in source
    assert "self.layer2 = nn.Sequential(BasicBlock_2(in_channels=64, channels=128), BasicBlock(channels=128))" \
        in source  # a stage, as _make_layer makes it
    assert "self.downsample = nn.Sequential(\n" in source
    cls, _ = _exported_class(imported.document, tmp_path, "resnet18_export")
    exported = cls()
    exported.load_state_dict(model.state_dict(), strict=True)
    assert list(exported.state_dict()) == list(model.state_dict())
    assert _max_difference(exported, model, x) <= 1e-5


def test_reimporting_the_export_gives_the_same_blocks(original, imported, tmp_path):
    model, x = original
    cls, _ = _exported_class(imported.document, tmp_path, "resnet18_again")
    exported = cls()
    exported.load_state_dict(model.state_dict())
    again = import_module(exported, x, blocks=True).document
    first = loads(dumps(imported.document)).to_dict()
    second = loads(dumps(again)).to_dict()
    assert second["blocks"].keys() == first["blocks"].keys()
    for name in first["blocks"]:
        assert _graph_of(second["blocks"][name]) == _graph_of(first["blocks"][name]), name
    assert _graph_of(second) == _graph_of(first)


def _graph_of(form: dict) -> tuple:
    """What a graph says, less where its nodes sit and the example shapes of its Inputs."""
    nodes = [(n["id"], n["type"], {k: v for k, v in n.get("params", {}).items() if k != "shape"})
             for n in form["nodes"]]
    edges = sorted((e["source"], e["target"], e.get("source_port", 0), e.get("target_port", 0))
                   for e in form["edges"])
    return nodes, edges, form.get("parameters")


def test_netbuilder_import_writes_the_blocks_and_the_original_weights(original, tmp_path, capsys):
    out = tmp_path / "resnet18.json"
    assert main(["import", f"{MODELS / 'resnet18.py'}:ResNet18", "--input-shape", "3,64,64", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "12 nodes" in printed and "blocks: BasicBlock" in printed
    doc = load_graph(out)
    weights = load_weights(doc, out)
    torch.manual_seed(0)
    fresh = instantiate(run_file(MODELS / "resnet18.py"), "ResNet18")
    assert set(weights) == set(fresh.state_dict())


def test_flat_import_is_still_there(original):
    model, x = original
    assert len(import_module(model, x, blocks=False).document.nodes) > 60
