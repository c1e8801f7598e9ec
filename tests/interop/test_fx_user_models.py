"""Hand-written models of the kinds users bring: import, identical outputs, flattened ids, CLI."""

import copy
from pathlib import Path

import pytest
import torch

from netbuilder import build_model, import_module, load_graph
from netbuilder.cli import main
from netbuilder.interop.userfile import example_input, instantiate, run_file

MODELS = Path(__file__).parent / "models"
CASES = {  # (file, class, one sample's shape, dtype)
    "mnist": ("mnist_cnn.py", "MnistNet", [1, 28, 28], "float32"),
    "mnist_old_style": ("mnist_cnn.py", "OldStyleMnistNet", [1, 28, 28], "float32"),
    "lstm_tagger": ("lstm_tagger.py", "LSTMTagger", [7], "int64"),
    "gru_classifier": ("lstm_tagger.py", "SentenceClassifier", [7], "int64"),
    "dcgan_generator": ("dcgan.py", "Generator", [16, 1, 1], "float32"),
    "dcgan_discriminator": ("dcgan.py", "Discriminator", [3, 32, 32], "float32"),
    "resnet": ("resnet.py", "SmallResNet", [3, 16, 16], "float32"),
}


def _load(case: str):
    file, class_name, shape, dtype = CASES[case]
    torch.manual_seed(0)
    module = instantiate(run_file(MODELS / file), class_name)
    return module, example_input(module, shape, dtype)


def _run(model, x, training: bool):
    model.train(training)
    torch.manual_seed(1)  # the same dropout masks in both models
    with torch.no_grad():
        return model(x)


@pytest.fixture(scope="module")
def imported():
    """Each model imported once for the whole module (tracing is the slow part)."""
    results = {}
    for case in CASES:
        module, x = _load(case)
        results[case] = (module, x, import_module(module, x))
    return results


@pytest.mark.parametrize("case", CASES)
def test_imported_graph_computes_exactly_what_the_module_computes(case, imported):
    module, x, result = imported[case]
    model = result.build()
    assert torch.equal(_run(model, x, training=False), _run(module, x, training=False))
    twin = copy.deepcopy(module)  # training mode moves BatchNorm statistics: compare on copies
    assert torch.equal(_run(copy.deepcopy(model), x, training=True), _run(twin, x, training=True))


@pytest.mark.parametrize("case", CASES)
def test_weights_are_the_modules_own(case, imported):
    module, _, result = imported[case]
    total = sum(t.numel() for t in module.state_dict().values())
    assert sum(t.numel() for t in result.state_dict.values()) == total
    assert set(result.state_dict) == set(build_model(result.document).state_dict())


def test_mnist_maps_functional_calls_to_layers(imported):
    doc = imported["mnist"][2].document
    assert [n.type for n in doc.nodes.values()] == [
        "Input", "Conv2d", "ReLU", "Conv2d", "ReLU", "MaxPool2d", "Dropout", "Flatten", "Linear", "ReLU",
        "Dropout", "Linear", "LogSoftmax"]
    assert doc.nodes["conv1"].params["kernel_size"] == 3
    assert doc.nodes["max_pool2d"].params == {"kernel_size": 2, "stride": None, "padding": 0, "dilation": 1,
                                              "ceil_mode": False, "return_indices": False}
    assert doc.nodes["output"].type == "LogSoftmax"  # `output = F.log_softmax(...)` names the node


def test_old_style_mnist_view_and_functional_dropout(imported):
    doc = imported["mnist_old_style"][2].document
    assert doc.nodes["view"].type == "Reshape" and doc.nodes["view"].params["shape"] == [320]
    assert doc.nodes["dropout"].type == "Dropout" and doc.nodes["dropout"].params["p"] == 0.5


def test_recurrent_models_keep_sequence_or_last_state(imported):
    tagger = imported["lstm_tagger"][2].document
    assert tagger.nodes["lstm"].params["output"] == "sequence"
    assert tagger.nodes["sentence"].params == {"shape": [7], "dtype": "int64"}
    classifier = imported["gru_classifier"][2].document
    assert [(e.source, e.source_port) for e in classifier.in_edges("head")] == [("gru", 1)]
    assert classifier.nodes["gru"].params["num_layers"] == 2


def test_resnet_blocks_are_flattened_with_module_paths(imported):
    doc = imported["resnet"][2].document
    assert {"layer1_0_conv1", "layer1_1_bn2", "layer2_0_downsample_0", "layer2_1_relu_2"} <= set(doc.nodes)
    adds = [n for n, node in doc.nodes.items() if node.type == "Add"]
    assert len(adds) == 4
    assert {e.source for e in doc.in_edges(adds[2])} == {"layer2_0_bn2", "layer2_0_downsample_1"}
    positions = [node.pos for node in doc.nodes.values()]
    assert len(set(positions)) == len(positions)  # laid out, nothing on top of anything


@pytest.mark.parametrize("case", ["mnist", "lstm_tagger", "resnet"])
def test_cli_import_writes_graph_and_weights(case, tmp_path, capsys):
    file, class_name, shape, dtype = CASES[case]
    out = tmp_path / "graph.json"
    torch.manual_seed(0)
    code = main(["import", f"{MODELS / file}:{class_name}", "--input-shape", ",".join(map(str, shape)),
                 "--input-dtype", dtype, "-o", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert f"Imported {class_name}" in printed and "graph.weights.pt" in printed
    doc = load_graph(out)
    assert doc.meta["weights"] == "graph.weights.pt"
    weights = torch.load(tmp_path / "graph.weights.pt", weights_only=True)
    model = build_model(doc)
    model.load_state_dict(weights)
    module, x = _load(case)  # the same seed: the same initial weights as the CLI's instance
    assert torch.equal(_run(model, x, training=False), _run(module, x, training=False))


def test_import_leaves_the_module_as_it_was():
    module, x = _load("dcgan_discriminator")
    module.main[3].eval()  # a frozen BatchNorm inside a model in training mode
    before = {k: v.clone() for k, v in module.state_dict().items()}
    import_module(module, x)
    assert module.training and not module.main[3].training and module.main[6].training
    assert all(torch.equal(before[k], v) for k, v in module.state_dict().items())
