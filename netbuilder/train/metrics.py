"""Validation metrics from model outputs, in NumPy.

Outputs are logits (or log-probabilities: the softmax of either gives the same
probabilities), one column per class; a single column is a binary logit. Every
function takes plain arrays, so the GUI, the CLI and tests can call them on
anything, not only on a live run.
"""

from __future__ import annotations

import numpy as np


def probabilities(outputs: np.ndarray) -> np.ndarray:
    """Class probabilities ``(n, classes)``; a single logit becomes two columns."""
    outputs = outputs.astype(np.float64)
    with np.errstate(all="ignore"):  # a diverging model's inf/NaN outputs give NaN, not warnings
        if outputs.shape[1] == 1:
            p = 1.0 / (1.0 + np.exp(-outputs[:, 0]))
            return np.stack([1.0 - p, p], axis=1)
        shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)


def accuracy(pred: np.ndarray, true: np.ndarray) -> float:
    return float(np.mean(pred == true)) if len(true) else 0.0


def top_k_accuracy(probs: np.ndarray, true: np.ndarray, k: int) -> float:
    """Share of samples whose true class is among the ``k`` most probable."""
    top = np.argpartition(-probs, k - 1, axis=1)[:, :k]
    return float(np.mean(np.any(top == true[:, None], axis=1))) if len(true) else 0.0


def confusion_matrix(pred: np.ndarray, true: np.ndarray, n_classes: int) -> np.ndarray:
    """``matrix[t, p]`` counts samples of class ``t`` predicted as ``p``."""
    return np.bincount(true * n_classes + pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def precision_recall(confusion: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-class precision and recall; 0 for a class never predicted / never present."""
    hits = np.diag(confusion).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.nan_to_num(hits / confusion.sum(axis=0))
        recall = np.nan_to_num(hits / confusion.sum(axis=1))
    return precision, recall


def worst_mistakes(probs: np.ndarray, true: np.ndarray, limit: int) -> list[tuple[int, int, int, float]]:
    """``(position, true, pred, confidence)`` of the most confidently wrong samples."""
    pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(pred != true)
    confidence = probs[wrong, pred[wrong]]
    order = wrong[np.argsort(-confidence, kind="stable")][:limit]
    return [(int(i), int(true[i]), int(pred[i]), float(probs[i, pred[i]])) for i in order]


def classification_metrics(probs: np.ndarray, true: np.ndarray, n_classes: int, top_k=(5,)) -> dict:
    """Scalars for an epoch from :func:`probabilities`: ``accuracy`` and
    ``top{k}_accuracy`` for each k < classes."""
    metrics = {"accuracy": accuracy(probs.argmax(axis=1), true)}
    for k in top_k:
        if 1 < k < n_classes:
            metrics[f"top{k}_accuracy"] = top_k_accuracy(probs, true, k)
    return metrics


def regression_metrics(outputs: np.ndarray, true: np.ndarray) -> dict:
    """``mse``, ``mae`` and ``r2`` (coefficient of determination, averaged over targets)."""
    outputs, true = outputs.astype(np.float64), true.astype(np.float64)
    error = outputs - true
    variance = ((true - true.mean(axis=0)) ** 2).sum(axis=0)
    r2 = 1.0 - (error**2).sum(axis=0) / np.where(variance > 0, variance, 1.0)
    return {"mse": float(np.mean(error**2)), "mae": float(np.mean(np.abs(error))), "r2": float(np.mean(r2))}


LOWER_IS_BETTER = ("loss", "mse", "mae", "error")


def better_mode(metric: str) -> str:
    """``"min"`` for losses and errors, ``"max"`` for scores like accuracy and r2."""
    return "min" if any(word in metric for word in LOWER_IS_BETTER) else "max"
