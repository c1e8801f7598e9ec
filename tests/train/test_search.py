"""Studies over a graph's search space: Optuna samples, the real engine trains each trial."""

import subprocess
import sys
import threading
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from netbuilder.core.fileformat import document_from_dict, load_graph, save_graph  # noqa: E402
from netbuilder.train import search_cli  # noqa: E402
from netbuilder.train.search import Search, SearchError, SearchOptions, require_optuna, trial_row  # noqa: E402
from netbuilder.train.search_events import (  # noqa: E402
    StudyFailed,
    StudyFinished,
    StudyStarted,
    TrialEnded,
    TrialEpoch,
)

ROOT = Path(__file__).resolve().parents[2]


def tiny(space: dict, study: dict | None = None, epochs: int = 1) -> dict:
    """Digits through one small convolution: a trial trains in about a second."""
    return {
        "format": "netbuilder.graph", "version": 1, "name": "tiny",
        "nodes": [
            {"id": "image", "type": "Input", "params": {"shape": [1, 8, 8]}},
            {"id": "conv", "type": "Conv2d", "params": {"out_channels": 4, "kernel_size": 3}},
            {"id": "flat", "type": "Flatten", "params": {}},
            {"id": "fc", "type": "Linear", "params": {"out_features": 10}},
        ],
        "edges": [{"source": "image", "target": "conv"}, {"source": "conv", "target": "flat"},
                  {"source": "flat", "target": "fc"}],
        "search": {"space": space, "study": study or {"sampler": "random", "pruner": "none", "trials": 3}},
        "training": {"data": {"source": "digits"}, "epochs": epochs, "batch_size": 128},
    }


LR = {"kind": "float", "low": 1e-3, "high": 1e-2, "log": True, "targets": ["training.lr"]}


def run(doc, tmp_path, **options):
    options.setdefault("storage", f"sqlite:///{tmp_path / 'study.db'}")
    runner = Search(doc, SearchOptions(**options), base_dir=tmp_path, runs_dir=tmp_path / "runs")
    return runner, list(runner.run())


def test_a_study_trains_each_trial_with_the_engine_and_reports_the_best(tmp_path):
    doc = document_from_dict(tiny({"lr": LR}))
    runner, events = run(doc, tmp_path, trials=2, seed=1)
    started = events[0]
    assert isinstance(started, StudyStarted) and started.metric == "val_loss" and started.direction == "minimize"
    ended = [e for e in events if isinstance(e, TrialEnded)]
    assert [e.state for e in ended] == ["complete", "complete"]
    assert ended[0].params == {"lr": pytest.approx(1e-3)}  # trial 0 is the graph as drawn (the default lr)
    assert any(isinstance(e, TrialEpoch) and e.value is not None for e in events)
    assert all(Path(e.run_dir, "best.pt").exists() for e in ended)
    finished = events[-1]
    assert isinstance(finished, StudyFinished) and len(finished.trials) == 2
    assert finished.best_value == min(e.value for e in ended)
    assert len(runner.timings) == 2


def test_a_combination_that_breaks_the_graph_fails_with_the_node_and_the_study_goes_on(tmp_path):
    kernel = {"kind": "choice", "choices": [3, 9], "targets": ["conv.kernel_size"]}
    doc = document_from_dict(tiny({"kernel": kernel}, {"sampler": "grid", "pruner": "none", "trials": 5}))
    _, events = run(doc, tmp_path)
    ended = {e.params["kernel"]: e for e in events if isinstance(e, TrialEnded)}
    assert set(ended) == {3, 9}  # the grid holds two points: the budget of 5 stops there
    assert ended[3].state == "complete"
    assert ended[9].state == "failed" and ended[9].node_id == "conv"
    assert "Conv2d 'conv'" in ended[9].reason
    rows = [trial_row(t) for t in optuna.load_study(study_name="tiny", storage=f"sqlite:///{tmp_path / 'study.db'}")
            .get_trials()]
    assert {r["state"] for r in rows} == {"complete", "failed"} and any(r["node_id"] == "conv" for r in rows)


def test_a_stopped_study_continues_where_it_stopped_and_retries_the_unfinished_trial(tmp_path):
    doc = document_from_dict(tiny({"lr": LR}, {"sampler": "random", "pruner": "none", "trials": 3}, epochs=3))
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    runner = Search(doc, SearchOptions(storage=storage, seed=0), base_dir=tmp_path, runs_dir=tmp_path / "runs")
    events = []
    for event in runner.run():
        events.append(event)
        if isinstance(event, TrialEpoch) and event.number == 1 and event.epoch == 1:
            threading.Thread(target=runner.stop).start()
    assert events[-1].stopped
    stopped = [e for e in events if isinstance(e, TrialEnded)][-1]
    assert stopped.number == 1 and stopped.state == "failed" and stopped.reason.startswith("stopped")
    again = Search(doc, SearchOptions(storage=storage, seed=0), base_dir=tmp_path, runs_dir=tmp_path / "runs")
    second = list(again.run())
    assert second[0].done == 2 and second[0].planned == 2  # the stopped trial spends no budget
    retried = [e for e in second if isinstance(e, TrialEnded)]
    assert retried[0].params == stopped.params and retried[0].state == "complete"
    assert len([t for t in second[-1].trials if t["state"] == "complete"]) == 3


def test_a_trial_left_running_by_a_dead_process_is_failed_and_tried_again(tmp_path):
    doc = document_from_dict(tiny({"lr": LR}, {"sampler": "random", "pruner": "none", "trials": 1}))
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    study = optuna.create_study(study_name="tiny", storage=storage)
    ghost = study.ask({"lr": optuna.distributions.FloatDistribution(1e-3, 1e-2, log=True)})
    ghost.set_user_attr("host", __import__("socket").gethostname())
    ghost.set_user_attr("pid", 2**22 + 12345)  # no such process
    _, events = run(doc, tmp_path)
    ended = [e for e in events if isinstance(e, TrialEnded)]
    assert len(ended) == 1 and ended[0].params == ghost.params and ended[0].state == "complete"
    states = {t["number"]: t["state"] for t in events[-1].trials}
    assert states[ghost.number] == "failed"


@pytest.mark.parametrize("storage, words", [
    ("sqlite:////nonexistent-dir/x/study.db", "cannot be opened"),
    ("nosuchdb://host/db", "cannot be opened"),
])
def test_a_database_that_cannot_be_opened_is_named(tmp_path, storage, words):
    doc = document_from_dict(tiny({"lr": LR}))
    _, events = run(doc, tmp_path, storage=storage)
    assert isinstance(events[-1], StudyFailed) and events[-1].field == "storage"
    assert storage in events[-1].message and words in events[-1].message


def test_an_unknown_training_setting_or_a_missing_node_stops_the_study_naming_the_field(tmp_path):
    doc = document_from_dict(tiny({"x": {**LR, "targets": ["training.optimizer.speed"]}}))
    _, events = run(doc, tmp_path, trials=1)
    assert len(events) == 1 and events[0].field == "search.space.x.targets[0]"
    assert "training.optimizer.speed: unknown setting" in events[0].message
    doc = document_from_dict(tiny({"lr": LR}))
    doc.search = {"space": {"w": {"kind": "int", "low": 2, "high": 4, "targets": ["gone.out_channels"]}}}  # in code:
    _, events = run(doc, tmp_path)  # no file could hold it (a load refuses it), but a study still checks
    assert events == [StudyFailed(events[0].message, "search.space.w.targets[0]")]


def test_without_optuna_the_message_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(SearchError, match=r"pip install 'netbuilder\[search\]'"):
        require_optuna()


def test_the_cli_searches_prints_a_table_and_applies_the_best(tmp_path, capsys):
    path = tmp_path / "tiny.json"
    save_graph(document_from_dict(tiny({"lr": LR})), path)
    code = search_cli.search(search_cli_args(path, trials=2, apply=str(tmp_path / "best.json")))
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "trial  state" in out.out and "best: trial" in out.out
    assert (tmp_path / "tiny.study.db").exists()
    best = load_graph(tmp_path / "best.json")
    assert best.training["optimizer"]["lr"] > 0


def test_the_cli_refuses_a_bad_timeout_naming_the_flag(tmp_path, capsys):
    path = tmp_path / "tiny.json"
    save_graph(document_from_dict(tiny({"lr": LR})), path)
    assert search_cli.search(search_cli_args(path, timeout="soon")) == 1
    assert "--timeout" in capsys.readouterr().err


def search_cli_args(path, **overrides):
    from netbuilder.cli import build_parser

    args = build_parser().parse_args(["search", str(path)])
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


def test_two_processes_on_one_sqlite_study_do_every_trial_number_once(tmp_path):
    """The issue's check: the command started twice at once finishes both shares in one study."""
    path = tmp_path / "tiny.json"
    save_graph(document_from_dict(tiny({"lr": LR})), path)
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    command = [sys.executable, "-m", "netbuilder", "search", str(path), "--trials", "2", "--storage", storage,
               "--runs-dir", str(tmp_path / "runs")]
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT)}
    processes = [subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=240) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    trials = optuna.load_study(study_name="tiny", storage=storage).get_trials()
    assert sorted(t.number for t in trials) == [0, 1, 2, 3]
    assert all(t.state.name == "COMPLETE" for t in trials)


def test_workers_flag_runs_processes_on_one_study(tmp_path, capsys):
    path = tmp_path / "tiny.json"
    save_graph(document_from_dict(tiny({"lr": LR})), path)
    code = search_cli.search(search_cli_args(path, trials=3, workers=2, runs_dir=str(tmp_path / "runs")))
    out = capsys.readouterr()
    assert code == 0, out.err
    trials = optuna.load_study(study_name="tiny", storage=f"sqlite:///{tmp_path / 'tiny.study.db'}").get_trials()
    assert sorted(t.number for t in trials) == [0, 1, 2] and all(t.state.name == "COMPLETE" for t in trials)


@pytest.mark.slow
@pytest.mark.timeout(2400)  # about 100 s alone, 220 s with four other test runs on this 2-core machine
def test_a_20_trial_tpe_search_on_the_digits_cnn_is_at_least_as_good_as_the_default(tmp_path):
    """The issue's acceptance: learning rate, width and dropout over the digits CNN, TPE, 20 trials.

    Every trial trains with the graph's seed (the same split, initial weights and batch order), so
    values compare like for like and TPE's sequence is fixed by its seed. Trial 0 is the graph as
    drawn, so the study's best can only tie the default; the claim tested is that TPE's *own*
    proposals find settings at least as good. Measured: the default reaches val_loss 0.147, TPE's
    best proposal 0.109 (trial 13), and two of its first six (random, seeded) proposals already beat 0.147.
    The margin below only absorbs float summation order (torch's thread count follows the load).
    """
    from netbuilder.train.engine import Trainer
    from netbuilder.train.events import Finished

    doc = load_graph(ROOT / "examples" / "digits_search.json")
    default = next(e for e in Trainer(doc, runs_dir=tmp_path / "default").run() if isinstance(e, Finished))
    runner, events = run(doc, tmp_path, trials=20, sampler="tpe", seed=0)
    finished = events[-1]
    assert isinstance(finished, StudyFinished) and len(finished.trials) == 20
    assert all(t["reason"] for t in finished.trials if t["state"] != "complete")  # pruned or failed: says why
    complete = {t["number"]: t["value"] for t in finished.trials if t["state"] == "complete"}
    assert len(complete) >= 5
    float_noise = 1e-4 * default.best["value"]
    assert complete[0] == pytest.approx(default.best["value"], rel=1e-4)  # trial 0 is the default as drawn
    proposed = min(value for number, value in complete.items() if number != 0)
    assert proposed <= default.best["value"] + float_noise
    assert finished.best_value <= default.best["value"] + float_noise


class ScriptedTrainer:
    """A trainer whose validation loss per epoch is set by its learning rate (a hopeless trial's stays high)."""

    def __init__(self, doc, config, runs_dir, base_dir):
        self.lr, self.epochs, self.stopped = config.optimizer.lr, config.epochs, False

    def stop(self):
        self.stopped = True

    def run(self):
        from netbuilder.train.events import EpochEnd, Finished

        history = []
        for epoch in range(1, self.epochs + 1):
            loss = 1.0 / epoch if self.lr < 0.05 else 5.0
            history.append({"epoch": epoch, "val_loss": loss})
            yield EpochEnd(epoch, loss, loss, {}, self.lr, 0.01)
            if self.stopped:
                break
        best = min(history, key=lambda row: row["val_loss"])
        yield Finished({**best, "metric": "val_loss", "value": best["val_loss"]}, "", history,
                       stopped_by_user=self.stopped)


@pytest.mark.parametrize("pruner", ["median", "hyperband"])
def test_the_pruner_ends_hopeless_trials_from_their_epochs(tmp_path, pruner):
    lrs = [0.001, 0.002, 0.003, 0.004, 0.1]
    doc = document_from_dict(tiny({"lr": {"kind": "choice", "choices": lrs, "targets": ["training.lr"]}},
                                  {"sampler": "random", "pruner": pruner, "trials": 5}, epochs=8))
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    study = optuna.create_study(study_name="tiny", storage=storage)
    for lr in lrs:  # the hopeless rate comes last, after four trials the median can judge it by
        study.enqueue_trial({"lr": lr})
    runner = Search(doc, SearchOptions(storage=storage, seed=0), base_dir=tmp_path, runs_dir=tmp_path / "runs",
                    make_trainer=ScriptedTrainer)
    ended = [e for e in runner.run() if isinstance(e, TrialEnded)]
    assert [e.params["lr"] for e in ended] == lrs
    assert {e.state for e in ended} <= {"complete", "pruned"}
    assert all(e.reason.startswith("pruned after epoch") and len(e.curve) < 8 for e in ended if e.state == "pruned")
    if pruner == "median":
        assert [e.state for e in ended] == ["complete"] * 4 + ["pruned"]
        assert len(ended[-1].curve) == 1  # judged at its first epoch, beside the others' first


class DepthTrainer(ScriptedTrainer):
    """Deeper is better: the validation loss is 1 / the encoder's repeat, read from the trial's
    graph after shape inference (so the copies the trial would train are counted)."""

    seen: list = []

    def __init__(self, doc, config, runs_dir=None, base_dir=None, **_):
        from netbuilder.core.shapes import infer_shapes

        super().__init__(doc, config, runs_dir, base_dir)
        copies = len(infer_shapes(doc).nodes["encoder"].block.copies)
        DepthTrainer.seen.append((doc.nodes["encoder"].params["repeat"], copies))
        self.loss = 1.0 / copies

    def run(self):
        from netbuilder.train.events import EpochEnd, Finished

        yield EpochEnd(1, self.loss, self.loss, {}, self.lr, 0.01)
        row = {"epoch": 1, "val_loss": self.loss}
        yield Finished({**row, "metric": "val_loss", "value": self.loss}, "", [row])


def test_a_block_repeat_count_is_searched_and_the_cli_applies_the_best(tmp_path, capsys, monkeypatch):
    """Structure search end to end on the transformer example: ``encoder``'s × N varies."""
    from netbuilder.train import engine

    doc = load_graph(ROOT / "examples" / "transformer_sequence.json")
    doc.set_search({"space": {"depth": {"kind": "int", "low": 1, "high": 3, "targets": ["encoder.repeat"]}},
                    "study": {"sampler": "grid", "pruner": "none", "trials": 10}})
    path = tmp_path / "transformer_sequence.json"
    save_graph(doc, path)
    monkeypatch.setattr(engine, "Trainer", DepthTrainer)  # the CLI's trials, without the minutes of training
    DepthTrainer.seen = []
    code = search_cli.search(search_cli_args(path, apply=str(tmp_path / "best.json"), runs_dir=str(tmp_path)))
    out = capsys.readouterr()
    assert code == 0, out.err
    assert sorted(DepthTrainer.seen) == [(1, 1), (2, 2), (3, 3)]  # the grid's three depths, each built as drawn
    assert "best: trial" in out.out and "depth=3" in out.out
    assert load_graph(tmp_path / "best.json").nodes["encoder"].params["repeat"] == 3


def test_a_bypassed_node_is_left_out_of_its_trials_and_the_cli_writes_the_graph_without_it(tmp_path, capsys):
    data = tiny({"skip": {"kind": "choice", "choices": [False, True], "targets": ["act.bypass"]}},
                {"sampler": "grid", "pruner": "none", "trials": 5})
    data["nodes"].insert(2, {"id": "act", "type": "ReLU", "params": {}})
    data["edges"][1:2] = [{"source": "conv", "target": "act"}, {"source": "act", "target": "flat"}]
    path = tmp_path / "tiny.json"
    save_graph(document_from_dict(data), path)
    code = search_cli.search(search_cli_args(path, apply=str(tmp_path / "best.json"), runs_dir=str(tmp_path)))
    out = capsys.readouterr()
    assert code == 0, out.err
    trials = optuna.load_study(study_name="tiny", storage=f"sqlite:///{tmp_path / 'tiny.study.db'}").get_trials()
    assert sorted(t.params["skip"] for t in trials) == [False, True] and all(t.state.name == "COMPLETE" for t in trials)
    for trial in trials:  # each trial trained the graph it sampled: the ReLU there or not
        trained = load_graph(Path(trial.user_attrs["run_dir"]) / "graph.json")
        assert ("act" in trained.nodes) is not trial.params["skip"]
    best = load_graph(tmp_path / "best.json")
    skipped = min(trials, key=lambda t: t.value).params["skip"]
    assert ("act" in best.nodes) is not skipped
    assert ("skip" in best.search.get("space", {})) is not skipped  # a saved copy names no node it lacks


def test_a_bypass_of_a_node_that_changes_the_shape_stops_the_study_naming_the_node(tmp_path):
    doc = document_from_dict(tiny({"skip": {"kind": "choice", "choices": [False, True], "targets": ["conv.bypass"]}}))
    _, events = run(doc, tmp_path, trials=1)
    assert len(events) == 1 and isinstance(events[0], StudyFailed)
    assert events[0].field == "search.space.skip.targets[0]" and "Conv2d 'conv' cannot be bypassed" in events[0].message
