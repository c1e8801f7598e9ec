"""Run a trained text model on a sentence the user types: tags per word, or one class.

A run on token data saves its vocabulary (``vocabulary.json``) beside its checkpoints;
with the run's graph and kept weights that is all it takes to read new text. Words
are split on white space, with punctuation as words of their own, as the built-in
corpus and most CoNLL files write them.
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

    def __init__(self, model: torch.nn.Module, words: list[str], labels: list[str]):
        self.model, self.words, self.labels = model.eval(), words, labels
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
        model = fit_weights(run_graph(run_dir), model_state(trained_weights(run_dir)))
        return cls(model, list(record["words"]), list(record["tags"]))

    @torch.no_grad()
    def predict(self, text: str) -> TextPrediction:
        words = split_words(text, self.lowercase)
        unknown = tuple(i for i, w in enumerate(words) if w not in self._known)
        if not words:
            return TextPrediction([])
        ids = torch.tensor([tagging.word_ids(words, self.words)], dtype=torch.int64)
        output = self.model(ids)[0]
        if output.dim() == 2:  # (T, tags): one tag per word
            return TextPrediction(words, tags=[self.labels[i] for i in output.argmax(dim=-1).tolist()],
                                  unknown=unknown)
        probs = torch.softmax(output.float(), dim=-1)  # log-probabilities or logits give the same
        best = int(probs.argmax())
        return TextPrediction(words, label=self.labels[best], confidence=float(probs[best]), unknown=unknown)
