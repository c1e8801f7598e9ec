"""Run a trained text model on a sentence the user types: tags per word, or one class.

A run on token data saves its vocabulary (``vocabulary.json``) beside its checkpoints;
with the run's graph and kept weights that is all it takes to read new text. Words
are split on white space, with punctuation as words of their own, as the built-in
corpus and most CoNLL files write them. A tagger reads a sentence of any length; a text
classifier whose graph needs a fixed length (an Embedding flattened into a Linear) gets
the ids padded with ``<pad>`` (0), or cut, to its Input's length, as it was trained.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import torch

from . import tagging
from .export import fit_weights, model_state, run_graph, trained_weights
from .tokens_data import VOCABULARY_FILE

WORDS = re.compile(r"\w+(?:['’-]\w+)*|[^\w\s]")


def split_words(text: str, lowercase: bool) -> list[str]:
    words = WORDS.findall(text)
    return [w.lower() for w in words] if lowercase else words


@dataclass
class TextPrediction:
    """``tags`` (one per word) for a tagger; ``label`` and ``confidence`` for a classifier;
    ``unknown``: the positions of words the vocabulary lacks (read as ``<unk>``)."""

    words: list[str]
    tags: list[str] | None = None
    label: str | None = None
    confidence: float = 0.0
    unknown: tuple[int, ...] = ()


class TextModel:
    """A trained model and the vocabulary it was trained with."""

    classifier = False  # one class per sentence (True), or one tag per word

    def __init__(self, model: torch.nn.Module, words: list[str], labels: list[str], length: int | None = None):
        self.model, self.words, self.labels = model.eval(), words, labels
        self.length = length  # the Input's sequence length, for a classifier that needs one
        self._known = set(words)
        self.lowercase = all(w == w.lower() for w in words[2:])  # a lower-case vocabulary reads lower case

    @classmethod
    def from_run(cls, run_dir: str | Path) -> TextModel | None:
        """The run's model, or None when the run has no vocabulary (not trained on text)."""
        run_dir = Path(run_dir)
        vocabulary = run_dir / VOCABULARY_FILE
        if not vocabulary.is_file():
            return None
        record = json.loads(vocabulary.read_text(encoding="utf-8"))
        doc = run_graph(run_dir)
        model = fit_weights(doc, model_state(trained_weights(run_dir)))
        shapes = [n.params.get("shape") for n in doc.nodes.values() if doc.spec_for(n.type).is_input]
        length = int(shapes[0][0]) if len(shapes) == 1 and len(shapes[0] or ()) == 1 else None
        model = cls(model, list(record["words"]), list(record["tags"]), length)
        model.classifier = record["task"] == "classification" if "task" in record else model._gives_one_class()
        return model

    @torch.no_grad()
    def _gives_one_class(self) -> bool:
        """Whether the model answers a sentence with one score per class (not one per word)."""
        return self.model(torch.zeros((1, self.length or 3), dtype=torch.int64))[0].dim() == 1

    @torch.no_grad()
    def predict(self, text: str) -> TextPrediction:
        words = split_words(text, self.lowercase)
        unknown = tuple(i for i, w in enumerate(words) if w not in self._known)
        if not words:
            return TextPrediction([])
        ids = tagging.word_ids(words, self.words)
        if self.length is not None and self.classifier:
            ids = (ids + [0] * self.length)[:self.length]  # as the sentences were padded in training
        output = self.model(torch.tensor([ids], dtype=torch.int64))[0]
        if output.dim() == 2:  # (T, tags): one tag per word
            return TextPrediction(words, tags=[self.labels[i] for i in output.argmax(dim=-1).tolist()],
                                  unknown=unknown)
        probs = torch.softmax(output.float(), dim=-1)  # log-probabilities or logits give the same
        best = int(probs.argmax())
        return TextPrediction(words, label=self.labels[best], confidence=float(probs[best]), unknown=unknown)
