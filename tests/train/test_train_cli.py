"""``netbuilder train`` and ``netbuilder data``."""

import os
import signal
from pathlib import Path

import pytest

from netbuilder.cli import main
from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.fileformat import save_graph
from netbuilder.train import cli as train_cli
from netbuilder.train.events import BatchEnd


@pytest.fixture
def graph_file(tmp_path) -> Path:
    doc = GraphDocument("iris cli")
    prev = doc.add_node("Input", {"shape": [4]})
    for layer_type, params in [("Linear", {"out_features": 16}), ("ReLU", {}), ("Linear", {"out_features": 3})]:
        node = doc.add_node(layer_type, params)
        doc.connect(Edge(prev, node))
        prev = node
    doc.training = {"data": {"source": "iris"}, "epochs": 3, "optimizer": {"lr": 0.01}}
    path = tmp_path / "iris.json"
    save_graph(doc, path)
    return path


def test_train_prints_progress_where_it_saved_and_the_final_metrics(graph_file, tmp_path, capsys):
    runs = tmp_path / "runs"
    assert main(["train", str(graph_file), "--epochs", "2", "--runs-dir", str(runs), "--seed", "1"]) == 0
    err = capsys.readouterr().err
    assert "training on iris (120 train / 30 val samples)" in err
    assert "epoch 1/2  train_loss" in err and "epoch 2/2" in err and "accuracy" in err and "ETA" in err
    run_dir = next((runs / "iris_cli").iterdir())
    assert f"saved in {run_dir}" in err and "best epoch" in err
    assert (run_dir / "last.pt").exists() and "\r" not in err  # not a terminal: plain lines


def test_train_resumes_a_run(graph_file, tmp_path, capsys):
    runs = tmp_path / "runs"
    assert main(["train", str(graph_file), "--epochs", "2", "--runs-dir", str(runs)]) == 0
    run_dir = next((runs / "iris_cli").iterdir())
    capsys.readouterr()
    assert main(["train", str(graph_file), "--epochs", "3", "--resume", str(run_dir)]) == 0
    err = capsys.readouterr().err
    assert "resuming after epoch 2" in err and "epoch 3/3" in err and "epoch 1/3" not in err


def test_train_fails_with_the_message_and_exit_code_1(graph_file, tmp_path, capsys):
    assert main(["train", str(graph_file), "--data", "digits", "--runs-dir", str(tmp_path)]) == 1
    assert "error: Input 'input' is (4,) but digits gives (1, 8, 8)" in capsys.readouterr().err
    assert main(["train", str(graph_file), "--epochs", "0"]) == 1
    assert "training.epochs" in capsys.readouterr().err
    assert main(["train", str(tmp_path / "missing.json")]) == 1
    assert "cannot read file" in capsys.readouterr().err


def test_ctrl_c_stops_cleanly_and_keeps_the_last_checkpoint(graph_file, tmp_path, capsys, monkeypatch):
    show = train_cli.Progress.show
    pressed = []

    def press_ctrl_c_in_epoch_2(self, event):
        show(self, event)
        if isinstance(event, BatchEnd) and event.epoch == 2 and not pressed:
            pressed.append(event)
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(train_cli.Progress, "show", press_ctrl_c_in_epoch_2)
    before = signal.getsignal(signal.SIGINT)
    runs = tmp_path / "runs"
    code = main(["train", str(graph_file), "--epochs", "5", "--runs-dir", str(runs)])
    err = capsys.readouterr().err
    assert code == train_cli.INTERRUPTED and "stopping after this batch" in err and "stopped by the user" in err
    assert (next((runs / "iris_cli").iterdir()) / "last.pt").exists() and "epoch 3/5" not in err
    assert signal.getsignal(signal.SIGINT) is before  # the handler is put back


def test_live_progress_redraws_one_line(graph_file, tmp_path):
    import io

    from netbuilder.core.fileformat import load_graph
    from netbuilder.train.engine import Trainer

    stream = io.StringIO()
    progress = train_cli.Progress(stream, live=True)
    for event in Trainer(load_graph(graph_file), runs_dir=tmp_path, batch_events_per_s=0).run():
        progress.show(event)
    text = stream.getvalue()
    assert "\r\033[K" in text and "samples/s" in text and "[####" in text


def test_data_lists_the_builtins_with_shapes(capsys):
    assert main(["data"]) == 0
    out = capsys.readouterr().out
    assert "digits" in out and "(1, 8, 8)" in out and "classification" in out and "regression" in out
    assert "running_sum" in out and "(20, 1)" in out
