"""Advice after a diverged run quotes the rate the user set and suggests one people use (issue 18.7, 14.10)."""

from __future__ import annotations

from netbuilder.train.advice import diverged_advice, suggested_lr


def test_an_absurd_rate_gets_the_optimisers_usual_rate_not_a_tenth_of_itself():
    assert suggested_lr("adam", 1e6) == 1e-3
    assert suggested_lr("sgd", 1e6) == 0.01
    assert diverged_advice("adam", 1e6) == ("The learning rate (1e+06) is probably too high; "
                                            "try 0.001, the usual rate for adam")


def test_a_rate_just_too_high_gets_a_tenth():
    assert suggested_lr("adam", 0.05) == 0.005
    assert suggested_lr("sgd", 1.0) == 0.1
    assert diverged_advice("sgd", 1.0) == "The learning rate (1) is probably too high; try 0.1"


def test_a_warm_up_rate_is_named_as_the_schedules_not_the_users():
    text = diverged_advice("adam", 1e6, 40058.3)
    assert text.startswith("The learning rate (1e+06) is probably too high; try 0.001")
    assert "the schedule had it at 40058.3" in text
