"""export → import gives the same document; import → export → import is stable."""

from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from interop_helpers import canonical, example_inputs
from interop_random_graphs import graphs
from torch import nn

from netbuilder import build_model, export_python, import_module, load_graph
from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.fileformat import dumps, loads
from netbuilder.interop.userfile import instantiate, run_file

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.json"))


def _outputs(model, inputs):
    model.eval()
    with torch.no_grad():
        out = model(*inputs)
    return out if isinstance(out, tuple) else (out,)


def round_trip(doc: GraphDocument):
    """Import the compiled model of ``doc``; check the document and the outputs come back."""
    model = build_model(doc)
    inputs = example_inputs(doc)
    imported = import_module(model, inputs)
    assert canonical(imported.document) == canonical(doc)
    for want, got in zip(_outputs(model, inputs), _outputs(imported.build(), inputs), strict=True):
        assert torch.equal(want, got)
    return imported, inputs


def _graph(*nodes, edges=()) -> GraphDocument:
    doc = GraphDocument("hand built")
    for node_id, layer, params in nodes:
        doc.add_node(layer, params, node_id=node_id)
    for edge in edges:
        doc.connect(Edge(*edge))
    return doc


HAND_BUILT = {
    "recurrent_attention_merges": _graph(
        ("input", "Input", {"shape": [5, 8]}), ("lstm_1", "LSTM", {"hidden_size": 8, "output": "last"}),
        ("fc", "Linear", {"out_features": 8}), ("add_1", "Add", {}), ("attn", "MultiheadAttention", {"num_heads": 2}),
        ("rs", "Reshape", {"shape": [40]}), ("cat", "Concat", {"dim": 1}), ("gate", "Multiply", {}),
        ("sig", "Sigmoid", {}),
        edges=[("input", "lstm_1"), ("lstm_1", "fc"), ("lstm_1", "add_1", 1, 0), ("fc", "add_1", 0, 1),
               ("input", "attn"), ("attn", "rs"), ("rs", "cat"), ("add_1", "cat", 0, 1), ("cat", "sig"),
               ("cat", "gate"), ("sig", "gate", 0, 1)]),
    "three_way_add_and_bidirectional_state": _graph(
        ("tokens", "Input", {"shape": [6], "dtype": "int64"}),
        ("embed", "Embedding", {"num_embeddings": 30, "embedding_dim": 6, "padding_idx": 0}),
        ("gru", "GRU", {"hidden_size": 4, "num_layers": 2, "bidirectional": True}),
        ("pool", "AdaptiveAvgPool1d", {"output_size": 1}), ("flat", "Flatten", {}),
        ("head", "Linear", {"out_features": 8}),
        ("a", "Tanh", {}), ("b", "ReLU", {}), ("total", "Add", {}),
        edges=[("tokens", "embed"), ("embed", "gru"), ("gru", "a", 1), ("gru", "pool"), ("pool", "flat"),
               ("flat", "head"), ("head", "b"), ("a", "total"), ("b", "total", 0, 1), ("head", "total", 0, 2)]),
    "query_key_value_inputs": _graph(
        ("q", "Input", {"shape": [3, 8]}), ("kv", "Input", {"shape": [5, 6]}), ("v", "Input", {"shape": [5, 4]}),
        ("attn", "MultiheadAttention", {"num_heads": 2, "bias": False}),
        ("cross", "MultiheadAttention", {"num_heads": 1}),
        ("both", "Concat", {"dim": -1}),
        edges=[("q", "attn"), ("kv", "attn", 0, 1), ("v", "attn", 0, 2), ("q", "cross"), ("kv", "cross", 0, 1),
               ("attn", "both"), ("cross", "both", 0, 1)]),
    "ids_codegen_renames": _graph(
        ("input", "Input", {"shape": [1, 8, 8]}), ("forward", "Conv2d", {"out_channels": 2, "kernel_size": 3}),
        ("print", "ReLU", {}), ("sum", "Add", {}), ("list", "Permute", {"dims": [0, 1, 3, 2]}),
        edges=[("input", "forward"), ("forward", "print"), ("print", "sum"), ("forward", "sum", 0, 1),
               ("sum", "list")]),
    "outputs_that_are_not_dangling": _graph(
        ("x", "Input", {"shape": [4]}), ("hidden", "Linear", {"out_features": 3}),
        ("head", "Linear", {"out_features": 2}),
        ("features", "Output", {}), ("scores", "Output", {}),
        edges=[("x", "hidden"), ("hidden", "head"), ("hidden", "features"), ("head", "scores")]),
    "settings_the_code_cannot_tell_apart": _graph(
        ("image", "Input", {"shape": [2, 6, 8]}), ("pool", "MaxPool2d", {"kernel_size": 2, "stride": [2, 2]}),
        ("rows", "Reshape", {"shape": [6, 4]}), ("lstm", "LSTM", {"hidden_size": 4, "output": "last"}),
        ("head", "Linear", {"out_features": 2}),
        edges=[("image", "pool"), ("pool", "rows"), ("rows", "lstm"), ("lstm", "head", 1, 0)]),
    "class_token_and_position_parameters": _graph(
        ("tokens", "Input", {"shape": [5, 8]}), ("cls", "Parameter", {"shape": [1, 8]}),
        ("joined", "Concat", {"dim": 1}), ("pos", "Parameter", {"shape": [6, 8], "init": "randn"}),
        ("placed", "Add", {}), ("scale", "Parameter", {"shape": [6, 8], "init": "ones"}), ("scaled", "Multiply", {}),
        edges=[("cls", "joined"), ("tokens", "joined", 0, 1), ("joined", "placed"), ("pos", "placed", 0, 1),
               ("placed", "scaled"), ("scale", "scaled", 0, 1)]),
}
_BRANCHES = [f"a_rather_long_linear_layer_name_{i}" for i in range(4)]
HAND_BUILT["long_ids_make_wrapped_lines"] = _graph(
    ("input_features_for_the_model", "Input", {"shape": [4]}),
    *[(name, "Linear", {"out_features": 3}) for name in _BRANCHES],
    ("joined_features_of_every_branch", "Concat", {"dim": 1}), ("sum_of_all_the_branches_together", "Add", {}),
    edges=[edge for i, name in enumerate(_BRANCHES) for edge in (
        ("input_features_for_the_model", name), (name, "joined_features_of_every_branch", 0, i),
        (name, "sum_of_all_the_branches_together", 0, i))])


def _file_form(doc: GraphDocument) -> dict:
    """Everything a graph file says but where its nodes sit (a layout the code does not carry)."""
    form = loads(dumps(doc)).to_dict()
    for graph in (form, *form.get("blocks", {}).values()):
        for node in graph["nodes"]:
            node.pop("pos", None)
    return {key: form.get(key) for key in ("nodes", "edges", "blocks")}


def _block_round_trip(doc: GraphDocument, tmp_path):
    """Import ``doc``'s compiled model as blocks, and the class of its exported file."""
    model, inputs = build_model(doc), example_inputs(doc)
    from_model = import_module(model, inputs, blocks=True)
    path = tmp_path / "exported.py"
    path.write_text(export_python(doc, class_name="Exported"))
    module = instantiate(run_file(path), "Exported")
    module.load_state_dict(model.state_dict())
    return model, inputs, from_model, import_module(module, inputs, blocks=True)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_comes_back_unchanged(path, tmp_path):
    doc = load_graph(path)
    if not doc.blocks:
        round_trip(doc)
        return
    model, inputs, from_model, from_file = _block_round_trip(doc, tmp_path)
    for imported in (from_model, from_file):  # the same definitions, parameters, ids, Input shapes, Outputs
        assert _file_form(imported.document) == _file_form(doc)
        for want, got in zip(_outputs(model, inputs), _outputs(imported.build(), inputs), strict=True):
            assert torch.equal(want, got)


def test_a_block_without_docs_or_parameters_comes_back_too(tmp_path):
    doc = load_graph(EXAMPLES[0].parent / "resnet_digits.json")
    block = doc.blocks["BasicBlock"]
    block.doc = ""
    block.nodes["x"].params["shape"] = [16, 4, 4]
    doc.nodes["stage2"].params["channels"] = 16
    doc.nodes["stage2"].params["stride"] = 1
    _, _, from_model, from_file = _block_round_trip(doc, tmp_path)
    assert _file_form(from_model.document) == _file_form(from_file.document) == _file_form(doc)


@pytest.mark.parametrize("name", HAND_BUILT)
def test_hand_built_graph_comes_back_unchanged(name):
    round_trip(HAND_BUILT[name])


class ClassToken(nn.Module):
    """A class token as vision transformers write it: expanded with -1 for the kept sizes."""

    def __init__(self):
        super().__init__()
        self.cls_token = nn.Parameter(torch.randn(1, 8))
        self.head = nn.Linear(48, 2)

    def forward(self, x):
        tokens = torch.cat([self.cls_token.expand(x.size(0), -1, -1), x], dim=1)
        return self.head(torch.flatten(tokens, 1))


def test_a_users_expanded_parameter_becomes_a_parameter_node_with_its_weights():
    model = ClassToken()
    imported = import_module(model, torch.randn(2, 5, 8))
    node = imported.document.nodes["cls_token"]
    assert (node.type, node.params) == ("Parameter", {"shape": [1, 8], "init": "randn", "sample_shape": None})
    assert torch.equal(imported.state_dict["cls_token"], model.cls_token.detach())
    x = torch.randn(3, 5, 8)
    with torch.no_grad():
        assert torch.allclose(imported.build()(x), model(x))


def test_output_nodes_keep_their_ids():
    imported, _ = round_trip(HAND_BUILT["outputs_that_are_not_dangling"])
    assert imported.document.nodes["features"].type == imported.document.nodes["scores"].type == "Output"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(graphs())
def test_random_graphs_come_back_unchanged(doc):
    imported, inputs = round_trip(doc)
    again = import_module(imported.build(), inputs)
    assert again.document == imported.document


def _through_file(doc: GraphDocument, tmp_path):
    """Import ``doc``'s model, export the result as a .py file, import that file's class."""
    first = import_module(build_model(doc), example_inputs(doc))
    path = tmp_path / "exported.py"
    path.write_text(export_python(first.document, class_name="Exported"))
    module = instantiate(run_file(path), "Exported")
    module.load_state_dict(first.state_dict)
    return first, import_module(module, example_inputs(doc))


@pytest.mark.parametrize("name", ["outputs_that_are_not_dangling", "long_ids_make_wrapped_lines"])
def test_import_export_import_through_the_exported_file(name, tmp_path):
    first, again = _through_file(HAND_BUILT[name], tmp_path)
    assert again.document.to_dict()["nodes"] == first.document.to_dict()["nodes"]
    assert again.document.edges == first.document.edges


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(graphs())
def test_random_graphs_come_back_through_the_exported_file(tmp_path_factory, doc):
    first, again = _through_file(doc, tmp_path_factory.mktemp("exported"))
    assert canonical(again.document) == canonical(first.document) == canonical(doc)


def test_exported_file_keeps_ids_of_values_named_x(tmp_path):
    first, again = _through_file(HAND_BUILT["three_way_add_and_bidirectional_state"], tmp_path)
    assert set(again.document.nodes) == set(first.document.nodes)


def test_node_tags_name_values_the_code_calls_x():
    class Tagged(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 3)

        def forward(self, x):
            x = self.fc(x)
            x = x + x.relu()  # node: total
            return x.reshape(x.shape[0], 3, 1)  # node: rs

    assert list(import_module(Tagged(), torch.randn(2, 3)).document.nodes) == ["x", "fc", "relu", "total", "rs"]


LIBRARY = sorted((Path(__file__).parents[2] / "resources" / "blocks").glob("*.json"))


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_every_built_in_block_comes_back_the_same_through_its_export(path, tmp_path):
    doc = load_graph(path)
    model, inputs, from_model, from_file = _block_round_trip(doc, tmp_path)
    for imported in (from_model, from_file):
        assert _file_form(imported.document) == _file_form(doc)
        for want, got in zip(_outputs(model, inputs), _outputs(imported.build(), inputs), strict=True):
            assert torch.equal(want, got)
