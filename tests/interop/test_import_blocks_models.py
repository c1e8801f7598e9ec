"""Models from papers' repositories come in as blocks with their weights, and go out and back unchanged.

For each: the import's own check (the graph's model gives the module's outputs) passed, the original
``state_dict`` loads with ``strict=True`` into the built and the exported model with equal outputs,
and importing the export gives the same blocks.
"""

import importlib.util
from pathlib import Path

import pytest
import torch

from netbuilder.core.compiler import build_model
from netbuilder.core.export import export_python
from netbuilder.interop.model_import import import_module
from netbuilder.interop.userfile import example_input, instantiate, run_file

MODELS = Path(__file__).parent / "models"
TENSOR_OPS = importlib.util.find_spec("netbuilder.interop.tensor_calls") is not None  # issue 9's broadcasting
CASES = {  # file, class, one sample's shape
    "resnet": ("resnet.py", "SmallResNet", [3, 16, 16]),
    "mobilenet": ("nested.py", "TinyMobileNet", [3, 32, 32]),
    "se_resnet": ("se_resnet.py", "SEResNet", [3, 32, 32]),
    "dcgan": ("dcgan.py", "Discriminator", [3, 32, 32]),
}


def _randomise_norms(model: torch.nn.Module) -> torch.nn.Module:
    generator = torch.Generator().manual_seed(5)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.data = torch.randn(module.running_mean.shape, generator=generator) * 0.3
            module.running_var.data = torch.rand(module.running_var.shape, generator=generator) + 0.5
    return model.eval()


def _case(case: str):
    if case == "se_resnet" and not TENSOR_OPS:
        pytest.skip("the squeeze-and-excitation gate broadcasts: needs the tensor ops of issue 9")
    file, class_name, shape = CASES[case]
    torch.manual_seed(0)
    model = _randomise_norms(instantiate(run_file(MODELS / file), class_name))
    return model, example_input(model, shape, "float32")


def _close(a: torch.nn.Module, b: torch.nn.Module, x: torch.Tensor) -> bool:
    a.eval(), b.eval()
    with torch.no_grad():
        return (a(x) - b(x)).abs().max().item() <= 1e-5


def _blocks(doc, named: bool) -> list:
    """Each definition's nodes (type, params but the Inputs' example shapes), edges and parameters, in
    order; with ``named`` False, blocks are told by their place in that order, not by their names."""
    place = {name: (name if named else f"block {i}") for i, name in enumerate(doc.blocks)}
    out = []
    for name, definition in doc.blocks.items():
        form = definition.definition_dict()
        nodes = [(n["id"], place.get(n["type"], n["type"]),
                  {k: v for k, v in n.get("params", {}).items() if k != "shape"}) for n in form["nodes"]]
        out.append((place[name], nodes, sorted(map(str, form["edges"])), form.get("parameters")))
    return out


@pytest.mark.parametrize("case", CASES)
def test_imports_as_blocks_exports_and_comes_back(case, tmp_path):
    model, x = _case(case)
    imported = import_module(model, x, blocks=True)
    doc = imported.document
    assert doc.blocks and len(doc.nodes) < 15
    assert set(imported.state_dict) == set(model.state_dict())
    built = build_model(doc)
    built.load_state_dict(model.state_dict(), strict=True)
    assert _close(built, model, x)
    path = tmp_path / f"{case}_export.py"
    path.write_text(export_python(doc), encoding="utf-8")
    exported = getattr(run_file(path), doc.name)()
    exported.load_state_dict(model.state_dict(), strict=True)
    assert _close(exported, model, x)
    again = import_module(exported, x, blocks=True).document
    # a Sequential subclass (MobileNet's ConvBNReLU) is exported as the nn.Sequential it is, so it
    # comes back under the name of one, the same block otherwise
    named = case != "mobilenet"
    assert _blocks(again, named) == _blocks(doc, named)
    renamed = dict(zip(again.blocks, doc.blocks))
    assert [(n.id, renamed.get(n.type, n.type), n.params) for n in again.nodes.values()] == [
        (n.id, n.type, n.params) for n in doc.nodes.values()]
