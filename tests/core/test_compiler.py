"""build_model: a real nn.Module whose errors point at the node that caused them."""

import linecache

import pytest
import torch
from core_helpers import EXAMPLES, chain, wire
from torch import nn

from netbuilder.core.compiler import build_model, node_for_exception, node_for_line
from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.errors import GraphError
from netbuilder.core.fileformat import load_graph
from netbuilder.core.layout import COLUMN_WIDTH, layered_positions


def test_submodules_are_named_by_node_id():
    doc = load_graph(EXAMPLES[0].parent / "digits_cnn.json")
    model = build_model(doc)
    assert [name for name, _ in model.named_children()] == [
        "conv1", "relu1", "conv2", "relu2", "pool", "dropout1", "flatten", "fc1", "relu3", "dropout2", "fc2"]
    assert isinstance(model.conv1, nn.Conv2d) and model.conv1.in_channels == 1
    assert "def forward(self, image):" in model.netbuilder_source
    assert model.netbuilder_inputs == ["image"]


def test_several_inputs_in_document_order_and_a_tuple_out():
    doc = GraphDocument()
    doc.add_node("Input", {"shape": [3]}, node_id="b")
    doc.add_node("Input", {"shape": [2]}, node_id="a")
    doc.add_node("Concat", node_id="cat")
    doc.add_node("Output", node_id="joined")
    doc.add_node("Output", node_id="first")
    wire(doc, ("a", "cat", 0, 0), ("b", "cat", 0, 1), ("cat", "joined"), ("b", "first"))
    model = build_model(doc)
    b, a = torch.randn(4, 3), torch.randn(4, 2)
    joined, first = model(b, a)
    assert torch.equal(joined, torch.cat([a, b], dim=1)) and torch.equal(first, b)


def test_graph_errors_are_all_listed():
    doc = chain(("Input", {"shape": [4]}), ("Conv2d", {"out_channels": 2}, "conv"))
    doc.add_node("Add", node_id="add")
    wire(doc, ("input", "add"))
    with pytest.raises(GraphError) as caught:
        build_model(doc)
    assert [p.split(":")[0] for p in caught.value.problems] == ["Conv2d 'conv'", "Add 'add'"]


def test_run_time_errors_name_the_node():
    doc = chain(("Input", {"shape": [4]}, "x"), ("ReLU", {}, "act"), ("Linear", {"out_features": 3}, "fc"))
    model = build_model(doc)
    with pytest.raises(RuntimeError) as caught:
        model(torch.randn(2, 5))  # the wrong feature count only fails inside fc
    assert node_for_exception(caught.value) == "fc"
    assert node_for_exception(ValueError("not from a model")) is None


def test_every_line_of_a_compiled_model_names_its_node():
    doc = chain(("Input", {"shape": [4]}, "image"), ("ReLU", {}, "act"), ("Linear", {"out_features": 3}, "fc"),
                ("Output", {}, "scores"))
    filename = type(build_model(doc)).forward.__code__.co_filename
    lines = linecache.getlines(filename)
    named = {lines[n - 1].strip(): node_for_line(filename, n) for n in range(1, len(lines) + 1)
             if node_for_line(filename, n)}
    assert named == {"self.act = nn.ReLU()": "act", "self.fc = nn.Linear(in_features=4, out_features=3)": "fc",
                     "x = self.act(image)": "act", "x = self.fc(x)": "fc", "scores = x": "scores"}
    assert node_for_line("model.py", 1) is None


def test_construction_errors_name_the_node(monkeypatch):
    doc = chain(("Input", {"shape": [4]}, "x"), ("ReLU", {}, "act"), ("Linear", {"out_features": 3}, "fc"))

    def out_of_memory(*args, **kwargs):
        raise RuntimeError("not enough memory")

    monkeypatch.setattr(nn.Linear, "__init__", out_of_memory)
    with pytest.raises(RuntimeError) as caught:
        build_model(doc)
    assert node_for_exception(caught.value) == "fc"


def test_unconnected_nodes_are_not_part_of_the_model():
    doc = chain(("Input", {"shape": [4]}, "x"), ("Linear", {"out_features": 3}, "fc"))
    doc.add_node("Input", {"shape": [9]}, node_id="unused")
    doc.add_node("LSTM", node_id="stray")
    model = build_model(doc)
    assert model.netbuilder_inputs == ["x"]
    assert [name for name, _ in model.named_children()] == ["fc"]


def test_layout_goes_left_to_right_without_overlap():
    doc = load_graph(EXAMPLES[0].parent / "two_input_concat.json")
    positions = layered_positions(doc)
    assert len(set(positions.values())) == len(doc.nodes)
    for edge in doc.edges:
        assert positions[edge.target][0] > positions[edge.source][0]


def test_layout_routes_skip_connections_beside_the_branch():
    doc = load_graph(EXAMPLES[0].parent / "residual_cnn.json")
    positions = layered_positions(doc)
    assert positions["relu1"][1] == positions["add"][1]  # the main line stays straight
    assert positions["conv2"][1] != positions["relu1"][1]  # the branch moves aside for the skip wire
    assert positions["fc"][0] == 10 * COLUMN_WIDTH


def test_layout_of_a_hand_made_cycle_does_not_fail():
    doc = chain(("Input", {"shape": [4]}, "x"), ("ReLU", {}, "a"), ("ReLU", {}, "b"))
    doc.edges.append(Edge("b", "a", 0, 1))  # the document API refuses this
    assert len(set(layered_positions(doc).values())) == 3
