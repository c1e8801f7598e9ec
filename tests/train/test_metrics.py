"""Validation metrics in NumPy."""

import numpy as np
import pytest

from netbuilder.train import metrics

OUTPUTS = np.array([[3.0, 0.0, 0.0], [0.0, 2.0, 1.0], [0.0, 1.0, 2.0], [5.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
TRUE = np.array([0, 1, 1, 2, 2])


def test_probabilities_sum_to_one_and_single_logit_is_binary():
    probs = metrics.probabilities(OUTPUTS)
    assert np.allclose(probs.sum(axis=1), 1.0) and probs.argmax(axis=1).tolist() == [0, 1, 2, 0, 2]
    binary = metrics.probabilities(np.array([[0.0], [10.0]]))
    assert binary.shape == (2, 2) and np.allclose(binary[0], 0.5) and binary[1, 1] > 0.99


def test_accuracy_and_top_k():
    scores = metrics.classification_metrics(metrics.probabilities(OUTPUTS), TRUE, 3, top_k=(2, 5))
    assert scores["accuracy"] == pytest.approx(3 / 5)
    assert scores["top2_accuracy"] == pytest.approx(4 / 5)  # the 5.0-vs-0,0 sample misses its top 2
    assert "top5_accuracy" not in scores  # k >= classes says nothing


def test_confusion_precision_recall():
    pred = metrics.probabilities(OUTPUTS).argmax(axis=1)
    confusion = metrics.confusion_matrix(pred, TRUE, 3)
    assert confusion.tolist() == [[1, 0, 0], [0, 1, 1], [1, 0, 1]]
    precision, recall = metrics.precision_recall(confusion)
    assert precision.tolist() == [0.5, 1.0, 0.5] and recall.tolist() == [1.0, 0.5, 0.5]
    empty = metrics.precision_recall(np.zeros((2, 2), dtype=int))
    assert empty[0].tolist() == [0.0, 0.0]


def test_worst_mistakes_are_the_most_confident_wrong_ones():
    worst = metrics.worst_mistakes(metrics.probabilities(OUTPUTS), TRUE, limit=5)
    assert [w[0] for w in worst] == [3, 2]  # 5.0 logit beats the 2-vs-1 one
    position, true, pred, confidence = worst[0]
    assert (true, pred) == (2, 0) and 0.98 < confidence < 1.0
    assert metrics.worst_mistakes(metrics.probabilities(OUTPUTS), TRUE, limit=1) == worst[:1]


def test_regression_metrics():
    true = np.array([[1.0], [2.0], [3.0]])
    assert metrics.regression_metrics(true, true) == {"mse": 0.0, "mae": 0.0, "r2": 1.0}
    scores = metrics.regression_metrics(true + 1.0, true)
    assert scores["mse"] == 1.0 and scores["mae"] == 1.0 and scores["r2"] == pytest.approx(1 - 3 / 2)


def test_better_mode():
    assert metrics.better_mode("val_loss") == "min" and metrics.better_mode("mae") == "min"
    assert metrics.better_mode("accuracy") == "max" and metrics.better_mode("r2") == "max"
