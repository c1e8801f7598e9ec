"""``netbuilder export -o model.py --weights RUN``: the module and the run's trained weights beside
it; ``python model.py`` loads them and computes what the trained model computes."""

import subprocess
import sys

import torch
from test_train_cli import graph_file  # noqa: F401  (the fixture)

from netbuilder.cli import main
from netbuilder.core.compiler import build_model
from netbuilder.core.fileformat import load_graph
from netbuilder.train.checkpoints import load_checkpoint


def trained_run(graph_file, tmp_path, capsys):  # noqa: F811
    runs = tmp_path / "runs"
    assert main(["train", str(graph_file), "--epochs", "2", "--runs-dir", str(runs)]) == 0
    capsys.readouterr()
    return next((runs / "iris_cli").iterdir())


def test_export_with_the_weights_of_a_run_runs_with_them(graph_file, tmp_path, capsys):  # noqa: F811
    run = trained_run(graph_file, tmp_path, capsys)
    module = tmp_path / "out" / "iris.py"
    module.parent.mkdir()
    assert main(["export", str(graph_file), "-o", str(module), "--weights", str(run)]) == 0
    assert "wrote" in capsys.readouterr().err and module.with_suffix(".pt").is_file()
    state = torch.load(module.with_suffix(".pt"), weights_only=True)
    best = load_checkpoint(run / "best.pt")["model"]
    assert state.keys() == best.keys() and all(torch.equal(state[k], best[k]) for k in state)
    done = subprocess.run([sys.executable, str(module)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "loaded the trained weights in iris.pt" in done.stdout and "(2, 3)" in done.stdout

    namespace: dict = {"__name__": "exported"}
    exec(compile(module.read_text(), str(module), "exec"), namespace)
    [cls] = [v for v in namespace.values() if isinstance(v, type) and issubclass(v, torch.nn.Module)]
    exported = cls()
    exported.load_state_dict(state)
    reference = build_model(load_graph(graph_file))
    reference.load_state_dict(best)
    x = torch.randn(5, 4)
    assert torch.equal(exported.eval()(x), reference.eval()(x))


def test_a_module_without_weights_beside_it_runs_untrained(graph_file, tmp_path, capsys):  # noqa: F811
    module = tmp_path / "plain.py"
    assert main(["export", str(graph_file), "-o", str(module)]) == 0
    done = subprocess.run([sys.executable, str(module)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0 and "loaded" not in done.stdout and "(2, 3)" in done.stdout


def test_weights_that_do_not_fit_are_refused_and_nothing_is_written(graph_file, tmp_path, capsys):  # noqa: F811
    run = trained_run(graph_file, tmp_path, capsys)
    doc = load_graph(graph_file)
    doc.nodes["linear_1"].params["out_features"] = 8
    other = tmp_path / "other.json"
    from netbuilder.core.fileformat import save_graph

    save_graph(doc, other)
    module = tmp_path / "other.py"
    assert main(["export", str(other), "-o", str(module), "--weights", str(run)]) == 2
    err = capsys.readouterr().err
    assert "do not fit" in err and not module.exists() and not module.with_suffix(".pt").exists()


def test_weights_need_a_module_path_and_a_real_run(graph_file, tmp_path, capsys):  # noqa: F811
    assert main(["export", str(graph_file), "--weights", str(tmp_path)]) == 2
    assert "needs -o MODEL.py" in capsys.readouterr().err
    assert main(["export", str(graph_file), "-o", str(tmp_path / "m.py"), "--weights", str(tmp_path / "nope")]) == 2
    assert "no such run folder or checkpoint" in capsys.readouterr().err
