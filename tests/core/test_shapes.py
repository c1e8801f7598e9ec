"""Shape inference: precise messages on the right node, graph checks, incremental = full."""

import pytest
from core_helpers import chain, wire
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netbuilder.core.compiler import build_model
from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.errors import EditError, ParamError
from netbuilder.core.layers import get_spec
from netbuilder.core.oracle import build_on_meta
from netbuilder.core.shapes import ShapeInference, infer_shapes


def problem_texts(doc, severity=None):
    return [p.message for p in infer_shapes(doc).problems if severity in (None, p.severity)]


def test_conv_fed_flat_features_suggests_linear():
    doc = chain(("Input", {"shape": [64]}, "x"), ("Conv2d", {"out_channels": 8, "kernel_size": 3}, "conv1"))
    report = infer_shapes(doc)
    assert [p.message for p in report.errors] == [
        "Conv2d 'conv1': expects (N, C, H, W), got (N, 64) — did you mean Linear?"]
    assert report.errors[0].node_id == "conv1"
    assert report.nodes["conv1"].status == "error"


def test_add_names_the_differing_dimension():
    doc = GraphDocument()
    doc.add_node("Input", {"shape": [16, 8, 8]}, node_id="a")
    doc.add_node("Input", {"shape": [8, 8, 8]}, node_id="b")
    doc.add_node("Add", node_id="add")
    wire(doc, ("a", "add", 0, 0), ("b", "add", 0, 1))
    assert problem_texts(doc) == ["Add 'add': inputs (N, 16, 8, 8) and (N, 8, 8, 8) differ in dimension 1 "
                                 "(16 and 8); sizes must be equal or 1 to broadcast"]


def test_linear_on_images_is_a_warning_about_flatten():
    doc = chain(("Input", {"shape": [3, 8, 8]}, "x"), ("Linear", {"out_features": 5}, "fc"), ("ReLU", {}, "relu"))
    report = infer_shapes(doc)
    assert report.ok
    [warning] = report.warnings
    assert warning.node_id == "fc" and "Flatten" in warning.message and "(N, 3, 8, 8)" in warning.message
    assert report.nodes["fc"].status == "warning"
    assert report.value_type("relu").text() == "(N, 3, 8, 5)"
    build_model(doc)  # warnings never block the model


def test_nodes_downstream_of_an_error_are_unknown_not_errors():
    doc = chain(("Input", {"shape": [10]}, "x"), ("Conv1d", {"out_channels": 4, "kernel_size": 3}, "conv"),
                ("ReLU", {}, "relu"), ("Linear", {"out_features": 2}, "fc"))
    report = infer_shapes(doc)
    assert [p.node_id for p in report.errors] == ["conv"]
    assert report.nodes["relu"].status == report.nodes["fc"].status == "unknown"
    assert report.value_type("fc") is None


def test_missing_and_gapped_inputs_are_errors():
    doc = chain(("Input", {"shape": [4]}, "x"), ("Add", {}, "add"))
    assert problem_texts(doc) == ["Add 'add': needs 2 inputs, has 1"]
    doc = chain(("Input", {"shape": [4, 5]}, "x"), ("MultiheadAttention", {"num_heads": 1}, "attn"))
    doc.disconnect(Edge("x", "attn"))
    wire(doc, ("x", "attn", 0, 0), ("x", "attn", 0, 2))
    assert problem_texts(doc) == ["MultiheadAttention 'attn': input 2 (key) is not connected"]
    doc = chain(("ReLU", {}, "relu"), ("Linear", {"out_features": 2}, "fc"))
    assert problem_texts(doc) == ["the graph has no Input node: add one and set its shape",
                                  "ReLU 'relu': needs an input, has 0"]


def test_no_input_and_nothing_to_compute():
    assert problem_texts(GraphDocument()) == ["the graph has no Input node: add one and set its shape"]
    doc = chain(("Input", {"shape": [4]}, "x"))
    report = infer_shapes(doc)
    assert [p.message for p in report.errors] == ["the model computes nothing yet: connect a layer to an Input"]
    assert report.value_type("x").text() == "(N, 4)"  # a lone Input still shows its shape


def test_unconnected_nodes_are_warned_about_and_left_out():
    doc = chain(("Input", {"shape": [4]}, "x"), ("Linear", {"out_features": 2}, "fc"))
    doc.add_node("Conv2d", {"out_channels": 3}, node_id="stray")
    report = infer_shapes(doc)
    assert report.ok
    assert [(p.node_id, p.severity) for p in report.problems] == [("stray", "warning")]
    assert "not connected" in report.problems[0].message
    assert not report.nodes["stray"].used and report.outputs == ["fc"]
    model = build_model(doc)
    assert not hasattr(model, "stray")


def test_several_inputs_are_fine_and_keep_document_order():
    doc = GraphDocument()
    for node_id, shape in (("b", [3]), ("a", [4])):
        doc.add_node("Input", {"shape": shape}, node_id=node_id)
    doc.add_node("Concat", node_id="cat")
    wire(doc, ("a", "cat", 0, 0), ("b", "cat", 0, 1))
    report = infer_shapes(doc)
    assert report.ok and not report.problems
    assert report.inputs == ["b", "a"]
    assert report.value_type("cat").text() == "(N, 7)"


def test_a_cycle_made_behind_the_documents_back_is_reported():
    doc = chain(("Input", {"shape": [4]}, "x"), ("ReLU", {}, "a"), ("ReLU", {}, "b"))
    doc.edges.append(Edge("b", "a", 0, 1))  # the API refuses this; a hand-edited object may not
    report = infer_shapes(doc)
    assert any("cycle" in p.message and p.node_id is None for p in report.errors)
    assert report.nodes["a"].status == report.nodes["b"].status == "error"


def test_output_nodes_make_a_tuple_and_unused_results_are_flagged():
    doc = chain(("Input", {"shape": [4]}, "x"), ("Linear", {"out_features": 3}, "fc"), ("Output", {}, "out1"))
    doc.add_node("Output", node_id="out2")
    doc.add_node("ReLU", node_id="dangling")
    wire(doc, ("x", "out2"), ("fc", "dangling"))
    report = infer_shapes(doc)
    assert report.outputs == ["out1", "out2"]
    assert [(p.node_id, p.severity) for p in report.problems] == [("dangling", "warning")]
    assert "connect it to an Output" in report.problems[0].message


def test_int64_ids_must_go_through_an_embedding():
    doc = chain(("Input", {"shape": [6], "dtype": "int64"}, "ids"), ("Linear", {"out_features": 2}, "fc"))
    assert problem_texts(doc) == ["Linear 'fc': gets int64 token ids (N, 6); put an Embedding before it"]
    doc = chain(("Input", {"shape": [6]}, "x"), ("Embedding", {"num_embeddings": 9, "embedding_dim": 4}, "emb"))
    assert problem_texts(doc) == ["Embedding 'emb': expects int64 token ids; set the Input's dtype to int64"]


@pytest.mark.parametrize("steps, expected", [
    ([("Input", {"shape": [3, 8, 8]}), ("GroupNorm", {"num_groups": 2})], "must be divisible by"),
    ([("Input", {"shape": [3, 8, 8]}), ("Conv2d", {"out_channels": 4, "kernel_size": 9})],
     "the kernel (9 x 9) is larger than the padded input (8 x 8)"),
    ([("Input", {"shape": [3, 8]}), ("MaxPool1d", {"kernel_size": 3, "padding": 2})], "at most half"),
    ([("Input", {"shape": [5, 6]}), ("MultiheadAttention", {"num_heads": 4})],
     "6 features cannot be split into 4 heads"),
    ([("Input", {"shape": [10, 3]}), ("Reshape", {"shape": [7]})], "cannot reshape (N, 10, 3)"),
    ([("Input", {"shape": [10]}), ("Softmax", {"dim": 2})], "dim 2 is out of range for (N, 10)"),
    ([("Input", {"shape": [4]}), ("LayerNorm", {"normalized_dims": 2})], "normalized_dims 2 is more than"),
    ([("Input", {"shape": [2, 6, 6]}), ("AdaptiveAvgPool2d", {"output_size": 2**30})],  # found by the fuzz test
     "(N, 2, 1073741824, 1073741824) would hold 2,305,843,009,213,693,952 values per sample"),
    ([("Input", {"shape": [3, 8, 8]}), ("Upsample", {"scale_factor": 10000.0})],
     "would hold 19,200,000,000 values per sample, more than a batch of it could take in memory"),
])
def test_errors_say_what_is_wrong_in_plain_words(steps, expected):
    [message] = problem_texts(chain(*steps), "error")
    assert expected in message


def test_torch_warnings_become_node_warnings():
    doc = chain(("Input", {"shape": [5, 3]}), ("LSTM", {"hidden_size": 4, "dropout": 0.5}, "lstm"))
    [warning] = infer_shapes(doc).warnings
    assert warning.node_id == "lstm" and "num_layers" in warning.message


def test_softmax_over_the_batch_is_a_warning():
    doc = chain(("Input", {"shape": [4]}), ("Softmax", {"dim": 0}, "sm"))
    assert problem_texts(doc) == [
        "Softmax 'sm': dim 0 normalises across the samples of a batch; dim 1 or -1 is usually meant"]


def test_parameter_and_mac_counts():
    doc = chain(("Input", {"shape": [3, 8, 8]}), ("Conv2d", {"out_channels": 4, "kernel_size": 3}, "conv"),
                ("Flatten", {}), ("Linear", {"out_features": 5}, "fc"))
    report = infer_shapes(doc)
    assert report.nodes["conv"].params == 4 * 3 * 9 + 4
    assert report.nodes["conv"].macs == 4 * 3 * 9 * 6 * 6
    assert report.nodes["fc"].macs == 144 * 5
    assert report.total_params == 112 + 725 and report.total_macs == 3888 + 720


@pytest.mark.parametrize("steps, expected_macs", [
    ([("Input", {"shape": [3, 4, 4]}), ("ConvTranspose2d", {"out_channels": 2, "kernel_size": 2, "stride": 2})],
     3 * 2 * 4 * 16),
    ([("Input", {"shape": [7, 3]}), ("LSTM", {"hidden_size": 5, "output": "last"})], 7 * (4 * 5 * 3 + 4 * 5 * 5)),
    ([("Input", {"shape": [7, 3]}), ("GRU", {"hidden_size": 5, "bidirectional": True})],
     7 * 2 * (3 * 5 * 3 + 3 * 5 * 5)),
    ([("Input", {"shape": [6, 8]}), ("MultiheadAttention", {"num_heads": 2})], 4 * 6 * 8 * 8 + 2 * 6 * 6 * 8),
    ([("Input", {"shape": [6], "dtype": "int64"}), ("Embedding", {"num_embeddings": 9, "embedding_dim": 4})], 0),
])
def test_mac_estimates_are_sensible(steps, expected_macs):
    report = infer_shapes(chain(*steps))
    assert report.total_macs == expected_macs


# -- incremental inference ------------------------------------------------------
LAYERS = [
    ("Linear", {"out_features": 4}), ("Linear", {"out_features": 6}), ("ReLU", {}), ("Dropout", {"p": 0.2}),
    ("Conv1d", {"out_channels": 4, "kernel_size": 3}), ("Flatten", {}), ("Add", {}), ("Concat", {}),
    ("BatchNorm1d", {}), ("Output", {}), ("Input", {"shape": [4]}), ("Input", {"shape": [4, 6]}),
]
EDITS = {"Linear": ("out_features", [4, 6]), "Dropout": ("p", [0.1, 0.5]), "Conv1d": ("kernel_size", [1, 3, 9]),
         "Input": ("shape", [[4], [4, 6], [6, 4], [2, 3, 4]]), "Concat": ("dim", [1, -1, 2])}


def snapshot(report):
    nodes = {n: (i.status, i.outputs, i.problems, i.params, i.macs, i.used) for n, i in report.nodes.items()}
    return nodes, report.problems, report.order, report.outputs, report.inputs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_incremental_inference_equals_full_inference_after_random_edits(data):
    doc = chain(("Input", {"shape": [4]}, "x"), ("Linear", {"out_features": 4}, "fc"))
    inference = ShapeInference(doc)
    inference.refresh()
    for _ in range(data.draw(st.integers(1, 25))):
        ids = list(doc.nodes)
        op = data.draw(st.sampled_from(["add", "add", "connect", "connect", "disconnect", "param", "remove",
                                        "rename", "none"]))
        try:
            if op == "add":
                layer_type, params = data.draw(st.sampled_from(LAYERS))
                new = doc.add_node(layer_type, params)
                if ids and data.draw(st.booleans()):
                    doc.connect(Edge(data.draw(st.sampled_from(ids)), new))
            elif op == "connect" and ids:
                source, target = data.draw(st.sampled_from(ids)), data.draw(st.sampled_from(ids))
                doc.connect(Edge(source, target, 0, data.draw(st.integers(0, 2))))
            elif op == "disconnect" and doc.edges:
                doc.disconnect(data.draw(st.sampled_from(doc.edges)))
            elif op == "param" and ids:
                node = doc.nodes[data.draw(st.sampled_from(ids))]
                if node.type in EDITS:
                    name, values = EDITS[node.type]
                    doc.set_param(node.id, name, data.draw(st.sampled_from(values)))
            elif op == "remove" and ids:
                doc.remove_node(data.draw(st.sampled_from(ids)))
            elif op == "rename" and ids:
                doc.rename_node(data.draw(st.sampled_from(ids)), data.draw(st.sampled_from(["p", "q", "r"])))
        except (EditError, ParamError):
            pass
        if data.draw(st.booleans()):  # sometimes several edits land between two refreshes
            assert snapshot(inference.refresh()) == snapshot(infer_shapes(doc.copy()))
    assert snapshot(inference.refresh()) == snapshot(infer_shapes(doc.copy()))
    inference.close()


def test_refresh_is_cached_and_moves_cost_nothing():
    doc = chain(("Input", {"shape": [4]}), ("Linear", {"out_features": 2}, "fc"))
    inference = ShapeInference(doc)
    first = inference.refresh()
    doc.move_node("fc", (5, 5))
    assert inference.refresh() is first
    doc.set_param("fc", "out_features", 3)
    assert inference.report.value_type("fc").text() == "(N, 3)"


def test_an_edit_whose_effect_dies_out_recomputes_little(monkeypatch):
    doc = chain(("Input", {"shape": [4]}, "x"), ("Dropout", {"p": 0.1}, "drop"),
                *[("Linear", {"out_features": 4}, f"fc{i}") for i in range(20)])
    inference = ShapeInference(doc)
    inference.refresh()
    from netbuilder.core import shapes
    seen = []
    original = shapes._node_info
    monkeypatch.setattr(shapes, "_node_info", lambda d, n, *a: seen.append(n) or original(d, n, *a))
    doc.set_param("drop", "p", 0.3)
    inference.refresh()
    assert seen == ["drop"]  # same output type: nothing downstream can change
    seen.clear()
    doc.set_param("fc0", "out_features", 7)
    assert inference.refresh().value_type("fc0").text() == "(N, 7)"
    assert seen == ["fc0", "fc1"]  # fc1 takes a new input but still gives (N, 4): the walk stops there


def test_modules_are_built_on_the_meta_device_and_checked_by_torch():
    conv = build_on_meta(get_spec("Conv2d"), {"in_channels": 4096, "out_channels": 4096, "kernel_size": 7})
    assert conv.weight.is_meta and conv.weight.shape == (4096, 4096, 7, 7)  # 3 GB it never allocates
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        build_on_meta(get_spec("Conv2d"), {"in_channels": 4, "out_channels": 6, "kernel_size": 3, "groups": 4})


def test_an_output_too_big_to_allocate_is_refused_at_its_node():
    """Found by the file fuzzer: an adaptive pool to 1e9 x 1e9 passed check and overflowed in forward."""
    doc = chain(("Input", {"shape": [2, 6, 6]}, "x"), ("AdaptiveMaxPool2d", {"output_size": 10**9}, "pool"))
    [problem] = infer_shapes(doc).errors
    assert problem.node_id == "pool" and "would hold 2,000,000,000,000,000,000 values per sample" in problem.message
