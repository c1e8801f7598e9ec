"""The results' Try-it box for a text classifier (token ids → one class per sentence): the run's
saved vocabulary reads the typed words, padded to the Input's length as in training."""

from __future__ import annotations

import json

import torch
from journey_helpers import type_into

from netbuilder.core.compiler import build_model
from netbuilder.core.document import Edge, GraphDocument
from netbuilder.core.fileformat import dumps
from netbuilder.train import tagging
from netbuilder.ui.training.try_it import TryItBox

LENGTH = 6
ANIMALS = ["the dog runs", "a cat sleeps", "the bird sings", "a dog eats", "the cat runs", "a bird eats"]
CITIES = ["paris is big", "london is old", "the city is big", "a city sleeps", "paris is old", "london sings"]


def classifier_run(folder) -> None:
    """A run folder as the engine writes it, of a classifier trained here on two topics:
    graph.json, best.pt and vocabulary.json (the words with <pad> = 0 and <unk> = 1, the classes)."""
    sentences = [(s.split(), ["animal"]) for s in ANIMALS] + [(s.split(), ["city"]) for s in CITIES]
    words, _ = tagging.build_vocabulary(sentences)
    doc = GraphDocument("topics")
    chain = [("Input", {"shape": [LENGTH], "dtype": "int64"}),
             ("Embedding", {"num_embeddings": len(words), "embedding_dim": 8}), ("Flatten", {}),
             ("Linear", {"out_features": 2})]
    previous = None
    for i, (layer, params) in enumerate(chain):
        node = doc.add_node(layer, params, (200.0 * i, 0.0))
        if previous:
            doc.connect(Edge(previous, node))
        previous = node
    torch.manual_seed(0)
    model = build_model(doc)
    x = torch.tensor([(tagging.word_ids(w, words) + [0] * LENGTH)[:LENGTH] for w, _ in sentences])
    y = torch.tensor([0] * len(ANIMALS) + [1] * len(CITIES))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(100):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    (folder / "graph.json").write_text(dumps(doc), encoding="utf-8")
    torch.save({"model": model.state_dict()}, folder / "best.pt")
    (folder / "vocabulary.json").write_text(json.dumps({"words": words, "tags": ["animal", "city"],
                                                        "task": "classification"}))


def test_try_it_classifies_a_typed_sentence(qtbot, tmp_path):
    classifier_run(tmp_path)
    box = TryItBox()
    qtbot.addWidget(box)
    box.show()
    assert not box.edit.isEnabled()
    assert box.set_run(tmp_path)
    assert box.button.text() == "Classify" and "2 classes" in box.status.text()
    type_into(box.edit, "The dog sleeps")  # Enter: capitals read as the lower-case vocabulary
    assert box.answer.toPlainText().startswith("animal (") and box.label == "animal"
    type_into(box.edit, "London is so big and old really")  # longer than the Input: cut; unseen named
    assert box.label == "city" and "never seen in training: so, and, really" in box.answer.toPlainText()
    box.resize(420, 220)
    box.grab().save(str(tmp_path / "try-it.png"))
    box.clear()
    assert box.button.text() == "Tag" and not box.edit.isEnabled()


def test_a_run_without_a_task_in_its_vocabulary_is_told_apart_by_its_output(tmp_path):
    from netbuilder.train.predict_text import TextModel

    classifier_run(tmp_path)
    record = json.loads((tmp_path / "vocabulary.json").read_text())
    del record["task"]  # as a tagger's run saved it before text classifiers
    (tmp_path / "vocabulary.json").write_text(json.dumps(record))
    model = TextModel.from_run(tmp_path)
    assert model.classifier and model.length == LENGTH
    assert model.predict("a bird sings").label == "animal"
