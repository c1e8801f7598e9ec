"""What to tell a user whose run diverged: the rate they set, and one worth trying.

The engine used to quote the optimiser's rate at the failing step and suggest a
tenth of it; under a warm-up schedule that is a rate the user never typed
("40058.3 … try 4005.83" for a set rate of 1e6), and a tenth of an absurd rate
is still absurd ("try 100000"). The advice here quotes the configured rate and
suggests a tenth of it only while that is a rate people use with this optimiser;
beyond that, the optimiser's usual rate.
"""

from __future__ import annotations

# optimiser -> (its usual learning rate, the highest rate commonly used with it)
RATES = {
    "sgd": (0.01, 0.5),
    "adam": (1e-3, 1e-2),
    "adamw": (1e-3, 1e-2),
    "rmsprop": (1e-3, 1e-2),
    "adagrad": (1e-2, 0.1),
}


def suggested_lr(optimizer: str, lr: float) -> float:
    """A rate to try after ``lr`` diverged with ``optimizer``."""
    usual, highest = RATES.get(optimizer, (1e-3, 1e-2))
    return lr / 10 if lr / 10 <= highest else usual


def diverged_advice(optimizer: str, lr: float, lr_at_failure: float | None = None) -> str:
    """``The learning rate (1e+06) is probably too high; try 0.001, the usual rate for adam``."""
    usual, highest = RATES.get(optimizer, (1e-3, 1e-2))
    suggestion = suggested_lr(optimizer, lr)
    why = f", the usual rate for {optimizer}" if suggestion == usual and lr / 10 > highest else ""
    text = f"The learning rate ({lr:g}) is probably too high; try {suggestion:g}{why}"
    if lr_at_failure is not None and abs(lr_at_failure - lr) > 1e-6 * lr:
        text += f" (the schedule had it at {lr_at_failure:g} when the loss blew up)"
    return text
