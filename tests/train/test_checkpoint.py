"""Run folders, checkpoints loaded with weights_only, and exact resumption."""

import csv
import json
from pathlib import Path

import pytest
import torch

from netbuilder.core.document import Edge, GraphDocument
from netbuilder.train.checkpoints import load_checkpoint
from netbuilder.train.engine import Trainer
from netbuilder.train.events import CheckpointSaved, EpochEnd, Failed, Finished, RunStarted

TRAINING = {"data": {"source": "iris"}, "epochs": 4, "batch_size": 16, "optimizer": {"name": "adam", "lr": 0.01},
            "scheduler": {"name": "onecycle"}}


def model_with_dropout(name="resumable net", training=TRAINING):
    doc = GraphDocument(name)
    prev = doc.add_node("Input", {"shape": [4]})
    for layer_type, params in [("Linear", {"out_features": 32}), ("ReLU", {}), ("Dropout", {"p": 0.3}),
                               ("Linear", {"out_features": 3})]:
        node = doc.add_node(layer_type, params)
        doc.connect(Edge(prev, node))
        prev = node
    doc.training = dict(training)
    return doc


def events_of(trainer, stop_after_epoch=None):
    events = []
    for event in trainer.run():
        events.append(event)
        if isinstance(event, EpochEnd) and event.epoch == stop_after_epoch:
            trainer.stop()
    return events


def losses(history):
    return [(row["epoch"], row["train_loss"], row["val_loss"], row["accuracy"], row["lr"]) for row in history]


def test_run_folder_holds_settings_history_and_checkpoints(tmp_path):
    events = events_of(Trainer(model_with_dropout(), runs_dir=tmp_path, batch_events_per_s=0, save_every_s=0))
    end = events[-1]
    run_dir = tmp_path / "resumable_net"
    assert isinstance(end, Finished) and end.run_dir.startswith(str(run_dir))
    folder = next(run_dir.iterdir())
    assert {p.name for p in folder.iterdir()} >= {"config.json", "graph.json", "history.json", "history.csv",
                                                  "last.pt", "best.pt"}
    config = json.loads((folder / "config.json").read_text())
    assert config["training"]["epochs"] == 4 and config["data"]["name"] == "iris"
    assert json.loads((folder / "history.json").read_text()) == end.history
    rows = list(csv.DictReader((folder / "history.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4] and "accuracy" in rows[0]
    state = torch.load(folder / "last.pt", weights_only=True)  # plain tensors and data only
    assert state["epoch"] == 4 and set(state) >= {"model", "optimizer", "scheduler", "rng", "history"}
    assert set(state["rng"]) >= {"torch", "loader", "numpy", "python"}
    best = torch.load(folder / "best.pt", weights_only=True)
    assert best["epoch"] == end.best["epoch"]
    saved = [e for e in events if isinstance(e, CheckpointSaved)]
    assert [e.epoch for e in saved if e.kind == "last"] == [1, 2, 3, 4]


def test_a_stopped_and_resumed_run_matches_an_uninterrupted_one_exactly(tmp_path):
    whole = events_of(Trainer(model_with_dropout(), runs_dir=tmp_path / "a", batch_events_per_s=0))[-1]
    stopped = events_of(Trainer(model_with_dropout(), runs_dir=tmp_path / "b", batch_events_per_s=0),
                        stop_after_epoch=2)[-1]
    assert stopped.stopped_by_user and len(stopped.history) == 2
    assert load_checkpoint(f"{stopped.run_dir}/last.pt")["epoch"] == 2  # written on stop despite throttling
    resumed_events = events_of(Trainer(model_with_dropout(), runs_dir=tmp_path / "c", resume=stopped.run_dir,
                                       batch_events_per_s=0))
    started, resumed = resumed_events[0], resumed_events[-1]
    assert isinstance(started, RunStarted) and started.start_epoch == 2 and started.run_dir == stopped.run_dir
    assert [e.epoch for e in resumed_events if isinstance(e, EpochEnd)] == [3, 4]
    assert isinstance(resumed, Finished) and losses(resumed.history) == losses(whole.history)
    assert resumed.best["epoch"] == whole.best["epoch"]
    assert not (tmp_path / "c").exists()  # it continued in the stopped run's folder


def test_throttled_writes_keep_the_best_epoch_for_the_end(tmp_path):
    events = events_of(Trainer(model_with_dropout(), runs_dir=tmp_path, batch_events_per_s=0, save_every_s=1e9))
    saved = [e for e in events if isinstance(e, CheckpointSaved)]
    end = events[-1]
    assert {(e.kind, e.epoch) for e in saved} >= {("last", 4), ("best", end.best["epoch"])}
    assert all(e.epoch == 4 or e.kind == "best" for e in saved)  # nothing was due before the final epoch
    best = load_checkpoint(f"{end.run_dir}/best.pt")
    assert best["epoch"] == end.best["epoch"] and len(best["history"]) == end.best["epoch"]


def _break_in_epoch_3(monkeypatch):
    from netbuilder.train import recipe

    real, calls = recipe.evaluate, []

    def evaluate_then_break(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("out of memory")
        return real(*args, **kwargs)

    monkeypatch.setattr(recipe, "evaluate", evaluate_then_break)


def test_a_failed_run_keeps_its_last_checkpoint(tmp_path, monkeypatch):
    _break_in_epoch_3(monkeypatch)
    events = events_of(Trainer(model_with_dropout(), runs_dir=tmp_path, batch_events_per_s=0, save_every_s=0))
    assert isinstance(events[-1], Failed) and "out of memory" in events[-1].message
    assert load_checkpoint(f"{events[0].run_dir}/last.pt")["epoch"] == 2


def test_a_failed_run_still_writes_the_epochs_it_kept_aside(tmp_path, monkeypatch):
    _break_in_epoch_3(monkeypatch)
    events = events_of(Trainer(model_with_dropout(), runs_dir=tmp_path, batch_events_per_s=0, save_every_s=1e9))
    best_epoch = min((e for e in events if isinstance(e, EpochEnd)), key=lambda e: e.val_loss).epoch
    assert isinstance(events[-1], Failed)
    assert load_checkpoint(f"{events[0].run_dir}/last.pt")["epoch"] == 2
    assert load_checkpoint(f"{events[0].run_dir}/best.pt")["epoch"] == best_epoch
    assert json.loads((Path(events[0].run_dir) / "history.json").read_text())[-1]["epoch"] == 2


def test_resume_refuses_missing_or_mismatched_checkpoints(tmp_path):
    missing = events_of(Trainer(model_with_dropout(), runs_dir=tmp_path, resume=tmp_path / "nope"))[-1]
    assert isinstance(missing, Failed) and "no such checkpoint" in missing.message
    end = events_of(Trainer(model_with_dropout(training={**TRAINING, "epochs": 1}), runs_dir=tmp_path))[-1]
    other = model_with_dropout(training={**TRAINING, "epochs": 1})
    other.set_param("linear_1", "out_features", 8)
    mismatch = events_of(Trainer(other, runs_dir=tmp_path, resume=end.run_dir))[-1]
    assert isinstance(mismatch, Failed) and "does not fit the graph" in mismatch.message


@pytest.mark.parametrize("name", ["last.pt", "best.pt"])
def test_resume_accepts_a_checkpoint_file_and_more_epochs(tmp_path, name):
    training = {**TRAINING, "scheduler": {"name": "step", "step_size": 1}}
    end = events_of(Trainer(model_with_dropout(training={**training, "epochs": 2}), runs_dir=tmp_path))[-1]
    saved_epoch = load_checkpoint(f"{end.run_dir}/{name}")["epoch"]
    events = events_of(Trainer(model_with_dropout(training=training), runs_dir=tmp_path,
                               resume=f"{end.run_dir}/{name}"))
    assert events[0].start_epoch == saved_epoch
    assert isinstance(events[-1], Finished)
    assert [r["epoch"] for r in events[-1].history] == list(range(1, 5))


def test_a_planned_schedule_cannot_be_stretched_on_resume(tmp_path):
    end = events_of(Trainer(model_with_dropout(training={**TRAINING, "epochs": 2}), runs_dir=tmp_path))[-1]
    failed = events_of(Trainer(model_with_dropout(), runs_dir=tmp_path, resume=end.run_dir))[-1]
    assert isinstance(failed, Failed)
    assert "OneCycleLR schedule spans" in failed.message
    assert "number of epochs the run was started with" in failed.message


def test_scalars_go_to_tensorboard_when_it_is_installed(tmp_path, monkeypatch):
    from netbuilder.train import engine

    written = []

    class Writer:
        def add_scalar(self, name, value, step):
            written.append((name, step))

        def close(self):
            written.append("closed")

    monkeypatch.setattr(engine, "open_tensorboard", lambda run_dir: Writer())
    events_of(Trainer(model_with_dropout(training={**TRAINING, "epochs": 2}), runs_dir=tmp_path))
    assert ("val_loss", 2) in written and ("accuracy", 1) in written and written[-1] == "closed"


def test_the_kept_best_epoch_is_the_same_checkpoint_as_one_written_at_once(tmp_path):
    training = {**TRAINING, "early_stopping": {"metric": "accuracy"}}  # peaks before the last epoch
    kept = events_of(Trainer(model_with_dropout(training=training), runs_dir=tmp_path / "kept", save_every_s=1e9))[-1]
    written = events_of(Trainer(model_with_dropout(training=training), runs_dir=tmp_path / "written",
                                save_every_s=0))[-1]
    a, b = load_checkpoint(f"{kept.run_dir}/best.pt"), load_checkpoint(f"{written.run_dir}/best.pt")
    assert a["epoch"] == b["epoch"] < 4  # not the last epoch, so it really was kept aside
    for name in a["model"]:
        assert torch.equal(a["model"][name], b["model"][name])
    assert torch.equal(a["rng"]["torch"], b["rng"]["torch"])
    assert a["optimizer"]["state"][0]["exp_avg"].equal(b["optimizer"]["state"][0]["exp_avg"])


def test_a_failed_run_says_so_in_its_folder_until_a_resume_finishes_it(tmp_path, monkeypatch):
    _break_in_epoch_3(monkeypatch)
    events = events_of(Trainer(model_with_dropout(), runs_dir=tmp_path, batch_events_per_s=0, save_every_s=0))
    run_dir = Path(events[0].run_dir)
    failure = json.loads((run_dir / "failed.json").read_text())
    assert isinstance(events[-1], Failed) and failure["message"] == events[-1].message and failure["epoch"] == 3
    monkeypatch.undo()
    resumed = events_of(Trainer(model_with_dropout(), runs_dir=tmp_path, resume=run_dir, batch_events_per_s=0))
    assert isinstance(resumed[-1], Finished) and not (run_dir / "failed.json").exists()
