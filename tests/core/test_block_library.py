"""The built-in block library and the block examples: every file checks, exports and runs;
loading a block brings its dependencies; a saved block reads back the same."""

import pytest
import torch
from core_helpers import ROOT, load_exported

from netbuilder.cli import main
from netbuilder.core import blocks
from netbuilder.core.block_library import (
    BUILTIN,
    library_document,
    list_library,
    plan_load,
    read_block,
    save_to_library,
)
from netbuilder.core.compiler import build_model
from netbuilder.core.document import GraphDocument
from netbuilder.core.errors import EditError, GraphError
from netbuilder.core.export import export_python
from netbuilder.core.fileformat import dumps, load_graph
from netbuilder.core.shapes import infer_shapes

SHIPPED = {"BasicBlock", "Bottleneck", "InvertedResidual", "SqueezeExcite", "TransformerEncoderBlock", "UNetDown",
           "UNetUp"}
FILES = sorted(BUILTIN.glob("*.json"))


def test_the_built_in_library_offers_the_promised_blocks():
    library = list_library()
    assert library.problems == []
    assert {b.name for b in library.blocks} == SHIPPED
    basic = library.find("BasicBlock")
    assert basic.builtin and basic.parameters == ("channels", "stride") and basic.doc.startswith("ResNet basic")


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_library_file_is_a_clean_graph_that_exports_and_runs(path, tmp_path):
    doc = read_block(path)
    report = infer_shapes(doc)
    assert report.problems == []
    assert dumps(doc) == path.read_text(encoding="utf-8")  # saved in canonical form
    compiled = build_model(doc).eval()
    exported = load_exported(export_python(doc, "Exported"), tmp_path, "Exported")().eval()
    exported.load_state_dict(compiled.state_dict(), strict=True)
    inputs = [torch.randn(2, *doc.nodes[n].params["shape"]) for n in compiled.netbuilder_inputs]
    with torch.no_grad():
        a, b = compiled(*inputs), exported(*inputs)
    for x, y in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
        assert torch.equal(x, y)


def test_the_transformer_block_is_torch_s_encoder_layer():
    doc = read_block(BUILTIN / "TransformerEncoderBlock.json")
    doc.set_param("block", "dropout", 0.0)
    ours = build_model(doc).eval()
    torch.manual_seed(0)
    theirs = torch.nn.TransformerEncoderLayer(64, 4, 256, dropout=0.0, batch_first=True).eval()
    ours.block.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(3, 16, 64)
    with torch.no_grad():
        assert torch.allclose(ours(x), theirs(x), atol=1e-5)


def test_loading_a_block_brings_what_it_needs_and_is_one_undoable_plan():
    doc = GraphDocument("mine")
    undo = blocks.apply(doc, plan_load(doc, BUILTIN / "BasicBlock.json"))
    assert list(doc.blocks) == ["BasicBlock"]
    assert plan_load(doc, BUILTIN / "BasicBlock.json").add_blocks == []  # already there, the same
    blocks.apply(doc, undo)
    assert doc.blocks == {}
    doc.add_block("BasicBlock", read_block(BUILTIN / "SqueezeExcite.json").blocks["SqueezeExcite"].copy())
    with pytest.raises(EditError, match="already has a different block named 'BasicBlock'"):
        plan_load(doc, BUILTIN / "BasicBlock.json")


def test_a_saved_block_reads_back_with_its_dependencies(tmp_path):
    doc = load_graph(ROOT / "tests" / "core" / "blocks_data" / "resnet_tiny.json")
    path = save_to_library(doc, "BasicBlock", tmp_path / "mine")
    assert path == tmp_path / "mine" / "BasicBlock.json"
    back = read_block(path)
    assert back.blocks["BasicBlock"].definition_dict() == doc.blocks["BasicBlock"].definition_dict()
    assert infer_shapes(back).problems == []
    assert dumps(library_document(doc, "BasicBlock")) == path.read_text(encoding="utf-8")
    library = list_library([tmp_path / "mine", BUILTIN])
    assert not library.find("BasicBlock").builtin  # the first folder wins
    (tmp_path / "mine" / "Broken.json").write_text("{}", encoding="utf-8")
    assert len(list_library([tmp_path / "mine"]).problems) == 1


def test_a_file_that_is_no_block_is_refused(tmp_path):
    with pytest.raises(GraphError, match="defines the block it is named after"):
        read_block(ROOT / "examples" / "digits_cnn.json")


@pytest.mark.parametrize("name", ["resnet_digits", "transformer_sequence"])
def test_the_block_examples_check_summarise_and_export(name, tmp_path, capsys):
    path = ROOT / "examples" / f"{name}.json"
    doc = load_graph(path)
    assert doc.blocks and infer_shapes(doc).problems == []
    assert main(["check", "--strict", str(path)]) == 0
    assert main(["summary", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "blocks:" in printed
    assert main(["export", str(path), "-o", str(tmp_path / "model.py")]) == 0
    code = (tmp_path / "model.py").read_text(encoding="utf-8")
    assert f"class {next(iter(doc.blocks))}(nn.Module):" in code


def test_the_examples_use_a_parameterised_block_and_a_repeated_one():
    resnet = load_graph(ROOT / "examples" / "resnet_digits.json")
    stages = [n for n in resnet.nodes.values() if n.type == "BasicBlock"]
    assert len(stages) == 2 and {s.params["channels"] for s in stages} == {16, 32}
    transformer = load_graph(ROOT / "examples" / "transformer_sequence.json")
    assert transformer.nodes["encoder"].params["repeat"] == 2
    assert transformer.training["data"]["source"] == "waveforms"
