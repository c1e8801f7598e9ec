"""Document mutations: validate first, change nothing on refusal, announce every change."""

import pytest
from core_helpers import chain

from netbuilder.core.document import Change, Edge, GraphDocument, sanitize_id
from netbuilder.core.errors import EditError, ParamError
from netbuilder.core.fileformat import dumps


@pytest.fixture
def doc_and_changes():
    doc = chain(("Input", {"shape": [4]}, "x"), ("Linear", {"out_features": 3}, "fc"), ("ReLU", {}, "relu"))
    changes: list[Change] = []
    doc.subscribe(changes.append)
    return doc, changes


def test_add_node_fills_defaults_and_announces(doc_and_changes):
    doc, changes = doc_and_changes
    node_id = doc.add_node("Conv2d", {"out_channels": 8}, pos=(10, 20))
    assert node_id == "conv2d_1"
    assert doc.nodes[node_id].params["kernel_size"] == 3
    assert doc.nodes[node_id].pos == (10.0, 20.0)
    assert changes == [Change("node_added", (node_id,))]


def test_default_ids_are_readable_and_unique():
    doc = GraphDocument()
    assert [doc.add_node(t) for t in ("Input", "Input", "ReLU", "ReLU")] == ["input", "input_2", "relu_1", "relu_2"]
    assert doc.unique_id("Relu 1") == "relu_3"  # relu_1 is taken: the next free number
    assert sanitize_id("  9 lives! ") == "n_9_lives"


@pytest.mark.parametrize("call, error", [
    (lambda d: d.add_node("Dense"), EditError),
    (lambda d: d.add_node("ReLU", node_id="fc"), EditError),
    (lambda d: d.add_node("ReLU", node_id="  "), EditError),
    (lambda d: d.add_node("Linear", {"out_features": -1}), ParamError),
    (lambda d: d.set_param("fc", "out_features", "many"), ParamError),
    (lambda d: d.set_param("fc", "units", 3), ParamError),
    (lambda d: d.set_param("ghost", "out_features", 3), EditError),
    (lambda d: d.connect(Edge("relu", "x")), EditError),
    (lambda d: d.connect(Edge("relu", "fc")), EditError),
    (lambda d: d.connect(Edge("fc", "fc")), EditError),
    (lambda d: d.connect(Edge("fc", "relu", source_port=1)), EditError),
    (lambda d: d.disconnect(Edge("x", "relu")), EditError),
    (lambda d: d.rename_node("fc", "relu"), EditError),
    (lambda d: d.rename_node("fc", ""), EditError),
    (lambda d: d.remove_node("ghost"), EditError),
])
def test_refused_edits_change_nothing(doc_and_changes, call, error):
    doc, changes = doc_and_changes
    before = dumps(doc)
    with pytest.raises(error):
        call(doc)
    assert dumps(doc) == before
    assert changes == []


def test_refusals_explain_themselves(doc_and_changes):
    doc, _ = doc_and_changes
    with pytest.raises(EditError, match="connecting 'relu' to 'fc' would make a cycle"):
        doc.connect(Edge("relu", "fc"))
    with pytest.raises(EditError, match="ReLU 'relu' has no input port 1"):
        doc.connect(Edge("x", "relu", target_port=1))


def test_set_param_returns_the_old_value(doc_and_changes):
    doc, changes = doc_and_changes
    assert doc.set_param("fc", "out_features", 7) == 3
    assert doc.nodes["fc"].params["out_features"] == 7
    assert changes == [Change("params_changed", ("fc",))]


def test_connect_replaces_an_edge_on_the_same_input(doc_and_changes):
    doc, changes = doc_and_changes
    replaced = doc.connect(Edge("x", "relu"))
    assert replaced == Edge("fc", "relu")
    assert Edge("x", "relu") in doc.edges and Edge("fc", "relu") not in doc.edges
    assert [c.kind for c in changes] == ["edge_removed", "edge_added"]
    assert doc.connect(Edge("x", "relu")) is None  # already there: nothing happens


def test_remove_and_restore_node_round_trip(doc_and_changes):
    doc, changes = doc_and_changes
    before = dumps(doc)
    index = doc.node_index("fc")
    node, edges = doc.remove_node("fc")
    assert "fc" not in doc.nodes and all("fc" not in (e.source, e.target) for e in doc.edges)
    assert [c.kind for c in changes] == ["edge_removed", "edge_removed", "node_removed"]
    doc.restore_node(node, index)
    for edge in edges:
        doc.connect(edge)
    assert set(dumps(doc).splitlines()) == set(before.splitlines())


def test_rename_carries_edges_and_keeps_order(doc_and_changes):
    doc, changes = doc_and_changes
    doc.rename_node("fc", "dense")
    assert list(doc.nodes) == ["x", "dense", "relu"]
    assert doc.nodes["dense"].id == "dense"
    assert Edge("x", "dense") in doc.edges and Edge("dense", "relu") in doc.edges
    assert changes == [Change("renamed", ("fc", "dense"))]


def test_move_meta_and_reset_are_announced(doc_and_changes):
    doc, changes = doc_and_changes
    doc.move_node("fc", (1, 2))
    doc.set_meta("notes", "hi")
    doc.replace_with(GraphDocument("other"))
    assert [c.kind for c in changes] == ["moved", "meta_changed", "reset"]
    assert doc.name == "other" and not doc.nodes


def test_unsubscribe_stops_announcements(doc_and_changes):
    doc, changes = doc_and_changes
    doc.unsubscribe(changes.append)
    doc.move_node("fc", (1, 2))
    assert changes == []


def test_in_edges_are_ordered_by_port():
    doc = chain(("Input", {"shape": [4]}, "x"), ("ReLU", {}, "a"))
    doc.add_node("ReLU", node_id="b")
    doc.add_node("Add", node_id="add")
    doc.connect(Edge("x", "b"))
    doc.connect(Edge("b", "add", 0, 1))
    doc.connect(Edge("a", "add", 0, 0))
    assert [e.source for e in doc.in_edges("add")] == ["a", "b"]


def test_copy_is_independent_and_equal():
    doc = chain(("Input", {"shape": [4]}), ("Linear", {"out_features": 2}))
    twin = doc.copy()
    assert twin == doc
    twin.set_param("linear_1", "out_features", 5)
    assert doc.nodes["linear_1"].params["out_features"] == 2 and twin != doc


def test_fragment_and_paste_plan_fresh_ids():
    doc = chain(("Input", {"shape": [4]}, "x"), ("Linear", {"out_features": 2}, "fc"), ("ReLU", {}, "relu"))
    fragment = doc.fragment(["fc", "relu"])
    assert len(fragment["edges"]) == 1
    nodes, edges = doc.plan_paste(fragment, offset=(10, 0))
    assert [n.id for n in nodes] == ["fc_2", "relu_2"]
    assert edges == [Edge("fc_2", "relu_2")]
    assert nodes[0].pos == (doc.nodes["fc"].pos[0] + 10, doc.nodes["fc"].pos[1])
    assert "fc_2" not in doc.nodes  # planning changes nothing


@pytest.mark.parametrize("layer, kernel, stride", [("MaxPool2d", 2, 2), ("AvgPool2d", [2, 3], [2, 3]),
                                                   ("MaxPool1d", 3, [3])])
def test_a_pool_stride_equal_to_its_kernel_size_is_stored_empty(layer, kernel, stride):
    """torch stores a missing stride as the kernel size: both spellings are one document."""
    explicit, implicit = GraphDocument(), GraphDocument()
    explicit.add_node(layer, {"kernel_size": kernel, "stride": stride}, node_id="pool")
    implicit.add_node(layer, {"kernel_size": kernel}, node_id="pool")
    assert explicit.nodes["pool"].params["stride"] is None
    assert explicit == implicit
    implicit.set_param("pool", "stride", stride)  # one value at a time (undo restores it as it was)...
    assert "stride" not in implicit.to_dict()["nodes"][0]["params"]  # ...still saved in the normal form
    assert explicit == implicit
    implicit.set_param("pool", "stride", 1)
    assert explicit != implicit


def test_a_recurrent_output_choice_is_idle_while_its_port_feeds_nothing():
    def lstm_graph(output: str, port: int) -> GraphDocument:
        doc = chain(("Input", {"shape": [5, 3]}, "x"), ("LSTM", {"hidden_size": 4, "output": output}, "lstm"))
        doc.add_node("Linear", {"out_features": 2}, node_id="fc")
        doc.connect(Edge("lstm", "fc", port, 0))
        return doc

    assert lstm_graph("last", 1).idle_params("lstm") == {"output"}
    assert lstm_graph("last", 1) == lstm_graph("sequence", 1)  # same model, same code
    assert lstm_graph("last", 0).idle_params("lstm") == {"state"}  # which layers' h_n: port 1 feeds nothing
    assert lstm_graph("last", 0) != lstm_graph("sequence", 0)
    dangling = chain(("Input", {"shape": [5, 3]}), ("LSTM", {"output": "last"}, "lstm"))
    assert dangling.idle_params("lstm") == set()  # the model returns its port 0
    assert lstm_graph("last", 1).to_dict()["nodes"][1]["params"]["output"] == "last"  # the file keeps the choice


def test_topological_order_breaks_ties_by_document_order_and_leaves_out_cycles():
    doc = GraphDocument()
    for node_id in ("x", "late", "early", "join"):
        doc.add_node("Input" if node_id == "x" else "Add", {"shape": [4]} if node_id == "x" else {}, node_id=node_id)
    doc.add_node("Add", node_id="loop_a")
    doc.add_node("Add", node_id="loop_b")
    doc.connect(Edge("x", "early"))
    doc.connect(Edge("x", "late"))
    doc.connect(Edge("early", "join"))
    doc.connect(Edge("late", "join", 0, 1))
    doc.edges += [Edge("loop_a", "loop_b"), Edge("loop_b", "loop_a")]  # hand-edited: a cycle
    assert doc.topological_order() == ["x", "late", "early", "join"]
