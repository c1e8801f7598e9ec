"""The engine: events, every optimiser / loss / schedule path, controls and faults."""

import math
import pickle
import queue
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from netbuilder.core.document import Edge, GraphDocument
from netbuilder.train.engine import Trainer
from netbuilder.train.events import (
    BatchEnd,
    CheckpointSaved,
    EpochEnd,
    EvalReport,
    Failed,
    Finished,
    NodeStats,
    RunStarted,
)


def chain(layers, shape, training, name="tiny", dtype="float32"):
    """A straight-line graph: Input, then ``layers`` as (type, params) pairs."""
    doc = GraphDocument(name)
    prev = doc.add_node("Input", {"shape": shape, "dtype": dtype})
    for layer_type, params in layers:
        node = doc.add_node(layer_type, params)
        doc.connect(Edge(prev, node))
        prev = node
    doc.training = training
    return doc


def mlp(source="iris", inputs=4, outputs=3, extra=(), **training):
    layers = [("Linear", {"out_features": 16}), ("ReLU", {}), ("Dropout", {"p": 0.1}),
              ("Linear", {"out_features": outputs}), *extra]
    return chain(layers, [inputs], {"data": {"source": source}, "epochs": 1, **training})


def run(doc, tmp_path, **kwargs):
    kwargs.setdefault("batch_events_per_s", 0)
    return list(Trainer(doc, runs_dir=tmp_path, **kwargs).run())


def finished(events):
    assert isinstance(events[-1], Finished), events[-1]
    return events[-1]


def test_a_run_yields_plain_picklable_events_in_order(tmp_path):
    events = run(mlp(epochs=2), tmp_path, details=True)
    kinds = [type(e) for e in events]
    assert kinds[0] is RunStarted and kinds[-1] is Finished
    started = events[0]
    assert started.device == "cpu" and started.epochs == 2 and started.param_count == 4 * 16 + 16 + 16 * 3 + 3
    assert started.data["name"] == "iris" and started.data["train_size"] + started.data["val_size"] == 150
    assert started.steps_per_epoch == math.ceil(started.data["train_size"] / 32)
    batches = [e for e in events if isinstance(e, BatchEnd)]
    assert len(batches) == 2 * started.steps_per_epoch  # coalescing off: one per batch
    assert [b.global_step for b in batches] == list(range(1, len(batches) + 1))
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.epoch for e in epochs] == [1, 2] and all(e.val_loss > 0 for e in epochs)
    assert set(epochs[0].metrics) == {"accuracy"}  # top-5 says nothing with 3 classes
    assert sum(isinstance(e, EvalReport) for e in events) == 2 and sum(isinstance(e, NodeStats) for e in events) == 2
    assert {e.kind for e in events if isinstance(e, CheckpointSaved)} == {"last", "best"}
    for event in events:
        assert pickle.loads(pickle.dumps(event)) == event


def test_node_statistics_and_reports_are_made_only_for_a_run_that_asks(tmp_path):
    trainer = Trainer(mlp(epochs=2), runs_dir=tmp_path / "cli")  # the CLI's run: nobody shows them
    events = list(trainer.run())
    assert not any(isinstance(e, (NodeStats, EvalReport)) for e in events)
    detailed = Trainer(mlp(epochs=2), runs_dir=tmp_path / "detailed", details=True)
    assert [row for row in finished(events).history] == [
        {**row, "duration": plain["duration"]}
        for row, plain in zip(finished(list(detailed.run())).history, finished(events).history)]  # the same scores
    model = trainer.session.model
    assert not any(m._forward_hooks for m in model.modules())  # nothing was ever hooked
    from netbuilder.train.worker import make_trainer  # the GUI's worker: the canvas shows them

    gui = make_trainer(mlp(epochs=1), None, str(tmp_path / "gui"), None, None)
    kinds = [type(e) for e in gui.run()]
    assert kinds.count(NodeStats) == 1 and kinds.count(EvalReport) == 1


def test_batch_events_are_coalesced_but_every_epoch_reports_its_last_batch(tmp_path):
    started = time.monotonic()
    events = run(mlp(source="moons", inputs=2, outputs=2, epochs=2, batch_size=8), tmp_path, batch_events_per_s=2)
    elapsed = time.monotonic() - started
    batches = [e for e in events if isinstance(e, BatchEnd)]
    steps = events[0].steps_per_epoch
    assert len(batches) <= 2 * elapsed + 2 and len(batches) < 2 * steps  # 2 a second, plus each epoch's last
    assert [b.epoch for b in batches if b.step == steps] == [1, 2]
    assert all(math.isfinite(b.loss) and b.samples_per_s > 0 for b in batches)


def test_node_stats_and_eval_report_describe_the_nodes_and_mistakes(tmp_path):
    events = run(mlp(epochs=1, metrics={"worst": 3}), tmp_path, details=True)
    stats = next(e for e in events if isinstance(e, NodeStats)).stats
    assert set(stats) == {"linear_1", "relu_1", "dropout_1", "linear_2"}
    assert stats["linear_1"]["grad_norm"] > 0 and stats["relu_1"]["grad_norm"] is None
    assert 0 < stats["relu_1"]["zeros"] < 1 and stats["linear_2"]["std"] > 0
    report = next(e for e in events if isinstance(e, EvalReport))
    assert report.class_names == ["setosa", "versicolor", "virginica"]
    assert np.asarray(report.confusion).sum() == events[0].data["val_size"]
    assert len(report.worst) <= 3 and all(w["true"] != w["pred"] for w in report.worst)
    assert all(0 <= w["index"] < 150 for w in report.worst)


@pytest.mark.parametrize("optimizer", [
    {"name": "sgd", "lr": 0.05}, {"name": "sgd", "lr": 0.05, "nesterov": True, "weight_decay": 1e-4},
    {"name": "adam"}, {"name": "adamw", "weight_decay": 0.01}, {"name": "adagrad", "lr": 0.05},
    {"name": "rmsprop", "lr": 0.005},
])
def test_each_optimizer_trains(tmp_path, optimizer):
    events = run(mlp(epochs=2, optimizer=optimizer, grad_clip=1.0), tmp_path)
    history = finished(events).history
    assert len(history) == 2 and all(math.isfinite(row["train_loss"]) for row in history)


@pytest.mark.parametrize("scheduler, check", [
    ({"name": "none"}, lambda lrs: lrs == [0.01] * 3),
    ({"name": "step", "step_size": 1, "gamma": 0.5}, lambda lrs: lrs == pytest.approx([0.01, 0.005, 0.0025])),
    ({"name": "cosine", "min_lr": 0.001}, lambda lrs: lrs[0] == 0.01 and lrs[0] > lrs[1] > lrs[2] > 0.001),
    ({"name": "onecycle"}, lambda lrs: len(set(lrs)) == 3),
    ({"name": "plateau", "patience": 0, "factor": 0.5}, lambda lrs: lrs[0] == 0.01 and all(lr > 0 for lr in lrs)),
])
def test_each_scheduler_shapes_the_learning_rate(tmp_path, scheduler, check):
    doc = mlp(epochs=3, optimizer={"lr": 0.01}, scheduler=scheduler)
    lrs = [row["lr"] for row in finished(run(doc, tmp_path)).history]
    assert check(lrs), lrs


@pytest.mark.parametrize("source, outputs, loss", [
    ("iris", 3, {"name": "cross_entropy", "label_smoothing": 0.1, "class_weights": [1.0, 2.0, 1.0]}),
    ("iris", 3, {"name": "focal", "focal_gamma": 2.0}),
    ("iris", 3, {"name": "focal", "class_weights": [1.0, 1.0, 3.0]}),
    ("iris", 3, {"name": "kl_div", "label_smoothing": 0.05}),
    ("iris", 3, {"name": "bce_with_logits"}),
    ("iris", 3, {"name": "mse"}),
    ("moons", 1, {"name": "bce_with_logits"}),
    ("sine", 1, {"name": "mse"}),
    ("sine", 1, {"name": "l1"}),
    ("sine", 1, {"name": "smooth_l1"}),
    ("sine", 1, {"name": "auto"}),
])
def test_each_loss_trains(tmp_path, source, outputs, loss):
    inputs = {"iris": 4, "moons": 2, "sine": 1}[source]
    events = run(mlp(source, inputs, outputs, loss=loss, epochs=2), tmp_path)
    history = finished(events).history
    assert all(math.isfinite(row["train_loss"]) and math.isfinite(row["val_loss"]) for row in history)
    if source == "sine":
        assert {"mse", "mae", "r2"} <= set(history[-1])
    else:
        assert 0 <= history[-1]["accuracy"] <= 1


def test_nll_loss_trains_a_graph_ending_in_log_softmax_and_refuses_others(tmp_path):
    doc = mlp(extra=[("LogSoftmax", {"dim": 1})], loss={"name": "nll"}, epochs=2)
    assert finished(run(doc, tmp_path)).history[-1]["train_loss"] > 0
    failed = run(mlp(loss={"name": "nll"}), tmp_path)[-1]
    assert isinstance(failed, Failed) and "LogSoftmax" in failed.message and failed.node_id == "linear_2"


def test_class_losses_are_refused_for_regression(tmp_path):
    failed = run(mlp("sine", 1, 1, loss={"name": "cross_entropy"}), tmp_path)[-1]
    assert isinstance(failed, Failed) and "regression" in failed.message


def test_sequence_data_trains_a_recurrent_graph(tmp_path):
    doc = chain([("GRU", {"hidden_size": 8, "output": "last"}), ("Linear", {"out_features": 2})], [20, 1],
                {"data": {"source": "running_sum"}, "epochs": 1, "batch_size": 64})
    events = run(doc, tmp_path, details=True)
    assert finished(events).history[0]["accuracy"] > 0
    assert "gru_1" in next(e for e in events if isinstance(e, NodeStats)).stats


def test_input_shape_mismatch_is_refused_before_anything_heavy(tmp_path):
    doc = chain([("Flatten", {}), ("Linear", {"out_features": 10})], [1, 28, 28], {"data": {"source": "digits"}})
    events = run(doc, tmp_path)
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert events[0].message == "Input 'input' is (1, 28, 28) but digits gives (1, 8, 8)"
    assert events[0].node_id == "input"
    assert not any(tmp_path.iterdir())  # no run folder was made


def test_output_size_must_match_the_classes(tmp_path):
    failed = run(mlp(outputs=5), tmp_path)[-1]
    assert isinstance(failed, Failed) and failed.node_id == "linear_2"
    assert "outputs (N, 5) but iris has 3 classes" in failed.message and "out_features to 3" in failed.message


def test_missing_data_source_and_bad_settings_fail_plainly(tmp_path):
    no_data = run(chain([("Linear", {"out_features": 3})], [4], {}), tmp_path)[-1]
    assert isinstance(no_data, Failed) and "training.data.source" in no_data.message
    bad = run(mlp(optimizer={"lr": -1}), tmp_path)[-1]
    assert isinstance(bad, Failed) and "training.optimizer.lr" in bad.message
    unknown = run(mlp(source="no_such_set"), tmp_path)[-1]
    assert isinstance(unknown, Failed) and "no_such_set" in unknown.message
    metric = run(mlp(early_stopping={"metric": "r2"}), tmp_path)[-1]
    assert isinstance(metric, Failed) and "early_stopping.metric" in metric.message
    device = run(mlp(device="cuda"), tmp_path)[-1]
    import torch

    if not torch.cuda.is_available():
        assert isinstance(device, Failed) and "cuda is not available" in device.message


def test_nan_loss_fails_naming_epoch_step_and_learning_rate(tmp_path):
    events = run(mlp(optimizer={"name": "sgd", "lr": 1e6, "momentum": 0.0}, epochs=3), tmp_path)
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.epoch >= 1 and failed.step >= 1
    assert f"at epoch {failed.epoch}, step {failed.step}" in failed.message
    assert "learning rate (1e+06) is probably too high" in failed.message


def test_a_run_time_error_names_the_node(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "tokens.npz", x=rng.integers(0, 10, (64, 5)), y=rng.integers(0, 2, 64))
    layers = [("Embedding", {"num_embeddings": 3, "embedding_dim": 4}), ("Flatten", {}),
              ("Linear", {"out_features": 2})]
    doc = chain(layers, [5], {"data": {"source": "tokens.npz"}}, dtype="int64")
    failed = run(doc, tmp_path / "runs", base_dir=tmp_path)[-1]
    assert isinstance(failed, Failed) and failed.node_id == "embedding_1"
    assert failed.message.startswith("Embedding 'embedding_1' failed at epoch 1, step 1: index out of range")


def test_an_unexpected_exception_becomes_a_failed_event(tmp_path, monkeypatch):
    from netbuilder.train import recipe

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(recipe, "evaluate", broken)
    events = run(mlp(epochs=2), tmp_path)
    assert isinstance(events[-1], Failed) and "RuntimeError validating epoch 1" in events[-1].message
    assert "disk on fire" in events[-1].message


def test_freezing_a_node_keeps_its_weights(tmp_path):
    doc = mlp(epochs=2, freeze=["linear_1"])
    trainer = Trainer(doc, runs_dir=tmp_path, batch_events_per_s=0)
    events = list(trainer.run())
    assert events[0].trainable_count == 16 * 3 + 3
    model = trainer.session.model
    import torch

    torch.manual_seed(0)  # the seed the run used: the frozen layer still holds its initial weights
    from netbuilder import build_model

    assert torch.equal(model.linear_1.weight, build_model(doc).linear_1.weight)
    bad = run(mlp(freeze=["relu_1"]), tmp_path)[-1]
    assert isinstance(bad, Failed) and "no parameters" in bad.message


def test_a_parameter_node_trains_reports_its_gradient_and_can_be_frozen(tmp_path):
    def with_shift(**training):
        doc = mlp(epochs=1, **training)
        doc.add_node("Parameter", {"shape": [3]}, node_id="shift")
        doc.add_node("Add", node_id="shifted")
        doc.connect(Edge("linear_2", "shifted", 0, 0))
        doc.connect(Edge("shift", "shifted", 0, 1))
        return doc

    trainer = Trainer(with_shift(), runs_dir=tmp_path, batch_events_per_s=0, details=True)
    events = list(trainer.run())
    assert events[0].param_count == 4 * 16 + 16 + 16 * 3 + 3 + 3
    stats = next(e for e in events if isinstance(e, NodeStats)).stats
    assert stats["shift"]["grad_norm"] > 0 and stats["shift"]["mean"] is None  # no module to hook
    assert trainer.session.model.shift.abs().sum() > 0  # trained away from its zeros
    frozen = Trainer(with_shift(freeze=["shift"]), runs_dir=tmp_path / "frozen", batch_events_per_s=0)
    events = list(frozen.run())
    assert events[0].trainable_count == events[0].param_count - 3
    assert frozen.session.model.shift.abs().sum() == 0


def test_early_stopping_ends_the_run(tmp_path):
    doc = mlp(epochs=50, optimizer={"lr": 0.05}, early_stopping={"metric": "accuracy", "patience": 2})
    end = finished(run(doc, tmp_path))
    assert end.stopped_early and len(end.history) < 50
    assert end.best["metric"] == "accuracy" and end.best["value"] == max(r["accuracy"] for r in end.history)


def test_without_a_validation_set_the_training_loss_is_watched(tmp_path):
    end = finished(run(mlp(data={"source": "iris", "val_fraction": 0.0}, epochs=2), tmp_path))
    assert end.best["metric"] == "train_loss" and end.history[0]["val_loss"] is None


def _start(trainer):
    """Run ``trainer`` on a thread; its events arrive in the returned queue."""
    events = queue.Queue()

    def consume():
        for event in trainer.run():
            events.put(event)

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    return thread, events


def _next(events, kind):
    while True:
        event = events.get(timeout=60)
        if isinstance(event, (kind, Failed)):
            assert not isinstance(event, Failed), event.message
            return event


def test_pause_blocks_without_using_the_cpu_and_resume_continues(tmp_path):
    trainer = Trainer(mlp(epochs=2), runs_dir=tmp_path, batch_events_per_s=0)
    trainer.pause()  # honoured after the first batch
    thread, events = _start(trainer)
    assert _next(events, BatchEnd).step == 1
    cpu = time.process_time()
    with pytest.raises(queue.Empty):
        events.get(timeout=0.5)
    assert time.process_time() - cpu < 0.2 and thread.is_alive() and trainer.paused
    trainer.resume()
    thread.join(60)
    rest = list(events.queue)
    assert isinstance(rest[-1], Finished) and not rest[-1].stopped_by_user and len(rest[-1].history) == 2


def test_stop_while_paused_ends_the_run_without_another_batch(tmp_path):
    trainer = Trainer(mlp(epochs=5), runs_dir=tmp_path, batch_events_per_s=0)
    trainer.pause()
    thread, events = _start(trainer)
    _next(events, BatchEnd)
    trainer.stop()
    thread.join(60)
    rest = list(events.queue)
    assert not any(isinstance(e, BatchEnd) for e in rest)
    assert isinstance(rest[-1], Finished) and rest[-1].stopped_by_user and rest[-1].history == []


def test_stop_from_another_thread_returns_within_one_batch(tmp_path):
    trainer = Trainer(mlp(source="moons", inputs=2, outputs=2, epochs=50, batch_size=2), runs_dir=tmp_path,
                      batch_events_per_s=0)
    seen, lock, twenty = [], threading.Lock(), threading.Event()

    def consume():
        for event in trainer.run():
            with lock:
                seen.append(event)
                if sum(isinstance(e, BatchEnd) for e in seen) == 20:
                    twenty.set()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    assert twenty.wait(60)
    with lock:
        trainer.stop()
        before = sum(isinstance(e, BatchEnd) for e in seen)
    thread.join(60)
    assert not thread.is_alive()
    assert sum(isinstance(e, BatchEnd) for e in seen) <= before + 1
    assert isinstance(seen[-1], Finished) and seen[-1].stopped_by_user


def test_the_learning_rate_can_change_during_a_run(tmp_path):
    trainer = Trainer(mlp(epochs=2), runs_dir=tmp_path, batch_events_per_s=0)
    lrs = []
    for event in trainer.run():
        if isinstance(event, EpochEnd):
            lrs.append(event.lr)
            trainer.set_lr(0.0005)
    assert lrs == [0.001, 0.0005]


def test_the_document_is_snapshotted_when_the_trainer_is_made(tmp_path):
    doc = mlp()
    trainer = Trainer(doc, runs_dir=tmp_path, batch_events_per_s=0)
    doc.set_param("linear_2", "out_features", 7)  # the user keeps editing
    assert isinstance(list(trainer.run())[-1], Finished)


def test_divergence_under_a_warm_up_quotes_the_set_rate_and_a_sane_one(tmp_path):
    """One-cycle warms up from a small share of the set rate: the message still
    quotes the rate the user typed, and suggests Adam's usual rate, not 1e5."""
    events = run(mlp(optimizer={"name": "adam", "lr": 1e6}, scheduler={"name": "onecycle"}, epochs=3), tmp_path)
    failed = events[-1]
    assert isinstance(failed, Failed), failed
    assert "The learning rate (1e+06) is probably too high; try 0.001, the usual rate for adam" in failed.message


# -- the losses added for issue 9: each trains on a built-in, its loss falls -------------------------
SOFTPLUS = (("Softplus", {}),)
ADDED_LOSSES = [
    ("iris", 3, {"name": "multi_margin", "margin": 0.5, "margin_p": 2, "class_weights": [1.0, 2.0, 1.0]}, ()),
    ("wine", 3, {"name": "multilabel_margin"}, ()),
    ("iris", 3, {"name": "soft_margin"}, ()),
    ("moons", 1, {"name": "soft_margin"}, ()),
    ("wine", 3, {"name": "multilabel_soft_margin", "class_weights": [1.0, 1.0, 2.0], "label_smoothing": 0.1}, ()),
    ("breast_cancer", 1, {"name": "multilabel_soft_margin"}, ()),
    ("sine", 1, {"name": "huber", "delta": 0.5}, ()),
    ("iris", 3, {"name": "huber"}, ()),
    ("sine", 1, {"name": "smooth_l1", "delta": 0.25}, ()),
    ("counts", 1, {"name": "poisson_nll", "full": True}, SOFTPLUS),
    ("sine", 1, {"name": "gaussian_nll", "variance": 0.5, "full": True}, ()),
]
INPUTS = {"iris": 4, "wine": 13, "moons": 2, "breast_cancer": 30, "sine": 1, "counts": 2}


@pytest.mark.parametrize("source, outputs, loss, extra", ADDED_LOSSES,
                         ids=[f"{loss['name']}-{source}" for source, _, loss, _ in ADDED_LOSSES])
def test_each_added_loss_trains_and_its_loss_falls(tmp_path, source, outputs, loss, extra):
    doc = mlp(source, INPUTS[source], outputs, extra=extra, loss=loss, epochs=4, optimizer={"lr": 0.01})
    history = finished(run(doc, tmp_path)).history
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert history[-1]["val_loss"] < history[0]["val_loss"]
    if "accuracy" in history[-1]:
        assert history[-1]["accuracy"] > 0.6  # the output is read as it is trained: scores, or one logit
    else:
        assert history[-1]["r2"] > 0.1  # the output is the mean or the rate itself, not its logarithm


def test_the_loss_settings_change_the_loss(tmp_path):
    def first_loss(loss, source="sine", extra=()):
        doc = mlp(source, INPUTS[source], 1, extra=extra, loss=loss, optimizer={"lr": 1e-9})
        return finished(run(doc, tmp_path)).history[0]["val_loss"]

    mse = first_loss({"name": "mse"})
    gaussian = mse / (2 * 0.5) + 0.5 * math.log(0.5)
    assert first_loss({"name": "gaussian_nll", "variance": 0.5}) == pytest.approx(gaussian, rel=1e-5)
    assert first_loss({"name": "gaussian_nll", "variance": 0.5, "full": True}) == pytest.approx(
        gaussian + 0.5 * math.log(2 * math.pi), rel=1e-5)
    assert first_loss({"name": "huber", "delta": 100.0}) == pytest.approx(mse / 2, rel=1e-5)  # all errors < δ
    plain = first_loss({"name": "poisson_nll"}, "counts", SOFTPLUS)
    assert first_loss({"name": "poisson_nll", "full": True}, "counts", SOFTPLUS) > plain


@pytest.mark.parametrize("source, outputs, loss, extra, words, node", [
    ("sine", 1, "poisson_nll", SOFTPLUS, "targets down to -", None),
    ("counts", 1, "poisson_nll", (), "Linear 'linear_2' can output any value: end the graph with Softplus",
     "linear_2"),
    ("iris", 3, "poisson_nll", (), "poisson_nll needs target values but iris is a classification", None),
    ("iris", 3, "gaussian_nll", (), "gaussian_nll needs target values", None),
    ("sine", 1, "soft_margin", (), "soft_margin needs class labels but sine is a regression", None),
    ("sine", 1, "multi_margin", (), "multi_margin needs class labels", None),
    ("moons", 1, "multi_margin", (), "outputs (N, 1) but moons has 2 classes", "linear_2"),
    ("iris", 3, "triplet_margin", (), "triplets of samples", None),
    ("digits", 10, "ctc", (), "a score per class at every time step", None),
])
def test_losses_that_do_not_fit_the_data_are_refused_naming_the_setting(tmp_path, source, outputs, loss, extra,
                                                                        words, node):
    inputs = {**INPUTS, "digits": 64}[source]
    failed = run(mlp(source, inputs, outputs, extra=extra, loss={"name": loss}), tmp_path)[-1]
    assert isinstance(failed, Failed) and words in failed.message and failed.node_id == node
    assert "training.loss.name" in failed.message or "classes" in failed.message


def test_freezing_inside_blocks_by_definition_node_and_by_module_path(tmp_path):
    import torch

    from netbuilder import build_model, load_graph
    from netbuilder.core.freeze import freeze_paths

    doc = load_graph(Path(__file__).parents[2] / "examples" / "resnet_digits.json")
    doc.training = {**doc.training, "epochs": 1, "batch_size": 256,
                    "freeze": ["BasicBlock/conv1", "stage2.shortcut", "stem"]}
    trainer = Trainer(doc, runs_dir=tmp_path, batch_events_per_s=0)
    events = list(trainer.run())
    assert isinstance(events[-1], Finished), events[-1]
    model = trainer.session.model
    frozen = {"stage1.conv1", "stage2.conv1", "stage2.shortcut", "stem"}
    assert events[0].trainable_count == sum(p.numel() for name, p in model.named_parameters()
                                            if not any(name.startswith(f + ".") for f in frozen))
    torch.manual_seed(0)  # the seed the run used: frozen layers still hold their initial weights
    initial = build_model(doc).state_dict()
    for key, tensor in model.state_dict().items():
        if key.endswith(".weight") and ".bn" not in key and "_bn" not in key:
            assert torch.equal(tensor.cpu(), initial[key]) == any(key.startswith(f + ".") for f in frozen), key
    assert freeze_paths(doc, ["stage9.conv1", "BasicBlock/relu1"], {})[1] == [
        "there is no node 'stage9.conv1' in the graph (nor a module path such as 'stage1.conv1' inside a block)",
        "BasicBlock/relu1 has no parameters to freeze"]
