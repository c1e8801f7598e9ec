"""A tagging epoch's scores and its report: token accuracy, per-tag precision, recall
and F1, the per-tag confusion matrix and the worst-tagged sentences."""

from __future__ import annotations

import numpy as np

from . import tagging
from .events import EvalReport
from .prepare import PreparedData


def _log_probabilities(outputs: np.ndarray) -> np.ndarray:
    """Log-softmax over the tags: the same for logits and for log-probabilities."""
    shifted = outputs.astype(np.float64) - outputs.max(axis=-1, keepdims=True)
    with np.errstate(all="ignore"):
        return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def worst_sentences(data: PreparedData, outputs: np.ndarray, limit: int) -> list[dict]:
    """The validation sentences with the most wrong tags (then the least sure), as plain
    data: ``words``, ``true`` and ``pred`` tag names, the ``wrong`` positions, and
    ``confidence``: the mean probability the model gave its tags on the wrong words."""
    tags, true = data.full.class_names, data.val.y
    log_p = _log_probabilities(outputs)
    pred = log_p.argmax(axis=-1)
    wrong = (pred != true) & (true != tagging.IGNORE)
    counts = wrong.sum(axis=1)
    found = []
    for row in np.flatnonzero(counts):
        sentence_words, sentence_tags = data.val.sentences[row]
        n = len(sentence_words)
        positions = np.flatnonzero(wrong[row, :n])
        confidence = float(np.exp(log_p[row, positions, pred[row, positions]]).mean())
        found.append({"index": int(data.val_index[row]), "words": list(sentence_words), "true": list(sentence_tags),
                      "pred": [tags[i] for i in pred[row, :n]], "wrong": positions.tolist(),
                      "confidence": confidence})
    found.sort(key=lambda s: (-len(s["wrong"]), -s["confidence"]))
    return found[:limit]


def tagging_report(data: PreparedData, epoch: int, outputs: np.ndarray, worst: int) -> tuple[dict, EvalReport]:
    """The epoch's scalars (``token_accuracy``, ``macro_f1``) and its :class:`EvalReport`."""
    tags = list(data.full.class_names)
    accuracy, confusion, precision, recall, f1 = tagging.token_scores(outputs, data.val.y, len(tags))
    present = confusion.sum(axis=1) > 0
    metrics = {"token_accuracy": accuracy, "macro_f1": float(f1[present].mean()) if present.any() else 0.0}
    report = EvalReport(epoch, tags, confusion.tolist(), precision.tolist(), recall.tolist(),
                        worst_sentences(data, outputs, worst), f1=f1.tolist(), task="tagging")
    return metrics, report
