"""The preview engine: one sample through every node, weights by node id, failures named."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from netbuilder.core.codegen import generate
from netbuilder.core.compiler import build_model
from netbuilder.core.fileformat import dumps, load_graph
from netbuilder.core.shapes import infer_shapes
from netbuilder.train.pictures import picture
from netbuilder.train.preview import PreviewEngine, PreviewRequest
from netbuilder.train.transplant import transplant
from netbuilder.train.worker import make_trainer

EXAMPLES = "examples"


def run(engine, doc, **options):
    options.setdefault("base_dir", EXAMPLES)
    return engine.run(PreviewRequest(1, dumps(doc), **options))


def test_every_node_of_the_digits_cnn_gets_a_picture_of_a_real_sample():
    doc = load_graph(f"{EXAMPLES}/digits_cnn.json")
    result = run(PreviewEngine(), doc, sample=4)
    assert result.error is None
    assert set(result.pictures) == set(doc.nodes)
    assert result.samples > 300 and result.sample.startswith("digits sample 5 of")
    assert result.pictures["image"].kind == "maps" and result.pictures["image"].shape == (1, 8, 8)
    conv = result.pictures["conv1"]
    assert conv.kind == "maps" and conv.channels == 32 and conv.data.shape == (16, 8, 8)
    assert result.pictures["flatten"].kind == "bars" and len(result.pictures["flatten"].data) == 128
    scores = result.pictures["fc2"]
    assert scores.labels == [str(d) for d in range(10)] and scores.probs.sum() == pytest.approx(1, abs=1e-5)
    assert 0.2 < result.pictures["relu1"].stats["zeros"] < 0.9  # a ReLU of random weights zeroes about half


def test_functional_nodes_and_multi_line_nodes_are_seen():
    residual = run(PreviewEngine(), load_graph(f"{EXAMPLES}/residual_cnn.json"))
    assert residual.pictures["add"].shape == (16, 8, 8)  # written as `x = x + relu1`, no module
    lstm = run(PreviewEngine(), load_graph(f"{EXAMPLES}/sequence_lstm.json"))
    assert lstm.pictures["sequence"].kind == "heat" and lstm.pictures["lstm"].shape == (64,)  # `x[:, -1]`
    assert len(lstm.pictures["classifier"].labels) == 4  # the waveform classes


def test_a_random_tensor_when_asked_or_without_data():
    doc = load_graph(f"{EXAMPLES}/two_input_concat.json")
    result = run(PreviewEngine(), doc)
    assert result.error is None and result.sample.startswith("random tensor") and result.samples == 0
    digits = run(PreviewEngine(), load_graph(f"{EXAMPLES}/digits_cnn.json"), sample=None)
    assert digits.sample == "random tensor" and digits.pictures["image"].stats["min"] < 0


def test_editing_a_node_keeps_the_random_weights_of_the_others():
    engine = PreviewEngine()
    doc = load_graph(f"{EXAMPLES}/digits_cnn.json")
    before = run(engine, doc)
    doc.set_param("fc1", "out_features", 64)
    after = run(engine, doc)
    np.testing.assert_array_equal(before.pictures["conv2"].data, after.pictures["conv2"].data)
    assert after.pictures["fc1"].shape == (64,)
    assert after.pictures["fc2"].shape == (10,)  # reshaped (64 inputs): fresh weights, still a picture


def test_trained_weights_are_used_node_by_node(tmp_path):
    doc = load_graph(f"{EXAMPLES}/iris_mlp.json")
    doc.training = {**doc.training, "epochs": 2}
    events = list(make_trainer(doc, None, tmp_path, None, EXAMPLES).run())
    run_dir = events[-1].run_dir
    engine = PreviewEngine()
    random = run(engine, doc)
    trained = run(engine, doc, weights=run_dir)
    assert trained.weights.startswith("trained weights") and "not trained yet" not in trained.weights
    assert not np.array_equal(random.pictures["fc1"].data, trained.pictures["fc1"].data)
    model = build_model(doc)
    state = torch.load(f"{run_dir}/best.pt", weights_only=True)["model"]
    model.load_state_dict(state)
    x = torch.from_numpy(np.zeros((1, 4), np.float32))
    assert trained.pictures["fc1"].shape == tuple(model.fc1(x)[0].shape)
    doc.set_param("fc2", "out_features", 16)  # edited after training: that node (and fc3) start fresh
    edited = run(engine, doc, weights=run_dir)
    assert "not trained yet: fc2, fc3" in edited.weights
    np.testing.assert_array_equal(trained.pictures["fc1"].data, edited.pictures["fc1"].data)


def test_a_node_that_fails_on_the_sample_is_named(monkeypatch):
    def broken(self, x):
        raise RuntimeError("boom\nmore text")

    monkeypatch.setattr(torch.nn.ReLU, "forward", broken)
    result = run(PreviewEngine(), load_graph(f"{EXAMPLES}/iris_mlp.json"))
    assert result.error_node == "relu1" and result.error == "'relu1' failed on this sample: boom"
    assert "fc1" in result.pictures and "relu1" not in result.pictures


def test_nan_and_inf_are_counted_apart_from_the_statistics():
    stats = picture(torch.tensor([1.0, float("nan"), float("inf"), 0.0])).stats
    assert (stats["nan"], stats["inf"], stats["zeros"], stats["max"], stats["min"]) == (1, 1, 0.25, 1.0, 0.0)


def test_a_graph_with_errors_says_so():
    doc = load_graph(f"{EXAMPLES}/digits_cnn.json")
    doc.disconnect(doc.in_edges("flatten")[0])
    result = run(PreviewEngine(), doc)
    assert result.error.startswith("no preview while the graph has errors") and not result.pictures


def test_transplant_keeps_fitting_nodes_bit_for_bit():
    doc = load_graph(f"{EXAMPLES}/digits_cnn.json")
    old = build_model(doc)
    old_attr = generate(doc, report=infer_shapes(doc)).attr_of
    doc.set_param("fc1", "out_features", 32)
    new = build_model(doc)
    moved = transplant(new, generate(doc, report=infer_shapes(doc)).attr_of, old.state_dict(), old_attr)
    assert moved.kept == ["conv1", "conv2"] and moved.reset == ["fc1", "fc2"]
    assert torch.equal(new.conv2.weight, old.conv2.weight)
    assert "initialised afresh: fc1, fc2" in moved.summary()
