"""A diverging run names the node that first produced NaN / inf (or blew its input up)."""

from __future__ import annotations

import pytest
import torch

from netbuilder.core.codegen import generate
from netbuilder.core.compiler import build_model
from netbuilder.core.fileformat import load_graph
from netbuilder.core.shapes import infer_shapes
from netbuilder.train import recipe
from netbuilder.train.engine import Trainer
from netbuilder.train.events import Failed
from netbuilder.train.nan_hunt import BatchRecorder


def recorded_step(doc):
    model = build_model(doc)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    step = BatchRecorder(recipe.SupervisedStep(model, torch.nn.CrossEntropyLoss(), optimizer))
    return model, step, generate(doc, report=infer_shapes(doc))


def test_the_first_node_whose_output_is_inf_is_named_with_what_fed_it():
    doc = load_graph("examples/iris_mlp.json")
    model, step, generated = recorded_step(doc)
    with torch.no_grad():
        model.fc2.weight.fill_(3e38)  # a sum of several of these overflows float32
    step(torch.ones(4, 4), torch.zeros(4, dtype=torch.long))
    bad = step.first_bad_node(doc, generated)
    assert (bad.node_id, bad.what, bad.weights_bad) == ("fc2", "inf", False)
    assert bad.input_max == pytest.approx(float(model.relu1(model.fc1(torch.ones(1, 4))).max().detach()), rel=1e-5)
    sentence = bad.sentence(3, 17)
    assert sentence.startswith("`fc2` produced inf in epoch 3, batch 17: its input max was ")
    assert sentence.endswith("lower the learning rate or add normalisation")


def test_weights_that_are_already_nan_are_named_as_such():
    doc = load_graph("examples/iris_mlp.json")
    model, step, generated = recorded_step(doc)
    with torch.no_grad():
        model.fc3.weight[0, 0] = float("nan")
    step(torch.ones(4, 4), torch.zeros(4, dtype=torch.long))
    bad = step.first_bad_node(doc, generated)
    assert (bad.node_id, bad.what, bad.weights_bad) == ("fc3", "NaN", True)


def test_the_replay_starts_from_the_weights_the_failing_batch_started_with():
    doc = load_graph("examples/iris_mlp.json")
    model, step, generated = recorded_step(doc)
    step.step.optimizer.param_groups[0]["lr"] = 1e12  # each update wrecks the weights
    x, y = torch.ones(8, 4), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    step(x, y)
    assert not step.kept  # a sane output: nothing copied
    started = model.fc1.weight.detach().clone()
    step(x, y)  # its output is huge: its starting weights are kept before the update
    assert step.kept and not torch.equal(model.fc1.weight, started)
    bad = step.first_bad_node(doc, generated)
    assert bad is not None and torch.equal(model.fc1.weight, started)


def test_a_run_at_lr_1e6_points_at_its_node(tmp_path):
    doc = load_graph("examples/digits_cnn.json")
    doc.training = {**doc.training, "epochs": 2, "optimizer": {"name": "sgd", "lr": 1e6},
                    "scheduler": {"name": "none"}}
    failed = list(Trainer(doc, runs_dir=tmp_path).run())[-1]
    assert isinstance(failed, Failed) and failed.node_id in doc.nodes
    assert f"`{failed.node_id}` produced " in failed.message and "its input max was" in failed.message
    assert "The learning rate (1e+06) is probably too high" in failed.message
