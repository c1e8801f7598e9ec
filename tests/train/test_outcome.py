"""The one account of a run's result (kept epoch, its score, the best score)."""

from __future__ import annotations

import random

from netbuilder.train import recipe
from netbuilder.train.outcome import Keeper, RunOutcome

HISTORY = [
    {"epoch": 1, "train_loss": 0.9, "val_loss": 0.50, "accuracy": 0.90},
    {"epoch": 2, "train_loss": 0.5, "val_loss": 0.30, "accuracy": 0.989},
    {"epoch": 3, "train_loss": 0.3, "val_loss": 0.25, "accuracy": 0.986},
    {"epoch": 4, "train_loss": 0.2, "val_loss": 0.27, "accuracy": 0.980},
]


def test_headline_names_the_kept_epoch_its_accuracy_and_the_best_accuracy_elsewhere():
    outcome = RunOutcome.of_run({}, HISTORY)
    assert outcome.kept_epoch == 3
    assert outcome.text() == ("kept epoch 3 (lowest val_loss); its accuracy 98.6%; "
                              "best accuracy 98.9% at epoch 2")
    assert outcome.short_text() == "accuracy 98.6% (ep 3)"
    assert outcome.best_text() == "accuracy 98.9% (ep 2)"


def test_watching_accuracy_keeps_the_best_accuracy_and_says_it_once():
    outcome = RunOutcome.of_run({"early_stopping": {"metric": "accuracy"}}, HISTORY)
    assert outcome.kept_epoch == 2
    assert outcome.text() == "kept epoch 2 (highest accuracy 98.9%)"


def test_same_epoch_best_and_kept_and_no_epoch():
    rows = [dict(HISTORY[0]), {**HISTORY[1], "val_loss": 0.1}]
    text = RunOutcome.of_run({}, rows).text()
    assert text == "kept epoch 2 (lowest val_loss); its accuracy 98.9%, the best of the run"
    assert RunOutcome.of_run({}, []).text() == "no epoch finished"


def test_keeper_keeps_the_epoch_the_engine_monitor_keeps():
    rng = random.Random(3)
    for mode in ("min", "max"):
        for min_delta in (0.0, 0.05):
            values = [rng.choice([0.1, 0.2, 0.3, 0.25, 0.2]) for _ in range(30)]
            monitor, keeper = recipe.Monitor(mode, 0, min_delta), Keeper(mode, min_delta)
            for epoch, value in enumerate(values, 1):
                assert monitor.update(value, epoch) == keeper.update(value, epoch)
            assert monitor.best_epoch == keeper.epoch


def test_a_tie_for_the_best_score_names_the_kept_epoch():
    rows = [dict(HISTORY[0]), {**HISTORY[1], "accuracy": 0.95}, {**HISTORY[2], "accuracy": 0.95}]
    outcome = RunOutcome.of_run({}, rows)
    assert outcome.text() == "kept epoch 3 (lowest val_loss); its accuracy 95.0%, the best of the run"
    assert outcome.best_text() == "accuracy 95.0% (ep 3)"
