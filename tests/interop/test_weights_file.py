"""Weights beside a graph: only from its own folder, and still matched to their
nodes after the nodes are renamed."""

from __future__ import annotations

import pytest
import torch

from netbuilder.core.compiler import build_model
from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.errors import NetbuilderError
from netbuilder.core.fileformat import load_graph, save_graph
from netbuilder.interop.weights import load_weights, save_with_weights


def small_net() -> GraphDocument:
    doc = GraphDocument("net")
    doc.add_node("Input", {"shape": [4]}, node_id="x")
    doc.add_node("Linear", {"out_features": 3}, node_id="fc1")
    doc.add_node("ReLU", node_id="relu")
    doc.add_node("Linear", {"out_features": 2}, node_id="fc2")
    for a, b in (("x", "fc1"), ("fc1", "relu"), ("relu", "fc2")):
        doc.connect(Edge(a, b))
    return doc


@pytest.mark.parametrize("name", ["/etc/passwd", "../secret.pt", "sub/../../x.pt", "C:\\weights.pt", "..\\w.pt"])
def test_weights_outside_the_graphs_folder_are_refused(name, tmp_path):
    doc = small_net()
    doc.meta["weights"] = name
    with pytest.raises(NetbuilderError, match="must name a file beside the graph"):
        load_weights(doc, tmp_path / "net.json")


def test_weights_in_a_subfolder_are_allowed(tmp_path):
    doc = small_net()
    state = build_model(doc).state_dict()
    (tmp_path / "w").mkdir()
    torch.save(state, tmp_path / "w" / "net.pt")
    doc.meta["weights"] = "w/net.pt"
    assert load_weights(doc, tmp_path / "net.json").keys() == state.keys()


def test_renamed_nodes_still_get_their_weights(tmp_path):
    """Rename (even swap) nodes of a graph with weights, save the graph only,
    reopen: every tensor lands on the node it was trained for."""
    doc = small_net()
    model = build_model(doc)
    path = tmp_path / "net.json"
    save_with_weights(doc, model.state_dict(), path)
    doc = load_graph(path)
    doc.rename_node("fc1", "tmp")
    doc.rename_node("fc2", "fc1")
    doc.rename_node("tmp", "encoder")  # fc1 → encoder, fc2 → fc1
    save_graph(doc, path)
    reopened = load_graph(path)
    state = load_weights(reopened, path)
    assert "weights_ids" not in reopened.meta
    renamed = build_model(reopened)
    renamed.load_state_dict(state)
    assert torch.equal(renamed.encoder.weight, model.fc1.weight)
    assert torch.equal(renamed.fc1.weight, model.fc2.weight)
    x = torch.randn(5, 4)
    assert torch.allclose(renamed(x), model(x))
