"""A Parameter node: a learned tensor held as ``nn.Parameter``, not a module.

A class token joined to a sequence and a position embedding added to it (as
in a vision transformer): shapes, parameter counts, the compiled model, its
gradients, and the exported file run as a script, with the same ``state_dict``.
"""

import subprocess
import sys

import pytest
import torch
from core_helpers import chain, load_exported, wire
from torch import nn

from netbuilder.core.codegen import generate
from netbuilder.core.compiler import build_model
from netbuilder.core.document import GraphDocument
from netbuilder.core.export import export_python
from netbuilder.core.layers import get_spec
from netbuilder.core.shapes import Severity, infer_shapes


def transformer_front() -> GraphDocument:
    """tokens (5, 8) + a class token (1, 8) → (6, 8), plus position embeddings (6, 8), → Linear 3."""
    doc = GraphDocument("class token")
    doc.add_node("Input", {"shape": [5, 8]}, node_id="tokens")
    doc.add_node("Parameter", {"shape": [1, 8]}, node_id="cls")
    doc.add_node("Concat", {"dim": 1}, node_id="joined")
    doc.add_node("Parameter", {"shape": [6, 8], "init": "randn"}, node_id="pos")
    doc.add_node("Add", {}, node_id="placed")
    doc.add_node("Flatten", {}, node_id="flat")
    doc.add_node("Linear", {"out_features": 3}, node_id="head")
    return wire(doc, ("cls", "joined", 0, 0), ("tokens", "joined", 0, 1), ("joined", "placed", 0, 0),
                ("pos", "placed", 0, 1), ("placed", "flat"), ("flat", "head"))


def test_shapes_and_parameter_counts():
    report = infer_shapes(transformer_front())
    assert report.ok, report.problems
    assert report.value_type("cls").shape == (1, 8)
    assert report.value_type("joined").shape == (6, 8)
    assert report.nodes["cls"].params == 8 and report.nodes["pos"].params == 48
    assert report.nodes["pos"].macs == 0
    assert report.total_params == 8 + 48 + (48 * 3 + 3)


def test_a_parameter_takes_no_input_and_gives_the_batch_from_an_input():
    assert get_spec("Parameter").max_inputs == 0 and not get_spec("Parameter").is_input
    doc = GraphDocument("no input")
    doc.add_node("Input", {"shape": [4]}, node_id="x")
    doc.add_node("Parameter", {"shape": [4]}, node_id="bias")
    doc.add_node("Output", node_id="out")
    wire(doc, ("bias", "out"))
    errors = [p.message for p in infer_shapes(doc).errors]
    assert errors == ["no Input node is connected: the model would have no input"]


def test_a_parameter_left_unconnected_still_shows_its_shape():
    doc = chain(("Input", {"shape": [4]}, "x"), ("ReLU", {}, "act"))
    doc.add_node("Parameter", {"shape": [2, 2]}, node_id="spare")
    report = infer_shapes(doc)
    assert report.ok and report.value_type("spare").shape == (2, 2) and not report.nodes["spare"].used
    assert [p.severity for p in report.problems_of("spare")] == [Severity.WARNING]
    assert report.total_params == 0  # left out of the model


def test_compiled_model_holds_parameters_under_the_node_ids_and_trains_them():
    doc = transformer_front()
    model = build_model(doc)
    assert isinstance(model.cls, nn.Parameter) and isinstance(model.head, nn.Linear)
    assert sorted(model.state_dict()) == ["cls", "head.bias", "head.weight", "pos"]
    assert sum(p.numel() for p in model.parameters()) == infer_shapes(doc).total_params
    assert torch.count_nonzero(model.cls) == 0 and torch.count_nonzero(model.pos) > 0  # zeros / randn
    assert generate(doc).attr_of == {"cls": "cls", "pos": "pos", "flat": "flat", "head": "head"}
    out = model(torch.randn(4, 5, 8))
    assert out.shape == (4, 3)
    out.sum().backward()
    assert model.cls.grad.shape == (1, 8) and model.pos.grad.abs().sum() > 0


def test_every_sample_gets_the_same_tensor():
    doc = chain(("Input", {"shape": [3]}, "x"), ("Identity", {}, "keep"))
    doc.add_node("Parameter", {"shape": [3], "init": "ones"}, node_id="w")
    doc.add_node("Multiply", {}, node_id="scaled")
    wire(doc, ("keep", "scaled", 0, 0), ("w", "scaled", 0, 1))
    model = build_model(doc)
    with torch.no_grad():
        model.w.copy_(torch.tensor([1.0, 2.0, 3.0]))
        x = torch.randn(5, 3)
        assert torch.equal(model(x), x * torch.tensor([1.0, 2.0, 3.0]))


def test_exported_code_declares_the_parameter_and_runs_as_a_script(tmp_path):
    doc = transformer_front()
    source = export_python(doc, "Front")
    assert "        self.cls = nn.Parameter(torch.zeros(1, 8))\n" in source
    assert "        self.pos = nn.Parameter(torch.randn(6, 8))\n" in source
    assert "self.cls.expand(tokens.shape[0], 1, 8)" in source
    assert "Parameters: 203." in source
    script = tmp_path / "front.py"
    script.write_text(source, encoding="utf-8")
    result = subprocess.run([sys.executable, "-I", str(script)], capture_output=True, text=True, cwd=tmp_path,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "(2, 3)\n"


def test_exported_class_has_the_built_models_state_dict_and_outputs(tmp_path):
    doc = transformer_front()
    built = build_model(doc).eval()
    exported = load_exported(export_python(doc, "Front"), tmp_path, "Front")().eval()
    assert {k: v.shape for k, v in exported.state_dict().items()} == {k: v.shape for k, v in built.state_dict().items()}
    exported.load_state_dict(built.state_dict())
    x = torch.randn(2, 5, 8)
    with torch.no_grad():
        assert torch.equal(exported(x), built(x))


@pytest.mark.parametrize("init", ["zeros", "ones", "randn"])
def test_every_init_builds(init):
    doc = chain(("Input", {"shape": [2]}, "x"), ("Identity", {}, "keep"))
    doc.add_node("Parameter", {"shape": [2], "init": init}, node_id="p")
    doc.add_node("Add", {}, node_id="sum")
    wire(doc, ("keep", "sum", 0, 0), ("p", "sum", 0, 1))
    assert build_model(doc)(torch.zeros(1, 2)).shape == (1, 2)
