"""The example graphs users open first: valid, clean, and exportable to code that runs."""

import subprocess
import sys
from pathlib import Path

import pytest

from netbuilder.cli import main
from netbuilder.core.fileformat import load_graph
from netbuilder.core.shapes import infer_shapes

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
REQUIRED = {"digits_cnn", "iris_mlp", "sequence_lstm", "residual_cnn", "two_input_concat"}


def types_in_order(name: str) -> list[str]:
    doc = load_graph(ROOT / "examples" / f"{name}.json")
    return [doc.nodes[n].type for n in infer_shapes(doc).order]


def test_the_promised_examples_exist():
    assert REQUIRED <= {p.stem for p in EXAMPLES}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_is_clean_named_and_laid_out(path):
    doc = load_graph(path)
    report = infer_shapes(doc)
    assert report.problems == []
    assert doc.name == path.stem
    positions = [node.pos for node in doc.nodes.values()]
    assert len(set(positions)) == len(positions)
    for edge in doc.edges:  # left to right, long chains wrapped into lower bands like text
        (x0, y0), (x1, y1) = doc.nodes[edge.source].pos, doc.nodes[edge.target].pos
        assert x1 > x0 or y1 > y0


def test_examples_have_the_documented_architectures():
    assert types_in_order("digits_cnn") == ["Input", "Conv2d", "ReLU", "Conv2d", "ReLU", "MaxPool2d", "Dropout",
                                            "Flatten", "Linear", "ReLU", "Dropout", "Linear"]
    assert types_in_order("iris_mlp") == ["Input", "Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert types_in_order("sequence_lstm") == ["Input", "LSTM", "Linear"]
    assert "Add" in types_in_order("residual_cnn")
    assert types_in_order("two_input_concat").count("Input") == 2 and "Concat" in types_in_order("two_input_concat")
    outputs = {name: [t.text() for t in infer_shapes(load_graph(ROOT / "examples" / f"{name}.json")).output_types()]
               for name in REQUIRED}
    assert outputs == {"digits_cnn": ["(N, 10)"], "iris_mlp": ["(N, 3)"], "sequence_lstm": ["(N, 4)"],
                       "residual_cnn": ["(N, 10)"], "two_input_concat": ["(N, 2)"]}
    lstm = load_graph(ROOT / "examples" / "sequence_lstm.json").nodes["lstm"]
    assert lstm.params["output"] == "last" and lstm.params["hidden_size"] == 64


def test_cli_checks_summarises_and_exports_every_example_and_the_code_runs(tmp_path, capsys):
    scripts = []
    for path in EXAMPLES:
        assert main(["check", "--strict", str(path)]) == 0
        assert main(["summary", str(path)]) == 0
        script = tmp_path / f"{path.stem}.py"
        assert main(["export", str(path), "-o", str(script)]) == 0
        scripts.append(script)
    capsys.readouterr()
    runner = "import runpy, sys\nfor path in sys.argv[1:]:\n    runpy.run_path(path, run_name='__main__')\n"
    result = subprocess.run([sys.executable, "-I", "-c", runner, *map(str, scripts)], capture_output=True,
                            text=True, cwd=tmp_path, timeout=180)
    assert result.returncode == 0, result.stderr
    expected = [str((2, *t.shape)) for path in EXAMPLES for t in infer_shapes(load_graph(path)).output_types()]
    assert result.stdout.splitlines() == expected
