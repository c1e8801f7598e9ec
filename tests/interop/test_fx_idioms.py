"""Architectures written the usual way (``models/idioms.py``) import, build, export, run and come back.

For each: BatchNorm statistics are made real by a few training batches, the
model is imported in eval mode, the exported file is run standalone as a
script, its class is imported again, and every model's output equals the
original's (relative max difference ≤ 1e-5).
"""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from netbuilder import import_module
from netbuilder.core.export import export_python
from netbuilder.interop.userfile import instantiate, run_file

MODELS = Path(__file__).parent / "models"
CASES = {  # class in idioms.py: example input shape (batch first)
    "SENet": (2, 3, 8, 8),
    "DenseNet": (2, 3, 8, 8),
    "UNet": (2, 1, 9, 9),  # odd: the up-sampled map is one short, F.pad makes up for it
    "ShuffleUnit": (2, 16, 6, 6),
    "TinyViT": (2, 3, 8, 8),
    "Discriminator": (2, 1, 16, 16),
    "SplitHeads": (2, 5, 12),
    "TransformerClassifier": (2, 7),  # token ids
    "OwnNorms": (2, 5, 8),
    "SegNetStage": (2, 3, 8, 8),
    "VolumeSegNetStage": (2, 2, 4, 6, 6),
    "Seq2Seq": (2, 7),  # token ids
    "SinusoidalEncoder": (2, 4, 8),
}
TOKENS = {"TransformerClassifier": 50, "Seq2Seq": 30}  # vocabulary of the models whose input is token ids


def _example(name: str, batch: int) -> torch.Tensor:
    shape = (batch, *CASES[name][1:])
    return torch.randint(0, TOKENS[name], shape) if name in TOKENS else torch.randn(shape) * 2 + 0.5


def relative_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).abs().max() / a.abs().max().clamp_min(1e-12)).item()


def _trained(name: str):
    """The model after a few training batches, so BatchNorm's running statistics are not 0 and 1."""
    torch.manual_seed(0)
    module = instantiate(run_file(MODELS / "idioms.py"), name)
    with torch.no_grad():
        module.train()
        for _ in range(3):
            module(_example(name, 8))
    return module.eval(), _example(name, CASES[name][0])


@pytest.mark.parametrize("name", CASES)
def test_idiom_imports_exports_and_comes_back_exactly(name, tmp_path):
    module, x = _trained(name)
    with torch.no_grad():
        expected = module(x)
    imported = import_module(module, x)
    with torch.no_grad():
        built = imported.build().eval()(x)
    assert built.shape == expected.shape and relative_difference(expected, built) <= 1e-5

    path = tmp_path / "exported.py"
    path.write_text(export_python(imported.document, class_name="Exported"), encoding="utf-8")
    torch.save(imported.state_dict, path.with_suffix(".pt"))
    run = subprocess.run([sys.executable, "-I", str(path)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == str((2, *expected.shape[1:]))

    exported = instantiate(run_file(path), "Exported")
    exported.load_state_dict(imported.state_dict)
    exported.eval()
    with torch.no_grad():
        assert relative_difference(expected, exported(x)) <= 1e-5
    again = import_module(exported, x)
    assert again.document.to_dict()["nodes"] == imported.document.to_dict()["nodes"]
    assert sorted(again.document.edges, key=str) == sorted(imported.document.edges, key=str)
    with torch.no_grad():
        assert relative_difference(expected, again.build().eval()(x)) <= 1e-5


def test_the_discriminator_gives_one_score_per_sample():
    module, x = _trained("Discriminator")
    doc = import_module(module, x).document
    assert [n.type for n in doc.nodes.values()][-2:] == ["Reshape", "Squeeze"]


def test_a_dense_block_joins_a_list_of_one_and_lists_that_grow():
    module, x = _trained("DenseNet")
    doc = import_module(module, x).document
    joins = [len(doc.in_edges(i)) for i, n in doc.nodes.items() if n.type == "Concat"]
    assert joins == [1, 2, 3, 4]


def test_a_vit_keeps_its_class_token_position_embedding_and_layer_scale_with_their_weights():
    module, x = _trained("TinyViT")
    imported = import_module(module, x)
    params = {i: n.params for i, n in imported.document.nodes.items() if n.type == "Parameter"}
    assert params["cls_token"]["shape"] == [1, 1, 16] and params["pos_embed"]["sample_shape"] == [5, 16]
    assert params["blocks_0_gamma"]["sample_shape"] == [1, 16]
    assert torch.equal(imported.state_dict["pos_embed"], module.pos_embed.detach())


def test_a_transformer_encoder_keeps_enable_nested_tensor_as_written():
    module, x = _trained("TransformerClassifier")
    node = import_module(module, x).document.nodes["encoder"]
    assert node.type == "TransformerEncoder" and node.params["num_layers"] == 2
    assert node.params["enable_nested_tensor"] is False


def test_functional_norms_keep_their_weights_and_a_drop_path_is_one_node():
    module, x = _trained("OwnNorms")
    imported = import_module(module, x)
    nodes = {i: n.type for i, n in imported.document.nodes.items()}
    assert nodes["drop_path"] == "DropPath" and imported.document.nodes["drop_path"].params == {"p": 0.2}
    assert nodes["no_drop"] == "Identity"
    assert torch.equal(imported.state_dict["y.weight"], module.weight.detach())
    assert torch.equal(imported.state_dict["group_norm.bias"], module.gn_bias.detach())
    head = next(i for i, n in imported.document.nodes.items() if n.type == "Linear" and i != "fc")
    assert imported.document.nodes[head].params == {"out_features": 3, "bias": False}
    assert torch.equal(imported.state_dict[f"{head}.weight"], module.head_weight.detach())


def test_a_buffer_read_in_forward_becomes_a_parameter_node_with_a_note():
    module, x = _trained("SinusoidalEncoder")
    imported = import_module(module, x)
    assert imported.document.nodes["pe"].type == "Parameter"
    assert torch.equal(imported.state_dict["pe"], module.pe)
    assert any("buffer 'pe'" in note and "training would change it" in note for note in imported.notes)
