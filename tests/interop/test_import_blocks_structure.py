"""Which blocks an import makes: one definition per structure, parameters where instances differ."""

from pathlib import Path

import pytest
import torch
from torch import nn

from netbuilder.interop.block_definitions import file_form
from netbuilder.interop.hierarchy import import_levels
from netbuilder.interop.userfile import example_input, instantiate, run_file

MODELS = Path(__file__).parent / "models"


def _plan(file: str, class_name: str, shape: list[int]) -> dict:
    torch.manual_seed(0)
    model = instantiate(run_file(MODELS / file), class_name)
    hierarchy = import_levels(model, (example_input(model, shape, "float32"),))
    assert not hierarchy.unsupported
    return file_form(hierarchy, class_name)


@pytest.fixture(scope="module")
def resnet18() -> dict:
    return _plan("resnet18.py", "ResNet18", [3, 64, 64])


def _nodes(graph: dict) -> dict[str, tuple[str, dict]]:
    return {n["id"]: (n["type"], n["params"]) for n in graph["nodes"]}


def test_resnet18_is_a_dozen_stage_level_nodes(resnet18):
    nodes = _nodes(resnet18)
    assert [t for t, _ in nodes.values()] == [
        "Input", "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "BasicBlock", "Sequential_2", "Sequential_2",
        "Sequential_2", "AdaptiveAvgPool2d", "Flatten", "Linear"]
    assert nodes["layer1"][1] == {"channels": 64, "repeat": 2}  # two equal BasicBlocks: one repeated node
    assert [nodes[f"layer{i}"][1] for i in (2, 3, 4)] == [{"channels": 128}, {"channels": 256}, {"channels": 512}]


def test_resnet18_blocks_share_one_definition_per_structure(resnet18):
    blocks = resnet18["blocks"]
    assert list(blocks) == ["BasicBlock", "Sequential", "BasicBlock_2", "Sequential_2"]
    assert blocks["BasicBlock"]["parameters"] == {"channels": {"kind": "int", "default": 64}}
    inner = _nodes(blocks["BasicBlock"])
    assert inner["conv1"][1]["out_channels"] == inner["conv2"][1]["out_channels"] == "$channels"
    assert inner["conv1"][1]["stride"] == 1
    with_shortcut = _nodes(blocks["BasicBlock_2"])  # the first block of a stage: stride 2 and a downsample
    assert with_shortcut["conv1"][1]["stride"] == 2
    assert with_shortcut["downsample"] == ("Sequential", {"channels": "$channels"})
    assert [n["id"] for n in blocks["Sequential"]["nodes"]] == ["input", "0", "1", "output"]
    stage = _nodes(blocks["Sequential_2"])
    assert stage["0"] == ("BasicBlock_2", {"channels": "$channels"})
    assert stage["1"] == ("BasicBlock", {"channels": "$channels"})
    assert "layer2.0, layer3.0, layer4.0" in blocks["BasicBlock_2"]["doc"]


def test_nested_user_modules_and_a_walked_module_list():
    plan = _plan("nested.py", "TinyMobileNet", [3, 32, 32])
    blocks = plan["blocks"]
    assert _nodes(plan)["stem"][0] == "ConvBNReLU"  # a Sequential subclass keeps its class name
    assert [n["id"] for n in blocks["ConvBNReLU"]["nodes"]] == ["input", "0", "1", "2", "output"]
    encoder = _nodes(blocks["Encoder"])  # `for block in self.blocks: x = block(x)` is one chain, `blocks`
    assert list(encoder) == ["x", "blocks", "output"]
    chain = _nodes(blocks[encoder["blocks"][0]])
    assert [t for t, _ in chain.values()] == ["Input", "InvertedResidual", "InvertedResidual_2", "InvertedResidual",
                                              "Output"]
    assert list(chain) == ["input", "0", "1", "2", "output"]
    assert [t for t, _ in _nodes(blocks["InvertedResidual_2"]).values()] == ["Input", "Sequential", "Add", "Output"]


class _Spectral(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return torch.fft.fft2(self.conv(x)).abs()


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stages = nn.Sequential(_Spectral(), _Spectral())

    def forward(self, x):
        return self.stages(x)


def test_a_problem_inside_a_block_is_named_once_with_its_path():
    hierarchy = import_levels(_Net(), (torch.randn(2, 4, 8, 8),))
    assert hierarchy.root is None
    problems = hierarchy.unsupported  # stages.1 has the same ones: not repeated
    assert [p.what.partition(" in ")[2] for p in problems] == ["stages.0"]  # .abs() imports (a tensor op)
    assert "fft2" in problems[0].what
    assert problems[0].source.filename == __file__ and "torch.fft.fft2" in problems[0].source.text


class _Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 6)

    def forward(self, x, activate: bool = False):
        return torch.relu(self.fc(x)) if activate else self.fc(x)


class _UsesScaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = _Scaled()
        self.head = nn.Sequential(nn.Linear(6, 3))

    def forward(self, x):
        return self.head(self.inner(x, activate=True))


def test_a_submodule_called_with_more_than_tensors_is_traced_through():
    hierarchy = import_levels(_UsesScaled(), (torch.randn(2, 6),))
    plan = file_form(hierarchy, "UsesScaled")
    assert [(n["id"], n["type"]) for n in plan["nodes"]] == [("x", "Input"), ("inner_fc", "Linear"),
                                                           ("relu", "ReLU"), ("head", "Sequential")]
    assert "inner: traced through, not a block (it takes or returns more than tensors)" in hierarchy.notes


class _Walked(nn.Module):
    def __init__(self, between: bool):
        super().__init__()
        self.between = between
        self.layers = nn.ModuleList([nn.Linear(8, 8) for _ in range(3)])

    def forward(self, x):
        for layer in self.layers:
            x = torch.relu(layer(x)) if self.between else layer(x)
        return x


def test_a_module_list_called_in_a_chain_keeps_its_keys_else_each_call_is_a_node():
    from netbuilder.interop.model_import import import_module

    chained = import_module(_Walked(between=False), torch.randn(2, 8), blocks=True)
    assert [n.type for n in chained.document.nodes.values()] == ["Input", "Sequential"]
    assert list(chained.state_dict)[:2] == ["layers.0.weight", "layers.0.bias"] and not chained.notes
    interleaved = import_module(_Walked(between=True), torch.randn(2, 8), blocks=True)
    assert [n.id for n in interleaved.document.nodes.values()][:3] == ["x", "layers_0", "relu"]
    assert interleaved.notes == ["6 weights are named differently from _Walked's state_dict (layers.0.weight is "
                                 "layers_0.weight): a submodule that is no block here (a ModuleList not called as "
                                 "a chain, one traced through) has a node per call, named after its path"]


class _Up(nn.Module):
    """Two inputs, two results: a U-Net step that also hands its concatenation on."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(8, 3, 2, stride=2)
        self.conv = nn.Conv2d(6, 3, 3, padding=1)

    def forward(self, x, skip):
        x = torch.cat([self.up(x), skip], 1)
        return self.conv(x), x


class _Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(12)
        self.fc = nn.Linear(12, 12)

    def forward(self, x):
        return x + self.fc(self.norm(x))


class _Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.up = _Up()
        self.proj = nn.Linear(3 * 8 * 8, 12)
        self.layers = nn.ModuleList([_Residual() for _ in range(4)])

    def forward(self, x):
        y, z = self.up(self.down(x), x)
        h = self.proj(torch.flatten(y, 1))
        for layer in self.layers:
            h = layer(h)
        return h, torch.flatten(z, 1)


def test_blocks_with_two_ports_each_way_and_a_module_list_of_equal_blocks_repeated():
    from netbuilder.interop.model_import import import_module

    imported = import_module(_Encoder(), torch.randn(2, 3, 8, 8), blocks=True)
    doc = imported.document
    assert doc.nodes["layers"].type == "Residual" and doc.nodes["layers"].params["repeat"] == 4
    up = doc.spec_for("Up")  # a block name starts with a capital letter
    assert up.input_names == ("x", "skip") and len(up.outputs) == 2
    assert sorted((e.source_port, e.target) for e in doc.out_edges("up")) == [(0, "flatten"), (1, "flatten_1")]
    assert list(imported.state_dict)[-2:] == ["layers.3.fc.weight", "layers.3.fc.bias"]


class _Gate(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        if x.sum() > 0:  # a branch on a tensor's value: no fixed graph
            return self.fc(x)
        return x


def test_a_block_torch_fx_cannot_trace_is_named_by_its_path():
    from netbuilder.interop.errors import TraceError

    with pytest.raises(TraceError) as err:
        import_levels(nn.Sequential(nn.Linear(4, 4), nn.Sequential(_Gate())), (torch.randn(2, 4),))
    assert str(err.value).startswith("1.0: torch.fx cannot trace _Gate at ")
    assert "if x.sum() > 0:" in str(err.value)


class _Shared(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = _Residual()

    def forward(self, x):
        return self.block(self.block(x))


def test_a_block_called_twice_is_two_instances_with_a_copy_of_its_weights_each():
    from netbuilder.interop.model_import import import_module

    imported = import_module(_Shared(), torch.randn(2, 12), blocks=True)
    assert [(n.id, n.type) for n in imported.document.nodes.values()] == [
        ("x", "Input"), ("block", "Residual"), ("block_2", "Residual")]
    assert imported.notes == ["'block' is called more than once: each call becomes its own instance with a copy "
                              "of the weights (the same now, trained separately)"]
    assert torch.equal(imported.state_dict["block.fc.weight"], imported.state_dict["block_2.fc.weight"])


class _Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 6, batch_first=True)

    def forward(self, x):
        return self.lstm(x)  # (out, (h, c)): no block's ports


class _Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = _Recurrent()
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        out, (h, c) = self.encoder(x)
        return self.head(out[:, -1])


def test_a_submodule_returning_nested_tuples_is_traced_through():
    from netbuilder.interop.model_import import import_module

    imported = import_module(_Tagger(), torch.randn(2, 4, 5), blocks=True)
    assert [n.type for n in imported.document.nodes.values()] == ["Input", "LSTM", "Linear"]
    assert "encoder: traced through, not a block (it takes or returns more than tensors)" in imported.notes


class Stem(nn.Sequential):
    """The first convolution and its normalisation."""


class StemNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = Stem(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 8 * 8, 3))

    def forward(self, x):
        return self.head(self.stem(x))


def test_a_sequential_subclass_keeps_its_class_name_in_and_out(tmp_path):
    from netbuilder import export_python, import_module
    from netbuilder.core.fileformat import dumps, loads

    model, x = StemNet().eval(), torch.randn(2, 1, 8, 8)
    imported = import_module(model, x, blocks=True)
    assert {n.id: n.type for n in imported.document.nodes.values()} == {"x": "Input", "stem": "Stem",
                                                                       "head": "Sequential"}
    assert imported.document.blocks["Stem"].doc == "The first convolution and its normalisation."
    code = export_python(imported.document, class_name="Exported")
    assert "class Stem(nn.Sequential):" in code and "self.stem = Stem(\n" in code
    assert "self.head = nn.Sequential(" in code  # a plain Sequential stays one, no class of its own
    path = tmp_path / "exported.py"
    path.write_text(code)
    exported = instantiate(run_file(path), "Exported").eval()
    exported.load_state_dict(model.state_dict(), strict=True)
    assert type(exported.stem).__name__ == "Stem" and isinstance(exported.stem, nn.Sequential)
    with torch.no_grad():
        assert torch.equal(exported(x), model(x))
    again = import_module(exported, x, blocks=True).document
    assert loads(dumps(again)).to_dict()["blocks"] == loads(dumps(imported.document)).to_dict()["blocks"]
