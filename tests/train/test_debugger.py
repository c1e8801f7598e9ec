"""The per-node debugger without Qt: update/weight ratios, gradient warnings, the
history of node statistics, and a new run starting from an earlier run's weights."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

from netbuilder.cli import main
from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.fileformat import load_graph, save_graph
from netbuilder.train.config import TrainingConfig
from netbuilder.train.engine import Trainer
from netbuilder.train.events import Failed, Finished, GradientWarning, NodeStats, WeightsLoaded
from netbuilder.train.gradient_health import GradientWatch, gradient_problems
from netbuilder.train.initial_weights import plan_load
from netbuilder.train.node_history import NodeHistory, value_text
from netbuilder.train.prepare import TrainingError
from netbuilder.train.probes import NodeProbe
from netbuilder.train.session import open_session

EXAMPLE = "examples/iris_mlp.json"


def deep(layers: int, activation: str = "Sigmoid", epochs: int = 1) -> GraphDocument:
    """Input, ``layers`` × (Linear 16, activation), a Linear head: sigmoids this deep starve fc1."""
    doc = GraphDocument("deep")
    prev = doc.add_node("Input", {"shape": [4]}, node_id="x")
    for i in range(1, layers + 1):
        fc = doc.add_node("Linear", {"out_features": 16}, node_id=f"fc{i}")
        act = doc.add_node(activation, {}, node_id=f"act{i}")
        doc.connect(Edge(prev, fc))
        doc.connect(Edge(fc, act))
        prev = act
    doc.connect(Edge(prev, doc.add_node("Linear", {"out_features": 3}, node_id="head")))
    doc.training = {"data": {"source": "iris"}, "epochs": epochs}
    return doc


def trained_run(tmp_path, epochs=1):
    doc = load_graph(EXAMPLE)
    doc.training = {**doc.training, "epochs": epochs}
    events = list(Trainer(doc, runs_dir=tmp_path / "first", save_every_s=0, batch_events_per_s=0).run())
    assert isinstance(events[-1], Finished), events[-1]
    return doc, events[-1].run_dir


def widened(doc, freeze=()):
    """fc2 wider, so fc2 and fc3 change shape and fc1 does not."""
    doc = doc.copy()
    doc.set_param("fc2", "out_features", 48)
    doc.training = {**doc.training, "freeze": list(freeze)}
    return doc


# -- update / weight ratio --------------------------------------------------------------------------
def test_the_probe_measures_each_epochs_update_against_the_weights():
    model = nn.Sequential()
    model.add_module("fc", nn.Linear(3, 2))
    model.add_module("act", nn.ReLU())
    probe = NodeProbe(model, {"fc": "fc", "act": "act"})
    before = model.fc.weight.detach().clone(), model.fc.bias.detach().clone()
    probe.arm()
    model(torch.randn(5, 3)).sum().backward()
    with torch.no_grad():
        model.fc.weight.add_(0.5)
    stats = probe.collect()
    assert probe.collect()["fc"]["update_ratio"] == 0.0  # measured from the last collect on
    model.requires_grad_(False)
    step = math.sqrt(((model.fc.weight - before[0]) ** 2).sum() + ((model.fc.bias - before[1]) ** 2).sum())
    size = math.sqrt((model.fc.weight ** 2).sum() + (model.fc.bias ** 2).sum())
    assert stats["fc"]["update_ratio"] == pytest.approx(step / size, rel=1e-5)
    assert stats["act"]["update_ratio"] is None and stats["act"]["zeros"] is not None


def test_a_run_reports_update_ratios_and_none_for_a_frozen_node(tmp_path):
    doc = load_graph(EXAMPLE)
    doc.training = {**doc.training, "epochs": 2, "freeze": ["fc1"]}
    events = list(Trainer(doc, runs_dir=tmp_path, batch_events_per_s=0, details=True).run())
    stats = [e.stats for e in events if isinstance(e, NodeStats)]
    assert len(stats) == 2 and all(0 < s["fc2"]["update_ratio"] < 1 for s in stats)
    assert stats[0]["fc1"]["update_ratio"] is None and stats[0]["relu1"]["update_ratio"] is None


# -- vanishing and exploding gradients ------------------------------------------------------------------
def norms(**values):
    return {node: {"grad_norm": value} for node, value in values.items()}


def test_gradient_problems_name_the_nodes():
    order = ["conv1", "relu", "conv2", "conv3"]
    assert gradient_problems(norms(conv1=0.05, relu=None, conv2=0.2, conv3=0.4), order) == []
    [vanishing] = gradient_problems(norms(conv1=4e-10, relu=None, conv2=1e-3, conv3=0.4), order)
    assert vanishing.kind == "vanishing" and vanishing.nodes == ("conv1", "conv3")
    assert vanishing.message == ("grad norm of conv1 is 1e-09 of conv3's — vanishing gradients: add "
                                 "normalisation / residual connections / lower depth")
    [growing] = gradient_problems(norms(conv1=50.0, conv2=1.0, conv3=1e-4), order)
    assert growing.kind == "exploding" and growing.nodes == ("conv1", "conv3") and "5e+05 times conv3's" in \
        growing.message and "lower the learning rate" in growing.message
    [huge] = gradient_problems(norms(conv1=1e3, conv3=3e6), order)
    assert huge.nodes == ("conv3",) and huge.message.startswith("grad norm of conv3 is 3e+06 — exploding")
    assert gradient_problems(norms(conv1=0.0, conv3=1.0), order)[0].message.startswith(
        "grad norm of conv1 is zero of conv3's")


def test_each_problem_is_said_once_per_run():
    watch = GradientWatch(["a", "b"])
    assert len(watch.new_problems(norms(a=1e-9, b=1.0))) == 1
    assert watch.new_problems(norms(a=1e-10, b=2.0)) == []


def test_a_deep_sigmoid_network_warns_of_vanishing_gradients_and_a_shallow_one_does_not(tmp_path):
    events = list(Trainer(deep(8), runs_dir=tmp_path, batch_events_per_s=0, details=True).run())
    [warning] = [e for e in events if isinstance(e, GradientWarning)]
    assert warning.kind == "vanishing" and warning.nodes == ["fc1", "head"] and warning.epoch == 1
    assert warning.message.startswith("grad norm of fc1 is ") and "vanishing gradients" in warning.message
    shallow = list(Trainer(deep(2, "ReLU"), runs_dir=tmp_path, batch_events_per_s=0, details=True).run())
    assert not any(isinstance(e, GradientWarning) for e in shallow)


def test_the_cli_prints_the_gradient_warning(tmp_path, capsys):
    path = tmp_path / "deep.json"
    save_graph(deep(8), path)
    assert main(["train", str(path), "--runs-dir", str(tmp_path / "runs")]) == 0
    assert "vanishing gradients" not in capsys.readouterr().err  # no probes unless asked: the CLI stays lean
    assert main(["train", str(path), "--node-stats", "--runs-dir", str(tmp_path / "runs")]) == 0
    err = capsys.readouterr().err
    assert "warning (epoch 1): grad norm of fc1 is " in err and "vanishing gradients" in err


# -- the history -------------------------------------------------------------------------------------------
def test_the_history_gives_series_and_one_scale_per_statistic():
    history = NodeHistory()
    history.start("run-a")
    history.add(1, {"fc": {"grad_norm": 1e-3, "zeros": 0.1}, "relu": {"grad_norm": None, "zeros": 0.5}})
    history.add(2, {"fc": {"grad_norm": 1e-1, "zeros": 0.2}, "relu": {"grad_norm": None, "zeros": float("nan")}})
    assert history.epochs == [1, 2] and history.series("fc", "grad_norm") == [(1, 1e-3), (2, 1e-1)]
    assert history.series("relu", "zeros") == [(1, 0.5)] and history.series("relu", "grad_norm") == []
    scale = history.scale("grad_norm")
    assert scale == (1e-3, 1e-1) and history.level("grad_norm", 1e-2, scale) == pytest.approx(0.5)
    assert history.scale("zeros") == (0.0, 1.0) and history.level("zeros", 0.25, (0.0, 1.0)) == 0.25
    assert history.level("grad_norm", None, scale) is None and history.scale("mean") is None
    assert value_text("zeros", 0.25) == "25%" and value_text("grad_norm", 0.00123) == "1.2e-03"
    history.start("run-a")  # continued in its folder: kept
    assert history.epochs == [1, 2]
    history.start("run-b")
    assert history.epochs == []


# -- starting from an earlier run's weights ---------------------------------------------------------
def test_a_new_run_starts_from_an_earlier_runs_weights_node_by_node(tmp_path):
    doc, run_dir = trained_run(tmp_path)
    best = torch.load(f"{run_dir}/best.pt", weights_only=True)["model"]
    new_doc = widened(doc)
    moved, checkpoint = plan_load(new_doc, run_dir)
    assert moved.kept == ["fc1"] and moved.reset == ["fc2", "fc3"] and checkpoint.name == "best.pt"
    session = open_session(new_doc, TrainingConfig.from_dict(new_doc.training), tmp_path / "second",
                           init_from=run_dir)
    assert session.initial.kept == ["fc1"] and session.start_epoch == 0 and session.history == []
    for key in ("fc1.weight", "fc1.bias"):
        assert torch.equal(session.model.state_dict()[key], best[key])
    assert session.model.fc2.weight.shape == (48, 32)
    record = json.loads((session.run_dir / "config.json").read_text())["initial_weights"]
    assert record == {"source": str(run_dir), "kept": ["fc1"], "reset": ["fc2", "fc3"]}


def test_fine_tuning_keeps_the_frozen_loaded_node_bit_for_bit(tmp_path):
    doc, run_dir = trained_run(tmp_path)
    best = torch.load(f"{run_dir}/best.pt", weights_only=True)["model"]
    trainer = Trainer(widened(doc, freeze=["fc1"]), runs_dir=tmp_path / "second", init_from=run_dir,
                      batch_events_per_s=0)
    events = list(trainer.run())
    assert isinstance(events[-1], Finished), events[-1]
    [loaded] = [e for e in events if isinstance(e, WeightsLoaded)]
    assert loaded.kept == ["fc1"] and loaded.reset == ["fc2", "fc3"]
    assert loaded.message == (f"loaded the weights of fc1 from {run_dir}; left as initialised (new or reshaped): "
                              "fc2, fc3")
    assert torch.equal(trainer.session.model.fc1.weight, best["fc1.weight"])
    assert events[-1].run_dir != run_dir


def test_a_bare_state_dict_is_read_as_named_after_the_current_graph(tmp_path):
    doc = load_graph(EXAMPLE)
    session = open_session(doc, TrainingConfig.from_dict(doc.training), tmp_path / "a")
    path = tmp_path / "weights" / "model.pt"
    path.parent.mkdir()
    torch.save({k: v + 1 for k, v in session.model.state_dict().items()}, path)
    moved, _ = plan_load(doc, path)
    assert moved.kept == ["fc1", "fc2", "fc3"] and moved.reset == []


@pytest.mark.parametrize("content", [b"not a checkpoint", None])
def test_a_bad_source_is_refused_with_its_name_and_the_run_fails_cleanly(tmp_path, content):
    doc = load_graph(EXAMPLE)
    path = tmp_path / "broken.pt"
    if content is None:
        torch.save({"epoch": 3}, path)  # readable, but no weights in it
    else:
        path.write_bytes(content)
    with pytest.raises(TrainingError, match="broken.pt"):
        plan_load(doc, path)
    events = list(Trainer(doc, runs_dir=tmp_path / "runs", init_from=path).run())
    assert isinstance(events[-1], Failed) and "broken.pt" in events[-1].message
    with pytest.raises(TrainingError, match="no such run folder"):
        plan_load(doc, tmp_path / "missing")


def test_the_cli_starts_a_run_from_another_runs_weights(tmp_path, capsys):
    doc, run_dir = trained_run(tmp_path)
    path = tmp_path / "wider.json"
    save_graph(widened(doc), path)
    assert main(["train", str(path), "--epochs", "1", "--runs-dir", str(tmp_path / "runs"),
                 "--weights-from", run_dir]) == 0
    err = capsys.readouterr().err
    assert f"Loaded the weights of fc1 from {run_dir}; left as initialised (new or reshaped): fc2, fc3" in err
    assert main(["train", str(path), "--runs-dir", str(tmp_path / "runs"), "--weights-from",
                 str(tmp_path / "nowhere")]) == 1
    assert "nowhere: no such run folder or checkpoint" in capsys.readouterr().err


def test_a_gan_refuses_to_start_from_another_runs_weights(tmp_path):
    from netbuilder.train.gan import make_trainer

    doc = load_graph("examples/gan_digits.json")
    with pytest.raises(TrainingError, match="a GAN continues its own run"):
        make_trainer(doc, runs_dir=tmp_path, init_from=str(tmp_path))


def test_the_node_history_is_kept_in_the_run_folder_and_read_back_on_resume(tmp_path):
    from netbuilder.train.node_history import STATS_FILE, read_node_stats

    doc = load_graph(EXAMPLE)
    doc.training = {**doc.training, "epochs": 2}
    events = list(Trainer(doc, runs_dir=tmp_path, batch_events_per_s=0, save_every_s=0, details=True).run())
    run_dir = events[-1].run_dir
    reported = {e.epoch: e.stats for e in events if isinstance(e, NodeStats)}
    assert read_node_stats(run_dir) == reported
    with open(f"{run_dir}/{STATS_FILE}", "a", encoding="utf-8") as file:
        file.write("{damaged\n")
    history = NodeHistory()
    history.start(run_dir, start_epoch=1)  # resumed from epoch 1 after a restart: what came before it
    assert history.epochs == [1] and history.at(1) == reported[1]
