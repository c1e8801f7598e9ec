"""The GAN example, trained with its defaults, makes digits a netbuilder classifier recognises."""

from pathlib import Path

import pytest
import torch

from netbuilder.core.compiler import build_model
from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.fileformat import load_graph
from netbuilder.train.engine import Trainer
from netbuilder.train.events import Finished
from netbuilder.train.gan import make_trainer
from netbuilder.train.gan_recipe import make_noise

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CONFIDENT = 0.9
pytestmark = pytest.mark.timeout(1800)  # two trainings (about a minute alone), on a machine that may be busy


def digits_mlp() -> GraphDocument:
    """A small digits classifier, trained by netbuilder like any graph (~97% validation accuracy)."""
    doc = GraphDocument("digits_mlp")
    layers = [("Input", {"shape": [1, 8, 8]}), ("Flatten", {}), ("Linear", {"out_features": 128}), ("ReLU", {}),
              ("Linear", {"out_features": 10})]
    previous = None
    for layer_type, params in layers:
        node_id = doc.add_node(layer_type, params)
        if previous is not None:
            doc.connect(Edge(previous, node_id))
        previous = node_id
    doc.training = {"data": {"source": "digits"}, "epochs": 30, "optimizer": {"lr": 0.003}}
    return doc


def _trained(trainer):
    for event in trainer.run():
        if isinstance(event, Finished):
            return event
    raise AssertionError("the run did not finish")


@pytest.mark.slow
def test_generated_digits_are_recognised_with_confidence(tmp_path):
    classifier_doc = digits_mlp()
    finished = _trained(Trainer(classifier_doc, runs_dir=tmp_path, save_every_s=0))
    assert finished.best["accuracy"] > 0.95
    classifier = build_model(classifier_doc)
    classifier.load_state_dict(torch.load(Path(finished.run_dir) / "best.pt", weights_only=True)["model"])
    classifier.eval()

    gan = make_trainer(load_graph(EXAMPLES / "gan_digits.json"), runs_dir=tmp_path, save_every_s=0)
    _trained(gan)
    generator = gan.step.generator.eval()
    with torch.no_grad():
        fakes = generator(make_noise(500, gan.plan.latent_size, "normal", torch.Generator().manual_seed(99)))
        pixels = ((fakes + 1) / 2).reshape(-1, 1, 8, 8)  # Tanh's [-1, 1] back to the classifier's [0, 1]
        confidence, digit = torch.softmax(classifier(pixels), dim=1).max(dim=1)
    recognised = (confidence >= CONFIDENT).float().mean().item()
    print(f"recognised with confidence >= {CONFIDENT}: {recognised:.1%}; digits drawn: "
          f"{torch.bincount(digit[confidence >= CONFIDENT], minlength=10).tolist()}")
    assert recognised > 0.6  # a clear majority
    assert len(set(digit[confidence >= CONFIDENT].tolist())) >= 8  # and not one digit over and over
