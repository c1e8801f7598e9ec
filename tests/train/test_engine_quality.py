"""The quality bar: the examples train well with their own settings, untouched."""

import time
from pathlib import Path

import pytest
import torch

from netbuilder.core.fileformat import load_graph
from netbuilder.train.config import TrainingConfig
from netbuilder.train.engine import Trainer
from netbuilder.train.events import Finished
from netbuilder.train.session import check

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def one_thread():
    """These small models gain nothing from intra-op threads, and on a shared CI machine
    extra threads spin against other jobs and make the timing meaningless."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.slow
@pytest.mark.parametrize("example, accuracy", [("digits_cnn", 0.97), ("iris_mlp", 0.95), ("resnet_digits", 0.97)])
def test_example_reaches_its_accuracy_quickly(example, accuracy, tmp_path, one_thread):
    doc = load_graph(EXAMPLES / f"{example}.json")
    started = time.monotonic()
    end = list(Trainer(doc, runs_dir=tmp_path).run())[-1]
    elapsed = time.monotonic() - started
    assert isinstance(end, Finished), end
    print(f"{example}: best epoch {end.best['epoch']}, val accuracy {end.best['accuracy']:.4f}, {elapsed:.1f}s")
    assert end.best["accuracy"] >= accuracy  # the checkpoint kept as best.pt, not a lucky epoch


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_every_example_with_settings_fits_its_data(path):
    doc = load_graph(path)
    if not doc.training:
        pytest.skip(f"{path.name} has no training settings")
    config = TrainingConfig.from_dict(doc.training)
    if config.recipe == "gan":  # two networks against each other: tests/train/test_gan.py checks its data
        pytest.skip(f"{path.name} trains a GAN")
    data = check(doc, config, base_dir=EXAMPLES)
    assert len(data.train) > len(data.val) > 0


def test_a_new_graphs_settings_train_the_first_cnn_a_newcomer_draws_to_98_percent(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from starter_settings import first_cnn

    from netbuilder.train.defaults import NEW_GRAPH_TRAINING
    from netbuilder.train.engine import Trainer
    from netbuilder.train.events import Finished

    doc = first_cnn({**NEW_GRAPH_TRAINING, "seed": 1})
    finished = [e for e in Trainer(doc, runs_dir=tmp_path).run() if isinstance(e, Finished)][0]
    assert finished.best["accuracy"] >= 0.975
