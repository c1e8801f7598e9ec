"""The exported training script: its data code matches netbuilder's, it is clean and
standalone, it reproduces the engine's losses, and it runs under torchrun."""

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from netbuilder.core.document import Edge, GraphDocument
from netbuilder.train import script_data
from netbuilder.train.datasets import builtin_names, load_builtin
from netbuilder.train.engine import Trainer
from netbuilder.train.events import Finished
from netbuilder.train.prepare import TrainingError
from netbuilder.train.script import export_training_script
from netbuilder.train.split import split, standardise
from netbuilder.train.userdata import load_csv, load_image_folder, load_npz

BIN = Path(sys.executable).parent
# Runs a script with netbuilder made unimportable, proving the script does not need it.
WITHOUT_NETBUILDER = ("import runpy, sys; sys.modules['netbuilder'] = None; sys.argv = sys.argv[1:]; "
                      "runpy.run_path(sys.argv[0], run_name='__main__')")


def chain(layers, shape, training, name="exported net"):
    doc = GraphDocument(name)
    prev = doc.add_node("Input", {"shape": shape})
    for layer_type, params in layers:
        node = doc.add_node(layer_type, params)
        doc.connect(Edge(prev, node))
        prev = node
    doc.training = training
    return doc


def same_arrays(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


# -- the data code copied into scripts ---------------------------------------------------------
@pytest.mark.parametrize("name", [n for n in builtin_names() if n != "pos_tags"])  # its script: test_tagging.py
def test_script_builtins_match_netbuilders(name):
    ds = load_builtin(name, seed=3)
    x, y = getattr(script_data, name)(3)
    same_arrays(x, ds.x)
    same_arrays(y, ds.y)


@pytest.mark.parametrize("stratify", [True, False])
def test_script_split_and_standardise_match_netbuilders(stratify):
    ds = load_builtin("wine")
    train, val = split(ds, 0.3, seed=5, stratify=stratify)
    train_index, val_index = script_data.split_indices(ds.y, 0.3, 5, stratify)
    same_arrays(ds.x[train_index], train.x)
    same_arrays(ds.x[val_index], val.x)
    scaled_train, scaled_val, _ = standardise(train, val)
    x_train, x_val = script_data.standardise(ds.x[train_index], ds.x[val_index], "tabular")
    same_arrays(x_train, scaled_train.x)
    same_arrays(x_val, scaled_val.x)
    image = load_builtin("digits")
    assert script_data.standardise(image.x, image.x, "image")[0] is image.x


@pytest.mark.parametrize("text, options", [
    ("a,b,label\n1,2,cat\n3,4.5,dog\n\n5,6,cat\n", {}),
    ("a;label;b\n1;2;3\n4;10;6\n7;2;9\n", {"target": "label", "features": ["b", "a"]}),
    ("x,y\n1,0.5\n2,1.5\n3,2.25\n", {"task": "regression"}),
    ("x\ty\n1\t1.0\n2\t3.0\n", {"target": 1, "delimiter": "\t"}),
    ("a,b,label\n1,2,cat\n3,oops,dog\n5,6\n7,,cat\n8,9,\n5,6,dog\n", {"skip_bad_rows": True}),
])
def test_script_csv_reader_matches_load_csv(tmp_path, text, options):
    path = tmp_path / "data.csv"
    path.write_text(text)
    ds = load_csv(path, **options)
    classes = ds.class_names if ds.task == "classification" else None
    x, y = script_data.read_csv(path, options.get("target"), options.get("features"), classes,
                                options.get("delimiter"), options.get("skip_bad_rows", False))
    same_arrays(x, ds.x)
    same_arrays(y, ds.y)


@pytest.mark.parametrize("x, y, task", [
    (np.arange(12).reshape(6, 2), np.array([0, 1, 0, 1, 2, 2]), None),
    (np.linspace(0, 1, 6), np.array([0.5, 1, 2, 3, 4, 5]), None),
    (np.ones((4, 3, 2), dtype=np.float64), np.ones((4, 2)), "regression"),
])
def test_script_npz_reader_matches_load_npz(tmp_path, x, y, task):
    np.savez(tmp_path / "data.npz", X=x, Y=y)
    ds = load_npz(tmp_path / "data.npz", task=task)
    xs, ys = script_data.read_npz(tmp_path / "data.npz", ds.task)
    same_arrays(xs, ds.x)
    same_arrays(ys, ds.y)


@pytest.mark.parametrize("grayscale", [True, False])
def test_script_image_reader_matches_load_image_folder(tmp_path, grayscale):
    rng = np.random.default_rng(0)
    for label in ("cats", "dogs"):
        (tmp_path / label).mkdir()
        for i in range(3):
            Image.fromarray(rng.integers(0, 255, (9, 7, 3), dtype=np.uint8)).save(tmp_path / label / f"{i}.png")
    ds = load_image_folder(tmp_path, image_size=(6, 5), grayscale=grayscale)
    x, y = script_data.read_image_folder(tmp_path, (6, 5), grayscale)
    same_arrays(x, ds.x)
    same_arrays(y, ds.y)


# -- the script as text --------------------------------------------------------------------------
DIGITS_CNN = [("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}), ("ReLU", {}),
              ("MaxPool2d", {"kernel_size": 2}), ("Flatten", {}), ("Dropout", {"p": 0.2}),
              ("Linear", {"out_features": 10})]


def test_script_is_standalone_and_lint_clean(tmp_path):
    doc = chain(DIGITS_CNN, [1, 8, 8], {"data": {"source": "digits"}, "epochs": 2, "freeze": ["conv2d_1"]})
    text = export_training_script(doc)
    tree = ast.parse(text)
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    allowed = {"argparse", "contextlib", "gc", "json", "math", "os", "random", "time", "pathlib", "numpy", "torch",
               "sklearn"}
    assert "netbuilder" not in imported and imported <= allowed
    assert 'main(CONFIG, ExportedNet, load_data)' in text and '"freeze": ["conv2d_1"]' in text
    assert "def digits(seed)" in text and "def read_csv" not in text  # only the data code it needs
    if not (BIN / "ruff").exists():
        pytest.skip("ruff is not installed")
    path = tmp_path / "train.py"
    path.write_text(text)
    lint = subprocess.run([str(BIN / "ruff"), "check", "--isolated", "--select", "E,F,W,I", "--line-length",
                           "120", str(path)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout


def test_export_refuses_what_cannot_train(tmp_path):
    wrong_input = chain([("Flatten", {}), ("Linear", {"out_features": 10})], [1, 28, 28],
                        {"data": {"source": "digits"}})
    with pytest.raises(TrainingError, match=r"Input 'input' is \(1, 28, 28\) but digits gives \(1, 8, 8\)"):
        export_training_script(wrong_input)
    r2 = chain([("Linear", {"out_features": 1})], [1], {"data": {"source": "sine"},
                                                        "early_stopping": {"metric": "r2"}})
    with pytest.raises(TrainingError, match="exported script can watch"):
        export_training_script(r2)


# -- running it ----------------------------------------------------------------------------------
def run_script(doc, tmp_path, *args, base_dir=None, launcher=(sys.executable, "-c", WITHOUT_NETBUILDER)):
    script = tmp_path / "train.py"
    script.write_text(export_training_script(doc, base_dir=base_dir))
    env = {**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())}  # same kernels as in this process
    done = subprocess.run([*launcher, str(script), "--out", str(tmp_path / "out"), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-3000:]
    return done, json.loads((tmp_path / "out" / "history.json").read_text())


def engine_history(doc, tmp_path, base_dir=None):
    end = list(Trainer(doc, runs_dir=tmp_path / "runs", base_dir=base_dir, batch_events_per_s=0).run())[-1]
    assert isinstance(end, Finished), end
    return end.history


def assert_same_curves(engine, script):
    assert [row["epoch"] for row in engine] == [row["epoch"] for row in script]
    for mine, theirs in zip(engine, script):
        assert abs(mine["train_loss"] - theirs["train_loss"]) <= 1e-6
        assert abs(mine["val_loss"] - theirs["val_loss"]) <= 1e-6
        for key in ("accuracy", "mse", "mae"):
            if key in mine:
                assert mine[key] == pytest.approx(theirs[key], abs=1e-9)


def test_script_reproduces_the_engine_on_a_cnn(tmp_path):
    doc = chain(DIGITS_CNN, [1, 8, 8], {"data": {"source": "digits"}, "epochs": 2, "batch_size": 64})
    done, history = run_script(doc, tmp_path)
    assert "epoch 2/2" in done.stdout and (tmp_path / "out" / "best.pt").exists()
    assert_same_curves(engine_history(doc, tmp_path), history)


def test_script_and_engine_end_with_the_same_weights(tmp_path):
    doc = chain(DIGITS_CNN, [1, 8, 8], {"data": {"source": "digits"}, "epochs": 2, "batch_size": 64, "seed": 3,
                                        "scheduler": {"name": "onecycle"}})
    run_script(doc, tmp_path)
    trainer = Trainer(doc, runs_dir=tmp_path / "runs", batch_events_per_s=0)
    assert isinstance(list(trainer.run())[-1], Finished)
    script_weights = torch.load(tmp_path / "out" / "last.pt", weights_only=True)["model"]
    engine_weights = trainer.session.model.state_dict()
    assert list(script_weights) == list(engine_weights)
    for name, value in engine_weights.items():
        assert torch.equal(value, script_weights[name]), name


def test_script_reproduces_the_engine_with_sgd_onecycle_clipping_and_early_stopping(tmp_path):
    layers = [("Linear", {"out_features": 32}), ("Tanh", {}), ("Dropout", {"p": 0.2}), ("Linear", {"out_features": 2})]
    doc = chain(layers, [2], {"data": {"source": "moons", "val_fraction": 0.25}, "epochs": 6, "batch_size": 16,
                              "optimizer": {"name": "sgd", "lr": 0.2, "nesterov": True, "weight_decay": 1e-4},
                              "scheduler": {"name": "onecycle"}, "grad_clip": 0.5, "seed": 7,
                              "loss": {"label_smoothing": 0.1},
                              "early_stopping": {"metric": "accuracy", "patience": 2}})
    _, history = run_script(doc, tmp_path)
    assert_same_curves(engine_history(doc, tmp_path), history)


def test_script_reproduces_the_engine_on_a_regression_csv_file(tmp_path):
    rng = np.random.default_rng(1)
    rows = ["size,weight,noise,price"] + [f"{a:.3f},{b:.3f},{c:.3f},{3 * a - b + 0.1 * c:.4f}"
                                          for a, b, c in rng.uniform(0, 1, (200, 3))]
    (tmp_path / "things.csv").write_text("\n".join(rows) + "\n")
    layers = [("Linear", {"out_features": 16}), ("SiLU", {}), ("Linear", {"out_features": 1})]
    doc = chain(layers, [2], {"data": {"source": "things.csv", "options": {"target": "price",
                                                                          "features": ["size", "weight"]}},
                              "epochs": 3, "loss": {"name": "smooth_l1"}, "scheduler": {"name": "plateau"},
                              "optimizer": {"name": "rmsprop", "lr": 0.003}})
    _, history = run_script(doc, tmp_path, base_dir=tmp_path)
    assert_same_curves(engine_history(doc, tmp_path, base_dir=tmp_path), history)
    assert "mse" in history[0] and "mae" in history[0]


# Runs a script, then says how many references to the process group it joined are left: the
# group must be gone when the script ends, not torn down later by the exiting interpreter.
COUNTING_GROUP_REFERENCES = """\
import os, runpy, sys
import torch.distributed as dist

joined = []
join = dist.init_process_group


def recording(*args, **kwargs):
    join(*args, **kwargs)
    joined.append(dist.group.WORLD)


dist.init_process_group = recording
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
print(f"rank {os.environ['RANK']}: {sys.getrefcount(joined[0]) - 2} references to the group left", file=sys.stderr)
"""


def test_script_runs_on_two_processes_under_torchrun(tmp_path):
    torchrun = shutil.which("torchrun") or (BIN / "torchrun" if (BIN / "torchrun").exists() else None)
    if torchrun is None:
        pytest.skip("torchrun is not installed: the distributed run cannot be tested")
    doc = chain(DIGITS_CNN, [1, 8, 8], {"data": {"source": "digits"}, "epochs": 3, "batch_size": 32})
    counting = tmp_path / "counting.py"
    counting.write_text(COUNTING_GROUP_REFERENCES)
    done, history = run_script(doc, tmp_path, "--epochs", "1", "--device", "cpu",
                               launcher=(str(torchrun), "--standalone", "--nproc_per_node", "2", str(counting)))
    assert done.stdout.count("epoch 1/1") == 1  # only rank 0 reports
    assert "Grad strides do not match" not in done.stderr and "terminate called" not in done.stderr
    for rank in (0, 1):  # what the exiting interpreter would tear down, under Gloo's threads
        assert f"rank {rank}: 0 references to the group left" in done.stderr, done.stderr[-3000:]
    assert len(history) == 1 and history[0]["val_loss"] > 0 and 0 < history[0]["accuracy"] <= 1
    state = torch.load(tmp_path / "out" / "last.pt", weights_only=True)
    assert state["epoch"] == 1 and not any(key.startswith("module.") for key in state["model"])


# -- the losses added for issue 9 ------------------------------------------------------------------
def small_mlp(inputs, outputs, extra=()):
    return [("Linear", {"out_features": 16}), ("ReLU", {}), ("Dropout", {"p": 0.1}),
            ("Linear", {"out_features": outputs}), *extra]


@pytest.mark.parametrize("source, inputs, outputs, loss, extra", [
    ("iris", 4, 3, {"name": "multi_margin", "margin": 0.5, "margin_p": 2, "class_weights": [1.0, 2.0, 1.0]}, ()),
    ("wine", 13, 3, {"name": "multilabel_margin"}, ()),
    ("moons", 2, 1, {"name": "soft_margin"}, ()),
    ("wine", 13, 3, {"name": "multilabel_soft_margin", "class_weights": [1.0, 1.0, 2.0]}, ()),
    ("sine", 1, 1, {"name": "huber", "delta": 0.5}, ()),
    ("counts", 2, 1, {"name": "poisson_nll", "full": True}, (("Softplus", {}),)),
    ("sine", 1, 1, {"name": "gaussian_nll", "variance": 0.5}, ()),
], ids=lambda value: value["name"] if isinstance(value, dict) else None)
def test_script_reproduces_the_engine_with_each_added_loss(tmp_path, source, inputs, outputs, loss, extra):
    doc = chain(small_mlp(inputs, outputs, extra), [inputs], {"data": {"source": source}, "epochs": 2,
                                                              "optimizer": {"lr": 0.01}, "loss": loss})
    text = export_training_script(doc)
    settings = {key: value for key, value in loss.items() if key != "name"}
    config = ast.literal_eval(text.split("CONFIG = ", 1)[1].split("\n\n\n", 1)[0])
    assert config["loss"]["name"] == loss["name"] and settings.items() <= config["loss"].items()
    _, history = run_script(doc, tmp_path)
    assert_same_curves(engine_history(doc, tmp_path), history)
    assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_export_refuses_a_loss_that_does_not_fit_and_the_script_refuses_an_edited_one():
    from netbuilder.train.config import ConfigError
    from netbuilder.train.recipe import make_loss

    negative = chain(small_mlp(1, 1, (("Softplus", {}),)), [1], {"data": {"source": "sine"},
                                                                 "loss": {"name": "poisson_nll"}})
    with pytest.raises(TrainingError, match=r"training\.loss\.name: poisson_nll models counts"):
        export_training_script(negative)
    pairs = chain(small_mlp(4, 3), [4], {"data": {"source": "iris"}, "loss": {"name": "margin_ranking"}})
    with pytest.raises(ConfigError, match=r"training\.loss\.name: margin_ranking needs pairs"):
        export_training_script(pairs)
    with pytest.raises(ValueError, match="the ctc loss needs a score per class at every time step"):
        make_loss("ctc", "classification")  # a CONFIG edited by hand
    with pytest.raises(ValueError, match="gaussian_nll loss needs target values"):
        make_loss("gaussian_nll", "classification")


def test_the_script_freezes_nodes_inside_blocks_by_module_path():
    from netbuilder import build_model, load_graph

    doc = load_graph(Path(__file__).parents[2] / "examples" / "resnet_digits.json")
    doc.training = {**doc.training, "freeze": ["BasicBlock/conv1", "stage2.shortcut"]}
    text = export_training_script(doc)
    assert '"freeze": ["stage1.conv1", "stage2.conv1", "stage2.shortcut"]' in text
    assert "        freeze(net, path)" in text and "def freeze(model, path):" in text
    model = build_model(doc)
    for path in ("stage1.conv1", "stage2.conv1", "stage2.shortcut"):
        assert isinstance(model.get_submodule(path), torch.nn.Conv2d)
    doc.training = {**doc.training, "freeze": ["BasicBlock/nothing"]}
    with pytest.raises(TrainingError, match="training.freeze: there is no node 'nothing' in a block 'BasicBlock'"):
        export_training_script(doc)
