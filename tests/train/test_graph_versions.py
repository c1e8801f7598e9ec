"""Resuming a run with an edited graph: unchanged nodes keep weights and optimizer state bit for bit."""

from __future__ import annotations

import json

import torch

from netbuilder.core.document import Edge
from netbuilder.core.fileformat import load_graph
from netbuilder.train.config import TrainingConfig
from netbuilder.train.engine import Trainer
from netbuilder.train.events import Finished, GraphChanged
from netbuilder.train.graph_versions import graph_versions, same_network
from netbuilder.train.session import open_session

EXAMPLE = "examples/iris_mlp.json"


def trained_run(tmp_path, epochs=2):
    doc = load_graph(EXAMPLE)
    doc.training = {**doc.training, "epochs": epochs}
    events = list(Trainer(doc, runs_dir=tmp_path, save_every_s=0).run())
    assert isinstance(events[-1], Finished), events[-1]
    return doc, events[-1].run_dir


def edited(doc, freeze=()):
    """Wider fc2 (so fc2 and fc3 reshape), a Tanh added after relu2, and nodes frozen."""
    doc = doc.copy()
    doc.set_param("fc2", "out_features", 48)
    doc.add_node("Tanh", node_id="extra")
    old = next(e for e in doc.edges if e.source == "relu2")
    doc.disconnect(old)
    doc.connect(Edge("relu2", "extra"))
    doc.connect(Edge("extra", old.target))
    doc.training = {**doc.training, "epochs": 4, "freeze": list(freeze)}
    return doc


def test_an_edited_graph_resumes_with_the_untouched_nodes_weights_and_optimizer_state(tmp_path):
    doc, run_dir = trained_run(tmp_path)
    checkpoint = torch.load(f"{run_dir}/last.pt", weights_only=True)
    new_doc = edited(doc)
    assert not same_network(doc, new_doc)
    session = open_session(new_doc, TrainingConfig.from_dict(new_doc.training), tmp_path, resume=run_dir,
                           by_node_id=True)
    assert session.graph_change.kept == ["fc1"] and session.graph_change.reset == ["fc2", "fc3"]
    assert session.start_epoch == 2 and [row["epoch"] for row in session.history] == [1, 2]
    for key in ("fc1.weight", "fc1.bias"):
        assert torch.equal(session.model.state_dict()[key], checkpoint["model"][key])
    old_state = checkpoint["optimizer"]["state"]
    for index, param in enumerate([session.model.fc1.weight, session.model.fc1.bias]):
        new_state = session.optimizer.state[param]
        for name in ("exp_avg", "exp_avg_sq", "step"):
            assert torch.equal(new_state[name], old_state[index][name])
    assert session.model.fc2.weight.shape == (48, 32) and session.optimizer.state[session.model.fc2.weight] == {}


def test_the_run_continues_and_records_each_graph_version(tmp_path):
    doc, run_dir = trained_run(tmp_path)
    new_doc = edited(doc, freeze=["fc1"])
    before = torch.load(f"{run_dir}/last.pt", weights_only=True)["model"]["fc1.weight"]
    events = list(Trainer(new_doc, runs_dir=tmp_path, resume=run_dir, save_every_s=0, by_node_id=True).run())
    change = next(e for e in events if isinstance(e, GraphChanged))
    assert change.from_epoch == 3 and "initialised afresh: fc2, fc3" in change.message
    assert isinstance(events[-1], Finished) and [row["epoch"] for row in events[-1].history] == [1, 2, 3, 4]
    after = torch.load(f"{run_dir}/last.pt", weights_only=True)["model"]["fc1.weight"]
    assert torch.equal(after, before)  # frozen since the edit: not one bit changed
    versions = graph_versions(run_dir)
    assert [(v["version"], v["from_epoch"]) for v in versions] == [(1, 1), (2, 3)]
    assert "extra" in json.loads((tmp_path / run_dir / "graph-v2.json").read_text())["nodes"][-1]["id"]
    assert "extra" not in (tmp_path / run_dir / "graph-v1.json").read_text()


def test_an_unchanged_graph_resumes_exactly_as_before(tmp_path):
    doc, run_dir = trained_run(tmp_path)
    moved = doc.copy()
    moved.move_node("fc1", (999, 999))  # positions are no part of the network
    moved.training = {**moved.training, "epochs": 3}
    session = open_session(moved, TrainingConfig.from_dict(moved.training), tmp_path, resume=run_dir,
                           by_node_id=True)
    assert session.graph_change is None and graph_versions(run_dir)[0]["file"] == "graph.json"
