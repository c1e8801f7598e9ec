"""A GAN's exports: one module with both classes, and a standalone GAN training script
that reproduces the engine, runs under torchrun with DDP on both networks and saves a PNG."""

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from netbuilder.core.export import export_python
from netbuilder.core.fileformat import load_graph
from netbuilder.train.events import EpochEnd
from netbuilder.train.gan import make_trainer
from netbuilder.train.gan_script import export_script as export_training_script
from netbuilder.train.prepare import TrainingError

GAN = Path(__file__).resolve().parents[2] / "examples" / "gan_digits.json"
BIN = Path(sys.executable).parent
WITHOUT_NETBUILDER = ("import runpy, sys; sys.modules['netbuilder'] = None; sys.argv = sys.argv[1:]; "
                      "runpy.run_path(sys.argv[0], run_name='__main__')")


def test_export_python_writes_both_classes_that_load_a_checkpoint(tmp_path):
    doc = load_graph(GAN)
    text = export_python(doc)
    assert "class Generator(nn.Module)" in text and "class Discriminator(nn.Module)" in text
    run = list(make_trainer(doc, {**doc.training, "epochs": 1}, runs_dir=tmp_path, save_every_s=0).run())[-1]
    state = torch.load(Path(run.run_dir) / "last.pt", weights_only=True)
    module = tmp_path / "gan.py"
    module.write_text(text)
    torch.save({"generator": state["generator"], "discriminator": state["discriminator"]}, tmp_path / "gan.pt")
    done = subprocess.run([sys.executable, "-c", WITHOUT_NETBUILDER, str(module)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["(2, 64)", "(2, 1)"]


def test_gan_script_is_standalone_and_lint_clean(tmp_path):
    text = export_training_script(load_graph(GAN))
    tree = ast.parse(text)
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "netbuilder" not in imported
    assert imported <= {"argparse", "json", "os", "random", "struct", "zlib", "pathlib", "numpy", "torch", "sklearn"}
    assert "main(CONFIG, Generator, Discriminator, load_data)" in text
    if not (BIN / "ruff").exists():
        pytest.skip("ruff is not installed")
    path = tmp_path / "train.py"
    path.write_text(text)
    lint = subprocess.run([str(BIN / "ruff"), "check", "--isolated", "--select", "E,F,W,I", "--line-length", "120",
                           str(path)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout


def test_gan_script_refuses_what_the_engine_refuses():
    doc = load_graph(GAN)
    doc.set_training({**doc.training, "gan": {"latent_size": 8}})
    with pytest.raises(TrainingError, match="latent_size is 8"):
        export_training_script(doc)


def run_script(tmp_path, *args, launcher=(sys.executable, "-c", WITHOUT_NETBUILDER)):
    script = tmp_path / "train.py"
    script.write_text(export_training_script(load_graph(GAN)))
    env = {**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())}
    done = subprocess.run([*launcher, str(script), "--out", str(tmp_path / "out"), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-3000:]
    return done, json.loads((tmp_path / "out" / "history.json").read_text())


def test_gan_script_reproduces_the_engine_and_saves_a_sample_grid(tmp_path):
    doc = load_graph(GAN)
    events = list(make_trainer(doc, {**doc.training, "epochs": 2}, runs_dir=tmp_path / "runs").run())
    engine = [e.metrics for e in events if isinstance(e, EpochEnd)]
    done, history = run_script(tmp_path, "--epochs", "2")
    for ours, theirs in zip(engine, history, strict=True):
        for key in ("d_loss", "g_loss", "d_real", "d_fake"):
            assert theirs[key] == pytest.approx(ours[key], rel=1e-4), key
    assert (tmp_path / "out" / "samples.png").read_bytes()[:4] == b"\x89PNG"
    state = torch.load(tmp_path / "out" / "last.pt", weights_only=True)
    assert {"generator", "discriminator", "g_optimizer", "d_optimizer"} <= set(state)
    assert "epoch 2/2  d_loss" in done.stdout


def test_gan_script_runs_on_two_processes_under_torchrun(tmp_path):
    torchrun = shutil.which("torchrun") or (BIN / "torchrun" if (BIN / "torchrun").exists() else None)
    if torchrun is None:
        pytest.skip("torchrun is not installed: the distributed run cannot be tested")
    wrapper = tmp_path / "without_netbuilder.py"
    wrapper.write_text(WITHOUT_NETBUILDER.replace("; ", "\n") + "\n")
    launcher = (str(torchrun), "--standalone", "--nproc_per_node", "2", str(wrapper))
    done, history = run_script(tmp_path, "--epochs", "1", "--device", "cpu", launcher=launcher)
    assert done.stdout.count("epoch 1/1") == 1  # only rank 0 reports
    assert len(history) == 1 and 0 < history[0]["d_fake"] < 1
    state = torch.load(tmp_path / "out" / "last.pt", weights_only=True)
    assert not any(key.startswith("module.") for key in state["generator"])


def test_a_gan_run_exports_both_networks_with_their_weights(tmp_path):
    from netbuilder.train.export import export_trained, fit_weights, model_state, usage_text

    doc = load_graph(GAN)
    run = list(make_trainer(doc, {**doc.training, "epochs": 1}, runs_dir=tmp_path, save_every_s=0).run())[-1]
    state = model_state(Path(run.run_dir) / "last.pt")
    assert set(fit_weights(doc, state)) == {"generator", "discriminator"}
    written, problem = export_trained(doc, state, tmp_path / "out")
    assert problem is None and [p.name for p in written] == ["gan_digits.py", "gan_digits.pt", "train.py"]
    assert "from gan_digits import Generator, Discriminator" in usage_text(doc)
    done = subprocess.run([sys.executable, "-c", WITHOUT_NETBUILDER, str(tmp_path / "out" / "gan_digits.py")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["(2, 64)", "(2, 1)"]
