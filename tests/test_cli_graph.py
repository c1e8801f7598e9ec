"""``netbuilder check | summary | export``: plain text, exit codes, never a traceback."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from netbuilder.cli import main

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ROOT / "examples" / "digits_cnn.json"


def write_graph(tmp_path, nodes, edges, name="g.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps({"format": "netbuilder.graph", "version": 1, "name": "g", "nodes": nodes,
                                "edges": edges}), encoding="utf-8")
    return str(path)


def broken_graph(tmp_path) -> str:
    nodes = [{"id": "x", "type": "Input", "params": {"shape": [64]}},
             {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3}},
             {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
             {"id": "stray", "type": "ReLU", "params": {}}]
    return write_graph(tmp_path, nodes, [{"source": "x", "target": "conv1"}, {"source": "conv1", "target": "fc"}])


def warned_graph(tmp_path) -> str:
    nodes = [{"id": "x", "type": "Input", "params": {"shape": [3, 8, 8]}},
             {"id": "fc", "type": "Linear", "params": {"out_features": 2}}]
    return write_graph(tmp_path, nodes, [{"source": "x", "target": "fc"}], "warned.json")


def test_check_clean_graph(capsys):
    assert main(["check", str(DIGITS)]) == 0
    assert capsys.readouterr().out == f"{DIGITS}: ok (12 nodes, 151,306 parameters)\n"


def test_check_prints_every_problem_and_fails_on_errors(tmp_path, capsys):
    path = broken_graph(tmp_path)
    assert main(["check", path]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "error: Conv2d 'conv1': expects (N, C, H, W), got (N, 64) — did you mean Linear?",
        "warning: ReLU 'stray': is not connected to anything, so the model leaves it out",
        f"{path}: 1 error, 1 warning",
    ]


def test_warnings_fail_only_with_strict(tmp_path, capsys):
    path = warned_graph(tmp_path)
    assert main(["check", path]) == 0
    assert "Flatten" in capsys.readouterr().out
    assert main(["check", "--strict", path]) == 1


@pytest.mark.parametrize("content, expected", [
    (None, "cannot read file"),
    ("{ not json", "line 1, column 3: invalid JSON"),
    (json.dumps({"format": "netbuilder.graph", "version": 1,
                 "nodes": [{"id": "c", "type": "Conv2d", "params": {"out_channels": 2, "kernel_size": "x"}},
                           {"id": "d", "type": "Dense"}]}),
     '2 problems:\n  - nodes[0].params.kernel_size: expected a positive int or pair, got "x"\n'
     "  - nodes[1].type: unknown layer type 'Dense'"),
])
@pytest.mark.parametrize("command", ["check", "summary", "export"])
def test_unusable_files_exit_2_with_a_message(tmp_path, capsys, command, content, expected):
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main([command, str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"netbuilder: {path}: ") and expected in captured.err
    assert "Traceback" not in captured.err


def test_summary_table(capsys):
    assert main(["summary", str(DIGITS)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"digits_cnn ({DIGITS})"
    assert lines[1].split() == ["node", "type", "output", "shape", "params", "MACs"]
    assert lines[3].split() == ["image", "Input", "(N,", "1,", "8,", "8)", "0", "0"]
    assert lines[4].split() == ["conv1", "Conv2d", "(N,", "32,", "8,", "8)", "320", "18,432"]
    assert lines[-3].split() == ["total", "151,306", "1,330,432"]
    assert lines[-2:] == ["inputs:  image (N, 1, 8, 8)", "outputs: fc2 (N, 10)"]
    assert len({len(line) for line in lines[1:-3] if not line.startswith("-")}) <= 2  # aligned columns


def test_summary_names_ports_of_multi_output_layers(capsys):
    assert main(["summary", str(ROOT / "examples" / "sequence_lstm.json")]) == 0
    assert "output (N, 64), h_n (N, 64)" in capsys.readouterr().out


def test_summary_of_a_broken_graph_shows_what_is_known(tmp_path, capsys):
    assert main(["summary", broken_graph(tmp_path)]) == 1
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[2] for line in out.splitlines()[3:7]}
    assert rows == {"x": "(N,", "conv1": "error", "fc": "?", "stray": "(left"}
    assert out.endswith("error: Conv2d 'conv1': expects (N, C, H, W), got (N, 64) — did you mean Linear?\n"
                        "warning: ReLU 'stray': is not connected to anything, so the model leaves it out\n")


def test_export_to_stdout_and_to_a_file(tmp_path, capsys):
    assert main(["export", str(DIGITS), "--class-name", "Net"]) == 0
    printed = capsys.readouterr().out
    assert "class Net(nn.Module):" in printed
    target = tmp_path / "model.py"
    assert main(["export", str(DIGITS), "--class-name", "Net", "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == printed
    assert capsys.readouterr().out == ""


def test_export_refuses_broken_graphs_and_bad_class_names(tmp_path, capsys):
    target = tmp_path / "model.py"
    assert main(["export", broken_graph(tmp_path), "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert "error: Conv2d 'conv1': expects (N, C, H, W)" in err and not target.exists()
    assert main(["export", str(DIGITS), "--class-name", "import os"]) == 2
    assert "class_name" in capsys.readouterr().err
    assert main(["export", str(DIGITS), "-o", str(tmp_path / "missing" / "model.py")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_export_train_uses_the_training_script_writer(tmp_path, capsys, monkeypatch):
    calls = []
    fake = type(sys)("netbuilder.train.script")
    fake.export_training_script = lambda doc, base_dir: calls.append((doc.name, base_dir)) or "# training\n"
    monkeypatch.setitem(sys.modules, "netbuilder.train.script", fake)
    assert main(["export", str(DIGITS), "--train"]) == 0
    assert capsys.readouterr().out == "# training\n"
    assert calls == [("digits_cnn", DIGITS.parent)]


def test_export_train_without_training_support_says_so(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "netbuilder.train.script", None)  # makes the import fail
    assert main(["export", str(DIGITS), "--train"]) == 2
    assert "cannot export a training script" in capsys.readouterr().err


def test_python_dash_m_netbuilder_check_in_a_subprocess():
    result = subprocess.run([sys.executable, "-m", "netbuilder", "check", str(DIGITS)], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("ok (12 nodes, 151,306 parameters)\n")


def test_export_train_takes_the_training_flags_and_writes_them_into_the_script(tmp_path, capsys):
    script = tmp_path / "train.py"
    example = Path(__file__).resolve().parents[1] / "examples" / "iris_mlp.json"
    assert main(["export", str(example), "--train", "-o", str(script), "--epochs", "7", "--lr", "0.05",
                 "--batch-size", "16", "--seed", "3"]) == 0
    text = script.read_text()
    assert '"epochs": 7' in text and '"lr": 0.05' in text and '"batch_size": 16' in text and '"seed": 3' in text
    assert main(["export", str(example), "--epochs", "7"]) == 2
    assert "--epochs only go with --train" in capsys.readouterr().err
    assert main(["export", str(example), "--train", "--lr", "-1"]) == 2
    assert "lr" in capsys.readouterr().err
