"""Every way a run ends keeps its finished epochs on disk and says truthfully what was saved."""

import functools
import os
import signal

import pytest
import torch
from test_train_cli import graph_file  # noqa: F401  (the fixture)

from netbuilder.cli import main
from netbuilder.train import cli as train_cli
from netbuilder.train.events import BatchEnd, EpochEnd


def _signal_at(monkeypatch, signals: list[tuple[int, int]]):
    """Send each ``(signal, epoch)`` once, from the first batch of that epoch that is not its last
    (in a row). Every batch is reported, so a slow machine cannot coalesce epoch 1 into its last batch."""
    show, pending = train_cli.Progress.show, list(signals)

    def show_and_signal(self, event):
        show(self, event)
        while (isinstance(event, BatchEnd) and event.step < event.steps and pending
               and event.epoch >= pending[0][1]):
            os.kill(os.getpid(), pending.pop(0)[0])

    monkeypatch.setattr(train_cli.Progress, "show", show_and_signal)
    monkeypatch.setattr(train_cli, "make_trainer", functools.partial(train_cli.make_trainer, batch_events_per_s=0))


def _run(graph_file, tmp_path, capsys):  # noqa: F811
    runs = tmp_path / "runs"
    code = main(["train", str(graph_file), "--epochs", "6", "--batch-size", "8", "--runs-dir", str(runs)])
    run_dir = next((runs / "iris_cli").iterdir())
    last = run_dir / "last.pt"
    epoch = torch.load(last, weights_only=False)["epoch"] if last.exists() else 0
    return code, capsys.readouterr().err, epoch


@pytest.mark.parametrize("signals", [[(signal.SIGINT, 3), (signal.SIGINT, 3)], [(signal.SIGTERM, 3)]],
                         ids=["ctrl-c-twice", "sigterm"])
def test_an_abort_keeps_every_finished_epoch(graph_file, tmp_path, capsys, monkeypatch, signals):  # noqa: F811
    _signal_at(monkeypatch, signals)
    code, err, epoch = _run(graph_file, tmp_path, capsys)
    assert code == train_cli.INTERRUPTED and "aborted; the run is saved" in err and "Traceback" not in err
    assert epoch == 2  # epochs 1 and 2 finished before the abort in epoch 3
    assert "last.pt holds epoch 2" in err


def test_one_ctrl_c_before_the_first_epoch_ends_does_not_claim_a_save(graph_file, tmp_path, capsys,  # noqa: F811
                                                                       monkeypatch):
    _signal_at(monkeypatch, [(signal.SIGINT, 1)])
    code, err, epoch = _run(graph_file, tmp_path, capsys)
    assert code == train_cli.INTERRUPTED and epoch == 0
    assert "no epoch finished, so no checkpoint was saved" in err and "the run is saved" not in err


def test_a_keyboard_interrupt_inside_training_still_saves(graph_file, tmp_path):  # noqa: F811
    from netbuilder.core.fileformat import load_graph
    from netbuilder.train.engine import Trainer

    doc = load_graph(graph_file)
    trainer = Trainer(doc, {**doc.training, "epochs": 5}, runs_dir=tmp_path / "runs", save_every_s=3600)
    events = trainer.run()
    with pytest.raises(KeyboardInterrupt):
        for event in events:
            if isinstance(event, EpochEnd) and event.epoch == 3:
                events.throw(KeyboardInterrupt)
    run_dir = next((tmp_path / "runs" / "iris_cli").iterdir())
    assert torch.load(run_dir / "last.pt", weights_only=False)["epoch"] >= 2


def test_an_abort_while_an_epoch_end_is_shown_keeps_that_epoch(graph_file, tmp_path):  # noqa: F811
    from netbuilder.core.fileformat import load_graph
    from netbuilder.train.engine import Trainer

    doc = load_graph(graph_file)
    trainer = Trainer(doc, {**doc.training, "epochs": 5}, runs_dir=tmp_path / "runs", save_every_s=3600)
    events = trainer.run()
    for event in events:
        if isinstance(event, EpochEnd) and event.epoch == 2:
            events.close()  # the GUI closing, or the CLI's second Ctrl+C while it draws the line
    run_dir = next((tmp_path / "runs" / "iris_cli").iterdir())
    assert torch.load(run_dir / "last.pt", weights_only=False)["epoch"] == 2


def test_a_failure_keeps_the_finished_epochs(graph_file, tmp_path):  # noqa: F811
    from netbuilder.core.fileformat import load_graph
    from netbuilder.train.engine import Trainer
    from netbuilder.train.events import Failed

    doc = load_graph(graph_file)
    trainer = Trainer(doc, {**doc.training, "epochs": 5}, runs_dir=tmp_path / "runs", save_every_s=3600)
    events = trainer.run()
    for event in events:
        if isinstance(event, EpochEnd) and event.epoch == 2:
            rest = [events.throw(RuntimeError("disk on fire")), *events]
            break
    assert isinstance(rest[-1], Failed) and "disk on fire" in rest[-1].message
    run_dir = next((tmp_path / "runs" / "iris_cli").iterdir())
    assert torch.load(run_dir / "last.pt", weights_only=False)["epoch"] == 2


def _cli_run(graph_file, tmp_path, signals: list[int]):  # noqa: F811
    """``netbuilder train`` in a subprocess, sent ``signals`` once epoch 2 has ended."""
    import subprocess
    import sys

    runs = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "netbuilder", "train", str(graph_file), "--epochs", "100000",
                             "--batch-size", "8", "--runs-dir", str(runs)], stderr=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if line.startswith("epoch 2/"):
            for signum in signals:
                proc.send_signal(signum)
                if signum == signal.SIGINT and len(signals) > 1:
                    lines.append(proc.stderr.readline())  # the handler's note: the first press was taken
            break
    lines += proc.stderr.readlines()
    code = proc.wait(timeout=60)
    last = next((runs / "iris_cli").iterdir()) / "last.pt"
    return code, "".join(lines), torch.load(last, weights_only=False)["epoch"]


@pytest.mark.parametrize("signals", [[signal.SIGINT], [signal.SIGINT, signal.SIGINT], [signal.SIGTERM]],
                         ids=["ctrl-c", "ctrl-c-twice", "sigterm"])
def test_cli_signals_keep_the_finished_epochs(graph_file, tmp_path, signals):  # noqa: F811
    code, err, epoch = _cli_run(graph_file, tmp_path, signals)
    assert code == train_cli.INTERRUPTED and "Traceback" not in err and epoch >= 2
    assert "the run is saved in" in err


def test_a_run_still_improving_at_its_last_epoch_says_more_epochs_would_help(graph_file, tmp_path, capsys):  # noqa: F811
    from netbuilder.core.fileformat import load_graph
    from netbuilder.train.engine import Trainer
    from netbuilder.train.events import Finished

    doc = load_graph(graph_file)
    short = [e for e in Trainer(doc, {**doc.training, "epochs": 2, "optimizer": {"lr": 1e-3}},
                                runs_dir=tmp_path / "a").run() if isinstance(e, Finished)][0]
    assert short.best["epoch"] == 2 and short.still_improving
    assert main(["train", str(graph_file), "--epochs", "2", "--lr", "0.001", "--runs-dir", str(tmp_path / "b")]) == 0
    assert Finished.ADVICE in capsys.readouterr().err
    early = [e for e in Trainer(doc, {**doc.training, "epochs": 60, "optimizer": {"lr": 0.5},
                                      "early_stopping": {"patience": 2}},
                                runs_dir=tmp_path / "c").run() if isinstance(e, Finished)][0]
    assert early.stopped_early and not early.still_improving
