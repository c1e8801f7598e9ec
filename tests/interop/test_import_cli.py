"""``netbuilder import`` errors: one clear line on stderr and exit code 1, never a traceback."""

from pathlib import Path

import pytest

from netbuilder.cli import main

MODELS = Path(__file__).parent / "models"


def _import(capsys, tmp_path, source: str, shape: str = "4", *extra: str) -> tuple[int, str]:
    code = main(["import", source, "--input-shape", shape, "-o", str(tmp_path / "g.json"), *extra])
    return code, capsys.readouterr().err


def _write(tmp_path, text: str) -> Path:
    path = tmp_path / "user_model.py"
    path.write_text(text)
    return path


CASES = {
    "no class name": ("{models}/resnet.py", "4", "expected FILE.py:ClassName"),
    "missing file": ("{tmp}/nowhere.py:Net", "4", "no such file"),
    "unknown class": ("{models}/resnet.py:Nope", "4", "no nn.Module class 'Nope' (found: BasicBlock, SmallResNet)"),
    "class needs arguments": ("{models}/resnet.py:BasicBlock", "4", "needs arguments (in_planes, planes)"),
    "bad shape": ("{models}/resnet.py:SmallResNet", "3,x", "--input-shape: expected positive integers"),
    "wrong shape for the model": ("{models}/resnet.py:SmallResNet", "5,16,16", "fails on example input (2, 5, 16, 16)"),
    "unknown dtype": ("{models}/resnet.py:SmallResNet", "3,16,16:float16", "the dtype after ':' must be one of"),
}


@pytest.mark.parametrize("name", CASES)
def test_import_errors_are_one_clear_message(name, tmp_path, capsys):
    source, shape, message = CASES[name]
    code, err = _import(capsys, tmp_path, source.format(models=MODELS, tmp=tmp_path), shape)
    assert code == 1
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "g.json").exists()


def test_a_failing_user_file_names_its_line(tmp_path, capsys):
    path = _write(tmp_path, "import torch\n\nraise RuntimeError('no data here')\n")
    code, err = _import(capsys, tmp_path, f"{path}:Net")
    assert code == 1 and "running the file failed at line 3: RuntimeError: no data here" in err


def test_unsupported_ops_are_listed_with_lines(tmp_path, capsys):
    path = _write(tmp_path, (
        "import torch\nfrom torch import nn\n\n\n"
        "class Net(nn.Module):\n"
        "    def forward(self, x):\n"
        "        y = x.flip(1)\n"
        "        return y.cumsum(1)\n"))
    code, err = _import(capsys, tmp_path, f"{path}:Net")
    assert code == 1
    assert f"{path}:7: y = x.flip(1)" in err and f"{path}:8: return y.cumsum(1)" in err
    assert "2 unsupported operations" in err


def test_keep_unsupported_is_refused_with_the_reason(tmp_path, capsys):
    path = _write(tmp_path, "from torch import nn\n\n\nclass Net(nn.Module):\n    def forward(self, x):\n"
                            "        return x.cumsum(1)\n")
    code, err = _import(capsys, tmp_path, f"{path}:Net", "4", "--keep-unsupported")
    assert code == 1 and "no opaque node type" in err


def test_several_inputs_each_with_its_shape_and_dtype(tmp_path, capsys):
    path = _write(tmp_path, (
        "import torch\nfrom torch import nn\n\n\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.embed = nn.Embedding(10, 4)\n"
        "        self.fc = nn.Linear(4, 4)\n\n"
        "    def forward(self, ids, features):\n"
        "        return self.embed(ids).mean(dim=1) + self.fc(features)\n"))
    code = main(["import", f"{path}:Net", "--input-shape", "7:int64", "--input-shape", "4", "-o",
                 str(tmp_path / "g.json")])
    assert code == 0, capsys.readouterr().err
    from netbuilder import load_graph

    doc = load_graph(tmp_path / "g.json")
    assert [(n.params["shape"], n.params["dtype"]) for n in doc.nodes.values() if n.type == "Input"] == [
        ([7], "int64"), ([4], "float32")]
